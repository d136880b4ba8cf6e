//! Trust anchors for attestation chains (WebAuthn §7.1 step 23: "obtain a list of acceptable trust
//! anchors"): the vendor roots kavach bundles, roots from configuration, and roots a FIDO
//! Metadata Service BLOB names per authenticator model.
//!
//! An anchor is used only for the formats it is declared for (an Apple root must not vouch for a
//! TPM) and only while it is itself valid at the verification time.

use std::sync::{Arc, LazyLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::certificate;
use crate::error::{Error, Result};

/// Where a trust anchor came from: recorded with credentials whose chain reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorSource {
    /// Compiled into kavach (Apple, Google, GlobalSign, Microsoft TPM).
    Bundled,
    /// The host's configuration (`attestationRoots`) or its own code.
    Configured,
    /// A FIDO Metadata Service BLOB, which lists it for particular authenticator models.
    Metadata,
}

impl AnchorSource {
    /// `bundled`, `configured` or `mds`: the stable string form stored with credentials.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bundled => "bundled",
            Self::Configured => "configured",
            Self::Metadata => "mds",
        }
    }
}

/// One trusted root certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The name recorded with credentials that chain to it.
    pub name: String,
    /// The attestation format it vouches for (`apple`, `tpm`, ...); `None` = every format.
    pub format: Option<String>,
    /// Where it came from.
    pub source: AnchorSource,
    der: Vec<u8>,
}

impl std::fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustAnchor")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl TrustAnchor {
    /// A host's anchor ([`AnchorSource::Configured`]) from one DER certificate. A certificate that
    /// does not parse is `INVALID_CONFIG`.
    pub fn from_der(name: impl Into<String>, format: Option<&str>, der: Vec<u8>) -> Result<Self> {
        let name = name.into();
        if certificate::parse(&der).is_err() {
            return Err(Error::config(format!("attestation root '{name}' is not a valid X.509 certificate")));
        }
        Ok(Self { name, format: format.map(str::to_owned), source: AnchorSource::Configured, der })
    }

    /// The same anchor, recorded as coming from `source`.
    pub(crate) fn sourced_from(mut self, source: AnchorSource) -> Self {
        self.source = source;
        self
    }

    /// Every certificate of a PEM text (one or more `CERTIFICATE` blocks) as anchors of one name.
    pub fn from_pem(name: &str, format: Option<&str>, pem: &str) -> Result<Vec<Self>> {
        let ders = pem_certificates(pem)
            .ok_or_else(|| Error::config(format!("attestation root '{name}' is not PEM certificate text")))?;
        ders.into_iter().map(|der| Self::from_der(name, format, der)).collect()
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    fn applies_to(&self, format: &str) -> bool {
        self.format.as_deref().is_none_or(|f| f == format)
    }
}

/// A set of trust anchors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustRoots {
    anchors: Vec<TrustAnchor>,
}

/// The roots compiled in (core/data/roots/, see its README for sources and validity).
const BUNDLED: &[(&str, &str, &str)] = &[
    ("Apple WebAuthn Root CA", "apple", include_str!("../../../data/roots/apple.pem")),
    ("Google Hardware Attestation Root", "android-key", include_str!("../../../data/roots/android-key.pem")),
    ("GlobalSign Root CA", "android-safetynet", include_str!("../../../data/roots/android-safetynet.pem")),
    ("Microsoft TPM Root Certificate Authority 2014", "tpm", include_str!("../../../data/roots/tpm-microsoft.pem")),
];

/// GlobalSign Root CA - R3: the root of the FIDO Metadata Service BLOB's signing chain.
pub(crate) const MDS_ROOT_PEM: &str = include_str!("../../../data/roots/mds.pem");

static BUNDLED_ROOTS: LazyLock<Arc<TrustRoots>> = LazyLock::new(|| {
    let mut roots = TrustRoots::empty();
    for (name, format, pem) in BUNDLED {
        // The PEM files are compiled in and parsed by a unit test: an error here is a build defect.
        for anchor in TrustAnchor::from_pem(name, Some(format), pem).unwrap_or_default() {
            roots.add(anchor.sourced_from(AnchorSource::Bundled));
        }
    }
    Arc::new(roots)
});

impl TrustRoots {
    /// No anchors: every chain is `unverified`.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The bundled vendor roots (Apple, Google hardware attestation, GlobalSign for SafetyNet,
    /// Microsoft TPM).
    pub fn bundled() -> Self {
        (**BUNDLED_ROOTS).clone()
    }

    /// The bundled roots, shared.
    pub(crate) fn bundled_shared() -> Arc<Self> {
        Arc::clone(&BUNDLED_ROOTS)
    }

    /// Adds an anchor.
    pub fn add(&mut self, anchor: TrustAnchor) {
        self.anchors.push(anchor);
    }

    /// Removes the anchors declared for `format` (so that a test or a host can replace them).
    pub fn remove_format(&mut self, format: &str) {
        self.anchors.retain(|a| a.format.as_deref() != Some(format));
    }

    /// Every anchor.
    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    /// The anchors that may vouch for `format`.
    pub(super) fn for_format<'a>(&'a self, format: &'a str) -> impl Iterator<Item = &'a TrustAnchor> + 'a {
        self.anchors.iter().filter(move |a| a.applies_to(format))
    }
}

/// The DER of every `CERTIFICATE` block of a PEM text; `None` if there is none or one is damaged.
pub(crate) fn pem_certificates(pem: &str) -> Option<Vec<Vec<u8>>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let body_start = start + BEGIN.len();
        let end = rest[body_start..].find(END)? + body_start;
        let body: String = rest[body_start..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
        out.push(STANDARD.decode(body).ok()?);
        rest = &rest[end + END.len()..];
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_root_parses() {
        let roots = TrustRoots::bundled();
        assert_eq!(roots.anchors().len(), 7);
        assert_eq!(roots.for_format("android-key").count(), 4);
        assert_eq!(roots.for_format("packed").count(), 0);
        assert!(TrustAnchor::from_pem("mds", None, MDS_ROOT_PEM).is_ok());
    }

    #[test]
    fn damaged_pem_is_a_config_error() {
        assert!(TrustAnchor::from_pem("x", None, "hello").is_err());
        assert!(
            TrustAnchor::from_pem("x", None, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err()
        );
    }
}
