//! Ceremonies inside a cross-origin iframe (`passkey.topOrigins`, WebAuthn §7.1 steps 10-11 and
//! §7.2 steps 14-15): accepted only when the embedding page is listed, through the router and
//! the stateless API alike. Real signatures throughout: the client data that says where the
//! ceremony ran is what the authenticator signed.

mod support;

use kavach_core::http::Response;
use kavach_core::verify::json::{verify_authentication, verify_registration};
use kavach_core::{ErrorCode, Kavach};
use serde_json::{Value, json};
use support::*;

const PORTAL: &str = "https://portal.example.net";

fn embedded_in(top: Option<&str>) -> Tweaks {
    Tweaks { cross_origin: true, top_origin: top.map(str::to_owned), ..Default::default() }
}

fn check_of(response: &Response) -> String {
    response.json()["error"].as_str().unwrap_or_default().to_owned()
}

/// Registers through the router with `tweaks` on the registration response.
fn register(h: &Harness, tweaks: &Tweaks) -> Response {
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let credential = Authenticator::new().register_with_tweaks(&options, ORIGIN, None, tweaks).unwrap();
    h.post("/auth/passkey/register/verify", &credential, Some(&token))
}

/// Signs in (after an ordinary registration) with `tweaks` on the assertion.
fn sign_in(h: &Harness, tweaks: &Tweaks) -> Response {
    let mut authenticator = Authenticator::new();
    let (_, token) = h.signup("ada@example.com");
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate_with(&options, ORIGIN, tweaks).unwrap();
    h.post("/auth/passkey/authenticate/verify", &assertion, None)
}

#[test]
fn without_top_origins_an_embedded_ceremony_is_refused() {
    // Before topOrigins existed this was the only behaviour; it must stay the default.
    let h = Harness::new();
    let refused = register(&h, &embedded_in(Some(PORTAL)));
    assert_error(&refused, 400, "VERIFICATION_FAILED");
    assert!(check_of(&refused).contains("cross-origin"), "{}", check_of(&refused));
    let refused = sign_in(&Harness::new(), &embedded_in(Some(PORTAL)));
    assert_error(&refused, 401, "VERIFICATION_FAILED");
    assert!(refused.header_value("set-cookie").is_none());
}

#[test]
fn a_listed_top_origin_may_embed_registration_and_sign_in() {
    let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
    let registered = register(&h, &embedded_in(Some(PORTAL)));
    assert_eq!(registered.status, 200, "{}", registered.json());
    let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
    let signed_in = sign_in(&h, &embedded_in(Some(PORTAL)));
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
    // Not embedded at all still works with topOrigins configured.
    let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
    assert_eq!(sign_in(&h, &Tweaks::default()).status, 200);
}

#[test]
fn an_unlisted_or_missing_top_origin_is_refused() {
    for (what, tweaks) in [
        ("another page", embedded_in(Some("https://evil.example.org"))),
        ("no topOrigin", embedded_in(None)),
        // Origins compare as serialized: a path or a different port is another page.
        ("another port", embedded_in(Some("https://portal.example.net:8443"))),
    ] {
        let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
        let refused = sign_in(&h, &tweaks);
        assert_error(&refused, 401, "VERIFICATION_FAILED");
        assert!(check_of(&refused).contains("top"), "{what}: {}", check_of(&refused));
        let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
        assert_error(&register(&h, &tweaks), 400, "VERIFICATION_FAILED");
    }
}

