//! The stateless verifiers (`verifyRegistrationResponse` / `verifyAuthenticationResponse`, the
//! host API in JSON form). The input is the options document, as the conformance vectors hold
//! it: `{kind, response, expectedChallenge, expectedOrigin, expectedRPID,
//! requireUserVerification, credentialPublicKey?, counter?}`.
//!
//! Invariants: an error is never INTERNAL and its message is safe; a success is re-checked
//! independently of kavach's code: clientDataJSON type, challenge and origin, rpIdHash, UP (and
//! UV when required), and for sign-in the signature itself (EC2 P-256 and Ed25519 keys) and the
//! counter rule. For sign-in, JSON text read straight into the typed input (the Node and C
//! path) must agree with the JSON value path.
#![no_main]

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ED25519, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use kavach_core::verify::json::{AuthenticationInput, verify_authentication, verify_authentication_input, verify_registration};
use kavach_fuzz::{assert_client_error, panic_on_internal_errors};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Lenient base64url/base64 (padding allowed), as kavach's binary fields.
fn decode(v: Option<&Value>) -> Option<Vec<u8>> {
    let s = v?.as_str()?.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(s).ok().or_else(|| STANDARD.decode(v?.as_str()?).ok())
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest(&SHA256, data).as_ref().to_vec()
}

/// The expected origins as serialized origins: a web origin's scheme and host are
/// case-insensitive, and a bare `/` path and the default https port are not part of it (RFC 6454),
/// as kavach reads them; an app origin (`android:apk-key-hash:`) is compared exactly.
fn origins(v: &Value) -> Vec<String> {
    let serialized = |s: &str| {
        if !s.get(..4).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http")) {
            return s.to_owned();
        }
        let lowered = s.to_ascii_lowercase();
        let trimmed = lowered.strip_suffix('/').unwrap_or(&lowered);
        trimmed.strip_suffix(":443").filter(|_| trimmed.starts_with("https://")).unwrap_or(trimmed).to_owned()
    };
    match v {
        Value::String(s) => vec![serialized(s)],
        Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(serialized)).collect(),
        _ => vec![],
    }
}

