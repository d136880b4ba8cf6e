//! The SQLite [`Store`]: one file, WAL, versioned migrations, every trait method one atomic unit.
//!
//! Connections: one writer connection behind a mutex (every write is a `BEGIN IMMEDIATE`
//! transaction on it, so writes inside this process never race for SQLite's write lock and never
//! hit a lock-upgrade deadlock) and a few read-only reader connections, each behind its own mutex
//! (in WAL mode readers never block the writer nor each other). Other processes sharing the file
//! are serialized by SQLite's own locking, with `busy_timeout` to wait instead of failing.
//!
//! An in-memory database (`:memory:`) is private to a connection, so it uses the writer
//! connection for reads as well.
//!
//! Durability is chosen per write (see [`Durability`]): what a user or the security of sign-in
//! depends on is fsynced at commit (`synchronous=FULL`); challenges, sweeps and last-seen times,
//! whose loss in a power cut costs at most a retry, are not (`synchronous=NORMAL`). In WAL mode
//! the next FULL commit syncs the log up to itself, so the relaxed writes before it become
//! durable with it, and neither mode can corrupt the database.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, ffi, params};

use super::{
    ChallengeUse, CredentialDescriptorRecord, CredentialRecord, DeleteOutcome, InsertOutcome, SessionRecord,
    SignInOutcome, SignInUpdate, Store, UserRecord, email_key,
};
use crate::error::{Error, ErrorCode, Result};

/// Reader connections for a file database.
const READERS: usize = 4;
/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);
/// At most this many expired rows (consumed challenges; sessions) are removed per insert of one.
const SWEEP_PER_INSERT: u32 = 16;
/// `touch_session` skips the write unless the stored `last_seen_at` is older than this.
const TOUCH_INTERVAL_MS: i64 = 60_000;
/// Prepared-statement cache per connection (there are fewer distinct statements than this).
const STATEMENT_CACHE: usize = 64;

