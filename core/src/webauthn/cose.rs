//! COSE_Key credential public keys (RFC 9052 / RFC 9053, WebAuthn §5.8.5) and signature checks.
//!
//! A key is parsed once into an aws-lc-rs [`ParsedPublicKey`]: parsing validates the curve point,
//! RSA modulus or ML-DSA public key, so a malformed key is refused at registration, not
//! discovered at sign-in. Which algorithms, and why: [`super::algorithms`], docs/algorithms.md.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use ciborium::value::{Integer, Value};

use super::Check;
use crate::error::{Error, Result};

pub use super::algorithms::CoseAlgorithm;
use super::algorithms::unsupported_message;

impl CoseAlgorithm {
    /// The aws-lc-rs verification algorithm (ECDSA signatures are DER, as WebAuthn sends them;
    /// ML-DSA is pure ML-DSA with an empty context, as RFC 9964 §4 specifies for COSE).
    pub(crate) fn verification(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::EdDsa | Self::Ed25519 => &signature::ED25519,
            Self::Es256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::Es384 => &signature::ECDSA_P384_SHA384_ASN1,
            Self::Es512 => &signature::ECDSA_P521_SHA512_ASN1,
            Self::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Self::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
            Self::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
            Self::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::MlDsa44 => &signature::ML_DSA_44,
            Self::MlDsa65 => &signature::ML_DSA_65,
            Self::MlDsa87 => &signature::ML_DSA_87,
        }
    }
}

/// A validated credential public key.
#[derive(Clone)]
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
pub struct CredentialPublicKey {
    algorithm: CoseAlgorithm,
    /// ES256 only: the uncompressed SEC1 point, which fido-u2f attestation signs over. Other
    /// keys keep only their parsed form (an ML-DSA-87 key is 2.6 KB; a copy is not free).
    p256_point: Option<Vec<u8>>,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialPublicKey").field("algorithm", &self.algorithm).finish()
    }
}

// COSE key parameter labels (RFC 9052 §7.1, RFC 9053 §7, RFC 9964 §6).
const KTY: i64 = 1;
const ALG: i64 = 3;
const CRV_OR_N: i64 = -1;
const X_OR_E: i64 = -2;
const Y: i64 = -3;
/// AKP keys (RFC 9964 §6): `pub` at -1, `priv` at -2.
const AKP_PUB: i64 = -1;
const AKP_PRIV: i64 = -2;
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const KTY_AKP: i64 = 7;
const CRV_P256: i64 = 1;
const CRV_P384: i64 = 2;
const CRV_P521: i64 = 3;
const CRV_ED25519: i64 = 6;

impl CredentialPublicKey {
    /// Parses a COSE_Key (CBOR map) and validates it for its declared algorithm.
    #[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
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
            .ok_or_else(|| Error::verification(Check::Algorithm, unsupported_message("COSE algorithm", alg_id)))?;
        let kty = int(KTY).ok_or_else(|| bad_key("kty is missing"))?;

        // The key type and curve must be the ones the algorithm is defined for (RFC 9053 §2):
        // an ES256 label on a P-384 key is a malformed key, not a P-384 key.
        let key_bytes: Vec<u8> = match algorithm {
            CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519 => {
                // EdDSA names a family, so the curve must say Ed25519. The fully-specified
                // Ed25519 (-19) names the curve itself: crv may be absent, never another curve.
                let crv_ok = match (algorithm, int(CRV_OR_N)) {
                    (_, Some(CRV_ED25519)) => true,
                    (CoseAlgorithm::Ed25519, None) => param(CRV_OR_N).is_none(),
                    _ => false,
                };
                expect(kty == KTY_OKP && crv_ok, "EdDSA and Ed25519 need an Ed25519 OKP key")?;
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
            CoseAlgorithm::Ps256 | CoseAlgorithm::Ps384 | CoseAlgorithm::Ps512 | CoseAlgorithm::Rs256 => {
                expect(kty == KTY_RSA, "RSA algorithm needs an RSA key")?;
                let n = bytes(CRV_OR_N)?;
                // Parsing does not check the size; verification only accepts 2048..=8192-bit moduli
                // (below 2048 is breakable, above 8192 a denial-of-service lever). Refusing here
                // keeps a key that could never sign in from being stored.
                expect((2048..=8192).contains(&modulus_bits(n)), "RSA modulus must be 2048 to 8192 bits")?;
                rsa_public_key_der(n, bytes(X_OR_E)?)
            }
            CoseAlgorithm::MlDsa44 | CoseAlgorithm::MlDsa65 | CoseAlgorithm::MlDsa87 => {
                expect(kty == KTY_AKP, "ML-DSA needs an AKP key (kty 7)")?;
                // A public key that carries its private half is a broken authenticator; storing it
                // would put a secret in the database.
                expect(param(AKP_PRIV).is_none(), "the key carries private key material (AKP priv)")?;
                let public = bytes(AKP_PUB)?;
                let (expected, _) = algorithm.ml_dsa_sizes().unwrap_or_default();
                // The raw FIPS 204 encoding, and exactly the parameter set's size: aws-lc-rs would
                // also take a DER SubjectPublicKeyInfo here, which COSE does not allow.
                if public.len() != expected {
                    return Err(bad_key(&format!(
                        "{} public key must be {expected} bytes (got {})",
                        algorithm.name(),
                        public.len()
                    )));
                }
                public.to_vec()
            }
        };
        let key = ParsedPublicKey::new(algorithm.verification(), &key_bytes)
            .map_err(|_| bad_key("the key is not valid for its algorithm"))?;
        let p256_point = (algorithm == CoseAlgorithm::Es256).then_some(key_bytes);
        Ok(Self { algorithm, p256_point, key })
    }

    /// The key's algorithm.
    #[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
    pub fn algorithm(&self) -> CoseAlgorithm {
        self.algorithm
    }

    /// For ES256 keys, the uncompressed point `04 || x || y`.
    pub(crate) fn p256_point(&self) -> Option<&[u8]> {
        self.p256_point.as_deref()
    }

    /// Verifies `signature` over `message`.
    #[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        // ML-DSA signatures have one size per parameter set: a wrong size is a signature made
        // with another parameter set (or a truncated one), worth saying so.
        if let Some((_, expected)) = self.algorithm.ml_dsa_sizes()
            && signature.len() != expected
        {
            return Err(Error::verification(
                Check::Signature,
                format!(
                    "{} signatures are {expected} bytes, this one is {}: made with another parameter set?",
                    self.algorithm.name(),
                    signature.len()
                ),
            ));
        }
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
