//! Parsed credential public keys, kept between verifications: parsing a COSE key (CBOR, then the
//! curve point or RSA modulus checks aws-lc-rs does on import) is repeated work for a key that
//! never changes (measured: stateless ES256 verification through Python over 256 credentials,
//! 22,500 -> 23,600 per CPU-second with the cache).
//!
//! One cache for the process, shared by the ceremonies and the stateless verifiers: entries are
//! keyed by the COSE bytes, so sharing cannot mix keys up.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use crate::error::Result;
use crate::webauthn::CredentialPublicKey;

/// Most keys kept. A full cache is emptied and starts again (a bounded, cheap policy; the keys of
/// active users come back at their next sign-in).
const MAX_KEYS: usize = 4_096;

/// Most COSE bytes kept, so that large keys cannot stretch the memory bound: 4,096 ES256 keys are
/// about 0.3 MB, while ML-DSA-87 keys (2.6 KB each, plus the parsed key aws-lc-rs keeps) would be
/// tens of MB at the key count alone. 4 MiB holds about 1,600 ML-DSA-87 or 3,100 ML-DSA-44 keys.
const MAX_COSE_BYTES: usize = 4 << 20;

/// The process's cache.
static PUBLIC_KEYS: LazyLock<KeyCache> = LazyLock::new(KeyCache::default);

/// The parsed key for these COSE bytes, from the process's cache. A key that does not parse is
/// the parse error (not cached).
pub(crate) fn public_key(cose: &[u8]) -> Result<Arc<CredentialPublicKey>> {
    PUBLIC_KEYS.get(cose)
}

/// Keys by their COSE bytes, so a cached entry can never stand for different bytes (a credential
/// deleted and registered again with another key simply misses).
#[derive(Default)]
struct KeyCache {
    keys: Mutex<Keys>,
}

#[derive(Default)]
struct Keys {
    by_cose: HashMap<Vec<u8>, Arc<CredentialPublicKey>>,
    /// Sum of the COSE byte lengths in `by_cose`.
    cose_bytes: usize,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").field("keys", &self.keys.lock().by_cose.len()).finish()
    }
}

impl KeyCache {
    fn get(&self, cose: &[u8]) -> Result<Arc<CredentialPublicKey>> {
        if let Some(key) = self.keys.lock().by_cose.get(cose) {
            return Ok(Arc::clone(key));
        }
        // Parsed outside the lock: two threads may both parse a new key, which is harmless.
        let key = Arc::new(CredentialPublicKey::from_cose(cose)?);
        let mut keys = self.keys.lock();
        if keys.by_cose.len() >= MAX_KEYS || keys.cose_bytes.saturating_add(cose.len()) > MAX_COSE_BYTES {
            keys.by_cose.clear();
            keys.cose_bytes = 0;
        }
        if keys.by_cose.insert(cose.to_vec(), Arc::clone(&key)).is_none() {
            keys.cose_bytes = keys.cose_bytes.saturating_add(cose.len());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A P-256 COSE key (kty 2, alg -7, crv 1, x, y): the generator point.
    fn cose_p256() -> Vec<u8> {
        let x = hex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296");
        let y = hex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
        let mut out = vec![0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        out.extend_from_slice(&x);
        out.extend_from_slice(&[0x22, 0x58, 0x20]);
        out.extend_from_slice(&y);
        out
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn caches_by_bytes_and_stays_bounded() {
        let cache = KeyCache::default();
        let first = cache.get(&cose_p256()).unwrap();
        let again = cache.get(&cose_p256()).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second lookup is served from the cache");
        assert!(cache.get(b"not cbor").is_err(), "a broken stored key is an error, not cached");
        {
            let mut keys = cache.keys.lock();
            keys.by_cose.clear();
            keys.by_cose.extend((0..MAX_KEYS).map(|i| (i.to_be_bytes().to_vec(), Arc::clone(&first))));
        }
        cache.get(&cose_p256()).unwrap();
        assert_eq!(cache.keys.lock().by_cose.len(), 1, "a full cache starts again rather than grow");
    }

    #[test]
    fn large_keys_are_bounded_by_bytes_not_only_by_count() {
        let cache = KeyCache::default();
        let key = cache.get(&cose_p256()).unwrap();
        {
            // Two entries that fill the byte budget, far below the key count bound.
            let mut keys = cache.keys.lock();
            keys.by_cose.clear();
            keys.by_cose.insert(vec![1; MAX_COSE_BYTES / 2], Arc::clone(&key));
            keys.by_cose.insert(vec![2; MAX_COSE_BYTES / 2], Arc::clone(&key));
            keys.cose_bytes = MAX_COSE_BYTES;
        }
        cache.get(&cose_p256()).unwrap();
        let keys = cache.keys.lock();
        assert_eq!(keys.by_cose.len(), 1, "a cache over its byte budget starts again");
        assert_eq!(keys.cose_bytes, cose_p256().len());
    }
}