/// Schema migrations, in order. Migration `i` (0-based) brings the schema to version `i + 1`.
/// Never edit or reorder an entry that has shipped: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema (DESIGN §5).
    r#"
    CREATE TABLE kavach_users (
        id                TEXT    PRIMARY KEY NOT NULL,
        email             TEXT    NOT NULL,
        -- trim + Unicode lowercase of email, computed by the engine so that every engine agrees
        -- (SQLite's lower() folds ASCII only).
        email_key         TEXT    NOT NULL UNIQUE,
        name              TEXT,
        webauthn_user_id  BLOB    NOT NULL UNIQUE,
        has_other_sign_in INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL
    );

    CREATE TABLE kavach_sessions (
        id           TEXT    PRIMARY KEY NOT NULL,
        token_hash   BLOB    NOT NULL UNIQUE,
        user_id      TEXT    NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
    );
    CREATE INDEX kavach_sessions_expires_at ON kavach_sessions(expires_at);
    CREATE INDEX kavach_sessions_user_id ON kavach_sessions(user_id);

    CREATE TABLE kavach_passkey_credentials (
        credential_id      BLOB    PRIMARY KEY NOT NULL,
        user_id            TEXT    NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
        name               TEXT    NOT NULL,
        public_key         BLOB    NOT NULL,
        algorithm          INTEGER NOT NULL,
        counter            INTEGER NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
        aaguid             BLOB    NOT NULL CHECK (length(aaguid) = 16),
        backup_eligible    INTEGER NOT NULL,
        backup_state       INTEGER NOT NULL,
        transports         TEXT    NOT NULL DEFAULT '[]',
        attestation_format TEXT    NOT NULL,
        attestation_trust  TEXT    NOT NULL,
        created_at         INTEGER NOT NULL,
        last_used_at       INTEGER
    );
    CREATE INDEX kavach_passkey_credentials_user_id ON kavach_passkey_credentials(user_id);

    CREATE TABLE kavach_passkey_challenges (
        challenge  TEXT    PRIMARY KEY NOT NULL,
        kind       TEXT    NOT NULL CHECK (kind IN ('registration', 'authentication')),
        user_id    TEXT,
        state      TEXT    NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX kavach_passkey_challenges_expires_at ON kavach_passkey_challenges(expires_at);
    "#,
    // 2: attestation trust anchor (issue #7): the name of the root a verified attestation chain
    // reached; NULL for none/self/unverified and for credentials registered before version 2.
    r#"
    ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_root TEXT;
    "#,
    // 3: stateless challenges (issue #14): single use by a consumed-nonce table; instance keys
    // (the anti-enumeration key, which must outlive secret rotation); attestation facts. The
    // challenge table of versions 1-2 is no longer written; it stays (unused) so that instances of
    // the previous version can run beside this one during a rolling deploy.
    r#"
    CREATE TABLE kavach_consumed_challenges (
        nonce      BLOB    PRIMARY KEY NOT NULL CHECK (length(nonce) = 16),
        keep_until INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX kavach_consumed_challenges_keep_until ON kavach_consumed_challenges(keep_until);

    CREATE TABLE kavach_keys (
        purpose    TEXT    PRIMARY KEY NOT NULL,
        key        BLOB    NOT NULL,
        created_at INTEGER NOT NULL
    );

    ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_source TEXT;
    ALTER TABLE kavach_passkey_credentials ADD COLUMN aaguid_attested INTEGER NOT NULL DEFAULT 0;
    "#,
];

const USER_COLS: &str = "id, email, name, webauthn_user_id, has_other_sign_in, created_at";
const CREDENTIAL_COLS: &str = "credential_id, user_id, name, public_key, algorithm, counter, aaguid, \
     backup_eligible, backup_state, transports, attestation_format, attestation_trust, created_at, last_used_at, \
     attestation_root, attestation_source, aaguid_attested";

/// How a write transaction is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced at commit, so the commit survives power loss and
    /// OS crashes. Users, credentials, counters, sessions and their revocation.
    Durable,
    /// `synchronous=NORMAL`: no fsync at commit. Survives the process being killed; a power cut
    /// may lose the last such commits (never corrupts). Challenges (a lost one means the user
    /// starts the ceremony again), sweeps and last-seen times.
    Relaxed,
}

/// The writer connection and the `synchronous` mode it is in.
struct Writer {
    conn: Connection,
    mode: Durability,
}

/// SQLite implementation of [`Store`].
pub struct SqliteStore {
    writer: Mutex<Writer>,
    /// Empty for an in-memory database: reads then go to the writer.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("readers", &self.readers.len()).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database and runs pending migrations.
    ///
    /// `url` is `file:path.db` (an SQLite URI, query parameters allowed), `sqlite:path.db`,
    /// `sqlite://path.db`, a plain path, or `:memory:` (a private database, for tests).
    /// A database that cannot be opened or migrated is `INVALID_CONFIG`, naming the path.
    pub fn open(url: &str) -> Result<SqliteStore> {
        let target = parse_url(url)?;
        let cannot_open = |e: rusqlite::Error| Error::config(format!("database: cannot open {}: {e}", target.display));
        let writer = retry_busy(|| open_connection(&target, false)).map_err(cannot_open)?;
        retry_busy(|| migrate(&writer))
            .map_err(|e| Error::config(format!("database: cannot migrate {}: {e}", target.display)))?;
        let mut readers = Vec::new();
        if !target.memory {
            for _ in 0..READERS {
                readers.push(Mutex::new(retry_busy(|| open_connection(&target, true)).map_err(cannot_open)?));
            }
        }
        let writer = Writer { conn: writer, mode: Durability::Durable };
        Ok(SqliteStore { writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0) })
    }

    /// A connection for a single read statement: a free reader if any, else waits for one.
    fn reader(&self) -> MappedMutexGuard<'_, Connection> {
        let n = self.readers.len();
        if n == 0 {
            return MutexGuard::map(self.writer.lock(), |writer| &mut writer.conn);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Some(guard) = self.readers[(start + i) % n].try_lock() {
                return MutexGuard::map(guard, |conn| conn);
            }
        }
        MutexGuard::map(self.readers[start].lock(), |conn| conn)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer; commits (with `durability`) if
    /// it returns `Ok`, rolls back otherwise.
    fn write<T>(&self, durability: Durability, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_or_rollback(durability, |tx| f(tx).map(Finish::Commit))
    }

    /// [`SqliteStore::write`] for a unit that may find a reason not to happen: `Rollback(value)`
    /// undoes whatever it wrote before it found it, and returns `value`.
    fn write_or_rollback<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> Result<Finish<T>>,
    ) -> Result<T> {
        let mut writer = self.writer.lock();
        writer.set_durability(durability)?;
        let tx = writer.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match f(&tx)? {
            Finish::Commit(out) => {
                tx.commit()?;
                Ok(out)
            }
            Finish::Rollback(out) => {
                tx.rollback()?;
                Ok(out)
            }
        }
    }
}

