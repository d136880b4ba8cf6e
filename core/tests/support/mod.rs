//! Test harness: a kavach instance on a fresh, isolated database with a movable clock, driven
//! through the HTTP-neutral router the way a browser would, with a software authenticator making
//! real signatures.
//!
//! The database is a temporary SQLite file, or — when `KAVACH_TEST_POSTGRES_URL` is set (see
//! `scripts/postgres.sh`) — a new PostgreSQL database created on that server for this harness
//! alone and dropped with it. Every test that builds a [`Harness`] (or a [`TestDatabase`]) so runs
//! on both engines; `scripts/test.sh` runs the suite once per engine.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use kavach_core::http::{Request, Response};
use kavach_core::{Kavach, Settings};
#[allow(unused_imports)]
pub use kavach_test_authenticator::{Algorithm, AttestationMode, Authenticator, Tweaks, flags};
use serde_json::{Value, json};

pub const ORIGIN: &str = "https://app.example.com";
pub const RP_ID: &str = "example.com";
pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

/// The PostgreSQL server to test against, if this run is the PostgreSQL one.
pub fn postgres_server() -> Option<String> {
    std::env::var("KAVACH_TEST_POSTGRES_URL").ok().filter(|url| !url.trim().is_empty())
}

/// A connection of the tests' own to a PostgreSQL URL, with kavach's TLS rules (so a TLS URL,
/// `sslmode=verify-full&sslrootcert=…`, works here as it does for kavach).
pub fn pg_connect(url: &str) -> Result<postgres::Client, String> {
    let (url, tls) = kavach_core::danger::postgres_tls(url).map_err(|e| e.to_string())?;
    match tls {
        Some(tls) => postgres::Client::connect(&url, tls),
        None => postgres::Client::connect(&url, postgres::NoTls),
    }
    .map_err(|e| e.to_string())
}

/// A fresh database of the engine under test, removed on drop.
pub enum TestDatabase {
    Sqlite { dir: tempfile::TempDir, path: std::path::PathBuf },
    Postgres { server: String, database: String, url: String },
}

impl TestDatabase {
    pub fn new() -> Self {
        match postgres_server() {
            Some(server) => Self::new_postgres(&server),
            None => Self::new_sqlite(),
        }
    }

    pub fn new_sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kavach.db");
        Self::Sqlite { dir, path }
    }

    /// `CREATE DATABASE kavach_test_<random>` on `server`.
    pub fn new_postgres(server: &str) -> Self {
        let random: String = (0..16).map(|_| format!("{:02x}", rand_byte())).collect();
        let database = format!("kavach_test_{random}");
        let mut admin = pg_connect(server).unwrap_or_else(|e| panic!("KAVACH_TEST_POSTGRES_URL: cannot connect: {e}"));
        admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
        let mut url = url::Url::parse(server).expect("KAVACH_TEST_POSTGRES_URL must be a postgres:// URL");
        url.set_path(&format!("/{database}"));
        Self::Postgres { server: server.to_owned(), database, url: url.to_string() }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    pub fn provider(&self) -> &'static str {
        if self.is_postgres() { "postgres" } else { "sqlite" }
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("file:{}", path.display()),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// The `database` section of a configuration.
    pub fn config(&self) -> Value {
        json!({"provider": self.provider(), "url": self.url()})
    }

    /// Rows in a table, counted outside kavach.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        match self {
            Self::Sqlite { path, .. } => {
                rusqlite::Connection::open(path).unwrap().query_row(&sql, [], |row| row.get(0)).unwrap()
            }
            Self::Postgres { url, .. } => pg_connect(url).unwrap().query_one(sql.as_str(), &[]).unwrap().get(0),
        }
    }

    /// Runs a query outside kavach (to look at what it stored); one row of text/bytes/ints.
    pub fn query_one(&self, sql: &str, param: &[u8]) -> Option<StoredValues> {
        match self {
            Self::Sqlite { path, .. } => {
                let db = rusqlite::Connection::open(path).unwrap();
                let mut stmt = db.prepare(sql).unwrap();
                let columns = stmt.column_count();
                let mut rows = stmt.query([param]).unwrap();
                let row = rows.next().unwrap()?;
                Some(StoredValues((0..columns).map(|i| StoredValue::from_sqlite(row.get_ref(i).unwrap())).collect()))
            }
            Self::Postgres { url, .. } => {
                let mut db = pg_connect(url).unwrap();
                let sql = sql.replace("?1", "$1");
                let row = db.query_opt(sql.as_str(), &[&param]).unwrap()?;
                Some(StoredValues((0..row.len()).map(|i| StoredValue::from_postgres(&row, i)).collect()))
            }
        }
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { server, database, .. } = self
            && let Ok(mut admin) = pg_connect(server)
        {
            // FORCE: instances still holding pooled connections are disconnected.
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
        }
    }
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicI64 = AtomicI64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    hasher.finish() as u8
}

