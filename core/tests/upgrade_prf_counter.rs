//! WebAuthn Level 3 features of a credential's life (DESIGN §9), each with real signatures:
//! conditional create (automatic passkey upgrade), `credProps`, PRF (outputs never kept),
//! `counterPolicy: 'flag'`, and `credentials.import` with the U2F `appid` extension.

mod support;

use kavach_core::Settings;
use kavach_core::http::Response;
use kavach_test_authenticator::{StoredCredential, b64, decode_b64url};
use serde_json::{Value, json};
use support::*;

fn register_body(h: &Harness, token: &str, body: Value) -> Response {
    h.post("/auth/passkey/register/options", &body, Some(token))
}

fn credentials(h: &Harness, token: &str) -> Vec<Value> {
    h.request("GET", "/auth/passkey/credentials", None, Some(token)).json()["credentials"].as_array().unwrap().clone()
}

/// What an authenticator doing a conditional create may send: no gesture, no verification.
fn no_gesture() -> Tweaks {
    Tweaks { flags_clear: 0x01 | 0x04, ..Default::default() }
}

fn config_error(passkey: Value) -> String {
    let config = json!({
        "secret": SECRET, "baseUrl": "https://app.example.com",
        "passkey": {"rpName": "Test", "rpId": RP_ID, "origin": ORIGIN}
    });
    let mut config = config;
    config["passkey"].as_object_mut().unwrap().extend(passkey.as_object().unwrap().clone());
    Settings::from_json(&config.to_string()).unwrap_err().message().to_owned()
}

#[test]
fn a_conditional_create_accepts_a_response_without_user_presence_and_records_it() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = register_body(&h, &token, json!({"mediation": "conditional"}));
    assert_eq!(options.status, 200, "{}", options.json());
    let credential = Authenticator::new().register_with_tweaks(&options.json(), ORIGIN, None, &no_gesture()).unwrap();
    let registered = h.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_eq!(registered.status, 200, "{}", registered.json());
    assert_eq!(registered.json()["credential"]["createdBy"], "conditional");
    assert_eq!(credentials(&h, &token)[0]["createdBy"], "conditional");
}

#[test]
fn an_ordinary_registration_still_requires_user_presence() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let credential = Authenticator::new().register_with_tweaks(&options, ORIGIN, None, &no_gesture()).unwrap();
    let refused = h.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_error(&refused, 400, "VERIFICATION_FAILED");
    assert!(refused.json()["error"].as_str().unwrap().contains("user presence"), "{}", refused.json());
    // The conditional flag travels in the challenge's MAC: a client cannot add it afterwards.
    assert!(credentials(&h, &token).is_empty());
}

#[test]
fn conditional_create_is_refused_when_off_or_when_user_verification_is_required() {
    for options in [json!({"conditionalCreate": false}), json!({"userVerification": "required"})] {
        let h = Harness::with_passkey_options(options.clone());
        let (_, token) = h.signup("ada@example.com");
        let refused = register_body(&h, &token, json!({"mediation": "conditional"}));
        assert_error(&refused, 400, "INVALID_REQUEST");
        assert!(refused.json()["error"].as_str().unwrap().contains("conditional"), "{options}");
    }
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    assert_error(&register_body(&h, &token, json!({"mediation": "silent"})), 400, "INVALID_REQUEST");
    let message = config_error(json!({"conditionalCreate": true, "userVerification": "required"}));
    assert!(message.contains("passkey.conditionalCreate needs passkey.userVerification"), "{message}");
}

#[test]
fn cred_props_records_whether_the_credential_is_discoverable() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    assert_eq!(options["extensions"], json!({"credProps": true}));
    let credential = Authenticator::new().register(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
    // A second one whose client did not report credProps.
    let options = h.register_options(&token);
    let mut credential = Authenticator::new().register(&options, ORIGIN).unwrap();
    credential["clientExtensionResults"] = json!({});
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
    let list = credentials(&h, &token);
    assert_eq!((&list[0]["discoverable"], &list[1]["discoverable"]), (&Value::Null, &json!(true)));
}

