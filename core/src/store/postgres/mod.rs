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
//! - **TLS** (rustls): the URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` with libpq's
//!   meanings; without `sslmode`, plaintext only to loopback or a Unix socket and `verify-full`
//!   anywhere else ([`tls`]). A TLS failure at start-up is `INVALID_CONFIG` naming the cause.

mod migrations;
mod pool;
mod queries;
#[cfg(test)]
mod tests;
pub(crate) mod tls;

use std::fmt::Write as _;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tokio_postgres::Config;

use self::pool::{Checkout, Fail, PgError, Pool, PoolState, PooledConn, Tx, describe, describe_target};
use super::Finish;
use crate::error::{Error, Result};

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
/// Opens a transaction (one round trip for both statements of the relaxed form).
const BEGIN: &str = "BEGIN";
const BEGIN_RELAXED: &str = "BEGIN; SET LOCAL synchronous_commit TO off";

/// Parses a PostgreSQL URL (TLS parameters included) into the driver's configuration and the
/// TLS to use with it (the configuration's `sslmode` set to match).
pub(crate) fn connection_config(url: &str) -> Result<(Config, tls::Tls)> {
    let (rest, params) = tls::split(url)?;
    let mut config: Config = rest
        .parse()
        .map_err(|e: PgError| Error::config(format!("database: the PostgreSQL URL is not valid: {}", describe(&e))))?;
    if config.get_hosts().is_empty() {
        return Err(Error::config("database: the PostgreSQL URL names no host"));
    }
    let tls = tls::configure(&params, &mut config)?;
    Ok((config, tls))
}

/// For tools and tests that open their own connections to kavach's database with kavach's TLS
/// rules (the `postgres` and `tokio-postgres` crates): `url` without the TLS parameters the
/// driver does not know, with the `sslmode` it does (`disable`, `prefer` or `require`), and the
/// connector to pass with it (`None`: plaintext, use `NoTls`).
pub fn postgres_tls(url: &str) -> Result<(String, Option<tls::RustlsConnector>)> {
    let (rest, _) = tls::split(url)?;
    let (config, tls) = connection_config(url)?;
    let mode = match config.get_ssl_mode() {
        tokio_postgres::config::SslMode::Disable => "disable",
        tokio_postgres::config::SslMode::Prefer => "prefer",
        _ => "require",
    };
    let separator = if !rest.starts_with("postgres") {
        " "
    } else if rest.contains('?') {
        "&"
    } else {
        "?"
    };
    Ok((format!("{rest}{separator}sslmode={mode}"), tls.connector))
}

/// PostgreSQL implementation of [`Store`].
pub(crate) struct PostgresStore {
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
    /// `url` is a `postgres://` / `postgresql://` URL or a libpq `key=value` string, with
    /// libpq's TLS parameters ([`tls`]). An unreachable server, a wrong password, a missing
    /// database, a TLS failure (untrusted certificate, wrong host name, a server without TLS or
    /// one requiring it) or a failed migration is `INVALID_CONFIG`, naming host, port, database,
    /// user and the cause, never the password.
    pub(crate) fn open(url: &str, pool_size: u32) -> Result<PostgresStore> {
        let (mut config, tls) = connection_config(url)?;
        for warning in &tls.warnings {
            crate::log::warning(warning);
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
            tls: tls.connector.clone(),
            connect_limit,
            setup,
            target,
            max: pool_size.max(1) as usize,
            wait: POOL_WAIT,
            state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
            returned: Condvar::new(),
        };
        let mut conn = pool.connect().map_err(|e| {
            let cause = match &e {
                Fail::Pg(pg) => tls::failure_cause(pg, &tls).map(|cause| format!("{cause} ({})", e.describe())),
                _ => None,
            };
            let cause = cause.unwrap_or_else(|| e.describe());
            Error::config(format!("database: cannot connect to PostgreSQL at {}: {cause}", pool.target))
        })?;
        migrations::migrate(conn.as_mut())
            .map_err(|e| Error::config(format!("database: cannot migrate PostgreSQL at {}: {e}", pool.target)))?;
        drop(conn);
        Ok(PostgresStore { pool })
    }

