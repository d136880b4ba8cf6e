//! PostgreSQL going away and coming back, on a private server of this test's own (started with
//! `scripts/postgres.sh` in a temporary directory, so stopping it disturbs no other test). Runs
//! when `KAVACH_TEST_POSTGRES_URL` is set (the PostgreSQL run of the suite); skipped otherwise.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use kavach_core::{ErrorCode, Kavach};
use serde_json::json;
use support::{Authenticator, ORIGIN, SECRET, cookie_token, postgres_server};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/postgres.sh");

/// A private server; stopped and deleted on drop.
struct Server {
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> (Server, String) {
        let dir = tempfile::Builder::new().prefix("kavach-outage-").tempdir().unwrap();
        let server = Server { dir };
        let url = server.run("start");
        (server, url)
    }

    fn run(&self, command: &str) -> String {
        let output = Command::new("bash")
            .arg(SCRIPT)
            .arg(command)
            .env("KAVACH_PG_DIR", self.dir.path().join("pg"))
            .output()
            .unwrap();
        assert!(output.status.success(), "postgres.sh {command}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(SCRIPT).arg("stop").env("KAVACH_PG_DIR", self.dir.path().join("pg")).output();
    }
}

fn config(url: &str) -> String {
    json!({
        "database": {"provider": "postgres", "url": url, "poolSize": 4},
        "secret": SECRET,
        "baseUrl": "https://auth.example.com",
        "plugins": [{"id": "passkey", "rpName": "Test App", "rpId": "example.com", "origin": [ORIGIN]}],
    })
    .to_string()
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

#[test]
fn requests_fail_cleanly_while_the_database_is_down_and_succeed_when_it_is_back() {
    if postgres_server().is_none() {
        return eprintln!("skipped: the PostgreSQL run sets KAVACH_TEST_POSTGRES_URL");
    }
    let (server, url) = Server::start();
    let kavach = Kavach::from_json(&config(&url)).unwrap();
    let user = kavach.create_user("ada@example.com", None).unwrap();
    let session = kavach.create_session(&user.id).unwrap();
    let mut authenticator = Authenticator::new();
    let options = kavach.handle(
        &kavach_core::http::Request::new("POST", "/auth/passkey/register/options")
            .header("authorization", &format!("Bearer {}", session.token))
            .json(&json!({})),
    );
    let credential = authenticator.register(&options.json(), ORIGIN).unwrap();
    let registered = kavach.handle(
        &kavach_core::http::Request::new("POST", "/auth/passkey/register/verify")
            .header("authorization", &format!("Bearer {}", session.token))
            .json(&credential),
    );
    assert_eq!(registered.status, 200, "{}", registered.json());
    let session_request = kavach_core::http::Request::new("GET", "/auth/session")
        .header("authorization", &format!("Bearer {}", session.token));

    // Down: `pg_ctl stop -m fast` disconnects every session.
    server.run("pause");
    let (response, took) = timed(|| kavach.handle(&session_request));
    eprintln!("outage: GET /auth/session -> {} in {took:?}", response.status);
    assert_eq!(response.status, 503, "{}", response.json());
    assert_eq!(response.json()["code"], "INTERNAL");
    assert_eq!(response.json()["error"], "database unavailable");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // Usernameless options need no database (challenges are stateless); by email they do.
    let options_request =
        kavach_core::http::Request::new("POST", "/auth/passkey/authenticate/options").json(&json!({}));
    let (response, took) = timed(|| kavach.handle(&options_request));
    eprintln!("outage: POST authenticate/options {{}} -> {} in {took:?}", response.status);
    assert_eq!(response.status, 200, "{}", response.json());
    let by_email = kavach_core::http::Request::new("POST", "/auth/passkey/authenticate/options")
        .json(&json!({"email": "ada@example.com"}));
    let (response, took) = timed(|| kavach.handle(&by_email));
    eprintln!("outage: POST authenticate/options {{email}} -> {} in {took:?}", response.status);
    assert_eq!((response.status, response.json()["code"].as_str()), (503, Some("INTERNAL")));
    assert!(took < Duration::from_secs(2), "{took:?}");

    let (err, took) = timed(|| kavach.create_user("bob@example.com", None).unwrap_err());
    eprintln!("outage: create_user -> {} {} in {took:?}", err.code(), err.status());
    assert_eq!((err.code(), err.status()), (ErrorCode::Internal, 503));

    // Starting an instance while it is down: a clear configuration error, no password.
    let (result, took) = timed(|| Kavach::from_json(&config(&url)));
    let Err(err) = result else { panic!("start-up should fail while the database is down") };
    eprintln!("outage: start-up -> {} in {took:?}: {}", err.code(), err.message());
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    assert!(err.message().contains(&format!("127.0.0.1:{port}")), "{}", err.message());
    assert!(!err.message().contains("kavach-test-password"), "{}", err.message());

    // Back (same port): the instance recovers by itself, the first request already succeeds.
    server.run("start");
    let (response, took) = timed(|| kavach.handle(&session_request));
    eprintln!("recovered: GET /auth/session -> {} in {took:?}", response.status);
    assert_eq!(response.status, 200, "{}", response.json());
    assert_eq!(response.json()["user"]["id"], user.id.as_str());

    // The whole sign-in works again, and nothing was lost.
    let options = kavach.handle(&options_request);
    assert_eq!(options.status, 200);
    let assertion = authenticator.authenticate(&options.json(), ORIGIN).unwrap();
    let signed_in =
        kavach.handle(&kavach_core::http::Request::new("POST", "/auth/passkey/authenticate/verify").json(&assertion));
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
    assert!(!cookie_token(&signed_in).is_empty());
    kavach.create_user("bob@example.com", None).unwrap();

    // A second outage mid-use, then recovery again (connections opened after the first are
    // replaced too).
    server.run("pause");
    assert_eq!(kavach.handle(&session_request).status, 503);
    server.run("start");
    assert_eq!(kavach.handle(&session_request).status, 200);
}
