//! The stateless sign-in verifier (`api::verify_authentication*`) read from a JSON value, from
//! JSON text and from a typed input: one result, one set of errors, whichever way a binding
//! comes in.

use kavach_core::verify::json::{self as api, AuthenticationInput};
use kavach_core::{Error, ErrorCode};
use kavach_test_authenticator::{Authenticator, b64};
use serde_json::{Value, json};

const ORIGIN: &str = "https://app.example.com";
const RP_ID: &str = "example.com";
const CHALLENGE: &str = "Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMzI";

/// A registered credential and the input that verifies one fresh assertion of it.
fn signed_input() -> Value {
    let mut authenticator = Authenticator::new();
    let creation = json!({
        "challenge": "cmVn", "rp": {"id": RP_ID, "name": "Example"},
        "user": {"id": "dXNlcg", "name": "ada", "displayName": "Ada"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    });
    authenticator.register(&creation, ORIGIN).unwrap();
    let credential = &authenticator.credentials()[0];
    let (id, public_key) = (b64(&credential.id), b64(&credential.cose_public_key));
    let response = authenticator.authenticate(&json!({"challenge": CHALLENGE, "rpId": RP_ID}), ORIGIN).unwrap();
    json!({
        "response": response,
        "expectedChallenge": CHALLENGE,
        "expectedOrigin": ORIGIN,
        "expectedRPID": RP_ID,
        "credential": {"id": id, "publicKey": public_key, "counter": 0},
    })
}

fn from_text(text: &str) -> Result<Value, Error> {
    let verified = api::verify_authentication_input(AuthenticationInput::from_json_text(text, "options")?)?;
    Ok(serde_json::to_value(verified).unwrap())
}

#[test]
fn value_and_text_give_the_same_documented_result() {
    let input = signed_input();
    let from_value = api::verify_authentication(&input).unwrap();
    assert_eq!(from_text(&input.to_string()).unwrap(), from_value);
    assert_eq!(from_value["credentialId"], input["credential"]["id"]);
    assert_eq!(from_value["counter"], 1);
    assert_eq!(from_value["userHandle"], "dXNlcg");
    let keys: Vec<&str> = from_value.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["counter", "credentialId", "flags", "userHandle"]);
    assert_eq!(
        from_value["flags"],
        json!({"userPresent": true, "userVerified": true, "backupEligible": false, "backedUp": false})
    );
}

#[test]
fn members_sign_in_does_not_read_are_skipped() {
    let mut input = signed_input();
    input["response"]["authenticatorAttachment"] = json!("platform");
    input["response"]["clientExtensionResults"] = json!({"appid": false, "deep": [[[{"x": 1}]]]});
    input["response"]["response"]["somethingNew"] = json!(7);
    assert_eq!(api::verify_authentication(&input).unwrap()["counter"], 1);
    assert_eq!(from_text(&input.to_string()).unwrap()["counter"], 1);
}

#[test]
fn text_that_is_not_json_and_json_of_the_wrong_shape_say_which() {
    for text in ["", "{", "{\"response\": }", "[1,", "{} trailing"] {
        let err = from_text(text).unwrap_err();
        assert_eq!((err.code(), err.message()), (ErrorCode::InvalidRequest, "options is not valid JSON"), "{text}");
    }
    let mut input = signed_input();
    input["response"]["response"].as_object_mut().unwrap().remove("signature");
    for err in [from_text(&input.to_string()).unwrap_err(), api::verify_authentication(&input).unwrap_err()] {
        assert_eq!(err.code(), ErrorCode::InvalidRequest);
        assert_eq!(err.status(), 400);
        assert!(err.message().starts_with("verifyAuthenticationResponse options: missing field `signature`"), "{err}");
    }
    let mut input = signed_input();
    input["expectedOrign"] = json!(ORIGIN);
    let err = from_text(&input.to_string()).unwrap_err();
    assert!(err.message().contains("unknown field `expectedOrign`"), "{err}");
    let err = from_text("42").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(err.message().starts_with("verifyAuthenticationResponse options: invalid type"), "{err}");
}

#[test]
fn a_bad_signature_or_another_credential_is_a_401_either_way() {
    let mut input = signed_input();
    let signature = input["response"]["response"]["signature"].as_str().unwrap().to_owned();
    let flipped =
        if signature.starts_with('M') { signature.replacen('M', "N", 1) } else { format!("M{}", &signature[1..]) };
    input["response"]["response"]["signature"] = json!(flipped);
    for err in [from_text(&input.to_string()).unwrap_err(), api::verify_authentication(&input).unwrap_err()] {
        assert_eq!((err.code(), err.status()), (ErrorCode::VerificationFailed, 401), "{err}");
    }
    let mut input = signed_input();
    input["credential"]["id"] = json!("AAAA");
    for err in [from_text(&input.to_string()).unwrap_err(), api::verify_authentication(&input).unwrap_err()] {
        assert_eq!((err.code(), err.status()), (ErrorCode::VerificationFailed, 401), "{err}");
    }
}
