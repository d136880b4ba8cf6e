//! Every signature algorithm through the router (issue 21): ML-DSA-44/65/87 (AKP keys, RFC 9964),
//! PS384, PS512 and Ed25519 under -19, with each attestation a software authenticator can make,
//! on the engine under test (SQLite, or PostgreSQL with `KAVACH_TEST_POSTGRES_URL`); the
//! `passkey.algorithms` option; and the refusals: keys of the wrong size or shape, signatures of
//! another parameter set, algorithms that were not offered, Ed448.

mod support;

use aws_lc_rs::signature::{ML_DSA_44_SIGNING, ML_DSA_65_SIGNING, PqdsaKeyPair, PqdsaSigningAlgorithm};
use ciborium::Value as Cbor;
use kavach_core::ErrorCode;
use kavach_core::http::Response;
use kavach_test_authenticator::{b64, decode_b64url, sha256};
use serde_json::{Value, json};
use support::*;

const NEW_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::MlDsa44,
    Algorithm::MlDsa65,
    Algorithm::MlDsa87,
    Algorithm::Ps384,
    Algorithm::Ps512,
    Algorithm::Ed25519,
];

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

fn int(i: i64) -> Cbor {
    Cbor::Integer(i.into())
}

/// Registers with `alg` forced: `(the authenticator's response, kavach's answer)`.
fn register_with(h: &Harness, authenticator: &mut Authenticator, token: &str, alg: Algorithm) -> (Value, Response) {
    let options = h.register_options(token);
    let response = authenticator.register_with(&options, ORIGIN, alg).unwrap();
    let verified = h.post("/auth/passkey/register/verify", &response, Some(token));
    (response, verified)
}

/// Registration with the credential's COSE key replaced (attestation `none`, so nothing signs the
/// key: the relying party's own checks are what refuse it).
fn register_with_key(h: &Harness, token: &str, alg: Algorithm, cose: Vec<u8>) -> Response {
    let options = h.register_options(token);
    let tweaks = Tweaks { cose_key_override: Some(cose), ..Default::default() };
    let response = Authenticator::new().register_with_tweaks(&options, ORIGIN, Some(alg), &tweaks).unwrap();
    h.post("/auth/passkey/register/verify", &response, Some(token))
}

fn error_message(response: &Response) -> String {
    response.json()["error"].as_str().unwrap_or_default().to_owned()
}

/// The stored `(public_key, algorithm)` of a credential, read outside kavach.
fn stored_key(h: &Harness, credential_id: &str) -> (Vec<u8>, i64) {
    let id = decode_b64url(credential_id).unwrap();
    let row = h
        .database
        .query_one("SELECT public_key, algorithm FROM kavach_passkey_credentials WHERE credential_id = ?1", &id)
        .expect("credential stored");
    (row[0].bytes(), row[1].int())
}

#[test]
fn every_new_algorithm_registers_with_each_attestation_and_signs_in_twice() {
    for mode in [AttestationMode::None, AttestationMode::PackedSelf, AttestationMode::PackedX5c] {
        let h = Harness::new();
        for alg in NEW_ALGORITHMS {
            let email = format!("{}-{mode:?}@example.com", alg.name()).to_lowercase();
            let (user_id, token) = h.signup(&email);
            let mut authenticator = Authenticator::new().with_attestation(mode);
            let (response, verified) = register_with(&h, &mut authenticator, &token, alg);
            assert_eq!(verified.status, 200, "{alg:?} {mode:?}: {}", verified.json());
            let id = response["id"].as_str().unwrap();
            let (public_key, algorithm) = stored_key(&h, id);
            assert_eq!(public_key, authenticator.credentials()[0].cose_public_key, "{alg:?}: stored as sent");
            assert_eq!(algorithm, alg.cose_id());

            for round in 1..=2 {
                let signed_in = h.sign_in(&mut authenticator, Some(&email));
                assert_eq!(signed_in.status, 200, "{alg:?} {mode:?} round {round}: {}", signed_in.json());
                assert_eq!(signed_in.json()["userId"], user_id.as_str());
            }
            // The key parsed from storage (not the registration's copy) verified both.
            let counter = h
                .database
                .query_one(
                    "SELECT counter FROM kavach_passkey_credentials WHERE credential_id = ?1",
                    &decode_b64url(id).unwrap(),
                )
                .unwrap()[0]
                .int();
            assert_eq!(counter, 2, "{alg:?}");
        }
    }
}

