//! Adding passkeys: options, verification, and the attacks registration must stop.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use support::*;

#[test]
fn registers_and_signs_in_with_each_algorithm() {
    for alg in Algorithm::ALL {
        let h = Harness::new();
        let (user_id, token) = h.signup(&format!("{alg:?}@example.com"));
        let mut authenticator = Authenticator::new();
        let options = h.register_options(&token);
        let response = authenticator.register_with(&options, ORIGIN, alg).unwrap();
        let verified = h.post("/auth/passkey/register/verify", &response, Some(&token));
        assert_eq!(verified.status, 200, "{alg:?}: {}", verified.json());
        assert_eq!(verified.json()["verified"], true);
        assert_eq!(verified.json()["credential"]["id"], response["id"]);

        let signed_in = h.sign_in(&mut authenticator, None);
        assert_eq!(signed_in.status, 200, "{alg:?}: {}", signed_in.json());
        assert_eq!(signed_in.json()["userId"], user_id.as_str());
    }
}

#[test]
fn creation_options_are_what_start_registration_takes() {
    let h = Harness::with_passkey_options(
        json!({"attestation": "direct", "userVerification": "required", "timeout": 120000}),
    );
    let (user_id, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    assert_eq!(options["rp"], json!({"name": "Test App", "id": RP_ID}));
    assert_eq!(options["user"]["name"], "ada@example.com");
    assert_eq!(options["user"]["displayName"], "Test User");
    let handle = URL_SAFE_NO_PAD.decode(options["user"]["id"].as_str().unwrap()).unwrap();
    assert_eq!(handle.len(), 32, "the user handle is 32 random bytes");
    assert!(!options["user"]["id"].as_str().unwrap().contains(&user_id));
    let challenge = URL_SAFE_NO_PAD.decode(options["challenge"].as_str().unwrap()).unwrap();
    // Stateless (DESIGN §5): version, kind, flags, name length, expiry, a 16-byte nonce, a
    // 16-byte binding and a 16-byte MAC: 61 bytes, at least the 16 WebAuthn asks for.
    assert_eq!(challenge.len(), 61);
    let algs: Vec<i64> =
        options["pubKeyCredParams"].as_array().unwrap().iter().map(|p| p["alg"].as_i64().unwrap()).collect();
    assert_eq!(algs, [-8, -19, -7, -35, -36, -37, -38, -39, -257, -48, -49, -50]);
    assert_eq!(options["timeout"], 120000);
    assert_eq!(options["attestation"], "direct");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "preferred");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(options["extensions"], json!({"credProps": true}));
    assert_eq!(options["excludeCredentials"], json!([]));
}

#[test]
fn exclude_credentials_lists_the_users_existing_passkeys() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    let first = h.register(&mut authenticator, &token).json();
    let options = h.register_options(&token);
    assert_eq!(options["excludeCredentials"][0]["id"], first["credential"]["id"]);
    assert_eq!(options["excludeCredentials"][0]["type"], "public-key");
    // The authenticator refuses to register twice, as a real one does.
    assert!(authenticator.register(&options, ORIGIN).is_err());
}

#[test]
fn register_requires_a_session() {
    let h = Harness::new();
    assert_error(&h.post("/auth/passkey/register/options", &json!({}), None), 401, "UNAUTHORIZED");
    assert_error(&h.post("/auth/passkey/register/verify", &json!({}), None), 401, "UNAUTHORIZED");
}

#[test]
fn a_body_cannot_register_a_passkey_for_another_user() {
    let h = Harness::new();
    let (alice_id, alice) = h.signup("alice@example.com");
    let (_, mallory) = h.signup("mallory@example.com");
    // Mallory adds fields naming Alice: they are ignored, the passkey is Mallory's.
    let options = h.register_options(&mallory);
    let mut response = Authenticator::new().register(&options, ORIGIN).unwrap();
    response["userId"] = json!(alice_id);
    response["user"] = json!({"id": alice_id});
    let verified =
        h.post("/auth/passkey/register/verify", &json!({"response": response, "userId": alice_id}), Some(&mallory));
    assert_eq!(verified.status, 200, "{}", verified.json());
    let alice_list = h.request("GET", "/auth/passkey/credentials", None, Some(&alice)).json();
    assert_eq!(alice_list["credentials"], json!([]));

    // A challenge issued to Alice cannot be answered in Mallory's session.
    let options = h.register_options(&alice);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    assert_error(&h.post("/auth/passkey/register/verify", &response, Some(&mallory)), 400, "CHALLENGE_INVALID");
}

