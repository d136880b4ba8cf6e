//! The PostgreSQL [`Store`]: the multi-instance engine. The same trait, the same guarantees and the
//! same versioned migrations as SQLite, expressed with PostgreSQL's own types and locks.
//!
//! - **Connections**: a small pool of its own (a mutex and a condition variable, bounded wait) of
//!   rust-postgres (`tokio-postgres`) connections, opened lazily up to `poolSize`. Each connection
//!   owns a single-threaded runtime that only runs while a call is blocked on it — the same model
//!   as the synchronous `postgres` crate, so the API stays blocking and no runtime is visible —
//!   which lets every call carry a client-side deadline. A connection that breaks (server
//!   restarted, network gone, a call timed out) is dropped, not returned; the next request opens a
//!   new one. Do not call the store from inside an async runtime's worker thread (use a blocking
//!   task), as with the `postgres` crate.
//! - **Units of work**: every trait method that writes more than one statement, or one that must
//!   not run twice, is one transaction (`BEGIN` … `COMMIT`) on one connection. If `BEGIN` itself
//!   fails because the pooled connection died while idle (the usual state after a database
//!   restart), nothing has run yet, so the unit is retried on a fresh connection. Reads and
//!   idempotent single-statement updates run as one autocommit statement (one round trip) and are
//!   simply repeated on a fresh connection if the first was dead. Once the server is back,
//!   callers see no error at all.
//! - **Timeouts**: connecting (TCP, start-up and authentication) is bounded by `connect_timeout`
//!   (default 5 s); every round trip by [`CALL_TIMEOUT`] on the client, and on the server by
//!   `statement_timeout` (10 s) and `lock_timeout` (5 s) unless the URL's `options` set them. So a
//!   down, hung or unreachable database fails a request within seconds, as `INTERNAL` answered
//!   with 503 ("database unavailable"), and a bad one at start-up as `INVALID_CONFIG`.
//! - **Migrations**: one transaction holding `pg_advisory_xact_lock`, so instances starting at
//!   once serialize and the later ones find nothing to do.
//! - **Concurrency** (READ COMMITTED): single-use challenges by `DELETE … RETURNING` (a concurrent
//!   delete of the same row waits, then finds it gone); the counter by a compare-and-set `UPDATE …
//!   WHERE counter = $expected` (re-evaluated on the newest row version after a concurrent
//!   update); the last-passkey rule by locking the user's row (`FOR NO KEY UPDATE`) before
//!   counting, so two deletes for one user run one after the other; the sweep with `FOR UPDATE SKIP
//!   LOCKED` so instances sweeping at once never wait on each other.
//! - **Types**: times are `timestamptz` (microsecond precision, so the trait's milliseconds
//!   round-trip exactly), binary values `bytea`, the counter `bigint` checked to the u32 range,
//!   transports `text[]`.
//! - **TLS**: not yet (`NoTls`): use a loopback, private or otherwise trusted network.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use super::{
    ChallengeUse, CredentialDescriptorRecord, CredentialRecord, DeleteOutcome, InsertOutcome, SessionRecord,
    SignInOutcome, SignInUpdate, Store, UserRecord,
};
use crate::error::{Error, ErrorCode, Result};

type PgError = tokio_postgres::Error;

/// How long a request waits for a free pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// Default for connecting: TCP connect, start-up, authentication and session settings, in all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Client-side deadline for one round trip (a statement, `BEGIN`, `COMMIT`): longer than the
/// server-side `statement_timeout`, so it only fires when the server does not answer at all.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Session settings applied to each new connection unless the URL's `options` set them.
const SESSION_SETTINGS: &[(&str, &str)] =
    &[("statement_timeout", "10s"), ("lock_timeout", "5s"), ("idle_in_transaction_session_timeout", "60s")];
/// At most this many expired rows (consumed challenges; sessions) are removed per insert of one.
const SWEEP_PER_INSERT: i64 = 16;
/// `touch_session` skips the write unless the stored `last_seen_at` is older than this.
const TOUCH_INTERVAL_MS: i64 = 60_000;
/// `pg_advisory_xact_lock` key for migrations ("kavach" in ASCII, then 1).
const MIGRATION_LOCK: i64 = 0x6b61_7661_6368_0001;

/// Schema migrations, in order; the same versions as the SQLite store's. Migration `i` (0-based)
/// brings the schema to version `i + 1`. Never edit or reorder an entry that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema (DESIGN §5).
    r#"
    CREATE TABLE kavach_users (
        id                text        PRIMARY KEY,
        email             text        NOT NULL,
        -- trim + Unicode lowercase of email, computed by kavach so that every engine agrees.
        email_key         text        NOT NULL CONSTRAINT kavach_users_email_key_unique UNIQUE,
        name              text,
        webauthn_user_id  bytea       NOT NULL UNIQUE,
        has_other_sign_in boolean     NOT NULL DEFAULT false,
        created_at        timestamptz NOT NULL
    );

    CREATE TABLE kavach_sessions (
        id           text        PRIMARY KEY,
        token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        user_id      text        NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
        created_at   timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
    );
    CREATE INDEX kavach_sessions_expires_at ON kavach_sessions(expires_at);
    CREATE INDEX kavach_sessions_user_id ON kavach_sessions(user_id);

    CREATE TABLE kavach_passkey_credentials (
        credential_id      bytea       CONSTRAINT kavach_passkey_credentials_pkey PRIMARY KEY,
        user_id            text        NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
        name               text        NOT NULL,
        public_key         bytea       NOT NULL,
        algorithm          bigint      NOT NULL,
        counter            bigint      NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
        aaguid             bytea       NOT NULL CHECK (length(aaguid) = 16),
        backup_eligible    boolean     NOT NULL,
        backup_state       boolean     NOT NULL,
        transports         text[]      NOT NULL DEFAULT '{}',
        attestation_format text        NOT NULL,
        attestation_trust  text        NOT NULL,
        created_at         timestamptz NOT NULL,
        last_used_at       timestamptz,
        -- Insertion order, to list credentials created in the same millisecond newest first.
        seq                bigint      GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX kavach_passkey_credentials_user_id ON kavach_passkey_credentials(user_id);

    CREATE TABLE kavach_passkey_challenges (
        challenge  text        PRIMARY KEY,
        kind       text        NOT NULL CHECK (kind IN ('registration', 'authentication')),
        user_id    text,
        state      text        NOT NULL,
        expires_at timestamptz NOT NULL
    );
    CREATE INDEX kavach_passkey_challenges_expires_at ON kavach_passkey_challenges(expires_at);
    "#,
    // 2: attestation trust anchor (issue #7): the name of the root a verified attestation chain
    // reached; NULL for none/self/unverified and for credentials registered before version 2.
    r#"
    ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_root text;
    "#,
    // 3: stateless challenges (issue #14): single use by a consumed-nonce table (logged: a crash
    // must not forget which challenges were used); instance keys; attestation facts. The
    // challenge table of versions 1-2 is no longer written; it stays for a rolling deploy.
    r#"
    CREATE TABLE kavach_consumed_challenges (
        nonce      bytea       PRIMARY KEY CHECK (length(nonce) = 16),
        keep_until timestamptz NOT NULL
    );
    CREATE INDEX kavach_consumed_challenges_keep_until ON kavach_consumed_challenges(keep_until);

    CREATE TABLE kavach_keys (
        purpose    text        PRIMARY KEY,
        key        bytea       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );

    ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_source text;
    ALTER TABLE kavach_passkey_credentials ADD COLUMN aaguid_attested boolean NOT NULL DEFAULT false;
    "#,
];

