//! The WebAuthn Level 3 platform options (DESIGN §9): related origins, native apps, PRF, U2F
//! `appid`, the counter policy and conditional create, each validated into a checked value.

use serde::Deserialize;
use url::Url;

use crate::base64url;
use crate::error::{Error, Result};
use crate::rp::{Origin, RpId};

/// Browsers read at most this many distinct labels from `/.well-known/webauthn` (WebAuthn L3
/// §5.11.1): origins past the fifth label are ignored, so their ceremonies would fail.
pub(crate) const MAX_RELATED_LABELS: usize = 5;

/// The well-known documents' paths, from the site root (DESIGN §9).
pub(crate) const WEBAUTHN_PATH: &str = "/.well-known/webauthn";
pub(crate) const ASSET_LINKS_PATH: &str = "/.well-known/assetlinks.json";
pub(crate) const APPLE_APP_SITE_ASSOCIATION_PATH: &str = "/.well-known/apple-app-site-association";

/// `passkey.apps`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppsConfig {
    /// Android apps signing in with the platform's Credential Manager.
    #[serde(default)]
    pub android: Vec<AndroidAppConfig>,
    /// iOS / macOS apps (Associated Domains, `webcredentials`).
    #[serde(default)]
    pub ios: Vec<IosAppConfig>,
}

/// One Android app: its package name and the SHA-256 fingerprints of its signing certificates.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AndroidAppConfig {
    /// `com.example.app`.
    pub package: String,
    /// `AB:CD:...` (32 bytes in hex, colons optional), as `keytool -list` or the Play Console
    /// print them.
    #[serde(alias = "sha256_cert_fingerprints")]
    pub sha256_cert_fingerprints: Vec<String>,
}

/// One Apple app: team ID and bundle ID.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IosAppConfig {
    /// The 10-character Apple Developer team ID.
    #[serde(alias = "team_id")]
    pub team_id: String,
    /// `com.example.app`.
    #[serde(alias = "bundle_id")]
    pub bundle_id: String,
}

/// A validated Android app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AndroidApp {
    pub(crate) package: String,
    /// Uppercase, colon-separated, as Digital Asset Links writes them.
    pub(crate) fingerprints: Vec<String>,
    /// `android:apk-key-hash:<base64url(fingerprint)>`, one per fingerprint.
    pub(crate) origins: Vec<Origin>,
}

/// A validated Apple app: `TEAMID.bundle.id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IosApp {
    pub(crate) app_id: String,
}

/// `passkey.counterPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterPolicy {
    /// A counter that did not increase refuses the sign-in (`COUNTER_REGRESSION`).
    #[default]
    Strict,
    /// The sign-in is accepted; the credential is marked `cloneWarning` and the regression logged.
    Flag,
}

/// The platform settings, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlatformSettings {
    pub(crate) related_origins: Vec<Origin>,
    pub(crate) android: Vec<AndroidApp>,
    pub(crate) ios: Vec<IosApp>,
    pub(crate) prf: bool,
    pub(crate) appid: Option<String>,
    pub(crate) counter_policy: CounterPolicy,
    pub(crate) conditional_create: bool,
}

impl PlatformSettings {
    /// Every app origin (Android apk-key-hash), accepted in client data only as whole strings.
    pub(crate) fn app_origins(&self) -> impl Iterator<Item = &Origin> {
        self.android.iter().flat_map(|app| app.origins.iter())
    }
}

/// What [`platform_settings`] reads from `passkey`.
pub(crate) struct PlatformInput<'a> {
    pub(crate) related_origins: &'a [String],
    pub(crate) apps: Option<&'a AppsConfig>,
    pub(crate) prf: bool,
    pub(crate) appid: Option<&'a str>,
    pub(crate) counter_policy: Option<&'a str>,
    pub(crate) conditional_create: Option<bool>,
    pub(crate) user_verification_required: bool,
}

