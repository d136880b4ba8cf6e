//! Configuration (DESIGN §2): the same names in every language, validated once at start-up into
//! [`Settings`], whose fields can only hold checked values.
//!
//! JSON keys are camelCase as the JavaScript API documents them; snake_case spellings are accepted
//! too, for Python and C. Unknown keys are refused: a misspelt `rpID` silently ignored would give a
//! server that fails every ceremony.

mod attestation;
mod database;
mod platform;
mod rate_limit;
#[cfg(test)]
mod tests;

use serde::Deserialize;
use url::Url;

pub use self::attestation::{AttestationPolicyConfig, AttestationRootConfig, MetadataConfig, SafetyNetConfig};
pub use self::database::{DEFAULT_POOL_SIZE, Database, DatabaseConfig};
pub(crate) use self::platform::{APPLE_APP_SITE_ASSOCIATION_PATH, ASSET_LINKS_PATH, PlatformSettings, WEBAUTHN_PATH};
pub use self::platform::{AndroidAppConfig, AppsConfig, CounterPolicy, IosAppConfig};
pub use self::rate_limit::{RateLimit, RateLimitConfig, RateLimitStorage};
use crate::error::{Error, Result, clipped};
pub use crate::proxies::TrustedProxies;
use crate::rp::{Origin, RpId};
use crate::verify::{AttestationOptions, AttestationPolicy};
use crate::webauthn::CoseAlgorithm;
use crate::webauthn::algorithms::{DEFAULT_ALGORITHMS, parse_algorithms};
use crate::webauthn::options::{AttestationConveyance, Hint, UserVerification};

/// Configuration as the host writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Where data lives. Default: SQLite `file:kavach.db`.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// At least 32 bytes. Keys the challenge MACs (HKDF, one key per purpose). Absent or `null`
    /// is read as empty, so that it gets the "secret is required" message rather than serde's.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub secret: String,
    /// Earlier secrets, still accepted when verifying challenges issued under them, never used
    /// for issuing: rotate by moving `secret` here and setting a new one. Each at least 32 bytes.
    #[serde(default, alias = "previous_secrets")]
    pub previous_secrets: Vec<String>,
    /// The public URL of the auth server: its origin is the default allowed origin, and `https`
    /// turns on `Secure` cookies.
    #[serde(alias = "base_url")]
    pub base_url: String,
    /// Path prefix of every route. Default `/auth`.
    #[serde(default, alias = "base_path")]
    pub base_path: Option<String>,
    /// Session lifetime.
    #[serde(default)]
    pub session: SessionConfig,
    /// Passkey options (the `passkey({...})` plugin).
    #[serde(default)]
    pub passkey: Option<PasskeyConfig>,
    /// Plugins as the JavaScript API passes them: `[{ "id": "passkey", ...options }]`.
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
    /// Per-client rate limit on the routes that need no session. Off unless given.
    #[serde(default, alias = "rate_limit")]
    pub rate_limit: Option<RateLimitConfig>,
    /// The reverse proxies (IP addresses or CIDR networks) whose `X-Forwarded-For` is believed
    /// when deriving a request's client key (DESIGN §11). Default: none (the peer is the key).
    #[serde(default, alias = "trusted_proxies")]
    pub trusted_proxies: Vec<String>,
    /// The audit log (`kavach_events`, DESIGN §10). On by default, 90 days.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The counters behind `metrics()`. On by default.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// `audit`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditConfig {
    /// Whether security events are stored (each in the transaction of its change). Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Stored events older than this many days are removed (a few at each write). Default 90.
    #[serde(default = "default_retention_days", alias = "retention_days")]
    pub retention_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { enabled: true, retention_days: default_retention_days() }
    }
}

/// `metrics`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsConfig {
    /// Whether answers, latencies and events are counted. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

fn default_retention_days() -> u32 {
    90
}

