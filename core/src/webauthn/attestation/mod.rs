//! Attestation objects (WebAuthn §6.5) and statement formats (§8).
//!
//! Every registered format is verified: `none`, `packed` (self and x5c), `fido-u2f`, `tpm`,
//! `android-key`, `android-safetynet`, `apple` and `compound`. A statement that does not verify is
//! an error. A certificate chain is then validated ([`chain`]) and assessed against the trust
//! anchors for its format (bundled vendor roots, configured roots, FIDO MDS roots for the AAGUID):
//! `verified` with the anchor it reaches, `unverified` if it is sound but reaches none. Whether
//! `unverified` (or `self`, or `none`) is acceptable is the attestation policy's decision, made
//! by the caller ([`crate::verify`]), not here.
//!
//! A verified chain proves who made the *key*; which authenticator *model* it is (the AAGUID) is
//! a separate fact. Most statements do not sign it (`fido-u2f` never signs authData at all), and
//! vendor roots (Google's, a FIDO MDS root shared by a vendor's models) vouch for many models. So
//! the AAGUID counts as attested ([`AttestedAaguid`]) only when a verified chain names it in the
//! id-fido-gen-ce-aaguid certificate extension (packed, tpm), or reaches a metadata root listed
//! for that model alone; otherwise it is what the authenticator claims, and nothing that relies
//! on the model (`allowedAaguids`, metadata status) may take the claim for a fact.

mod android_key;
mod android_safetynet;
mod apple;
mod certificate;
mod chain;
mod compound;
mod cose_key;
mod der;
mod fido_u2f;
mod jws;
pub(crate) mod metadata;
mod packed;
pub(crate) mod roots;
mod tpm;

use std::sync::Arc;

use ciborium::value::Value;

use self::roots::AnchorSource;
use super::Check;
use super::authenticator_data::AuthenticatorData;
use crate::error::{Error, Result};

/// One statement of a `compound` attestation: `(fmt, attStmt)`.
pub(crate) type SubStatement = (String, Vec<(Value, Value)>);

/// A parsed attestation object.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
pub struct AttestationObject {
    /// The statement format identifier.
    pub format: String,
    /// The statement (a CBOR map; empty for `compound`).
    pub statement: Vec<(Value, Value)>,
    /// `compound` only: the sub-statements, `(fmt, attStmt)`.
    pub sub_statements: Vec<SubStatement>,
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
    /// A verified statement whose (sound) certificate chain reaches no trusted root.
    Unverified,
    /// A verified statement whose certificate chain reaches a trusted root.
    Verified,
}

impl AttestationTrust {
    /// Stable string form stored with the credential.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SelfAttestation => "self",
            Self::Unverified => "unverified",
            Self::Verified => "verified",
        }
    }
}

/// The trust anchor a verified chain reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachedAnchor {
    /// Its name.
    pub name: String,
    /// Where it came from.
    pub source: AnchorSource,
}

/// An AAGUID the attestation proves, not merely one the authenticator claims. Only attestation
/// verification makes one: code that needs a proven model takes this type, so a claimed AAGUID
/// cannot be passed where a proven one is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttestedAaguid([u8; 16]);

impl AttestedAaguid {
    /// The AAGUID.
    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// What an attestation proves about the authenticator model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelEvidence {
    /// Nothing: `none`, self attestation, an unverified chain, or an anchor that vouches for any
    /// model of its vendor.
    Unproven,
    /// A metadata root shared by these models (and no certificate extension to tell them apart):
    /// the authenticator is one of them.
    OneOf(Vec<[u8; 16]>),
    /// The model, proven.
    Attested(AttestedAaguid),
}

