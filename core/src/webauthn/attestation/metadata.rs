//! FIDO Metadata Service (MDS3) BLOBs, loaded from a local file (never fetched at run time).
//!
//! The BLOB is a JWS whose `x5c` chain must reach the FIDO root (GlobalSign Root CA - R3, bundled
//! as core/data/roots/mds.pem) and whose signature must verify. From its entries kavach uses, per
//! AAGUID: the authenticator's description (for naming credentials), its status reports (an
//! authenticator whose latest status is REVOKED or a *_COMPROMISE is refused) and its
//! attestation root certificates (trust anchors for that model's attestation chains). A root
//! listed for several models (vendors share them) proves only that the authenticator is one of
//! them; see [`Metadata::models_with_root`].
//! Entries keyed only by AAID (UAF) or attestation certificate key identifiers (U2F) are not used.
//!
//! A BLOB past its `nextUpdate` may miss newer status reports (a model revoked since): loading one
//! logs a warning, or is refused with `passkey.metadata.stale: "refuse"`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::chain;
use super::jws::Jws;
use super::roots::{AnchorSource, MDS_ROOT_PEM, TrustAnchor, TrustRoots};
use crate::error::{Error, Result};

/// A verified metadata BLOB.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The BLOB's serial number (`no`).
    pub number: u64,
    /// `nextUpdate` (YYYY-MM-DD) as the BLOB states it.
    pub next_update: String,
    entries: HashMap<[u8; 16], MetadataEntry>,
    /// Each attestation root's DER, and the models that list it.
    models_by_root: HashMap<Vec<u8>, Vec<[u8; 16]>>,
}

/// What the BLOB says about one authenticator model.
#[derive(Debug, Clone)]
pub struct MetadataEntry {
    /// `metadataStatement.description`.
    pub description: String,
    /// The latest status report's status (`FIDO_CERTIFIED_L1`, `REVOKED`, ...), if any.
    pub status: Option<String>,
    /// `metadataStatement.attestationRootCertificates` as anchors.
    pub roots: Vec<TrustAnchor>,
}

