//! The HTTP contract of the router itself: routing, methods, bodies, the Origin check, errors.

mod support;

use kavach_core::http::Request;
use serde_json::json;
use support::*;

#[test]
fn unknown_paths_are_not_found_and_wrong_methods_not_allowed() {
    let h = Harness::new();
    for path in [
        "/",
        "/auth",
        "/auth/",
        "/auth/nope",
        "/other/passkey/credentials",
        "/authpasskey/credentials",
        "/auth/passkey/credentials/a/b",
    ] {
        assert_error(&h.request("GET", path, None, None), 404, "NOT_FOUND");
    }
    let response = h.request("GET", "/auth/passkey/register/options", None, None);
    assert_error(&response, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(response.header_value("allow"), Some("POST"));
    assert_error(&h.request("PUT", "/auth/passkey/credentials/abc", None, None), 405, "METHOD_NOT_ALLOWED");
    // Query strings are ignored for routing.
    assert_eq!(h.request("POST", "/auth/passkey/authenticate/options?x=1", None, None).status, 200);
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let h = Harness::new();
    let mut request = Request::new("POST", "/auth/passkey/authenticate/verify");
    request.body = vec![b'{'; 64 * 1024 + 1];
    assert_error(&h.kavach.handle(&request), 413, "PAYLOAD_TOO_LARGE");
    request.body = vec![b' '; 64 * 1024];
    assert_error(&h.kavach.handle(&request), 400, "INVALID_REQUEST");
}

#[test]
fn malformed_bodies_are_invalid_requests_never_server_errors() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    let (_, token) = h.signup("ada@example.com");
    h.register(&mut authenticator, &token);
    let options = h.authenticate_options(None);
    let good = authenticator.authenticate(&options, ORIGIN).unwrap();
    let mut bad_bodies: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"\"string\"".to_vec(),
        b"{\"response\": 5}".to_vec(),
        b"{\"id\": 5}".to_vec(),
        vec![0xff, 0xfe, 0x00],
    ];
    let mutate = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut body = good.clone();
        f(&mut body);
        body.to_string().into_bytes()
    };
    bad_bodies.push(mutate(&|b| b["response"]["clientDataJSON"] = json!("***")));
    // Standard base64 is read in signed fields (docs/algorithms.md); mixing alphabets never is.
    bad_bodies.push(mutate(&|b| b["response"]["signature"] = json!("a+b_")));
    bad_bodies.push(mutate(&|b| b["response"]["authenticatorData"] = json!(12)));
    bad_bodies.push(mutate(&|b| b["rawId"] = json!(format!("{}=", b["rawId"].as_str().unwrap()))));
    bad_bodies.push(mutate(&|b| {
        b.as_object_mut().unwrap().remove("rawId");
    }));
    bad_bodies.push(mutate(&|b| b["response"]["clientDataJSON"] = json!(kavach_test_authenticator::b64(b"{}"))));
    for body in bad_bodies {
        let mut request = Request::new("POST", "/auth/passkey/authenticate/verify");
        request.body = body.clone();
        let response = h.kavach.handle(&request);
        assert_error(&response, 400, "INVALID_REQUEST");
    }
    // The untouched response still works: none of the above consumed its challenge.
    assert_eq!(h.post("/auth/passkey/authenticate/verify", &good, None).status, 200);
}

#[test]
fn id_must_equal_raw_id() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let mut response = authenticator.register(&options, ORIGIN).unwrap();
    response["id"] = json!("AAAAAAAAAAAAAAAAAAAAAA");
    assert_error(&h.post("/auth/passkey/register/verify", &response, Some(&token)), 400, "VERIFICATION_FAILED");
}

#[test]
fn state_changing_requests_from_foreign_origins_are_forbidden() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let from = |origin: &str, method: &str, path: &str| {
        let request = Request::new(method, path)
            .header("origin", origin)
            .header("cookie", &format!("__Host-kavach_session={token}"));
        h.kavach.handle(&request)
    };
    assert_error(
        &from("https://evil.example.net", "POST", "/auth/passkey/authenticate/options"),
        403,
        "FORBIDDEN_ORIGIN",
    );
    assert_error(&from("null", "POST", "/auth/sign-out"), 403, "FORBIDDEN_ORIGIN");
    assert_error(
        &from("https://evil.example.net", "DELETE", "/auth/passkey/credentials/AAAA"),
        403,
        "FORBIDDEN_ORIGIN",
    );
    assert_eq!(from(ORIGIN, "POST", "/auth/passkey/authenticate/options").status, 200);
    assert_eq!(from("https://auth.example.com", "POST", "/auth/passkey/authenticate/options").status, 200);
    // Reads are not state-changing.
    assert_eq!(from("https://evil.example.net", "GET", "/auth/session").status, 200);
    // The session is intact after the refused sign-out.
    assert_eq!(h.request("GET", "/auth/session", None, Some(&token)).status, 200);
}

#[test]
fn responses_are_json_and_never_cached() {
    let h = Harness::new();
    let response = h.request("POST", "/auth/passkey/authenticate/options", None, None);
    assert_eq!(response.header_value("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(response.header_value("cache-control"), Some("no-store"));
    let error = h.request("GET", "/auth/nope", None, None);
    assert_eq!(error.header_value("cache-control"), Some("no-store"));
    // The one error form every binding passes through.
    assert_eq!(error.json(), serde_json::json!({"error": "no such route", "code": "NOT_FOUND", "status": 404}));
}

#[test]
fn options_body_rejects_unknown_fields_and_wrong_types() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    assert_error(
        &h.post("/auth/passkey/register/options", &json!({"userId": "x"}), Some(&token)),
        400,
        "INVALID_REQUEST",
    );
    assert_error(
        &h.post("/auth/passkey/register/options", &json!({"authenticatorAttachment": "usb"}), Some(&token)),
        400,
        "INVALID_REQUEST",
    );
    let platform =
        h.post("/auth/passkey/register/options", &json!({"authenticatorAttachment": "platform"}), Some(&token));
    assert_eq!(platform.json()["authenticatorSelection"]["authenticatorAttachment"], "platform");
    assert_error(&h.post("/auth/passkey/authenticate/options", &json!({"email": 5}), None), 400, "INVALID_REQUEST");
}

#[test]
fn every_error_code_has_a_stable_name_and_status() {
    use kavach_core::ErrorCode;
    let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
    assert_eq!(ErrorCode::ForbiddenOrigin.status(), 403);
    assert!(ErrorCode::ALL.iter().all(|c| (400..600).contains(&c.status())));
}