/// PostgreSQL implementation of [`Store`].
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("PostgresStore")
            .field("target", &self.pool.target)
            .field("pool_size", &self.pool.max)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects, runs pending migrations and returns a store whose pool holds at most `pool_size`
    /// connections.
    ///
    /// `url` is a `postgres://` / `postgresql://` URL or a libpq `key=value` string. TLS is not
    /// supported yet. An unreachable server, a wrong password, a missing database or a failed
    /// migration is `INVALID_CONFIG`, naming host, port, database and user, never the password.
    pub fn open(url: &str, pool_size: u32) -> Result<PostgresStore> {
        let mut config: Config = url.trim().parse().map_err(|e: PgError| {
            Error::config(format!("database: the PostgreSQL URL is not valid: {}", describe(&e)))
        })?;
        if config.get_hosts().is_empty() {
            return Err(Error::config("database: the PostgreSQL URL names no host"));
        }
        let connect_limit = config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
        config.connect_timeout(connect_limit);
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(20));
        }
        config.keepalives(true);
        if config.get_application_name().is_none() {
            config.application_name("kavach");
        }
        let target = describe_target(&config);
        let options = config.get_options().unwrap_or_default().to_owned();
        let mut setup = String::new();
        for (name, value) in SESSION_SETTINGS {
            if !options.contains(name) {
                let _ = write!(setup, "SET {name} = '{value}';");
            }
        }
        let pool = Pool {
            config,
            connect_limit,
            setup,
            target,
            max: pool_size.max(1) as usize,
            wait: POOL_WAIT,
            state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
            returned: Condvar::new(),
        };
        let mut conn = pool.connect().map_err(|e| {
            Error::config(format!("database: cannot connect to PostgreSQL at {}: {}", pool.target, e.describe()))
        })?;
        migrate(conn.as_mut())
            .map_err(|e| Error::config(format!("database: cannot migrate PostgreSQL at {}: {e}", pool.target)))?;
        drop(conn);
        Ok(PostgresStore { pool })
    }

    /// Runs `f` as one transaction on a pooled connection: commits (durably: the server's
    /// `synchronous_commit`, normally `on`) if it returns `Ok`, rolls back otherwise.
    fn unit<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction(BEGIN, f)
    }

    /// [`PostgresStore::unit`] with an asynchronous commit (`synchronous_commit = off` for this
    /// transaction only): no wait for the WAL flush. A server crash may lose the last such
    /// commits, never corrupt anything: for challenges and sweeps, whose loss costs a retry
    /// (the same split as the SQLite store's `Durability`).
    fn relaxed_unit<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction(BEGIN_RELAXED, f)
    }

    fn transaction<T>(&self, begin: &'static str, f: impl FnOnce(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction_or_rollback(begin, |tx| f(tx).map(Finish::Commit))
    }

    /// A transaction that may find a reason not to happen: `Rollback(value)` undoes whatever it
    /// wrote before it found it, and returns `value`.
    fn transaction_or_rollback<T>(
        &self,
        begin: &'static str,
        f: impl FnOnce(&mut Tx<'_>) -> Result<Finish<T>, Fail>,
    ) -> Result<T> {
        let mut conn = self.begin(begin)?;
        let out = match f(&mut conn.as_mut().tx()) {
            Ok(Finish::Commit(value)) => conn.as_mut().simple("COMMIT").map(|()| value),
            Ok(Finish::Rollback(value)) => conn.as_mut().simple("ROLLBACK").map(|()| value),
            Err(fail) => {
                let _ = conn.as_mut().simple("ROLLBACK");
                Err(fail)
            }
        };
        out.map_err(|fail| conn.failed(fail))
    }

    /// Runs `f`, which must be a single statement that is safe to repeat (a read, or an
    /// idempotent update), without an explicit transaction: one round trip instead of three. If
    /// the connection turns out to be dead, `f` is repeated on a fresh one.
    fn single<T>(&self, f: impl Fn(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        let mut attempts = 0;
        loop {
            let mut conn = self.pool.get()?;
            match f(&mut conn.as_mut().tx()) {
                Ok(value) => return Ok(value),
                Err(fail) if attempts < 2 && fail.connection_lost() => {
                    attempts += 1;
                    conn.as_mut().broken = true;
                    drop(conn);
                    self.pool.discard_idle();
                }
                Err(fail) => return Err(conn.failed(fail)),
            }
        }
    }

    /// A pooled connection with a transaction open. A connection that turns out to be dead at
    /// `BEGIN` has run nothing, so it is discarded (with the other idle ones, which a restart has
    /// most likely killed too) and a fresh one is tried.
    fn begin(&self, begin: &'static str) -> Result<Checkout<'_>> {
        let mut attempts = 0;
        loop {
            let mut conn = self.pool.get()?;
            match conn.as_mut().simple(begin) {
                Ok(()) => return Ok(conn),
                Err(fail) if attempts < 2 && fail.connection_lost() => {
                    attempts += 1;
                    conn.as_mut().broken = true;
                    drop(conn);
                    self.pool.discard_idle();
                }
                Err(fail) => return Err(conn.failed(fail)),
            }
        }
    }

    /// Sets how long a request waits for a free connection (tests shorten it).
    #[cfg(test)]
    pub(crate) fn set_pool_wait(&mut self, wait: Duration) {
        self.pool.wait = wait;
    }
}

/// How a [`PostgresStore::transaction_or_rollback`] unit ends.
enum Finish<T> {
    Commit(T),
    Rollback(T),
}

// ---------------------------------------------------------------------------------------------
// The pool

struct Pool {
    config: Config,
    connect_limit: Duration,
    /// `SET ...;` statements run on every new connection.
    setup: String,
    /// host:port/database (user), for messages.
    target: String,
    max: usize,
    wait: Duration,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<PooledConn>,
    /// Connections in existence or being opened: idle + checked out + connecting.
    open: usize,
}

/// One connection: its runtime (which runs the connection's I/O task whenever a call blocks on
/// it), the client, and its prepared statements by SQL text.
struct PooledConn {
    runtime: ConnRuntime,
    client: Client,
    statements: HashMap<&'static str, Statement>,
    in_transaction: bool,
    broken: bool,
}

/// A connection's runtime. Shut down without blocking when dropped, which is allowed from inside
/// an async context too (a plain drop is not).
struct ConnRuntime(Option<Runtime>);

impl std::ops::Deref for ConnRuntime {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        self.0.as_ref().expect("runtime present until drop")
    }
}

impl Drop for ConnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A connection checked out of the pool; returned on drop unless it broke.
struct Checkout<'a> {
    pool: &'a Pool,
    conn: Option<PooledConn>,
}

