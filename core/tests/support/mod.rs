//! Test harness: a kavach instance on a temporary SQLite file with a movable clock, driven through
//! the HTTP-neutral router the way a browser would, with a software authenticator making real
//! signatures.

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

pub struct Harness {
    pub kavach: Arc<Kavach>,
    clock: Arc<AtomicI64>,
    pub db_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_passkey_options(json!({}))
    }

    /// A harness whose passkey plugin options are the defaults merged with `extra`.
    pub fn with_passkey_options(extra: Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("kavach.db");
        let mut passkey = json!({"id": "passkey", "rpName": "Test App", "rpId": RP_ID, "origin": [ORIGIN]});
        passkey.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let config = json!({
            "database": {"provider": "sqlite", "url": format!("file:{}", db_path.display())},
            "secret": SECRET,
            "baseUrl": "https://auth.example.com",
            "plugins": [passkey],
        });
        let clock = Arc::new(AtomicI64::new(1_800_000_000_000));
        let settings = Settings::from_json(&config.to_string()).unwrap();
        let clock_for_kavach = clock.clone();
        let kavach =
            Kavach::new(settings).unwrap().with_clock(Arc::new(move || clock_for_kavach.load(Ordering::SeqCst)));
        Self { kavach: Arc::new(kavach), clock, db_path, _dir: dir }
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
            request = request.header("cookie", &format!("kavach_session={token}"));
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
    cookie.strip_prefix("kavach_session=").unwrap().split(';').next().unwrap().to_owned()
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(response: &Response, status: u16, code: &str) {
    let body = response.json();
    assert_eq!((response.status, body["code"].as_str().unwrap_or("")), (status, code), "body: {body}");
    assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "error message missing: {body}");
}
