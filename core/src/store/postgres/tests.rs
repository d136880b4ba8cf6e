use std::net::TcpListener;
use std::time::{Duration, Instant};

use tokio_postgres::Row;

use super::migrations::MIGRATIONS;
use super::pool::PooledConn;
use super::*;
use crate::error::ErrorCode;
use crate::store::tests::{Fixture, credential, store_behaviour_tests, user};
use crate::store::{Audit, DeleteOutcome, Store};

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
        let (config, tls) = connection_config(url).unwrap();
        let pool = Pool {
            config,
            tls: tls.connector,
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
    let err =
        PostgresStore::open(&format!("postgres://kavach:pw@127.0.0.1:{port}/app?connect_timeout=1"), 8).unwrap_err();
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
        store.insert_user(&u, &Audit::NONE).unwrap();
        assert_eq!(store.user_by_id(&u.id).unwrap().unwrap().created_at, at);
    }
    // Beyond what the clock type holds: a clean INTERNAL, not a panic.
    let mut u = user("far", "far@example.com");
    u.created_at = i64::MAX;
    assert_eq!(store.insert_user(&u, &Audit::NONE).unwrap_err().code(), ErrorCode::Internal);
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
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"c", "u1", 1), None, 0, &Audit::NONE).unwrap();
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
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
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
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    assert!(store.user_by_email("B@example.com").unwrap().is_some());
}

#[test]
fn works_when_called_from_inside_an_async_runtime() {
    let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
    let host_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    host_runtime.block_on(async {
        // Opening (a new connection) and using it, from an async context.
        let store = PostgresStore::open(&db.url, 2).unwrap();
        store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
        assert!(store.user_by_id("u1").unwrap().is_some());
    });
}

#[test]
fn statement_timeout_is_enforced_by_the_server() {
    let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let store = PostgresStore::open(&format!("{}{separator}options=-c%20lock_timeout%3D200", db.url), 2).unwrap();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"a", "u1", 1), None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"b", "u1", 2), None, 0, &Audit::NONE).unwrap();
    // Another session holds the user's row lock: delete_credential waits at most lock_timeout.
    let raw = db.raw.as_ref().unwrap().lock();
    raw.batch("BEGIN; SELECT 1 FROM kavach_users WHERE id = 'u1' FOR UPDATE");
    let started = Instant::now();
    let err = store.delete_credential("u1", b"a", false, &Audit::NONE).unwrap_err();
    let took = started.elapsed();
    raw.batch("ROLLBACK");
    assert_eq!(err.code(), ErrorCode::Internal);
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The connection survived the cancelled statement.
    assert_eq!(store.delete_credential("u1", b"a", false, &Audit::NONE).unwrap(), DeleteOutcome::Deleted);
}

#[test]
fn a_sign_in_and_a_shared_rate_limit_spend_take_the_fewest_round_trips() {
    use crate::store::tests::{bucket, nonce, session, sign_in, spend, usage, wall_clock};
    use crate::store::{InsertOutcome, RateLimitOutcome, SessionRecord, SignInOutcome};
    let Some(db) = PgFixture::new() else { return eprintln!("skipped: no KAVACH_TEST_POSTGRES_URL") };
    // One connection, so that every round trip is counted on it.
    let store = PostgresStore::open(&db.url, 1).unwrap();
    let trips = || store.pool.state.lock().idle.iter().map(|conn| conn.round_trips.get()).sum::<u64>();
    let counted = |f: &dyn Fn()| {
        let before = trips();
        f();
        trips() - before
    };
    let now = wall_clock();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    let (n1, n2, n3, n4, n5) = (nonce(1), nonce(2), nonce(3), nonce(4), nonce(5));
    let later = now + 60_000;
    let (s0, s1, s2, s3) = (
        session("s0", "u1", 9, later),
        session("s1", "u1", 1, later),
        session("s2", "u1", 2, later),
        session("s3", "u1", 3, later),
    );
    // Warm: each statement is prepared once per connection.
    store.insert_credential(&credential(b"warm", "u1", 1), Some(&usage(&n1, 60_000)), now, &Audit::NONE).unwrap();
    assert_eq!(spend(&store, &[bucket(1, 10)], now), RateLimitOutcome::Spent);

    // Registration: BEGIN + challenge, then the credential + COMMIT (was 4).
    let registered = counted(&|| {
        let outcome =
            store.insert_credential(&credential(b"cred", "u1", 2), Some(&usage(&n2, 60_000)), now, &Audit::NONE);
        assert_eq!(outcome.unwrap(), InsertOutcome::Inserted);
    });
    assert_eq!(registered, 2);
    assert_eq!(store.complete_sign_in(&sign_in(&n3, 5, 6, now, &s0)).unwrap(), SignInOutcome::SignedIn); // warm
    // Sign-in: BEGIN + challenge, the counter, then the session + COMMIT (was 5).
    let signed_in = counted(&|| {
        assert_eq!(store.complete_sign_in(&sign_in(&n4, 6, 7, now, &s1)).unwrap(), SignInOutcome::SignedIn);
    });
    assert_eq!(signed_in, 3);
    // Shared rate limit: BEGIN + lock, then save + COMMIT (was 4).
    let spent = counted(&|| assert_eq!(spend(&store, &[bucket(1, 10), bucket(2, 10)], now), RateLimitOutcome::Spent));
    assert_eq!(spent, 2);
    // A refusal: BEGIN + lock, then ROLLBACK.
    assert_eq!(spend(&store, &[bucket(3, 1)], now), RateLimitOutcome::Spent);
    let refused = counted(&|| assert!(matches!(spend(&store, &[bucket(3, 1)], now), RateLimitOutcome::Refused { .. })));
    assert_eq!(refused, 2);

    // What was pipelined was committed.
    assert!(store.session_by_token_hash(&[1; 32], now).unwrap().is_some());
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().counter, 7);
    // The challenge again: refused, nothing written.
    assert_eq!(store.complete_sign_in(&sign_in(&n4, 7, 8, now, &s2)).unwrap(), SignInOutcome::ChallengeUsed);
    assert!(store.session_by_token_hash(&[2; 32], now).unwrap().is_none());
    // A session row that cannot be inserted (its id is taken) fails the pipelined statement: the
    // COMMIT sent with it rolls back, so the challenge's use and the counter move are undone.
    let duplicate = SessionRecord { token_hash: [3; 32], ..s1.clone() };
    assert!(store.complete_sign_in(&sign_in(&n5, 7, 8, now, &duplicate)).is_err());
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().counter, 7);
    assert_eq!(store.complete_sign_in(&sign_in(&n5, 7, 8, now, &s3)).unwrap(), SignInOutcome::SignedIn);
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().counter, 8);
    // The connection is reusable after all that (not left inside a transaction).
    assert_eq!(store.pool.state.lock().idle.len(), 1);
}
