//! Stateless challenges (DESIGN §5): what a ceremony needs to remember between its options and
//! its verify travels inside the challenge itself, under a MAC, so issuing one writes nothing.
//!
//! Why: a stored challenge per options request let anyone who can ask for options (one signed-in
//! client for `register/options`, anyone for `authenticate/options`) fill the table and, through
//! the cap that bounded it, deny everyone else their sign-in. A MAC'd challenge costs CPU only.
//!
//! Layout (fixed except for the registration name, which only the signed-in client itself sent):
//!
//! ```text
//! 0       version (1)
//! 1       kind (1 registration, 2 authentication, 3 step-up)
//! 2       flags (bit 0: user verification required; bit 1: conditional create)
//! 3..5    length n of the name, big-endian (registration; 0 otherwise)
//! 5..13   expiry, Unix ms, big-endian
//! 13..29  nonce: 16 random bytes, the key of single use
//! 29..45  binding: HMAC(binding key, nonce || who), truncated: the same shape for a known user,
//!         an unknown email and a usernameless request, and unlinkable across challenges
//! 45..    the name (n bytes of UTF-8)
//! last 16 HMAC-SHA256(MAC key, everything before), truncated to 128 bits
//! ```
//!
//! Keys are derived from `secret` with HKDF, one per purpose; a challenge issued under one of
//! `previousSecrets` still verifies (rotation), and its binding is checked under that same
//! secret. Single use is not the challenge's job: verify writes its nonce to a consumed-nonce
//! table in the transaction that completes the ceremony (see `store`).

use aws_lc_rs::{constant_time, hkdf, hmac};

use super::challenge_invalid;
use crate::base64url;
use crate::error::Result;
use crate::random::random_bytes;
use crate::webauthn::client_data::Challenge;

const VERSION: u8 = 1;
const HEADER: usize = 45;
const TAG: usize = 16;

/// Challenges outlive the ceremony timeout by this much: the browser's timer starts after ours.
pub(crate) const GRACE_MS: i64 = 30_000;
/// How far instances' clocks may disagree: a challenge may claim an expiry this much later than
/// this instance would have issued, and a consumed nonce is kept this much past its expiry.
pub(crate) const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// The ceremony a challenge was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Registration = 1,
    Authentication = 2,
    /// A passkey check inside an existing session (DESIGN §10): bound to that session.
    StepUp = 3,
}

/// Who a challenge is for, as the binding hashes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Binding<'a> {
    /// A known user (registration; sign-in by the email of an account).
    User(&'a str),
    /// Sign-in by an email that has no account.
    UnknownEmail(&'a str),
    /// Usernameless sign-in: anyone whose credential and user handle match.
    Anyone,
    /// A step-up: the session (by id) it was issued in.
    Session(&'a str),
}

/// What a ceremony's options said, to be carried to its verify.
#[derive(Debug, Clone)]
pub(crate) struct Issue<'a> {
    pub(crate) kind: Kind,
    pub(crate) binding: Binding<'a>,
    pub(crate) user_verification_required: bool,
    /// Registration: a conditional create (automatic passkey upgrade), whose response may come
    /// without user presence.
    pub(crate) conditional: bool,
    pub(crate) expires_at: i64,
    /// Registration: the name the client asked for.
    pub(crate) name: Option<&'a str>,
}

/// A challenge whose MAC, kind and expiry checked out.
#[derive(Debug, Clone)]
pub(crate) struct CeremonyChallenge {
    /// As it appears in clientDataJSON.
    pub(crate) text: Challenge,
    pub(crate) nonce: [u8; 16],
    pub(crate) expires_at: i64,
    pub(crate) user_verification_required: bool,
    pub(crate) conditional: bool,
    pub(crate) name: Option<String>,
    binding: [u8; 16],
    /// Which secret verified it: the binding is checked under the same one.
    secret_index: usize,
}

/// The per-purpose keys of one secret.
struct SecretKeys {
    mac: hmac::Key,
    binding: hmac::Key,
}

/// The keys of `secret` (issuing) and `previousSecrets` (verifying only).
pub(crate) struct ChallengeKeys {
    secrets: Vec<SecretKeys>,
}

impl std::fmt::Debug for ChallengeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChallengeKeys").field("secrets", &self.secrets.len()).finish_non_exhaustive()
    }
}

impl ChallengeKeys {
    /// Keys for `current` (first) and each of `previous`.
    pub(crate) fn new(current: &[u8], previous: &[Vec<u8>]) -> Self {
        let secrets = std::iter::once(current)
            .chain(previous.iter().map(Vec::as_slice))
            .map(|secret| SecretKeys {
                mac: derive(secret, b"kavach challenge mac v1"),
                binding: derive(secret, b"kavach challenge binding v1"),
            })
            .collect();
        Self { secrets }
    }

