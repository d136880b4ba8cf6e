//! COSE_Key credential public keys (RFC 9052 / RFC 9053, WebAuthn §5.8.5) and signature checks.
//!
//! A key is parsed once into an aws-lc-rs [`ParsedPublicKey`]: parsing validates the curve point or
//! RSA modulus, so a malformed key is refused at registration, not discovered at sign-in.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use ciborium::value::{Integer, Value};

use super::Check;
use crate::error::{Error, Result};

/// The signature algorithms kavach verifies (COSE algorithm identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoseAlgorithm {
    /// EdDSA over Ed25519 (-8).
    EdDsa,
    /// ECDSA P-256 with SHA-256 (-7).
    Es256,
    /// ECDSA P-384 with SHA-384 (-35).
    Es384,
    /// ECDSA P-521 with SHA-512 (-36).
    Es512,
    /// RSASSA-PSS with SHA-256 (-37).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (-257).
    Rs256,
}

impl CoseAlgorithm {
    /// Every supported algorithm, in the order offered in `pubKeyCredParams`. Browsers pick the
    /// first one the authenticator supports, so the compact, fast and widely supported come first.
    pub const ALL: [CoseAlgorithm; 6] = [Self::EdDsa, Self::Es256, Self::Es384, Self::Es512, Self::Ps256, Self::Rs256];

    /// The COSE identifier.
    pub fn id(self) -> i64 {
        match self {
            Self::EdDsa => -8,
            Self::Es256 => -7,
            Self::Es384 => -35,
            Self::Es512 => -36,
            Self::Ps256 => -37,
            Self::Rs256 => -257,
        }
    }

    /// The algorithm for a COSE identifier, if supported.
    pub fn from_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.id() == id)
    }

    /// The aws-lc-rs verification algorithm (ECDSA signatures are DER, as WebAuthn sends them).
    pub(crate) fn verification(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::EdDsa => &signature::ED25519,
            Self::Es256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::Es384 => &signature::ECDSA_P384_SHA384_ASN1,
            Self::Es512 => &signature::ECDSA_P521_SHA512_ASN1,
            Self::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Self::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

/// A validated credential public key.
#[derive(Clone)]
pub struct CredentialPublicKey {
    algorithm: CoseAlgorithm,
    /// The key in the form aws-lc-rs takes: an uncompressed SEC1 point, raw Ed25519 bytes, or a
    /// DER `RSAPublicKey`. fido-u2f attestation signs over the uncompressed point.
    raw: Vec<u8>,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialPublicKey").field("algorithm", &self.algorithm).finish()
    }
}

// COSE key parameter labels (RFC 9052 §7.1, RFC 9053 §7).
const KTY: i64 = 1;
const ALG: i64 = 3;
const CRV_OR_N: i64 = -1;
const X_OR_E: i64 = -2;
const Y: i64 = -3;
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const CRV_P256: i64 = 1;
const CRV_P384: i64 = 2;
const CRV_P521: i64 = 3;
const CRV_ED25519: i64 = 6;

impl CredentialPublicKey {
    /// Parses a COSE_Key (CBOR map) and validates it for its declared algorithm.
    pub fn from_cose(bytes: &[u8]) -> Result<Self> {
        let value: Value = ciborium::de::from_reader(bytes).map_err(|_| bad_key("not valid CBOR"))?;
        Self::from_cose_value(&value)
    }

