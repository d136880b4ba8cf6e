//! Configuration (DESIGN §2): the same names in every language, validated once at start-up into
//! [`Settings`], whose fields can only hold checked values.
//!
//! JSON keys are camelCase as the JavaScript API documents them; snake_case spellings are accepted
//! too, for Python and C. Unknown keys are refused: a misspelt `rpID` silently ignored would give a
//! server that fails every ceremony.

use std::sync::Arc;

use serde::Deserialize;
use url::{Host, Url};

use crate::error::{Error, Result, clipped};
use crate::verify::{AttestationOptions, AttestationPolicy, Metadata, TrustAnchor, TrustRoots};
use crate::webauthn::options::{AttestationConveyance, UserVerification};

/// Configuration as the host writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Where data lives. Default: SQLite `file:kavach.db`.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// At least 32 bytes. Seeds the anti-enumeration fake credentials. Absent or `null` is
    /// read as empty, so that it gets the "secret is required" message rather than serde's.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub secret: String,
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
}

/// `rateLimit`: at most `max` requests per `window` seconds from one client key (the host
/// adapter supplies the key, normally the client's IP), on `authenticate/options` and
/// `authenticate/verify`. Counted per instance, in memory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Default true when `rateLimit` is given.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Seconds. Default 60.
    #[serde(default)]
    pub window: Option<u64>,
    /// Requests per window. Default 30.
    #[serde(default)]
    pub max: Option<u32>,
}

/// `database`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite` (default) or `postgres`.
    #[serde(default = "default_provider")]
    pub provider: String,
    /// `file:kavach.db`, a path, or `:memory:` for SQLite; a `postgres://` URL for PostgreSQL.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// PostgreSQL: the most connections this instance opens (1 to 100, default 8). SQLite
    /// ignores it (it uses one writer and a few readers).
    #[serde(default, rename = "poolSize", alias = "pool_size")]
    pub pool_size: Option<u32>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { provider: default_provider(), url: default_database_url(), pool_size: None }
    }
}

/// Default `database.poolSize`.
pub const DEFAULT_POOL_SIZE: u32 = 8;
const POOL_SIZE_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

/// A string that may also be absent or `null` (read as empty).
fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

fn default_provider() -> String {
    "sqlite".into()
}

fn default_database_url() -> String {
    "file:kavach.db".into()
}

/// `session`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionConfig {
    /// Seconds. Default 7 days.
    #[serde(default = "default_max_age", alias = "max_age")]
    pub max_age: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { max_age: default_max_age() }
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
    /// The most ceremonies that may be outstanding at once (issued challenges not yet used or
    /// expired), across every instance sharing the database. Default 100,000.
    #[serde(default, alias = "max_outstanding_challenges")]
    pub max_outstanding_challenges: Option<u64>,
}

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
    /// Path of the BLOB (the JWS text as downloaded from https://mds3.fidoalliance.org/).
    #[serde(alias = "blob_path")]
    pub blob_path: String,
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

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Many.
    Many(Vec<String>),
}

/// Which database. `Debug` hides a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite at this location (`file:...`, a path, or `:memory:`).
    Sqlite(String),
    /// PostgreSQL at this URL.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(url) => f.debug_tuple("Sqlite").field(url).finish(),
            Database::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

/// A database URL without its password (`postgres://user:***@host/db`); a libpq `key=value`
/// string has its `password=` value hidden.
fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = Url::parse(url) {
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        return parsed.to_string();
    }
    url.split_whitespace()
        .map(|pair| if pair.starts_with("password=") { "password=***" } else { pair })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Validated settings. Construct with [`Settings::from_config`].
