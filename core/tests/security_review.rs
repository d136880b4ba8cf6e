//! The security review of issue 14, as attacks: each test is an input that succeeded against the
//! code before the fix (or broke it), and must now be refused. Findings and their tests:
//!
//! 1. An AAGUID trusted without being attested (`fido-u2f` rewritten, packed without the AAGUID
//!    extension): `aaguid_rewritten_after_a_fido_u2f_statement_is_refused`,
//!    `packed_chain_without_the_aaguid_extension_does_not_attest_the_model`,
//!    `packed_chain_with_the_aaguid_extension_attests_the_model` (and, for FIDO metadata roots
//!    shared by several models, `attestation_policy.rs`).
//! 2. Enumeration by the shape of `allowCredentials`:
//!    `unknown_emails_answer_in_the_shape_of_real_users`, `fake_credentials_are_stable_per_email`;
//!    and by the answer to a forged assertion (found later, in issue 17's review of the Signal
//!    API): `a_forged_assertion_is_answered_alike_for_real_and_unknown_emails`,
//!    `probes_combining_both_flows_answer_alike_for_real_and_unknown_emails`,
//!    `a_forged_signature_reads_the_same_whatever_the_real_keys_algorithm`.
//! 3. One signed-in client exhausting the global challenge cap:
//!    `a_register_options_flood_does_not_deny_anyone_sign_in` (and `flood.rs` over loopback).
//! 4. Overflow on hostile numbers: `safetynet_timestamp_at_i64_min_is_a_refusal_not_a_panic`,
//!    `verification_time_at_the_end_of_time_is_a_refusal_not_a_panic`.
//! 5. CSRF and cookies: `cross_site_request_without_origin_is_refused`,
//!    `a_malformed_first_session_cookie_does_not_hide_the_valid_one`,
//!    `every_cookie_header_field_is_read`, `https_session_cookie_has_the_host_prefix`,
//!    `an_unprefixed_cookie_is_not_a_session_on_https`.
//! 6. Backup eligibility changing at sign-in: `backup_eligibility_cannot_change_at_sign_in`.
//! 7. Smaller: `stateless_verification_requires_user_verification_by_default`,
//!    `stateless_verification_refuses_an_empty_expected_challenge`,
//!    `rp_id_that_is_a_public_suffix_is_refused`,
//!    `expired_sessions_are_swept_without_any_options_request`; the rate limiter's IPv6 and
//!    table-full cases are unit tests in `src/limits.rs`, clipped TPM text in `tpm.rs`, stale
//!    metadata in `attestation_policy.rs`, Node's `retryAfter` in the Node binding's tests.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use kavach_core::http::Request;
use kavach_core::verify::json as api;
use kavach_core::{ErrorCode, Settings};
use kavach_test_authenticator::{b64, decode_b64url, sha256};
use serde_json::{Value, json};
use support::*;

const AAGUID: [u8; 16] = *b"KAVACH-TEST-KEY1";
const AAGUID_TEXT: &str = "4b415641-4348-2d54-4553-542d4b455931";

fn root_config(name: &str, format: &str, pem: &str) -> Value {
    json!({"name": name, "format": format, "pem": pem})
}

fn register_response(h: &Harness, authenticator: &mut Authenticator, tweaks: &Tweaks) -> (u16, Value) {
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = authenticator.register_with_tweaks(&options, ORIGIN, Some(Algorithm::Es256), tweaks).unwrap();
    let verified = h.post("/auth/passkey/register/verify", &response, Some(&token));
    (verified.status, verified.json())
}

// ---------------------------------------------------------------------------------------------
// 1. Attested AAGUIDs