/// `session`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionConfig {
    /// Seconds. Default 7 days.
    #[serde(default = "default_max_age", alias = "max_age")]
    pub max_age: u64,
    /// Sliding renewal: a session used this many seconds after its last renewal (or its start)
    /// gets a new expiry, `maxAge` from then, and a refreshed cookie. Default 1 day.
    #[serde(default, alias = "update_age")]
    pub update_age: Option<u64>,
    /// No renewal goes past this many seconds after the session started. Default 30 days.
    #[serde(default, alias = "absolute_max_age")]
    pub absolute_max_age: Option<u64>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { max_age: default_max_age(), update_age: None, absolute_max_age: None }
    }
}

fn default_max_age() -> u64 {
    7 * 24 * 3600
}

/// One entry of `plugins`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "id", rename_all = "lowercase", deny_unknown_fields)]
pub enum PluginConfig {
    /// `passkey({...})`.
    Passkey(PasskeyConfig),
}

/// Passkey options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasskeyConfig {
    /// Shown by the browser when creating a passkey.
    #[serde(alias = "rp_name")]
    pub rp_name: String,
    /// The RP ID: a registrable suffix of every allowed origin's host.
    #[serde(alias = "rp_id")]
    pub rp_id: String,
    /// Allowed origins; default the origin of `baseUrl`.
    #[serde(default)]
    pub origin: Option<OneOrMany>,
    /// Ceremony timeout in milliseconds, 1 000 ..= 600 000. Default 60 000.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// `none` (default), `indirect` or `direct`.
    #[serde(default)]
    pub attestation: Option<String>,
    /// `required`, `preferred` (default) or `discouraged`.
    #[serde(default, alias = "user_verification")]
    pub user_verification: Option<String>,
    /// Let every user delete their last passkey (the host has other ways in). Default false; a
    /// per-user flag can allow it too.
    #[serde(default, alias = "allow_deleting_last_passkey")]
    pub allow_deleting_last_passkey: bool,
    /// What attestation is acceptable. Default: any (recorded, never refused).
    #[serde(default, alias = "attestation_policy")]
    pub attestation_policy: Option<AttestationPolicyConfig>,
    /// Extra attestation trust anchors, added to the bundled vendor roots.
    #[serde(default, alias = "attestation_roots")]
    pub attestation_roots: Vec<AttestationRootConfig>,
    /// Use the bundled vendor roots (Apple, Google, GlobalSign, Microsoft TPM). Default true.
    #[serde(default, alias = "bundled_attestation_roots")]
    pub bundled_attestation_roots: Option<bool>,
    /// A FIDO Metadata Service (MDS3) BLOB on disk.
    #[serde(default)]
    pub metadata: Option<MetadataConfig>,
    /// `android-safetynet` options.
    #[serde(default, alias = "android_safety_net")]
    pub android_safety_net: Option<SafetyNetConfig>,
    /// Deprecated, no effect: challenges are stateless, so there is nothing outstanding to cap
    /// (`rateLimit` limits floods). Accepted, with a warning, so existing configurations start.
    #[serde(default, alias = "max_outstanding_challenges")]
    pub max_outstanding_challenges: Option<serde::de::IgnoredAny>,
    /// The signature algorithms offered in `pubKeyCredParams`, by IANA name, most preferred
    /// first (`["ML-DSA-44", "ES256"]`). Default: every algorithm kavach verifies, classic ones
    /// first (`docs/algorithms.md`). A credential of another algorithm is refused.
    #[serde(default)]
    pub algorithms: Option<Vec<serde_json::Value>>,
    /// The pages (web origins) that may embed a ceremony in a cross-origin iframe, checked
    /// against `clientDataJSON.topOrigin`. Default none: cross-origin ceremonies are refused.
    #[serde(default, alias = "top_origins")]
    pub top_origins: Vec<String>,
    /// Which authenticators the browser should lead with, in both options (`security-key`,
    /// `client-device`, `hybrid`, most preferred first). Default none; a request may set its own.
    #[serde(default)]
    pub hints: Option<serde_json::Value>,
    /// Related Origin Requests: other sites (web origins) whose pages may use this RP ID; served
    /// in `GET /.well-known/webauthn`. At most five registrable-domain labels in all.
    #[serde(default, alias = "related_origins")]
    pub related_origins: Vec<String>,
    /// Native apps that share these passkeys (Android apk-key-hash origins, Apple
    /// `webcredentials`), served in `/.well-known/assetlinks.json` and
    /// `/.well-known/apple-app-site-association`.
    #[serde(default)]
    pub apps: Option<AppsConfig>,
    /// Request the PRF extension at registration (`Credential.prfEnabled` records the result).
    #[serde(default)]
    pub prf: bool,
    /// The FIDO U2F AppID of credentials imported from U2F (the `appid` extension).
    #[serde(default)]
    pub appid: Option<String>,
    /// `strict` (default: a regressed counter refuses the sign-in) or `flag` (accept it and mark
    /// the credential `cloneWarning`).
    #[serde(default, alias = "counter_policy")]
    pub counter_policy: Option<String>,
    /// Accept `register/options {mediation: 'conditional'}` (automatic passkey upgrade). Default
    /// true unless `userVerification` is `required`.
    #[serde(default, alias = "conditional_create")]
    pub conditional_create: Option<bool>,
    /// Actions the router performs only after a recent passkey check in the session (a passkey
    /// sign-in or a step-up), `REAUTH_REQUIRED` (403) otherwise: `{deleteCredential: 300}`
    /// (seconds). Default none.
    #[serde(default, alias = "require_recent_auth")]
    pub require_recent_auth: Option<RequireRecentAuthConfig>,
}