impl Metadata {
    /// Loads and verifies a BLOB file against the FIDO root, at `now_ms`.
    pub fn from_file(path: &str, now_ms: i64) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("passkey.metadata.blobPath: cannot read {path}: {e}")))?;
        Self::from_blob(&text, now_ms)
    }

    /// Verifies a BLOB (JWS compact text) against the FIDO root, at `now_ms`.
    pub fn from_blob(blob: &str, now_ms: i64) -> Result<Self> {
        let mut roots = TrustRoots::empty();
        for anchor in TrustAnchor::from_pem("FIDO Metadata Service root (GlobalSign Root CA - R3)", None, MDS_ROOT_PEM)?
        {
            roots.add(anchor);
        }
        Self::danger_from_blob_signed_by(blob, &roots, now_ms)
    }

    /// Verifies a BLOB against `roots` **instead of the FIDO root**. For tests, which sign their
    /// own BLOBs; a host that uses this with anything but the FIDO root trusts whoever holds it.
    pub fn danger_from_blob_signed_by(blob: &str, roots: &TrustRoots, now_ms: i64) -> Result<Self> {
        let bad = |why: &str| Error::config(format!("passkey.metadata: {why}"));
        let jws = Jws::parse(blob).ok_or_else(|| bad("the BLOB is not a JWS"))?;
        let certs = jws.certificates().ok_or_else(|| bad("the BLOB's x5c holds an invalid certificate"))?;
        if certs.is_empty() {
            return Err(bad("the BLOB's header has no x5c chain"));
        }
        let der: Vec<&[u8]> = jws.x5c.iter().map(Vec::as_slice).collect();
        match chain::validate(&certs, &der, roots.anchors(), now_ms) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(bad("the BLOB's signing chain does not reach the FIDO root")),
            Err(e) => return Err(bad(&format!("the BLOB's signing chain is invalid: {}", e.message()))),
        }
        jws.verify(&certs[0]).map_err(bad)?;

        let payload = &jws.payload;
        let number = payload.get("no").and_then(Value::as_u64).ok_or_else(|| bad("the BLOB has no serial number"))?;
        let next_update = payload.get("nextUpdate").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut entries = HashMap::new();
        for entry in payload.get("entries").and_then(Value::as_array).ok_or_else(|| bad("the BLOB has no entries"))? {
            let Some(aaguid) = entry.get("aaguid").and_then(Value::as_str).and_then(parse_aaguid) else { continue };
            let statement = entry.get("metadataStatement").cloned().unwrap_or(Value::Null);
            let description =
                statement.get("description").and_then(Value::as_str).unwrap_or("Unknown authenticator").to_owned();
            let status = latest_status(entry.get("statusReports"));
            let mut anchors = Vec::new();
            for root in statement.get("attestationRootCertificates").and_then(Value::as_array).into_iter().flatten() {
                let der = root
                    .as_str()
                    .and_then(|b64| STANDARD.decode(b64).ok())
                    .ok_or_else(|| bad(&format!("entry {description}: an attestation root is not base64")))?;
                let anchor = TrustAnchor::from_der(format!("FIDO MDS: {description}"), None, der)?;
                anchors.push(anchor.sourced_from(AnchorSource::Metadata));
            }
            entries.insert(aaguid, MetadataEntry { description, status, roots: anchors });
        }
        let mut models_by_root: HashMap<Vec<u8>, Vec<[u8; 16]>> = HashMap::new();
        for (aaguid, entry) in &entries {
            for root in &entry.roots {
                let models = models_by_root.entry(root.der().to_vec()).or_default();
                if !models.contains(aaguid) {
                    models.push(*aaguid);
                }
            }
        }
        for models in models_by_root.values_mut() {
            models.sort_unstable();
        }
        Ok(Self { number, next_update, entries, models_by_root })
    }

    /// Whether the BLOB is past its `nextUpdate` at `now_ms` (a BLOB without a readable date
    /// counts as stale: nothing says it is current).
    pub fn is_stale(&self, now_ms: i64) -> bool {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(&self.next_update, &format) {
            Ok(date) => {
                let next = date.midnight().assume_utc().unix_timestamp().saturating_mul(1000);
                now_ms >= next
            }
            Err(_) => true,
        }
    }

    /// Every model whose entry lists this attestation root (DER), sorted.
    pub(crate) fn models_with_root(&self, root_der: &[u8]) -> Vec<[u8; 16]> {
        self.models_by_root.get(root_der).cloned().unwrap_or_default()
    }

    /// The entry for an AAGUID.
    pub fn entry(&self, aaguid: &[u8; 16]) -> Option<&MetadataEntry> {
        self.entries.get(aaguid)
    }

    /// The attestation roots the BLOB lists for an AAGUID.
    pub(crate) fn roots_for(&self, aaguid: &[u8; 16]) -> Vec<TrustAnchor> {
        self.entry(aaguid).map(|e| e.roots.clone()).unwrap_or_default()
    }

    /// Why an authenticator must be refused, if its latest status says so.
    pub fn refusal(&self, aaguid: &[u8; 16]) -> Option<String> {
        let entry = self.entry(aaguid)?;
        let status = entry.status.as_deref()?;
        (status == "REVOKED" || status.ends_with("_COMPROMISE"))
            .then(|| format!("authenticator '{}' has FIDO metadata status {status}", entry.description))
    }
}

/// The status of the report with the latest `effectiveDate` (ISO dates compare as text); without
/// dates, the last report.
fn latest_status(reports: Option<&Value>) -> Option<String> {
    let reports = reports?.as_array()?;
    let mut latest: Option<(&str, &str)> = None;
    for report in reports {
        let Some(status) = report.get("status").and_then(Value::as_str) else { continue };
        let date = report.get("effectiveDate").and_then(Value::as_str).unwrap_or("");
        if latest.is_none_or(|(d, _)| date >= d) {
            latest = Some((date, status));
        }
    }
    latest.map(|(_, status)| status.to_owned())
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (case-insensitive).
pub(crate) fn parse_aaguid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}
