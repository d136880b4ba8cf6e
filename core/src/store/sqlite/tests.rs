use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use super::migrations::MIGRATIONS;
use super::*;
use crate::error::ErrorCode;
use crate::store::tests::{Fixture, credential, store_behaviour_tests, user};
use crate::store::{Audit, ChallengeUse, Store};

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
fn url_forms_are_accepted() {
    let dir = TempDir::new();
    let path = dir.db();
    for url in [format!("file:{path}"), format!("sqlite:{path}"), format!("sqlite://{path}"), path.clone()] {
        let store = SqliteStore::open(&url).unwrap();
        let id = format!("u{}", url.len());
        store.insert_user(&user(&id, &format!("{}@example.com", url.len())), &Audit::NONE).unwrap();
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
    let synchronous = || -> i64 { store.writer.lock().conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap() };
    let burn = ChallengeUse { nonce: &[1; 16], keep_until: 10_000 };
    store.use_challenge(&burn, 0).unwrap();
    assert_eq!(synchronous(), 1, "burning a failed ceremony's challenge commits without fsync (NORMAL)");
    store.insert_user(&super::super::tests::user("u1", "a@example.com"), &Audit::NONE).unwrap();
    assert_eq!(synchronous(), 2, "a user commits with fsync (FULL)");
    store.sweep_expired(1_000, 10).unwrap();
    assert_eq!(synchronous(), 1);
    store.delete_session("s", &Audit::NONE).unwrap();
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
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"c", "u1", 1), None, 0, &Audit::NONE).unwrap();
    {
        let guard = store.writer.lock();
        let conn = &guard.conn;
        conn.execute_batch("PRAGMA ignore_check_constraints = ON").unwrap();
        conn.execute("UPDATE kavach_passkey_credentials SET aaguid = x'0102'", []).unwrap();
    }
    assert_eq!(store.credential_by_id(b"c").unwrap_err().code(), ErrorCode::Internal);
}
