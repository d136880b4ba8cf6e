//! Opening kavach: configuration errors at start-up, and several instances sharing one database.

use kavach_core::http::Request;
use kavach_core::{ErrorCode, Kavach};
use serde_json::json;

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

#[test]
fn postgres_is_refused_clearly_until_it_is_built() {
    let err = startup_error(&config("postgres://localhost/kavach", "postgres"));
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    assert!(err.message().contains("postgres"), "{err}");
}

#[test]
fn instances_on_one_database_share_challenges_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file:{}", dir.path().join("shared.db").display());
    let first = Kavach::from_json(&config(&url, "sqlite")).unwrap();
    let second = Kavach::from_json(&config(&url, "sqlite")).unwrap();
    let user = first.create_user("ada@example.com", None).unwrap();
    let session = first.create_session(&user.id).unwrap();
    let request = Request::new("GET", "/auth/session").header("authorization", &format!("Bearer {}", session.token));
    assert_eq!(second.handle(&request).json()["user"]["id"], user.id.as_str());
    assert_eq!(second.user_by_email("ADA@example.com").unwrap().unwrap().id, user.id);
}