/// One stored value, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredValue {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
    TextList(Vec<String>),
}

impl StoredValue {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef;
        match value {
            ValueRef::Null => Self::Null,
            ValueRef::Integer(i) => Self::Int(i),
            ValueRef::Real(r) => Self::Text(r.to_string()),
            ValueRef::Text(t) => Self::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Self::Bytes(b.to_vec()),
        }
    }

    fn from_postgres(row: &postgres::Row, i: usize) -> Self {
        use postgres::types::Type;
        let ty = row.columns()[i].type_().clone();
        let value = match ty {
            Type::INT2 => row.get::<_, Option<i16>>(i).map(|v| Self::Int(v.into())),
            Type::INT4 => row.get::<_, Option<i32>>(i).map(|v| Self::Int(v.into())),
            Type::INT8 => row.get::<_, Option<i64>>(i).map(Self::Int),
            Type::BOOL => row.get::<_, Option<bool>>(i).map(Self::Bool),
            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(Self::Bytes),
            Type::TEXT_ARRAY => row.get::<_, Option<Vec<String>>>(i).map(Self::TextList),
            _ => row.get::<_, Option<String>>(i).map(Self::Text),
        };
        value.unwrap_or(Self::Null)
    }

    pub fn int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }

    /// SQLite stores booleans as 0/1.
    pub fn bool(&self) -> bool {
        match self {
            Self::Bool(b) => *b,
            Self::Int(i) => *i != 0,
            other => panic!("not a boolean: {other:?}"),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            other => panic!("not text: {other:?}"),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Bytes(b) => b.clone(),
            other => panic!("not bytes: {other:?}"),
        }
    }

    /// A list of strings: a `text[]` (PostgreSQL) or a JSON array in text (SQLite).
    pub fn text_list(&self) -> Vec<String> {
        match self {
            Self::TextList(list) => list.clone(),
            Self::Text(json) => serde_json::from_str(json).unwrap(),
            other => panic!("not a list: {other:?}"),
        }
    }
}

/// A row of [`StoredValue`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValues(pub Vec<StoredValue>);

impl std::ops::Index<usize> for StoredValues {
    type Output = StoredValue;
    fn index(&self, i: usize) -> &StoredValue {
        &self.0[i]
    }
}

