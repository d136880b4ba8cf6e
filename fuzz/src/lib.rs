//! Shared invariants and fixtures for kavach's fuzz targets.

use kavach_core::http::Response;
use kavach_core::{Error, ErrorCode};

/// Relying party used by every target that needs one.
pub const ORIGIN: &str = "https://app.example.com";
pub const RP_ID: &str = "example.com";
pub const SECRET: &str = "fuzz-secret-that-is-at-least-32-bytes-long";

/// The configuration of the in-memory instances (SQLite `:memory:`: private to the process).
pub fn config_json() -> String {
    serde_json::json!({
        "database": {"provider": "sqlite", "url": ":memory:"},
        "secret": SECRET,
        "baseUrl": "https://auth.example.com",
        "plugins": [{"id": "passkey", "rpName": "Fuzz", "rpId": RP_ID, "origin": [ORIGIN]}],
        // A tight per-client budget, so that fuzzed client keys exercise the limiter (429).
        "rateLimit": {"max": 3, "window": 1},
    })
    .to_string()
}

/// Text that must never reach a client: store, panic and source-path details.
const INTERNAL_MARKERS: [&str; 12] = [
    "sqlite",
    "rusqlite",
    "postgres",
    "panicked",
    "panic",
    ".rs:",
    "/src/",
    "/home/",
    "/root/",
    "/work/",
    "RUST_BACKTRACE",
    "unwrap",
];

/// Panics (= a fuzzer finding) if a client-visible message carries internal text. Messages may
/// quote (a clipped part of) the client's own input, so a marker that the input itself contains
/// is not counted.
pub fn assert_safe_message(message: &str, input: &str, context: &dyn Fn() -> String) {
    let lower = message.to_ascii_lowercase();
    let input = input.to_ascii_lowercase();
    for marker in INTERNAL_MARKERS {
        let marker_lower = marker.to_ascii_lowercase();
        assert!(
            !lower.contains(&marker_lower) || input.contains(&marker_lower),
            "message leaks internal text ({marker:?}): {message:?}\n{}",
            context()
        );
    }
    assert!(!message.is_empty(), "empty error message\n{}", context());
}

/// An error returned for client input: never INTERNAL (nor INVALID_CONFIG), a 4xx status, and
/// a safe message.
pub fn assert_client_error(err: &Error, input: &str, context: &dyn Fn() -> String) {
    assert!(
        !matches!(err.code(), ErrorCode::Internal | ErrorCode::InvalidConfig),
        "client input produced {}: {}\n{}",
        err.code(),
        err.message(),
        context()
    );
    assert!((400..500).contains(&err.status()), "status {} for {}\n{}", err.status(), err.code(), context());
    assert_safe_message(err.message(), input, context);
}

/// A router answer to client input: never 5xx, JSON `{error, code}` for errors with a safe message.
pub fn assert_client_response(response: &Response, input: &str, context: &dyn Fn() -> String) {
    assert!(
        response.status < 500,
        "status {} body {}\n{}",
        response.status,
        String::from_utf8_lossy(&response.body),
        context()
    );
    if response.status >= 400 {
        let body = response.json();
        let code = body["code"].as_str().unwrap_or_else(|| panic!("error without code: {body}\n{}", context()));
        assert!(code != "INTERNAL" && !code.is_empty(), "code {code}\n{}", context());
        let message = body["error"].as_str().unwrap_or_else(|| panic!("error without message: {body}\n{}", context()));
        assert_safe_message(message, input, context);
        assert!(response.header_value("set-cookie").is_none(), "error with Set-Cookie\n{}", context());
    }
}

/// Any internal error reported to the log sink during a run is a finding: client input must
/// never reach one. Call once per process.
pub fn panic_on_internal_errors() {
    kavach_core::set_internal_error_sink(|detail| panic!("internal error reported for client input: {detail}"));
}
