//! COSE_Key parsing (`CredentialPublicKey::from_cose`) and signature verification with the parsed
//! key. Input: the first byte splits the rest into a key and a signature.
//!
//! Invariants: errors are VERIFICATION_FAILED with a safe message; a parsed key has a supported
//! algorithm whose COSE kty/crv the input really declares (AKP keys for ML-DSA: `pub` of exactly
//! the parameter set's size, no `priv`); verifying any signature with it returns (never panics)
//! and random bytes never verify.
#![no_main]

use ciborium::Value as Cbor;
use kavach_core::ErrorCode;
use kavach_core::fuzzing::{CoseAlgorithm, CredentialPublicKey};
use kavach_fuzz::assert_safe_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (split, rest) = data.split_first().map_or((0, data), |(s, r)| (*s as usize, r));
    let (key, signature) = if split == 0 || split > rest.len() {
        (rest, &[][..])
    } else {
        rest.split_at(rest.len() - split.min(rest.len()))
    };
    match CredentialPublicKey::from_cose(key) {
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::VerificationFailed, "{err}");
            assert_safe_message(err.message(), "", &|| format!("key {key:02x?}"));
        }
        Ok(parsed) => {
            let alg = parsed.algorithm();
            assert!(CoseAlgorithm::ALL.contains(&alg));
            // Independently: the CBOR map declares this alg and the matching kty.
            let value: Cbor = ciborium::de::from_reader(key).expect("parsed key is CBOR");
            let map = value.as_map().expect("parsed key is a map");
            let int = |label: i64| {
                map.iter()
                    .find(|(k, _)| k.as_integer() == Some(label.into()))
                    .and_then(|(_, v)| v.as_integer())
                    .and_then(|i| i64::try_from(i).ok())
            };
            assert_eq!(int(3), Some(alg.id()), "alg label");
            let kty = match alg {
                CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519 => 1,
                CoseAlgorithm::Es256 | CoseAlgorithm::Es384 | CoseAlgorithm::Es512 => 2,
                CoseAlgorithm::MlDsa44 | CoseAlgorithm::MlDsa65 | CoseAlgorithm::MlDsa87 => 7,
                _ => 3, // PS256, PS384, PS512, RS256
            };
            assert_eq!(int(1), Some(kty), "kty for {alg:?}");
            // AKP (RFC 9964): `pub` is exactly the parameter set's size and `priv` is absent.
            if let Some((public_len, _)) = alg.ml_dsa_sizes() {
                let public =
                    map.iter().find(|(k, _)| k.as_integer() == Some((-1).into())).and_then(|(_, v)| v.as_bytes());
                assert_eq!(public.map(Vec::len), Some(public_len), "{alg:?} pub length");
                assert!(!map.iter().any(|(k, _)| k.as_integer() == Some((-2).into())), "{alg:?} with priv");
            }
            // The message is fixed: a fuzzer cannot forge a signature over it.
            let verdict = parsed.verify(b"kavach cose fuzz message", signature);
            if let Err(err) = verdict {
                assert_eq!(err.code(), ErrorCode::VerificationFailed);
            } else {
                panic!("random signature verified for {alg:?}: key {key:02x?} sig {signature:02x?}");
            }
        }
    }
});
