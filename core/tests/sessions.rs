//! A user's own sessions (DESIGN §10): listed, revoked one by one or all but the current one, and
//! renewed as they are used (sliding expiry), never past the absolute cap and never once revoked.

mod support;

use kavach_core::http::Response;
use serde_json::{Value, json};
use support::*;

fn sessions(h: &Harness, token: &str) -> Vec<Value> {
    let response = h.request("GET", "/auth/sessions", None, Some(token));
    assert_eq!(response.status, 200, "{}", response.json());
    response.json()["sessions"].as_array().unwrap().clone()
}

fn delete(h: &Harness, id: &str, token: &str) -> Response {
    h.request("DELETE", &format!("/auth/sessions/{id}"), None, Some(token))
}

fn signed_in(h: &Harness, token: &str) -> bool {
    h.request("GET", "/auth/session", None, Some(token)).status == 200
}

/// Max-Age of a Set-Cookie value.
fn max_age(response: &Response) -> Option<i64> {
    let cookie = response.header_value("set-cookie")?;
    cookie.split("; ").find_map(|part| part.strip_prefix("Max-Age=")).map(|n| n.parse().unwrap())
}

#[test]
fn a_user_lists_their_own_sessions_with_the_current_one_marked() {
    let h = Harness::new();
    let (user_id, first) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &first).status, 200);
    h.advance_ms(1_000);
    let passkey = cookie_token(&h.sign_in(&mut authenticator, None));
    h.signup("grace@example.com"); // someone else's session is never listed

    let listed = sessions(&h, &passkey);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let keys: Vec<&str> = listed[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["authenticatedAt", "createdAt", "current", "expiresAt", "id", "lastSeenAt"]);
    // Newest first: the passkey sign-in, which counts as a passkey check; the host's does not.
    assert_eq!((&listed[0]["current"], &listed[1]["current"]), (&json!(true), &json!(false)));
    assert!(listed[0]["authenticatedAt"].is_string());
    assert!(listed[1]["authenticatedAt"].is_null());
    let own = h.kavach.session(&first).unwrap().unwrap();
    assert_eq!(own.user().id, user_id);
    assert_eq!(listed[1]["id"], own.session().id);
    let current = h.request("GET", "/auth/session", None, Some(&passkey)).json();
    assert!(current["session"]["authenticatedAt"].is_string(), "{current}");
}

#[test]
fn revoking_one_session_signs_it_out_and_another_users_is_not_found() {
    let h = Harness::new();
    let (_, laptop) = h.signup("ada@example.com");
    let phone = h.kavach.create_session(&h.kavach.session(&laptop).unwrap().unwrap().user().id).unwrap();
    let (_, grace) = h.signup("grace@example.com");
    let grace_id = h.kavach.session(&grace).unwrap().unwrap().session().id;

    assert_error(&delete(&h, &grace_id, &laptop), 404, "NOT_FOUND");
    assert!(signed_in(&h, &grace), "another user's session is untouched");
    let revoked = delete(&h, &phone.session.id, &laptop);
    assert_eq!((revoked.status, revoked.json()), (200, json!({"revoked": true})));
    assert!(revoked.header_value("set-cookie").is_none(), "not the current session: no cookie change");
    assert!(!signed_in(&h, &phone.token));
    assert_error(&delete(&h, &phone.session.id, &laptop), 404, "NOT_FOUND");

    // The current one: revoked, and the answer clears the cookie.
    let own_id = sessions(&h, &laptop)[0]["id"].as_str().unwrap().to_owned();
    let own = delete(&h, &own_id, &laptop);
    assert_eq!(own.status, 200);
    assert!(own.header_value("set-cookie").unwrap().contains("Max-Age=0"));
    assert!(!signed_in(&h, &laptop));
    assert_error(&h.request("POST", "/auth/sessions/revoke-others", None, None), 401, "UNAUTHORIZED");
    assert_error(&h.request("GET", "/auth/sessions/x", None, Some(&grace)), 405, "METHOD_NOT_ALLOWED");
}

