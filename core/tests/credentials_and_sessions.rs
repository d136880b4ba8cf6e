//! Managing passkeys and sessions: list, rename, delete, the last-credential rule, session
//! transport (cookie, bearer), expiry, revocation and sign-out.

mod support;

use serde_json::{Value, json};
use support::*;

fn credentials(h: &Harness, token: &str) -> Vec<Value> {
    let response = h.request("GET", "/auth/passkey/credentials", None, Some(token));
    assert_eq!(response.status, 200, "{}", response.json());
    response.json()["credentials"].as_array().unwrap().clone()
}

#[test]
fn lists_credentials_newest_first_with_the_documented_fields() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let first = h.register(&mut Authenticator::new(), &token).json()["credential"].clone();
    h.advance_ms(1_000);
    let second = h.register(&mut Authenticator::new(), &token).json()["credential"].clone();
    let list = credentials(&h, &token);
    assert_eq!(list, [second.clone(), first]);
    let keys: Vec<&str> = second.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "aaguid",
            "attestation",
            "backedUp",
            "cloneWarning",
            "createdAt",
            "createdBy",
            "deviceType",
            "discoverable",
            "id",
            "lastUsedAt",
            "name",
            "prfEnabled",
            "transports"
        ]
    );
    assert_eq!(
        (&second["cloneWarning"], &second["createdBy"], &second["prfEnabled"]),
        (&json!(false), &json!("registration"), &json!(false))
    );
    assert_eq!(
        second["attestation"],
        json!({"format": "none", "trust": "none", "root": null, "source": null, "aaguidAttested": false})
    );
    assert!(second["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn renames_a_credential() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let id = h.register(&mut Authenticator::new(), &token).json()["credential"]["id"].as_str().unwrap().to_owned();
    let renamed = h.request(
        "PATCH",
        &format!("/auth/passkey/credentials/{id}"),
        Some(&json!({"name": "  YubiKey  "})),
        Some(&token),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.json());
    assert_eq!(renamed.json()["credential"]["name"], "YubiKey");
    assert_eq!(credentials(&h, &token)[0]["name"], "YubiKey");
    for bad in [json!({"name": ""}), json!({"name": "x".repeat(65)}), json!({"name": 5}), json!({})] {
        let response = h.request("PATCH", &format!("/auth/passkey/credentials/{id}"), Some(&bad), Some(&token));
        assert_error(&response, 400, "INVALID_REQUEST");
    }
}

#[test]
fn deletes_a_credential_but_never_the_last_one_by_default() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let first = h.register(&mut Authenticator::new(), &token).json()["credential"]["id"].as_str().unwrap().to_owned();
    let second = h.register(&mut Authenticator::new(), &token).json()["credential"]["id"].as_str().unwrap().to_owned();
    let deleted = h.request("DELETE", &format!("/auth/passkey/credentials/{first}"), None, Some(&token));
    assert_eq!((deleted.status, &deleted.json()["deleted"]), (200, &json!(true)));
    assert_eq!(deleted.json()["signal"]["allAcceptedCredentials"]["allAcceptedCredentialIds"], json!([second]));
    assert_error(
        &h.request("DELETE", &format!("/auth/passkey/credentials/{second}"), None, Some(&token)),
        409,
        "LAST_CREDENTIAL",
    );
    assert_eq!(credentials(&h, &token).len(), 1);
    assert_error(
        &h.request("DELETE", &format!("/auth/passkey/credentials/{first}"), None, Some(&token)),
        404,
        "CREDENTIAL_NOT_FOUND",
    );
}

#[test]
fn the_last_credential_can_go_when_the_host_says_there_is_another_way_in() {
    let h = Harness::new();
    let (user_id, token) = h.signup("ada@example.com");
    let id = h.register(&mut Authenticator::new(), &token).json()["credential"]["id"].as_str().unwrap().to_owned();
    h.kavach.set_user_has_other_sign_in(&user_id, true).unwrap();
    assert_eq!(h.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token)).status, 200);

    let configured = Harness::with_passkey_options(json!({"allowDeletingLastPasskey": true}));
    let (_, token) = configured.signup("ada@example.com");
    let id =
        configured.register(&mut Authenticator::new(), &token).json()["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        configured.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token)).status,
        200
    );
}

