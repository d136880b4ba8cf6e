//! Signal API payloads (WebAuthn Level 3 §5.1.10): what a page hands to
//! `PublicKeyCredential.signalUnknownCredential`, `signalAllAcceptedCredentials` and
//! `signalCurrentUserDetails` so the user's passkey manager stays in step with the server, and
//! never a way to learn who has an account.

mod support;

use kavach_core::http::Response;
use serde_json::json;
use support::*;

/// A user with two passkeys (so one can be deleted) and a session.
fn user_with_two_passkeys(h: &Harness) -> (String, Authenticator, Authenticator) {
    let (_, token) = h.signup("ada@example.com");
    let (mut first, mut second) = (Authenticator::new(), Authenticator::new());
    assert_eq!(h.register(&mut first, &token).status, 200);
    assert_eq!(h.register(&mut second, &token).status, 200);
    (token, first, second)
}

fn id_of(authenticator: &Authenticator) -> String {
    kavach_test_authenticator::b64(&authenticator.credentials()[0].id)
}

fn ids(list: &Response) -> Vec<String> {
    list.json()["credentials"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_usernameless_sign_in_with_a_deleted_passkey_signals_it_unknown() {
    let h = Harness::new();
    let (token, mut deleted, _) = user_with_two_passkeys(&h);
    let list = h.request("GET", "/auth/passkey/credentials", None, Some(&token));
    let gone = ids(&list).into_iter().find(|id| *id == id_of(&deleted)).unwrap();
    assert_eq!(h.request("DELETE", &format!("/auth/passkey/credentials/{gone}"), None, Some(&token)).status, 200);

    let options = h.authenticate_options(None);
    let assertion = deleted.authenticate(&options, ORIGIN).unwrap();
    let answer = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_error(&answer, 404, "CREDENTIAL_NOT_FOUND");
    assert_eq!(answer.json()["signal"], json!({"unknownCredential": {"rpId": RP_ID, "credentialId": gone}}));
    assert!(answer.header_value("set-cookie").is_none());
}

#[test]
fn a_sign_in_by_email_never_signals() {
    // The {email} flow answers an unknown credential like a forged signature (see
    // security_review.rs): a signal there would tell a real email from an unknown one.
    let h = Harness::new();
    let (token, mut deleted, _) = user_with_two_passkeys(&h);
    let options = h.authenticate_options(Some("ada@example.com"));
    let gone = id_of(&deleted);
    assert_eq!(h.request("DELETE", &format!("/auth/passkey/credentials/{gone}"), None, Some(&token)).status, 200);
    let answer = h.post("/auth/passkey/authenticate/verify", &deleted.authenticate(&options, ORIGIN).unwrap(), None);
    assert_error(&answer, 401, "VERIFICATION_FAILED");
    assert!(answer.json().get("signal").is_none(), "{}", answer.json());
}

#[test]
fn a_forged_or_expired_challenge_is_refused_before_any_signal() {
    let h = Harness::new();
    let mut stranger = Authenticator::new();
    let elsewhere = Harness::new();
    let (_, token) = elsewhere.signup("stranger@example.com");
    assert_eq!(elsewhere.register(&mut stranger, &token).status, 200);

    let options = h.authenticate_options(None);
    h.advance_ms(10 * 60 * 1000);
    let answer = h.post("/auth/passkey/authenticate/verify", &stranger.authenticate(&options, ORIGIN).unwrap(), None);
    assert_error(&answer, 400, "CHALLENGE_INVALID");
    assert!(answer.json().get("signal").is_none());
    let forged = json!({"challenge": "Zm9yZ2VkLWNoYWxsZW5nZQ", "rpId": RP_ID, "allowCredentials": []});
    let answer = h.post("/auth/passkey/authenticate/verify", &stranger.authenticate(&forged, ORIGIN).unwrap(), None);
    assert_error(&answer, 400, "CHALLENGE_INVALID");
    assert!(answer.json().get("signal").is_none());
}

#[test]
fn list_and_delete_carry_the_accepted_credentials_and_user_details() {
    let h = Harness::new();
    let (token, _, second) = user_with_two_passkeys(&h);
    let user_handle = h.register_options(&token)["user"].clone();

    let list = h.request("GET", "/auth/passkey/credentials", None, Some(&token));
    let all = ids(&list);
    assert_eq!(all.len(), 2);
    let expected = |ids: Vec<String>| {
        json!({
            "allAcceptedCredentials": {"rpId": RP_ID, "userId": user_handle["id"], "allAcceptedCredentialIds": ids},
            "currentUserDetails": {
                "rpId": RP_ID, "userId": user_handle["id"],
                "name": user_handle["name"], "displayName": user_handle["displayName"],
            },
        })
    };
    assert_eq!(list.json()["signal"], expected(all.clone()));

    let keep: Vec<String> = all.iter().filter(|id| **id == id_of(&second)).cloned().collect();
    let gone = all.iter().find(|id| **id != id_of(&second)).unwrap();
    let deleted = h.request("DELETE", &format!("/auth/passkey/credentials/{gone}"), None, Some(&token));
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["deleted"], true);
    assert_eq!(deleted.json()["signal"], expected(keep));
}
