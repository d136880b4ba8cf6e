//! What the stores keep and what their units of work decide, engine-neutral: the records, the
//! outcomes the ceremonies turn into messages, and the one mapping from a result row to a record
//! (each engine only says how to read a column of its own row type).

use crate::error::{Error, Result};
use crate::events::{Event, EventType};

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
    /// When its expiry was last moved (sliding renewal); `created_at` until then.
    pub renewed_at: i64,
    /// When a passkey last verified its user (a passkey sign-in or a step-up); `None` for a
    /// session the host created.
    pub authenticated_at: Option<i64>,
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
    /// `credProps.rk` at registration: whether the credential is discoverable (a passkey that
    /// can sign in without an email); `None` when the client did not say (schema version 5).
    pub discoverable: Option<bool>,
    /// The PRF extension was enabled at registration (`prf: true`).
    pub prf_enabled: bool,
    /// A sign-in under `counterPolicy: 'flag'` saw the counter go backwards: the authenticator
    /// may have been cloned.
    pub clone_warning: bool,
    /// How the credential came to be.
    pub created_by: CreatedBy,
    /// Imported from FIDO U2F: its assertions may use the `appid` extension.
    pub u2f: bool,
    /// The user handle an imported credential was created with on another server, which its
    /// authenticator returns; `None`: the owner's own (`UserRecord::webauthn_user_id`).
    pub user_handle: Option<Vec<u8>>,
}

/// How a credential came to be (`Credential.createdBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreatedBy {
    /// A registration ceremony the user started.
    #[default]
    Registration,
    /// A conditional create (automatic passkey upgrade after a password sign-in).
    Conditional,
    /// `credentials.import` (from U2F or another WebAuthn server).
    Import,
}

impl CreatedBy {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Conditional => "conditional",
            Self::Import => "import",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "registration" => Ok(Self::Registration),
            "conditional" => Ok(Self::Conditional),
            "import" => Ok(Self::Import),
            other => Err(bad_row(format_args!("created_by '{other}'"))),
        }
    }
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
    /// The session to create, or (a step-up) the session to mark as just checked.
    pub session: SessionChange<'a>,
    /// Set the credential's clone warning (a regressed counter accepted under
    /// `counterPolicy: 'flag'`); never cleared by a sign-in.
    pub clone_warning: bool,
    /// The events it records, stored only if it completes.
    pub audit: Audit<'a>,
}

/// What a verified assertion does to sessions.
#[derive(Debug, Clone, Copy)]
pub enum SessionChange<'a> {
    /// A sign-in: this new session.
    Create(&'a SessionRecord),
    /// A step-up inside an existing session: its `authenticated_at` becomes the sign-in's `now`.
    MarkAuthenticated {
        /// The session's id.
        session_id: &'a str,
    },
}

/// Outcome of [`super::Store::complete_sign_in`]. Anything but `SignedIn` (and `SessionGone`,
/// whose challenge and counter stay moved) wrote nothing.
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
    /// A step-up whose session was revoked (or expired) meanwhile: nothing marked.
    SessionGone,
}

/// One bucket of the shared rate limit (`rateLimit.storage: 'database'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitKey {
    /// The bucket's name: a keyed hash of the client key or session, so the table holds no
    /// client addresses.
    pub name: [u8; 16],
    /// Requests it allows per window.
    pub max: i64,
}

/// A request spending one token from each of its buckets, or from none.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSpend<'a> {
    /// The buckets the request counts against.
    pub keys: &'a [RateLimitKey],
    /// The window, in milliseconds.
    pub window_ms: i64,
    /// The instance's clock (Unix ms).
    pub now: i64,
}

/// Outcome of [`super::Store::spend_rate_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitOutcome {
    /// A token was taken from every bucket.
    Spent,
    /// At least one bucket is empty: nothing was taken. A token returns in `wait_ms`.
    Refused {
        /// Milliseconds until the emptiest bucket has a token.
        wait_ms: i64,
    },
}