#[test]
fn ml_dsa_87_keys_and_signatures_fit_storage_and_the_body_limit() {
    let h = Harness::new();
    let (_, token) = h.signup("big@example.com");
    let mut authenticator = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
    let (response, verified) = register_with(&h, &mut authenticator, &token, Algorithm::MlDsa87);
    assert_eq!(verified.status, 200, "{}", verified.json());
    let body = response.to_string().len();
    // The largest registration: a 2,592-byte key and a 4,627-byte self-attestation signature.
    assert!((9_000..20_000).contains(&body), "registration body {body} bytes");
    let (public_key, _) = stored_key(&h, response["id"].as_str().unwrap());
    assert_eq!(public_key.len(), 2592 + 10, "AKP map header, kty, alg and the 2,592-byte pub");

    let options = h.authenticate_options(Some("big@example.com"));
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    assert_eq!(decode_b64url(assertion["response"]["signature"].as_str().unwrap()).unwrap().len(), 4627);
    let body = assertion.to_string().len();
    assert!(body < 8_000, "assertion body {body} bytes, far below the 64 KiB limit");
    let signed_in = h.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());
}

#[test]
fn configured_order_is_offered_and_a_pq_first_deployment_gets_ml_dsa_credentials() {
    let h = Harness::with_passkey_options(json!({"algorithms": ["ML-DSA-44", "ES256"]}));
    let (_, token) = h.signup("pq@example.com");
    let options = h.register_options(&token);
    assert_eq!(
        options["pubKeyCredParams"],
        json!([{"type": "public-key", "alg": -48}, {"type": "public-key", "alg": -7}])
    );
    // The authenticator takes the first entry it supports, as browsers do.
    let mut authenticator = Authenticator::new();
    let credential = authenticator.register(&options, ORIGIN).unwrap();
    assert_eq!(credential["response"]["publicKeyAlgorithm"], -48);
    let verified = h.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_eq!(verified.status, 200, "{}", verified.json());
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
}

#[test]
fn default_options_offer_every_verified_algorithm_classic_first() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let algs: Vec<i64> = h.register_options(&token)["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algs, [-8, -19, -7, -35, -36, -37, -38, -39, -257, -48, -49, -50]);
}

#[test]
fn an_ml_dsa_credential_is_refused_where_ml_dsa_was_not_offered() {
    let h = Harness::with_passkey_options(json!({"algorithms": ["ES256", "EdDSA"]}));
    let (_, token) = h.signup("classic@example.com");
    let options = h.register_options(&token);
    assert_eq!(options["pubKeyCredParams"].as_array().unwrap().len(), 2);
    for alg in [Algorithm::MlDsa44, Algorithm::Ps384, Algorithm::Ed25519] {
        let mut authenticator = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
        let (_, verified) = register_with(&h, &mut authenticator, &token, alg);
        assert_error(&verified, 400, "VERIFICATION_FAILED");
        let expected = format!("credential algorithm {} ({}) was not offered", alg.name(), alg.cose_id());
        assert!(error_message(&verified).contains(&expected), "{}", error_message(&verified));
    }
    assert_eq!(h.database.count("kavach_passkey_credentials"), 0);
}

/// An AKP key as an authenticator would encode it: `{1: 7, 3: alg, -1: pub}` plus `extra`.
fn akp_key(alg: i64, public: &[u8], extra: Vec<(Cbor, Cbor)>) -> Vec<u8> {
    let mut map = vec![(int(1), int(7)), (int(3), int(alg)), (int(-1), Cbor::Bytes(public.to_vec()))];
    map.extend(extra);
    cbor(&Cbor::Map(map))
}

fn ml_dsa_public_key(signing: &'static PqdsaSigningAlgorithm) -> (PqdsaKeyPair, Vec<u8>) {
    use aws_lc_rs::signature::KeyPair;
    let pair = PqdsaKeyPair::generate(signing).unwrap();
    let public = pair.public_key().as_ref().to_vec();
    (pair, public)
}

