//! Real-device and specification vectors from other libraries' test suites
//! (`../shared/conformance/`, see its README), run through the stateless verify API.
//!
//! Every vector must give its expected verdict, or be listed in `KNOWN_UNSUPPORTED` with the reason
//! and the specific error it fails with today. A listed vector that starts passing fails this test,
//! so the list can only shrink.

use std::path::PathBuf;

use kavach_core::verify::{
    AuthenticationExpectations, RegistrationExpectations, decode_public_key, verify_authentication_response,
    verify_registration_response,
};
use kavach_core::webauthn::CoseAlgorithm;
use kavach_core::{Error, ErrorCode};
use serde_json::Value;

/// Vectors whose expected "pass" needs something kavach deliberately does not do (yet):
/// `(file, why, the error code and check it must fail with instead)`.
const KNOWN_UNSUPPORTED: &[(&str, &str, ErrorCode, Option<&str>)] = &[(
    "py_webauthn/reg-tpm-surface-pro-4-intel.json",
    "attestationObject is in the standard base64 alphabet and clientDataJSON is padded: kavach decodes \
     base64url strictly, so this is a clean INVALID_REQUEST rather than a lenient guess",
    ErrorCode::InvalidRequest,
    None,
)];

fn conformance_dir() -> PathBuf {
    std::env::var_os("KAVACH_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"))
}

/// Every vector file, sorted.
fn vector_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| {
            panic!("conformance vectors not found at {} ({e}); set KAVACH_CONFORMANCE_DIR", dir.display())
        })
        .map(|suite| suite.unwrap().path())
        .filter(|path| path.is_dir())
        .flat_map(|suite| std::fs::read_dir(suite).into_iter().flatten())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn run(vector: &Value) -> Result<String, Error> {
    let challenge = vector["expectedChallenge"].as_str().unwrap();
    let origins = strings(&vector["expectedOrigin"]);
    let rp_id = vector["expectedRPID"].as_str().unwrap();
    let require_uv = vector["requireUserVerification"].as_bool().unwrap_or(false);
    let allow_cross_origin = vector["allowCrossOrigin"].as_bool().unwrap_or(false);
    let top_origins = strings(&vector["expectedTopOrigins"]);
    match vector["kind"].as_str().unwrap() {
        "registration" => verify_registration_response(
            &vector["response"],
            &RegistrationExpectations {
                challenge,
                origins: &origins,
                rp_id,
                require_user_verification: require_uv,
                algorithms: &CoseAlgorithm::ALL,
                allow_cross_origin,
                top_origins: &top_origins,
            },
        )
        .map(|v| format!("{} {} {:?}", v.attestation_format, v.attestation_trust.as_str(), v.algorithm)),
        "authentication" => {
            let key = decode_public_key(vector["credentialPublicKey"].as_str().unwrap())?;
            verify_authentication_response(
                &vector["response"],
                &AuthenticationExpectations {
                    challenge,
                    origins: &origins,
                    rp_id,
                    require_user_verification: require_uv,
                    credential_public_key: &key,
                    counter: vector["counter"].as_u64().unwrap() as u32,
                    allow_cross_origin,
                    top_origins: &top_origins,
                },
            )
            .map(|v| format!("counter {}", v.counter))
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_conformance_vector_gives_its_expected_verdict() {
    let dir = conformance_dir();
    let files = vector_files(&dir);
    assert!(files.len() >= 36, "expected at least 36 vectors, found {}", files.len());

    let (mut passed, mut failed_as_expected, mut known_unsupported, mut wrong) = (0, 0, 0, Vec::new());
    for path in &files {
        let name = path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let expect_pass = vector["expect"] == "pass";
        let outcome = run(&vector);
        let detail = match &outcome {
            Ok(facts) => format!("ok ({facts})"),
            Err(e) => format!("{} {} [{}]", e.code(), e.message(), e.check().map_or("-", |c| c.as_str())),
        };
        println!("{name:60} expect {:4} -> {detail}", vector["expect"].as_str().unwrap());
        if let Some((_, why, code, check)) = KNOWN_UNSUPPORTED.iter().find(|(f, ..)| *f == name) {
            match &outcome {
                Err(e) if e.code() == *code && e.check().map(|c| c.as_str()) == *check => known_unsupported += 1,
                _ => wrong.push(format!("{name}: listed as unsupported ({why}) but gave {detail}")),
            }
            continue;
        }
        match (expect_pass, &outcome) {
            (true, Ok(_)) => passed += 1,
            (false, Err(e)) if e.code() != ErrorCode::Internal => failed_as_expected += 1,
            _ => wrong.push(format!("{name}: expected {} but got {detail}", vector["expect"])),
        }
    }
    println!(
        "conformance tally: {} vectors, {passed} pass as expected, {failed_as_expected} fail as expected, \
         {known_unsupported} known unsupported, {} wrong",
        files.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "conformance mismatches:\n{}", wrong.join("\n"));
}

/// The JSON API the bindings pass through gives the same verdicts as the typed one.
#[test]
fn the_json_api_agrees_with_the_typed_api_on_every_vector() {
    for path in vector_files(&conformance_dir()) {
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if vector["allowCrossOrigin"] == true {
            continue; // the JSON API has no cross-origin options (yet): typed API only
        }
        let mut input = serde_json::json!({
            "response": vector["response"],
            "expectedChallenge": vector["expectedChallenge"],
            "expectedOrigin": vector["expectedOrigin"],
            "expectedRPID": vector["expectedRPID"],
            "requireUserVerification": vector["requireUserVerification"],
        });
        let json_result = if vector["kind"] == "registration" {
            kavach_core::api::verify_registration(&input)
        } else {
            input["credential"] = serde_json::json!({
                    "id": vector["response"]["id"], "publicKey": vector["credentialPublicKey"], "counter": vector["counter"]});
            kavach_core::api::verify_authentication(&input)
        };
        let typed = run(&vector);
        assert_eq!(json_result.is_ok(), typed.is_ok(), "{}", path.display());
        if let (Err(a), Err(b)) = (&json_result, &typed) {
            assert_eq!((a.code(), a.check()), (b.code(), b.check()), "{}", path.display());
        }
    }
}