#[test]
fn aaguid_rewritten_after_a_fido_u2f_statement_is_refused() {
    // fido-u2f signs rpIdHash, clientDataHash, the credential ID and key, never the AAGUID: an
    // attacker relaying a genuine U2F statement can write any AAGUID into authData.
    let mut u2f = Authenticator::new().with_attestation(AttestationMode::FidoU2f);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationPolicy": {"require": "verified", "allowedAaguids": [AAGUID_TEXT]},
        "attestationRoots": [root_config("Test U2F CA", "fido-u2f", u2f.attestation_root_pem())]}));
    let tweaks = Tweaks { aaguid_override: Some(AAGUID), ..Tweaks::default() };
    let (status, body) = register_response(&h, &mut u2f, &tweaks);
    assert_eq!((status, body["code"].as_str()), (400, Some("VERIFICATION_FAILED")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("fido-u2f"), "{body}");
}

#[test]
fn packed_chain_without_the_aaguid_extension_does_not_attest_the_model() {
    // The attestation CA vouches for the key, not for which model it is in: without the
    // id-fido-gen-ce-aaguid extension the AAGUID is only the authenticator's claim.
    let mut authenticator = Authenticator::new()
        .with_attestation(AttestationMode::PackedX5c)
        .with_aaguid(AAGUID)
        .with_aaguid_extension(false);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationPolicy": {"require": "verified", "allowedAaguids": [AAGUID_TEXT]},
        "attestationRoots": [root_config("Vendor CA", "packed", authenticator.attestation_root_pem())]}));
    let (status, body) = register_response(&h, &mut authenticator, &Tweaks::default());
    assert_eq!((status, body["code"].as_str()), (400, Some("VERIFICATION_FAILED")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("not attested"), "{body}");
}

#[test]
fn packed_chain_with_the_aaguid_extension_attests_the_model() {
    let mut authenticator = Authenticator::new().with_attestation(AttestationMode::PackedX5c).with_aaguid(AAGUID);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationPolicy": {"require": "verified", "allowedAaguids": [AAGUID_TEXT]},
        "attestationRoots": [root_config("Vendor CA", "packed", authenticator.attestation_root_pem())]}));
    let (status, body) = register_response(&h, &mut authenticator, &Tweaks::default());
    assert_eq!(status, 200, "{body}");
    let attestation = &body["credential"]["attestation"];
    assert_eq!(attestation["trust"], "verified");
    assert_eq!(attestation["source"], "configured");
    assert_eq!(attestation["aaguidAttested"], true);
}

// ---------------------------------------------------------------------------------------------
// 2. Enumeration by shape

/// What an observer sees of one `allowCredentials` entry.
fn shape(descriptor: &Value) -> (BTreeSet<String>, usize, Vec<String>) {
    let keys = descriptor.as_object().unwrap().keys().cloned().collect();
    let id_len = decode_b64url(descriptor["id"].as_str().unwrap()).unwrap().len();
    let transports = descriptor
        .get("transports")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
        .unwrap_or_else(|| vec!["<absent>".to_owned()]);
    (keys, id_len, transports)
}