/// `passkey.requireRecentAuth`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequireRecentAuthConfig {
    /// `DELETE /passkey/credentials/:id`: seconds since the last passkey check.
    #[serde(default, alias = "delete_credential")]
    pub delete_credential: Option<u64>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Many.
    Many(Vec<String>),
}

/// Validated settings. Construct with [`Settings::from_config`].
#[derive(Clone)]
pub struct Settings {
    pub(crate) database: Database,
    pub(crate) pool_size: u32,
    pub(crate) secret: Vec<u8>,
    pub(crate) previous_secrets: Vec<Vec<u8>>,
    pub(crate) base_path: String,
    pub(crate) secure_cookies: bool,
    pub(crate) session_max_age: u64,
    /// `passkey.requireRecentAuth.deleteCredential`, seconds.
    pub(crate) recent_auth_to_delete: Option<u64>,
    /// `session.updateAge`, seconds.
    pub(crate) session_update_age: u64,
    /// `session.absoluteMaxAge`, seconds.
    pub(crate) session_absolute_max_age: u64,
    pub(crate) rp_name: String,
    pub(crate) rp_id: RpId,
    /// Serialized origins (`scheme://host[:port]`) accepted in client data.
    pub(crate) origins: Vec<Origin>,
    /// Top-level origins whose pages may embed a ceremony (`topOrigins`).
    pub(crate) top_origins: Vec<Origin>,
    /// Default hints of both options.
    pub(crate) hints: Vec<Hint>,
    /// Origins accepted in the `Origin` header of state-changing requests (and answered with
    /// CORS headers when they are not `baseUrl`'s): the web origins, related origins included,
    /// plus the origin of `baseUrl`.
    pub(crate) request_origins: Vec<Origin>,
    /// The origin of `baseUrl`: same-origin requests need no CORS headers.
    pub(crate) base_origin: Origin,
    /// Related origins, apps, PRF, appid, the counter policy, conditional create (DESIGN §9).
    pub(crate) platform: PlatformSettings,
    pub(crate) timeout_ms: u32,
    pub(crate) attestation: AttestationConveyance,
    pub(crate) user_verification: UserVerification,
    pub(crate) allow_deleting_last_passkey: bool,
    pub(crate) attestation_options: AttestationOptions,
    pub(crate) attestation_policy: AttestationPolicy,
    /// `passkey.metadata.stale: 'refuse'`: a BLOB past its `nextUpdate` is not loaded.
    pub(crate) refuse_stale_metadata: bool,
    pub(crate) rate_limit: Option<RateLimit>,
    /// `trustedProxies`: whose `X-Forwarded-For` decides the client key.
    pub(crate) trusted_proxies: TrustedProxies,
    /// What start-up should warn about (deprecated options, a stale metadata BLOB): logged when
    /// an instance is created.
    pub(crate) warnings: Vec<String>,
    /// `passkey.algorithms`: offered in this order, and the only ones a registration may use.
    pub(crate) algorithms: Vec<CoseAlgorithm>,
    /// `audit.enabled`.
    pub(crate) audit: bool,
    /// `audit.retentionDays`, in milliseconds.
    pub(crate) audit_retention_ms: i64,
    /// `metrics.enabled`.
    pub(crate) metrics: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("base_path", &self.base_path)
            .field("rp_id", &self.rp_id)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

const MIN_SECRET_BYTES: usize = 32;
/// Longest configuration error message, in characters.
const MAX_MESSAGE_CHARS: usize = 300;
const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 1_000..=600_000;
const MAX_SESSION_SECONDS: u64 = 400 * 24 * 3600; // browsers cap cookie lifetime at 400 days

impl Settings {
    /// Parses and validates a JSON configuration.
    pub fn from_json(json: &str) -> Result<Self> {
        let config: Config = serde_json::from_str(json).map_err(|err| {
            // serde's position ("at line 1 column 199") points into JSON that a binding wrote,
            // not into anything the host typed: leave it out.
            let text = err.to_string();
            let position = format!(" at line {} column {}", err.line(), err.column());
            let text = text.strip_suffix(position.as_str()).unwrap_or(&text);
            Error::config(format!("configuration is not valid: {}", clipped(text, 200)))
        })?;
        Self::from_config(config)
    }