/// The independent re-check of a success.
fn recheck(doc: &Value, kind: &str, result: &Value) {
    let response = doc.get("response").expect("success without response");
    let client_data = decode(response.pointer("/response/clientDataJSON")).expect("clientDataJSON decodes");
    // WebAuthn's "UTF-8 decode" replaces invalid sequences (it does not fail), and kavach
    // ignores unknown members without validating them: decode lossily, as the spec does.
    let text = String::from_utf8_lossy(client_data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&client_data));
    let cd: Value = serde_json::from_str(&text).expect("clientDataJSON is JSON");
    let want_type = if kind == "registration" { "webauthn.create" } else { "webauthn.get" };
    assert_eq!(cd["type"], want_type, "type");
    assert_eq!(cd["challenge"].as_str(), doc["expectedChallenge"].as_str(), "challenge");
    assert!(
        origins(&doc["expectedOrigin"]).iter().any(|o| cd["origin"].as_str() == Some(o)),
        "origin {}",
        cd["origin"]
    );
    assert_ne!(cd["crossOrigin"], json!(true), "crossOrigin accepted without allowCrossOrigin");

    // An RP ID is a domain: compared in lowercase, as browsers hash it.
    let rp_hash = sha256(doc["expectedRPID"].as_str().unwrap_or_default().to_ascii_lowercase().as_bytes());
    let auth_data = if kind == "registration" {
        let att = decode(response.pointer("/response/attestationObject")).expect("attestationObject decodes");
        let att: Cbor = ciborium::de::from_reader(att.as_slice()).expect("attestationObject is CBOR");
        let map = att.into_map().expect("map");
        map.into_iter()
            .find(|(k, _)| k.as_text() == Some("authData"))
            .and_then(|(_, v)| v.into_bytes().ok())
            .expect("authData")
    } else {
        decode(response.pointer("/response/authenticatorData")).expect("authenticatorData decodes")
    };
    assert!(auth_data.len() >= 37, "short authData accepted");
    assert_eq!(&auth_data[..32], rp_hash.as_slice(), "rpIdHash");
    let flags = auth_data[32];
    assert!(flags & 0x01 != 0, "UP not set");
    if doc["requireUserVerification"] == json!(true) {
        assert!(flags & 0x04 != 0, "UV required but not set");
    }
    let raw_id = response.get("rawId").and_then(Value::as_str).expect("rawId");
    assert_eq!(response.get("id").and_then(Value::as_str), Some(raw_id), "id != rawId");
    assert_eq!(result["credentialId"].as_str(), Some(raw_id), "credentialId");
    let counter = u32::from_be_bytes(auth_data[33..37].try_into().unwrap());

    if kind == "registration" {
        assert!(flags & 0x40 != 0, "registration without AT");
        let id_len = u16::from_be_bytes([auth_data[53], auth_data[54]]) as usize;
        assert_eq!(URL_SAFE_NO_PAD.encode(&auth_data[55..55 + id_len]), raw_id, "rawId != attested credential id");
    } else {
        let stored = doc["counter"].as_u64().unwrap_or(0) as u32;
        assert!(counter == 0 && stored == 0 || counter > stored, "counter {counter} accepted over stored {stored}");
        let signature = decode(response.pointer("/response/signature")).expect("signature decodes");
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&sha256(&client_data));
        let key = decode(doc.get("credentialPublicKey")).expect("key");
        let key: Cbor = ciborium::de::from_reader(key.as_slice()).expect("key CBOR");
        let param = |label: i64| {
            key.as_map()?.iter().find(|(k, _)| k.as_integer() == Some(label.into())).map(|(_, v)| v.clone())
        };
        let int = |label: i64| param(label).and_then(|v| v.as_integer()).and_then(|i| i64::try_from(i).ok());
        let bytes = |label: i64| param(label).and_then(|v| v.into_bytes().ok()).unwrap_or_default();
        match (int(3), int(-1)) {
            (Some(-7), Some(1)) => {
                let mut point = vec![4];
                point.extend(bytes(-2));
                point.extend(bytes(-3));
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                    .verify(&signed, &signature)
                    .expect("ES256 signature");
            }
            (Some(-8), Some(6)) => {
                UnparsedPublicKey::new(&ED25519, bytes(-2)).verify(&signed, &signature).expect("Ed25519 signature");
            }
            _ => {} // other algorithms: trusted to cose.rs (covered by the cose_key target)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(panic_on_internal_errors);
    let Ok(doc) = serde_json::from_slice::<Value>(data) else { return };
    let Some(kind) = doc.get("kind").and_then(Value::as_str) else { return };
    let mut input = json!({
        "response": doc.get("response").cloned().unwrap_or(Value::Null),
        "expectedChallenge": doc.get("expectedChallenge").cloned().unwrap_or(Value::Null),
        "expectedOrigin": doc.get("expectedOrigin").cloned().unwrap_or(Value::Null),
        "expectedRPID": doc.get("expectedRPID").cloned().unwrap_or(Value::Null),
        "requireUserVerification": doc.get("requireUserVerification").cloned().unwrap_or(json!(false)),
    });
    let result = if kind == "registration" {
        verify_registration(&input)
    } else {
        input["credential"] = json!({
            "publicKey": doc.get("credentialPublicKey").cloned().unwrap_or(Value::Null),
            "counter": doc.get("counter").cloned().unwrap_or(json!(0)),
        });
        let from_value = verify_authentication(&input);
        // The bindings' text path reads the same document straight into the typed input: it
        // must agree with the JSON-value path on every input.
        let from_text = AuthenticationInput::from_json_text(&input.to_string(), "options")
            .and_then(verify_authentication_input)
            .map(|verified| serde_json::to_value(verified).unwrap());
        match (&from_value, &from_text) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "input: {input}"),
            (Err(a), Err(b)) => assert_eq!((a.code(), a.status()), (b.code(), b.status()), "input: {input}"),
            _ => panic!("value and text paths disagree: {from_value:?} vs {from_text:?}; input: {input}"),
        }
        from_value
    };
    let context = || format!("input: {input}");
    match result {
        Ok(result) => recheck(&doc, if kind == "registration" { "registration" } else { "authentication" }, &result),
        Err(err) => assert_client_error(&err, &String::from_utf8_lossy(data), &context),
    }
});