#[test]
fn unknown_emails_answer_in_the_shape_of_real_users() {
    let h = Harness::new();
    // Real users with 1 to 3 passkeys of the kinds people have: ID lengths 16 to 64 bytes,
    // transports as their clients report them (or not at all).
    let kinds: [(usize, Option<&[&str]>); 5] = [
        (16, Some(&["hybrid", "internal"])),
        (20, Some(&["hybrid", "internal"])),
        (32, Some(&["internal"])),
        (64, Some(&["nfc", "usb"])),
        (16, None),
    ];
    let mut real = Vec::new();
    for user in 0..6 {
        let email = format!("real{user}@example.com");
        let (_, token) = h.signup(&email);
        for passkey in 0..=(user % 3) {
            let (len, transports) = kinds[(user + passkey) % kinds.len()];
            let mut authenticator = Authenticator::new().with_credential_id_len(len).with_transports(transports);
            assert_eq!(h.register(&mut authenticator, &token).status, 200);
        }
        real.push(h.authenticate_options(Some(&email)));
    }
    let fakes: Vec<Value> = (0..400).map(|i| h.authenticate_options(Some(&format!("nobody{i}@example.com")))).collect();

    // Field by field: the same members everywhere, in both kinds of answer.
    let members = |options: &Value| options.as_object().unwrap().keys().cloned().collect::<BTreeSet<_>>();
    for options in real.iter().chain(&fakes) {
        assert_eq!(members(options), members(&real[0]), "{options}");
    }
    // Statistically: every feature of a real answer is common among the fakes (at least 2%),
    // so no single answer gives a real user away.
    let mut counts = BTreeMap::<usize, usize>::new();
    let mut lengths = BTreeMap::<usize, usize>::new();
    let mut transports = BTreeMap::<Vec<String>, usize>::new();
    let mut keys = BTreeSet::new();
    let mut descriptors = 0;
    for options in &fakes {
        let list = options["allowCredentials"].as_array().unwrap();
        *counts.entry(list.len()).or_default() += 1;
        for descriptor in list {
            let (k, len, t) = shape(descriptor);
            keys.insert(k);
            *lengths.entry(len).or_default() += 1;
            *transports.entry(t).or_default() += 1;
            descriptors += 1;
        }
    }
    assert_eq!(keys.len(), 1, "every fake descriptor has the same members: {keys:?}");
    fn common<K: Ord + std::fmt::Debug>(table: &BTreeMap<K, usize>, total: usize, what: &str, value: &K) {
        let n = table.get(value).copied().unwrap_or(0);
        assert!(n * 50 >= total, "{what} {value:?} is rare among fakes ({n} of {total}): {table:?}");
    }
    for options in &real {
        let list = options["allowCredentials"].as_array().unwrap();
        common(&counts, fakes.len(), "count", &list.len());
        for descriptor in list {
            let (k, len, t) = shape(descriptor);
            assert!(keys.contains(&k), "real descriptor members {k:?} differ from the fakes' {keys:?}");
            common(&lengths, descriptors, "id length", &len);
            common(&transports, descriptors, "transports", &t);
        }
    }
}

#[test]
fn fake_credentials_are_stable_per_email() {
    let h = Harness::new();
    let first = h.authenticate_options(Some("nobody@example.com"));
    h.advance_ms(3_600_000);
    let again = h.authenticate_options(Some("Nobody@Example.com "));
    assert_eq!(first["allowCredentials"], again["allowCredentials"]);
    // ...and survive a restart with the same database.
    let other = h.another_instance();
    let body = json!({"email": "nobody@example.com"});
    let third = other.handle(&Request::new("POST", "/auth/passkey/authenticate/options").json(&body)).json();
    assert_eq!(first["allowCredentials"], third["allowCredentials"]);
}

// ---------------------------------------------------------------------------------------------
// 3. Challenge cap

#[test]
fn a_register_options_flood_does_not_deny_anyone_sign_in() {
    let h = Harness::with_passkey_options(json!({"maxOutstandingChallenges": 10}));
    let (_, attacker) = h.signup("mallory@example.com");
    for _ in 0..50 {
        h.post("/auth/passkey/register/options", &json!({}), Some(&attacker));
    }
    let response = h.post("/auth/passkey/authenticate/options", &json!({}), None);
    assert_eq!(response.status, 200, "{}", response.json());
}

// ---------------------------------------------------------------------------------------------
// 4. Hostile numbers

