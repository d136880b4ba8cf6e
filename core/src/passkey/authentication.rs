//! Signing in with a passkey (WebAuthn §7.2): by email, usernameless, or through autofill.

use serde::Serialize;

use super::challenge::{Binding, CeremonyChallenge, Kind};
use super::challenge_invalid;
use super::unwrap_response;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::kavach::{Kavach, NewSession};
use crate::store::{SignInOutcome, SignInUpdate, email_key};
use crate::verify::{AuthenticationExpectations, as_authentication_failure, verify_assertion};
use crate::webauthn::Check;
use crate::webauthn::options::{CredentialDescriptor, RequestOptions};
use crate::webauthn::response::AuthenticationResponse;

/// A completed sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// Who signed in.
    pub user_id: String,
    /// The new session's id.
    pub session_id: String,
    /// The new session's token and cookie (never put in a JSON body).
    #[serde(skip)]
    pub session: NewSession,
}

impl Kavach {
    /// `POST /passkey/authenticate/options`. With an email, the user's credentials are listed in
    /// `allowCredentials`; an unknown email gets the same shape (stable fake descriptors whose
    /// count, ID lengths and transports follow real authenticators) after the same database read,
    /// and a challenge of the same shape, so responses do not reveal who has an account. Without
    /// one, `allowCredentials` is empty: usernameless sign-in and conditional UI. Writes nothing.
    pub fn authenticate_options(&self, email: Option<&str>) -> Result<RequestOptions> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let (challenge, allow_credentials) = match email {
            None => (self.issue_challenge(Kind::Authentication, Binding::Anyone, None), Vec::new()),
            Some(email) => {
                // One indexed read, the same whether or not the user exists.
                match self.store.user_and_descriptors_by_email(email)? {
                    Some((user, credentials)) if !credentials.is_empty() => {
                        let descriptors = credentials
                            .into_iter()
                            .map(|c| CredentialDescriptor::new(base64url::encode(&c.credential_id), c.transports))
                            .collect();
                        (self.issue_challenge(Kind::Authentication, Binding::User(&user.id), None), descriptors)
                    }
                    _ => {
                        let key = email_key(email);
                        let challenge = self.issue_challenge(Kind::Authentication, Binding::UnknownEmail(&key), None);
                        (challenge, self.fake_credentials.for_email(&key))
                    }
                }
            }
        };
        Ok(RequestOptions {
            challenge,
            timeout: self.settings.timeout_ms,
            rp_id: self.settings.rp_id.as_str().to_owned(),
            allow_credentials,
            user_verification: self.settings.user_verification,
        })
    }

    /// `POST /passkey/authenticate/verify`: verifies the assertion and starts a fresh session.
    pub fn authenticate_verify(&self, body: &serde_json::Value) -> Result<SignIn> {
        self.authenticate_verify_inner(body).map_err(as_authentication_failure)
    }

    fn authenticate_verify_inner(&self, body: &serde_json::Value) -> Result<SignIn> {
        let (response_json, _) = unwrap_response(body)?;
        let response = AuthenticationResponse::from_json(response_json)?;
        let challenge = self.open_challenge(response_json, Kind::Authentication)?;
        self.sign_in(&response, &challenge)
    }

    /// Checks the assertion against the challenge and the stored credential; on success consumes
    /// the challenge, moves the counter and saves a new session, all in one transaction.
    fn sign_in(&self, response: &AuthenticationResponse, challenge: &CeremonyChallenge) -> Result<SignIn> {
        let credential = self.store.credential_by_id(&response.credential_id)?.ok_or_else(unknown_credential)?;
        let owner = self.store.user_by_id(&credential.user_id)?.ok_or_else(unknown_credential)?;

        // §7.2 steps 5-6. A challenge issued for a user (sign-in by email) listed exactly that
        // user's credentials as they were when it was issued: the credential must be the user's,
        // and must have existed then. A usernameless one takes any credential whose returned user
        // handle names its owner. Anything else (another user's challenge, an unknown email's) is
        // a credential the ceremony did not allow.
        let named_user = self.challenge_keys.is_bound_to(challenge, Binding::User(&owner.id));
        if named_user {
            let issued_at = challenge.expires_at.saturating_sub(self.challenge_lifetime_ms());
            if credential.created_at > issued_at {
                return Err(unknown_credential());
            }
        } else if !self.challenge_keys.is_bound_to(challenge, Binding::Anyone) {
            return Err(unknown_credential());
        }
        match &response.user_handle {
            Some(handle) if *handle != owner.webauthn_user_id => {
                return Err(Error::verification(Check::UserHandle, "userHandle does not match the credential's owner"));
            }
            None if !named_user => {
                return Err(Error::verification(Check::UserHandle, "userHandle is required for usernameless sign-in"));
            }
            _ => {}
        }

        // Validated at registration: a stored key that does not parse is our fault.
        let public_key = crate::key_cache::public_key(&credential.public_key).map_err(Error::internal)?;
        let verified = verify_assertion(
            response,
            &public_key,
            &AuthenticationExpectations {
                challenge: &challenge.text,
                origins: &self.settings.origins,
                rp_id: &self.settings.rp_id,
                require_user_verification: self.requires_user_verification() || challenge.user_verification_required,
                credential_public_key: &credential.public_key,
                counter: credential.counter,
                allow_cross_origin: false,
                top_origins: &[],
            },
        )
        .map_err(|err| match err.code() {
            // Found after the signature checked out: the challenge is spent.
            ErrorCode::CounterRegression => self.burnt(challenge, err),
            _ => err,
        })?;
        // WebAuthn L3 §6.1.3: backup eligibility is fixed when a credential is created. A change
        // means another authenticator, or a forged flag.
        if verified.flags.backup_eligible != credential.backup_eligible {
            return Err(self.burnt(
                challenge,
                Error::verification(Check::BackupFlags, "backup eligibility (BE) differs from registration"),
            ));
        }

        let (session, token) = self.new_session_record(&owner.id);
        let outcome = self.store.complete_sign_in(&SignInUpdate {
            challenge: challenge.usage(),
            credential_id: &credential.credential_id,
            expected_counter: credential.counter,
            new_counter: verified.counter,
            backup_state: verified.flags.backed_up,
            now: self.now(),
            session: &session,
        })?;
        match outcome {
            SignInOutcome::SignedIn => Ok(SignIn {
                user_id: owner.id,
                session_id: session.id.clone(),
                session: self.new_session(session, token),
            }),
            SignInOutcome::ChallengeUsed => Err(challenge_invalid()),
            // A concurrent sign-in with this credential moved the counter between our read and
            // our write: the same outcome as a regressed counter, and the challenge is spent.
            SignInOutcome::CounterChanged => Err(self.burnt(challenge, counter_regression())),
            SignInOutcome::CredentialGone => Err(self
                .burnt(challenge, Error::new(ErrorCode::CredentialNotFound, "this passkey is no longer registered"))),
        }
    }
}

fn unknown_credential() -> Error {
    Error::verification(Check::UnknownCredential, "this passkey is not registered here")
}

fn counter_regression() -> Error {
    Error::new(ErrorCode::CounterRegression, "signature counter did not increase: possible cloned authenticator")
}