impl ModelEvidence {
    pub(super) fn rank(&self) -> u8 {
        match self {
            Self::Unproven => 0,
            Self::OneOf(_) => 1,
            Self::Attested(_) => 2,
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
    /// With [`AttestationTrust::Verified`]: the trust anchor reached.
    pub anchor: Option<ReachedAnchor>,
    pub(crate) model: ModelEvidence,
}

impl AttestationResult {
    /// The AAGUID, if the attestation proves it.
    pub fn attested_aaguid(&self) -> Option<AttestedAaguid> {
        match &self.model {
            ModelEvidence::Attested(aaguid) => Some(*aaguid),
            _ => None,
        }
    }

    /// The name of the trust anchor reached, if any.
    pub fn root(&self) -> Option<&str> {
        self.anchor.as_ref().map(|a| a.name.as_str())
    }
}

/// How attestation statements are verified: the clock, the trust anchors and format options.
#[derive(Debug, Clone)]
pub struct AttestationOptions {
    /// The instant certificates must be valid at (Unix ms); `None` = the system clock.
    pub verification_time_ms: Option<i64>,
    /// Trust anchors. Default: the bundled vendor roots.
    pub roots: Arc<roots::TrustRoots>,
    /// A FIDO MDS3 BLOB: per-AAGUID roots (and, for the policy, names and status reports).
    pub metadata: Option<Arc<metadata::Metadata>>,
    /// `android-safetynet`: require `ctsProfileMatch: true` (default true: a device that fails
    /// Google's compatibility test may be rooted or emulated).
    pub safetynet_require_cts_profile_match: bool,
    /// `android-safetynet`: how old `timestampMs` may be (default 60 s) when the response arrives.
    pub safetynet_max_age_ms: i64,
    /// `tpm`: accept TPM manufacturer ids outside the TCG registry (test TPMs only). Default false.
    pub tpm_allow_unregistered_manufacturers: bool,
}

impl Default for AttestationOptions {
    fn default() -> Self {
        Self {
            verification_time_ms: None,
            roots: roots::TrustRoots::bundled_shared(),
            metadata: None,
            safetynet_require_cts_profile_match: true,
            safetynet_max_age_ms: 60_000,
            tpm_allow_unregistered_manufacturers: false,
        }
    }
}

impl AttestationOptions {
    /// The verification instant.
    pub fn now_ms(&self) -> i64 {
        self.verification_time_ms.unwrap_or_else(crate::time::now_ms)
    }
}

/// What a format's verifier hands to the shared trust assessment.
pub(super) struct Context<'a> {
    pub(super) options: &'a AttestationOptions,
    pub(super) now_ms: i64,
}

impl Context<'_> {
    /// Validates an x5c chain (leaf first) and assesses it against the anchors for `format` and
    /// the MDS roots for the claimed `aaguid`. `extension` is the AAGUID the leaf's
    /// id-fido-gen-ce-aaguid extension names (the format has checked that it equals the claim).
    pub(super) fn assess_chain(
        &self,
        format: &str,
        aaguid: &[u8; 16],
        chain_der: &[&[u8]],
        extension: Option<[u8; 16]>,
    ) -> Result<Outcome> {
        let chain = chain_der.iter().map(|der| certificate::parse(der)).collect::<Result<Vec<_>>>()?;
        let metadata = self.options.metadata.as_deref();
        let metadata_roots = metadata.map(|m| m.roots_for(aaguid)).unwrap_or_default();
        let anchors = self.options.roots.for_format(format).chain(metadata_roots.iter());
        let Some(anchor) = chain::validate(&chain, chain_der, anchors, self.now_ms)? else {
            return Ok(Outcome::of(AttestationTrust::Unverified));
        };
        let model = match (extension, anchor.source, metadata) {
            (Some(named), ..) => ModelEvidence::Attested(AttestedAaguid(named)),
            (None, AnchorSource::Metadata, Some(metadata)) => match metadata.models_with_root(anchor.der()) {
                models if models == [*aaguid] => ModelEvidence::Attested(AttestedAaguid(*aaguid)),
                models => ModelEvidence::OneOf(models),
            },
            _ => ModelEvidence::Unproven,
        };
        Ok(Outcome {
            trust: AttestationTrust::Verified,
            anchor: Some(ReachedAnchor { name: anchor.name.clone(), source: anchor.source }),
            model,
        })
    }
}

/// A format verifier's outcome.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub(super) trust: AttestationTrust,
    pub(super) anchor: Option<ReachedAnchor>,
    pub(super) model: ModelEvidence,
}

impl Outcome {
    /// A trust level with no anchor and nothing proven about the model.
    pub(super) fn of(trust: AttestationTrust) -> Self {
        Self { trust, anchor: None, model: ModelEvidence::Unproven }
    }
}