/// A registration response whose attestation statement is replaced by `(fmt, attStmt)`.
fn with_statement(response: &Value, fmt: &str, statement: Vec<(Cbor, Cbor)>) -> Value {
    let object = decode_b64url(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
    let Cbor::Map(entries) = ciborium::from_reader::<Cbor, _>(object.as_slice()).unwrap() else { panic!() };
    let auth_data = entries.into_iter().find(|(k, _)| k.as_text() == Some("authData")).unwrap().1;
    let rebuilt = Cbor::Map(vec![
        (Cbor::Text("fmt".into()), Cbor::Text(fmt.into())),
        (Cbor::Text("attStmt".into()), Cbor::Map(statement)),
        (Cbor::Text("authData".into()), auth_data),
    ]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&rebuilt, &mut bytes).unwrap();
    let mut response = response.clone();
    response["response"]["attestationObject"] = b64(&bytes).into();
    response
}

/// An `android-safetynet` statement over `response`, self-signed for attest.android.com (it
/// verifies as a statement; its chain reaches no trusted root).
fn safetynet_statement(response: &Value, timestamp_ms: i64) -> Vec<(Cbor, Cbor)> {
    let object = decode_b64url(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
    let Cbor::Map(entries) = ciborium::from_reader::<Cbor, _>(object.as_slice()).unwrap() else { panic!() };
    let auth_data = entries.into_iter().find(|(k, _)| k.as_text() == Some("authData")).unwrap().1;
    let mut signed = auth_data.as_bytes().unwrap().clone();
    let client_data = decode_b64url(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap();
    signed.extend_from_slice(&sha256(&client_data));
    let nonce = STANDARD.encode(sha256(&signed));

    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["attest.android.com".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let header = json!({"alg": "ES256", "x5c": [STANDARD.encode(cert.der())]});
    let payload = json!({"nonce": nonce, "timestampMs": timestamp_ms, "ctsProfileMatch": true,
        "basicIntegrity": true, "apkPackageName": "com.google.android.gms"});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
    let signer = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &key.serialize_der(),
    )
    .unwrap();
    let signature = signer.sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes()).unwrap();
    let jws = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()));
    vec![
        (Cbor::Text("ver".into()), Cbor::Text("214815000".into())),
        (Cbor::Text("response".into()), Cbor::Bytes(jws.into_bytes())),
    ]
}

#[test]
fn safetynet_timestamp_at_i64_min_is_a_refusal_not_a_panic() {
    let h = Harness::with_passkey_options(json!({"attestation": "direct"}));
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    let hostile = with_statement(&response, "android-safetynet", safetynet_statement(&response, i64::MIN));
    let verified = h.post("/auth/passkey/register/verify", &hostile, Some(&token));
    assert_error(&verified, 400, "VERIFICATION_FAILED");
    assert!(verified.json()["error"].as_str().unwrap().contains("timestampMs"), "{}", verified.json());
}

