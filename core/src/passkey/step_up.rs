//! Step-up (DESIGN §10): a passkey check inside an existing session, before a sensitive action.
//! It creates no session: it sets the session's `authenticatedAt`. Its challenge is bound to the
//! session it was issued in and always requires user verification; the credential must be the
//! session user's.

use serde::Serialize;

use super::challenge::{Binding, CeremonyChallenge, Issue, Kind};
use super::challenge_invalid;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::kavach::{Authenticated, Kavach};
use crate::store::{SessionChange, SignInOutcome};
use crate::time;
use crate::webauthn::options::{CredentialDescriptor, Hint, RequestExtensions, RequestOptions, UserVerification};
use crate::webauthn::response::AuthenticationResponse;

/// A completed step-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUp {
    /// The session's user.
    pub user_id: String,
    /// The session it was done in.
    pub session_id: String,
    /// When, ISO-8601 UTC: the session's new `authenticatedAt`.
    pub authenticated_at: String,
}

impl Kavach {
    /// `POST /passkey/authenticate/options {stepUp: true}` with a session: the user's passkeys,
    /// user verification required, under a challenge bound to this session.
    pub fn step_up_options(&self, auth: &Authenticated, hints: Option<Vec<Hint>>) -> Result<RequestOptions> {
        let allow_credentials: Vec<CredentialDescriptor> = self
            .store
            .credentials_of_user(&auth.user.id)?
            .into_iter()
            .map(|c| CredentialDescriptor::new(base64url::encode(&c.credential_id), c.transports))
            .collect();
        if allow_credentials.is_empty() {
            return Err(Error::new(
                ErrorCode::CredentialNotFound,
                "add a passkey first: there is none to confirm with",
            ));
        }
        let challenge = self.challenge_keys.issue(&Issue {
            kind: Kind::StepUp,
            binding: Binding::Session(&auth.session.id),
            user_verification_required: true,
            conditional: false,
            expires_at: self.now().saturating_add(self.challenge_lifetime_ms()),
            name: None,
        });
        Ok(RequestOptions {
            challenge,
            timeout: self.settings.timeout_ms,
            rp_id: self.settings.rp_id.as_str().to_owned(),
            allow_credentials,
            user_verification: UserVerification::Required,
            hints: hints.unwrap_or_else(|| self.settings.hints.clone()),
            extensions: RequestExtensions { appid: self.settings.platform.appid.clone(), prf: None },
        })
    }

    /// The verify of a step-up challenge, in the session the request carries (`auth`).
    pub(super) fn step_up(
        &self,
        response: &AuthenticationResponse,
        challenge: &CeremonyChallenge,
        auth: Option<&Authenticated>,
    ) -> Result<StepUp> {
        let auth = auth.ok_or_else(crate::kavach::unauthorized)?;
        if !self.challenge_keys.is_bound_to(challenge, Binding::Session(&auth.session.id)) {
            // Issued in another session (another tab's, or someone else's).
            return Err(challenge_invalid());
        }
        // Another user's credential, or none: checked against the decoy like any credential the
        // options did not offer.
        let credential = self.store.credential_by_id(&response.credential_id)?;
        let Some(credential) = credential.filter(|c| c.user_id == auth.user.id) else {
            return Err(self.not_offered(response, challenge));
        };
        let (_, outcome) = self.commit_assertion(
            response,
            challenge,
            &credential,
            &auth.user,
            true,
            SessionChange::MarkAuthenticated { session_id: &auth.session.id },
        )?;
        match outcome {
            SignInOutcome::SignedIn => Ok(StepUp {
                user_id: auth.user.id.clone(),
                session_id: auth.session.id.clone(),
                authenticated_at: time::iso8601(self.now()),
            }),
            other => Err(self.assertion_outcome_error(challenge, other)),
        }
    }

    /// Whether a passkey verified the session's user within the last `seconds`: the host's check
    /// before a sensitive action (`REAUTH_REQUIRED` 403 otherwise), which a step-up satisfies.
    pub fn require_recent_auth(&self, auth: &Authenticated, seconds: u64) -> Result<()> {
        let window_ms = i64::try_from(seconds).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
        match auth.session.authenticated_at {
            Some(at) if self.now().saturating_sub(at) <= window_ms => Ok(()),
            _ => Err(Error::new(
                ErrorCode::ReauthRequired,
                "confirm with your passkey first (a step-up), then try again",
            )),
        }
    }
}