#[derive(Clone)]
pub struct Settings {
    pub(crate) database: Database,
    pub(crate) pool_size: u32,
    pub(crate) secret: Vec<u8>,
    pub(crate) base_path: String,
    pub(crate) secure_cookies: bool,
    pub(crate) session_max_age: u64,
    pub(crate) rp_name: String,
    pub(crate) rp_id: String,
    /// Serialized origins (`scheme://host[:port]`) accepted in client data.
    pub(crate) origins: Vec<String>,
    /// Origins accepted in the `Origin` header of state-changing requests: the WebAuthn origins
    /// plus the origin of `baseUrl`.
    pub(crate) request_origins: Vec<String>,
    pub(crate) timeout_ms: u32,
    pub(crate) attestation: AttestationConveyance,
    pub(crate) user_verification: UserVerification,
    pub(crate) allow_deleting_last_passkey: bool,
    pub(crate) attestation_options: AttestationOptions,
    pub(crate) attestation_policy: AttestationPolicy,
    pub(crate) max_outstanding_challenges: u64,
    pub(crate) rate_limit: Option<RateLimit>,
}

/// A validated `rateLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max: u32,
    /// Window length in milliseconds.
    pub window_ms: i64,
}

/// Default `passkey.maxOutstandingChallenges`: about 25 MB of challenge rows in SQLite, far above
/// what real traffic keeps outstanding (a sign-in holds one for seconds).
pub const DEFAULT_MAX_OUTSTANDING_CHALLENGES: u64 = 100_000;
const MAX_OUTSTANDING_CHALLENGES_RANGE: std::ops::RangeInclusive<u64> = 10..=100_000_000;
const RATE_LIMIT_WINDOW_SECONDS: std::ops::RangeInclusive<u64> = 1..=86_400;

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
        let database = match config.database.provider.as_str() {
            "sqlite" => Database::Sqlite(config.database.url.clone()),
            "postgres" | "postgresql" => Database::Postgres(config.database.url.clone()),
            other => {
                return Err(Error::config(format!("database.provider must be 'sqlite' or 'postgres', not '{other}'")));
            }
        };
        let pool_size = config.database.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
        if !POOL_SIZE_RANGE.contains(&pool_size) {
            return Err(Error::config(format!("database.poolSize must be between 1 and 100 (got {pool_size})")));
        }
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
        let base_url = Url::parse(&config.base_url)
            .map_err(|_| Error::config(format!("baseUrl '{}' is not a valid URL", config.base_url)))?;
        let base_origin = web_origin(&base_url, "baseUrl")?;
        let base_path = normalize_base_path(config.base_path.as_deref().unwrap_or("/auth"))?;
        if !(60..=MAX_SESSION_SECONDS).contains(&config.session.max_age) {
            return Err(Error::config("session.maxAge must be between 60 seconds and 400 days"));
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
        let rp_id = validate_rp_id(&passkey.rp_id)?;
        let origins = match &passkey.origin {
            None => vec![base_origin.clone()],
            Some(OneOrMany::One(one)) => vec![validate_origin(one)?],
            Some(OneOrMany::Many(many)) if many.is_empty() => {
                return Err(Error::config("passkey.origin must list at least one origin"));
            }
            Some(OneOrMany::Many(many)) => many.iter().map(|o| validate_origin(o)).collect::<Result<_>>()?,
        };
        for origin in &origins {
            check_rp_id_covers(&rp_id, origin)?;
        }
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

        let (attestation_options, attestation_policy) = attestation_settings(&passkey)?;
        let max_outstanding_challenges =
            passkey.max_outstanding_challenges.unwrap_or(DEFAULT_MAX_OUTSTANDING_CHALLENGES);
        if !MAX_OUTSTANDING_CHALLENGES_RANGE.contains(&max_outstanding_challenges) {
            return Err(Error::config("passkey.maxOutstandingChallenges must be between 10 and 100000000"));
        }
        let rate_limit = rate_limit_settings(config.rate_limit.as_ref())?;

        let mut request_origins = origins.clone();
        if !request_origins.contains(&base_origin) {
            request_origins.push(base_origin);
        }
        Ok(Self {
            database,
            pool_size,
            secret: config.secret.into_bytes(),
            base_path,
            secure_cookies: base_url.scheme() == "https",
            session_max_age: config.session.max_age,
            rp_name: passkey.rp_name,
            rp_id,
            origins,
            request_origins,
            timeout_ms: timeout as u32,
            attestation,
            user_verification,
            allow_deleting_last_passkey: passkey.allow_deleting_last_passkey,
            attestation_options,
            attestation_policy,
            max_outstanding_challenges,
            rate_limit,
        })
    }

    /// `passkey.maxOutstandingChallenges`.
    pub fn max_outstanding_challenges(&self) -> u64 {
        self.max_outstanding_challenges
    }

    /// The per-client rate limit, if enabled.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
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
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The allowed WebAuthn origins.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The route prefix, e.g. `/auth`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Whether kavach serves this request path (query string allowed): it is `basePath` or below.
    /// Framework adapters use this to pass other requests on (`next()` in Express).
    pub fn handles_path(&self, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path == self.base_path || self.route_path(path).is_some()
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

fn rate_limit_settings(config: Option<&RateLimitConfig>) -> Result<Option<RateLimit>> {
    let Some(config) = config else { return Ok(None) };
    if config.enabled == Some(false) {
        return Ok(None);
    }
    let window = config.window.unwrap_or(60);
    if !RATE_LIMIT_WINDOW_SECONDS.contains(&window) {
        return Err(Error::config("rateLimit.window must be between 1 and 86400 seconds"));
    }
    let max = config.max.unwrap_or(30);
    if max == 0 {
        return Err(Error::config("rateLimit.max must be at least 1 (to turn the limit off, set enabled: false)"));
    }
    Ok(Some(RateLimit { max, window_ms: window as i64 * 1000 }))
}

/// `attestationPolicy`, `attestationRoots`, `bundledAttestationRoots`, `metadata`,
/// `androidSafetyNet`.
fn attestation_settings(passkey: &PasskeyConfig) -> Result<(AttestationOptions, AttestationPolicy)> {
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
    let metadata = match &passkey.metadata {
        Some(config) => Some(Arc::new(Metadata::from_file(&config.blob_path, crate::time::now_ms())?)),
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
    Ok((options, policy))
}

/// The serialized origin of a web URL, refusing insecure schemes except on localhost.
fn web_origin(url: &Url, what: &str) -> Result<String> {
    let host = url.host().ok_or_else(|| Error::config(format!("{what} '{url}' has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_localhost(&host) => {}
        "http" => {
            return Err(Error::config(format!(
                "{what} '{url}' must use https (plain http is only allowed for localhost)"
            )));
        }
        other => return Err(Error::config(format!("{what} '{url}' has unsupported scheme '{other}'"))),
    }
    Ok(url.origin().ascii_serialization())
}

fn is_localhost(host: &Host<&str>) -> bool {
    matches!(host, Host::Domain(d) if *d == "localhost" || d.ends_with(".localhost"))
}

/// An allowed origin: a web origin, or an Android app origin (`android:apk-key-hash:...`) that
/// native apps present and that can only be matched as a whole string.
fn validate_origin(origin: &str) -> Result<String> {
    if let Some(hash) = origin.strip_prefix("android:apk-key-hash:") {
        if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Error::config(format!("origin '{origin}' is not a valid android:apk-key-hash origin")));
        }
        return Ok(origin.to_owned());
    }
    let url = Url::parse(origin).map_err(|_| Error::config(format!("origin '{origin}' is not a valid URL")))?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!("origin '{origin}' must be scheme://host[:port] with no path")));
    }
    web_origin(&url, "origin")
}