    /// Validates a configuration.
    pub fn from_config(config: Config) -> Result<Self> {
        // Messages quote the offending value: keep them readable however long it was.
        Self::validate(config).map_err(|err| match err.message().chars().count() > MAX_MESSAGE_CHARS {
            true => Error::config(clipped(err.message(), MAX_MESSAGE_CHARS)),
            false => err,
        })
    }

    fn validate(config: Config) -> Result<Self> {
        let (database, pool_size) = database::database_settings(&config.database)?;
        if config.secret.is_empty() {
            return Err(Error::config(format!(
                "secret is required: at least {MIN_SECRET_BYTES} bytes, e.g. the output of `openssl rand -base64 32`"
            )));
        }
        if config.secret.len() < MIN_SECRET_BYTES {
            return Err(Error::config(format!(
                "secret must be at least {MIN_SECRET_BYTES} bytes (got {}); generate one with `openssl rand -base64 32`",
                config.secret.len()
            )));
        }
        if let Some((index, short)) =
            config.previous_secrets.iter().enumerate().find(|(_, s)| s.len() < MIN_SECRET_BYTES)
        {
            return Err(Error::config(format!(
                "previousSecrets[{index}] must be at least {MIN_SECRET_BYTES} bytes (got {})",
                short.len()
            )));
        }
        let mut warnings = Vec::new();
        let base_url = Url::parse(&config.base_url)
            .map_err(|_| Error::config(format!("baseUrl '{}' is not a valid URL", config.base_url)))?;
        let base_origin = Origin::of_url(&base_url).map_err(|e| Error::config(e.named("baseUrl")))?;
        let base_path = normalize_base_path(config.base_path.as_deref().unwrap_or("/auth"))?;
        if !(60..=MAX_SESSION_SECONDS).contains(&config.session.max_age) {
            return Err(Error::config("session.maxAge must be between 60 seconds and 400 days"));
        }
        let session_absolute_max_age =
            config.session.absolute_max_age.unwrap_or_else(|| config.session.max_age.max(30 * 24 * 3600));
        if !(config.session.max_age..=MAX_SESSION_SECONDS).contains(&session_absolute_max_age) {
            return Err(Error::config(format!(
                "session.absoluteMaxAge must be between session.maxAge ({}) and 400 days (in seconds)",
                config.session.max_age
            )));
        }
        let session_update_age = config.session.update_age.unwrap_or(24 * 3600).min(config.session.max_age);
        if !(1..=3650).contains(&config.audit.retention_days) {
            return Err(Error::config("audit.retentionDays must be between 1 and 3650"));
        }
        if config.session.update_age == Some(0) {
            return Err(Error::config("session.updateAge must be at least 1 second"));
        }

        let mut passkeys: Vec<PasskeyConfig> = config.passkey.into_iter().collect();
        passkeys.extend(config.plugins.into_iter().map(|PluginConfig::Passkey(p)| p));
        let passkey = match passkeys.len() {
            1 => passkeys.remove(0),
            0 => {
                return Err(Error::config(
                    "the passkey plugin is not configured (plugins: [passkey({ rpName, rpId })])",
                ));
            }
            _ => return Err(Error::config("the passkey plugin is configured more than once")),
        };

        if passkey.rp_name.trim().is_empty() {
            return Err(Error::config("passkey.rpName must not be empty"));
        }
        let rp_id = RpId::parse(&passkey.rp_id).map_err(|e| Error::config(e.named("passkey.rpId")))?;
        let origin = |text: &String| Origin::parse(text).map_err(|e| Error::config(e.named("origin")));
        let mut origins = match &passkey.origin {
            None => vec![base_origin.clone()],
            Some(OneOrMany::One(one)) => vec![origin(one)?],
            Some(OneOrMany::Many(many)) if many.is_empty() => {
                return Err(Error::config("passkey.origin must list at least one origin"));
            }
            Some(OneOrMany::Many(many)) => many.iter().map(origin).collect::<Result<_>>()?,
        };
        if let Some(uncovered) = origins.iter().find(|o| !rp_id.covers(o)) {
            return Err(Error::config(format!(
                "passkey.rpId '{rp_id}' is not a registrable suffix of the host of origin '{uncovered}' (list other \
                 sites in passkey.relatedOrigins)"
            )));
        }
        let top_origins = passkey
            .top_origins
            .iter()
            .map(|text| Origin::parse_web(text).map_err(|e| Error::config(e.named("passkey.topOrigins"))))
            .collect::<Result<Vec<_>>>()?;
        let hints = match &passkey.hints {
            None => Vec::new(),
            Some(value) => Hint::parse_list(value, "passkey.hints").map_err(Error::config)?,
        };
        let timeout = passkey.timeout.unwrap_or(60_000);
        if !TIMEOUT_RANGE_MS.contains(&timeout) {
            return Err(Error::config("passkey.timeout must be between 1000 and 600000 milliseconds"));
        }
        let attestation = match passkey.attestation.as_deref().unwrap_or("none") {
            "none" => AttestationConveyance::None,
            "indirect" => AttestationConveyance::Indirect,
            "direct" => AttestationConveyance::Direct,
            other => {
                return Err(Error::config(format!(
                    "passkey.attestation must be 'none', 'indirect' or 'direct', not '{other}'"
                )));
            }
        };
        let user_verification = match passkey.user_verification.as_deref().unwrap_or("preferred") {
            "required" => UserVerification::Required,
            "preferred" => UserVerification::Preferred,
            "discouraged" => UserVerification::Discouraged,
            other => {
                return Err(Error::config(format!(
                    "passkey.userVerification must be 'required', 'preferred' or 'discouraged', not '{other}'"
                )));
            }
        };

        let (attestation_options, attestation_policy, refuse_stale_metadata) =
            attestation::attestation_settings(&passkey, &mut warnings)?;
        if attestation == AttestationConveyance::None
            && (attestation_policy.require_verified || !attestation_policy.allowed_aaguids.is_empty())
        {
            return Err(Error::config(
                "passkey.attestationPolicy needs passkey.attestation 'direct' or 'indirect': with 'none' browsers \
                 send no attestation to check",
            ));
        }
        if passkey.max_outstanding_challenges.is_some() {
            warnings.push(
                "passkey.maxOutstandingChallenges is deprecated and has no effect: challenges are stateless, so \
                 options requests store nothing (use rateLimit to limit floods)"
                    .to_owned(),
            );
        }
        let recent_auth_to_delete = passkey.require_recent_auth.as_ref().and_then(|r| r.delete_credential);
        if recent_auth_to_delete.is_some_and(|seconds| !(1..=MAX_SESSION_SECONDS).contains(&seconds)) {
            return Err(Error::config(
                "passkey.requireRecentAuth.deleteCredential must be between 1 second and 400 days",
            ));
        }
        let rate_limit = rate_limit::rate_limit_settings(config.rate_limit.as_ref())?;
        let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies)?;
        let algorithms = algorithm_settings(passkey.algorithms.as_deref())?;