/// How a [`SqliteStore::write_or_rollback`] unit ends.
enum Finish<T> {
    Commit(T),
    Rollback(T),
}

impl Writer {
    fn set_durability(&mut self, durability: Durability) -> rusqlite::Result<()> {
        if self.mode != durability {
            let mode = match durability {
                Durability::Durable => "FULL",
                Durability::Relaxed => "NORMAL",
            };
            self.conn.pragma_update(None, "synchronous", mode)?;
            self.mode = durability;
        }
        Ok(())
    }
}

struct Target {
    /// What is passed to `sqlite3_open_v2` (URI filenames are enabled).
    name: String,
    /// What error messages show.
    display: String,
    memory: bool,
}

fn parse_url(url: &str) -> Result<Target> {
    let trimmed = url.trim();
    let name = if let Some(rest) = trimmed.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = trimmed.strip_prefix("sqlite:") {
        rest
    } else {
        trimmed
    };
    if name.is_empty() || name == "file:" {
        return Err(Error::config("database: empty path"));
    }
    let memory = name == ":memory:" || name.starts_with("file::memory:") || name.contains("mode=memory");
    // A plain path containing '?' or '#' would be misread as a URI only if it started with
    // "file:"; plain paths are passed through unchanged.
    Ok(Target { name: name.to_owned(), display: name.to_owned(), memory })
}

/// Runs `f`, retrying while SQLite reports the database busy or locked, for up to
/// [`BUSY_TIMEOUT`]. Needed at start-up only: when several processes open a new file at once,
/// switching to WAL and reading the schema can answer `SQLITE_BUSY` without calling the busy
/// handler (SQLite does so where waiting could deadlock, e.g. during WAL recovery).
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked)
                ) && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

fn open_connection(target: &Target, reader: bool) -> rusqlite::Result<Connection> {
    let flags = if reader {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(&target.name, flags)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if !reader {
        // WAL: readers and the writer do not block each other; the setting is persistent in the
        // file. (An in-memory database answers "memory", which is fine.) This is also the first
        // statement that reads the file, so a file that is not a database fails here.
        let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    }
    // FULL until a write says otherwise (see `Durability`): in WAL mode NORMAL never corrupts the
    // database but can lose the last commits on power loss or an OS crash. Losing a counter
    // update would re-open a cloned-authenticator window and losing a credential would lose a
    // user's passkey; losing a challenge only makes the user try again.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if reader {
        // Defence in depth: a reader connection can never write.
        conn.pragma_update(None, "query_only", "ON")?;
    }
    // Touch the schema so that a non-database file is reported now, not at the first request.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get::<_, i64>(0))?;
    Ok(conn)
}