#[test]
fn verification_time_at_the_end_of_time_is_a_refusal_not_a_panic() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = Authenticator::new().register(&options, ORIGIN).unwrap();
    let now = 1_800_000_000_000_i64;
    let hostile = with_statement(&response, "android-safetynet", safetynet_statement(&response, now));
    for time in [json!(i64::MAX), json!(i64::MAX - 1), json!(i64::MIN)] {
        let input = json!({"response": hostile, "expectedChallenge": options["challenge"],
            "expectedOrigin": ORIGIN, "expectedRPID": RP_ID, "verificationTime": time});
        let outcome = std::panic::catch_unwind(|| api::verify_registration(&input));
        let err = outcome.expect("no panic").expect_err("refused");
        assert!(matches!(err.code(), ErrorCode::InvalidRequest | ErrorCode::VerificationFailed), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. CSRF and cookies

/// `(cookie name, token)` of a fresh session of a fresh user.
fn session(h: &Harness, email: &str) -> (String, String) {
    let user = h.kavach.create_user(email, None).unwrap();
    let session = h.kavach.create_session(&user.id).unwrap();
    let name = session.set_cookie.split_once('=').unwrap().0.to_owned();
    (name, session.token)
}

fn get_session(h: &Harness, headers: &[(&str, &str)]) -> u16 {
    let mut request = Request::new("GET", "/auth/session");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    h.kavach.handle(&request).status
}

#[test]
fn cross_site_request_without_origin_is_refused() {
    let h = Harness::new();
    let (name, token) = session(&h, "ada@example.com");
    let cookie = format!("{name}={token}");
    for site in ["cross-site", "same-site"] {
        let request = Request::new("POST", "/auth/passkey/register/options")
            .header("cookie", &cookie)
            .header("sec-fetch-site", site)
            .json(&json!({}));
        let response = h.kavach.handle(&request);
        assert_error(&response, 403, "FORBIDDEN_ORIGIN");
    }
    // A same-origin fetch, a navigation typed by the user and a non-browser client pass.
    for site in [Some("same-origin"), Some("none"), None] {
        let mut request = Request::new("POST", "/auth/passkey/register/options").header("cookie", &cookie);
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        assert_eq!(h.kavach.handle(&request.json(&json!({}))).status, 200, "{site:?}");
    }
    // An allowed Origin passes whatever Sec-Fetch-Site says.
    let request = Request::new("POST", "/auth/passkey/register/options")
        .header("cookie", &cookie)
        .header("origin", ORIGIN)
        .header("sec-fetch-site", "same-site")
        .json(&json!({}));
    assert_eq!(h.kavach.handle(&request).status, 200);
}

#[test]
fn a_malformed_first_session_cookie_does_not_hide_the_valid_one() {
    let h = Harness::new();
    let (name, token) = session(&h, "ada@example.com");
    let cookie = format!("{name}=not-a-token; {name}={token}");
    assert_eq!(get_session(&h, &[("cookie", &cookie)]), 200);
}

#[test]
fn every_cookie_header_field_is_read() {
    let h = Harness::new();
    let (name, token) = session(&h, "ada@example.com");
    let cookie = format!("{name}={token}");
    assert_eq!(get_session(&h, &[("cookie", "theme=dark"), ("cookie", &cookie)]), 200);
}

#[test]
fn https_session_cookie_has_the_host_prefix() {
    let h = Harness::new();
    let user = h.kavach.create_user("ada@example.com", None).unwrap();
    let cookie = h.kavach.create_session(&user.id).unwrap().set_cookie;
    assert!(cookie.starts_with("__Host-kavach_session="), "{cookie}");
    for attribute in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
}

#[test]
fn an_unprefixed_cookie_is_not_a_session_on_https() {
    // A sibling subdomain can set `kavach_session` for the parent domain (session fixation) but
    // never a `__Host-` cookie: on https only the prefixed one counts.
    let h = Harness::new();
    let (_, token) = session(&h, "ada@example.com");
    assert_eq!(get_session(&h, &[("cookie", &format!("kavach_session={token}"))]), 401);
    assert_eq!(get_session(&h, &[("cookie", &format!("__Host-kavach_session={token}"))]), 200);
}

// ---------------------------------------------------------------------------------------------
// 6. Backup eligibility

#[test]
fn backup_eligibility_cannot_change_at_sign_in() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    let options = h.authenticate_options(Some("ada@example.com"));
    let tweaks = Tweaks { flags_set: flags::BE | flags::BS, ..Tweaks::default() };
    let assertion = authenticator.authenticate_with(&options, ORIGIN, &tweaks).unwrap();
    let response = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_error(&response, 401, "VERIFICATION_FAILED");
    let list = h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json();
    assert_eq!(list["credentials"][0]["deviceType"], "singleDevice");
    assert_eq!(list["credentials"][0]["backedUp"], false);
}

// ---------------------------------------------------------------------------------------------
// 7. Smaller findings

fn stateless_assertion(uv: bool) -> (Value, Value) {
    let mut authenticator = Authenticator::new().with_user_verification(uv);
    let creation = json!({"rp": {"id": RP_ID, "name": "x"}, "user": {"id": b64(b"user"), "name": "a", "displayName": "a"},
        "challenge": b64(b"registration challenge"), "pubKeyCredParams": [{"type": "public-key", "alg": -7}]});
    authenticator.register(&creation, ORIGIN).unwrap();
    let request = json!({"challenge": b64(b"sign-in challenge 0123456789abcdef"), "rpId": RP_ID});
    let assertion = authenticator.authenticate(&request, ORIGIN).unwrap();
    let credential = json!({"publicKey": b64(&authenticator.credentials()[0].cose_public_key), "counter": 0});
    (assertion, credential)
}

#[test]
fn stateless_verification_requires_user_verification_by_default() {
    let (assertion, credential) = stateless_assertion(false);
    let input = json!({"response": assertion, "expectedChallenge": b64(b"sign-in challenge 0123456789abcdef"),
        "expectedOrigin": ORIGIN, "expectedRPID": RP_ID, "credential": credential});
    let err = api::verify_authentication(&input).unwrap_err();
    assert_eq!((err.code(), err.status()), (ErrorCode::VerificationFailed, 401), "{err}");
    assert!(err.message().contains("user verification"), "{err}");
    let mut relaxed = input.clone();
    relaxed["requireUserVerification"] = false.into();
    api::verify_authentication(&relaxed).unwrap();
}

#[test]
fn stateless_verification_refuses_an_empty_expected_challenge() {
    let (assertion, credential) = stateless_assertion(true);
    let input = json!({"response": assertion, "expectedChallenge": "", "expectedOrigin": ORIGIN,
        "expectedRPID": RP_ID, "credential": credential});
    let err = api::verify_authentication(&input).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest, "{err}");
    assert!(err.message().contains("expectedChallenge"), "{err}");
}