        let platform = platform::platform_settings(
            &platform::PlatformInput {
                related_origins: &passkey.related_origins,
                apps: passkey.apps.as_ref(),
                prf: passkey.prf,
                appid: passkey.appid.as_deref(),
                counter_policy: passkey.counter_policy.as_deref(),
                conditional_create: passkey.conditional_create,
                user_verification_required: user_verification == UserVerification::Required,
            },
            &rp_id,
            &origins,
        )?;
        // Related origins are exempt from the rpId rule (WebAuthn L3 §5.11: the browser checks
        // them against /.well-known/webauthn), app origins from everything but an exact match.
        origins.extend(platform.related_origins.iter().cloned());
        let mut request_origins: Vec<Origin> = origins.iter().filter(|o| o.host().is_some()).cloned().collect();
        if !request_origins.contains(&base_origin) {
            request_origins.push(base_origin.clone());
        }
        origins.extend(platform.app_origins().cloned());
        Ok(Self {
            database,
            pool_size,
            secret: config.secret.into_bytes(),
            previous_secrets: config.previous_secrets.into_iter().map(String::into_bytes).collect(),
            base_path,
            secure_cookies: base_url.scheme() == "https",
            session_max_age: config.session.max_age,
            session_update_age,
            session_absolute_max_age,
            recent_auth_to_delete,
            rp_name: passkey.rp_name,
            rp_id,
            origins,
            top_origins,
            hints,
            request_origins,
            base_origin,
            platform,
            timeout_ms: timeout as u32,
            attestation,
            user_verification,
            allow_deleting_last_passkey: passkey.allow_deleting_last_passkey,
            attestation_options,
            attestation_policy,
            refuse_stale_metadata,
            rate_limit,
            trusted_proxies,
            warnings,
            algorithms,
            audit: config.audit.enabled,
            audit_retention_ms: i64::from(config.audit.retention_days) * 24 * 3600 * 1000,
            metrics: config.metrics.enabled,
        })
    }