#[test]
fn registration_checks_origin_rp_id_type_and_flags() {
    let cases: Vec<(&str, Tweaks, &str)> = vec![
        (
            "wrong origin",
            Tweaks { origin_override: Some("https://evil.example.net".into()), ..Default::default() },
            "origin",
        ),
        ("wrong rpId", Tweaks { rp_id_override: Some("evil.com".into()), ..Default::default() }, "rp_id_hash"),
        (
            "wrong type",
            Tweaks { client_data_type: Some("webauthn.get".into()), ..Default::default() },
            "client_data_type",
        ),
        ("no user presence", Tweaks { flags_clear: flags::UP, ..Default::default() }, "user_presence"),
        (
            "backup state without eligibility",
            Tweaks { flags_set: flags::BS, flags_clear: flags::BE, ..Default::default() },
            "backup_flags",
        ),
    ];
    for (what, tweaks, _check) in cases {
        let h = Harness::new();
        let (_, token) = h.signup("ada@example.com");
        let options = h.register_options(&token);
        let response = Authenticator::new().register_with_tweaks(&options, ORIGIN, None, &tweaks).unwrap();
        let result = h.post("/auth/passkey/register/verify", &response, Some(&token));
        assert_error(&result, 400, "VERIFICATION_FAILED");
        println!("{what}: {}", result.json()["error"]);
        assert_eq!(
            h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json()["credentials"],
            json!([]),
            "{what}"
        );
    }
}

#[test]
fn user_verification_is_enforced_when_required() {
    let h = Harness::with_passkey_options(json!({"userVerification": "required"}));
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new().with_user_verification(false);
    assert_error(&h.register(&mut authenticator, &token), 400, "VERIFICATION_FAILED");

    let preferred = Harness::new();
    let (_, token) = preferred.signup("ada@example.com");
    assert_eq!(preferred.register(&mut Authenticator::new().with_user_verification(false), &token).status, 200);
}

#[test]
fn attestation_formats_are_verified_and_recorded() {
    for mode in
        [AttestationMode::None, AttestationMode::PackedSelf, AttestationMode::PackedX5c, AttestationMode::FidoU2f]
    {
        let h = Harness::with_passkey_options(json!({"attestation": "direct"}));
        let (_, token) = h.signup("ada@example.com");
        let mut authenticator = Authenticator::new().with_attestation(mode);
        let options = h.register_options(&token);
        let response = authenticator.register_with(&options, ORIGIN, Algorithm::Es256).unwrap();
        let verified = h.post("/auth/passkey/register/verify", &response, Some(&token));
        assert_eq!(verified.status, 200, "{mode:?}: {}", verified.json());

        // A corrupted statement signature is refused, whatever the format (none has none).
        if mode != AttestationMode::None {
            let options = h.register_options(&token);
            let tweaks = Tweaks { corrupt_signature: true, ..Default::default() };
            let bad = Authenticator::new()
                .with_attestation(mode)
                .register_with_tweaks(&options, ORIGIN, Some(Algorithm::Es256), &tweaks)
                .unwrap();
            assert_error(&h.post("/auth/passkey/register/verify", &bad, Some(&token)), 400, "VERIFICATION_FAILED");
        }
    }
}

#[test]
fn a_registration_response_is_single_use() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &response, Some(&token)).status, 200);
    assert_error(&h.post("/auth/passkey/register/verify", &response, Some(&token)), 400, "CHALLENGE_INVALID");
}

