//! Attestation objects (`AttestationObject::parse` + `verify`). Input: 32 bytes of
//! clientDataHash, then the CBOR attestation object.
//!
//! Invariants: errors are VERIFICATION_FAILED with a safe message; a parsed object has attested
//! credential data whose key parses; the trust level matches the format: `none` only with an
//! empty statement, packed without x5c is self attestation, x5c statements are never "none" or
//! "self", and the formats whose statements are not verified are "unverified".
#![no_main]

use kavach_core::ErrorCode;
use kavach_core::fuzzing::{AttestationObject, AttestationTrust, CredentialPublicKey};
use kavach_fuzz::assert_safe_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 32 {
        return;
    }
    let hash: [u8; 32] = data[..32].try_into().unwrap();
    let bytes = &data[32..];
    let context = || format!("hash {hash:02x?} object {bytes:02x?}");
    let object = match AttestationObject::parse(bytes) {
        Ok(object) => object,
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::VerificationFailed, "{err}");
            return assert_safe_message(err.message(), "", &context);
        }
    };
    let credential = object.auth_data.attested_credential_data.as_ref().expect("parse requires attested data");
    assert!(!credential.credential_id.is_empty() && credential.credential_id.len() <= 1023);
    CredentialPublicKey::from_cose(&credential.public_key_cose)
        .expect("the stored COSE bytes parse on their own");
    match object.verify(&hash) {
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::VerificationFailed, "{err}");
            assert_safe_message(err.message(), "", &context);
        }
        Ok(result) => {
            assert_eq!(result.format, object.format);
            let has_x5c = object.statement.iter().any(|(k, _)| k.as_text() == Some("x5c"));
            match result.format.as_str() {
                "none" => {
                    assert!(object.statement.is_empty());
                    assert_eq!(result.trust, AttestationTrust::None);
                }
                "packed" if !has_x5c => assert_eq!(result.trust, AttestationTrust::SelfAttestation, "{}", context()),
                "packed" | "fido-u2f" => {
                    // Certificate statements: never "none" or "self", whatever chain validation
                    // (issue 7) concludes.
                    assert!(has_x5c);
                    assert!(
                        !matches!(result.trust, AttestationTrust::None | AttestationTrust::SelfAttestation),
                        "{:?} for an x5c statement: {}",
                        result.trust,
                        context()
                    );
                }
                // Verified formats (issue 7): an accepted statement was verified and proves
                // more than nothing; only a compound may inherit "self" from a packed part.
                "tpm" | "android-key" | "android-safetynet" | "apple" | "compound" => {
                    assert_ne!(result.trust, AttestationTrust::None, "{}", context());
                    if result.format != "compound" {
                        assert_ne!(result.trust, AttestationTrust::SelfAttestation, "{}", context());
                    }
                }
                other => panic!("unknown format {other:?} accepted"),
            }
            // Issue 14: an AAGUID counts as attested only through a verified chain, only as the
            // one authenticator data names, and never for fido-u2f (whose AAGUID must be zero).
            if let Some(attested) = result.attested_aaguid() {
                assert_eq!(result.trust, AttestationTrust::Verified, "{}", context());
                assert_eq!(attested.bytes(), &credential.aaguid, "{}", context());
                assert_ne!(result.format, "fido-u2f", "{}", context());
            }
            if result.format == "fido-u2f" {
                assert_eq!(credential.aaguid, [0; 16], "{}", context());
            }
        }
    }
});
