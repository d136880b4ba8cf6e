//! The connection pool: a mutex, a condition variable and a bounded wait over rust-postgres
//! connections, each with its own single-threaded runtime; and the failures a call can meet.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::runtime::Runtime;
use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use super::CALL_TIMEOUT;
use super::tls::RustlsConnector;
use crate::error::{Error, ErrorCode, Result};

pub(super) type PgError = tokio_postgres::Error;

pub(super) struct Pool {
    pub(super) config: Config,
    /// The TLS connector, unless connections are plaintext (`config`'s `sslmode` says which).
    pub(super) tls: Option<RustlsConnector>,
    pub(super) connect_limit: Duration,
    /// `SET ...;` statements run on every new connection.
    pub(super) setup: String,
    /// host:port/database (user), for messages.
    pub(super) target: String,
    pub(super) max: usize,
    pub(super) wait: Duration,
    pub(super) state: Mutex<PoolState>,
    pub(super) returned: Condvar,
}

pub(super) struct PoolState {
    pub(super) idle: Vec<PooledConn>,
    /// Connections in existence or being opened: idle + checked out + connecting.
    pub(super) open: usize,
}

/// One connection: its runtime (which runs the connection's I/O task whenever a call blocks on
/// it), the client, and its prepared statements by SQL text.
pub(super) struct PooledConn {
    pub(super) runtime: ConnRuntime,
    pub(super) client: Client,
    pub(super) statements: HashMap<&'static str, Statement>,
    pub(super) in_transaction: bool,
    pub(super) broken: bool,
    /// A `BEGIN` not sent yet: it goes out with the transaction's first statement, in the same
    /// round trip (pipelined: the server runs them in order).
    pub(super) pending_begin: Option<&'static str>,
    /// Send `COMMIT` right behind the next statement, the transaction's last, in the same round
    /// trip. Should that statement fail, the server turns this COMMIT into a rollback.
    pub(super) commit_next: bool,
    /// The transaction's first round trip found the connection dead: nothing ran on it.
    pub(super) lost_before_anything: bool,
    /// Round trips made on this connection (tests count them).
    pub(super) round_trips: std::cell::Cell<u64>,
}

/// A connection's runtime. Shut down without blocking when dropped, which is allowed from inside
/// an async context too (a plain drop is not).
pub(super) struct ConnRuntime(Option<Runtime>);

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
pub(super) struct Checkout<'a> {
    pub(super) pool: &'a Pool,
    pub(super) conn: Option<PooledConn>,
}

impl Pool {
    /// Opens a new connection (not counted: callers account for it), all within `connect_limit`.
    pub(super) fn open_connection(&self) -> Result<PooledConn, Fail> {
        let runtime = ConnRuntime(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Fail::Kavach(Error::internal(format_args!("postgres: cannot start a runtime: {e}"))))?,
        ));
        let connect = async {
            // The connection task runs whenever this connection's runtime is blocked on (every
            // call is).
            let client = match &self.tls {
                Some(tls) => {
                    let (client, connection) = self.config.connect(tls.clone()).await?;
                    tokio::spawn(connection);
                    client
                }
                None => {
                    let (client, connection) = self.config.connect(NoTls).await?;
                    tokio::spawn(connection);
                    client
                }
            };
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
        Ok(PooledConn {
            runtime,
            client,
            statements: HashMap::new(),
            in_transaction: false,
            broken: false,
            pending_begin: None,
            commit_next: false,
            lost_before_anything: false,
            round_trips: std::cell::Cell::new(0),
        })
    }

    /// A new counted connection (used at start-up).
    pub(super) fn connect(&self) -> Result<Checkout<'_>, Fail> {
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
    pub(super) fn get(&self) -> Result<Checkout<'_>> {
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

    pub(super) fn release_slot(&self) {
        self.state.lock().open -= 1;
        self.returned.notify_one();
    }

    /// Drops every idle connection (after one was found dead: the others likely are too).
    pub(super) fn discard_idle(&self) {
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
    pub(super) fn call<T: Send>(&self, future: impl Future<Output = Result<T, PgError>> + Send) -> Result<T, Fail> {
        self.round_trips.set(self.round_trips.get() + 1);
        match block_on(&self.runtime, async { tokio::time::timeout(CALL_TIMEOUT, future).await }) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(Fail::Pg(e)),
            Err(_) => Err(Fail::Timeout(CALL_TIMEOUT)),
        }
    }

    /// `BEGIN`, `COMMIT` or `ROLLBACK`, tracking whether a transaction is open.
    pub(super) fn simple(&mut self, sql: &'static str) -> Result<(), Fail> {
        self.call(self.client.batch_execute(sql))?;
        self.in_transaction = sql.starts_with("BEGIN");
        Ok(())
    }

    pub(super) fn tx(&mut self) -> Tx<'_> {
        Tx { conn: self }
    }
}