#[test]
fn rp_id_that_is_a_public_suffix_is_refused() {
    for (rp_id, base_url) in
        [("com", "https://example.com"), ("github.io", "https://kavach.github.io"), ("co.uk", "https://shop.co.uk")]
    {
        let config = json!({"secret": SECRET, "baseUrl": base_url,
            "plugins": [{"id": "passkey", "rpName": "App", "rpId": rp_id}]});
        let err = Settings::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("public suffix"), "{rp_id}: {err}");
    }
    for (rp_id, base_url) in [("localhost", "http://localhost:3000"), ("kavach.github.io", "https://kavach.github.io")]
    {
        let config = json!({"secret": SECRET, "baseUrl": base_url,
            "plugins": [{"id": "passkey", "rpName": "App", "rpId": rp_id}]});
        Settings::from_json(&config.to_string()).unwrap_or_else(|e| panic!("{rp_id}: {e}"));
    }
}

#[test]
fn expired_sessions_are_swept_without_any_options_request() {
    let h = Harness::new();
    let user = h.kavach.create_user("ada@example.com", None).unwrap();
    for _ in 0..40 {
        h.kavach.create_session(&user.id).unwrap();
    }
    h.advance_ms(8 * 24 * 3600 * 1000); // past the 7-day default
    for _ in 0..5 {
        h.kavach.create_session(&user.id).unwrap();
    }
    let left = h.database.count("kavach_sessions");
    assert!(left < 40, "expired sessions are still stored: {left}");
}

/// The attacker's own passkey for the same RP ID, registered with another server.
fn attacker_passkey() -> Authenticator {
    let elsewhere = Harness::new();
    let mut attacker = Authenticator::new();
    let (_, token) = elsewhere.signup("attacker@example.com");
    assert_eq!(elsewhere.register(&mut attacker, &token).status, 200);
    attacker
}

/// The attacker's forgery: the first `allowCredentials` ID of `{email}` options, under a
/// challenge from `{email}` options or usernameless ones, signed by the attacker's own key (the
/// ID is not signed), with or without the attacker's userHandle. Returns `(status, body)`.
fn forge(
    h: &Harness,
    attacker: &mut Authenticator,
    email: &str,
    usernameless: bool,
    keep_user_handle: bool,
) -> (u16, Value) {
    let target = h.authenticate_options(Some(email))["allowCredentials"][0]["id"].clone();
    let options = h.authenticate_options(if usernameless { None } else { Some(email) });
    let request = json!({"challenge": options["challenge"], "rpId": RP_ID, "allowCredentials": []});
    let mut assertion = attacker.authenticate(&request, ORIGIN).unwrap();
    assertion["id"] = target.clone();
    assertion["rawId"] = target;
    if !keep_user_handle {
        assertion["response"].as_object_mut().unwrap().remove("userHandle");
    }
    let response = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    (response.status, response.json())
}

