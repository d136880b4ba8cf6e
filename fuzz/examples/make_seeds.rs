//! Writes the seed corpora in `fuzz/seeds/<target>/`: the conformance vectors (real devices) in
//! each target's input format, and ceremonies generated with the software authenticator.
//!
//! `cargo run --release --example make_seeds -- [conformance-dir] [out-dir]` (defaults: ../../shared/conformance,
//! seeds). Generated ceremonies use fresh keys, so re-running rewrites those files.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use kavach_test_authenticator::{Algorithm, AttestationMode, Authenticator, sha256};
use serde_json::{Value, json};

const ORIGIN: &str = "https://app.example.com";
const RP_ID: &str = "example.com";
const CHALLENGE: &str = "ZnV6ei1jaGFsbGVuZ2UtZnV6ei1jaGFsbGVuZ2UtMDA";

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).unwrap_or_default()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn auth_data_of(attestation_object: &[u8]) -> Option<Vec<u8>> {
    let value: Cbor = ciborium::de::from_reader(attestation_object).ok()?;
    value.into_map().ok()?.into_iter().find(|(k, _)| k.as_text() == Some("authData"))?.1.into_bytes().ok()
}

/// The COSE key inside attested credential data.
fn cose_key_of(auth_data: &[u8]) -> Option<Vec<u8>> {
    let id_len = u16::from_be_bytes([*auth_data.get(53)?, *auth_data.get(54)?]) as usize;
    let rest = auth_data.get(55 + id_len..)?;
    let mut reader = rest;
    let _: Cbor = ciborium::de::from_reader(&mut reader).ok()?;
    Some(rest[..rest.len() - reader.len()].to_vec())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let conformance = PathBuf::from(args.get(1).map_or("../../shared/conformance", String::as_str));
    let out = PathBuf::from(args.get(2).map_or("seeds", String::as_str));
    let (verify, cose, attestation, config) =
        (out.join("verify_response"), out.join("cose_key"), out.join("attestation"), out.join("config"));

    // --- conformance vectors ---
    let mut vectors: Vec<PathBuf> = std::fs::read_dir(&conformance)
        .expect("conformance directory")
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    vectors.sort();
    for path in &vectors {
        let vector: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let name = format!(
            "{}-{}",
            path.parent().unwrap().file_name().unwrap().to_string_lossy(),
            path.file_stem().unwrap().to_string_lossy()
        );
        let mut doc = json!({});
        for key in [
            "kind",
            "response",
            "expectedChallenge",
            "expectedOrigin",
            "expectedRPID",
            "requireUserVerification",
            "credentialPublicKey",
            "counter",
        ] {
            if let Some(v) = vector.get(key) {
                doc[key] = v.clone();
            }
        }
        write(&verify, &format!("{name}.json"), doc.to_string().as_bytes());
        if let Some(key) = vector.get("credentialPublicKey").and_then(Value::as_str) {
            let mut input = vec![0u8];
            input.extend(b64d(key));
            write(&cose, &name, &input);
        }
        if let Some(att) = vector.pointer("/response/response/attestationObject").and_then(Value::as_str) {
            let att = b64d(att);
            let client_data =
                b64d(vector.pointer("/response/response/clientDataJSON").and_then(Value::as_str).unwrap_or(""));
            let mut input = sha256(&client_data).to_vec();
            input.extend_from_slice(&att);
            write(&attestation, &name, &input);
            if let Some(key) = auth_data_of(&att).as_deref().and_then(cose_key_of) {
                let mut input = vec![0u8];
                input.extend(key);
                write(&cose, &format!("{name}-attested"), &input);
            }
        }
    }

    // --- generated ceremonies: every algorithm, every attestation mode ---
    let modes = [
        (AttestationMode::None, "none"),
        (AttestationMode::PackedSelf, "packed-self"),
        (AttestationMode::PackedX5c, "packed-x5c"),
        (AttestationMode::FidoU2f, "fido-u2f"),
    ];
    for (mode, mode_name) in modes {
        for alg in Algorithm::ALL {
            if mode == AttestationMode::FidoU2f && alg != Algorithm::Es256 {
                continue;
            }
            let mut authenticator = Authenticator::new().with_attestation(mode);
            let options = json!({
                "challenge": CHALLENGE,
                "rp": {"id": RP_ID, "name": "Fuzz"},
                "user": {"id": "dXNlci1oYW5kbGU", "name": "fuzz@example.com", "displayName": "Fuzz"},
                "pubKeyCredParams": [{"type": "public-key", "alg": alg.cose_id()}],
            });
            let response = authenticator.register_with(&options, ORIGIN, alg).unwrap();
            let name = format!("gen-{mode_name}-{alg:?}").to_lowercase();
            let doc = json!({"kind": "registration", "response": response, "expectedChallenge": CHALLENGE,
                "expectedOrigin": ORIGIN, "expectedRPID": RP_ID, "requireUserVerification": false});
            write(&verify, &format!("{name}.json"), doc.to_string().as_bytes());
            let att = b64d(response.pointer("/response/attestationObject").and_then(Value::as_str).unwrap());
            let client_data = b64d(response.pointer("/response/clientDataJSON").and_then(Value::as_str).unwrap());
            let mut input = sha256(&client_data).to_vec();
            input.extend_from_slice(&att);
            write(&attestation, &name, &input);

            if mode == AttestationMode::None {
                let credential = authenticator.credentials()[0].clone();
                let mut key = vec![0u8];
                key.extend_from_slice(&credential.cose_public_key);
                write(&cose, &format!("gen-{alg:?}").to_lowercase(), &key);
                let request = json!({"challenge": CHALLENGE, "rpId": RP_ID, "allowCredentials": []});
                let assertion = authenticator.authenticate(&request, ORIGIN).unwrap();
                let doc = json!({"kind": "authentication", "response": assertion, "expectedChallenge": CHALLENGE,
                    "expectedOrigin": ORIGIN, "expectedRPID": RP_ID, "requireUserVerification": true,
                    "credentialPublicKey": URL_SAFE_NO_PAD.encode(&credential.cose_public_key), "counter": 0});
                write(&verify, &format!("gen-auth-{alg:?}.json").to_lowercase(), doc.to_string().as_bytes());
            }
        }
    }

    // --- configurations ---
    let secret = "0123456789abcdef0123456789abcdef";
    let configs = [
        json!({"secret": secret, "baseUrl": "http://localhost:3000", "plugins": [{"id": "passkey", "rpName": "Demo", "rpId": "localhost"}]}),
        json!({"database": {"provider": "sqlite", "url": ":memory:"}, "secret": secret, "baseUrl": "https://auth.example.com",
            "basePath": "/api/auth/", "session": {"maxAge": 3600},
            "plugins": [{"id": "passkey", "rpName": "App", "rpId": "example.com", "origin": ["https://app.example.com", "android:apk-key-hash:abc_-1"],
                "timeout": 120000, "attestation": "direct", "userVerification": "required", "allowDeletingLastPasskey": true}]}),
        json!({"database": {"provider": "postgres", "url": "postgres://u:pw@db/kavach", "pool_size": 4}, "secret": secret,
            "base_url": "https://example.com", "passkey": {"rp_name": "A", "rp_id": "example.com", "user_verification": "discouraged"}}),
        json!({"secret": "short", "baseUrl": "ftp://x", "plugins": [{"id": "passkey", "rpName": "", "rpId": "other.com"}]}),
    ];
    for (i, c) in configs.iter().enumerate() {
        write(&config, &format!("{i}.json"), c.to_string().as_bytes());
    }
    // Structured targets (router, assertion) decode their input with `arbitrary`: a few byte
    // strings start them off; the empty input is the unmutated ceremony.
    for target in ["router", "assertion"] {
        write(&out.join(target), "empty", b"");
        write(&out.join(target), "ones", &[1u8; 64]);
        write(&out.join(target), "counting", &(0u8..=255).collect::<Vec<_>>());
    }
    println!("seeds written to {}", out.display());
}
