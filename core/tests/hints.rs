//! `hints` (WebAuthn Level 3 `PublicKeyCredentialHint`): the configured default in both options,
//! a request's own hints instead, and clear refusals for anything else.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use kavach_core::http::Response;
use kavach_core::{ErrorCode, Kavach};
use serde_json::{Value, json};
use support::*;

fn register_options(h: &Harness, body: Value) -> Response {
    static USERS: AtomicUsize = AtomicUsize::new(0);
    let (_, token) = h.signup(&format!("user-{}@example.com", USERS.fetch_add(1, Ordering::Relaxed)));
    h.post("/auth/passkey/register/options", &body, Some(&token))
}

fn authenticate_options(h: &Harness, body: Value) -> Response {
    h.post("/auth/passkey/authenticate/options", &body, None)
}

#[test]
fn without_hints_the_options_carry_none() {
    let h = Harness::new();
    assert!(register_options(&h, json!({})).json().get("hints").is_none());
    assert!(authenticate_options(&h, json!({})).json().get("hints").is_none());
}

#[test]
fn configured_hints_are_in_both_options_in_order() {
    let h = Harness::with_passkey_options(json!({"hints": ["security-key", "hybrid"]}));
    assert_eq!(register_options(&h, json!({})).json()["hints"], json!(["security-key", "hybrid"]));
    assert_eq!(authenticate_options(&h, json!({})).json()["hints"], json!(["security-key", "hybrid"]));
    let by_email = authenticate_options(&h, json!({"email": "nobody@example.com"})).json();
    assert_eq!(by_email["hints"], json!(["security-key", "hybrid"]));
}

#[test]
fn a_request_sets_its_own_hints() {
    let h = Harness::with_passkey_options(json!({"hints": ["security-key"]}));
    let options = register_options(&h, json!({"hints": ["client-device"], "name": "Laptop"})).json();
    assert_eq!(options["hints"], json!(["client-device"]));
    assert_eq!(authenticate_options(&h, json!({"hints": ["hybrid"]})).json()["hints"], json!(["hybrid"]));
    // An empty list asks for none, whatever is configured.
    assert!(authenticate_options(&h, json!({"hints": []})).json().get("hints").is_none());
    // The ceremony still completes with the options a request shaped.
    let (_, token) = h.signup("grace@example.com");
    let options = h.post("/auth/passkey/register/options", &json!({"hints": ["hybrid"]}), Some(&token)).json();
    let mut authenticator = Authenticator::new();
    let credential = authenticator.register(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
}

#[test]
fn bad_hints_in_a_request_are_invalid_requests() {
    let h = Harness::new();
    for body in [json!({"hints": ["usb"]}), json!({"hints": "hybrid"}), json!({"hints": ["hybrid", "hybrid"]})] {
        let register = register_options(&h, body.clone());
        assert_error(&register, 400, "INVALID_REQUEST");
        assert!(register.json()["error"].as_str().unwrap().starts_with("hints "), "{}", register.json());
        let authenticate = authenticate_options(&h, body);
        assert_error(&authenticate, 400, "INVALID_REQUEST");
        assert!(authenticate.json()["error"].as_str().unwrap().starts_with("hints "), "{}", authenticate.json());
    }
}

#[test]
fn bad_configured_hints_stop_start_up() {
    for (hints, message) in [
        (json!(["usb"]), "passkey.hints must be a list of 'security-key', 'client-device' or 'hybrid'"),
        (json!("hybrid"), "passkey.hints must be a list of"),
        (json!(["hybrid", "hybrid"]), "passkey.hints lists a hint twice"),
    ] {
        let config = json!({
            "database": {"url": ":memory:"},
            "secret": SECRET,
            "baseUrl": ORIGIN,
            "plugins": [{"id": "passkey", "rpName": "Test App", "rpId": RP_ID, "hints": hints}],
        });
        let err = Kavach::from_json(&config.to_string()).err().expect("start-up should fail");
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().starts_with(message), "{hints}: {}", err.message());
    }
}
