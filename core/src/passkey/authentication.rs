//! Signing in with a passkey (WebAuthn §7.2): by email, usernameless, or through autofill.

use aws_lc_rs::hmac;
use serde::Serialize;

use super::{CeremonyState, unwrap_response};
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::kavach::{Kavach, NewSession};
use crate::store::{ChallengeKind, ChallengeRecord, SignInUpdate, challenge_invalid};
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
    /// `allowCredentials`; an unknown email gets the same shape (stable fake IDs derived from the
    /// secret) after the same database work, so responses do not reveal who has an account.
    /// Without one, `allowCredentials` is empty: usernameless sign-in and conditional UI.
    pub fn authenticate_options(&self, email: Option<&str>) -> Result<RequestOptions> {
        let mut user_id = None;
        let allow_credentials = match email.map(str::trim) {
            None | Some("") => Vec::new(),
            Some(email) => {
                // One indexed read, the same whether or not the user exists.
                match self.store.user_and_descriptors_by_email(email)? {
                    Some((user, credentials)) if !credentials.is_empty() => {
                        user_id = Some(user.id);
                        credentials
                            .into_iter()
                            .map(|c| CredentialDescriptor::new(base64url::encode(&c.credential_id), c.transports))
                            .collect()
                    }
                    _ => vec![self.fake_credential(email)],
                }
            }
        };
        let state = CeremonyState {
            allow: allow_credentials.iter().map(|c| c.id.clone()).collect(),
            ..CeremonyState::default()
        };
        let challenge = self.issue_challenge(ChallengeKind::Authentication, user_id.as_deref(), &state)?;
        Ok(RequestOptions {
            challenge,
            timeout: self.settings.timeout_ms,
            rp_id: self.settings.rp_id.clone(),
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
        let (challenge, state) = self.find_challenge(response_json, ChallengeKind::Authentication)?;
        match self.sign_in(&response, &challenge, &state) {
            Err(err) if err.code() != ErrorCode::ChallengeInvalid && !self.burn_challenge(&challenge.challenge) => {
                // Someone else used the challenge while this request was verifying (a double
                // submit or a replay): that, not what this copy then tripped over (e.g. the
                // counter the first one moved), is the error.
                Err(challenge_invalid())
            }
            outcome => outcome,
        }
    }

    /// Checks the assertion against the ceremony and the stored credential; on success consumes
    /// the challenge, moves the counter and saves a new session, all in one transaction.
    fn sign_in(
        &self,
        response: &AuthenticationResponse,
        challenge: &ChallengeRecord,
        state: &CeremonyState,
    ) -> Result<SignIn> {
        // §7.2 step 5: if allowCredentials was given, the credential must be one of them.
        let credential_id = base64url::encode(&response.credential_id);
        if !state.allow.is_empty() && !state.allow.contains(&credential_id) {
            return Err(unknown_credential());
        }
        let credential = self.store.credential_by_id(&response.credential_id)?.ok_or_else(unknown_credential)?;
        let owner = self.store.user_by_id(&credential.user_id)?.ok_or_else(unknown_credential)?;

        // §7.2 step 6: the credential must belong to the user the ceremony was for (sign-in by
        // email), and the returned user handle, required when no user was named, must be its
        // owner's.
        if let Some(expected_user) = &challenge.user_id
            && *expected_user != owner.id
        {
            return Err(unknown_credential());
        }
        match &response.user_handle {
            Some(handle) if *handle != owner.webauthn_user_id => {
                return Err(Error::verification(Check::UserHandle, "userHandle does not match the credential's owner"));
            }
            None if challenge.user_id.is_none() => {
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
                challenge: &challenge.challenge,
                origins: &self.settings.origins,
                rp_id: &self.settings.rp_id,
                require_user_verification: self.requires_user_verification(),
                credential_public_key: &credential.public_key,
                counter: credential.counter,
                allow_cross_origin: false,
                top_origins: &[],
            },
        )?;

        let (session, token) = self.new_session_record(&owner.id);
        self.store.complete_sign_in(&SignInUpdate {
            challenge: &challenge.challenge,
            credential_id: &credential.credential_id,
            expected_counter: credential.counter,
            new_counter: verified.counter,
            backup_state: verified.flags.backed_up,
            now: self.now(),
            session: &session,
        })?;
        Ok(SignIn { user_id: owner.id, session_id: session.id.clone(), session: self.new_session(session, token) })
    }

    /// A stable, secret-derived credential descriptor for an email with no passkeys.
    fn fake_credential(&self, email: &str) -> CredentialDescriptor {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.settings.secret);
        let tag = hmac::sign(&key, format!("kavach fake credential\0{}", email.to_lowercase()).as_bytes());
        // Real descriptors carry the transports their authenticators reported, so the fake one
        // takes a common real combination, chosen by the tag: stable per email, varied across.
        const COMMON_TRANSPORTS: [&[&str]; 4] = [&["internal"], &["hybrid", "internal"], &["internal"], &["usb"]];
        let tag = tag.as_ref();
        let transports = COMMON_TRANSPORTS[usize::from(tag[31] % 4)].iter().map(|t| (*t).to_owned()).collect();
        CredentialDescriptor::new(base64url::encode(&tag[..32]), transports)
    }
}

fn unknown_credential() -> Error {
    Error::verification(Check::UnknownCredential, "this passkey is not registered here")
}
