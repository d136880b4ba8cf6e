//! Signing in with a passkey (WebAuthn §7.2): by email, usernameless, or through autofill.

use serde::Serialize;

use super::challenge::{Binding, CeremonyChallenge, Kind};
use super::challenge_invalid;
use super::decoy::DECOY_COSE_KEY;
use super::unwrap_response;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::kavach::{Authenticated, Kavach, NewSession};
use crate::store::{CredentialRecord, SessionChange, SignInOutcome, SignInUpdate, UserRecord, email_key};
use crate::verify::{AuthenticationExpectations, VerifiedAuthentication, as_authentication_failure, verify_assertion};
use crate::webauthn::Check;
use crate::webauthn::options::{CredentialDescriptor, Hint, RequestExtensions, RequestOptions};
use crate::webauthn::response::AuthenticationResponse;
use serde_json::json;

/// What a verified assertion did.
#[derive(Debug, Clone)]
pub enum Verified {
    /// A sign-in: a new session.
    SignIn(SignIn),
    /// A step-up inside the request's session.
    StepUp(super::StepUp),
}

/// A completed sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// Who signed in.
    pub user_id: String,
    /// The new session's id.
    pub session_id: String,
    /// The session token, only for a sign-in from a native app (its clientDataJSON origin is an
    /// `android:apk-key-hash:` origin): an app has no cookie jar. Never for a web page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
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
        self.authenticate_options_with_hints(email, None)
    }

    /// [`Kavach::authenticate_options`] with this request's hints instead of the configured ones
    /// (`passkey.hints`).
    pub fn authenticate_options_with_hints(
        &self,
        email: Option<&str>,
        hints: Option<Vec<Hint>>,
    ) -> Result<RequestOptions> {
        self.authenticate_options_with(email, hints, None)
    }

    /// [`Kavach::authenticate_options_with_hints`] with PRF inputs for the authenticator
    /// (`{eval?: {first, second?}, evalByCredential?: {<credential id>: {first, second?}}}`,
    /// base64url salts): the host API's `authenticateOptions({email, prf})`.
    pub fn authenticate_options_with(
        &self,
        email: Option<&str>,
        hints: Option<Vec<Hint>>,
        prf: Option<&serde_json::Value>,
    ) -> Result<RequestOptions> {
        let prf = prf.map(validate_prf_inputs).transpose()?;
        if email.is_none_or(|e| e.trim().is_empty())
            && prf.as_ref().is_some_and(|p| p.get("evalByCredential").is_some())
        {
            // Browsers refuse evalByCredential without allowCredentials: a usernameless request
            // has none.
            return Err(Error::invalid_request("prf.evalByCredential needs an email (use prf.eval for usernameless)"));
        }
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
            hints: hints.unwrap_or_else(|| self.settings.hints.clone()),
            extensions: RequestExtensions { appid: self.settings.platform.appid.clone(), prf },
        })
    }

    /// `POST /passkey/authenticate/verify`: verifies the assertion and starts a fresh session.
    /// A step-up's response is refused here (`CHALLENGE_INVALID`): it needs its session, through
    /// [`Kavach::authenticate_verify_in`].
    pub fn authenticate_verify(&self, body: &serde_json::Value) -> Result<SignIn> {
        match self.authenticate_verify_in(body, None)? {
            Verified::SignIn(sign_in) => Ok(sign_in),
            Verified::StepUp(_) => Err(Error::internal("a step-up completed without a session")),
        }
    }

    /// `POST /passkey/authenticate/verify` as the router runs it: the challenge decides whether
    /// this is a sign-in (a new session) or a step-up inside `auth`, the request's session.
    /// A refusal is a `signin.failed` event (with its code), stored in the user's activity when
    /// the assertion named their passkey.
    pub fn authenticate_verify_in(&self, body: &serde_json::Value, auth: Option<&Authenticated>) -> Result<Verified> {
        let mut concerned = None;
        let result = self.authenticate_verify_inner(body, auth, &mut concerned).map_err(as_authentication_failure);
        if let Err(err) = &result {
            self.sign_in_failed(concerned, err);
        }
        result
    }

    fn authenticate_verify_inner(
        &self,
        body: &serde_json::Value,
        auth: Option<&Authenticated>,
        concerned: &mut Option<(String, Vec<u8>)>,
    ) -> Result<Verified> {
        let (response_json, _) = unwrap_response(body)?;
        let response = AuthenticationResponse::from_json(response_json)?;
        match self.open_challenge(response_json, Kind::Authentication) {
            Ok(challenge) => Ok(Verified::SignIn(self.sign_in(&response, &challenge, concerned)?)),
            Err(not_sign_in) => match self.open_challenge(response_json, Kind::StepUp) {
                Ok(challenge) => Ok(Verified::StepUp(self.step_up(&response, &challenge, auth)?)),
                Err(_) => Err(not_sign_in),
            },
        }
    }

    /// Checks the assertion against the challenge and the stored credential; on success consumes
    /// the challenge, moves the counter and saves a new session, all in one transaction.
    /// `concerned`: set to the credential's owner and ID once they are known, for the failure
    /// event.
    fn sign_in(
        &self,
        response: &AuthenticationResponse,
        challenge: &CeremonyChallenge,
        concerned: &mut Option<(String, Vec<u8>)>,
    ) -> Result<SignIn> {
        let usernameless = self.challenge_keys.is_bound_to(challenge, Binding::Anyone);
        let Some(credential) = self.store.credential_by_id(&response.credential_id)? else {
            // One of our own made-up IDs (from `{email}` options for an unknown email) is answered
            // as a real ID with a forged signature would be, in both flows: otherwise posting it
            // against a usernameless challenge would tell it from a real account's ID.
            let made_up = self.fake_credentials.is_fake(&response.credential_id);
            return Err(if usernameless && !made_up {
                self.unknown_credential_signal(response)
            } else {
                self.not_offered(response, challenge)
            });
        };
        let Some(owner) = self.store.user_by_id(&credential.user_id)? else {
            return Err(self.not_offered(response, challenge));
        };
        *concerned = Some((owner.id.clone(), credential.credential_id.clone()));

        // §7.2 steps 5-6. A challenge issued for a user (sign-in by email) listed exactly that
        // user's credentials as they were when it was issued: the credential must be the user's,
        // and must have existed then. A usernameless one takes any credential whose returned user
        // handle names its owner. Anything else (another user's challenge, an unknown email's) is
        // a credential the ceremony did not offer.
        let named_user = self.challenge_keys.is_bound_to(challenge, Binding::User(&owner.id));
        if named_user {
            let issued_at = challenge.expires_at.saturating_sub(self.challenge_lifetime_ms());
            if credential.created_at > issued_at {
                return Err(self.not_offered(response, challenge));
            }
        } else if !usernameless {
            return Err(self.not_offered(response, challenge));
        }

        let (session, token) = self.new_session_record(&owner.id, true);
        let (verified, outcome) = self.commit_assertion(
            response,
            challenge,
            &credential,
            &owner,
            named_user,
            SessionChange::Create(&session),
        )?;
        match outcome {
            SignInOutcome::SignedIn => Ok(SignIn {
                user_id: owner.id,
                session_id: session.id.clone(),
                token: is_app_origin(&verified.origin).then(|| token.clone()),
                session: self.new_session(session, token),
            }),
            other => Err(self.assertion_outcome_error(challenge, other)),
        }
    }

    /// What every verified assertion goes through, sign-in and step-up alike: the WebAuthn checks
    /// with the credential's key, then (the signature holding) the user handle, backup
    /// eligibility, the U2F `appid` and the counter policy; then, in one transaction, the
    /// challenge's use, the counter and `session`. A failure after the signature spends the
    /// challenge. `handle_optional`: the ceremony named the user, so the authenticator may leave
    /// the user handle out. Its events are stored with it and published once it completed.
    pub(super) fn commit_assertion(
        &self,
        response: &AuthenticationResponse,
        challenge: &CeremonyChallenge,
        credential: &CredentialRecord,
        owner: &UserRecord,
        handle_optional: bool,
        session: SessionChange<'_>,
    ) -> Result<(VerifiedAuthentication, SignInOutcome)> {
        // Validated at registration: a stored key that does not parse is our fault.
        let public_key = crate::key_cache::public_key(&credential.public_key).map_err(Error::internal)?;
        let verified = verify_assertion(
            response,
            &public_key,
            &self.assertion_expectations(challenge, &credential.public_key, credential.counter),
        )
        .map_err(|err| match err.code() {
            // Found after the signature checked out: the challenge is spent.
            ErrorCode::CounterRegression => self.burnt(challenge, err),
            _ => as_forged_signature(err),
        })?;
        // The user handle is checked once the signature holds: checked before, its answer would
        // tell an attacker, who cannot sign, which credential IDs are real.
        let owner_handle = credential.user_handle.as_ref().unwrap_or(&owner.webauthn_user_id);
        match &response.user_handle {
            Some(handle) if handle != owner_handle => {
                return Err(self.burnt(
                    challenge,
                    Error::verification(Check::UserHandle, "userHandle does not match the credential's owner"),
                ));
            }
            None if !handle_optional => {
                return Err(self.burnt(
                    challenge,
                    Error::verification(Check::UserHandle, "userHandle is required for usernameless sign-in"),
                ));
            }
            _ => {}
        }
        // WebAuthn L3 §6.1.3: backup eligibility is fixed when a credential is created. A change
        // means another authenticator, or a forged flag.
        if verified.flags.backup_eligible != credential.backup_eligible {
            return Err(self.burnt(
                challenge,
                Error::verification(Check::BackupFlags, "backup eligibility (BE) differs from registration"),
            ));
        }
        // The AppID is offered to every sign-in when configured (the options cannot know which
        // credential will answer), and honoured only for credentials imported from U2F.
        if response.appid_used && !credential.u2f {
            return Err(self.burnt(
                challenge,
                Error::verification(
                    Check::RpIdHash,
                    "the appid extension applies only to credentials imported from U2F",
                ),
            ));
        }
        if verified.counter_regressed {
            // counterPolicy 'flag': signed in, the credential marked, the operator told.
            crate::log::warning(&format!(
                "signature counter of passkey {} (user {}) went from {} to {}: possible cloned authenticator; \
                 marked cloneWarning (counterPolicy 'flag')",
                base64url::encode(&credential.credential_id),
                owner.id,
                credential.counter,
                verified.counter
            ));
        }
        let now = self.now();
        let event = |kind| Event::new(kind, now).user(&owner.id).credential(&credential.credential_id);
        let mut events = match session {
            SessionChange::Create(new) => vec![event(EventType::SigninSucceeded).session(&new.id)],
            SessionChange::MarkAuthenticated { session_id } => {
                vec![event(EventType::StepupSucceeded).session(session_id)]
            }
        };
        if verified.counter_regressed {
            events.push(event(EventType::CounterRegression));
        }
        // Stored: all but a sign-in's `session.created`, which its `signin.succeeded` row already
        // names (one row less in the sign-in's transaction); the handler gets it.
        let stored = events.len();
        if let SessionChange::Create(new) = session {
            events.push(Event::new(EventType::SessionCreated, now).user(&owner.id).session(&new.id));
        }
        let outcome = self.store.complete_sign_in(&SignInUpdate {
            challenge: challenge.usage(),
            credential_id: &credential.credential_id,
            expected_counter: credential.counter,
            // A regressed counter (accepted under 'flag') leaves the highest value seen stored.
            new_counter: if verified.counter_regressed { credential.counter } else { verified.counter },
            backup_state: verified.flags.backed_up,
            now,
            session,
            clone_warning: verified.counter_regressed,
            audit: self.audit(&events[..stored]),
        })?;
        if outcome == SignInOutcome::SignedIn {
            self.publish(events);
        }
        Ok((verified, outcome))
    }

    /// The error for a committed assertion that did not complete.
    pub(super) fn assertion_outcome_error(&self, challenge: &CeremonyChallenge, outcome: SignInOutcome) -> Error {
        match outcome {
            SignInOutcome::ChallengeUsed => challenge_invalid(),
            // A concurrent sign-in with this credential moved the counter between our read and
            // our write: the same outcome as a regressed counter, and the challenge is spent.
            SignInOutcome::CounterChanged => self.burnt(challenge, counter_regression()),
            SignInOutcome::CredentialGone => {
                self.burnt(challenge, Error::new(ErrorCode::CredentialNotFound, "this passkey is no longer registered"))
            }
            // Revoked (or expired) while the step-up was being verified.
            SignInOutcome::SessionGone => crate::kavach::unauthorized(),
            SignInOutcome::SignedIn => Error::internal("a completed assertion reported as a failure"),
        }
    }
}

