//! Persistence behind one trait, so that the ceremonies never see SQL: SQLite (one file, the
//! default) and PostgreSQL (several instances sharing one database) implement it alike.
//!
//! Times are Unix milliseconds (UTC). Every method is a complete, atomic unit: a caller never has to
//! compose two calls into a transaction to keep a security property (single-use challenges,
//! compare-and-set counters, unique credential IDs, never deleting the last passkey by a race).

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::error::Result;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Opaque account id (UUID form).
    pub id: String,
    /// Unique email, stored as given after trimming; compared case-insensitively.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// The WebAuthn user handle: 32 random bytes, never derived from the id or email (§14.6.1).
    pub webauthn_user_id: Vec<u8>,
    /// The host says this user can sign in without a passkey (so the last one may be deleted).
    pub has_other_sign_in: bool,
    /// Creation time.
    pub created_at: i64,
}

/// A session. Only the SHA-256 of the token is stored: a database leak yields no usable cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Public session id (UUID form), safe to show and to revoke by.
    pub id: String,
    /// SHA-256 of the bearer token.
    pub token_hash: [u8; 32],
    /// Owner.
    pub user_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry; a session at or past it does not exist.
    pub expires_at: i64,
    /// Last time it was seen on a request.
    pub last_seen_at: i64,
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// The WebAuthn credential ID (raw bytes). Unique across all users.
    pub credential_id: Vec<u8>,
    /// Owner.
    pub user_id: String,
    /// Human name ("iCloud Keychain", "YubiKey 5", or the user's own).
    pub name: String,
    /// COSE_Key bytes exactly as the authenticator sent them.
    pub public_key: Vec<u8>,
    /// COSE algorithm identifier.
    pub algorithm: i64,
    /// Last seen signature counter.
    pub counter: u32,
    /// Authenticator model (all zero if undisclosed).
    pub aaguid: [u8; 16],
    /// BE flag at registration.
    pub backup_eligible: bool,
    /// BS flag, updated at every sign-in.
    pub backup_state: bool,
    /// Transport hints.
    pub transports: Vec<String>,
    /// Attestation statement format (`none`, `packed`, ...).
    pub attestation_format: String,
    /// Attestation trust (`none`, `self`, `unverified`, `verified`).
    pub attestation_trust: String,
    /// With `verified` trust: the name of the trust anchor reached (schema version 2).
    pub attestation_root: Option<String>,
    /// Registration time.
    pub created_at: i64,
    /// Last successful sign-in, if any.
    pub last_used_at: Option<i64>,
}

/// What sign-in options list for one of a user's passkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialDescriptorRecord {
    /// The WebAuthn credential ID.
    pub credential_id: Vec<u8>,
    /// Transport hints.
    pub transports: Vec<String>,
}

/// Which ceremony a challenge was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// Adding a passkey.
    Registration,
    /// Signing in.
    Authentication,
}

impl ChallengeKind {
    /// Stable string stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Authentication => "authentication",
        }
    }
}

/// An outstanding challenge and the ceremony state needed to verify its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// The challenge, base64url (as it appears in clientDataJSON).
    pub challenge: String,
    /// The ceremony.
    pub kind: ChallengeKind,
    /// The user it was issued to (registration; sign-in by email), or none (usernameless).
    pub user_id: Option<String>,
    /// Serialized ceremony state (JSON), opaque to the store.
    pub state: String,
    /// Expiry.
    pub expires_at: i64,
}

/// What a sign-in writes, in one transaction.
#[derive(Debug, Clone)]
pub struct SignInUpdate<'a> {
    /// The challenge the assertion answered: consumed in the same transaction, so a sign-in is
    /// either complete (challenge gone, counter moved, session saved) or did not happen.
    pub challenge: &'a str,
    /// The credential used.
    pub credential_id: &'a [u8],
    /// The counter value read before verification: the update only applies if it is unchanged.
    pub expected_counter: u32,
    /// The new counter from authenticator data.
    pub new_counter: u32,
    /// The BS flag now.
    pub backup_state: bool,
    /// Time of the sign-in (becomes `last_used_at`).
    pub now: i64,
    /// The session to create.
    pub session: &'a SessionRecord,
}

