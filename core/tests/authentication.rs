//! Signing in: by email, usernameless, and the attacks sign-in must stop.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::*;

fn registered(h: &Harness, email: &str, authenticator: &mut Authenticator) -> (String, String) {
    let (user_id, token) = h.signup(email);
    assert_eq!(h.register(authenticator, &token).status, 200);
    (user_id, token)
}

#[test]
fn signs_in_by_email_and_usernameless_with_a_fresh_session() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    let (user_id, signup_token) = registered(&h, "ada@example.com", &mut authenticator);

    let options = h.authenticate_options(Some("ADA@example.com"));
    assert_eq!(options["rpId"], RP_ID);
    assert_eq!(options["allowCredentials"].as_array().unwrap().len(), 1);
    assert_eq!(options["userVerification"], "preferred");
    let by_email =
        h.post("/auth/passkey/authenticate/verify", &authenticator.authenticate(&options, ORIGIN).unwrap(), None);
    assert_eq!(by_email.status, 200, "{}", by_email.json());
    assert_eq!(by_email.json()["userId"], user_id.as_str());

    let options = h.authenticate_options(None);
    assert_eq!(options["allowCredentials"], json!([]));
    let usernameless = h.post(
        "/auth/passkey/authenticate/verify",
        &json!({"response": authenticator.authenticate(&options, ORIGIN).unwrap()}),
        None,
    );
    assert_eq!(usernameless.status, 200, "{}", usernameless.json());

    // Each sign-in starts a new session; the token is only in the cookie, never in the body.
    let (a, b) = (cookie_token(&by_email), cookie_token(&usernameless));
    assert_ne!(a, b);
    assert_ne!(a, signup_token);
    assert_ne!(by_email.json()["sessionId"], usernameless.json()["sessionId"]);
    assert!(!by_email.body.windows(a.len()).any(|w| w == a.as_bytes()));
    let cookie = by_email.header_value("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly; SameSite=Lax; Path=/; Max-Age=604800; Secure"), "{cookie}");
    let session = h.request("GET", "/auth/session", None, Some(&a)).json();
    assert_eq!(session["user"]["email"], "ada@example.com");
    assert_eq!(session["session"]["id"], by_email.json()["sessionId"]);
}

#[test]
fn a_replayed_assertion_is_refused() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/authenticate/verify", &assertion, None).status, 200);
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 400, "CHALLENGE_INVALID");
}

#[test]
fn concurrent_verifies_of_one_challenge_give_exactly_one_session() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| h.post("/auth/passkey/authenticate/verify", &assertion, None).status))
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 200 || s == 400), "{statuses:?}");
}

#[test]
fn an_expired_challenge_is_refused() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    h.advance_ms(90_001);
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 400, "CHALLENGE_INVALID");
}

#[test]
fn a_registration_challenge_cannot_sign_in() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    let (_, token) = registered(&h, "ada@example.com", &mut authenticator);
    let registration_options = h.register_options(&token);
    let options = json!({"challenge": registration_options["challenge"], "rpId": RP_ID, "allowCredentials": []});
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 400, "CHALLENGE_INVALID");
}

#[test]
fn sign_in_checks_origin_rp_id_type_presence_and_signature() {
    let cases: Vec<(&str, Tweaks)> = vec![
        ("wrong origin", Tweaks { origin_override: Some("https://evil.example.net".into()), ..Default::default() }),
        ("wrong rpId", Tweaks { rp_id_override: Some("evil.com".into()), ..Default::default() }),
        ("wrong type", Tweaks { client_data_type: Some("webauthn.create".into()), ..Default::default() }),
        ("no user presence", Tweaks { flags_clear: flags::UP, ..Default::default() }),
        ("bad signature", Tweaks { corrupt_signature: true, ..Default::default() }),
    ];
    for (what, tweaks) in cases {
        let h = Harness::new();
        let mut authenticator = Authenticator::new();
        registered(&h, "ada@example.com", &mut authenticator);
        let options = h.authenticate_options(None);
        let assertion = authenticator.authenticate_with(&options, ORIGIN, &tweaks).unwrap();
        let result = h.post("/auth/passkey/authenticate/verify", &assertion, None);
        assert_error(&result, 401, "VERIFICATION_FAILED");
        assert!(result.header_value("set-cookie").is_none(), "{what}");
    }
}

#[test]
fn a_challenge_the_response_does_not_carry_is_refused() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let tweaks = Tweaks { challenge_override: Some("bm90LXRoZS1jaGFsbGVuZ2U".into()), ..Default::default() };
    let assertion = authenticator.authenticate_with(&options, ORIGIN, &tweaks).unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 400, "CHALLENGE_INVALID");
}

#[test]
fn user_verification_is_enforced_when_required() {
    let h = Harness::with_passkey_options(json!({"userVerification": "required"}));
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let tweaks = Tweaks { flags_clear: flags::UV, ..Default::default() };
    let assertion = authenticator.authenticate_with(&options, ORIGIN, &tweaks).unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn a_counter_that_goes_back_is_refused() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new().with_counter(true);
    registered(&h, "ada@example.com", &mut authenticator);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    // A clone of the authenticator from before the second sign-in.
    authenticator.credentials_mut()[0].counter = 0;
    let result = h.sign_in(&mut authenticator, None);
    assert_error(&result, 401, "COUNTER_REGRESSION");
}