#[test]
fn top_origins_are_validated_at_start_up() {
    for (top, message) in [
        ("android:apk-key-hash:AAAA", "passkey.topOrigins 'android:apk-key-hash:AAAA' is an app origin"),
        ("http://portal.example.net", "passkey.topOrigins 'http://portal.example.net/' must use https"),
        ("https://portal.example.net/page", "passkey.topOrigins 'https://portal.example.net/page' must be"),
        ("not a url", "passkey.topOrigins 'not a url' is not a valid URL"),
    ] {
        let config = json!({
            "database": {"url": ":memory:"},
            "secret": SECRET,
            "baseUrl": ORIGIN,
            "plugins": [{"id": "passkey", "rpName": "Test App", "rpId": RP_ID, "topOrigins": [top]}],
        });
        let err = Kavach::from_json(&config.to_string()).err().expect("start-up should fail");
        assert_eq!(err.code(), ErrorCode::InvalidConfig, "{top}");
        assert!(err.message().starts_with(message), "{top}: {}", err.message());
    }
}

/// A registration and an assertion made inside `PORTAL`'s iframe, for the stateless API.
fn stateless_ceremony() -> (Value, Value, Value) {
    let mut authenticator = Authenticator::new();
    let challenge = "c3RhdGVsZXNzLWNoYWxsZW5nZS0xMjM0NTY3ODkwMTI";
    let options = json!({
        "challenge": challenge,
        "rp": {"id": RP_ID, "name": "Test"},
        "user": {"id": "dXNlcg", "name": "ada", "displayName": "Ada"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    });
    let registration = authenticator.register_with_tweaks(&options, ORIGIN, None, &embedded_in(Some(PORTAL))).unwrap();
    let request = json!({"challenge": challenge, "rpId": RP_ID, "allowCredentials": []});
    let assertion = authenticator.authenticate_with(&request, ORIGIN, &embedded_in(Some(PORTAL))).unwrap();
    (registration, assertion, json!(challenge))
}

#[test]
fn the_stateless_api_takes_expected_top_origins() {
    let (registration, assertion, challenge) = stateless_ceremony();
    let registration_input = |top: Value| {
        json!({"response": registration, "expectedChallenge": challenge, "expectedOrigin": ORIGIN,
               "expectedRPID": RP_ID, "requireUserVerification": false, "expectedTopOrigins": top})
    };
    let err = verify_registration(&registration_input(json!([]))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VerificationFailed, "{err}");
    let verified = verify_registration(&registration_input(json!([PORTAL]))).unwrap();
    let err = verify_registration(&registration_input(json!(["android:apk-key-hash:AAAA"]))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest, "{err}");
    assert!(err.message().starts_with("expectedTopOrigins"), "{err}");

    let authentication_input = |top: Value| {
        json!({"response": assertion, "expectedChallenge": challenge, "expectedOrigin": ORIGIN,
               "expectedRPID": RP_ID, "requireUserVerification": false, "expectedTopOrigins": top,
               "credential": {"publicKey": verified["publicKey"], "counter": 0}})
    };
    let err = verify_authentication(&authentication_input(json!(["https://evil.example.org"]))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VerificationFailed, "{err}");
    assert!(verify_authentication(&authentication_input(json!([PORTAL]))).is_ok());
    // Omitted: no page may embed the ceremony.
    let mut omitted = authentication_input(json!([]));
    omitted.as_object_mut().unwrap().remove("expectedTopOrigins");
    assert_eq!(verify_authentication(&omitted).unwrap_err().code(), ErrorCode::VerificationFailed);
}

#[test]
fn a_top_origin_is_checked_even_when_cross_origin_is_false() {
    // WebAuthn L3 §7.2 step 15: "If C.topOrigin is present". Browsers send it only with
    // crossOrigin true; a client that sends it otherwise gets it checked all the same.
    let tweaks =
        Tweaks { cross_origin: false, top_origin: Some("https://evil.example.org".into()), ..Default::default() };
    assert_error(&sign_in(&Harness::new(), &tweaks), 401, "VERIFICATION_FAILED");
    let listed = Tweaks { top_origin: Some(PORTAL.into()), ..Default::default() };
    let h = Harness::with_passkey_options(json!({"topOrigins": [PORTAL]}));
    assert_eq!(sign_in(&h, &listed).status, 200);
}
