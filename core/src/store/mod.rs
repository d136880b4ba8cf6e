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
    /// With `verified` trust: where that anchor came from, `bundled`, `configured` or `mds`
    /// (schema version 3; `None` before).
    pub attestation_source: Option<String>,
    /// Whether the attestation proves the AAGUID (a certificate extension in a verified chain,
    /// or a metadata root listed for that model alone), rather than the authenticator only
    /// claiming it (schema version 3).
    pub aaguid_attested: bool,
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

/// The single use of a challenge (DESIGN §5): its nonce goes into a consumed-challenge table in
/// the transaction that completes the ceremony, and stays there until `keep_until`, after which
/// the challenge has expired on every instance whose clock is within the skew margin.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeUse<'a> {
    /// The challenge's nonce.
    pub nonce: &'a [u8; 16],
    /// The challenge's expiry plus the clock-skew margin. A store refuses to consume a nonce
    /// whose `keep_until` has passed by its own clock (PostgreSQL: the database's clock), since
    /// its record of an earlier use may have been swept.
    pub keep_until: i64,
}

/// What a sign-in writes, in one transaction.
#[derive(Debug, Clone)]
pub struct SignInUpdate<'a> {
    /// The challenge the assertion answered: consumed in the same transaction, so a sign-in is
    /// either complete (challenge used, counter moved, session saved) or did not happen.
    pub challenge: ChallengeUse<'a>,
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

/// Outcome of [`Store::complete_sign_in`]. Anything but `SignedIn` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// Challenge consumed, counter moved, session saved.
    SignedIn,
    /// The challenge was used already (a concurrent request or a replay), or has expired by the
    /// store's clock.
    ChallengeUsed,
    /// The stored counter is no longer the one read before verification: a concurrent sign-in
    /// moved it.
    CounterChanged,
    /// The credential was deleted while the assertion was being verified.
    CredentialGone,
}

/// Outcome of [`Store::insert_credential`]. Anything but `Inserted` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored (and the challenge, if any, consumed).
    Inserted,
    /// The challenge was used already, or has expired by the store's clock.
    ChallengeUsed,
    /// A credential with this ID exists (for any user).
    CredentialExists,
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

    /// Inserts a session, sweeping a bounded number of expired ones (so that storage stays
    /// proportional to live sessions however sessions are created).
    fn insert_session(&self, session: &SessionRecord) -> Result<()>;
    /// The unexpired session with this token hash, and its user.
    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// Records activity (implementations may skip the write if the last one is recent).
    fn touch_session(&self, session_id: &str, now: i64) -> Result<()>;
    /// Deletes a session. Returns whether it existed.
    fn delete_session(&self, session_id: &str) -> Result<bool>;

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
    fn rename_credential(&self, user_id: &str, credential_id: &[u8], name: &str) -> Result<Option<CredentialRecord>>;
    /// Deletes the user's credential. Unless `allow_last`, refuses to delete the user's only one
    /// (checked inside the same transaction, so two concurrent deletes cannot remove both of two).
    fn delete_credential(&self, user_id: &str, credential_id: &[u8], allow_last: bool) -> Result<DeleteOutcome>;

    /// Deletes expired consumed-challenge records and sessions, at most `limit` rows of each.
    /// Returns rows removed.
    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64>;

    /// The instance-wide random key for `purpose`: `candidate` is stored if no key is stored yet,
    /// and the stored key is returned (so every instance sharing the database agrees, and the key
    /// outlives secret rotation). Used for the anti-enumeration fake credentials.
    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>>;
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