    pub(crate) fn from_cose_value(value: &Value) -> Result<Self> {
        let map = value.as_map().ok_or_else(|| bad_key("not a CBOR map"))?;
        let param = |label: i64| map.iter().find(|(k, _)| k.as_integer() == Some(Integer::from(label))).map(|(_, v)| v);
        let int = |label: i64| -> Option<i64> {
            param(label).and_then(Value::as_integer).and_then(|i| i64::try_from(i).ok())
        };
        let bytes = |label: i64| -> Result<&[u8]> {
            param(label)
                .and_then(Value::as_bytes)
                .map(Vec::as_slice)
                .ok_or_else(|| bad_key("a required key parameter is missing"))
        };

        let alg_id = int(ALG).ok_or_else(|| bad_key("alg is missing"))?;
        let algorithm = CoseAlgorithm::from_id(alg_id)
            .ok_or_else(|| Error::verification(Check::Algorithm, format!("unsupported COSE algorithm {alg_id}")))?;
        let kty = int(KTY).ok_or_else(|| bad_key("kty is missing"))?;

        // The key type and curve must be the ones the algorithm is defined for (RFC 9053 §2):
        // an ES256 label on a P-384 key is a malformed key, not a P-384 key.
        let key_bytes: Vec<u8> = match algorithm {
            CoseAlgorithm::EdDsa => {
                expect(kty == KTY_OKP && int(CRV_OR_N) == Some(CRV_ED25519), "EdDSA needs an Ed25519 OKP key")?;
                let x = bytes(X_OR_E)?;
                expect(x.len() == 32, "Ed25519 key must be 32 bytes")?;
                x.to_vec()
            }
            CoseAlgorithm::Es256 | CoseAlgorithm::Es384 | CoseAlgorithm::Es512 => {
                let (crv, len) = match algorithm {
                    CoseAlgorithm::Es256 => (CRV_P256, 32),
                    CoseAlgorithm::Es384 => (CRV_P384, 48),
                    _ => (CRV_P521, 66),
                };
                expect(kty == KTY_EC2 && int(CRV_OR_N) == Some(crv), "EC2 key curve does not match alg")?;
                let (x, y) = (bytes(X_OR_E)?, bytes(Y)?);
                expect(x.len() == len && y.len() == len, "EC2 coordinates have the wrong length")?;
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                point
            }
            CoseAlgorithm::Ps256 | CoseAlgorithm::Rs256 => {
                expect(kty == KTY_RSA, "RSA algorithm needs an RSA key")?;
                let n = bytes(CRV_OR_N)?;
                // Parsing does not check the size; verification only accepts 2048..=8192-bit moduli
                // (below 2048 is breakable, above 8192 a denial-of-service lever). Refusing here
                // keeps a key that could never sign in from being stored.
                expect((2048..=8192).contains(&modulus_bits(n)), "RSA modulus must be 2048 to 8192 bits")?;
                rsa_public_key_der(n, bytes(X_OR_E)?)
            }
        };
        let key = ParsedPublicKey::new(algorithm.verification(), &key_bytes)
            .map_err(|_| bad_key("the key is not valid for its algorithm"))?;
        Ok(Self { algorithm, raw: key_bytes, key })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> CoseAlgorithm {
        self.algorithm
    }

    /// For ES256 keys, the uncompressed point `04 || x || y`.
    pub(crate) fn p256_point(&self) -> Option<&[u8]> {
        (self.algorithm == CoseAlgorithm::Es256).then_some(self.raw.as_slice())
    }

    /// Verifies `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| Error::verification(Check::Signature, "signature does not verify"))
    }
}

fn bad_key(why: &str) -> Error {
    Error::verification(Check::PublicKey, format!("credential public key: {why}"))
}

fn expect(condition: bool, why: &str) -> Result<()> {
    if condition { Ok(()) } else { Err(bad_key(why)) }
}

/// Bit length of a big-endian magnitude.
fn modulus_bits(n: &[u8]) -> usize {
    match n.iter().position(|&b| b != 0) {
        Some(first) => (n.len() - first) * 8 - n[first].leading_zeros() as usize,
        None => 0,
    }
}

/// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1),
/// the form aws-lc-rs parses, built from the COSE `n` and `e` big-endian magnitudes.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(magnitude: &[u8]) -> Vec<u8> {
        let trimmed = match magnitude.iter().position(|&b| b != 0) {
            Some(first) => &magnitude[first..],
            None => &[0u8][..],
        };
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed[0] & 0x80 != 0 {
            content.push(0); // keep the INTEGER positive
        }
        content.extend_from_slice(trimmed);
        tlv(0x02, &content)
    }
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let len_bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
            out.push(0x80 | len_bytes.len() as u8);
            out.extend_from_slice(&len_bytes);
        }
        out.extend_from_slice(content);
        out
    }
    let mut body = integer(n);
    body.extend(integer(e));
    tlv(0x30, &body)
}
