//! The signature algorithms kavach verifies, their names, and the lists a deployment offers.
//!
//! Names are the IANA COSE registry's ("ES256", "EdDSA", "Ed25519", "ML-DSA-44", ...): the same
//! spelling in the configuration of every binding (`passkey.algorithms`), in the stateless API
//! (`expectedAlgorithms`) and in error messages. See docs/algorithms.md for why each algorithm is
//! (or is not) here.
//!
//! Why the default order is what it is: a browser asks the authenticator for the first entry of
//! `pubKeyCredParams` that it supports (WebAuthn §5.4, §6.3.2 step 3), so the order decides which
//! credentials get made. The compact, fast, universally verifiable classic algorithms come first,
//! so an authenticator keeps making the credentials it makes today; the post-quantum ones follow,
//! so an authenticator that can only do ML-DSA still registers. A deployment that wants ML-DSA
//! credentials wherever the authenticator can make one lists them first.

use crate::error::{Error, Result};

/// A signature algorithm kavach verifies, by its COSE identifier (IANA "COSE Algorithms").
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoseAlgorithm {
    /// EdDSA (-8), which WebAuthn uses for Ed25519 keys (an OKP key with crv Ed25519).
    EdDsa,
    /// Ed25519 (-19), the fully-specified identifier (RFC 9864): the same signatures as EdDSA
    /// over Ed25519.
    Ed25519,
    /// ECDSA P-256 with SHA-256 (-7).
    Es256,
    /// ECDSA P-384 with SHA-384 (-35).
    Es384,
    /// ECDSA P-521 with SHA-512 (-36).
    Es512,
    /// RSASSA-PSS with SHA-256 (-37).
    Ps256,
    /// RSASSA-PSS with SHA-384 (-38).
    Ps384,
    /// RSASSA-PSS with SHA-512 (-39).
    Ps512,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (-257).
    Rs256,
    /// ML-DSA-44 (-48, FIPS 204, RFC 9964): an AKP key (kty 7) with a 1,312-byte public key.
    MlDsa44,
    /// ML-DSA-65 (-49): a 1,952-byte public key.
    MlDsa65,
    /// ML-DSA-87 (-50): a 2,592-byte public key.
    MlDsa87,
}

/// What a registration may offer: every algorithm, in the default preference order (module
/// docs). `pubKeyCredParams` lists these unless `passkey.algorithms` says otherwise.
pub(crate) const DEFAULT_ALGORITHMS: [CoseAlgorithm; 12] = CoseAlgorithm::ALL;

impl CoseAlgorithm {
    /// Every algorithm kavach verifies, in the default preference order.
    pub const ALL: [CoseAlgorithm; 12] = [
        Self::EdDsa,
        Self::Ed25519,
        Self::Es256,
        Self::Es384,
        Self::Es512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Rs256,
        Self::MlDsa44,
        Self::MlDsa65,
        Self::MlDsa87,
    ];

    /// The COSE identifier.
    pub fn id(self) -> i64 {
        match self {
            Self::EdDsa => -8,
            Self::Ed25519 => -19,
            Self::Es256 => -7,
            Self::Es384 => -35,
            Self::Es512 => -36,
            Self::Ps256 => -37,
            Self::Ps384 => -38,
            Self::Ps512 => -39,
            Self::Rs256 => -257,
            Self::MlDsa44 => -48,
            Self::MlDsa65 => -49,
            Self::MlDsa87 => -50,
        }
    }

    /// The IANA name: how configuration, the API and error messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Ed25519 => "Ed25519",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Rs256 => "RS256",
            Self::MlDsa44 => "ML-DSA-44",
            Self::MlDsa65 => "ML-DSA-65",
            Self::MlDsa87 => "ML-DSA-87",
        }
    }

    /// The algorithm for a COSE identifier, if kavach verifies it.
    pub fn from_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.id() == id)
    }

    /// The algorithm with this exact IANA name (case-sensitive, as registered).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// ML-DSA only: (public key bytes, signature bytes) of the parameter set (FIPS 204 table 2).
    /// Both are fixed: any other length is another parameter set or garbage.
    pub fn ml_dsa_sizes(self) -> Option<(usize, usize)> {
        match self {
            Self::MlDsa44 => Some((1312, 2420)),
            Self::MlDsa65 => Some((1952, 3309)),
            Self::MlDsa87 => Some((2592, 4627)),
            _ => None,
        }
    }
}

impl std::fmt::Display for CoseAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.id())
    }
}

/// Why a registered COSE algorithm that kavach does not verify is refused, for the message that
/// refuses it. `None` for identifiers with nothing specific to say.
pub(crate) fn unsupported_reason(id: i64) -> Option<&'static str> {
    Some(match id {
        -53 => "Ed448 (-53) is not verified: no audited, maintained Rust implementation exists (docs/algorithms.md)",
        -65535 => "RS1 (-65535, RSA with SHA-1) is accepted only inside tpm attestation statements",
        -258 | -259 => {
            "RS384 / RS512 (-258, -259) are not verified: no authenticator is known to make such credentials"
        }
        -9 | -51 | -52 => "ESP256 / ESP384 / ESP512 (-9, -51, -52) are not verified yet; use ES256 / ES384 / ES512",
        -47 => "ES256K (-47, secp256k1) is not a WebAuthn algorithm",
        _ => return None,
    })
}

