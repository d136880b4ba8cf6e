//! A stand-in key for sign-ins whose credential the ceremony did not offer.
//!
//! A sign-in by email lists the account's passkeys, or made-up ones for an unknown email. An
//! assertion under a made-up ID (or under an ID the challenge did not offer) must be answered
//! exactly as one under a real ID with a signature that does not check out, and after the same
//! work: otherwise the answer, or its timing, tells a real email from an unknown one. So such an
//! assertion is verified, every check in order, against this key, whose private half was thrown
//! away when the process made it: the verification runs like a real one and fails where a forged
//! one fails.

use std::sync::LazyLock;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use ciborium::Value as Cbor;

/// The decoy's COSE key (ES256, the algorithm most passkeys use).
pub(super) static DECOY_COSE_KEY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let key_pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("P-256 key generation failed");
    // An uncompressed SEC1 point: 0x04 || x || y.
    let point = key_pair.public_key().as_ref();
    let (x, y) = point[1..].split_at(32);
    let cose = Cbor::Map(vec![
        (Cbor::from(1), Cbor::from(2)),  // kty: EC2
        (Cbor::from(3), Cbor::from(-7)), // alg: ES256
        (Cbor::from(-1), Cbor::from(1)), // crv: P-256
        (Cbor::from(-2), Cbor::Bytes(x.to_vec())),
        (Cbor::from(-3), Cbor::Bytes(y.to_vec())),
    ]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&cose, &mut bytes).expect("writing CBOR to memory cannot fail");
    bytes
});

#[cfg(test)]
mod tests {
    use super::DECOY_COSE_KEY;
    use crate::webauthn::cose::{CoseAlgorithm, CredentialPublicKey};

    #[test]
    fn the_decoy_is_a_valid_es256_key_and_the_same_for_the_whole_process() {
        let key = CredentialPublicKey::from_cose(&DECOY_COSE_KEY).unwrap();
        assert_eq!(key.algorithm(), CoseAlgorithm::Es256);
        assert_eq!(&*DECOY_COSE_KEY, &*DECOY_COSE_KEY);
        // Nothing verifies under it: its private key no longer exists.
        assert!(key.verify(b"message", &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).is_err());
    }
}
