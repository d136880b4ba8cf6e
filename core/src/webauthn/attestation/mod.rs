//! Attestation objects (WebAuthn §6.5) and statement formats (§8).
//!
//! `none`, `packed` (self and x5c) and `fido-u2f` statements are verified. The other registered
//! formats (`tpm`, `android-key`, `android-safetynet`, `apple`, `compound`) are accepted and recorded
//! as [`AttestationTrust::Unverified`]: never silently trusted. Nothing here chains certificates to a
//! root yet, so a valid x5c statement is also `Unverified` (its signature is checked, its issuer not).

mod certificate;
mod fido_u2f;
mod packed;

use ciborium::value::Value;

use super::Check;
use super::authenticator_data::AuthenticatorData;
use crate::error::{Error, Result};

/// A parsed attestation object.
#[derive(Debug, Clone)]
pub struct AttestationObject {
    /// The statement format identifier.
    pub format: String,
    /// The statement (a CBOR map).
    pub statement: Vec<(Value, Value)>,
    /// The raw authenticator data (what the statement signs).
    pub auth_data_raw: Vec<u8>,
    /// The parsed authenticator data.
    pub auth_data: AuthenticatorData,
}

/// What the attestation tells us about the authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationTrust {
    /// No attestation (`none`).
    None,
    /// Self attestation: signed by the credential key itself; proves possession, not provenance.
    SelfAttestation,
    /// A certificate-based statement whose chain was not validated to a trusted root, or a
    /// registered format whose statement is not verified.
    Unverified,
}

impl AttestationTrust {
    /// Stable string form stored with the credential.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SelfAttestation => "self",
            Self::Unverified => "unverified",
        }
    }
}

/// The outcome of verifying an attestation statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationResult {
    /// The format identifier (`none`, `packed`, ...).
    pub format: String,
    /// The trust level reached.
    pub trust: AttestationTrust,
    /// Whether the statement itself (its signature and format rules) was verified.
    pub statement_verified: bool,
}

/// Registered formats (IANA "WebAuthn Attestation Statement Format Identifiers") whose statements
/// are accepted unverified for now.
const UNVERIFIED_FORMATS: [&str; 5] = ["tpm", "android-key", "android-safetynet", "apple", "compound"];

impl AttestationObject {
    /// Parses the CBOR attestation object and its authenticator data.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let value: Value = ciborium::de::from_reader(bytes).map_err(|_| malformed("attestationObject is not CBOR"))?;
        let map = value.into_map().map_err(|_| malformed("attestationObject is not a CBOR map"))?;
        let (mut format, mut statement, mut auth_data_raw) = (None, None, None);
        for (key, value) in map {
            match key.as_text() {
                Some("fmt") => format = value.into_text().ok(),
                Some("attStmt") => statement = value.into_map().ok(),
                Some("authData") => auth_data_raw = value.into_bytes().ok(),
                _ => {}
            }
        }
        let format = format.ok_or_else(|| malformed("fmt is missing"))?;
        let statement = statement.ok_or_else(|| malformed("attStmt is missing"))?;
        let auth_data_raw = auth_data_raw.ok_or_else(|| malformed("authData is missing"))?;
        let auth_data = AuthenticatorData::parse(&auth_data_raw)?;
        if auth_data.attested_credential_data.is_none() {
            return Err(Error::verification(
                Check::AuthenticatorData,
                "registration carries no attested credential data",
            ));
        }
        Ok(Self { format, statement, auth_data_raw, auth_data })
    }

    /// Verifies the statement over `authData || clientDataHash` (§7.1 steps 21-22).
    pub fn verify(&self, client_data_hash: &[u8; 32]) -> Result<AttestationResult> {
        let result =
            |trust, statement_verified| AttestationResult { format: self.format.clone(), trust, statement_verified };
        match self.format.as_str() {
            "none" => {
                if !self.statement.is_empty() {
                    return Err(malformed("none attestation must have an empty statement"));
                }
                Ok(result(AttestationTrust::None, true))
            }
            "packed" => Ok(result(packed::verify(self, client_data_hash)?, true)),
            "fido-u2f" => Ok(result(fido_u2f::verify(self, client_data_hash)?, true)),
            other if UNVERIFIED_FORMATS.contains(&other) => Ok(result(AttestationTrust::Unverified, false)),
            _ => Err(malformed("unknown attestation statement format")),
        }
    }

    /// `authData || clientDataHash`, what every statement signature covers.
    fn signed_data(&self, client_data_hash: &[u8; 32]) -> Vec<u8> {
        let mut data = Vec::with_capacity(self.auth_data_raw.len() + 32);
        data.extend_from_slice(&self.auth_data_raw);
        data.extend_from_slice(client_data_hash);
        data
    }

    /// A statement field by name.
    fn field(&self, name: &str) -> Option<&Value> {
        self.statement.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v)
    }

    /// The `x5c` array as DER certificates, if present.
    fn x5c(&self) -> Result<Option<Vec<&[u8]>>> {
        let Some(value) = self.field("x5c") else { return Ok(None) };
        let array = value.as_array().ok_or_else(|| malformed("x5c is not an array"))?;
        if array.is_empty() {
            return Err(malformed("x5c is empty"));
        }
        array
            .iter()
            .map(|cert| cert.as_bytes().map(Vec::as_slice).ok_or_else(|| malformed("x5c holds a non-bytes entry")))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The `sig` byte string.
    fn signature(&self) -> Result<&[u8]> {
        self.field("sig").and_then(Value::as_bytes).map(Vec::as_slice).ok_or_else(|| malformed("sig is missing"))
    }
}

pub(crate) fn malformed(why: &str) -> Error {
    Error::verification(Check::AttestationStatement, format!("attestation: {why}"))
}