/// Found while adding the Signal API (issue 17): an attacker asks for sign-in options by email,
/// takes the first `allowCredentials` ID and posts an assertion signed by a key of their own under
/// that ID (the ID is not signed) without a `userHandle`. For a real account the ID exists and
/// the signature check refuses it; for an unknown email the made-up ID was answered "this passkey
/// is not registered here" instead, which told the two apart.
#[test]
fn a_forged_assertion_is_answered_alike_for_real_and_unknown_emails() {
    let h = Harness::new();
    let mut victim = Authenticator::new();
    let (_, token) = h.signup("victim@example.com");
    assert_eq!(h.register(&mut victim, &token).status, 200);

    let mut attacker = attacker_passkey();
    let mut answer = |email: &str| {
        let (status, body) = forge(&h, &mut attacker, email, false, false);
        (status, body["code"].clone(), body["error"].clone())
    };
    let real = answer("victim@example.com");
    assert_eq!(real.1, "VERIFICATION_FAILED", "{real:?}");
    assert_eq!(answer("nobody@example.com"), real);
}

/// Review of 6fe1a69, finding 1: a fake ID from `{email}` options, posted against a
/// *usernameless* challenge, answered 404 + `signal.unknownCredential`, while a real account's ID
/// was found and answered 401: together the two flows told a real email from an unknown one.
/// Finding 2: in the email flow the userHandle check ran before the signature, so an attacker's
/// assertion that kept its own userHandle got "userHandle does not match" for a real account and
/// "signature does not verify" for an unknown email. Each probe below must answer alike.
#[test]
fn probes_combining_both_flows_answer_alike_for_real_and_unknown_emails() {
    let h = Harness::new();
    let mut victim = Authenticator::new();
    let (_, token) = h.signup("victim@example.com");
    assert_eq!(h.register(&mut victim, &token).status, 200);
    let mut attacker = attacker_passkey();
    let mut probe = |email: &str, usernameless: bool, keep_user_handle: bool| {
        let (status, body) = forge(&h, &mut attacker, email, usernameless, keep_user_handle);
        (status, body["code"].clone(), body["error"].clone(), body.get("signal").cloned())
    };
    for usernameless in [false, true] {
        for keep_user_handle in [false, true] {
            let real = probe("victim@example.com", usernameless, keep_user_handle);
            let unknown = probe("nobody@example.com", usernameless, keep_user_handle);
            assert_eq!(real, unknown, "usernameless {usernameless}, userHandle kept {keep_user_handle}");
            assert_eq!(real.0, 401, "{real:?}");
        }
    }
}

/// Review of 6fe1a69, finding 3: a forged assertion under a real ML-DSA credential's ID was
/// answered "ML-DSA-44 signatures are 2420 bytes, this one is N", which named a real account and
/// its key's algorithm; the decoy (ES256) says "signature does not verify".
#[test]
fn a_forged_signature_reads_the_same_whatever_the_real_keys_algorithm() {
    let h = Harness::new();
    let mut victim = Authenticator::new();
    let (_, token) = h.signup("victim@example.com");
    let options = h.register_options(&token);
    let credential = victim.register_with(&options, ORIGIN, kavach_test_authenticator::Algorithm::MlDsa44).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
    let mut attacker = attacker_passkey();
    let mut probe = |email: &str| {
        let (status, body) = forge(&h, &mut attacker, email, false, false);
        (status, body["error"].clone())
    };
    assert_eq!(probe("victim@example.com"), probe("nobody@example.com"));
}