impl Pool {
    /// Opens a new connection (not counted: callers account for it), all within `connect_limit`.
    fn open_connection(&self) -> Result<PooledConn, Fail> {
        let runtime = ConnRuntime(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Fail::Kavach(Error::internal(format_args!("postgres: cannot start a runtime: {e}"))))?,
        ));
        let connect = async {
            let (client, connection) = self.config.connect(NoTls).await?;
            // Runs whenever this connection's runtime is blocked on (every call is).
            tokio::spawn(connection);
            if !self.setup.is_empty() {
                client.batch_execute(&self.setup).await?;
            }
            Ok::<_, PgError>(client)
        };
        // The timer is created inside the runtime (it needs the runtime's clock).
        let connected = block_on(&runtime, async { tokio::time::timeout(self.connect_limit, connect).await });
        let client = match connected {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(Fail::Pg(e)),
            Err(_) => return Err(Fail::Timeout(self.connect_limit)),
        };
        Ok(PooledConn { runtime, client, statements: HashMap::new(), in_transaction: false, broken: false })
    }

    /// A new counted connection (used at start-up).
    fn connect(&self) -> Result<Checkout<'_>, Fail> {
        self.state.lock().open += 1;
        match self.open_connection() {
            Ok(conn) => Ok(Checkout { pool: self, conn: Some(conn) }),
            Err(e) => {
                self.release_slot();
                Err(e)
            }
        }
    }

    /// An idle connection, a new one if fewer than `max` exist, or the next one returned, waiting
    /// at most `wait`.
    fn get(&self) -> Result<Checkout<'_>> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.state.lock();
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Checkout { pool: self, conn: Some(conn) });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.open_connection() {
                    Ok(conn) => Ok(Checkout { pool: self, conn: Some(conn) }),
                    Err(e) => {
                        self.release_slot();
                        Err(unavailable(format_args!("postgres: cannot connect to {}: {}", self.target, e.describe())))
                    }
                };
            }
            if self.returned.wait_until(&mut state, deadline).timed_out() {
                return Err(unavailable(format_args!(
                    "postgres: no free connection in the pool of {} after {:?}",
                    self.max, self.wait
                )));
            }
        }
    }

    fn release_slot(&self) {
        self.state.lock().open -= 1;
        self.returned.notify_one();
    }

    /// Drops every idle connection (after one was found dead: the others likely are too).
    fn discard_idle(&self) {
        let idle = {
            let mut state = self.state.lock();
            state.open -= state.idle.len();
            std::mem::take(&mut state.idle)
        };
        drop(idle);
        self.returned.notify_all();
    }
}

impl PooledConn {
    /// Blocks on one round trip, at most [`CALL_TIMEOUT`].
    fn call<T: Send>(&self, future: impl Future<Output = Result<T, PgError>> + Send) -> Result<T, Fail> {
        match block_on(&self.runtime, async { tokio::time::timeout(CALL_TIMEOUT, future).await }) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(Fail::Pg(e)),
            Err(_) => Err(Fail::Timeout(CALL_TIMEOUT)),
        }
    }

    /// `BEGIN`, `COMMIT` or `ROLLBACK`, tracking whether a transaction is open.
    fn simple(&mut self, sql: &'static str) -> Result<(), Fail> {
        self.call(self.client.batch_execute(sql))?;
        self.in_transaction = sql.starts_with("BEGIN");
        Ok(())
    }

    fn tx(&mut self) -> Tx<'_> {
        Tx { conn: self }
    }
}

/// Runs `future` to completion on a connection's runtime. Called from a thread that is itself
/// inside an async runtime (a host calling kavach from an async handler), where blocking on
/// another runtime is not allowed, it runs on a short-lived helper thread instead.
fn block_on<F>(runtime: &Runtime, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(future);
    }
    std::thread::scope(|scope| match scope.spawn(|| runtime.block_on(future)).join() {
        Ok(output) => output,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl Checkout<'_> {
    fn as_mut(&mut self) -> &mut PooledConn {
        self.conn.as_mut().expect("connection present until drop")
    }

    /// The error to return for a failure; a connection-level one marks the connection broken.
    fn failed(&mut self, fail: Fail) -> Error {
        if fail.connection_lost() || self.as_mut().client.is_closed() {
            self.as_mut().broken = true;
            unavailable(format_args!("postgres: {}", fail.describe()))
        } else {
            match fail {
                Fail::Kavach(err) => err,
                other => Error::internal(format_args!("postgres: {}", other.describe())),
            }
        }
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (a failed ROLLBACK, a panic) is not reused.
        if conn.broken || conn.in_transaction || conn.client.is_closed() {
            drop(conn);
            self.pool.release_slot();
        } else {
            self.pool.state.lock().idle.push(conn);
            self.pool.returned.notify_one();
        }
    }
}

/// `INTERNAL`, answered with 503: the database cannot be reached (or is overloaded). Details go to
/// the log.
fn unavailable(detail: impl std::fmt::Display) -> Error {
    crate::log::internal_error(&detail.to_string());
    Error::new(ErrorCode::Internal, "database unavailable").with_status(503)
}

/// The error's kind and its cause (the driver's `Display` shows the kind only). Never contains the
/// password: the driver does not put it in errors.
fn describe(e: &PgError) -> String {
    let mut text = e.to_string();
    if let Some(db) = e.as_db_error() {
        let _ = write!(text, ": {}: {}", db.severity(), db.message());
        return text;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

fn describe_target(config: &Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or_else(|| ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}/.s.PGSQL.{port}", path.display()),
            }
        })
        .collect();
    let mut target = hosts.join(",");
    if let Some(db) = config.get_dbname() {
        let _ = write!(target, "/{db}");
    }
    if let Some(user) = config.get_user() {
        let _ = write!(target, " (user {user})");
    }
    target
}