#[test]
fn malformed_ml_dsa_keys_are_refused_at_registration_with_what_is_wrong() {
    let h = Harness::new();
    let (_, token) = h.signup("keys@example.com");
    let (_, key44) = ml_dsa_public_key(&ML_DSA_44_SIGNING);
    let (_, key65) = ml_dsa_public_key(&ML_DSA_65_SIGNING);
    let spki = {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair;
        let pair = PqdsaKeyPair::generate(&ML_DSA_44_SIGNING).unwrap();
        pair.public_key().as_der().unwrap().as_ref().to_vec()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("one byte short", akp_key(-48, &key44[..1311], vec![]), "ML-DSA-44 public key must be 1312 bytes (got 1311)"),
        ("one byte long", akp_key(-48, &[&key44[..], &[0]].concat(), vec![]), "must be 1312 bytes (got 1313)"),
        ("an ML-DSA-65 key labelled ML-DSA-44", akp_key(-48, &key65, vec![]), "must be 1312 bytes (got 1952)"),
        (
            "an ML-DSA-44 key labelled ML-DSA-65",
            akp_key(-49, &key44, vec![]),
            "ML-DSA-65 public key must be 1952 bytes",
        ),
        ("a DER SubjectPublicKeyInfo instead of the raw key", akp_key(-48, &spki, vec![]), "must be 1312 bytes"),
        ("no pub", cbor(&Cbor::Map(vec![(int(1), int(7)), (int(3), int(-48))])), "a required key parameter is missing"),
        (
            "the private key included",
            akp_key(-48, &key44, vec![(int(-2), Cbor::Bytes(vec![7; 32]))]),
            "private key material",
        ),
        (
            "an EC2 key type",
            {
                let mut key = akp_key(-48, &key44, vec![]);
                key[2] = 0x02; // kty 7 -> 2
                key
            },
            "ML-DSA needs an AKP key (kty 7)",
        ),
        (
            "an Ed448 key",
            cbor(&Cbor::Map(vec![
                (int(1), int(1)),
                (int(3), int(-53)),
                (int(-1), int(7)),
                (int(-2), Cbor::Bytes(vec![9; 57])),
            ])),
            "Ed448 (-53) is not verified",
        ),
    ];
    for (what, cose, expected) in cases {
        let response = register_with_key(&h, &token, Algorithm::MlDsa44, cose);
        assert_error(&response, 400, "VERIFICATION_FAILED");
        let message = error_message(&response);
        assert!(message.contains(expected), "{what}: {message}");
    }
    assert_eq!(h.database.count("kavach_passkey_credentials"), 0);
}

/// An assertion for `options` made by hand: `sign` gets `authData || SHA-256(clientDataJSON)`.
fn assertion(options: &Value, credential_id: &str, counter: u32, sign: impl Fn(&[u8]) -> Vec<u8>) -> Value {
    use kavach_test_authenticator::{authenticator_data, client_data_json};
    let auth_data = authenticator_data(RP_ID, flags::UP | flags::UV, counter, None);
    let client_data = client_data_json("webauthn.get", options["challenge"].as_str().unwrap(), ORIGIN);
    let mut message = auth_data.clone();
    message.extend_from_slice(&sha256(&client_data));
    json!({
        "id": credential_id, "rawId": credential_id, "type": "public-key",
        "response": {
            "clientDataJSON": b64(&client_data),
            "authenticatorData": b64(&auth_data),
            "signature": b64(&sign(&message)),
        },
        "clientExtensionResults": {},
    })
}

fn okp_key(alg: i64, crv: Option<i64>, x: &[u8]) -> Vec<u8> {
    let mut map = vec![(int(1), int(1)), (int(3), int(alg))];
    if let Some(crv) = crv {
        map.push((int(-1), int(crv)));
    }
    map.push((int(-2), Cbor::Bytes(x.to_vec())));
    cbor(&Cbor::Map(map))
}

#[test]
fn ed25519_under_minus_19_may_omit_the_curve_but_never_name_another() {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let h = Harness::new();
    let email = "ed@example.com";
    let (_, token) = h.signup(email);

    // -19 names the curve itself (RFC 9864), so a key without crv is a complete Ed25519 key.
    let pair = Ed25519KeyPair::generate().unwrap();
    let response = register_with_key(&h, &token, Algorithm::Ed25519, okp_key(-19, None, pair.public_key().as_ref()));
    assert_eq!(response.status, 200, "{}", response.json());
    let id = response.json()["credential"]["id"].as_str().unwrap().to_owned();
    let options = h.authenticate_options(Some(email));
    let signed_in = h.post(
        "/auth/passkey/authenticate/verify",
        &assertion(&options, &id, 1, |m| pair.sign(m).as_ref().to_vec()),
        None,
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.json());

    for (what, cose, expected) in [
        ("Ed25519 naming X25519", okp_key(-19, Some(4), &[1; 32]), "need an Ed25519 OKP key"),
        ("EdDSA without a curve", okp_key(-8, None, &[1; 32]), "need an Ed25519 OKP key"),
        ("Ed25519 with a 57-byte (Ed448-sized) key", okp_key(-19, Some(6), &[1; 57]), "Ed25519 key must be 32 bytes"),
    ] {
        let response = register_with_key(&h, &token, Algorithm::Ed25519, cose);
        assert_error(&response, 400, "VERIFICATION_FAILED");
        assert!(error_message(&response).contains(expected), "{what}: {}", error_message(&response));
    }
}