/// Outcome of [`super::Store::insert_credential`]. Anything but `Inserted` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored (and the challenge, if any, consumed).
    Inserted,
    /// The challenge was used already, or has expired by the store's clock.
    ChallengeUsed,
    /// A credential with this ID exists (for any user).
    CredentialExists,
}

/// Outcome of [`super::Store::insert_user`]. Anything but `Inserted` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserInsertOutcome {
    /// Stored.
    Inserted,
    /// A user with this email (case-insensitive) exists.
    EmailTaken,
}

/// Outcome of [`super::Store::delete_credential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Removed.
    Deleted,
    /// No such credential for this user.
    NotFound,
    /// It is the user's last one and deleting it was not allowed.
    LastCredential,
}

/// Security events to store in the transaction of the change they record (DESIGN §10), so that
/// the audit log holds exactly what happened. Unless `expire_before` is `i64::MIN`, the write
/// also removes events older than it (retention; a bounded number). An event without a user is
/// stored under the user the change concerned (a session revoked by id).
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    /// The events.
    pub events: &'a [Event],
    /// Unix milliseconds: stored events older than this may be removed.
    pub expire_before: i64,
}

impl Audit<'static> {
    /// Nothing to store.
    pub const NONE: Audit<'static> = Audit { events: &[], expire_before: i64::MIN };
}

/// A stored event and its id, newest ids last (the activity list's cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Row id, increasing.
    pub id: i64,
    /// The event.
    pub event: Event,
}

/// A change to a user (`users.update`): each `Some` is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserUpdate<'a> {
    /// The new email and its case-insensitive key.
    pub email: Option<(&'a str, &'a str)>,
    /// The new display name (`Some(None)` clears it).
    pub name: Option<Option<&'a str>>,
}

/// Outcome of [`super::Store::update_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserUpdateOutcome {
    /// Changed; the user as stored now.
    Updated(UserRecord),
    /// No such user.
    NotFound,
    /// Another user has the email.
    EmailTaken,
}

/// One result row, as each engine reads its columns: the records are built from it by the
/// functions below, the same for every engine.
pub(super) trait Columns {
    /// A text column.
    fn text(&self, i: usize) -> Result<String>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    /// A binary column.
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;
    /// A nullable binary column.
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64>;
    /// A boolean column.
    fn flag(&self, i: usize) -> Result<bool>;
    /// A nullable boolean column.
    fn opt_flag(&self, i: usize) -> Result<Option<bool>>;
    /// A time column, as Unix milliseconds.
    fn time(&self, i: usize) -> Result<i64>;
    /// A nullable time column.
    fn opt_time(&self, i: usize) -> Result<Option<i64>>;
    /// A list of strings (transports).
    fn strings(&self, i: usize) -> Result<Vec<String>>;
}

/// The columns of a user, in this order, from `at`: id, email, name, webauthn_user_id,
/// has_other_sign_in, created_at.
pub(super) const USER_COLUMNS: &str = "id, email, name, webauthn_user_id, has_other_sign_in, created_at";

/// The columns of a credential, in the order [`credential_from`] reads them.
pub(super) const CREDENTIAL_COLUMNS: &str = "credential_id, user_id, name, public_key, algorithm, counter, aaguid, \
     backup_eligible, backup_state, transports, attestation_format, attestation_trust, created_at, last_used_at, \
     attestation_root, attestation_source, aaguid_attested, discoverable, prf_enabled, clone_warning, created_by, u2f, user_handle";

/// The columns of a session, in the order [`session_from`] reads them.
pub(super) const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, last_seen_at, renewed_at, authenticated_at";

/// The columns of a stored event, in the order [`event_from`] reads them.
pub(super) const EVENT_COLUMNS: &str = "id, type, at, user_id, credential_id, session_id, client, code, count";