// ---------------------------------------------------------------------------------------------
// Migrations

fn migrate(conn: &mut PooledConn) -> std::result::Result<(), String> {
    let latest = MIGRATIONS.len() as i32;
    conn.simple("BEGIN").map_err(|e| e.describe())?;
    let mut tx = conn.tx();
    let mut run = || -> std::result::Result<(), Fail> {
        // Serializes instances starting at once; released at commit or rollback.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch(
            "CREATE TABLE IF NOT EXISTS kavach_schema_version (
                 version    integer     PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )?;
        let rows = tx.query("SELECT coalesce(max(version), 0) FROM kavach_schema_version", &[])?;
        let current: i32 = rows.first().map(|row| get(row, 0)).transpose()?.unwrap_or(0);
        if current > latest {
            return Err(Fail::Kavach(Error::config(format!(
                "schema version {current} is newer than this build supports ({latest}); upgrade kavach"
            ))));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = index as i32 + 1;
            tx.batch(sql)?;
            tx.execute("INSERT INTO kavach_schema_version (version) VALUES ($1)", &[&version])?;
        }
        Ok(())
    };
    let outcome = run();
    match outcome {
        Ok(()) => conn.simple("COMMIT").map_err(|e| e.describe()),
        Err(fail) => {
            let _ = conn.simple("ROLLBACK");
            Err(match fail {
                Fail::Kavach(err) => err.message().to_owned(),
                other => other.describe(),
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Statements

/// Why a call failed: a kavach error to return as is, a driver error, or no answer in time.
enum Fail {
    Kavach(Error),
    Pg(PgError),
    Timeout(Duration),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Kavach(e)
    }
}

impl Fail {
    fn describe(&self) -> String {
        match self {
            Fail::Kavach(err) => err.to_string(),
            Fail::Pg(e) => describe(e),
            Fail::Timeout(limit) => format!("no answer from the server within {limit:?}"),
        }
    }

    /// Whether the connection is gone or in an unknown state (as opposed to one statement failing
    /// on a healthy connection), so it must not be reused.
    fn connection_lost(&self) -> bool {
        let e = match self {
            Fail::Kavach(_) => return false,
            Fail::Timeout(_) => return true,
            Fail::Pg(e) => e,
        };
        if e.is_closed() {
            return true;
        }
        match e.as_db_error() {
            Some(db) => {
                matches!(db.severity(), "FATAL" | "PANIC")
                    || db.code().code().starts_with("08")
                    || [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW]
                        .contains(db.code())
            }
            // Not from the server: I/O or protocol errors leave the connection unusable. The
            // driver tells its error kinds apart only by their text; these are the
            // statement-level ones (a value that does not convert, a wrong row count).
            None => {
                let kind = e.to_string();
                !["error serializing", "error deserializing", "invalid column", "query returned", "expected "]
                    .iter()
                    .any(|prefix| kind.starts_with(prefix))
            }
        }
    }

    /// The unique constraint a unique violation broke, if this is one.
    fn unique_violation(&self) -> Option<&str> {
        let Fail::Pg(e) = self else { return None };
        let db = e.as_db_error()?;
        (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or_default())
    }
}

/// A transaction in progress on one connection.
struct Tx<'a> {
    conn: &'a mut PooledConn,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, Fail> {
        if let Some(statement) = self.conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.conn.call(self.conn.client.prepare(sql))?;
        self.conn.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, Fail> {
        let statement = self.statement(sql)?;
        self.conn.call(self.conn.client.query(&statement, params))
    }

    fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>, Fail> {
        let statement = self.statement(sql)?;
        self.conn.call(self.conn.client.query_opt(&statement, params))
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64, Fail> {
        let statement = self.statement(sql)?;
        self.conn.call(self.conn.client.execute(&statement, params))
    }

    fn batch(&mut self, sql: &str) -> Result<(), Fail> {
        self.conn.call(self.conn.client.batch_execute(sql))
    }
}

/// Unix milliseconds to `timestamptz` (microsecond precision: milliseconds round-trip exactly).
fn ts(ms: i64) -> Result<OffsetDateTime, Fail> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| Fail::Kavach(Error::internal(format_args!("postgres: time {ms} ms is out of range"))))
}

fn ms(t: OffsetDateTime) -> i64 {
    t.unix_timestamp_nanos().div_euclid(1_000_000) as i64
}

fn bad_row(what: impl std::fmt::Display) -> Fail {
    Fail::Kavach(Error::internal(format_args!("postgres: bad row: {what}")))
}

fn get<'r, T: FromSql<'r>>(row: &'r Row, index: usize) -> Result<T, Fail> {
    row.try_get(index).map_err(|e| bad_row(format_args!("column {index}: {}", describe(&e))))
}

fn user_from_row(row: &Row, at: usize) -> Result<UserRecord, Fail> {
    Ok(UserRecord {
        id: get(row, at)?,
        email: get(row, at + 1)?,
        name: get(row, at + 2)?,
        webauthn_user_id: get(row, at + 3)?,
        has_other_sign_in: get(row, at + 4)?,
        created_at: ms(get(row, at + 5)?),
    })
}

fn session_from_row(row: &Row, at: usize) -> Result<SessionRecord, Fail> {
    let hash: Vec<u8> = get(row, at + 1)?;
    Ok(SessionRecord {
        id: get(row, at)?,
        token_hash: hash.try_into().map_err(|_| bad_row("token_hash is not 32 bytes"))?,
        user_id: get(row, at + 2)?,
        created_at: ms(get(row, at + 3)?),
        expires_at: ms(get(row, at + 4)?),
        last_seen_at: ms(get(row, at + 5)?),
    })
}

fn credential_from_row(row: &Row) -> Result<CredentialRecord, Fail> {
    let counter: i64 = get(row, 5)?;
    let aaguid: Vec<u8> = get(row, 6)?;
    let last_used_at: Option<OffsetDateTime> = get(row, 13)?;
    Ok(CredentialRecord {
        credential_id: get(row, 0)?,
        user_id: get(row, 1)?,
        name: get(row, 2)?,
        public_key: get(row, 3)?,
        algorithm: get(row, 4)?,
        counter: u32::try_from(counter).map_err(|_| bad_row(format_args!("counter {counter} out of range")))?,
        aaguid: aaguid.try_into().map_err(|_| bad_row("aaguid is not 16 bytes"))?,
        backup_eligible: get(row, 7)?,
        backup_state: get(row, 8)?,
        transports: get(row, 9)?,
        attestation_format: get(row, 10)?,
        attestation_trust: get(row, 11)?,
        created_at: ms(get(row, 12)?),
        last_used_at: last_used_at.map(ms),
        attestation_root: get(row, 14)?,
        attestation_source: get(row, 15)?,
        aaguid_attested: get(row, 16)?,
    })
}

/// Deletes at most `limit` expired consumed-challenge records (by the database's clock) and
/// `limit` expired sessions, skipping rows another transaction holds. Bounded, and indexed.
fn sweep(tx: &mut Tx<'_>, now: i64, limit: i64) -> Result<u64, Fail> {
    if limit <= 0 {
        return Ok(0);
    }
    let challenges = tx.execute(
        "DELETE FROM kavach_consumed_challenges WHERE nonce IN \
         (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)",
        &[&limit],
    )?;
    Ok(challenges + sweep_sessions(tx, now, limit)?)
}

fn sweep_sessions(tx: &mut Tx<'_>, now: i64, limit: i64) -> Result<u64, Fail> {
    tx.execute(
        "DELETE FROM kavach_sessions WHERE id IN \
         (SELECT id FROM kavach_sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        &[&ts(now)?, &limit],
    )
}

/// Records the challenge's use, in one round trip with a bounded sweep of expired records; false
/// if it was used already, or if its `keep_until` has passed by the database's clock (instances'
/// clocks may disagree; the database's is the one the sweep goes by).
fn consume(tx: &mut Tx<'_>, challenge: &ChallengeUse<'_>) -> Result<bool, Fail> {
    let inserted = tx.execute(
        "WITH swept AS (DELETE FROM kavach_consumed_challenges WHERE nonce IN \
             (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= now() LIMIT $3 \
              FOR UPDATE SKIP LOCKED)) \
         INSERT INTO kavach_consumed_challenges (nonce, keep_until) SELECT $1, $2 WHERE $2 > now() \
         ON CONFLICT DO NOTHING",
        &[&&challenge.nonce[..], &ts(challenge.keep_until)?, &SWEEP_PER_INSERT],
    )?;
    Ok(inserted == 1)
}

/// Inserts a session and sweeps a few expired ones (by the session's own creation time), in one
/// round trip.
fn insert_session(tx: &mut Tx<'_>, session: &SessionRecord) -> Result<(), Fail> {
    tx.execute(
        "WITH swept AS (DELETE FROM kavach_sessions WHERE id IN \
             (SELECT id FROM kavach_sessions WHERE expires_at <= $4 LIMIT $7 FOR UPDATE SKIP LOCKED)) \
         INSERT INTO kavach_sessions (id, token_hash, user_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &session.id,
            &&session.token_hash[..],
            &session.user_id,
            &ts(session.created_at)?,
            &ts(session.expires_at)?,
            &ts(session.last_seen_at)?,
            &SWEEP_PER_INSERT,
        ],
    )?;
    Ok(())
}