#[test]
fn an_ml_dsa_signature_must_be_of_the_credential_parameter_set_and_key() {
    let h = Harness::new();
    let email = "sig@example.com";
    let (_, token) = h.signup(email);
    let (pair, public) = ml_dsa_public_key(&ML_DSA_44_SIGNING);
    let response = register_with_key(&h, &token, Algorithm::MlDsa44, akp_key(-48, &public, vec![]));
    assert_eq!(response.status, 200, "{}", response.json());
    let id = response.json()["credential"]["id"].as_str().unwrap().to_owned();
    fn sign_with(pair: &PqdsaKeyPair) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
        move |message: &[u8]| {
            let mut signature = vec![0; pair.algorithm().signature_len()];
            let len = pair.sign(message, &mut signature).unwrap();
            signature.truncate(len);
            signature
        }
    }
    let (other_65, _) = ml_dsa_public_key(&ML_DSA_65_SIGNING);
    let (other_44, _) = ml_dsa_public_key(&ML_DSA_44_SIGNING);
    type Signer<'a> = Box<dyn Fn(&[u8]) -> Vec<u8> + 'a>;
    let refused: Vec<(&str, Signer, &str)> = vec![
        (
            "an ML-DSA-65 signature",
            Box::new(sign_with(&other_65)),
            // Through a sign-in every signature failure reads the same, so that the answer names
            // neither a real account nor its key's algorithm (security_review.rs); the stateless
            // API, whose caller holds the key, names the parameter set (the bindings' stateless tests).
            "signature does not verify",
        ),
        ("another ML-DSA-44 key's signature", Box::new(sign_with(&other_44)), "signature does not verify"),
        (
            "a truncated signature",
            Box::new(|m: &[u8]| sign_with(&pair)(m)[..2419].to_vec()),
            "signature does not verify",
        ),
        (
            "a signature with a byte flipped",
            Box::new(|m: &[u8]| {
                let mut signature = sign_with(&pair)(m);
                signature[100] ^= 1;
                signature
            }),
            "signature does not verify",
        ),
    ];
    for (what, sign, expected) in refused {
        let options = h.authenticate_options(Some(email));
        let answer = h.post("/auth/passkey/authenticate/verify", &assertion(&options, &id, 1, sign), None);
        assert_error(&answer, 401, "VERIFICATION_FAILED");
        assert!(error_message(&answer).contains(expected), "{what}: {}", error_message(&answer));
    }
    let options = h.authenticate_options(Some(email));
    let answer = h.post("/auth/passkey/authenticate/verify", &assertion(&options, &id, 1, sign_with(&pair)), None);
    assert_eq!(answer.status, 200, "the real key still signs in: {}", answer.json());
}

#[test]
fn the_stateless_api_takes_the_algorithms_offered_by_name() {
    let mut authenticator = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
    let options = json!({
        "challenge": "Y2hhbGxlbmdl", "rp": {"id": RP_ID, "name": "Example"},
        "user": {"id": "dXNlcg", "name": "ada", "displayName": "Ada"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -49}],
    });
    let response = authenticator.register(&options, ORIGIN).unwrap();
    let input = |algorithms: Value| {
        let mut input = json!({"response": response, "expectedChallenge": "Y2hhbGxlbmdl",
            "expectedOrigin": ORIGIN, "expectedRPID": RP_ID});
        if !algorithms.is_null() {
            input["expectedAlgorithms"] = algorithms;
        }
        input
    };
    let verified = kavach_core::verify::json::verify_registration(&input(Value::Null)).unwrap();
    assert_eq!(verified["algorithm"], -49);
    assert_eq!(kavach_core::verify::json::verify_registration(&input(json!(["ML-DSA-65"]))).unwrap()["algorithm"], -49);
    let refused = kavach_core::verify::json::verify_registration(&input(json!(["ES256", "ML-DSA-44"]))).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::VerificationFailed);
    assert!(refused.message().contains("ML-DSA-65 (-49) was not offered"), "{refused}");
    let bad = kavach_core::verify::json::verify_registration(&input(json!(["ML-DSA65"]))).unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidRequest);
    assert!(bad.message().starts_with("expectedAlgorithms: 'ML-DSA65' is not an algorithm"), "{bad}");

    // Sign-in with the registered key, through the same API.
    let key = verified["publicKey"].as_str().unwrap().to_owned();
    let assertion = authenticator.authenticate(&json!({"challenge": "c2lnbg", "rpId": RP_ID}), ORIGIN).unwrap();
    let signed = kavach_core::verify::json::verify_authentication(&json!({
        "response": assertion, "expectedChallenge": "c2lnbg", "expectedOrigin": ORIGIN, "expectedRPID": RP_ID,
        "credential": {"publicKey": key, "counter": 0},
    }))
    .unwrap();
    assert_eq!(signed["counter"], 1);
}

