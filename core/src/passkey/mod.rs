//! The passkey ceremonies (DESIGN §3): WebAuthn verification plus the state around it.
//!
//! Each ceremony is two calls. `*_options` issues a random challenge and stores it with the
//! ceremony's state; `*_verify` consumes that challenge atomically (so a response can be used at
//! most once, even by concurrent requests) and verifies the response against it. Registration
//! consumes it first; sign-in reads it, verifies, and consumes it in the transaction that moves
//! the counter and saves the session (one durable commit, and no challenge used up by a sign-in
//! that was never saved).

mod authentication;
mod credentials;
mod registration;

pub use authentication::SignIn;
pub use credentials::{AttestationInfo, Credential};
pub use registration::RegisterOptionsRequest;

use serde::{Deserialize, Serialize};

use crate::base64url;
use crate::error::{Error, Result};
use crate::kavach::Kavach;
use crate::session::random_bytes;
use crate::store::{ChallengeKind, ChallengeRecord, challenge_invalid};
use crate::webauthn::options::UserVerification;

/// Challenges outlive the ceremony timeout by this much: the browser's timer starts after ours.
const CHALLENGE_GRACE_MS: i64 = 30_000;

/// State kept with a challenge until its response arrives.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CeremonyState {
    /// Registration: the name the user asked for at options time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Authentication: the credential IDs offered in `allowCredentials` (empty = any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    allow: Vec<String>,
}

impl Kavach {
    /// Issues a fresh 32-byte challenge for `kind`, stored with `state`.
    fn issue_challenge(&self, kind: ChallengeKind, user_id: Option<&str>, state: &CeremonyState) -> Result<String> {
        let challenge = base64url::encode(&random_bytes::<32>());
        let now = self.now();
        let record = ChallengeRecord {
            challenge: challenge.clone(),
            kind,
            user_id: user_id.map(str::to_owned),
            state: serde_json::to_string(state).map_err(Error::internal)?,
            expires_at: now + i64::from(self.settings.timeout_ms) + CHALLENGE_GRACE_MS,
        };
        self.challenge_budget.admit(self.store.as_ref(), now)?;
        if let Err(err) = self.store.insert_challenge(&record, now) {
            self.challenge_budget.release();
            return Err(err);
        }
        Ok(challenge)
    }

    /// Consumes the challenge named in the response's client data. It must exist, be unexpired,
    /// be of this kind and (when the ceremony is bound to a user) belong to `user_id`.
    fn consume_challenge(
        &self,
        response: &serde_json::Value,
        kind: ChallengeKind,
        user_id: Option<&str>,
    ) -> Result<(ChallengeRecord, CeremonyState)> {
        let challenge = crate::webauthn::response::challenge_of(response)?;
        let record = self.store.take_challenge(&challenge, self.now())?;
        checked_challenge(record, kind, user_id)
    }

    /// The challenge named in the response's client data, checked like
    /// [`Kavach::consume_challenge`] but left in place: the caller consumes it in the same
    /// transaction as the ceremony's other writes, or with [`Kavach::burn_challenge`] on failure.
    fn find_challenge(
        &self,
        response: &serde_json::Value,
        kind: ChallengeKind,
    ) -> Result<(ChallengeRecord, CeremonyState)> {
        let challenge = crate::webauthn::response::challenge_of(response)?;
        let record = self.store.peek_challenge(&challenge, self.now())?;
        checked_challenge(record, kind, None)
    }

    /// Uses up a challenge whose response failed: a challenge answers one response, right or
    /// wrong. Returns false if it was already gone (used by another request, or expired). Best
    /// effort (it expires anyway): a storage failure here counts as burnt and is not reported.
    fn burn_challenge(&self, challenge: &str) -> bool {
        !matches!(self.store.take_challenge(challenge, self.now()), Ok(None))
    }

    fn requires_user_verification(&self) -> bool {
        self.settings.user_verification == UserVerification::Required
    }
}

fn checked_challenge(
    record: Option<ChallengeRecord>,
    kind: ChallengeKind,
    user_id: Option<&str>,
) -> Result<(ChallengeRecord, CeremonyState)> {
    let record = record.ok_or_else(challenge_invalid)?;
    if record.kind != kind || (user_id.is_some() && record.user_id.as_deref() != user_id) {
        return Err(challenge_invalid());
    }
    let state = serde_json::from_str(&record.state).map_err(Error::internal)?;
    Ok((record, state))
}

/// Accepts a response either bare, as `startRegistration` / `startAuthentication` return it, or
/// wrapped as `{response, ...}`; returns the response and the wrapper (if any).
fn unwrap_response(
    body: &serde_json::Value,
) -> Result<(&serde_json::Value, Option<&serde_json::Map<String, serde_json::Value>>)> {
    let object = body.as_object().ok_or_else(|| Error::invalid_request("body must be a JSON object"))?;
    if object.contains_key("id") {
        return Ok((body, None));
    }
    match object.get("response") {
        Some(inner) if inner.is_object() => Ok((inner, Some(object))),
        _ => Err(Error::invalid_request("body must be the credential response JSON, bare or as {response}")),
    }
}