#[test]
fn synced_passkeys_without_counters_sign_in_repeatedly() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new().with_counter(false).with_backup(true, true);
    registered(&h, "ada@example.com", &mut authenticator);
    for _ in 0..3 {
        assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    }
}

#[test]
fn a_user_handle_of_another_user_is_refused() {
    let h = Harness::new();
    let mut alice = Authenticator::new();
    let mut bob = Authenticator::new();
    registered(&h, "alice@example.com", &mut alice);
    registered(&h, "bob@example.com", &mut bob);
    let options = h.authenticate_options(None);
    let mut assertion = alice.authenticate(&options, ORIGIN).unwrap();
    assertion["response"]["userHandle"] = json!(kavach_test_authenticator::b64(&bob.credentials()[0].user_handle));
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn usernameless_sign_in_needs_a_user_handle() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "ada@example.com", &mut authenticator);
    let options = h.authenticate_options(None);
    let mut assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    assertion["response"].as_object_mut().unwrap().remove("userHandle");
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn sign_in_by_email_refuses_another_users_credential() {
    let h = Harness::new();
    let mut alice = Authenticator::new();
    let mut bob = Authenticator::new();
    registered(&h, "alice@example.com", &mut alice);
    registered(&h, "bob@example.com", &mut bob);
    // Options for Alice, answered by Bob's passkey (Bob's authenticator ignores the allow list).
    let options = h.authenticate_options(Some("alice@example.com"));
    let usernameless = json!({"challenge": options["challenge"], "rpId": RP_ID, "allowCredentials": []});
    let assertion = bob.authenticate(&usernameless, ORIGIN).unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn an_unregistered_credential_is_refused() {
    let h = Harness::new();
    let mut stranger = Authenticator::new();
    let options = h.authenticate_options(None);
    // The stranger registered with some other relying party's server, same RP ID.
    let fake_creation = json!({"rp": {"id": RP_ID, "name": "x"}, "user": {"id": "AAAA", "name": "x", "displayName": "x"},
        "challenge": "AAAA", "pubKeyCredParams": [{"type": "public-key", "alg": -7}]});
    stranger.register(&fake_creation, ORIGIN).unwrap();
    let assertion = stranger.authenticate(&options, ORIGIN).unwrap();
    // Usernameless: a passkey kavach does not know, signalled so the page can tell the passkey
    // manager (signal.rs); by email it would be a 401 like a forged signature.
    let answer = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_error(&answer, 404, "CREDENTIAL_NOT_FOUND");
    assert!(answer.header_value("set-cookie").is_none());
}

fn shape(value: &Value) -> Value {
    match value {
        // Transports differ between real authenticators too: only their type is compared.
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| (k.clone(), if k == "transports" { json!("array") } else { shape(v) })).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        other => other.clone(),
    }
}

#[test]
fn unknown_email_answers_like_known_email() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new();
    registered(&h, "known@example.com", &mut authenticator);
    let known = h.authenticate_options(Some("known@example.com"));
    let unknown = h.authenticate_options(Some("unknown@example.com"));
    // The same members and types everywhere; how many descriptors, and their ID lengths and
    // transports, follow real authenticators (compared statistically in security_review.rs).
    let outline = |v: &Value| {
        let mut outline = shape(v);
        outline["allowCredentials"] = shape(&v["allowCredentials"][0]);
        outline
    };
    assert_eq!(outline(&known), outline(&unknown));
    for descriptor in unknown["allowCredentials"].as_array().unwrap() {
        assert_eq!(shape(descriptor), shape(&known["allowCredentials"][0]));
    }
    let id_len = |v: &Value| v["allowCredentials"][0]["id"].as_str().unwrap().len();
    assert!(id_len(&unknown) >= 22, "fake ids look like real ones");
    // Stable for one email (so repeated probing shows nothing changing), distinct across emails.
    assert_eq!(h.authenticate_options(Some("unknown@example.com"))["allowCredentials"], unknown["allowCredentials"]);
    let other = h.authenticate_options(Some("other@example.com"));
    assert_ne!(other["allowCredentials"], unknown["allowCredentials"]);
    // A user who exists but has no passkey looks the same as one who does not exist.
    h.signup("nopasskey@example.com");
    assert_eq!(outline(&h.authenticate_options(Some("nopasskey@example.com"))), outline(&known));
    let ids: BTreeSet<_> = [known, unknown].iter().map(|v| v["challenge"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2, "every options call issues a new challenge");
}

#[test]
fn sign_in_records_last_use_and_backup_state() {
    let h = Harness::new();
    let mut authenticator = Authenticator::new().with_backup(true, false);
    let (_, token) = registered(&h, "ada@example.com", &mut authenticator);
    let before = h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json();
    assert_eq!(before["credentials"][0]["lastUsedAt"], Value::Null);
    assert_eq!(before["credentials"][0]["backedUp"], false);
    h.advance_ms(5_000);
    let options = h.authenticate_options(None);
    let tweaks = Tweaks { flags_set: flags::BS, ..Default::default() };
    let assertion = authenticator.authenticate_with(&options, ORIGIN, &tweaks).unwrap();
    assert_eq!(h.post("/auth/passkey/authenticate/verify", &assertion, None).status, 200);
    let after = h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json();
    assert!(after["credentials"][0]["lastUsedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(after["credentials"][0]["backedUp"], true);
}