fn validate_rp_id(rp_id: &str) -> Result<String> {
    let lowered = rp_id.to_ascii_lowercase();
    let valid = !lowered.is_empty()
        && lowered.len() <= 253
        && !lowered.starts_with('.')
        && !lowered.ends_with('.')
        && lowered.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !valid {
        return Err(Error::config(format!(
            "passkey.rpId '{rp_id}' must be a domain name such as example.com (no scheme, port or path)"
        )));
    }
    if lowered.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(Error::config(format!(
            "passkey.rpId '{rp_id}' is an IP address; browsers require a domain (use localhost for development)"
        )));
    }
    Ok(lowered)
}

/// §5.1.4.1 / HTML "is a registrable domain suffix of or is equal to": the RP ID must be the
/// origin's host or a parent domain of it.
fn check_rp_id_covers(rp_id: &str, origin: &str) -> Result<()> {
    if origin.starts_with("android:") {
        return Ok(());
    }
    let host = Url::parse(origin).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    if host == rp_id || host.ends_with(&format!(".{rp_id}")) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "passkey.rpId '{rp_id}' is not a registrable suffix of the host of origin '{origin}'"
        )))
    }
}

fn normalize_base_path(path: &str) -> Result<String> {
    let trimmed = path.trim_end_matches('/');
    if !path.starts_with('/') || path.contains(['?', '#', ' ']) || path.contains("//") {
        return Err(Error::config(format!("basePath '{path}' must be an absolute path such as /auth")));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(passkey: serde_json::Value, base_url: &str) -> String {
        serde_json::json!({ "secret": SECRET, "baseUrl": base_url, "plugins": [passkey] }).to_string()
    }

    fn error_of(json: &str) -> String {
        let err = Settings::from_json(json).expect_err("config should be refused");
        assert_eq!(err.code(), crate::ErrorCode::InvalidConfig);
        err.message().to_owned()
    }

    #[test]
    fn flood_limits_have_safe_defaults_and_are_validated() {
        let passkey = serde_json::json!({"id": "passkey", "rpName": "App", "rpId": "localhost"});
        let with = |top: serde_json::Value, passkey_extra: serde_json::Value| {
            let mut passkey = passkey.clone();
            passkey.as_object_mut().unwrap().extend(passkey_extra.as_object().unwrap().clone());
            let mut json =
                serde_json::json!({ "secret": SECRET, "baseUrl": "http://localhost:3000", "plugins": [passkey] });
            json.as_object_mut().unwrap().extend(top.as_object().unwrap().clone());
            json.to_string()
        };
        let defaults = Settings::from_json(&with(serde_json::json!({}), serde_json::json!({}))).unwrap();
        assert_eq!(defaults.max_outstanding_challenges(), DEFAULT_MAX_OUTSTANDING_CHALLENGES);
        assert_eq!(defaults.rate_limit(), None, "rate limiting is off unless configured");

        let on = Settings::from_json(&with(serde_json::json!({"rateLimit": {}}), serde_json::json!({}))).unwrap();
        assert_eq!(on.rate_limit(), Some(RateLimit { max: 30, window_ms: 60_000 }));
        let snake = with(
            serde_json::json!({"rate_limit": {"max": 5, "window": 10}}),
            serde_json::json!({"max_outstanding_challenges": 50}),
        );
        let snake = Settings::from_json(&snake).unwrap();
        assert_eq!(snake.rate_limit(), Some(RateLimit { max: 5, window_ms: 10_000 }));
        assert_eq!(snake.max_outstanding_challenges(), 50);
        let off = with(serde_json::json!({"rateLimit": {"enabled": false, "max": 5}}), serde_json::json!({}));
        assert_eq!(Settings::from_json(&off).unwrap().rate_limit(), None);

        for (top, extra, expected) in [
            (serde_json::json!({"rateLimit": {"max": 0}}), serde_json::json!({}), "rateLimit.max must be at least 1"),
            (
                serde_json::json!({"rateLimit": {"window": 0}}),
                serde_json::json!({}),
                "rateLimit.window must be between",
            ),
            (serde_json::json!({"rateLimit": {"perMinute": 3}}), serde_json::json!({}), "unknown field"),
            (
                serde_json::json!({}),
                serde_json::json!({"maxOutstandingChallenges": 0}),
                "maxOutstandingChallenges must be",
            ),
        ] {
            let message = error_of(&with(top, extra));
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn accepts_the_documented_configuration_with_defaults() {
        let json = config(
            serde_json::json!({"id": "passkey", "rpName": "My App", "rpId": "example.com",
            "origin": ["https://app.example.com"]}),
            "https://auth.example.com",
        );
        let settings = Settings::from_json(&json).unwrap();
        assert_eq!(settings.origins, ["https://app.example.com"]);
        assert_eq!(settings.request_origins, ["https://app.example.com", "https://auth.example.com"]);
        assert_eq!(settings.base_path, "/auth");
        assert_eq!(settings.timeout_ms, 60_000);
        assert_eq!(settings.session_max_age, 604_800);
        assert!(settings.secure_cookies);
        assert_eq!(settings.user_verification, UserVerification::Preferred);
        assert_eq!(settings.database, Database::Sqlite("file:kavach.db".into()));
    }

    #[test]
    fn accepts_snake_case_keys_and_localhost_http() {
        let json = serde_json::json!({"secret": SECRET, "base_url": "http://localhost:3000", "base_path": "/api/auth/",
            "passkey": {"rp_name": "Demo", "rp_id": "localhost", "user_verification": "required"}})
        .to_string();
        let settings = Settings::from_json(&json).unwrap();
        assert_eq!(settings.origins, ["http://localhost:3000"]);
        assert_eq!(settings.base_path, "/api/auth");
        assert!(!settings.secure_cookies);
    }

    #[test]
    fn each_bad_value_has_its_own_message() {
        let pk = |extra: serde_json::Value| {
            let mut base = serde_json::json!({"id": "passkey", "rpName": "App", "rpId": "example.com"});
            base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            config(base, "https://example.com")
        };
        let short = serde_json::json!({"secret": "short", "baseUrl": "https://example.com",
            "passkey": {"rpName": "A", "rpId": "example.com"}})
        .to_string();
        assert!(error_of(&short).contains("secret must be at least 32 bytes"));
        assert!(error_of(&pk(serde_json::json!({"rpId": "other.com"}))).contains("not a registrable suffix"));
        assert!(error_of(&pk(serde_json::json!({"rpId": "ample.com"}))).contains("not a registrable suffix"));
        assert!(error_of(&pk(serde_json::json!({"origin": "http://example.com"}))).contains("must use https"));
        assert!(error_of(&pk(serde_json::json!({"attestation": "all"}))).contains("passkey.attestation"));
        assert!(error_of(&pk(serde_json::json!({"userVerification": "maybe"}))).contains("passkey.userVerification"));
        assert!(error_of(&pk(serde_json::json!({"timeout": 999}))).contains("passkey.timeout"));
        assert!(error_of(&pk(serde_json::json!({"timeout": 600_001}))).contains("passkey.timeout"));
        assert!(error_of(&pk(serde_json::json!({"rpId": "https://example.com"}))).contains("must be a domain name"));
        assert!(error_of(&pk(serde_json::json!({"rpName": " "}))).contains("rpName"));
        assert!(error_of(&pk(serde_json::json!({"rpID": "x"}))).contains("unknown field"));
        assert!(
            error_of(&config(
                serde_json::json!({"id": "passkey", "rpName": "A", "rpId": "example.com"}),
                "ftp://example.com"
            ))
            .contains("unsupported scheme")
        );
        let no_plugin = serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com"}).to_string();
        assert!(error_of(&no_plugin).contains("passkey plugin is not configured"));
        let bad_db =
            serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com", "database": {"provider": "mysql"},
            "passkey": {"rpName": "A", "rpId": "example.com"}})
            .to_string();
        assert!(error_of(&bad_db).contains("database.provider"));
        let bad_age = serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com", "session": {"maxAge": 1},
            "passkey": {"rpName": "A", "rpId": "example.com"}})
        .to_string();
        assert!(error_of(&bad_age).contains("session.maxAge"));
    }

    #[test]
    fn a_missing_secret_or_field_is_named_without_a_json_position() {
        let passkey = serde_json::json!({"rpName": "A", "rpId": "localhost"});
        for secret in [None, Some(serde_json::Value::Null), Some(serde_json::json!(""))] {
            let mut json = serde_json::json!({"baseUrl": "http://localhost:3000", "passkey": passkey});
            if let Some(secret) = secret {
                json["secret"] = secret;
            }
            let message = error_of(&json.to_string());
            assert!(message.starts_with("secret is required: at least 32 bytes"), "{message}");
        }
        let no_base_url = serde_json::json!({"secret": SECRET, "passkey": passkey}).to_string();
        assert_eq!(error_of(&no_base_url), "configuration is not valid: missing field `baseUrl`");
    }

    #[test]
    fn rp_id_localhost_allows_any_localhost_port() {
        let json = config(
            serde_json::json!({"id": "passkey", "rpName": "A", "rpId": "localhost",
            "origin": ["http://localhost:3000", "http://localhost:8080"]}),
            "http://localhost:3000",
        );
        assert!(Settings::from_json(&json).is_ok());
    }
}
