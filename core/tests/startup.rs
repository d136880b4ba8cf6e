//! Opening kavach: configuration errors at start-up, and several instances sharing one database
//! (on the engine under test: SQLite, or PostgreSQL when `KAVACH_TEST_POSTGRES_URL` is set).

mod support;

use kavach_core::http::Request;
use kavach_core::{ErrorCode, Kavach};
use serde_json::json;
use support::TestDatabase;

fn config(database_url: &str, provider: &str) -> String {
    json!({
        "database": {"provider": provider, "url": database_url},
        "secret": "0123456789abcdef0123456789abcdef",
        "baseUrl": "http://localhost:3000",
        "plugins": [{"id": "passkey", "rpName": "Demo", "rpId": "localhost"}],
    })
    .to_string()
}

fn startup_error(json: &str) -> kavach_core::Error {
    match Kavach::from_json(json) {
        Ok(_) => panic!("start-up should fail"),
        Err(err) => err,
    }
}

/// SQLite-only by nature: it is about files.
#[test]
fn an_unreadable_database_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("garbage.db");
    std::fs::write(&not_a_db, vec![0x42; 4096]).unwrap();
    for url in [format!("file:{}/missing-dir/kavach.db", dir.path().display()), format!("file:{}", not_a_db.display())]
    {
        let err = startup_error(&config(&url, "sqlite"));
        assert_eq!(err.code(), ErrorCode::InvalidConfig, "{url}: {err}");
        assert!(err.message().starts_with("database"), "{err}");
    }
}

#[cfg(feature = "postgres")]
#[test]
fn an_unreachable_postgres_is_a_configuration_error_naming_host_and_port_but_not_the_password() {
    // A loopback port nobody listens on: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let err = startup_error(&config(&format!("postgres://app:hunter2-secret@127.0.0.1:{port}/appdb"), "postgres"));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let message = err.message();
    assert!(message.starts_with("database: cannot connect to PostgreSQL at "), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{port}/appdb (user app)")), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn the_settings_never_print_a_database_password() {
    let json = config("postgres://app:hunter2-secret@db.internal:5432/appdb", "postgres");
    let settings = kavach_core::Settings::from_json(&json).unwrap();
    let printed = format!("{settings:?}");
    assert!(printed.contains("db.internal") && !printed.contains("hunter2"), "{printed}");
}

#[test]
fn pool_size_is_validated() {
    let with_pool = |pool: serde_json::Value| {
        json!({
            "database": {"provider": "postgres", "url": "postgres://localhost/kavach", "poolSize": pool},
            "secret": "0123456789abcdef0123456789abcdef",
            "baseUrl": "http://localhost:3000",
            "plugins": [{"id": "passkey", "rpName": "Demo", "rpId": "localhost"}],
        })
        .to_string()
    };
    for bad in [json!(0), json!(101), json!(-1), json!("8")] {
        let err = kavach_core::Settings::from_json(&with_pool(bad.clone())).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig, "{bad}");
    }
    let settings = kavach_core::Settings::from_json(&with_pool(json!(3))).unwrap();
    assert_eq!(settings.database_pool_size(), 3);
    let default = kavach_core::Settings::from_json(&config("postgres://localhost/kavach", "postgres")).unwrap();
    assert_eq!(default.database_pool_size(), 8);
    let snake = with_pool(json!(5)).replace("poolSize", "pool_size");
    assert_eq!(kavach_core::Settings::from_json(&snake).unwrap().database_pool_size(), 5);
}

#[test]
fn instances_on_one_database_share_challenges_and_sessions() {
    let database = TestDatabase::new();
    let url = database.url();
    let first = Kavach::from_json(&config(&url, database.provider())).unwrap();
    let second = Kavach::from_json(&config(&url, database.provider())).unwrap();
    let user = first.create_user("ada@example.com", None).unwrap();
    let session = first.create_session(&user.id).unwrap();
    let request = Request::new("GET", "/auth/session").header("authorization", &format!("Bearer {}", session.token));
    assert_eq!(second.handle(&request).json()["user"]["id"], user.id.as_str());
    assert_eq!(second.user_by_email("ADA@example.com").unwrap().unwrap().id, user.id);
}
