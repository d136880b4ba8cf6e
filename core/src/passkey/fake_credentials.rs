//! Fake `allowCredentials` for emails that have no account (DESIGN §6), so that sign-in options
//! by email do not tell who has one.
//!
//! A fake list must look like a real user's: as many descriptors as people have passkeys, with
//! the ID lengths and transports real authenticators report, and the same members. A fixed shape
//! (one 32-byte ID, say) would give every unknown email away at a glance; a shape copied from
//! this database's own users would leak them. So the shapes follow a model of real authenticators
//! ([`KINDS`], [`COUNTS`]), chosen per email by a keyed hash: stable for an email (asking twice
//! gives the same answer, as it does for a real user), unpredictable without the key. The key is
//! random, generated once and stored in the database (`kavach_keys`), so the fakes do not change
//! when `secret` is rotated, and every instance agrees on them.
//!
//! Each made-up ID ends in an 8-byte keyed tag, so a sign-in can recognise one of ours
//! ([`FakeCredentials::is_fake`]) and answer it as a real ID with a forged signature is answered,
//! in the usernameless flow too (where an ID kavach does not know is otherwise signalled unknown).
//!
//! What remains: an observer who can compare a person's real authenticators with the answer (or
//! who watches an email's answer change when its owner adds a passkey) can still tell.

use aws_lc_rs::hmac;

use crate::base64url;
use crate::webauthn::options::CredentialDescriptor;

/// Credential ID length and reported transports of common authenticators, weighted per mille:
/// iCloud Keychain (20 bytes), Google Password Manager and third-party password managers
/// (16), Windows Hello (32), platform authenticators reporting `internal` only, security keys
/// (48-64 bytes over USB and NFC), and clients that report no transports.
const KINDS: [(u16, usize, &[&str]); 9] = [
    (300, 20, &["hybrid", "internal"]),
    (280, 16, &["hybrid", "internal"]),
    (120, 32, &["internal"]),
    (60, 16, &["internal"]),
    (100, 64, &["nfc", "usb"]),
    (40, 64, &["usb"]),
    (30, 48, &["usb"]),
    (40, 16, &[]),
    (30, 32, &[]),
];

/// How many passkeys an account has, weighted per mille (1 to 5).
const COUNTS: [(u16, usize); 5] = [(600, 1), (280, 2), (90, 3), (20, 4), (10, 5)];

/// Derives fake descriptors from the instance key.
pub(crate) struct FakeCredentials {
    key: hmac::Key,
}

impl std::fmt::Debug for FakeCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCredentials").finish_non_exhaustive()
    }
}

impl FakeCredentials {
    /// Fakes keyed by the instance's random `key`.
    pub(crate) fn new(key: &[u8]) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, key) }
    }

    /// The stable fake descriptors for an email (its case-insensitive key).
    pub(crate) fn for_email(&self, email_key: &str) -> Vec<CredentialDescriptor> {
        let draw = |label: &[u8], index: u8| {
            let mut context = hmac::Context::with_key(&self.key);
            context.update(b"kavach fake credential v1\0");
            context.update(email_key.as_bytes());
            context.update(&[0, index]);
            context.update(label);
            context.sign()
        };
        let count = pick(&COUNTS, per_mille(draw(b"count", 0).as_ref()));
        (1..=count as u8)
            .map(|index| {
                let (length, transports) = pick(
                    &KINDS.map(|(weight, length, transports)| (weight, (length, transports))),
                    per_mille(draw(b"kind", index).as_ref()),
                );
                let mut id = Vec::with_capacity(64);
                id.extend_from_slice(draw(b"id1", index).as_ref());
                id.extend_from_slice(draw(b"id2", index).as_ref());
                id.truncate(length - TAG_LEN);
                let tag = self.tag(&id);
                id.extend_from_slice(&tag);
                CredentialDescriptor::new(base64url::encode(&id), transports.iter().map(|t| (*t).to_owned()).collect())
            })
            .collect()
    }
}

/// Bytes of keyed tag at the end of every made-up ID (a real ID passes as one of ours with
/// probability 2^-64).
const TAG_LEN: usize = 8;

impl FakeCredentials {
    /// Whether `id` is one of the made-up IDs (for any email).
    pub(crate) fn is_fake(&self, id: &[u8]) -> bool {
        id.len() >= 2 * TAG_LEN && {
            let (body, tag) = id.split_at(id.len() - TAG_LEN);
            aws_lc_rs::constant_time::verify_slices_are_equal(&self.tag(body), tag).is_ok()
        }
    }

    fn tag(&self, body: &[u8]) -> [u8; TAG_LEN] {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(b"kavach fake credential tag v1\0");
        context.update(body);
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&context.sign().as_ref()[..TAG_LEN]);
        tag
    }
}

/// A value in `0..1000` from the first bytes of a tag.
fn per_mille(tag: &[u8]) -> u16 {
    u16::from_be_bytes([tag[0], tag[1]]) % 1000
}

/// The entry of a per-mille weighted table that `draw` (0..1000) falls into.
fn pick<T: Copy>(table: &[(u16, T)], draw: u16) -> T {
    let mut cumulative = 0;
    for &(weight, value) in table {
        cumulative += weight;
        if draw < cumulative {
            return value;
        }
    }
    table[table.len() - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_add_up_to_one() {
        assert_eq!(KINDS.iter().map(|k| k.0).sum::<u16>(), 1000);
        assert_eq!(COUNTS.iter().map(|c| c.0).sum::<u16>(), 1000);
    }

    #[test]
    fn stable_per_email_and_key_varied_across_them() {
        let fakes = FakeCredentials::new(&[7; 32]);
        assert_eq!(fakes.for_email("a@example.com"), fakes.for_email("a@example.com"));
        assert_ne!(fakes.for_email("a@example.com"), fakes.for_email("b@example.com"));
        assert_ne!(FakeCredentials::new(&[8; 32]).for_email("a@example.com"), fakes.for_email("a@example.com"));
        let counts: std::collections::BTreeSet<usize> =
            (0..300).map(|i| fakes.for_email(&format!("{i}@example.com")).len()).collect();
        assert_eq!(counts, (1..=5).collect(), "every count appears");
    }

    #[test]
    fn made_up_ids_are_recognised_and_real_ones_are_not() {
        let fakes = FakeCredentials::new(&[7; 32]);
        for i in 0..100 {
            for descriptor in fakes.for_email(&format!("{i}@example.com")) {
                let id = base64url::decode(&descriptor.id, "id").unwrap();
                assert!(fakes.is_fake(&id));
                assert!(!FakeCredentials::new(&[8; 32]).is_fake(&id), "another instance key");
                let mut flipped = id.clone();
                flipped[0] ^= 1;
                assert!(!fakes.is_fake(&flipped));
            }
        }
        assert!(!fakes.is_fake(&[0; 32]));
        assert!(!fakes.is_fake(&[]));
    }
}