impl Kavach {
    /// What an assertion under `challenge` is checked against, for a credential's key and counter.
    fn assertion_expectations<'a>(
        &'a self,
        challenge: &'a CeremonyChallenge,
        credential_public_key: &'a [u8],
        counter: u32,
    ) -> AuthenticationExpectations<'a> {
        AuthenticationExpectations {
            challenge: &challenge.text,
            origins: &self.settings.origins,
            rp_id: &self.settings.rp_id,
            require_user_verification: self.requires_user_verification() || challenge.user_verification_required,
            credential_public_key,
            counter,
            top_origins: &self.settings.top_origins,
            app_id: self.settings.platform.appid.as_deref(),
            counter_policy: self.settings.platform.counter_policy,
        }
    }

    /// A usernameless sign-in (its challenge offered no list, and checked out) with a credential
    /// kavach does not know: `CREDENTIAL_NOT_FOUND`, with the Signal API payload a page hands to
    /// `PublicKeyCredential.signalUnknownCredential`, so the user's passkey manager can forget it.
    /// Nothing is revealed: a usernameless request names no account.
    fn unknown_credential_signal(&self, response: &AuthenticationResponse) -> Error {
        Error::new(ErrorCode::CredentialNotFound, "this passkey is not registered here").with_signal(json!({
            "unknownCredential": {
                "rpId": self.settings.rp_id.as_str(),
                "credentialId": base64url::encode(&response.credential_id),
            }
        }))
    }

    /// A sign-in by email with a credential its challenge did not offer (a made-up one for an
    /// unknown email, another account's, one newer than the challenge). Answered exactly like a
    /// real offered credential with a forged signature, after the same work: every check runs,
    /// against a key nobody holds ([`super::decoy`]), so neither the answer nor its timing tells
    /// a real email from an unknown one.
    pub(super) fn not_offered(&self, response: &AuthenticationResponse, challenge: &CeremonyChallenge) -> Error {
        let outcome = crate::key_cache::public_key(&DECOY_COSE_KEY).and_then(|decoy| {
            verify_assertion(response, &decoy, &self.assertion_expectations(challenge, &DECOY_COSE_KEY, 0))
        });
        match outcome {
            Err(err) => as_forged_signature(err),
            // Unreachable without the decoy's private key, which no longer exists.
            Ok(_) => Error::verification(Check::Signature, "signature does not verify"),
        }
    }
}

