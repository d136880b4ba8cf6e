//! Persistence behind one trait, so that the ceremonies never see SQL: SQLite (one file, the
//! default) and PostgreSQL (several instances sharing one database) implement it alike.
//!
//! Times are Unix milliseconds (UTC). Every method is a complete, atomic unit: a caller never has to
//! compose two calls into a transaction to keep a security property (single-use challenges,
//! compare-and-set counters, unique credential IDs, never deleting the last passkey by a race).

#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod sqlite;
#[cfg(test)]
mod tests;
mod units;

#[cfg(feature = "postgres")]
pub(crate) use self::postgres::PostgresStore;
#[cfg(feature = "postgres")]
pub use self::postgres::postgres_tls;
#[cfg(feature = "postgres")]
pub use self::postgres::tls::{RustlsConnect, RustlsConnector, RustlsStream};
pub use self::records::{
    Audit, ChallengeUse, CreatedBy, CredentialDescriptorRecord, CredentialRecord, DeleteOutcome, InsertOutcome,
    RateLimitKey, RateLimitOutcome, RateLimitSpend, SessionChange, SessionRecord, SignInOutcome, SignInUpdate,
    StoredEvent, UserInsertOutcome, UserRecord, UserUpdate, UserUpdateOutcome,
};
pub(crate) use self::sqlite::SqliteStore;
use crate::error::Result;

/// Storage for users, sessions, credentials and challenges.
///
/// Implementations must be safe to share between threads; each method is atomic.
pub trait Store: Send + Sync {
    /// Inserts a user, unless one has the email (case-insensitive).
    fn insert_user(&self, user: &UserRecord, audit: &Audit<'_>) -> Result<UserInsertOutcome>;
    /// Changes a user's email and/or name, unless another user has the email.
    fn update_user(&self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome>;
    /// Deletes a user with everything kavach holds about them: passkeys, sessions and stored
    /// events. Returns false if no such user.
    fn delete_user(&self, user_id: &str) -> Result<bool>;
    /// A user by id.
    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>>;
    /// A user by email, case-insensitively.
    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    /// Sets whether the user can sign in without a passkey. Returns false if no such user.
    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool>;

    /// Inserts a session, sweeping a bounded number of expired ones (so that storage stays
    /// proportional to live sessions however sessions are created).
    fn insert_session(&self, session: &SessionRecord, audit: &Audit<'_>) -> Result<()>;
    /// The unexpired session with this token hash, and its user.
    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// Records activity (implementations may skip the write if the last one is recent).
    fn touch_session(&self, session_id: &str, now: i64) -> Result<()>;
    /// Deletes a session. Returns its user's id if it existed (`audit`'s events are stored
    /// under that user).
    fn delete_session(&self, session_id: &str, audit: &Audit<'_>) -> Result<Option<String>>;
    /// The user's unexpired sessions, newest first.
    fn sessions_of_user(&self, user_id: &str, now: i64) -> Result<Vec<SessionRecord>>;
    /// Sliding renewal: moves the session's expiry to `expires_at` (and `renewed_at` to `now`)
    /// if it still exists, has not expired and would move forward. Returns whether it did.
    fn renew_session(&self, session_id: &str, expires_at: i64, now: i64, audit: &Audit<'_>) -> Result<bool>;
    /// Deletes the user's sessions: `only` that one (if it is theirs), every one but `except`,
    /// or all. Returns how many (`audit`'s events, stored if any was, carry that count).
    fn delete_sessions_of_user(
        &self,
        user_id: &str,
        only: Option<&str>,
        except: Option<&str>,
        audit: &Audit<'_>,
    ) -> Result<u64>;

    /// Consumes a challenge whose ceremony failed after its signature checked out (a challenge
    /// answers one response, right or wrong), with a relaxed commit. Returns false if it was
    /// used already or has expired by the store's clock. Sweeps a bounded number of expired
    /// consumed-challenge records.
    fn use_challenge(&self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool>;

    /// Inserts a credential, consuming `challenge` (if given) in the same durable transaction.
    fn insert_credential(
        &self,
        credential: &CredentialRecord,
        challenge: Option<&ChallengeUse<'_>>,
        now: i64,
        audit: &Audit<'_>,
    ) -> Result<InsertOutcome>;
    /// A credential by ID.
    fn credential_by_id(&self, credential_id: &[u8]) -> Result<Option<CredentialRecord>>;
    /// The user's credentials, newest first.
    fn credentials_of_user(&self, user_id: &str) -> Result<Vec<CredentialRecord>>;
    /// For sign-in options by email, in one indexed read: the user (case-insensitive email) and
    /// their passkeys' IDs and transports, newest first; `None` if there is no such user.
    fn user_and_descriptors_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, Vec<CredentialDescriptorRecord>)>>;
    /// After a verified assertion, in one durable transaction: consume the challenge,
    /// compare-and-set the counter (and BS flag, last use) and insert the session (sweeping a
    /// bounded number of expired sessions and consumed challenges).
    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<SignInOutcome>;
    /// Renames the user's credential; `None` if the user has no such credential.
    fn rename_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
        audit: &Audit<'_>,
    ) -> Result<Option<CredentialRecord>>;
    /// Deletes the user's credential. Unless `allow_last`, refuses to delete the user's only one
    /// (checked inside the same transaction, so two concurrent deletes cannot remove both of two).
    fn delete_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        allow_last: bool,
        audit: &Audit<'_>,
    ) -> Result<DeleteOutcome>;

    /// Stores events that record no change of their own (a refused regressed counter).
    fn record_events(&self, audit: &Audit<'_>) -> Result<()>;
    /// A failed sign-in with someone's passkey, aggregated: one row per user, code and window
    /// (starting at `window_start`), its count incremented, its time, credential and client the
    /// latest. So that a stranger can add at most a few rows an hour to anyone's history.
    fn record_failure(&self, event: &crate::events::Event, window_start: i64) -> Result<()>;
    /// The user's stored events, newest first: `limit` of them with ids below `before`.
    fn events_of_user(&self, user_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<StoredEvent>>;
    /// The database pool's state (PostgreSQL), for metrics.
    fn pool_gauge(&self) -> Option<crate::metrics::PoolGauge> {
        None
    }

    /// Deletes expired consumed-challenge records and sessions, at most `limit` rows of each.
    /// Returns rows removed.
    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64>;

    /// The shared rate limit (`rateLimit.storage: 'database'`): in one transaction, takes one
    /// token from every bucket of `spend` (creating full buckets where none exist), or from none,
    /// sweeping a bounded number of buckets idle for a whole window (full, so forgetting them
    /// loses nothing). Committed relaxed: losing the last spends in a crash only refunds them.
    fn spend_rate_limit(&self, spend: &RateLimitSpend<'_>) -> Result<RateLimitOutcome>;

    /// The instance-wide random key for `purpose`: `candidate` is stored if no key is stored yet,
    /// and the stored key is returned (so every instance sharing the database agrees, and the key
    /// outlives secret rotation). Used for the anti-enumeration fake credentials.
    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>>;
}

/// At most this many expired events are removed by one retention sweep (which runs with an
/// audited write at most once a minute per instance: `Audit::expire_before`).
pub(crate) const EVENT_SWEEP: i64 = 1000;

/// How a unit of work that may find a reason not to happen ends: `Rollback(value)` undoes
/// whatever it wrote before it found the reason, and returns `value`.
pub(super) enum Finish<T> {
    Commit(T),
    Rollback(T),
}

/// The case-insensitive key an email is unique by (trim + Unicode lowercase), computed here rather
/// than by the database so that every engine agrees.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}
