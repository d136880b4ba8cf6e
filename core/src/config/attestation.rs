//! `attestationPolicy`, `attestationRoots`, `bundledAttestationRoots`, `metadata`,
//! `androidSafetyNet`: what attestation is trusted and what is acceptable.

use std::sync::Arc;

use serde::Deserialize;

use super::PasskeyConfig;
use crate::error::{Error, Result};
use crate::verify::{AttestationOptions, AttestationPolicy, Metadata, TrustAnchor, TrustRoots};

/// `passkey.attestationPolicy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttestationPolicyConfig {
    /// `any` (default) or `verified` (a certificate chain to a trusted root).
    #[serde(default)]
    pub require: Option<String>,
    /// Only these AAGUIDs (dashed hex) may register.
    #[serde(default, alias = "allowed_aaguids")]
    pub allowed_aaguids: Option<Vec<String>>,
}

/// One entry of `passkey.attestationRoots`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttestationRootConfig {
    /// Recorded with credentials whose chain reaches it.
    pub name: String,
    /// The attestation format it vouches for; absent = any format.
    #[serde(default)]
    pub format: Option<String>,
    /// One or more PEM certificates.
    pub pem: String,
}

/// `passkey.metadata`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataConfig {
    /// Path of the BLOB (the JWS text as downloaded from <https://mds3.fidoalliance.org/>) loaded
    /// at start-up. Optional: `loadMetadata(blob)` can load (and replace) it at run time.
    #[serde(default, alias = "blob_path")]
    pub blob_path: Option<String>,
    /// A BLOB past its `nextUpdate`: `warn` (default: loaded, with a warning) or `refuse` (at
    /// start-up and by `loadMetadata`).
    #[serde(default)]
    pub stale: Option<String>,
}

/// `passkey.androidSafetyNet`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SafetyNetConfig {
    /// Refuse devices whose `ctsProfileMatch` is false. Default true.
    #[serde(default, alias = "require_cts_profile_match")]
    pub require_cts_profile_match: Option<bool>,
}

/// The attestation statement formats roots can be declared for.
const ATTESTATION_FORMATS: [&str; 6] = ["packed", "fido-u2f", "tpm", "android-key", "android-safetynet", "apple"];

/// `attestationPolicy`, `attestationRoots`, `bundledAttestationRoots`, `metadata`,
/// `androidSafetyNet`.
pub(super) fn attestation_settings(
    passkey: &PasskeyConfig,
    warnings: &mut Vec<String>,
) -> Result<(AttestationOptions, AttestationPolicy, bool)> {
    let mut policy = AttestationPolicy::default();
    if let Some(config) = &passkey.attestation_policy {
        policy.require_verified = match config.require.as_deref().unwrap_or("any") {
            "any" => false,
            "verified" => true,
            other => {
                return Err(Error::config(format!(
                    "passkey.attestationPolicy.require must be 'any' or 'verified', not '{other}'"
                )));
            }
        };
        for text in config.allowed_aaguids.iter().flatten() {
            let aaguid = crate::webauthn::attestation::metadata::parse_aaguid(text).ok_or_else(|| {
                Error::config(format!(
                    "passkey.attestationPolicy.allowedAaguids: '{text}' is not an AAGUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
                ))
            })?;
            policy.allowed_aaguids.push(aaguid);
        }
        if config.allowed_aaguids.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::config("passkey.attestationPolicy.allowedAaguids must list at least one AAGUID"));
        }
    }

    let mut roots =
        if passkey.bundled_attestation_roots.unwrap_or(true) { TrustRoots::bundled() } else { TrustRoots::empty() };
    for root in &passkey.attestation_roots {
        if root.name.trim().is_empty() {
            return Err(Error::config("passkey.attestationRoots: every root needs a name"));
        }
        if let Some(format) = &root.format
            && !ATTESTATION_FORMATS.contains(&format.as_str())
        {
            return Err(Error::config(format!(
                "passkey.attestationRoots '{}': format must be one of {}, not '{format}'",
                root.name,
                ATTESTATION_FORMATS.join(", ")
            )));
        }
        for anchor in TrustAnchor::from_pem(&root.name, root.format.as_deref(), &root.pem)? {
            roots.add(anchor);
        }
    }
    let refuse_stale = match passkey.metadata.as_ref().and_then(|config| config.stale.as_deref()).unwrap_or("warn") {
        "warn" => false,
        "refuse" => true,
        other => {
            return Err(Error::config(format!("passkey.metadata.stale must be 'warn' or 'refuse', not '{other}'")));
        }
    };
    let metadata = match passkey.metadata.as_ref().and_then(|config| config.blob_path.as_deref()) {
        Some(blob_path) => {
            let now = crate::time::now_ms();
            let metadata = Metadata::from_file(blob_path, now)?;
            if metadata.is_stale(now) {
                let why = format!(
                    "passkey.metadata: the BLOB (number {}) is past its nextUpdate {}: download a current one from \
                     https://mds3.fidoalliance.org/ (statuses such as REVOKED may be missing)",
                    metadata.number, metadata.next_update
                );
                if refuse_stale {
                    return Err(Error::config(why));
                }
                warnings.push(why);
            }
            Some(Arc::new(metadata))
        }
        None => None,
    };
    let safetynet_require_cts_profile_match =
        passkey.android_safety_net.as_ref().and_then(|s| s.require_cts_profile_match).unwrap_or(true);
    let options = AttestationOptions {
        roots: Arc::new(roots),
        metadata,
        safetynet_require_cts_profile_match,
        ..AttestationOptions::default()
    };
    Ok((options, policy, refuse_stale))
}