/// Opens a transaction (one round trip for both statements of the relaxed form).
const BEGIN: &str = "BEGIN";
const BEGIN_RELAXED: &str = "BEGIN; SET LOCAL synchronous_commit TO off";

/// PostgreSQL text cannot hold U+0000, so no stored key contains it: a lookup by such a key (from
/// hostile input) finds nothing, without asking the server (which would refuse the parameter).
fn storable(key: &str) -> bool {
    !key.contains('\0')
}

impl Store for PostgresStore {
    fn insert_user(&self, user: &UserRecord) -> Result<()> {
        let key = super::email_key(&user.email);
        self.unit(|tx| {
            let inserted = tx.execute(
                "INSERT INTO kavach_users \
                 (id, email, name, webauthn_user_id, has_other_sign_in, created_at, email_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &user.id,
                    &user.email,
                    &user.name,
                    &user.webauthn_user_id,
                    &user.has_other_sign_in,
                    &ts(user.created_at)?,
                    &key,
                ],
            );
            match inserted {
                Ok(_) => Ok(()),
                // A concurrent insert of the same email waits for the first to commit, then
                // fails here: the unique index decides, no check-then-insert race.
                Err(e) if e.unique_violation() == Some("kavach_users_email_key_unique") => {
                    Err(Error::new(ErrorCode::UserExists, "a user with this email already exists").into())
                }
                Err(e) => Err(e),
            }
        })
    }

    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        if !storable(id) {
            return Ok(None);
        }
        self.single(|tx| {
            tx.query_opt(
                "SELECT id, email, name, webauthn_user_id, has_other_sign_in, created_at \
                 FROM kavach_users WHERE id = $1",
                &[&id],
            )?
            .map(|row| user_from_row(&row, 0))
            .transpose()
        })
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let key = super::email_key(email);
        if !storable(&key) {
            return Ok(None);
        }
        self.single(|tx| {
            tx.query_opt(
                "SELECT id, email, name, webauthn_user_id, has_other_sign_in, created_at \
                 FROM kavach_users WHERE email_key = $1",
                &[&key],
            )?
            .map(|row| user_from_row(&row, 0))
            .transpose()
        })
    }

    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool> {
        if !storable(user_id) {
            return Ok(false);
        }
        self.single(|tx| {
            Ok(tx.execute("UPDATE kavach_users SET has_other_sign_in = $2 WHERE id = $1", &[&user_id, &value])? > 0)
        })
    }

    fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        self.unit(|tx| insert_session(tx, session))
    }

    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>> {
        self.single(|tx| {
            let now = ts(now)?;
            tx.query_opt(
                "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at, \
                        u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at \
                 FROM kavach_sessions s JOIN kavach_users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&&token_hash[..], &now],
            )?
            .map(|row| Ok((session_from_row(&row, 0)?, user_from_row(&row, 6)?)))
            .transpose()
        })
    }

    fn touch_session(&self, session_id: &str, now: i64) -> Result<()> {
        let threshold = now.saturating_sub(TOUCH_INTERVAL_MS);
        if !storable(session_id) {
            return Ok(());
        }
        self.single(|tx| {
            // Matches (and locks, and writes) nothing unless the last write is older than a minute;
            // the condition also keeps last_seen_at from moving backwards under concurrency.
            tx.execute(
                "UPDATE kavach_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $3",
                &[&session_id, &ts(now)?, &ts(threshold)?],
            )?;
            Ok(())
        })
    }

    fn delete_session(&self, session_id: &str) -> Result<bool> {
        if !storable(session_id) {
            return Ok(false);
        }
        self.unit(|tx| Ok(tx.execute("DELETE FROM kavach_sessions WHERE id = $1", &[&session_id])? > 0))
    }

    fn use_challenge(&self, challenge: &ChallengeUse<'_>, _now: i64) -> Result<bool> {
        self.relaxed_unit(|tx| consume(tx, challenge))
    }

    fn insert_credential(
        &self,
        credential: &CredentialRecord,
        challenge: Option<&ChallengeUse<'_>>,
        _now: i64,
    ) -> Result<InsertOutcome> {
        self.transaction_or_rollback(BEGIN, |tx| {
            if let Some(challenge) = challenge
                && !consume(tx, challenge)?
            {
                return Ok(Finish::Rollback(InsertOutcome::ChallengeUsed));
            }
            let inserted = tx.execute(
                "INSERT INTO kavach_passkey_credentials (credential_id, user_id, name, public_key, algorithm, \
                 counter, aaguid, backup_eligible, backup_state, transports, attestation_format, attestation_trust, \
                 created_at, last_used_at, attestation_root, attestation_source, aaguid_attested) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                &[
                    &credential.credential_id,
                    &credential.user_id,
                    &credential.name,
                    &credential.public_key,
                    &credential.algorithm,
                    &i64::from(credential.counter),
                    &&credential.aaguid[..],
                    &credential.backup_eligible,
                    &credential.backup_state,
                    &credential.transports,
                    &credential.attestation_format,
                    &credential.attestation_trust,
                    &ts(credential.created_at)?,
                    &credential.last_used_at.map(ts).transpose()?,
                    &credential.attestation_root,
                    &credential.attestation_source,
                    &credential.aaguid_attested,
                ],
            );
            match inserted {
                Ok(_) => Ok(Finish::Commit(InsertOutcome::Inserted)),
                // The primary key is the credential ID, across all users.
                Err(e) if e.unique_violation() == Some("kavach_passkey_credentials_pkey") => {
                    Ok(Finish::Rollback(InsertOutcome::CredentialExists))
                }
                Err(e) => Err(e),
            }
        })
    }

    fn credential_by_id(&self, credential_id: &[u8]) -> Result<Option<CredentialRecord>> {
        self.single(|tx| {
            tx.query_opt(
                "SELECT credential_id, user_id, name, public_key, algorithm, counter, aaguid, backup_eligible, \
                 backup_state, transports, attestation_format, attestation_trust, created_at, last_used_at, \
                 attestation_root, attestation_source, aaguid_attested \
                 FROM kavach_passkey_credentials WHERE credential_id = $1",
                &[&credential_id],
            )?
            .map(|row| credential_from_row(&row))
            .transpose()
        })
    }

    fn credentials_of_user(&self, user_id: &str) -> Result<Vec<CredentialRecord>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        self.single(|tx| {
            tx.query(
                "SELECT credential_id, user_id, name, public_key, algorithm, counter, aaguid, backup_eligible, \
                 backup_state, transports, attestation_format, attestation_trust, created_at, last_used_at, \
                 attestation_root, attestation_source, aaguid_attested \
                 FROM kavach_passkey_credentials WHERE user_id = $1 ORDER BY created_at DESC, seq DESC",
                &[&user_id],
            )?
            .iter()
            .map(credential_from_row)
            .collect()
        })
    }

    fn user_and_descriptors_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, Vec<CredentialDescriptorRecord>)>> {
        let key = super::email_key(email);
        if !storable(&key) {
            return Ok(None);
        }
        self.single(|tx| {
            let rows = tx.query(
                "SELECT u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at, \
                        c.credential_id, c.transports \
                 FROM kavach_users u LEFT JOIN kavach_passkey_credentials c ON c.user_id = u.id \
                 WHERE u.email_key = $1 ORDER BY c.created_at DESC, c.seq DESC",
                &[&key],
            )?;
            let Some(first) = rows.first() else { return Ok(None) };
            let user = user_from_row(first, 0)?;
            let mut descriptors = Vec::with_capacity(rows.len());
            for row in &rows {
                // A user without passkeys is one row with NULL credential columns.
                if let Some(credential_id) = get::<Option<Vec<u8>>>(row, 6)? {
                    let transports: Vec<String> = get(row, 7)?;
                    descriptors.push(CredentialDescriptorRecord { credential_id, transports });
                }
            }
            Ok(Some((user, descriptors)))
        })
    }

    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<SignInOutcome> {
        self.transaction_or_rollback(BEGIN, |tx| {
            // Consumed first: of two concurrent requests with one assertion, the second waits on
            // this nonce's index entry and then inserts nothing.
            if !consume(tx, &update.challenge)? {
                return Ok(Finish::Rollback(SignInOutcome::ChallengeUsed));
            }
            // Compare-and-set: a concurrent sign-in that moved the counter first makes this match
            // nothing (READ COMMITTED re-checks the WHERE on the row version it waited for).
            let changed = tx.execute(
                "UPDATE kavach_passkey_credentials SET counter = $3, backup_state = $4, last_used_at = $5 \
                 WHERE credential_id = $1 AND counter = $2",
                &[
                    &update.credential_id,
                    &i64::from(update.expected_counter),
                    &i64::from(update.new_counter),
                    &update.backup_state,
                    &ts(update.now)?,
                ],
            )?;
            if changed == 0 {
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM kavach_passkey_credentials WHERE credential_id = $1",
                        &[&update.credential_id],
                    )?
                    .is_some();
                let outcome = if exists { SignInOutcome::CounterChanged } else { SignInOutcome::CredentialGone };
                return Ok(Finish::Rollback(outcome));
            }
            insert_session(tx, update.session)?;
            Ok(Finish::Commit(SignInOutcome::SignedIn))
        })
    }

    fn rename_credential(&self, user_id: &str, credential_id: &[u8], name: &str) -> Result<Option<CredentialRecord>> {
        if !storable(user_id) {
            return Ok(None);
        }
        self.unit(|tx| {
            tx.query_opt(
                "UPDATE kavach_passkey_credentials SET name = $3 WHERE user_id = $1 AND credential_id = $2 \
                 RETURNING credential_id, user_id, name, public_key, algorithm, counter, aaguid, backup_eligible, \
                 backup_state, transports, attestation_format, attestation_trust, created_at, last_used_at, attestation_root, \
                 attestation_source, aaguid_attested",
                &[&user_id, &credential_id, &name],
            )?
            .map(|row| credential_from_row(&row))
            .transpose()
        })
    }

    fn delete_credential(&self, user_id: &str, credential_id: &[u8], allow_last: bool) -> Result<DeleteOutcome> {
        if !storable(user_id) {
            return Ok(DeleteOutcome::NotFound);
        }
        self.unit(|tx| {
            // Every delete for this user takes the user's row lock first, so they run one after
            // the other; each statement after it sees the previous delete (READ COMMITTED).
            // NO KEY UPDATE does not block the foreign-key checks of concurrent inserts.
            if tx.query_opt("SELECT 1 FROM kavach_users WHERE id = $1 FOR NO KEY UPDATE", &[&user_id])?.is_none() {
                return Ok(DeleteOutcome::NotFound);
            }
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM kavach_passkey_credentials WHERE user_id = $1 AND credential_id = $2",
                    &[&user_id, &credential_id],
                )?
                .is_some();
            if !exists {
                return Ok(DeleteOutcome::NotFound);
            }
            let count: i64 = tx
                .query("SELECT count(*) FROM kavach_passkey_credentials WHERE user_id = $1", &[&user_id])?
                .first()
                .map(|row| get(row, 0))
                .transpose()?
                .unwrap_or(0);
            if count <= 1 && !allow_last {
                return Ok(DeleteOutcome::LastCredential);
            }
            tx.execute(
                "DELETE FROM kavach_passkey_credentials WHERE user_id = $1 AND credential_id = $2",
                &[&user_id, &credential_id],
            )?;
            Ok(DeleteOutcome::Deleted)
        })
    }

    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64> {
        self.relaxed_unit(|tx| sweep(tx, now, i64::from(limit)))
    }

    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>> {
        if !storable(purpose) {
            return Err(Error::internal("postgres: instance key purpose holds NUL"));
        }
        self.unit(|tx| {
            tx.execute(
                "INSERT INTO kavach_keys (purpose, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&purpose, &&candidate[..]],
            )?;
            let row = tx.query_opt("SELECT key FROM kavach_keys WHERE purpose = $1", &[&purpose])?;
            row.map(|row| get(&row, 0)).transpose()?.ok_or_else(|| bad_row("instance key vanished"))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::store::tests::{Fixture, credential, store_behaviour_tests, user};

    /// The server the PostgreSQL tests use (`scripts/postgres.sh start` prints one); unset, they
    /// are skipped.
    fn server_url() -> Option<String> {
        std::env::var("KAVACH_TEST_POSTGRES_URL").ok().filter(|url| !url.trim().is_empty())
    }

    /// `url` with another database name.
    fn with_database(url: &str, database: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("KAVACH_TEST_POSTGRES_URL must be a postgres:// URL");
        parsed.set_path(&format!("/{database}"));
        parsed.to_string()
    }

    /// One connection outside the store, for looking at and changing tables behind its back.
    struct Raw(PooledConn);

    impl Raw {
        fn connect(url: &str) -> Raw {
            let config: Config = url.parse().unwrap();
            let pool = Pool {
                config,
                connect_limit: CONNECT_TIMEOUT,
                setup: String::new(),
                target: String::new(),
                max: 1,
                wait: POOL_WAIT,
                state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
                returned: Condvar::new(),
            };
            Raw(pool.open_connection().unwrap_or_else(|e| panic!("{}", e.describe())))
        }

        fn batch(&self, sql: &str) {
            self.0.call(self.0.client.batch_execute(sql)).unwrap_or_else(|e| panic!("{sql}: {}", e.describe()));
        }

        fn query(&self, sql: &str) -> Vec<Row> {
            self.0.call(self.0.client.query(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {}", e.describe()))
        }
    }

    /// A fresh database per test on the test server, dropped afterwards.
    struct PgFixture {
        server: String,
        database: String,
        url: String,
        store: Option<PostgresStore>,
        raw: Option<Mutex<Raw>>,
    }

    impl PgFixture {
        fn new() -> Option<Self> {
            let server = server_url()?;
            let database = format!("kavach_test_{}", crate::random::new_uuid().replace('-', ""));
            Raw::connect(&server).batch(&format!("CREATE DATABASE {database}"));
            let url = with_database(&server, &database);
            let store = PostgresStore::open(&url, 8).unwrap();
            let raw = Some(Mutex::new(Raw::connect(&url)));
            Some(Self { server, database, url, store: Some(store), raw })
        }
    }

    impl Drop for PgFixture {
        fn drop(&mut self) {
            self.store = None;
            self.raw = None;
            Raw::connect(&self.server).batch(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database));
        }
    }

    impl Fixture for PgFixture {
        fn store(&self) -> &dyn Store {
            self.store.as_ref().unwrap()
        }

        fn another(&self) -> Box<dyn Store> {
            Box::new(PostgresStore::open(&self.url, 8).unwrap())
        }

        fn count(&self, table: &str) -> i64 {
            let rows = self.raw.as_ref().unwrap().lock().query(&format!("SELECT count(*) FROM {table}"));
            rows[0].get(0)
        }

        fn execute(&self, sql: &str) {
            self.raw.as_ref().unwrap().lock().batch(sql);
        }
    }

    store_behaviour_tests!(PgFixture::new());

    #[test]
    fn store_is_send_and_sync() {
        fn assert_store<T: Store + Send + Sync + 'static>() {}
        assert_store::<PostgresStore>();
    }

    #[test]
    fn bad_urls_are_invalid_config() {
        for url in ["mysql://localhost/db", "postgres://host:notaport/db", "postgres:///db?sslmode=bogus", ""] {
            let err = PostgresStore::open(url, 8).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig, "{url}");
            assert!(err.message().starts_with("database: "), "{url}: {err}");
        }
    }

    #[test]
    fn refused_connection_names_host_and_port_never_the_password() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let started = Instant::now();
        let err = PostgresStore::open(&format!("postgres://kavach:s3cret-pw@127.0.0.1:{port}/app"), 8).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "a refused connection fails at once");
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        let message = err.message();
        assert!(message.contains(&format!("127.0.0.1:{port}/app (user kavach)")), "{message}");
        assert!(!message.contains("s3cret-pw"), "{message}");
    }

    #[test]
    fn a_server_that_never_answers_fails_within_connect_timeout() {
        // Accepts TCP connections (the kernel's backlog does) but never speaks the protocol.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = Instant::now();
        let err = PostgresStore::open(&format!("postgres://kavach:pw@127.0.0.1:{port}/app?connect_timeout=1"), 8)
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("within 1s"), "{}", err.message());
        assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "{took:?}");
        drop(listener);
    }

    #[test]
    fn wrong_password_and_missing_database_are_invalid_config() {
        let Some(server) = server_url() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let mut wrong = url::Url::parse(&server).unwrap();
        wrong.set_password(Some("not-the-password")).unwrap();
        let err = PostgresStore::open(wrong.as_str(), 8).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("password authentication failed"), "{}", err.message());
        assert!(!err.message().contains("not-the-password"), "{}", err.message());

        let err = PostgresStore::open(&with_database(&server, "kavach_no_such_database"), 8).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("does not exist"), "{}", err.message());
    }

    #[test]
    fn schema_uses_postgres_types() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let rows = db.raw.as_ref().unwrap().lock().query(
            "SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns \
             WHERE table_name LIKE 'kavach_%' AND column_name IN \
             ('created_at', 'expires_at', 'keep_until', 'counter', 'aaguid', 'token_hash', 'transports', \
              'has_other_sign_in', 'aaguid_attested') \
             ORDER BY 1",
        );
        let columns: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
        for expected in [
            "kavach_consumed_challenges.keep_until timestamp with time zone",
            "kavach_passkey_credentials.aaguid bytea",
            "kavach_passkey_credentials.aaguid_attested boolean",
            "kavach_passkey_credentials.counter bigint",
            "kavach_passkey_credentials.transports ARRAY",
            "kavach_sessions.token_hash bytea",
            "kavach_users.created_at timestamp with time zone",
            "kavach_users.has_other_sign_in boolean",
        ] {
            assert!(columns.iter().any(|c| c == expected), "{expected} not in {columns:?}");
        }
    }

    #[test]
    fn times_round_trip_to_the_millisecond() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let store = db.store();
        for (i, at) in [0, 1, -1_001, 1_800_000_000_123, 253_402_300_799_999].into_iter().enumerate() {
            let mut u = user(&format!("u{i}"), &format!("{i}@example.com"));
            u.created_at = at;
            store.insert_user(&u).unwrap();
            assert_eq!(store.user_by_id(&u.id).unwrap().unwrap().created_at, at);
        }
        // Beyond what the clock type holds: a clean INTERNAL, not a panic.
        let mut u = user("far", "far@example.com");
        u.created_at = i64::MAX;
        assert_eq!(store.insert_user(&u).unwrap_err().code(), ErrorCode::Internal);
    }

    #[test]
    fn concurrent_opens_migrate_once() {
        let Some(server) = server_url() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let database = format!("kavach_test_{}", crate::random::new_uuid().replace('-', ""));
        Raw::connect(&server).batch(&format!("CREATE DATABASE {database}"));
        let url = with_database(&server, &database);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| PostgresStore::open(&url, 2).map(|_| ()))).collect();
            for handle in handles {
                handle.join().unwrap().unwrap();
            }
        });
        let raw = Raw::connect(&url);
        let versions: i64 = raw.query("SELECT count(*) FROM kavach_schema_version")[0].get(0);
        assert_eq!(versions, MIGRATIONS.len() as i64);
        drop(raw);
        Raw::connect(&server).batch(&format!("DROP DATABASE {database} WITH (FORCE)"));
    }

    #[test]
    fn newer_schema_is_refused() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        db.execute("INSERT INTO kavach_schema_version (version) VALUES (999)");
        let err = PostgresStore::open(&db.url, 8).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("newer"), "{}", err.message());
    }

    #[test]
    fn corrupt_rows_are_internal() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let store = db.store();
        store.insert_user(&user("u1", "a@example.com")).unwrap();
        store.insert_credential(&credential(b"c", "u1", 1), None, 0).unwrap();
        db.execute(
            "ALTER TABLE kavach_passkey_credentials DROP CONSTRAINT kavach_passkey_credentials_aaguid_check; \
             UPDATE kavach_passkey_credentials SET aaguid = '\\x0102'",
        );
        let err = store.credential_by_id(b"c").unwrap_err();
        assert_eq!((err.code(), err.status(), err.message()), (ErrorCode::Internal, 500, "internal error"));
        // The connection is fine after a bad row: the next call works.
        assert!(store.user_by_id("u1").unwrap().is_some());
    }

    #[test]
    fn pool_is_bounded_and_waits_for_a_free_connection() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let mut store = PostgresStore::open(&db.url, 2).unwrap();
        store.set_pool_wait(Duration::from_millis(300));
        let a = store.pool.get().unwrap();
        let b = store.pool.get().unwrap();
        // Both connections out: a third request waits, then fails cleanly as unavailable.
        let started = Instant::now();
        let err = store.user_by_id("u1").unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!((err.code(), err.status(), err.message()), (ErrorCode::Internal, 503, "database unavailable"));
        // One returned meanwhile: a waiting request gets it.
        std::thread::scope(|s| {
            let waiter = s.spawn(|| store.user_by_id("u1"));
            std::thread::sleep(Duration::from_millis(50));
            drop(a);
            assert_eq!(waiter.join().unwrap().unwrap(), None);
        });
        drop(b);
        // Many threads on a pool of 2: all served.
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..10 {
                        store.user_by_id("u1").unwrap();
                    }
                });
            }
        });
        assert!(store.pool.state.lock().open <= 2);
    }

    #[test]
    fn connections_killed_while_idle_are_replaced_transparently() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let store = db.store();
        store.insert_user(&user("u1", "a@example.com")).unwrap();
        // Several idle connections in the pool.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| store.user_by_id("u1").unwrap());
            }
        });
        // What a database restart does to them.
        let killed = db.raw.as_ref().unwrap().lock().query(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{}' AND application_name = 'kavach'",
            db.database
        ));
        assert!(!killed.is_empty());
        // Callers see nothing: BEGIN fails on the dead connection, which had run nothing, and the
        // unit is retried on a fresh one.
        assert!(store.user_by_id("u1").unwrap().is_some());
        store.insert_user(&user("u2", "b@example.com")).unwrap();
        assert!(store.user_by_email("B@example.com").unwrap().is_some());
    }

    #[test]
    fn works_when_called_from_inside_an_async_runtime() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let host_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        host_runtime.block_on(async {
            // Opening (a new connection) and using it, from an async context.
            let store = PostgresStore::open(&db.url, 2).unwrap();
            store.insert_user(&user("u1", "a@example.com")).unwrap();
            assert!(store.user_by_id("u1").unwrap().is_some());
        });
    }

    #[test]
    fn statement_timeout_is_enforced_by_the_server() {
        let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
        let store = PostgresStore::open(&format!("{}?options=-c%20lock_timeout%3D200", db.url), 2).unwrap();
        store.insert_user(&user("u1", "a@example.com")).unwrap();
        store.insert_credential(&credential(b"a", "u1", 1), None, 0).unwrap();
        store.insert_credential(&credential(b"b", "u1", 2), None, 0).unwrap();
        // Another session holds the user's row lock: delete_credential waits at most lock_timeout.
        let raw = db.raw.as_ref().unwrap().lock();
        raw.batch("BEGIN; SELECT 1 FROM kavach_users WHERE id = 'u1' FOR UPDATE");
        let started = Instant::now();
        let err = store.delete_credential("u1", b"a", false).unwrap_err();
        let took = started.elapsed();
        raw.batch("ROLLBACK");
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(took < Duration::from_secs(2), "{took:?}");
        // The connection survived the cancelled statement.
        assert_eq!(store.delete_credential("u1", b"a", false).unwrap(), DeleteOutcome::Deleted);
    }
}