/// A signature failure in the words every forged signature gets, whatever the key's algorithm:
/// an ML-DSA key's "signatures are N bytes" would tell a real credential (and its algorithm)
/// from the decoy.
fn as_forged_signature(err: Error) -> Error {
    if err.check() == Some(Check::Signature) {
        Error::verification(Check::Signature, "signature does not verify").with_status(err.status())
    } else {
        err
    }
}

/// A native Android app's origin: the only clients that get their session token in the body.
fn is_app_origin(origin: &str) -> bool {
    origin.starts_with("android:apk-key-hash:")
}

/// PRF inputs as the host passes them: `eval` and/or `evalByCredential`, each `{first, second?}`
/// of base64url salts (credential IDs base64url too). Anything else is `INVALID_REQUEST`.
fn validate_prf_inputs(prf: &serde_json::Value) -> Result<serde_json::Value> {
    let bad = |what: &str| Error::invalid_request(format!("prf.{what}"));
    let values = |value: &serde_json::Value, what: &str| -> Result<()> {
        let object = value.as_object().ok_or_else(|| bad(&format!("{what} must be {{first, second?}}")))?;
        if object.keys().any(|k| k != "first" && k != "second") || !object.contains_key("first") {
            return Err(bad(&format!("{what} must be {{first, second?}}")));
        }
        for (name, salt) in object {
            let text = salt.as_str().ok_or_else(|| bad(&format!("{what}.{name} must be a base64url string")))?;
            base64url::decode(text, &format!("prf.{what}.{name}"))?;
        }
        Ok(())
    };
    let object = prf.as_object().ok_or_else(|| bad("must be {eval?, evalByCredential?}"))?;
    for (key, value) in object {
        match key.as_str() {
            "eval" => values(value, "eval")?,
            "evalByCredential" => {
                let by_credential =
                    value.as_object().ok_or_else(|| bad("evalByCredential must map credential IDs to salts"))?;
                for (id, salts) in by_credential {
                    base64url::decode_canonical(id, "prf.evalByCredential key")?;
                    values(salts, "evalByCredential")?;
                }
            }
            other => return Err(bad(&format!("{other} is not a PRF input (eval, evalByCredential)"))),
        }
    }
    Ok(prf.clone())
}

fn counter_regression() -> Error {
    Error::new(ErrorCode::CounterRegression, "signature counter did not increase: possible cloned authenticator")
}