#[test]
fn revoke_others_keeps_only_the_current_session() {
    let h = Harness::new();
    let (user_id, current) = h.signup("ada@example.com");
    let others: Vec<_> = (0..3).map(|_| h.kavach.create_session(&user_id).unwrap().token).collect();
    let (_, grace) = h.signup("grace@example.com");
    let revoked = h.request("POST", "/auth/sessions/revoke-others", None, Some(&current));
    assert_eq!((revoked.status, revoked.json()), (200, json!({"revoked": 3})));
    assert!(signed_in(&h, &current) && signed_in(&h, &grace));
    assert!(others.iter().all(|token| !signed_in(&h, token)));
    assert_eq!(sessions(&h, &current).len(), 1);
}

const MINUTE: i64 = 60_000;

#[test]
fn a_session_in_use_slides_up_to_its_absolute_cap() {
    // maxAge 1 h, renewed after 10 min of use, never beyond 2 h from the start.
    let h =
        Harness::with_config(json!({}), json!({"session": {"maxAge": 3600, "updateAge": 600, "absoluteMaxAge": 7200}}));
    let (_, token) = h.signup("ada@example.com");
    let expiry = |h: &Harness| h.kavach.session(&token).unwrap().unwrap().session().expires_at;
    let started = expiry(&h);

    h.advance_ms(5 * MINUTE);
    let early = h.request("GET", "/auth/session", None, Some(&token));
    assert!(early.header_value("set-cookie").is_none(), "before updateAge nothing moves");
    h.advance_ms(6 * MINUTE);
    let renewed = h.request("GET", "/auth/passkey/credentials", None, Some(&token));
    assert_eq!(renewed.status, 200);
    assert_eq!(max_age(&renewed), Some(3600), "a full maxAge from now");
    assert!(expiry(&h) > started);

    // Kept in use: renewals stop at the absolute cap, and the session ends there.
    for _ in 0..12 {
        h.advance_ms(11 * MINUTE);
        h.request("GET", "/auth/session", None, Some(&token));
    }
    h.advance_ms(5 * MINUTE); // 137 minutes after the start
    assert!(!signed_in(&h, &token), "ended at 2 h whatever the use");
}

#[test]
fn the_host_api_hands_back_the_refreshed_cookie_and_a_revoked_session_is_never_renewed() {
    let h = Harness::with_config(json!({}), json!({"session": {"maxAge": 3600, "updateAge": 60}}));
    let (_, token) = h.signup("ada@example.com");
    assert!(h.kavach.session_json(&token).unwrap().get("setCookie").is_none());
    h.advance_ms(2 * MINUTE);
    let renewed = h.kavach.session_json(&token).unwrap();
    assert!(renewed["setCookie"].as_str().unwrap().contains(&token), "{renewed}");

    let id = renewed["session"]["id"].as_str().unwrap().to_owned();
    assert!(h.kavach.revoke_session(&id).unwrap());
    h.advance_ms(2 * MINUTE);
    assert!(h.kavach.session_json(&token).unwrap().is_null());
    let answer = h.request("GET", "/auth/session", None, Some(&token));
    assert_error(&answer, 401, "UNAUTHORIZED");
    assert!(answer.header_value("set-cookie").is_none());
}

#[test]
fn session_lifetimes_are_validated_at_start_up() {
    for (session, expected) in [
        (json!({"maxAge": 3600, "absoluteMaxAge": 600}), "session.absoluteMaxAge must be between"),
        (json!({"updateAge": 0}), "session.updateAge must be at least 1 second"),
        (json!({"maxAge": 3600, "absoluteMaxAge": 500 * 86400}), "session.absoluteMaxAge must be between"),
    ] {
        let config = json!({"secret": SECRET, "baseUrl": ORIGIN, "session": session,
            "passkey": {"rpName": "T", "rpId": RP_ID}});
        let err = kavach_core::Settings::from_json(&config.to_string()).unwrap_err();
        assert!(err.message().contains(expected), "{}", err.message());
    }
    // maxAge above 30 days moves the default cap with it.
    let config = json!({"secret": SECRET, "baseUrl": ORIGIN, "session": {"maxAge": 60 * 86400},
        "passkey": {"rpName": "T", "rpId": RP_ID}});
    assert!(kavach_core::Settings::from_json(&config.to_string()).is_ok());
}