    /// What start-up warns about (deprecated options, a stale metadata BLOB); an instance logs
    /// these when it is created.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `passkey.algorithms`: the algorithms offered, most preferred first.
    pub fn algorithms(&self) -> &[CoseAlgorithm] {
        &self.algorithms
    }

    /// The per-client rate limit, if enabled.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// `trustedProxies`: the proxies whose `X-Forwarded-For` decides a request's client key.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// How attestation statements are verified (trust anchors, metadata, format options). The
    /// verification time is always the instance's clock.
    pub fn attestation(&self) -> &AttestationOptions {
        &self.attestation_options
    }

    /// Mutable [`Settings::attestation`]: how a host (or a test) installs roots or a metadata
    /// BLOB that configuration cannot express, before creating the instance.
    pub fn attestation_mut(&mut self) -> &mut AttestationOptions {
        &mut self.attestation_options
    }

    /// The attestation policy.
    pub fn attestation_policy(&self) -> &AttestationPolicy {
        &self.attestation_policy
    }

    /// Mutable [`Settings::attestation_policy`].
    pub fn attestation_policy_mut(&mut self) -> &mut AttestationPolicy {
        &mut self.attestation_policy
    }

    /// The RP ID.
    pub fn rp_id(&self) -> &RpId {
        &self.rp_id
    }

