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

mod migrations;
mod queries;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, ffi};

use super::Finish;
use crate::error::{Error, Result};

/// Reader connections for a file database.
const READERS: usize = 4;
/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);
/// At most this many expired rows (consumed challenges; sessions) are removed per insert of one.
pub(super) const SWEEP_PER_INSERT: u32 = 16;
/// `touch_session` skips the write unless the stored `last_seen_at` is older than this.
const TOUCH_INTERVAL_MS: i64 = 60_000;
/// Prepared-statement cache per connection (there are fewer distinct statements than this).
const STATEMENT_CACHE: usize = 64;

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
pub(crate) struct SqliteStore {
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
    pub(crate) fn open(url: &str) -> Result<SqliteStore> {
        let target = parse_url(url)?;
        let cannot_open = |e: rusqlite::Error| Error::config(format!("database: cannot open {}: {e}", target.display));
        let writer = retry_busy(|| open_connection(&target, false)).map_err(cannot_open)?;
        retry_busy(|| migrations::migrate(&writer))
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
    fn write<T>(&self, durability: Durability, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_or_rollback(durability, |tx| f(tx).map(Finish::Commit))
    }

    /// [`SqliteStore::write`] for a unit that may find a reason not to happen: `Rollback(value)`
    /// undoes whatever it wrote before it found it, and returns `value`.
    fn write_or_rollback<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<Finish<T>>,
    ) -> Result<T> {
        let mut writer = self.writer.lock();
        writer.set_durability(durability)?;
        let mut tx = writer.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match f(&mut tx)? {
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