/// Applies pending migrations, each in its own `BEGIN IMMEDIATE` transaction that re-reads the
/// version first: two processes opening at once serialize on the write lock, and the second sees
/// the first's work and does nothing.
fn migrate(conn: &Connection) -> Result<(), rusqlite::Error> {
    let latest = MIGRATIONS.len() as i64;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS kavach_schema_version (
                 version    INTEGER PRIMARY KEY NOT NULL,
                 applied_at INTEGER NOT NULL
             )",
        )?;
        let current: i64 =
            tx.query_row("SELECT coalesce(max(version), 0) FROM kavach_schema_version", [], |row| row.get(0))?;
        if current > latest {
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_ERROR),
                Some(format!("schema version {current} is newer than this build supports ({latest}); upgrade kavach")),
            ));
        }
        if current < version {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO kavach_schema_version (version, applied_at) VALUES (?1, ?2)",
                params![version, unix_millis()],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn unix_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The extended result code of a constraint violation, if `err` is one.
fn constraint_code(err: &rusqlite::Error) -> Option<i32> {
    match err {
        rusqlite::Error::SqliteFailure(e, _) if e.code == ffi::ErrorCode::ConstraintViolation => Some(e.extended_code),
        _ => None,
    }
}

fn conversion_error(index: usize, err: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(err))
}

fn user_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: row.get(at)?,
        email: row.get(at + 1)?,
        name: row.get(at + 2)?,
        webauthn_user_id: row.get(at + 3)?,
        has_other_sign_in: row.get(at + 4)?,
        created_at: row.get(at + 5)?,
    })
}

fn session_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(at)?,
        token_hash: row.get(at + 1)?,
        user_id: row.get(at + 2)?,
        created_at: row.get(at + 3)?,
        expires_at: row.get(at + 4)?,
        last_seen_at: row.get(at + 5)?,
    })
}

fn credential_from_row(row: &Row<'_>) -> rusqlite::Result<CredentialRecord> {
    let transports: String = row.get(9)?;
    let transports: Vec<String> = serde_json::from_str(&transports).map_err(|e| conversion_error(9, e))?;
    Ok(CredentialRecord {
        credential_id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        public_key: row.get(3)?,
        algorithm: row.get(4)?,
        // u32 and [u8; 16] conversions are range/length checked: a bad row is an error (INTERNAL).
        counter: row.get(5)?,
        aaguid: row.get(6)?,
        backup_eligible: row.get(7)?,
        backup_state: row.get(8)?,
        transports,
        attestation_format: row.get(10)?,
        attestation_trust: row.get(11)?,
        created_at: row.get(12)?,
        last_used_at: row.get(13)?,
        attestation_root: row.get(14)?,
        attestation_source: row.get(15)?,
        aaguid_attested: row.get(16)?,
    })
}

/// Deletes at most `limit` expired consumed-challenge records and `limit` expired sessions.
/// Bounded, and uses the indexes on the expiry columns, so its cost does not grow with the table.
fn sweep(conn: &Connection, now: i64, limit: u32) -> rusqlite::Result<u64> {
    Ok(sweep_challenges(conn, now, limit)? + sweep_sessions(conn, now, limit)?)
}

fn sweep_challenges(conn: &Connection, now: i64, limit: u32) -> rusqlite::Result<u64> {
    let removed = conn
        .prepare_cached(
            "DELETE FROM kavach_consumed_challenges WHERE nonce IN \
             (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= ?1 LIMIT ?2)",
        )?
        .execute(params![now, limit])?;
    Ok(removed as u64)
}

fn sweep_sessions(conn: &Connection, now: i64, limit: u32) -> rusqlite::Result<u64> {
    let removed = conn
        .prepare_cached(
            "DELETE FROM kavach_sessions WHERE rowid IN \
             (SELECT rowid FROM kavach_sessions WHERE expires_at <= ?1 LIMIT ?2)",
        )?
        .execute(params![now, limit])?;
    Ok(removed as u64)
}