/// A stored event from [`EVENT_COLUMNS`].
pub(super) fn event_from(row: &impl Columns) -> Result<StoredEvent> {
    let kind = row.text(1)?;
    let count = row.int(8)?;
    Ok(StoredEvent {
        id: row.int(0)?,
        event: Event {
            kind: EventType::parse(&kind).ok_or_else(|| bad_row(format_args!("unknown event type {kind:?}")))?,
            at: row.time(2)?,
            user_id: Some(row.text(3)?),
            credential_id: row.opt_text(4)?,
            session_id: row.opt_text(5)?,
            client: row.opt_text(6)?,
            code: row.opt_text(7)?,
            count: u64::try_from(count).map_err(|_| bad_row(format_args!("event count {count}")))?,
        },
    })
}

/// `events` as stored: those without a user get `user`, and with `count` each gets that count.
pub(super) fn events_for(events: &[Event], user: Option<&str>, count: Option<u64>) -> Vec<Event> {
    events
        .iter()
        .map(|event| {
            let mut event = event.clone();
            if event.user_id.is_none() {
                event.user_id = user.map(str::to_owned);
            }
            if let Some(count) = count {
                event.count = count;
            }
            event
        })
        .filter(|event| event.user_id.is_some())
        .collect()
}

/// A user from [`USER_COLUMNS`] starting at column `at`.
pub(super) fn user_from(row: &impl Columns, at: usize) -> Result<UserRecord> {
    Ok(UserRecord {
        id: row.text(at)?,
        email: row.text(at + 1)?,
        name: row.opt_text(at + 2)?,
        webauthn_user_id: row.bytes(at + 3)?,
        has_other_sign_in: row.flag(at + 4)?,
        created_at: row.time(at + 5)?,
    })
}

/// A session from [`SESSION_COLUMNS`] starting at column `at`.
pub(super) fn session_from(row: &impl Columns, at: usize) -> Result<SessionRecord> {
    let created_at = row.time(at + 3)?;
    Ok(SessionRecord {
        id: row.text(at)?,
        token_hash: row.bytes(at + 1)?.try_into().map_err(|_| bad_row("token_hash is not 32 bytes"))?,
        user_id: row.text(at + 2)?,
        created_at,
        expires_at: row.time(at + 4)?,
        last_seen_at: row.time(at + 5)?,
        renewed_at: row.opt_time(at + 6)?.unwrap_or(created_at),
        authenticated_at: row.opt_time(at + 7)?,
    })
}

/// A credential from [`CREDENTIAL_COLUMNS`].
pub(super) fn credential_from(row: &impl Columns) -> Result<CredentialRecord> {
    let counter = row.int(5)?;
    Ok(CredentialRecord {
        credential_id: row.bytes(0)?,
        user_id: row.text(1)?,
        name: row.text(2)?,
        public_key: row.bytes(3)?,
        algorithm: row.int(4)?,
        counter: u32::try_from(counter).map_err(|_| bad_row(format_args!("counter {counter} out of range")))?,
        aaguid: row.bytes(6)?.try_into().map_err(|_| bad_row("aaguid is not 16 bytes"))?,
        backup_eligible: row.flag(7)?,
        backup_state: row.flag(8)?,
        transports: row.strings(9)?,
        attestation_format: row.text(10)?,
        attestation_trust: row.text(11)?,
        created_at: row.time(12)?,
        last_used_at: row.opt_time(13)?,
        attestation_root: row.opt_text(14)?,
        attestation_source: row.opt_text(15)?,
        aaguid_attested: row.flag(16)?,
        discoverable: row.opt_flag(17)?,
        prf_enabled: row.flag(18)?,
        clone_warning: row.flag(19)?,
        created_by: CreatedBy::parse(&row.text(20)?)?,
        u2f: row.flag(21)?,
        user_handle: row.opt_bytes(22)?,
    })
}

/// A row that does not hold what the schema promises: a corrupt database or a bug (`INTERNAL`).
pub(super) fn bad_row(what: impl std::fmt::Display) -> Error {
    Error::internal(format_args!("store: bad row: {what}"))
}