    /// The allowed WebAuthn origins.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// The counter policy (`passkey.counterPolicy`).
    pub fn counter_policy(&self) -> CounterPolicy {
        self.platform.counter_policy
    }

    /// The top-level origins whose pages may embed a ceremony in a cross-origin iframe.
    pub fn top_origins(&self) -> &[Origin] {
        &self.top_origins
    }

    /// The route prefix, e.g. `/auth`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Whether kavach serves this request path (query string allowed): it is `basePath` or below.
    /// Framework adapters use this to pass other requests on (`next()` in Express).
    pub fn handles_path(&self, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path == self.base_path || self.route_path(path).is_some() || self.serves_well_known(path)
    }

    /// The root-level well-known paths kavach answers with this configuration (DESIGN §9): what
    /// an adapter that registers routes by path (Fastify, axum) adds next to `basePath`.
    pub fn well_known_paths(&self) -> Vec<&'static str> {
        [WEBAUTHN_PATH, ASSET_LINKS_PATH, APPLE_APP_SITE_ASSOCIATION_PATH]
            .into_iter()
            .filter(|path| self.serves_well_known(path))
            .collect()
    }

    /// Whether kavach answers this root-level well-known path (DESIGN §9): only when the option
    /// that fills the document is set, so a site's own files are never shadowed otherwise.
    pub fn serves_well_known(&self, path: &str) -> bool {
        let platform = &self.platform;
        match path.split(['?', '#']).next().unwrap_or_default() {
            WEBAUTHN_PATH => !platform.related_origins.is_empty(),
            ASSET_LINKS_PATH => !platform.android.is_empty(),
            APPLE_APP_SITE_ASSOCIATION_PATH => !platform.ios.is_empty(),
            _ => false,
        }
    }

    /// The path relative to `basePath` (always starting with `/`), without the query string.
    pub(crate) fn route_path<'a>(&self, path: &'a str) -> Option<&'a str> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path.strip_prefix(self.base_path.as_str()).filter(|rest| rest.starts_with('/'))
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// `database.poolSize`: the most connections a PostgreSQL store opens.
    pub fn database_pool_size(&self) -> u32 {
        self.pool_size
    }
}

/// `passkey.algorithms`: IANA names, validated (docs/algorithms.md); default every algorithm.
/// A string that may also be absent or `null` (read as empty).
fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

fn normalize_base_path(path: &str) -> Result<String> {
    let trimmed = path.trim_end_matches('/');
    if !path.starts_with('/') || path.contains(['?', '#', ' ']) || path.contains("//") {
        return Err(Error::config(format!("basePath '{path}' must be an absolute path such as /auth")));
    }
    Ok(trimmed.to_owned())
}

fn algorithm_settings(names: Option<&[serde_json::Value]>) -> Result<Vec<CoseAlgorithm>> {
    match names {
        None => Ok(DEFAULT_ALGORITHMS.to_vec()),
        Some(names) => parse_algorithms(names, "passkey.algorithms", Error::config),
    }
}
