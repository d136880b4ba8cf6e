//! Step-up (DESIGN §10): a passkey check inside an existing session that creates no session,
//! bound to that session, user verification required, the credential the session user's; and
//! `passkey.requireRecentAuth`, which makes the router demand one (`REAUTH_REQUIRED`).

mod support;

use kavach_core::http::Response;
use serde_json::{Value, json};
use support::*;

/// A user with a registered passkey and a session the host created (no passkey check yet).
fn user_with_passkey(h: &Harness, email: &str) -> (Authenticator, String) {
    let (_, token) = h.signup(email);
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    (authenticator, token)
}

fn step_up_options(h: &Harness, token: Option<&str>) -> Response {
    h.post("/auth/passkey/authenticate/options", &json!({"stepUp": true}), token)
}

fn step_up(h: &Harness, authenticator: &mut Authenticator, token: &str) -> Response {
    let options = step_up_options(h, Some(token));
    assert_eq!(options.status, 200, "{}", options.json());
    let assertion = authenticator.authenticate(&options.json(), ORIGIN).unwrap();
    h.post("/auth/passkey/authenticate/verify", &assertion, Some(token))
}

fn authenticated_at(h: &Harness, token: &str) -> Value {
    h.request("GET", "/auth/session", None, Some(token)).json()["session"]["authenticatedAt"].clone()
}

#[test]
fn a_step_up_marks_the_session_and_creates_none() {
    let h = Harness::new();
    let (mut authenticator, token) = user_with_passkey(&h, "ada@example.com");
    assert!(authenticated_at(&h, &token).is_null(), "a host-created session has had no passkey check");
    let options = step_up_options(&h, Some(&token)).json();
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["allowCredentials"].as_array().unwrap().len(), 1);
    let sessions_before = h.database.count("kavach_sessions");

    h.advance_ms(1_000);
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    let done = h.post("/auth/passkey/authenticate/verify", &assertion, Some(&token));
    assert_eq!(done.status, 200, "{}", done.json());
    let keys: Vec<String> = done.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["authenticatedAt", "sessionId", "userId"]);
    assert!(done.header_value("set-cookie").is_none(), "no new session, no new cookie");
    assert_eq!(h.database.count("kavach_sessions"), sessions_before);
    assert_eq!(authenticated_at(&h, &token), done.json()["authenticatedAt"]);
    // Single use, as every challenge.
    let replay = h.post("/auth/passkey/authenticate/verify", &assertion, Some(&token));
    assert_error(&replay, 400, "CHALLENGE_INVALID");
}

#[test]
fn a_step_up_belongs_to_its_session_and_its_user() {
    let h = Harness::new();
    let (mut authenticator, token) = user_with_passkey(&h, "ada@example.com");
    assert_error(&step_up_options(&h, None), 401, "UNAUTHORIZED");
    let options = step_up_options(&h, Some(&token)).json();
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    // Without the session it was issued in: no step-up (and no sign-in either).
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "UNAUTHORIZED");
    let other_session = h.kavach.create_session(&h.kavach.session(&token).unwrap().unwrap().user().id).unwrap();
    let elsewhere = h.post("/auth/passkey/authenticate/verify", &assertion, Some(&other_session.token));
    assert_error(&elsewhere, 400, "CHALLENGE_INVALID");
    assert!(authenticated_at(&h, &other_session.token).is_null());

    // Another user's passkey, in Grace's own session: refused like a forged signature.
    let (mut graces, grace) = user_with_passkey(&h, "grace@example.com");
    let mut options = step_up_options(&h, Some(&grace)).json();
    options["allowCredentials"] = json!([]); // Ada's authenticator answers with its own passkey
    let mut wrong = authenticator.authenticate(&options, ORIGIN).unwrap();
    wrong["response"]["userHandle"] = Value::Null;
    let refused = h.post("/auth/passkey/authenticate/verify", &wrong, Some(&grace));
    assert_error(&refused, 401, "VERIFICATION_FAILED");
    assert!(authenticated_at(&h, &grace).is_null());
    assert_eq!(step_up(&h, &mut graces, &grace).status, 200);
}

#[test]
fn a_step_up_requires_user_verification_even_when_sign_in_does_not() {
    let h = Harness::with_passkey_options(json!({"userVerification": "discouraged"}));
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new().with_user_verification(false);
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    let refused = step_up(&h, &mut authenticator, &token);
    assert_error(&refused, 401, "VERIFICATION_FAILED");
    assert!(refused.json()["error"].as_str().unwrap().contains("user verification"), "{}", refused.json());
    assert_eq!(h.sign_in(&mut authenticator, Some("ada@example.com")).status, 200, "sign-in itself does not");
}

#[test]
fn step_up_options_take_nothing_else_and_need_a_passkey() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    assert_error(&step_up_options(&h, Some(&token)), 404, "CREDENTIAL_NOT_FOUND");
    for body in [json!({"stepUp": true, "email": "ada@example.com"}), json!({"stepUp": "yes"})] {
        assert_error(&h.post("/auth/passkey/authenticate/options", &body, Some(&token)), 400, "INVALID_REQUEST");
    }
    // stepUp: false is an ordinary sign-in options request.
    let plain = h.post("/auth/passkey/authenticate/options", &json!({"stepUp": false}), None);
    assert_eq!(plain.status, 200);
}

#[test]
fn require_recent_auth_guards_deleting_a_passkey_until_a_step_up() {
    let h = Harness::with_passkey_options(json!({"requireRecentAuth": {"deleteCredential": 300}}));
    let (mut authenticator, token) = user_with_passkey(&h, "ada@example.com");
    assert_eq!(h.register(&mut Authenticator::new(), &token).status, 200);
    let id = h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json()["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = |h: &Harness| h.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token));

    assert_error(&delete(&h), 403, "REAUTH_REQUIRED");
    assert_eq!(step_up(&h, &mut authenticator, &token).status, 200);
    h.advance_ms(301_000);
    assert_error(&delete(&h), 403, "REAUTH_REQUIRED");
    assert_eq!(step_up(&h, &mut authenticator, &token).status, 200);
    assert_eq!(delete(&h).status, 200);

    // A passkey sign-in counts as a check too; the host can demand one for its own actions.
    let signed_in = cookie_token(&h.sign_in(&mut authenticator, Some("ada@example.com")));
    let auth = h.kavach.session(&signed_in).unwrap().unwrap();
    assert!(h.kavach.require_recent_auth(&auth, 60).is_ok());
    h.advance_ms(61_000);
    let auth = h.kavach.session(&signed_in).unwrap().unwrap();
    assert_eq!(h.kavach.require_recent_auth(&auth, 60).unwrap_err().code().as_str(), "REAUTH_REQUIRED");

    // Off by default: DESIGN §3's plain delete.
    let plain = Harness::new();
    let (_, token) = user_with_passkey(&plain, "grace@example.com");
    assert_eq!(plain.register(&mut Authenticator::new(), &token).status, 200);
    let id = plain.request("GET", "/auth/passkey/credentials", None, Some(&token)).json()["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(plain.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token)).status, 200);
}