/// Validates the platform options; `origins` are the RP's own (`passkey.origin`).
pub(crate) fn platform_settings(
    input: &PlatformInput<'_>,
    rp_id: &RpId,
    origins: &[Origin],
) -> Result<PlatformSettings> {
    let mut related_origins = Vec::new();
    for text in input.related_origins {
        let origin = Origin::parse_web(text).map_err(|e| Error::config(e.named("passkey.relatedOrigins")))?;
        if origins.contains(&origin) || related_origins.contains(&origin) {
            return Err(Error::config(format!(
                "passkey.relatedOrigins lists '{origin}' twice (or it is already in passkey.origin)"
            )));
        }
        related_origins.push(origin);
    }
    let labels = distinct_labels(origins.iter().chain(&related_origins));
    if labels.len() > MAX_RELATED_LABELS {
        return Err(Error::config(format!(
            "passkey.relatedOrigins spans {} registrable domain labels ({}); browsers accept at most \
             {MAX_RELATED_LABELS}, and ignore origins past the fifth",
            labels.len(),
            labels.join(", ")
        )));
    }
    let apps = input.apps.cloned().unwrap_or_default();
    let android = apps.android.iter().map(android_app).collect::<Result<Vec<_>>>()?;
    let ios = apps.ios.iter().map(ios_app).collect::<Result<Vec<_>>>()?;
    let appid = input.appid.map(|text| appid(text, rp_id)).transpose()?;
    let counter_policy = match input.counter_policy.unwrap_or("strict") {
        "strict" => CounterPolicy::Strict,
        "flag" => CounterPolicy::Flag,
        other => {
            return Err(Error::config(format!("passkey.counterPolicy must be 'strict' or 'flag', not '{other}'")));
        }
    };
    let conditional_create = match (input.conditional_create, input.user_verification_required) {
        (Some(true), true) => {
            return Err(Error::config(
                "passkey.conditionalCreate needs passkey.userVerification 'preferred' or 'discouraged': an automatic \
                 passkey upgrade happens without user verification",
            ));
        }
        (Some(explicit), _) => explicit,
        (None, required) => !required,
    };
    Ok(PlatformSettings { related_origins, android, ios, prf: input.prf, appid, counter_policy, conditional_create })
}

/// The label of each origin's registrable domain (`example` for `shop.example.co.uk`), distinct,
/// in order: what browsers count against the five-label limit.
pub(crate) fn distinct_labels<'a>(origins: impl Iterator<Item = &'a Origin>) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for host in origins.filter_map(Origin::host) {
        let label = registrable_label(host);
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

fn registrable_label(host: &str) -> String {
    let domain = psl::domain_str(host).unwrap_or(host);
    let suffix = psl::suffix_str(domain).unwrap_or_default();
    let without_suffix = domain.strip_suffix(suffix).map(|d| d.trim_end_matches('.')).unwrap_or(domain);
    let without_suffix = if without_suffix.is_empty() { domain } else { without_suffix };
    without_suffix.rsplit('.').next().unwrap_or(without_suffix).to_owned()
}

fn android_app(app: &AndroidAppConfig) -> Result<AndroidApp> {
    let valid_package = app.package.split('.').count() >= 2
        && app.package.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid_package {
        return Err(Error::config(format!(
            "passkey.apps.android package '{}' is not an Android package name such as com.example.app",
            app.package
        )));
    }
    if app.sha256_cert_fingerprints.is_empty() {
        return Err(Error::config(format!(
            "passkey.apps.android '{}' needs at least one sha256CertFingerprints entry",
            app.package
        )));
    }
    let mut fingerprints = Vec::new();
    let mut origins = Vec::new();
    for text in &app.sha256_cert_fingerprints {
        let bytes = fingerprint_bytes(text).ok_or_else(|| {
            Error::config(format!(
                "passkey.apps.android '{}' fingerprint '{text}' is not a SHA-256 fingerprint (32 bytes in hex, such \
                 as AB:CD:...: `keytool -list -v` or the Play Console's app signing page shows it)",
                app.package
            ))
        })?;
        let origin = Origin::parse(&format!("android:apk-key-hash:{}", base64url::encode(&bytes)))
            .map_err(|e| Error::config(e.named("passkey.apps.android")))?;
        fingerprints.push(bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"));
        origins.push(origin);
    }
    Ok(AndroidApp { package: app.package.clone(), fingerprints, origins })
}

fn fingerprint_bytes(text: &str) -> Option<Vec<u8>> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect()
}

fn ios_app(app: &IosAppConfig) -> Result<IosApp> {
    if app.team_id.len() != 10 || !app.team_id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err(Error::config(format!(
            "passkey.apps.ios teamId '{}' must be the 10-character Apple team ID (uppercase letters and digits)",
            app.team_id
        )));
    }
    let valid_bundle = !app.bundle_id.is_empty()
        && app.bundle_id.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid_bundle {
        return Err(Error::config(format!(
            "passkey.apps.ios bundleId '{}' is not a bundle ID such as com.example.app",
            app.bundle_id
        )));
    }
    Ok(IosApp { app_id: format!("{}.{}", app.team_id, app.bundle_id) })
}

/// A FIDO U2F AppID is an https URL (FIDO AppID and Facet §3) whose host the RP ID covers, so a
/// browser will accept it for this site.
fn appid(text: &str, rp_id: &RpId) -> Result<String> {
    let url = Url::parse(text).ok().filter(|url| matches!(url.scheme(), "https" | "http")).ok_or_else(|| {
        Error::config(format!("passkey.appid '{text}' must be the https URL your U2F deployment used"))
    })?;
    let origin = Origin::of_url(&url).map_err(|e| Error::config(e.named("passkey.appid")))?;
    if !rp_id.covers(&origin) {
        return Err(Error::config(format!(
            "passkey.appid '{text}' is not on passkey.rpId '{rp_id}' or one of its subdomains: browsers refuse it"
        )));
    }
    Ok(text.to_owned())
}