/// The message for a COSE algorithm identifier kavach does not verify.
pub(crate) fn unsupported_message(what: &str, id: i64) -> String {
    match unsupported_reason(id) {
        Some(reason) => format!("unsupported {what} {id}: {reason}"),
        None => format!("unsupported {what} {id}"),
    }
}

/// Parses an algorithm list (`passkey.algorithms`, `expectedAlgorithms`): IANA names, at least
/// one, no repeats. `error` turns a message into the caller's error (a configuration error at
/// start-up, an invalid request in the stateless API); `field` names the list in messages.
pub(crate) fn parse_algorithms(
    names: &[serde_json::Value],
    field: &str,
    error: impl Fn(String) -> Error,
) -> Result<Vec<CoseAlgorithm>> {
    let known = || CoseAlgorithm::ALL.map(CoseAlgorithm::name).join(", ");
    if names.is_empty() {
        return Err(error(format!("{field} must list at least one algorithm (known: {})", known())));
    }
    let mut algorithms = Vec::with_capacity(names.len());
    for value in names {
        let algorithm = match value {
            serde_json::Value::String(name) => CoseAlgorithm::from_name(name).ok_or_else(|| {
                let hint = CoseAlgorithm::ALL
                    .into_iter()
                    .find(|alg| alg.name().eq_ignore_ascii_case(name))
                    .map(|alg| format!(" (did you mean '{}'?)", alg.name()))
                    .unwrap_or_default();
                error(format!(
                    "{field}: '{}' is not an algorithm kavach verifies{hint}; known: {}",
                    crate::error::clipped(name, 40),
                    known()
                ))
            })?,
            serde_json::Value::Number(number) => {
                let id = number.as_i64();
                let named = id.and_then(CoseAlgorithm::from_id);
                return Err(error(match (named, id) {
                    (Some(alg), _) => {
                        format!("{field}: write algorithms by name: '{}' rather than {}", alg.name(), alg.id())
                    }
                    (None, Some(id)) => format!("{field}: {}", unsupported_message("COSE algorithm", id)),
                    (None, None) => format!("{field}: {number} is not a COSE algorithm"),
                }));
            }
            _ => return Err(error(format!("{field} must be a list of algorithm names such as \"ES256\""))),
        };
        if algorithms.contains(&algorithm) {
            return Err(error(format!("{field} lists '{}' twice", algorithm.name())));
        }
        algorithms.push(algorithm);
    }
    Ok(algorithms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(list: serde_json::Value) -> Result<Vec<CoseAlgorithm>> {
        parse_algorithms(list.as_array().unwrap(), "passkey.algorithms", Error::config)
    }

    #[test]
    fn names_and_ids_round_trip_and_are_unique() {
        for alg in CoseAlgorithm::ALL {
            assert_eq!(CoseAlgorithm::from_id(alg.id()), Some(alg));
            assert_eq!(CoseAlgorithm::from_name(alg.name()), Some(alg));
        }
        let mut ids: Vec<i64> = CoseAlgorithm::ALL.map(CoseAlgorithm::id).to_vec();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CoseAlgorithm::ALL.len());
        assert_eq!(CoseAlgorithm::MlDsa44.to_string(), "ML-DSA-44 (-48)");
    }

    #[test]
    fn default_order_offers_classic_algorithms_before_post_quantum_ones() {
        let ids: Vec<i64> = DEFAULT_ALGORITHMS.map(CoseAlgorithm::id).to_vec();
        assert_eq!(ids, [-8, -19, -7, -35, -36, -37, -38, -39, -257, -48, -49, -50]);
    }

    #[test]
    fn parses_names_in_the_given_order() {
        let list = parse(json!(["ML-DSA-65", "ES256", "Ed25519"])).unwrap();
        assert_eq!(list, [CoseAlgorithm::MlDsa65, CoseAlgorithm::Es256, CoseAlgorithm::Ed25519]);
    }

    #[test]
    fn each_bad_list_has_its_own_message() {
        let message = |list| parse(list).unwrap_err().message().to_owned();
        assert!(message(json!([])).contains("must list at least one algorithm"));
        assert!(message(json!(["es256"])).contains("did you mean 'ES256'?"));
        assert!(message(json!(["ML-KEM-768"])).contains("'ML-KEM-768' is not an algorithm kavach verifies"));
        assert!(message(json!([-7])).contains("write algorithms by name: 'ES256' rather than -7"));
        assert!(message(json!([-53])).contains("Ed448 (-53) is not verified"));
        assert!(message(json!(["ES256", "ES256"])).contains("lists 'ES256' twice"));
        assert!(message(json!([{"alg": -7}])).contains("must be a list of algorithm names"));
        assert_eq!(parse(json!([])).unwrap_err().code(), crate::ErrorCode::InvalidConfig);
    }
}
