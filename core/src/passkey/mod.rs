//! The passkey ceremonies (DESIGN §3): WebAuthn verification plus the state around it.
//!
//! Each ceremony is two calls. `*_options` issues a random challenge and stores it with the
//! ceremony's state; `*_verify` first consumes that challenge atomically (so a response can be
//! used at most once, even by concurrent requests), then verifies the response against it.

mod authentication;
mod credentials;
mod registration;

pub use authentication::SignIn;
pub use credentials::{AttestationInfo, Credential};
pub use registration::RegisterOptionsRequest;

use serde::{Deserialize, Serialize};

use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::kavach::Kavach;
use crate::session::random_bytes;
use crate::store::{ChallengeKind, ChallengeRecord};
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
        self.store.insert_challenge(&record, now)?;
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
        let invalid = || {
            Error::new(ErrorCode::ChallengeInvalid, "the challenge is unknown, expired or already used; start again")
        };
        let record = self.store.take_challenge(&challenge, self.now())?.ok_or_else(invalid)?;
        if record.kind != kind || (user_id.is_some() && record.user_id.as_deref() != user_id) {
            return Err(invalid());
        }
        let state = serde_json::from_str(&record.state).map_err(Error::internal)?;
        Ok((record, state))
    }

    fn requires_user_verification(&self) -> bool {
        self.settings.user_verification == UserVerification::Required
    }
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
