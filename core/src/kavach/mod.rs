//! [`Kavach`]: one configured instance, holding the settings, the store and the clock, and the
//! host-application API around the ceremonies (users and sessions, DESIGN §4).

mod events;
mod json;
mod metadata;
mod sessions;
mod users;
mod well_known;

use std::sync::Arc;

use serde::Serialize;

pub use self::events::ActivityPage;
use self::events::EventQueue;
pub use self::metadata::MetadataInfo;
pub use self::sessions::SessionListing;
pub(crate) use self::sessions::unauthorized;
pub(crate) use self::users::validate_display_name;
use crate::config::{Database, RateLimitStorage, Settings};
use crate::error::Result;
use crate::events::Event;
use crate::events::outbox::Outbox;
use crate::limits::{BUCKET_NAMES_KEY, RateLimiter};
use crate::metrics::Metrics;
use crate::passkey::{ChallengeKeys, FakeCredentials};
use crate::random;
use crate::store::{SessionRecord, SqliteStore, Store, UserRecord};
use crate::time;

/// The source of "now" in Unix milliseconds. Replaceable so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A configured kavach instance. Cheap to share: wrap it in an `Arc` and call it from any thread.
pub struct Kavach {
    pub(crate) settings: Settings,
    pub(crate) store: Arc<dyn Store>,
    clock: Clock,
    /// Answers, latencies and events, for `metrics()`.
    pub(crate) metrics: Metrics,
    /// The host's event handler, behind its queue, once set.
    event_queue: std::sync::OnceLock<EventQueue>,
    /// Failed sign-ins on their way to the audit log, off the request path.
    failure_outbox: Outbox<Event>,
    /// When this instance last swept expired events (Unix ms).
    last_event_sweep: std::sync::atomic::AtomicI64,
    /// Keys that MAC challenges and bind them to a user, derived from `secret` (and
    /// `previousSecrets`, for verifying only).
    pub(crate) challenge_keys: ChallengeKeys,
    /// The anti-enumeration fakes, keyed by the database's instance key.
    pub(crate) fake_credentials: FakeCredentials,
    pub(crate) rate_limiter: Option<RateLimiter>,
    /// The FIDO metadata in use: the start-up BLOB, replaced by `load_metadata`.
    metadata: parking_lot::RwLock<Option<Arc<crate::verify::Metadata>>>,
}

/// `kavach_keys` purpose of the anti-enumeration key.
const FAKE_CREDENTIALS_KEY: &str = "fake-credentials";

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Account id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
}

/// A signed-in request's session and user, as resolved from a token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub(crate) session: SessionRecord,
    pub(crate) user: UserRecord,
    /// A `Set-Cookie` value when resolving the session renewed it (sliding expiry): the
    /// answer must carry it so the browser's cookie lives as long as the session.
    pub(crate) refreshed_cookie: Option<String>,
}

/// A session as the API shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Session id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Expiry, ISO-8601 UTC.
    pub expires_at: String,
    /// When a passkey last verified this session's user (a passkey sign-in), ISO-8601 UTC; null
    /// for a session the host created.
    pub authenticated_at: Option<String>,
}

/// A newly created session: the token is shown exactly once, here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session.
    pub session: SessionInfo,
    /// The bearer token (also inside `set_cookie`).
    pub token: String,
    /// The `Set-Cookie` header value.
    pub set_cookie: String,
}

impl Authenticated {
    /// The user.
    pub fn user(&self) -> User {
        User::from(&self.user)
    }

    /// The session.
    pub fn session(&self) -> SessionInfo {
        SessionInfo::from(&self.session)
    }

    /// The `Set-Cookie` value that carries a renewal, if resolving the session renewed it.
    pub fn refreshed_cookie(&self) -> Option<&str> {
        self.refreshed_cookie.as_deref()
    }
}

impl From<&UserRecord> for User {
    fn from(record: &UserRecord) -> Self {
        Self { id: record.id.clone(), email: record.email.clone(), name: record.name.clone() }
    }
}

impl From<&SessionRecord> for SessionInfo {
    fn from(record: &SessionRecord) -> Self {
        Self {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            expires_at: time::iso8601(record.expires_at),
            authenticated_at: record.authenticated_at.map(time::iso8601),
        }
    }
}

impl Kavach {
    /// Opens the configured database (running migrations) and returns a ready instance. A
    /// database that cannot be opened, reached or migrated is `INVALID_CONFIG` naming where it is
    /// (never a password).
    pub fn new(settings: Settings) -> Result<Self> {
        let store: Arc<dyn Store> = match settings.database() {
            Database::Sqlite(url) => Arc::new(SqliteStore::open(url)?),
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => Arc::new(crate::store::PostgresStore::open(url, settings.database_pool_size())?),
            #[cfg(not(feature = "postgres"))]
            Database::Postgres(_) => {
                return Err(crate::Error::config(
                    "database.provider 'postgres' is not available: kavach-core was built without its `postgres` feature",
                ));
            }
        };
        Self::with_store(settings, store)
    }

    /// Parses, validates and opens a JSON configuration (DESIGN §2).
    pub fn from_json(config: &str) -> Result<Self> {
        Self::new(Settings::from_json(config)?)
    }

    /// An instance over a store of the host's choosing (public as
    /// [`crate::danger::kavach_with_store`]). Reads (creating on first use) the
    /// database's instance key; a store that cannot is `INTERNAL`.
    pub(crate) fn with_store(settings: Settings, store: Arc<dyn Store>) -> Result<Self> {
        let fake_key = store.instance_key(FAKE_CREDENTIALS_KEY, &random::random_bytes::<32>())?;
        let rate_limiter = match settings.rate_limit {
            Some(limit) if limit.storage == RateLimitStorage::Database => {
                let names = store.instance_key(BUCKET_NAMES_KEY, &random::random_bytes::<32>())?;
                Some(RateLimiter::new(limit, &names))
            }
            Some(limit) => Some(RateLimiter::new(limit, &[])),
            None => None,
        };
        for warning in settings.warnings() {
            crate::log::warning(warning);
        }
        let failure_outbox = Outbox::start("kavach-failures", 1024, Self::failure_writer(Arc::clone(&store)))
            .map_err(crate::Error::internal)?;
        Ok(Self {
            metrics: Metrics::new(settings.metrics),
            event_queue: std::sync::OnceLock::new(),
            failure_outbox,
            last_event_sweep: std::sync::atomic::AtomicI64::new(0),
            metadata: parking_lot::RwLock::new(settings.attestation_options.metadata.clone()),
            challenge_keys: ChallengeKeys::new(&settings.secret, &settings.previous_secrets),
            fake_credentials: FakeCredentials::new(&fake_key),
            rate_limiter,
            settings,
            store,
            clock: Arc::new(time::now_ms),
        })
    }

    /// Replaces the clock (tests move time with it); public as [`crate::danger::with_clock`].
    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }
}