/// Outcome of [`Store::delete_credential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Removed.
    Deleted,
    /// No such credential for this user.
    NotFound,
    /// It is the user's last one and deleting it was not allowed.
    LastCredential,
}

/// Storage for users, sessions, credentials and challenges.
///
/// Implementations must be safe to share between threads; each method is atomic.
pub trait Store: Send + Sync {
    /// Inserts a user. A duplicate email (case-insensitive) is `USER_EXISTS`.
    fn insert_user(&self, user: &UserRecord) -> Result<()>;
    /// A user by id.
    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>>;
    /// A user by email, case-insensitively.
    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    /// Sets whether the user can sign in without a passkey. Returns false if no such user.
    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool>;

    /// Inserts a session.
    fn insert_session(&self, session: &SessionRecord) -> Result<()>;
    /// The unexpired session with this token hash, and its user.
    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// Records activity (implementations may skip the write if the last one is recent).
    fn touch_session(&self, session_id: &str, now: i64) -> Result<()>;
    /// Deletes a session. Returns whether it existed.
    fn delete_session(&self, session_id: &str) -> Result<bool>;

    /// Stores a new challenge, and sweeps a bounded number of expired challenges and sessions so
    /// that storage cannot grow without bound however often options are requested.
    fn insert_challenge(&self, challenge: &ChallengeRecord, now: i64) -> Result<()>;
    /// Atomically removes and returns the challenge if it exists and has not expired. Two
    /// concurrent calls for one challenge: at most one gets it.
    fn take_challenge(&self, challenge: &str, now: i64) -> Result<Option<ChallengeRecord>>;
    /// The challenge if it exists and has not expired, left in place. Only a read: whoever
    /// relies on single use must still consume it ([`Store::take_challenge`] or
    /// [`Store::complete_sign_in`]).
    fn peek_challenge(&self, challenge: &str, now: i64) -> Result<Option<ChallengeRecord>>;
    /// How many unexpired challenges are stored, counting no further than `limit` (the answer is
    /// `min(count, limit)`, at a cost bounded by `limit`).
    fn count_challenges(&self, now: i64, limit: u64) -> Result<u64>;

    /// Inserts a credential. A credential ID that exists (for any user) is `CREDENTIAL_EXISTS`.
    fn insert_credential(&self, credential: &CredentialRecord) -> Result<()>;
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
    /// compare-and-set the counter (and BS flag, last use) and insert the session. If the
    /// challenge is gone or expired (a concurrent request used it) this returns
    /// `CHALLENGE_INVALID`; if the stored counter no longer equals `expected_counter` (a
    /// concurrent sign-in moved it), `COUNTER_REGRESSION`. Either way nothing is written.
    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<()>;
    /// Renames the user's credential; `None` if the user has no such credential.
    fn rename_credential(&self, user_id: &str, credential_id: &[u8], name: &str) -> Result<Option<CredentialRecord>>;
    /// Deletes the user's credential. Unless `allow_last`, refuses to delete the user's only one
    /// (checked inside the same transaction, so two concurrent deletes cannot remove both of two).
    fn delete_credential(&self, user_id: &str, credential_id: &[u8], allow_last: bool) -> Result<DeleteOutcome>;

    /// Deletes expired challenges and sessions, at most `limit` rows of each. Returns rows removed.
    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64>;
}

/// The error for a challenge that is unknown, expired or already used.
pub(crate) fn challenge_invalid() -> crate::Error {
    crate::Error::new(
        crate::ErrorCode::ChallengeInvalid,
        "the challenge is unknown, expired or already used; start again",
    )
}

/// The case-insensitive key an email is unique by (trim + Unicode lowercase), computed here rather
/// than by the database so that every engine agrees.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}