#[test]
fn an_expired_registration_challenge_is_refused() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    h.advance_ms(60_000 + 30_000 + 1);
    assert_error(&h.post("/auth/passkey/register/verify", &response, Some(&token)), 400, "CHALLENGE_INVALID");
}

#[test]
fn a_credential_id_registered_to_anyone_cannot_be_registered_again() {
    let h = Harness::new();
    let (_, alice) = h.signup("alice@example.com");
    let (_, bob) = h.signup("bob@example.com");
    let mut alice_key = Authenticator::new();
    let alice_credential = h.register(&mut alice_key, &alice).json()["credential"]["id"].as_str().unwrap().to_owned();

    // Bob answers a fresh challenge with a `none` attestation naming Alice's credential ID.
    let options = h.register_options(&bob);
    let challenge = options["challenge"].as_str().unwrap();
    let cred = &alice_key.credentials()[0];
    let auth_data = kavach_test_authenticator::authenticator_data(
        RP_ID,
        flags::UP | flags::AT,
        0,
        Some((&[0u8; 16], &cred.id, &cred.cose_public_key)),
    );
    let mut attestation = Vec::new();
    ciborium::ser::into_writer(
        &ciborium::Value::Map(vec![
            ("fmt".into(), "none".into()),
            ("attStmt".into(), ciborium::Value::Map(vec![])),
            ("authData".into(), ciborium::Value::Bytes(auth_data)),
        ]),
        &mut attestation,
    )
    .unwrap();
    let client_data = kavach_test_authenticator::client_data_json("webauthn.create", challenge, ORIGIN);
    let response = json!({
        "id": alice_credential, "rawId": alice_credential, "type": "public-key",
        "response": {"clientDataJSON": kavach_test_authenticator::b64(&client_data),
                     "attestationObject": kavach_test_authenticator::b64(&attestation)},
        "clientExtensionResults": {},
    });
    assert_error(&h.post("/auth/passkey/register/verify", &response, Some(&bob)), 409, "CREDENTIAL_EXISTS");
}

#[test]
fn names_come_from_the_request_then_the_aaguid_then_the_fallback() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    // Unknown AAGUID: the fallback.
    assert_eq!(h.register(&mut Authenticator::new(), &token).json()["credential"]["name"], "Passkey");
    // Known AAGUID (Windows Hello).
    let windows_hello =
        [0x08, 0x98, 0x70, 0x58, 0xca, 0xdc, 0x4b, 0x81, 0xb6, 0xe1, 0x30, 0xde, 0x50, 0xdc, 0xbe, 0x96];
    let named = h.register(&mut Authenticator::new().with_aaguid(windows_hello), &token).json();
    assert_eq!(named["credential"]["name"], "Windows Hello");
    assert_eq!(named["credential"]["aaguid"], "08987058-cadc-4b81-b6e1-30de50dcbe96");
    // A name given at options time, and one given at verify time (which wins).
    let options = h.post("/auth/passkey/register/options", &json!({"name": "Work laptop"}), Some(&token)).json();
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    assert_eq!(
        h.post("/auth/passkey/register/verify", &response, Some(&token)).json()["credential"]["name"],
        "Work laptop"
    );
    let options = h.register_options(&token);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    let verified =
        h.post("/auth/passkey/register/verify", &json!({"response": response, "name": "Phone"}), Some(&token));
    assert_eq!(verified.json()["credential"]["name"], "Phone");
}

#[test]
fn device_type_and_backup_state_come_from_the_flags() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let synced = h.register(&mut Authenticator::new().with_backup(true, true), &token).json();
    assert_eq!(synced["credential"]["deviceType"], "multiDevice");
    assert_eq!(synced["credential"]["backedUp"], true);
    let key = h.register(&mut Authenticator::new().with_backup(false, false), &token).json();
    assert_eq!(key["credential"]["deviceType"], "singleDevice");
    assert_eq!(key["credential"]["backedUp"], false);
    assert_eq!(key["credential"]["lastUsedAt"], serde_json::Value::Null);
}