impl AttestationObject {
    /// Parses the CBOR attestation object and its authenticator data.
    #[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let value: Value = ciborium::de::from_reader(bytes).map_err(|_| malformed("attestationObject is not CBOR"))?;
        let map = value.into_map().map_err(|_| malformed("attestationObject is not a CBOR map"))?;
        let (mut format, mut statement, mut auth_data_raw) = (None, None, None);
        let mut sub_statements = Vec::new();
        for (key, value) in map {
            match key.as_text() {
                Some("fmt") => format = value.into_text().ok(),
                // `compound` (§8.9): attStmt is an array of {fmt, attStmt} maps.
                Some("attStmt") if value.is_array() => {
                    sub_statements = parse_sub_statements(value)?;
                    statement = Some(Vec::new());
                }
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
        if (format == "compound") == sub_statements.is_empty() {
            return Err(malformed("attStmt is an array exactly when fmt is compound"));
        }
        Ok(Self { format, statement, sub_statements, auth_data_raw, auth_data })
    }

    /// Verifies the statement over `authData || clientDataHash` (§7.1 steps 21-24) with the
    /// default options (system clock, bundled roots).
    #[cfg(feature = "fuzzing")]
    pub fn verify(&self, client_data_hash: &[u8; 32]) -> Result<AttestationResult> {
        self.verify_with(client_data_hash, &AttestationOptions::default())
    }

    /// Verifies the statement and assesses its trust with `options`.
    pub(crate) fn verify_with(
        &self,
        client_data_hash: &[u8; 32],
        options: &AttestationOptions,
    ) -> Result<AttestationResult> {
        let context = Context { options, now_ms: options.now_ms() };
        let outcome = verify_statement(self, client_data_hash, &context)?;
        Ok(AttestationResult {
            format: self.format.clone(),
            trust: outcome.trust,
            anchor: outcome.anchor,
            model: outcome.model,
        })
    }

    /// The attested credential (present: `parse` refuses a registration without one).
    fn credential(&self) -> Result<&crate::webauthn::AttestedCredentialData> {
        self.auth_data.attested_credential_data.as_ref().ok_or_else(|| malformed("no attested credential data"))
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
        field_of(&self.statement, name)
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

fn parse_sub_statements(value: Value) -> Result<Vec<SubStatement>> {
    let items = value.into_array().map_err(|_| malformed("compound attStmt is not an array"))?;
    items
        .into_iter()
        .map(|item| {
            let map = item.into_map().map_err(|_| malformed("compound attStmt entry is not a map"))?;
            let (mut fmt, mut stmt) = (None, None);
            for (key, value) in map {
                match key.as_text() {
                    Some("fmt") => fmt = value.into_text().ok(),
                    Some("attStmt") => stmt = value.into_map().ok(),
                    _ => {}
                }
            }
            match (fmt, stmt) {
                (Some(fmt), Some(stmt)) => Ok((fmt, stmt)),
                _ => Err(malformed("compound attStmt entry needs fmt and a map attStmt")),
            }
        })
        .collect()
}

fn field_of<'a>(statement: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    statement.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v)
}

/// Verifies `object`'s statement by its format (`compound` calls this for each sub-statement,
/// with an object whose format and statement are the sub-statement's).
fn verify_statement(object: &AttestationObject, client_data_hash: &[u8; 32], context: &Context<'_>) -> Result<Outcome> {
    let format = object.format.as_str();
    match format {
        "none" => {
            if !object.statement.is_empty() {
                return Err(malformed("none attestation must have an empty statement"));
            }
            Ok(Outcome::of(AttestationTrust::None))
        }
        "packed" => packed::verify(object, client_data_hash, context),
        "fido-u2f" => fido_u2f::verify(object, client_data_hash, context),
        "tpm" => tpm::verify(object, client_data_hash, context),
        "android-key" => android_key::verify(object, client_data_hash, context),
        "android-safetynet" => android_safetynet::verify(object, client_data_hash, context),
        "apple" => apple::verify(object, client_data_hash, context),
        "compound" => compound::verify(object, client_data_hash, context),
        _ => Err(malformed("unknown attestation statement format")),
    }
}

pub(crate) fn malformed(why: &str) -> Error {
    Error::verification(Check::AttestationStatement, format!("attestation: {why}"))
}