pub struct Harness {
    pub kavach: Arc<Kavach>,
    clock: Arc<AtomicI64>,
    /// Declared last: dropped after the instance.
    pub database: TestDatabase,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_passkey_options(json!({}))
    }

    /// A harness whose passkey plugin options are the defaults merged with `extra`.
    pub fn with_passkey_options(extra: Value) -> Self {
        Self::with_settings(extra, |_| {})
    }

    /// Like [`Harness::with_passkey_options`], with `edit` applied to the validated settings
    /// (what configuration cannot express: a metadata BLOB signed by a test root).
    pub fn with_settings(extra: Value, edit: impl FnOnce(&mut Settings)) -> Self {
        Self::build(extra, json!({}), edit)
    }

    /// Passkey options merged with `passkey`, top-level keys (e.g. `rateLimit`) with `top`.
    pub fn with_config(passkey: Value, top: Value) -> Self {
        Self::build(passkey, top, |_| {})
    }

    fn build(extra: Value, top: Value, edit: impl FnOnce(&mut Settings)) -> Self {
        let database = TestDatabase::new();
        let mut config = Self::config(&database, &extra);
        config.as_object_mut().unwrap().extend(top.as_object().unwrap().clone());
        let mut settings = Settings::from_json(&config.to_string()).unwrap();
        edit(&mut settings);
        let kavach = Kavach::new(settings).unwrap();
        let clock = Arc::new(AtomicI64::new(1_800_000_000_000));
        let clock_for_kavach = clock.clone();
        let kavach = kavach_core::danger::with_clock(kavach, Arc::new(move || clock_for_kavach.load(Ordering::SeqCst)));
        Self { kavach: Arc::new(kavach), clock, database }
    }

    /// The test configuration on `database`, passkey options merged with `extra`.
    pub fn config(database: &TestDatabase, extra: &Value) -> Value {
        let mut passkey = json!({"id": "passkey", "rpName": "Test App", "rpId": RP_ID, "origin": [ORIGIN]});
        passkey.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({
            "database": database.config(),
            "secret": SECRET,
            "baseUrl": "https://auth.example.com",
            "plugins": [passkey],
        })
    }

    fn instance_on(database: &TestDatabase, extra: &Value) -> Kavach {
        let settings = Settings::from_json(&Self::config(database, extra).to_string()).unwrap();
        Kavach::new(settings).unwrap()
    }

    /// Another instance on the same database and clock, with top-level configuration `top`
    /// merged over the defaults (`rateLimit`, `trustedProxies`, ...).
    pub fn instance_with(&self, top: Value) -> Kavach {
        let mut config = Self::config(&self.database, &json!({}));
        config.as_object_mut().unwrap().extend(top.as_object().unwrap().clone());
        let kavach = Kavach::from_json(&config.to_string()).unwrap();
        let clock = self.clock.clone();
        kavach_core::danger::with_clock(kavach, Arc::new(move || clock.load(Ordering::SeqCst)))
    }

    /// Another instance on the same database and clock (as a second server would be).
    pub fn another_instance(&self) -> Kavach {
        let clock = self.clock.clone();
        kavach_core::danger::with_clock(
            Self::instance_on(&self.database, &json!({})),
            Arc::new(move || clock.load(Ordering::SeqCst)),
        )
    }

    pub fn advance_ms(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>, token: Option<&str>) -> Response {
        let mut request = Request::new(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            // The harness's baseUrl is https: the session cookie carries the __Host- prefix.
            request = request.header("cookie", &format!("{}={token}", kavach_core::SECURE_COOKIE_NAME));
        }
        self.kavach.handle(&request)
    }

    pub fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.request("POST", path, Some(body), token)
    }

    /// A user with a session, as the host's own sign-up would make: returns (user id, token).
    pub fn signup(&self, email: &str) -> (String, String) {
        let user = self.kavach.create_user(email, Some("Test User")).unwrap();
        let session = self.kavach.create_session(&user.id).unwrap();
        (user.id, session.token)
    }

    pub fn register_options(&self, token: &str) -> Value {
        let response = self.post("/auth/passkey/register/options", &json!({}), Some(token));
        assert_eq!(response.status, 200, "{}", response.json());
        response.json()
    }

    /// Registers a passkey with the authenticator; returns the verify response.
    pub fn register(&self, authenticator: &mut Authenticator, token: &str) -> Response {
        let options = self.register_options(token);
        let credential = authenticator.register(&options, ORIGIN).unwrap();
        self.post("/auth/passkey/register/verify", &credential, Some(token))
    }

    pub fn authenticate_options(&self, email: Option<&str>) -> Value {
        let body = email.map_or_else(|| json!({}), |e| json!({"email": e}));
        let response = self.post("/auth/passkey/authenticate/options", &body, None);
        assert_eq!(response.status, 200, "{}", response.json());
        response.json()
    }

    /// Signs in (by email or usernameless); returns the verify response.
    pub fn sign_in(&self, authenticator: &mut Authenticator, email: Option<&str>) -> Response {
        let options = self.authenticate_options(email);
        let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
        self.post("/auth/passkey/authenticate/verify", &assertion, None)
    }
}

/// The session token in a response's `Set-Cookie`.
pub fn cookie_token(response: &Response) -> String {
    let cookie = response.header_value("set-cookie").expect("set-cookie");
    let (name, rest) = cookie.split_once('=').expect("name=value");
    assert!(name == kavach_core::SECURE_COOKIE_NAME || name == kavach_core::COOKIE_NAME, "{cookie}");
    rest.split(';').next().unwrap().to_owned()
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(response: &Response, status: u16, code: &str) {
    let body = response.json();
    assert_eq!((response.status, body["code"].as_str().unwrap_or("")), (status, code), "body: {body}");
    assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "error message missing: {body}");
}