    /// A new challenge, under the current secret.
    pub(crate) fn issue(&self, issue: &Issue<'_>) -> String {
        let keys = &self.secrets[0];
        let nonce = random_bytes::<16>();
        // Names are validated to 64 characters (at most 256 bytes) before they get here.
        let name = issue.name.map(str::as_bytes).unwrap_or_default();
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let name = &name[..usize::from(name_len)];
        let mut bytes = Vec::with_capacity(HEADER + name.len() + TAG);
        bytes.push(VERSION);
        bytes.push(issue.kind as u8);
        bytes.push(u8::from(issue.user_verification_required) | (u8::from(issue.conditional) << 1));
        bytes.extend_from_slice(&name_len.to_be_bytes());
        bytes.extend_from_slice(&issue.expires_at.to_be_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&binding_tag(keys, &nonce, issue.binding));
        bytes.extend_from_slice(name);
        let tag = hmac::sign(&keys.mac, &bytes);
        bytes.extend_from_slice(&tag.as_ref()[..TAG]);
        base64url::encode(&bytes)
    }

    /// The challenge named by a response, if it is one of ours, of `kind`, unexpired at `now`,
    /// and no longer-lived than `max_lifetime_ms` allows (a challenge can only tighten policy,
    /// never extend it). Anything else is `CHALLENGE_INVALID`: to a client, a forged, expired or
    /// foreign challenge is the same dead end.
    pub(crate) fn open(&self, text: &str, kind: Kind, now: i64, max_lifetime_ms: i64) -> Result<CeremonyChallenge> {
        let bytes = base64url::decode_canonical(text, "challenge").map_err(|_| challenge_invalid())?;
        if bytes.len() < HEADER + TAG || bytes[0] != VERSION {
            return Err(challenge_invalid());
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG);
        let secret_index = self
            .secrets
            .iter()
            .position(|keys| {
                constant_time::verify_slices_are_equal(&hmac::sign(&keys.mac, body).as_ref()[..TAG], tag).is_ok()
            })
            .ok_or_else(challenge_invalid)?;
        // Authentic from here on: only we write these bytes.
        let name_len = usize::from(u16::from_be_bytes([body[3], body[4]]));
        if body[1] != kind as u8 || body.len() != HEADER + name_len {
            return Err(challenge_invalid());
        }
        let expires_at = i64::from_be_bytes(body[5..13].try_into().map_err(|_| challenge_invalid())?);
        let latest = now.saturating_add(max_lifetime_ms).saturating_add(CLOCK_SKEW_MS);
        if expires_at <= now || expires_at > latest {
            return Err(challenge_invalid());
        }
        let name = match name_len {
            0 => None,
            _ => Some(String::from_utf8(body[HEADER..].to_vec()).map_err(|_| challenge_invalid())?),
        };
        Ok(CeremonyChallenge {
            text: Challenge::issued(text),
            nonce: body[13..29].try_into().map_err(|_| challenge_invalid())?,
            binding: body[29..45].try_into().map_err(|_| challenge_invalid())?,
            expires_at,
            user_verification_required: body[2] & 1 != 0,
            conditional: body[2] & 2 != 0,
            name,
            secret_index,
        })
    }

    /// Whether `challenge` was issued for `binding`.
    pub(crate) fn is_bound_to(&self, challenge: &CeremonyChallenge, binding: Binding<'_>) -> bool {
        let keys = &self.secrets[challenge.secret_index];
        constant_time::verify_slices_are_equal(&binding_tag(keys, &challenge.nonce, binding), &challenge.binding)
            .is_ok()
    }
}

/// HKDF-SHA256 (RFC 5869) of the secret, one output key per purpose.
fn derive(secret: &[u8], purpose: &[u8]) -> hmac::Key {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"kavach").extract(secret);
    // 32 bytes for HMAC-SHA256 is always a valid HKDF-SHA256 output length (at most 255 * 32).
    let info = [purpose];
    let okm = prk.expand(&info, hmac::HMAC_SHA256).expect("32-byte HKDF output");
    hmac::Key::from(okm)
}