/// Records the challenge's use; false if it was used already or its record could have been swept
/// (`keep_until` passed). Sweeps a few expired records first.
fn consume(conn: &Connection, challenge: &ChallengeUse<'_>, now: i64) -> rusqlite::Result<bool> {
    sweep_challenges(conn, now, SWEEP_PER_INSERT)?;
    if challenge.keep_until <= now {
        return Ok(false);
    }
    let inserted = conn
        .prepare_cached(
            "INSERT INTO kavach_consumed_challenges (nonce, keep_until) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![&challenge.nonce[..], challenge.keep_until])?;
    Ok(inserted == 1)
}

impl Store for SqliteStore {
    fn insert_user(&self, user: &UserRecord) -> Result<()> {
        let key = email_key(&user.email);
        self.write(Durability::Durable, |tx| {
            // Checked first (inside the write transaction, so no one can slip in between) so that a
            // duplicate email is told apart from an id or user-handle collision without parsing
            // SQLite's message.
            let taken = tx.prepare_cached("SELECT 1 FROM kavach_users WHERE email_key = ?1")?.exists(params![key])?;
            if taken {
                return Err(Error::new(ErrorCode::UserExists, "a user with this email already exists"));
            }
            tx.prepare_cached(&format!(
                "INSERT INTO kavach_users ({USER_COLS}, email_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                user.id,
                user.email,
                user.name,
                user.webauthn_user_id,
                user.has_other_sign_in,
                user.created_at,
                key
            ])?;
            Ok(())
        })
    }

    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        let conn = self.reader();
        let user = conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM kavach_users WHERE id = ?1"))?
            .query_row(params![id], |row| user_from_row(row, 0))
            .optional()?;
        Ok(user)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let conn = self.reader();
        let user = conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM kavach_users WHERE email_key = ?1"))?
            .query_row(params![email_key(email)], |row| user_from_row(row, 0))
            .optional()?;
        Ok(user)
    }

    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool> {
        self.write(Durability::Durable, |tx| {
            let changed = tx
                .prepare_cached("UPDATE kavach_users SET has_other_sign_in = ?2 WHERE id = ?1")?
                .execute(params![user_id, value])?;
            Ok(changed > 0)
        })
    }

    fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        self.write(Durability::Durable, |tx| insert_session(tx, session, session.created_at))
    }

    fn use_challenge(&self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool> {
        self.write(Durability::Relaxed, |tx| Ok(consume(tx, challenge, now)?))
    }

    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached(
                "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at, \
                        u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at \
                 FROM kavach_sessions s JOIN kavach_users u ON u.id = s.user_id \
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![&token_hash[..], now], |row| Ok((session_from_row(row, 0)?, user_from_row(row, 6)?)))
            .optional()?;
        Ok(found)
    }

    fn touch_session(&self, session_id: &str, now: i64) -> Result<()> {
        let threshold = now.saturating_sub(TOUCH_INTERVAL_MS);
        // Read first, on a reader: most requests then cost no write (and no write lock) at all.
        let stale = {
            let conn = self.reader();
            conn.prepare_cached("SELECT 1 FROM kavach_sessions WHERE id = ?1 AND last_seen_at < ?2")?
                .exists(params![session_id, threshold])?
        };
        if stale {
            self.write(Durability::Relaxed, |tx| {
                // Re-checked in the UPDATE: last_seen_at never moves backwards under concurrency.
                tx.prepare_cached("UPDATE kavach_sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?3")?
                    .execute(params![session_id, now, threshold])?;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn delete_session(&self, session_id: &str) -> Result<bool> {
        self.write(Durability::Durable, |tx| {
            let deleted =
                tx.prepare_cached("DELETE FROM kavach_sessions WHERE id = ?1")?.execute(params![session_id])?;
            Ok(deleted > 0)
        })
    }

    fn insert_credential(
        &self,
        credential: &CredentialRecord,
        challenge: Option<&ChallengeUse<'_>>,
        now: i64,
    ) -> Result<InsertOutcome> {
        let transports = serde_json::to_string(&credential.transports).map_err(Error::internal)?;
        self.write_or_rollback(Durability::Durable, |tx| {
            if let Some(challenge) = challenge
                && !consume(tx, challenge, now)?
            {
                return Ok(Finish::Rollback(InsertOutcome::ChallengeUsed));
            }
            let inserted = tx
                .prepare_cached(&format!(
                    "INSERT INTO kavach_passkey_credentials ({CREDENTIAL_COLS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
                ))?
                .execute(params![
                    credential.credential_id,
                    credential.user_id,
                    credential.name,
                    credential.public_key,
                    credential.algorithm,
                    credential.counter,
                    &credential.aaguid[..],
                    credential.backup_eligible,
                    credential.backup_state,
                    transports,
                    credential.attestation_format,
                    credential.attestation_trust,
                    credential.created_at,
                    credential.last_used_at,
                    credential.attestation_root,
                    credential.attestation_source,
                    credential.aaguid_attested
                ]);
            match inserted {
                Ok(_) => Ok(Finish::Commit(InsertOutcome::Inserted)),
                // credential_id is the table's only PRIMARY KEY / UNIQUE constraint.
                Err(e)
                    if matches!(
                        constraint_code(&e),
                        Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE)
                    ) =>
                {
                    Ok(Finish::Rollback(InsertOutcome::CredentialExists))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn credential_by_id(&self, credential_id: &[u8]) -> Result<Option<CredentialRecord>> {
        let conn = self.reader();
        let credential = conn
            .prepare_cached(&format!(
                "SELECT {CREDENTIAL_COLS} FROM kavach_passkey_credentials WHERE credential_id = ?1"
            ))?
            .query_row(params![credential_id], credential_from_row)
            .optional()?;
        Ok(credential)
    }

    fn credentials_of_user(&self, user_id: &str) -> Result<Vec<CredentialRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CREDENTIAL_COLS} FROM kavach_passkey_credentials WHERE user_id = ?1 \
             ORDER BY created_at DESC, rowid DESC"
        ))?;
        let credentials = stmt.query_map(params![user_id], credential_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(credentials)
    }

    fn user_and_descriptors_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, Vec<CredentialDescriptorRecord>)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at, \
                    c.credential_id, c.transports \
             FROM kavach_users u LEFT JOIN kavach_passkey_credentials c ON c.user_id = u.id \
             WHERE u.email_key = ?1 ORDER BY c.created_at DESC, c.rowid DESC",
        )?;
        let mut rows = stmt.query(params![email_key(email)])?;
        let mut found: Option<(UserRecord, Vec<CredentialDescriptorRecord>)> = None;
        while let Some(row) = rows.next()? {
            let (_, descriptors) = match &mut found {
                Some(found) => found,
                None => found.insert((user_from_row(row, 0)?, Vec::new())),
            };
            // A user without passkeys is one row with NULL credential columns.
            if let Some(credential_id) = row.get::<_, Option<Vec<u8>>>(6)? {
                let transports: String = row.get(7)?;
                let transports = serde_json::from_str(&transports).map_err(|e| conversion_error(7, e))?;
                descriptors.push(CredentialDescriptorRecord { credential_id, transports });
            }
        }
        Ok(found)
    }

    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<SignInOutcome> {
        self.write_or_rollback(Durability::Durable, |tx| {
            if !consume(tx, &update.challenge, update.now)? {
                return Ok(Finish::Rollback(SignInOutcome::ChallengeUsed));
            }
            let changed = tx
                .prepare_cached(
                    "UPDATE kavach_passkey_credentials SET counter = ?3, backup_state = ?4, last_used_at = ?5 \
                     WHERE credential_id = ?1 AND counter = ?2",
                )?
                .execute(params![
                    update.credential_id,
                    update.expected_counter,
                    update.new_counter,
                    update.backup_state,
                    update.now
                ])?;
            if changed == 0 {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM kavach_passkey_credentials WHERE credential_id = ?1")?
                    .exists(params![update.credential_id])?;
                let outcome = if exists { SignInOutcome::CounterChanged } else { SignInOutcome::CredentialGone };
                return Ok(Finish::Rollback(outcome));
            }
            insert_session(tx, update.session, update.now)?;
            Ok(Finish::Commit(SignInOutcome::SignedIn))
        })
    }

    fn rename_credential(&self, user_id: &str, credential_id: &[u8], name: &str) -> Result<Option<CredentialRecord>> {
        self.write(Durability::Durable, |tx| {
            Ok(tx
                .prepare_cached(&format!(
                    "UPDATE kavach_passkey_credentials SET name = ?3 WHERE user_id = ?1 AND credential_id = ?2 \
                     RETURNING {CREDENTIAL_COLS}"
                ))?
                .query_row(params![user_id, credential_id, name], credential_from_row)
                .optional()?)
        })
    }

    fn delete_credential(&self, user_id: &str, credential_id: &[u8], allow_last: bool) -> Result<DeleteOutcome> {
        // One IMMEDIATE transaction: the count cannot change between the check and the delete,
        // in this process or any other.
        self.write(Durability::Durable, |tx| {
            let exists = tx
                .prepare_cached("SELECT 1 FROM kavach_passkey_credentials WHERE user_id = ?1 AND credential_id = ?2")?
                .exists(params![user_id, credential_id])?;
            if !exists {
                return Ok(DeleteOutcome::NotFound);
            }
            let count: i64 = tx
                .prepare_cached("SELECT count(*) FROM kavach_passkey_credentials WHERE user_id = ?1")?
                .query_row(params![user_id], |row| row.get(0))?;
            if count <= 1 && !allow_last {
                return Ok(DeleteOutcome::LastCredential);
            }
            tx.prepare_cached("DELETE FROM kavach_passkey_credentials WHERE user_id = ?1 AND credential_id = ?2")?
                .execute(params![user_id, credential_id])?;
            Ok(DeleteOutcome::Deleted)
        })
    }

    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64> {
        self.write(Durability::Relaxed, |tx| Ok(sweep(tx, now, limit)?))
    }

    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>> {
        self.write(Durability::Durable, |tx| {
            tx.prepare_cached(
                "INSERT INTO kavach_keys (purpose, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![purpose, &candidate[..], unix_millis()])?;
            Ok(tx
                .prepare_cached("SELECT key FROM kavach_keys WHERE purpose = ?1")?
                .query_row(params![purpose], |row| row.get(0))?)
        })
    }
}

/// Inserts a session and sweeps a few expired ones (by the session's own creation time).
fn insert_session(conn: &Connection, session: &SessionRecord, now: i64) -> Result<()> {
    sweep_sessions(conn, now, SWEEP_PER_INSERT)?;
    conn.prepare_cached(
        "INSERT INTO kavach_sessions (id, token_hash, user_id, created_at, expires_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        session.id,
        &session.token_hash[..],
        session.user_id,
        session.created_at,
        session.expires_at,
        session.last_seen_at
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::store::tests::{Fixture, credential, store_behaviour_tests, user};

    /// A unique directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "kavach-store-test-{}-{}-{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn db(&self) -> String {
            self.0.join("kavach.db").to_str().unwrap().to_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn memory() -> SqliteStore {
        SqliteStore::open(":memory:").unwrap()
    }

    fn count(store: &SqliteStore, table: &str) -> i64 {
        store.writer.lock().conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).unwrap()
    }

    /// A fresh database file per test.
    struct SqliteFixture {
        dir: TempDir,
        store: SqliteStore,
    }

    impl SqliteFixture {
        fn new() -> Option<Self> {
            let dir = TempDir::new();
            let store = SqliteStore::open(&dir.db()).unwrap();
            Some(Self { dir, store })
        }
    }

    impl Fixture for SqliteFixture {
        fn store(&self) -> &dyn Store {
            &self.store
        }

        fn another(&self) -> Box<dyn Store> {
            Box::new(SqliteStore::open(&self.dir.db()).unwrap())
        }

        fn count(&self, table: &str) -> i64 {
            count(&self.store, table)
        }

        fn execute(&self, sql: &str) {
            self.store.writer.lock().conn.execute_batch(sql).unwrap();
        }
    }

    store_behaviour_tests!(SqliteFixture::new());

    #[test]
    fn store_is_send_and_sync() {
        fn assert_store<T: Store + Send + Sync + 'static>() {}
        assert_store::<SqliteStore>();
    }

    #[test]
    fn url_forms_are_accepted() {
        let dir = TempDir::new();
        let path = dir.db();
        for url in [format!("file:{path}"), format!("sqlite:{path}"), format!("sqlite://{path}"), path.clone()] {
            let store = SqliteStore::open(&url).unwrap();
            let id = format!("u{}", url.len());
            store.insert_user(&user(&id, &format!("{}@example.com", url.len()))).unwrap();
        }
        // All forms named the same file.
        assert_eq!(count(&SqliteStore::open(&path).unwrap(), "kavach_users"), 4);
        assert_eq!(count(&memory(), "kavach_users"), 0);
        assert_eq!(SqliteStore::open("sqlite::memory:").unwrap().readers.len(), 0);
    }

    #[test]
    fn unopenable_path_is_invalid_config() {
        let dir = TempDir::new();
        let missing = dir.0.join("no-such-dir").join("kavach.db");
        let err = SqliteStore::open(missing.to_str().unwrap()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().starts_with("database: cannot open"), "{}", err.message());

        // A directory is not a database file either.
        let err = SqliteStore::open(dir.0.to_str().unwrap()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);

        assert_eq!(SqliteStore::open("").unwrap_err().code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn file_that_is_not_a_database_is_invalid_config() {
        let dir = TempDir::new();
        let path = dir.db();
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn file_database_uses_wal_and_pragmas() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.db()).unwrap();
        let guard = store.writer.lock();
        let conn = &guard.conn;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "FULL");
    }

    #[test]
    fn each_write_commits_with_its_durability() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.db()).unwrap();
        let synchronous =
            || -> i64 { store.writer.lock().conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap() };
        let burn = ChallengeUse { nonce: &[1; 16], keep_until: 10_000 };
        store.use_challenge(&burn, 0).unwrap();
        assert_eq!(synchronous(), 1, "burning a failed ceremony's challenge commits without fsync (NORMAL)");
        store.insert_user(&super::super::tests::user("u1", "a@example.com")).unwrap();
        assert_eq!(synchronous(), 2, "a user commits with fsync (FULL)");
        store.sweep_expired(1_000, 10).unwrap();
        assert_eq!(synchronous(), 1);
        store.delete_session("s").unwrap();
        assert_eq!(synchronous(), 2, "revoking a session is durable");
    }

    #[test]
    fn readers_are_query_only() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.db()).unwrap();
        assert_eq!(store.readers.len(), READERS);
        let reader = store.reader();
        assert!(reader.execute("DELETE FROM kavach_users", []).is_err(), "readers are query-only");
    }

    #[test]
    fn concurrent_opens_migrate_once() {
        let dir = TempDir::new();
        let path = dir.db();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| SqliteStore::open(&path).map(|_| ()))).collect();
            for handle in handles {
                handle.join().unwrap().unwrap();
            }
        });
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(count(&store, "kavach_schema_version"), MIGRATIONS.len() as i64);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = TempDir::new();
        let path = dir.db();
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .writer
                .lock()
                .conn
                .execute("INSERT INTO kavach_schema_version (version, applied_at) VALUES (999, 0)", [])
                .unwrap();
        }
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("newer"), "{}", err.message());
    }

    #[test]
    fn corrupt_aaguid_is_internal() {
        let store = memory();
        store.insert_user(&user("u1", "a@example.com")).unwrap();
        store.insert_credential(&credential(b"c", "u1", 1), None, 0).unwrap();
        {
            let guard = store.writer.lock();
            let conn = &guard.conn;
            conn.execute_batch("PRAGMA ignore_check_constraints = ON").unwrap();
            conn.execute("UPDATE kavach_passkey_credentials SET aaguid = x'0102'", []).unwrap();
        }
        assert_eq!(store.credential_by_id(b"c").unwrap_err().code(), ErrorCode::Internal);
    }
}
