//! Writes `tests/fixtures/stateless-algorithms.json`: registrations and sign-ins made by this
//! software authenticator (real keys, real signatures) for the algorithms the bindings' own test
//! authenticators cannot make (ML-DSA: Node 20's crypto and Go's standard library have no ML-DSA
//! signer), plus PS384, so every binding's stateless API test runs the same cases:
//!
//! ```sh
//! cargo run -q -p kavach-test-authenticator --example stateless_fixtures > tests/fixtures/stateless-algorithms.json
//! ```
//!
//! Each case: `registration` is the `verifyRegistrationResponse` input (packed self attestation,
//! so the registration carries a signature too), `authentication` the
//! `verifyAuthenticationResponse` input for the credential it registered (stored counter 0;
//! the assertion's counter is 1). Keys are fresh on every run; the file is committed.

use kavach_test_authenticator::{Algorithm, AttestationMode, Authenticator, b64};
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";
const RP_ID: &str = "localhost";

fn case(alg: Algorithm) -> Value {
    let mut authenticator = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
    let challenge = b64(format!("registration challenge for {}", alg.name()).as_bytes());
    let creation = json!({
        "challenge": challenge,
        "rp": {"id": RP_ID, "name": "kavach fixtures"},
        "user": {"id": b64(b"fixture-user"), "name": "fixture", "displayName": "Fixture"},
        "pubKeyCredParams": [{"type": "public-key", "alg": alg.cose_id()}],
    });
    let registration = authenticator.register(&creation, ORIGIN).expect("register");
    let credential = authenticator.credentials()[0].clone();
    let sign_in_challenge = b64(format!("sign-in challenge for {}", alg.name()).as_bytes());
    let assertion =
        authenticator.authenticate(&json!({"challenge": sign_in_challenge, "rpId": RP_ID}), ORIGIN).expect("sign");
    json!({
        "name": alg.name(),
        "alg": alg.cose_id(),
        "registration": {
            "response": registration,
            "expectedChallenge": challenge,
            "expectedOrigin": ORIGIN,
            "expectedRPID": RP_ID,
        },
        "authentication": {
            "response": assertion,
            "expectedChallenge": sign_in_challenge,
            "expectedOrigin": ORIGIN,
            "expectedRPID": RP_ID,
            "credential": {"id": b64(&credential.id), "publicKey": b64(&credential.cose_public_key), "counter": 0},
        },
    })
}

fn main() {
    let cases: Vec<Value> = [Algorithm::MlDsa44, Algorithm::MlDsa87, Algorithm::Ps384].into_iter().map(case).collect();
    let out = json!({
        "generatedBy": "cargo run -q -p kavach-test-authenticator --example stateless_fixtures \
                        > tests/fixtures/stateless-algorithms.json",
        "cases": cases,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