fn binding_tag(keys: &SecretKeys, nonce: &[u8; 16], binding: Binding<'_>) -> [u8; 16] {
    let mut context = hmac::Context::with_key(&keys.binding);
    context.update(nonce);
    match binding {
        Binding::User(id) => {
            context.update(b"\x01user\0");
            context.update(id.as_bytes());
        }
        Binding::UnknownEmail(email) => {
            context.update(b"\x02email\0");
            context.update(email.as_bytes());
        }
        Binding::Anyone => context.update(b"\x03anyone"),
        Binding::Session(id) => {
            context.update(b"\x04session\0");
            context.update(id.as_bytes());
        }
    }
    let tag = context.sign();
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.as_ref()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const LIFETIME: i64 = 90_000;

    fn keys() -> ChallengeKeys {
        ChallengeKeys::new(b"current secret of at least 32 bytes!!", &[])
    }

    fn issue(keys: &ChallengeKeys, binding: Binding<'_>, name: Option<&str>) -> String {
        keys.issue(&Issue {
            kind: Kind::Authentication,
            binding,
            user_verification_required: true,
            conditional: false,
            expires_at: NOW + LIFETIME,
            name,
        })
    }

    #[test]
    fn round_trips_what_the_options_said() {
        let keys = keys();
        let text = keys.issue(&Issue {
            kind: Kind::Registration,
            binding: Binding::User("u1"),
            user_verification_required: false,
            conditional: false,
            expires_at: NOW + LIFETIME,
            name: Some("Laptop ✓"),
        });
        let challenge = keys.open(&text, Kind::Registration, NOW, LIFETIME).unwrap();
        assert_eq!(challenge.expires_at, NOW + LIFETIME);
        assert_eq!(challenge.name.as_deref(), Some("Laptop ✓"));
        assert!(!challenge.user_verification_required);
        assert!(keys.is_bound_to(&challenge, Binding::User("u1")));
        assert!(!keys.is_bound_to(&challenge, Binding::User("u2")));
        assert!(!keys.is_bound_to(&challenge, Binding::Anyone));
    }

    #[test]
    fn known_unknown_and_usernameless_challenges_look_alike() {
        let keys = keys();
        let texts = [
            issue(&keys, Binding::User("0b6f3c2e-8a57-4a7a-9d2e-1f3c5b7a9d0e"), None),
            issue(&keys, Binding::UnknownEmail("nobody@example.com"), None),
            issue(&keys, Binding::Anyone, None),
        ];
        assert!(texts.iter().all(|t| t.len() == texts[0].len()), "{texts:?}");
        // Two challenges for the same user share no binding bytes (unlinkable).
        let a = keys.open(&issue(&keys, Binding::User("u1"), None), Kind::Authentication, NOW, LIFETIME).unwrap();
        let b = keys.open(&issue(&keys, Binding::User("u1"), None), Kind::Authentication, NOW, LIFETIME).unwrap();
        assert_ne!(a.binding, b.binding);
        assert_ne!(a.nonce, b.nonce);
    }

    #[test]
    fn forged_expired_foreign_and_overlong_challenges_are_invalid() {
        let keys = keys();
        let text = issue(&keys, Binding::Anyone, None);
        let open = |text: &str, kind, now| keys.open(text, kind, now, LIFETIME).map(|_| ());
        assert!(open(&text, Kind::Authentication, NOW).is_ok());
        assert!(open(&text, Kind::Registration, NOW).is_err(), "another ceremony's challenge");
        assert!(open(&text, Kind::Authentication, NOW + LIFETIME).is_err(), "expired");
        // Every single-bit change is caught by the MAC.
        let bytes = base64url::decode_canonical(&text, "c").unwrap();
        for i in 0..bytes.len() * 8 {
            let mut forged = bytes.clone();
            forged[i / 8] ^= 1 << (i % 8);
            assert!(open(&base64url::encode(&forged), Kind::Authentication, NOW).is_err(), "bit {i}");
        }
        let other = ChallengeKeys::new(b"another secret of at least 32 bytes!!", &[]);
        assert!(other.open(&text, Kind::Authentication, NOW, LIFETIME).is_err(), "another secret's");
        assert!(open("", Kind::Authentication, NOW).is_err());
        assert!(open(&base64url::encode(&[1; 32]), Kind::Authentication, NOW).is_err());
        // An expiry later than this configuration allows (a previous secret from a configuration
        // with a longer timeout) does not extend the ceremony.
        let long = keys.issue(&Issue {
            kind: Kind::Authentication,
            binding: Binding::Anyone,
            user_verification_required: false,
            conditional: false,
            expires_at: NOW + LIFETIME + CLOCK_SKEW_MS + 1,
            name: None,
        });
        assert!(open(&long, Kind::Authentication, NOW).is_err());
    }

    #[test]
    fn previous_secrets_verify_but_never_issue() {
        let old = ChallengeKeys::new(b"old secret of at least thirty-two bytes", &[]);
        let issued_before_rotation = issue(&old, Binding::User("u1"), None);
        let rotated = ChallengeKeys::new(
            b"new secret of at least thirty-two bytes",
            &[b"old secret of at least thirty-two bytes".to_vec()],
        );
        let challenge = rotated.open(&issued_before_rotation, Kind::Authentication, NOW, LIFETIME).unwrap();
        assert!(rotated.is_bound_to(&challenge, Binding::User("u1")), "the binding is checked under the same secret");
        let fresh = issue(&rotated, Binding::Anyone, None);
        assert!(old.open(&fresh, Kind::Authentication, NOW, LIFETIME).is_err(), "issued under the new secret");
    }
}
