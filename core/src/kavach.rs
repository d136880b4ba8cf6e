//! [`Kavach`]: one configured instance, holding the settings, the store and the clock, and the
//! host-application API around the ceremonies (users and sessions, DESIGN §4).

use std::sync::Arc;

use serde::Serialize;

use crate::config::{Database, Settings};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::RateLimiter;
use crate::passkey::{ChallengeKeys, FakeCredentials};
use crate::session;
use crate::store::{SessionRecord, SqliteStore, Store, UserRecord};
use crate::time;

/// The source of "now" in Unix milliseconds. Replaceable so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A configured kavach instance. Cheap to share: wrap it in an `Arc` and call it from any thread.
pub struct Kavach {
    pub(crate) settings: Settings,
    pub(crate) store: Box<dyn Store>,
    clock: Clock,
    /// Keys that MAC challenges and bind them to a user, derived from `secret` (and
    /// `previousSecrets`, for verifying only).
    pub(crate) challenge_keys: ChallengeKeys,
    /// The anti-enumeration fakes, keyed by the database's instance key.
    pub(crate) fake_credentials: FakeCredentials,
    pub(crate) rate_limiter: Option<RateLimiter>,
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
}

impl From<&UserRecord> for User {
    fn from(record: &UserRecord) -> Self {
        Self { id: record.id.clone(), email: record.email.clone(), name: record.name.clone() }
    }
}

impl From<&SessionRecord> for SessionInfo {
    fn from(record: &SessionRecord) -> Self {
        Self { id: record.id.clone(), user_id: record.user_id.clone(), expires_at: time::iso8601(record.expires_at) }
    }
}

impl Kavach {
    /// Opens the configured database (running migrations) and returns a ready instance. A
    /// database that cannot be opened, reached or migrated is `INVALID_CONFIG` naming where it is
    /// (never a password).
    pub fn new(settings: Settings) -> Result<Self> {
        let store: Box<dyn Store> = match settings.database() {
            Database::Sqlite(url) => Box::new(SqliteStore::open(url)?),
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => Box::new(crate::store::PostgresStore::open(url, settings.database_pool_size())?),
            #[cfg(not(feature = "postgres"))]
            Database::Postgres(_) => {
                return Err(Error::config(
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

    /// An instance over a store of the host's choosing. Reads (creating on first use) the
    /// database's instance key; a store that cannot is `INTERNAL`.
    pub fn with_store(settings: Settings, store: Box<dyn Store>) -> Result<Self> {
        let fake_key = store.instance_key(FAKE_CREDENTIALS_KEY, &session::random_bytes::<32>())?;
        for warning in settings.warnings() {
            crate::log::warning(warning);
        }
        Ok(Self {
            challenge_keys: ChallengeKeys::new(&settings.secret, &settings.previous_secrets),
            fake_credentials: FakeCredentials::new(&fake_key),
            rate_limiter: settings.rate_limit.map(RateLimiter::new),
            settings,
            store,
            clock: Arc::new(time::now_ms),
        })
    }

    /// Replaces the clock (tests move time with it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
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

    // ---- users ----

    /// Creates a user. Emails are unique, compared case-insensitively.
    pub fn create_user(&self, email: &str, name: Option<&str>) -> Result<User> {
        let email = validate_email(email)?;
        let name = name.map(|n| validate_display_name(n, "name")).transpose()?;
        let record = UserRecord {
            id: session::new_uuid(),
            email,
            name,
            webauthn_user_id: session::random_bytes::<32>().to_vec(),
            has_other_sign_in: false,
            created_at: self.now(),
        };
        self.store.insert_user(&record)?;
        Ok(User::from(&record))
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_id(id)?.as_ref().map(User::from))
    }

    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_email(email.trim())?.as_ref().map(User::from))
    }

    /// Tells kavach whether the user can sign in some other way (password, email link): if so,
    /// they may delete their last passkey.
    pub fn set_user_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<()> {
        if self.store.set_has_other_sign_in(user_id, value)? {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::UserNotFound, "no such user"))
        }
    }

    // ---- sessions ----

    /// Starts a session for a user (how a host signs someone in after its own sign-up).
    pub fn create_session(&self, user_id: &str) -> Result<NewSession> {
        if self.store.user_by_id(user_id)?.is_none() {
            return Err(Error::new(ErrorCode::UserNotFound, "no such user"));
        }
        let (record, token) = self.new_session_record(user_id);
        self.store.insert_session(&record)?;
        Ok(self.new_session(record, token))
    }

    /// Resolves a token, `Bearer <token>`, or a `Cookie` header to its live session.
    pub fn session(&self, token_or_header: &str) -> Result<Option<Authenticated>> {
        match session::token_from_any(token_or_header, self.settings.secure_cookies) {
            Some(token) => self.session_for_token(&token),
            None => Ok(None),
        }
    }

    /// Revokes a session by id. Returns whether it existed.
    pub fn revoke_session(&self, session_id: &str) -> Result<bool> {
        self.store.delete_session(session_id)
    }

    pub(crate) fn session_for_token(&self, token: &str) -> Result<Option<Authenticated>> {
        let now = self.now();
        let Some((session, user)) = self.store.session_by_token_hash(&session::hash_token(token), now)? else {
            return Ok(None);
        };
        self.store.touch_session(&session.id, now)?;
        Ok(Some(Authenticated { session, user }))
    }

    /// Like [`Kavach::session`], but no session is `UNAUTHORIZED`.
    pub fn require_session(&self, token_or_header: &str) -> Result<Authenticated> {
        self.session(token_or_header)?.ok_or_else(unauthorized)
    }

    pub(crate) fn new_session_record(&self, user_id: &str) -> (SessionRecord, String) {
        let now = self.now();
        let (token, token_hash) = session::new_token();
        let max_age_ms = i64::try_from(self.settings.session_max_age).unwrap_or(i64::MAX / 2) * 1000;
        let record = SessionRecord {
            id: session::new_uuid(),
            token_hash,
            user_id: user_id.to_owned(),
            created_at: now,
            expires_at: now.saturating_add(max_age_ms),
            last_seen_at: now,
        };
        (record, token)
    }

    pub(crate) fn new_session(&self, record: SessionRecord, token: String) -> NewSession {
        let set_cookie = session::session_cookie(&token, self.settings.session_max_age, self.settings.secure_cookies);
        NewSession { session: SessionInfo::from(&record), token, set_cookie }
    }
}

pub(crate) fn unauthorized() -> Error {
    Error::new(ErrorCode::Unauthorized, "sign in first: no valid session")
}

fn validate_email(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid { Ok(email.to_owned()) } else { Err(Error::invalid_request("email is not a valid email address")) }
}

/// Names shown in UIs: 1 to 64 characters after trimming, no control characters.
pub(crate) fn validate_display_name(name: &str, field: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::invalid_request(format!("{field} must be 1 to 64 characters without control characters")));
    }
    Ok(name.to_owned())
}