    /// Runs `f` as one transaction on a pooled connection: commits (durably: the server's
    /// `synchronous_commit`, normally `on`) if it returns `Ok`, rolls back otherwise.
    fn unit<T>(&self, f: impl Fn(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction(BEGIN, f)
    }

    /// [`PostgresStore::unit`] with an asynchronous commit (`synchronous_commit = off` for this
    /// transaction only): no wait for the WAL flush. A server crash may lose the last such
    /// commits, never corrupt anything: for challenges and sweeps, whose loss costs a retry
    /// (the same split as the SQLite store's `Durability`).
    fn relaxed_unit<T>(&self, f: impl Fn(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction(BEGIN_RELAXED, f)
    }

    fn transaction<T>(&self, begin: &'static str, f: impl Fn(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.transaction_or_rollback(begin, |tx| f(tx).map(Finish::Commit))
    }

    /// A transaction that may find a reason not to happen: `Rollback(value)` undoes whatever it
    /// wrote before it found it, and returns `value`.
    ///
    /// Round trips: `BEGIN` travels with the first statement, and a unit that calls
    /// `commit_with_next` (units.rs) before its last statement sends `COMMIT` with that one (see
    /// `pool.rs`, `pipelined`). A connection that turns out to be dead in that first round trip
    /// has run nothing (a transaction cut off before its COMMIT is rolled back by the server),
    /// so it is discarded, with the other idle ones (which a restart has most likely killed
    /// too), and `f` runs again on a fresh one, at most three times in all.
    fn transaction_or_rollback<T>(
        &self,
        begin: &'static str,
        f: impl Fn(&mut Tx<'_>) -> Result<Finish<T>, Fail>,
    ) -> Result<T> {
        let mut attempts = 0;
        loop {
            let mut conn = self.pool.get()?;
            let c = conn.as_mut();
            c.pending_begin = Some(begin);
            c.commit_next = false;
            c.lost_before_anything = false;
            let out = f(&mut c.tx());
            if c.lost_before_anything && out.is_err() && attempts < 2 {
                attempts += 1;
                c.broken = true;
                drop(conn);
                self.pool.discard_idle();
                continue;
            }
            c.commit_next = false;
            if c.pending_begin.take().is_some() {
                // `f` sent nothing: there is no transaction to end.
                return out
                    .map(|(Finish::Commit(value) | Finish::Rollback(value))| value)
                    .map_err(|fail| conn.failed(fail));
            }
            let out = match out {
                // Its COMMIT went with its last statement.
                Ok(Finish::Commit(value)) if !c.in_transaction => Ok(value),
                Ok(Finish::Commit(value)) => c.simple("COMMIT").map(|()| value),
                Ok(Finish::Rollback(value)) if c.in_transaction => c.simple("ROLLBACK").map(|()| value),
                Ok(Finish::Rollback(_)) => {
                    Err(Fail::Kavach(Error::internal("postgres: a unit rolled back after its COMMIT was sent")))
                }
                Err(fail) => {
                    if c.in_transaction {
                        let _ = c.simple("ROLLBACK");
                    }
                    Err(fail)
                }
            };
            return out.map_err(|fail| conn.failed(fail));
        }
    }

    /// Runs `f`, which must be a single statement that is safe to repeat (a read, or an
    /// idempotent update), without an explicit transaction: one round trip instead of three. If
    /// the connection turns out to be dead, `f` is repeated on a fresh one.
    fn single<T>(&self, f: impl Fn(&mut Tx<'_>) -> Result<T, Fail>) -> Result<T> {
        self.on_live_connection(|conn| f(&mut conn.tx())).map(|(_, value)| value)
    }

    /// Runs `attempt` on a pooled connection, up to three times while the connection turns out
    /// to be dead; `attempt` must be safe to repeat (it ran nothing on a dead connection).
    fn on_live_connection<T>(&self, attempt: impl Fn(&mut PooledConn) -> Result<T, Fail>) -> Result<(Checkout<'_>, T)> {
        let mut attempts = 0;
        loop {
            let mut conn = self.pool.get()?;
            match attempt(conn.as_mut()) {
                Ok(value) => return Ok((conn, value)),
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