/// Runs `future` to completion on a connection's runtime. Called from a thread that is itself
/// inside an async runtime (a host calling kavach from an async handler), where blocking on
/// another runtime is not allowed, it runs on a short-lived helper thread instead.
pub(super) fn block_on<F>(runtime: &Runtime, future: F) -> F::Output
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
    pub(super) fn as_mut(&mut self) -> &mut PooledConn {
        self.conn.as_mut().expect("connection present until drop")
    }

    /// The error to return for a failure; a connection-level one marks the connection broken.
    pub(super) fn failed(&mut self, fail: Fail) -> Error {
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
pub(super) fn unavailable(detail: impl std::fmt::Display) -> Error {
    crate::log::internal_error(&detail.to_string());
    Error::new(ErrorCode::Internal, "database unavailable").with_status(503)
}

/// The error's kind and its cause (the driver's `Display` shows the kind only). Never contains the
/// password: the driver does not put it in errors.
pub(super) fn describe(e: &PgError) -> String {
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

pub(super) fn describe_target(config: &Config) -> String {
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

/// Why a call failed: a kavach error to return as is, a driver error, or no answer in time.
pub(super) enum Fail {
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
    pub(super) fn describe(&self) -> String {
        match self {
            Fail::Kavach(err) => err.to_string(),
            Fail::Pg(e) => describe(e),
            Fail::Timeout(limit) => format!("no answer from the server within {limit:?}"),
        }
    }

    /// Whether the connection is gone or in an unknown state (as opposed to one statement failing
    /// on a healthy connection), so it must not be reused.
    pub(super) fn connection_lost(&self) -> bool {
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
    pub(super) fn unique_violation(&self) -> Option<&str> {
        let Fail::Pg(e) = self else { return None };
        let db = e.as_db_error()?;
        (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or_default())
    }
}

/// A transaction in progress on one connection.
pub(super) struct Tx<'a> {
    conn: &'a mut PooledConn,
}

pub(super) type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    /// A statement's failure as kavach's error: a lost connection is marked broken (it is not
    /// returned to the pool) and answers 503 "database unavailable".
    pub(super) fn lift<T>(&mut self, result: Result<T, Fail>) -> Result<T> {
        result.map_err(|fail| {
            if fail.connection_lost() {
                self.conn.broken = true;
                return unavailable(format_args!("postgres: {}", fail.describe()));
            }
            match fail {
                Fail::Kavach(err) => err,
                other => Error::internal(format_args!("postgres: {}", other.describe())),
            }
        })
    }

    pub(super) fn statement(&mut self, sql: &'static str) -> Result<Statement, Fail> {
        if let Some(statement) = self.conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = self.conn.call(self.conn.client.prepare(sql));
        let statement = self.first_call(prepared)?;
        self.conn.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Records that the transaction's first round trip found the connection dead (nothing ran:
    /// the unit may be retried on another connection).
    fn first_call<T>(&mut self, result: Result<T, Fail>) -> Result<T, Fail> {
        if let Err(fail) = &result
            && self.conn.pending_begin.is_some()
            && fail.connection_lost()
        {
            self.conn.lost_before_anything = true;
        }
        result
    }

    /// What goes into the next round trip with its statement: the transaction's pending `BEGIN`
    /// before it, its `COMMIT` after it when asked ([`Tx::pipeline_commit`]).
    fn take_pipeline(&mut self) -> (Option<&'static str>, bool) {
        (self.conn.pending_begin, std::mem::take(&mut self.conn.commit_next))
    }

    fn finish_pipeline<T>(
        &mut self,
        (begin, commit): (Option<&'static str>, bool),
        result: Result<T, Fail>,
    ) -> Result<T, Fail> {
        let result = self.first_call(result);
        if begin.is_some() {
            self.conn.pending_begin = None;
            self.conn.in_transaction = true;
        }
        if commit && result.is_ok() {
            self.conn.in_transaction = false;
        }
        result
    }

    /// Sends `COMMIT` with the next statement, in its round trip: for a unit's last statement,
    /// after which nothing can decide to roll back.
    pub(super) fn pipeline_commit(&mut self) {
        self.conn.commit_next = true;
    }

    pub(super) fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, Fail> {
        let statement = self.statement(sql)?;
        let pipeline = self.take_pipeline();
        let client = &self.conn.client;
        let result = self.conn.call(pipelined(client, pipeline, client.query(&statement, params)));
        self.finish_pipeline(pipeline, result)
    }

    pub(super) fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>, Fail> {
        let statement = self.statement(sql)?;
        let pipeline = self.take_pipeline();
        let client = &self.conn.client;
        let result = self.conn.call(pipelined(client, pipeline, client.query_opt(&statement, params)));
        self.finish_pipeline(pipeline, result)
    }

    pub(super) fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64, Fail> {
        let statement = self.statement(sql)?;
        let pipeline = self.take_pipeline();
        let client = &self.conn.client;
        let result = self.conn.call(pipelined(client, pipeline, client.execute(&statement, params)));
        self.finish_pipeline(pipeline, result)
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<(), Fail> {
        self.conn.call(self.conn.client.batch_execute(sql))
    }
}

/// `statement` in one round trip, with a `BEGIN` sent before it and a `COMMIT` after it as
/// `(begin, commit)` says: all sent before any answer is read (pipelined, each its own Sync), so
/// the server runs them in this order.
async fn pipelined<T: Send>(
    client: &Client,
    (begin, commit): (Option<&'static str>, bool),
    statement: impl Future<Output = Result<T, PgError>> + Send,
) -> Result<T, PgError> {
    if begin.is_none() && !commit {
        return statement.await;
    }
    let begin = async move {
        match begin {
            Some(sql) => client.batch_execute(sql).await,
            None => Ok(()),
        }
    };
    let commit = async move { if commit { client.batch_execute("COMMIT").await } else { Ok(()) } };
    in_order(begin, statement, commit).await
}

/// Three requests pipelined: each future is polled for the first time in order (tokio-postgres
/// sends a request when its future is first polled), then all run to completion; the first error
/// wins, in the same order.
async fn in_order<A, B: Send, C>(
    first: impl Future<Output = Result<A, PgError>> + Send,
    second: impl Future<Output = Result<B, PgError>> + Send,
    third: impl Future<Output = Result<C, PgError>> + Send,
) -> Result<B, PgError> {
    let (mut f1, mut f2, mut f3) = (std::pin::pin!(first), std::pin::pin!(second), std::pin::pin!(third));
    let (mut r1, mut r2, mut r3) = (None, None, None);
    let (first, second, third) = std::future::poll_fn(|cx| {
        if r1.is_none()
            && let Poll::Ready(r) = f1.as_mut().poll(cx)
        {
            r1 = Some(r);
        }
        if r2.is_none()
            && let Poll::Ready(r) = f2.as_mut().poll(cx)
        {
            r2 = Some(r);
        }
        if r3.is_none()
            && let Poll::Ready(r) = f3.as_mut().poll(cx)
        {
            r3 = Some(r);
        }
        match (r1.take(), r2.take(), r3.take()) {
            (Some(a), Some(b), Some(c)) => Poll::Ready((a, b, c)),
            (a, b, c) => {
                (r1, r2, r3) = (a, b, c);
                Poll::Pending
            }
        }
    })
    .await;
    first?;
    let value = second?;
    third?;
    Ok(value)
}

/// A column of a row, as the migration reads its version.
pub(super) fn get<'r, T: tokio_postgres::types::FromSql<'r>>(row: &'r Row, index: usize) -> Result<T, Fail> {
    row.try_get(index)
        .map_err(|e| Fail::Kavach(Error::internal(format_args!("postgres: column {index}: {}", describe(&e)))))
}