#[test]
fn another_users_credential_is_not_found_for_delete_and_rename() {
    let h = Harness::new();
    let (_, alice) = h.signup("alice@example.com");
    let (_, mallory) = h.signup("mallory@example.com");
    let alice_id =
        h.register(&mut Authenticator::new(), &alice).json()["credential"]["id"].as_str().unwrap().to_owned();
    h.register(&mut Authenticator::new(), &alice);
    h.register(&mut Authenticator::new(), &mallory);
    let path = format!("/auth/passkey/credentials/{alice_id}");
    assert_error(&h.request("DELETE", &path, None, Some(&mallory)), 404, "CREDENTIAL_NOT_FOUND");
    assert_error(
        &h.request("PATCH", &path, Some(&json!({"name": "mine"})), Some(&mallory)),
        404,
        "CREDENTIAL_NOT_FOUND",
    );
    assert_eq!(credentials(&h, &alice).len(), 2);
    assert!(credentials(&h, &alice).iter().all(|c| c["name"] != "mine"));
}

#[test]
fn malformed_credential_ids_are_invalid_requests() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    for id in ["not%20base64", "abc=", "a+b"] {
        assert_error(
            &h.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token)),
            400,
            "INVALID_REQUEST",
        );
    }
}

#[test]
fn sessions_work_by_cookie_and_bearer_and_never_otherwise() {
    let h = Harness::new();
    let (user_id, token) = h.signup("ada@example.com");
    let by_cookie = h.request("GET", "/auth/session", None, Some(&token));
    assert_eq!(by_cookie.json()["user"]["id"], user_id.as_str());
    let bearer =
        kavach_core::http::Request::new("GET", "/auth/session").header("authorization", &format!("Bearer {token}"));
    assert_eq!(h.kavach.handle(&bearer).json()["user"]["id"], user_id.as_str());
    for bad in ["", "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_error(&h.request("GET", "/auth/session", None, Some(bad)), 401, "UNAUTHORIZED");
    }
    assert_error(&h.request("GET", "/auth/session", None, None), 401, "UNAUTHORIZED");
    // The host API resolves the same forms.
    assert!(h.kavach.session(&token).unwrap().is_some());
    assert!(h.kavach.session(&format!("__Host-kavach_session={token}")).unwrap().is_some());
    assert!(h.kavach.session(&format!("Bearer {token}")).unwrap().is_some());
}

#[test]
fn sessions_expire() {
    // Unused for maxAge: gone (a session in use slides: tests/sessions.rs).
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    h.advance_ms(604_800_000 - 1);
    let (_, fresh) = h.signup("grace@example.com");
    h.advance_ms(1);
    assert_error(&h.request("GET", "/auth/session", None, Some(&token)), 401, "UNAUTHORIZED");
    assert_eq!(h.request("GET", "/auth/session", None, Some(&fresh)).status, 200);
}

#[test]
fn sign_out_revokes_the_session_and_clears_the_cookie() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let (_, other) = {
        let user = h.kavach.user_by_email("ada@example.com").unwrap().unwrap();
        (user.id.clone(), h.kavach.create_session(&user.id).unwrap().token)
    };
    let response = h.post("/auth/sign-out", &json!({}), Some(&token));
    assert_eq!((response.status, response.json()), (200, json!({"signedOut": true})));
    assert!(
        response
            .header_value("set-cookie")
            .unwrap()
            .contains("__Host-kavach_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0")
    );
    assert_error(&h.request("GET", "/auth/session", None, Some(&token)), 401, "UNAUTHORIZED");
    assert_eq!(h.request("GET", "/auth/session", None, Some(&other)).status, 200, "other sessions live on");
}

#[test]
fn revoked_sessions_are_refused() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let session = h.kavach.session(&token).unwrap().unwrap().session();
    assert!(h.kavach.revoke_session(&session.id).unwrap());
    assert!(!h.kavach.revoke_session(&session.id).unwrap());
    assert_error(&h.request("GET", "/auth/passkey/credentials", None, Some(&token)), 401, "UNAUTHORIZED");
}

#[test]
fn host_user_api_creates_finds_and_refuses_duplicates() {
    let h = Harness::new();
    let user = h.kavach.create_user(" Ada@Example.com ", Some("Ada")).unwrap();
    assert_eq!(user.email, "Ada@Example.com");
    assert_eq!(h.kavach.user(&user.id).unwrap(), Some(user.clone()));
    assert_eq!(h.kavach.user_by_email("ada@example.COM").unwrap(), Some(user.clone()));
    assert_eq!(h.kavach.create_user("ada@example.com", None).unwrap_err().code(), kavach_core::ErrorCode::UserExists);
    assert_eq!(h.kavach.create_user("not-an-email", None).unwrap_err().code(), kavach_core::ErrorCode::InvalidRequest);
    assert_eq!(h.kavach.create_session("no-such-user").unwrap_err().code(), kavach_core::ErrorCode::UserNotFound);
    let session = h.kavach.create_session(&user.id).unwrap();
    assert!(session.set_cookie.starts_with(&format!("__Host-kavach_session={}", session.token)));
}