/// The fixtures every binding's stateless test uses (tests/fixtures/stateless-algorithms.json,
/// made by `tests/authenticator/examples/stateless_fixtures.rs`) verify here too, so a broken
/// regeneration fails in Rust first.
#[test]
fn the_binding_fixtures_verify() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/stateless-algorithms.json");
    let fixtures: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let names: Vec<&str> = fixtures["cases"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ML-DSA-44", "ML-DSA-87", "PS384"]);
    for case in fixtures["cases"].as_array().unwrap() {
        let verified = kavach_core::verify::json::verify_registration(&case["registration"]).unwrap();
        assert_eq!(verified["algorithm"], case["alg"]);
        assert_eq!(verified["publicKey"], case["authentication"]["credential"]["publicKey"]);
        assert_eq!(kavach_core::verify::json::verify_authentication(&case["authentication"]).unwrap()["counter"], 1);
    }
}

/// `packed` with an ML-DSA attestation certificate (RFC 9881) issued by an ML-DSA CA: the
/// statement signature and the chain's signature are ML-DSA, and the chain reaches the configured
/// root. A corrupted statement signature, or another parameter set's root, is refused.
#[test]
fn packed_x5c_with_ml_dsa_attestation_certificates_chains_to_a_configured_root() {
    for alg in [Algorithm::MlDsa44, Algorithm::MlDsa87] {
        let mut authenticator = Authenticator::new()
            .with_attestation(AttestationMode::PackedX5c)
            .with_attestation_algorithm(alg)
            .unwrap()
            .with_x5c_root_included(false);
        let root = json!([{"name": "pq test root", "format": "packed", "pem": authenticator.attestation_root_pem()}]);
        let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestationRoots": root}));
        let (_, token) = h.signup("pq-attested@example.com");
        let (_, verified) = register_with(&h, &mut authenticator, &token, Algorithm::Es256);
        assert_eq!(verified.status, 200, "{alg:?}: {}", verified.json());
        assert_eq!(
            verified.json()["credential"]["attestation"],
            json!({"format": "packed", "trust": "verified", "root": "pq test root", "source": "configured",
                "aaguidAttested": false}),
            "{alg:?}"
        );

        let (_, other_user) = h.signup("tampered@example.com");
        let options = h.register_options(&other_user);
        let tweaks = Tweaks { corrupt_signature: true, ..Default::default() };
        let response = authenticator.register_with_tweaks(&options, ORIGIN, Some(Algorithm::MlDsa44), &tweaks).unwrap();
        let refused = h.post("/auth/passkey/register/verify", &response, Some(&other_user));
        assert_error(&refused, 400, "VERIFICATION_FAILED");
        assert!(
            error_message(&refused).contains("attestation signature does not verify"),
            "{}",
            error_message(&refused)
        );
    }

    // A trusted root of the leaf's issuer name but another parameter set cannot have issued it: a
    // chain naming a trusted root that fails its checks is forged or damaged, and refused.
    let mut authenticator = Authenticator::new()
        .with_attestation(AttestationMode::PackedX5c)
        .with_attestation_algorithm(Algorithm::MlDsa44)
        .unwrap()
        .with_x5c_root_included(false);
    let other = Authenticator::new().with_attestation_algorithm(Algorithm::MlDsa65).unwrap();
    let root = json!([{"name": "other root", "format": "packed", "pem": other.attestation_root_pem()}]);
    let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestationRoots": root}));
    let (_, token) = h.signup("pq-unverified@example.com");
    let (_, refused) = register_with(&h, &mut authenticator, &token, Algorithm::MlDsa44);
    assert_error(&refused, 400, "VERIFICATION_FAILED");
    assert!(
        error_message(&refused).contains("issuer key type does not match the certificate signature algorithm"),
        "{}",
        error_message(&refused)
    );
}
