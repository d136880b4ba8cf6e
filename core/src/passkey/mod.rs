//! The passkey ceremonies (DESIGN §3): WebAuthn verification plus the state around it.
//!
//! Each ceremony is two calls. `*_options` issues a challenge that carries, under a MAC, what
//! the verify needs to know (see [`challenge`]): options write nothing. `*_verify` opens the
//! challenge, verifies the response against it and then, in one durable transaction, records the
//! challenge's nonce as used and writes the ceremony's result (the credential; or the counter and
//! the new session). A response is so accepted at most once, even by concurrent requests on
//! several instances. A verify that fails after the signature checked out (a counter regression,
//! a refused attestation, a credential already registered) uses the challenge up with a relaxed
//! commit; earlier failures write nothing, so garbage posted to verify costs no storage.

mod authentication;
mod challenge;
mod credentials;
mod decoy;
mod fake_credentials;
mod import;
mod registration;
mod step_up;

pub use authentication::{SignIn, Verified};
pub use credentials::{AttestationInfo, Credential};
pub use import::ImportedCredential;
pub use registration::{Mediation, RegisterOptionsRequest};
pub use step_up::StepUp;

pub(crate) use challenge::ChallengeKeys;
pub(crate) use fake_credentials::FakeCredentials;

use self::challenge::{Binding, CLOCK_SKEW_MS, CeremonyChallenge, GRACE_MS, Issue, Kind};
use crate::error::ErrorCode;
use crate::error::{Error, Result};
use crate::kavach::Kavach;
use crate::store::ChallengeUse;
use crate::webauthn::options::UserVerification;

impl Kavach {
    /// How long a challenge lives: the ceremony timeout plus the grace for the browser's timer,
    /// which starts after ours.
    fn challenge_lifetime_ms(&self) -> i64 {
        i64::from(self.settings.timeout_ms) + GRACE_MS
    }

    /// A fresh challenge for `kind`, bound to `binding`.
    fn issue_challenge(&self, kind: Kind, binding: Binding<'_>, name: Option<&str>) -> String {
        self.challenge_keys.issue(&Issue {
            kind,
            binding,
            user_verification_required: self.requires_user_verification(),
            conditional: false,
            expires_at: self.now().saturating_add(self.challenge_lifetime_ms()),
            name,
        })
    }

    /// A registration challenge for a conditional create (automatic passkey upgrade): its
    /// response may lack user presence and verification (`conditionalCreate` is refused at
    /// start-up when `userVerification` is `required`).
    fn issue_conditional_challenge(&self, binding: Binding<'_>, name: Option<&str>) -> String {
        self.challenge_keys.issue(&Issue {
            kind: Kind::Registration,
            binding,
            user_verification_required: false,
            conditional: true,
            expires_at: self.now().saturating_add(self.challenge_lifetime_ms()),
            name,
        })
    }

    /// The challenge named in the response's client data: one of ours, of this kind, unexpired.
    fn open_challenge(&self, response: &serde_json::Value, kind: Kind) -> Result<CeremonyChallenge> {
        let text = crate::webauthn::response::challenge_of(response)?;
        self.challenge_keys.open(&text, kind, self.now(), self.challenge_lifetime_ms())
    }

    /// Uses up a challenge whose response failed after its signature checked out: a challenge
    /// answers one response, right or wrong. Returns false if it was already used (by another
    /// request: a double submit or a replay). Best effort (it expires anyway): a storage failure
    /// here counts as burnt and is not reported.
    fn burn_challenge(&self, challenge: &CeremonyChallenge) -> bool {
        !matches!(self.store.use_challenge(&challenge.usage(), self.now()), Ok(false))
    }

    /// `err`, unless the challenge turns out to be used already: then that, not what this copy of
    /// the response tripped over (e.g. the counter the first copy moved), is the error.
    fn burnt(&self, challenge: &CeremonyChallenge, err: Error) -> Error {
        if self.burn_challenge(challenge) { err } else { challenge_invalid() }
    }

    /// UV is required by configuration, or by what the challenge's options said.
    fn requires_user_verification(&self) -> bool {
        self.settings.user_verification == UserVerification::Required
    }
}

impl CeremonyChallenge {
    /// Its single use, as the store records it.
    fn usage(&self) -> ChallengeUse<'_> {
        ChallengeUse { nonce: &self.nonce, keep_until: self.expires_at.saturating_add(CLOCK_SKEW_MS) }
    }
}

/// The error for a challenge that is not one of ours, expired, used, or issued for another user
/// or ceremony: to a client, the same dead end.
pub(crate) fn challenge_invalid() -> Error {
    Error::new(ErrorCode::ChallengeInvalid, "the challenge is unknown, expired or already used; start again")
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