#[test]
fn prf_is_requested_recorded_and_its_outputs_are_never_kept() {
    const SECRET_OUTPUT: &str = "UFJGLW91dHB1dC1uZXZlci1zdG9yZWQtb3ItbG9nZ2Vk";
    let h = Harness::with_passkey_options(json!({"prf": true}));
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    assert_eq!(options["extensions"], json!({"credProps": true, "prf": {}}));
    let mut authenticator = Authenticator::new();
    let mut credential = authenticator.register(&options, ORIGIN).unwrap();
    credential["clientExtensionResults"]["prf"] = json!({"enabled": true, "results": {"first": SECRET_OUTPUT}});
    let registered = h.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_eq!(registered.status, 200, "{}", registered.json());
    assert_eq!(registered.json()["credential"]["prfEnabled"], true);

    // The host passes salts; a page would evaluate them and must strip the outputs; kavach drops
    // any that arrive anyway.
    let salted = h.kavach.authenticate_options_request_json(r#"{"prf": {"eval": {"first": "c2FsdA"}}}"#).unwrap();
    assert_eq!(salted["extensions"]["prf"], json!({"eval": {"first": "c2FsdA"}}));
    let mut assertion = authenticator.authenticate(&salted, ORIGIN).unwrap();
    assertion["clientExtensionResults"]["prf"] = json!({"results": {"first": SECRET_OUTPUT}});
    let signed_in = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
    let host_api = {
        let options = h.authenticate_options(None);
        let mut assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
        assertion["clientExtensionResults"]["prf"] = json!({"results": {"first": SECRET_OUTPUT}});
        h.kavach.authenticate_verify_json(&assertion.to_string()).unwrap()
    };
    assert!(!host_api.to_string().contains(SECRET_OUTPUT));

    // Everything SQLite holds (the WAL included) is searched for the output, as text and bytes.
    if let TestDatabase::Sqlite { path, .. } = &h.database {
        let raw = decode_b64url(SECRET_OUTPUT).unwrap();
        for file in [path.clone(), path.with_extension("db-wal")] {
            let stored = std::fs::read(&file).unwrap_or_default();
            for needle in [SECRET_OUTPUT.as_bytes(), &raw[..]] {
                assert!(!stored.windows(needle.len()).any(|w| w == needle), "a PRF output reached {file:?}");
            }
        }
    }
    for body in [registered.body, signed_in.body] {
        assert!(!String::from_utf8_lossy(&body).contains(SECRET_OUTPUT));
    }
}

#[test]
fn per_credential_prf_salts_need_an_email() {
    let h = Harness::with_passkey_options(json!({"prf": true}));
    let by_credential = r#""prf": {"evalByCredential": {"AAAA": {"first": "c2FsdA"}}}"#;
    let err = h.kavach.authenticate_options_request_json(&format!("{{{by_credential}}}")).unwrap_err();
    assert!(err.message().contains("needs an email"), "{}", err.message());
    let by_email = format!(r#"{{"email": "ada@example.com", {by_credential}}}"#);
    assert!(h.kavach.authenticate_options_request_json(&by_email).is_ok());
}

#[test]
fn bad_prf_inputs_are_invalid_requests() {
    let h = Harness::with_passkey_options(json!({"prf": true}));
    for body in [
        r#"{"prf": {"eval": {"second": "c2FsdA"}}}"#,
        r#"{"prf": {"eval": {"first": "not base64url!"}}}"#,
        r#"{"prf": {"evaluate": {}}}"#,
        r#"{"prf": {"evalByCredential": {"!!": {"first": "c2FsdA"}}}}"#,
        r#"{"prf": [1]}"#,
        r#"{"email": "a@example.com", "salt": "x"}"#,
    ] {
        let err = h.kavach.authenticate_options_request_json(body).unwrap_err();
        assert_eq!(err.code(), kavach_core::ErrorCode::InvalidRequest, "{body}");
    }
}

/// A registered passkey whose authenticator then presents a counter lower than the stored one.
fn regressed_sign_in(h: &Harness) -> (Response, String) {
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    authenticator.credentials_mut()[0].counter = 0; // the clone's next counter is 1 < 2
    (h.sign_in(&mut authenticator, None), token)
}

#[test]
fn a_regressed_counter_is_refused_under_the_strict_policy() {
    let h = Harness::new();
    let (refused, token) = regressed_sign_in(&h);
    assert_error(&refused, 401, "COUNTER_REGRESSION");
    assert_eq!(credentials(&h, &token)[0]["cloneWarning"], false);
}

#[test]
fn a_regressed_counter_under_flag_signs_in_and_marks_the_credential() {
    let h = Harness::with_passkey_options(json!({"counterPolicy": "flag"}));
    let (signed_in, token) = regressed_sign_in(&h);
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
    assert_eq!(credentials(&h, &token)[0]["cloneWarning"], true);
    // The highest counter seen stays stored: the clone is flagged again next time.
    let id = credentials(&h, &token)[0]["id"].as_str().unwrap().to_owned();
    let stored = h.database.query_one(
        "SELECT counter FROM kavach_passkey_credentials WHERE credential_id = ?1",
        &decode_b64url(&id).unwrap(),
    );
    assert_eq!(stored.unwrap().0[0].int(), 2);
    assert!(config_error(json!({"counterPolicy": "warn"})).contains("'strict' or 'flag'"));
}

/// The uncompressed P-256 point of a software ES256 credential (from its COSE key's x and y):
/// what a U2F registration returned.
fn u2f_point(credential: &StoredCredential) -> Vec<u8> {
    let cose = &credential.cose_public_key;
    let after = |label: &[u8]| {
        let at = cose.windows(3).position(|w| w == label).expect("an EC2 coordinate") + 3;
        cose[at..at + 32].to_vec()
    };
    [vec![0x04], after(&[0x21, 0x58, 0x20]), after(&[0x22, 0x58, 0x20])].concat()
}

const APP_ID: &str = "https://app.example.com/u2f-app-id.json";

/// A U2F credential imported for a new user; the authenticator holds it under the RP ID (the
/// options' `rpId`) and signs with the AppID's hash, as a U2F key does.
fn imported_u2f(h: &Harness) -> (Authenticator, String) {
    let (user_id, _) = h.signup("legacy@example.com");
    let mut authenticator = Authenticator::new();
    let scratch = Harness::new();
    let (_, scratch_token) = scratch.signup("scratch@example.com");
    authenticator.register_with(&scratch.register_options(&scratch_token), ORIGIN, Algorithm::Es256).unwrap();
    let credential = authenticator.credentials()[0].clone();
    let imported = h
        .kavach
        .import_credential_json(
            &json!({
                "userId": user_id, "credentialId": b64(&credential.id), "publicKey": b64(&u2f_point(&credential)),
                "counter": 0, "format": "u2f", "transports": ["usb"],
            })
            .to_string(),
        )
        .unwrap();
    assert_eq!((&imported["createdBy"], &imported["name"]), (&json!("import"), &json!("Security key")));
    (authenticator, user_id)
}

fn appid_assertion(authenticator: &mut Authenticator, options: &Value) -> Value {
    let tweaks = Tweaks { rp_id_override: Some(APP_ID.to_owned()), ..Default::default() };
    let mut assertion = authenticator.authenticate_with(options, ORIGIN, &tweaks).unwrap();
    assertion["clientExtensionResults"] = json!({"appid": true});
    // A U2F key has no user handle to return.
    assertion["response"].as_object_mut().unwrap().remove("userHandle");
    assertion
}

#[test]
fn an_imported_u2f_credential_signs_in_through_the_appid_extension() {
    let h = Harness::with_passkey_options(json!({"appid": APP_ID}));
    let (mut authenticator, user_id) = imported_u2f(&h);
    // Signed over the AppID's hash while the client does not say it used appid (absent, or
    // false): the RP ID hash is compared with the rpId's, and does not match.
    for claimed in [json!({}), json!({"appid": false})] {
        let options = h.authenticate_options(Some("legacy@example.com"));
        let mut unclaimed = appid_assertion(&mut authenticator, &options);
        unclaimed["clientExtensionResults"] = claimed;
        assert_error(&h.post("/auth/passkey/authenticate/verify", &unclaimed, None), 401, "VERIFICATION_FAILED");
    }
    let options = h.authenticate_options(Some("legacy@example.com"));
    assert_eq!(options["extensions"], json!({"appid": APP_ID}));
    let signed_in = h.post("/auth/passkey/authenticate/verify", &appid_assertion(&mut authenticator, &options), None);
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
    assert_eq!(signed_in.json()["userId"], user_id);
}

#[test]
fn the_appid_is_honoured_only_when_offered_and_only_for_u2f_credentials() {
    // Not configured: a client claiming appid is refused before the signature counts.
    let h = Harness::new();
    let (mut authenticator, _) = imported_u2f(&h);
    let options = h.authenticate_options(Some("legacy@example.com"));
    assert!(options.get("extensions").is_none());
    let refused = h.post("/auth/passkey/authenticate/verify", &appid_assertion(&mut authenticator, &options), None);
    assert_error(&refused, 401, "VERIFICATION_FAILED");

    // Configured, but the credential was registered with WebAuthn: refused, and the challenge
    // is spent.
    let h = Harness::with_passkey_options(json!({"appid": APP_ID}));
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    let options = h.authenticate_options(Some("ada@example.com"));
    let assertion = appid_assertion(&mut authenticator, &options);
    let refused = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_error(&refused, 401, "VERIFICATION_FAILED");
    assert!(refused.json()["error"].as_str().unwrap().contains("U2F"), "{}", refused.json());
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 400, "CHALLENGE_INVALID");
}

#[test]
fn an_imported_webauthn_credential_signs_in_as_registered() {
    let h = Harness::new();
    let (user_id, _) = h.signup("moved@example.com");
    let scratch = Harness::new();
    let (_, scratch_token) = scratch.signup("scratch@example.com");
    let mut authenticator = Authenticator::new();
    authenticator.register(&scratch.register_options(&scratch_token), ORIGIN).unwrap();
    let credential = authenticator.credentials()[0].clone();
    let import = |id: &[u8]| {
        h.kavach.import_credential_json(
            &json!({"userId": user_id, "credentialId": b64(id), "publicKey": b64(&credential.cose_public_key),
                    "counter": credential.counter, "format": "webauthn", "name": "Old laptop",
                    "userHandle": b64(&credential.user_handle), "transports": ["usb", "USB", "bt", "nfc", "usb"]})
            .to_string(),
        )
    };
    let imported = import(&credential.id).unwrap();
    assert_eq!(imported["name"], "Old laptop");
    // Only transports browsers know, once each (a made-up list would mark the account as real).
    assert_eq!(imported["transports"], json!(["usb", "nfc"]));
    assert_eq!(import(&credential.id).unwrap_err().code(), kavach_core::ErrorCode::CredentialExists);
    let signed_in = h.sign_in(&mut authenticator, Some("moved@example.com"));
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
}

#[test]
fn an_imported_synced_passkey_keeps_its_backup_eligibility() {
    let h = Harness::new();
    let (user_id, _) = h.signup("synced@example.com");
    let scratch = Harness::new();
    let (_, scratch_token) = scratch.signup("scratch@example.com");
    let mut authenticator = Authenticator::new().with_backup(true, true);
    authenticator.register(&scratch.register_options(&scratch_token), ORIGIN).unwrap();
    let credential = authenticator.credentials()[0].clone();
    let imported = h
        .kavach
        .import_credential_json(
            &json!({"userId": user_id, "credentialId": b64(&credential.id), "publicKey": b64(&credential.cose_public_key),
                    "format": "webauthn", "userHandle": b64(&credential.user_handle), "backupEligible": true})
            .to_string(),
        )
        .unwrap();
    assert_eq!(imported["deviceType"], "multiDevice");
    let signed_in = h.sign_in(&mut authenticator, Some("synced@example.com"));
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
}

#[test]
fn an_import_of_an_algorithm_the_site_does_not_accept_is_refused() {
    let h = Harness::with_passkey_options(json!({"algorithms": ["ES256"]}));
    let (user_id, _) = h.signup("ed@example.com");
    let scratch = Harness::new();
    let (_, scratch_token) = scratch.signup("scratch@example.com");
    let mut authenticator = Authenticator::new();
    authenticator.register_with(&scratch.register_options(&scratch_token), ORIGIN, Algorithm::EdDsa).unwrap();
    let credential = authenticator.credentials()[0].clone();
    let err = h
        .kavach
        .import_credential_json(
            &json!({"userId": user_id, "credentialId": b64(&credential.id),
                    "publicKey": b64(&credential.cose_public_key), "format": "webauthn"})
            .to_string(),
        )
        .unwrap_err();
    assert!(err.message().contains("passkey.algorithms"), "{}", err.message());
}

#[test]
fn bad_imports_are_refused_with_their_reason() {
    let h = Harness::new();
    let (user_id, _) = h.signup("a@example.com");
    let point = format!("BA{}", "A".repeat(85));
    for (body, code) in [
        (json!({"userId": "nobody", "credentialId": "AAAA", "publicKey": point, "format": "u2f"}), "USER_NOT_FOUND"),
        (json!({"userId": user_id, "credentialId": "AAAA", "publicKey": "AAAA", "format": "u2f"}), "INVALID_REQUEST"),
        (
            json!({"userId": user_id, "credentialId": "AAAA", "publicKey": "pQEC", "format": "webauthn"}),
            "INVALID_REQUEST",
        ),
        (json!({"userId": user_id, "credentialId": "AAAA", "publicKey": point, "format": "fido"}), "INVALID_REQUEST"),
        (json!({"userId": user_id, "credentialId": "AAAA", "format": "u2f"}), "INVALID_REQUEST"),
        (json!({"userId": user_id, "credentialId": "A", "publicKey": point, "format": "u2f"}), "INVALID_REQUEST"),
    ] {
        let err = h.kavach.import_credential_json(&body.to_string()).unwrap_err();
        assert_eq!(err.code().as_str(), code, "{body}: {}", err.message());
    }
    // The host API is the only way in: no route imports.
    assert_ne!(h.post("/auth/passkey/credentials/import", &json!({}), None).status, 200);
}
