//! JWS compact serialization (RFC 7515) with an `x5c` header, as SafetyNet attestations and FIDO
//! MDS BLOBs use it: the header names the algorithm and carries the signing chain, leaf first.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use x509_parser::certificate::X509Certificate;

use super::certificate;

/// A parsed (not yet verified) JWS.
pub(crate) struct Jws {
    pub(crate) header: Value,
    pub(crate) payload: Value,
    /// `x5c` certificates, DER, leaf first.
    pub(crate) x5c: Vec<Vec<u8>>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl Jws {
    /// Splits and decodes `compact`. `None` if it is not a JWS with JSON header and payload.
    pub(crate) fn parse(compact: &str) -> Option<Self> {
        let mut parts = compact.trim().split('.');
        let (header_b64, payload_b64, signature_b64) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload_b64).ok()?).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature_b64).ok()?;
        // x5c entries are standard base64 (RFC 7515 §4.1.6), not base64url.
        let x5c = match header.get("x5c") {
            Some(Value::Array(items)) => {
                items.iter().map(|c| c.as_str().and_then(|s| STANDARD.decode(s).ok())).collect::<Option<Vec<_>>>()?
            }
            _ => Vec::new(),
        };
        let signing_input = format!("{header_b64}.{payload_b64}").into_bytes();
        Some(Self { header, payload, x5c, signing_input, signature })
    }

    /// Verifies the signature with `leaf`'s key by the header's `alg`; `Err` names what is wrong.
    pub(crate) fn verify(&self, leaf: &X509Certificate<'_>) -> Result<(), &'static str> {
        let alg = self.header.get("alg").and_then(Value::as_str).ok_or("JWS header has no alg")?;
        let spki = leaf.public_key();
        let key_oid = spki.algorithm.algorithm.to_id_string();
        let algorithm: &'static dyn VerificationAlgorithm = match alg {
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
            "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
            "ES256" => &signature::ECDSA_P256_SHA256_FIXED,
            "ES384" => &signature::ECDSA_P384_SHA384_FIXED,
            "ES512" => &signature::ECDSA_P521_SHA512_FIXED,
            _ => return Err("JWS alg is not supported"),
        };
        let expected_key = if alg.starts_with('E') { "1.2.840.10045.2.1" } else { "1.2.840.113549.1.1.1" };
        if key_oid != expected_key {
            return Err("JWS signing certificate key does not match alg");
        }
        UnparsedPublicKey::new(algorithm, &*spki.subject_public_key.data)
            .verify(&self.signing_input, &self.signature)
            .map_err(|_| "JWS signature does not verify")
    }

    /// Parses the x5c certificates.
    pub(crate) fn certificates(&self) -> Option<Vec<X509Certificate<'_>>> {
        self.x5c.iter().map(|der| certificate::parse(der).ok()).collect()
    }
}
