//! Verifies the authenticator's output independently, as a relying party would.

use crate::{
    Algorithm, AttestationMode, Authenticator, Tweaks, authenticator_data, b64, client_data_json, decode_b64url, flags,
    sha256, sign_assertion,
};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, ECDSA_P521_SHA512_ASN1, ED25519, ML_DSA_44, ML_DSA_65, ML_DSA_87,
    RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use ciborium::Value as Cbor;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";

fn creation_options(algs: &[i64]) -> Value {
    json!({
        "rp": {"id": "localhost", "name": "Kavach"},
        "user": {"id": b64(b"user-1234"), "name": "alice", "displayName": "Alice"},
        "challenge": b64(b"registration-challenge-0123456789"),
        "pubKeyCredParams": algs.iter().map(|a| json!({"type": "public-key", "alg": a})).collect::<Vec<_>>(),
        "timeout": 60000,
        "excludeCredentials": [],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "preferred"},
        "attestation": "direct",
        "extensions": {"credProps": true},
    })
}

fn request_options(allow: &[&str]) -> Value {
    json!({
        "challenge": b64(b"authentication-challenge-987654321"),
        "rpId": "localhost",
        "allowCredentials": allow.iter().map(|id| json!({"id": id, "type": "public-key"})).collect::<Vec<_>>(),
        "userVerification": "preferred",
        "timeout": 60000,
    })
}

fn field(v: &Value, path: &str) -> Vec<u8> {
    decode_b64url(v.pointer(path).and_then(Value::as_str).expect(path)).unwrap()
}

fn map_get<'a>(map: &'a Cbor, key: &Cbor) -> &'a Cbor {
    map.as_map().expect("map").iter().find(|(k, _)| k == key).map(|(_, v)| v).expect("key present")
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn int(i: i64) -> Cbor {
    Cbor::Integer(i.into())
}

fn bytes(v: &Cbor) -> Vec<u8> {
    v.as_bytes().expect("bytes").clone()
}

struct Attested {
    auth_data: Vec<u8>,
    fmt: String,
    att_stmt: Cbor,
    aaguid: [u8; 16],
    cred_id: Vec<u8>,
    cose_key: Cbor,
}

fn parse_attestation(response: &Value) -> Attested {
    let obj: Cbor =
        ciborium::from_reader(&field(response, "/response/attestationObject")[..]).expect("attestation object");
    let auth_data = bytes(map_get(&obj, &text("authData")));
    let fmt = map_get(&obj, &text("fmt")).as_text().unwrap().to_string();
    let att_stmt = map_get(&obj, &text("attStmt")).clone();
    assert_eq!(auth_data[32] & flags::AT, flags::AT);
    let aaguid: [u8; 16] = auth_data[37..53].try_into().unwrap();
    let len = u16::from_be_bytes([auth_data[53], auth_data[54]]) as usize;
    let cred_id = auth_data[55..55 + len].to_vec();
    let mut rest = &auth_data[55 + len..];
    let cose_key: Cbor = ciborium::from_reader(&mut rest).expect("cose key");
    assert!(rest.is_empty(), "no trailing bytes after the COSE key");
    Attested { auth_data, fmt, att_stmt, aaguid, cred_id, cose_key }
}

fn integer(v: &Cbor) -> i64 {
    i128::from(v.as_integer().expect("integer")) as i64
}

/// Verifies `sig` over `msg` with a COSE public key, as an RP does.
fn verify_cose(cose: &Cbor, msg: &[u8], sig: &[u8]) -> bool {
    let kty = integer(map_get(cose, &int(1)));
    let alg = integer(map_get(cose, &int(3)));
    match kty {
        2 => {
            let crv = integer(map_get(cose, &int(-1)));
            let (verify_alg, len) = match (alg, crv) {
                (-7, 1) => (&ECDSA_P256_SHA256_ASN1, 32),
                (-35, 2) => (&ECDSA_P384_SHA384_ASN1, 48),
                (-36, 3) => (&ECDSA_P521_SHA512_ASN1, 66),
                other => panic!("bad EC2 alg/crv {other:?}"),
            };
            let x = bytes(map_get(cose, &int(-2)));
            let y = bytes(map_get(cose, &int(-3)));
            assert_eq!((x.len(), y.len()), (len, len));
            let mut point = vec![4];
            point.extend(x);
            point.extend(y);
            UnparsedPublicKey::new(verify_alg, point).verify(msg, sig).is_ok()
        }
        1 => {
            assert!([-8, -19].contains(&alg), "OKP alg {alg}");
            assert_eq!(integer(map_get(cose, &int(-1))), 6);
            let x = bytes(map_get(cose, &int(-2)));
            UnparsedPublicKey::new(&ED25519, x).verify(msg, sig).is_ok()
        }
        3 => {
            let n = bytes(map_get(cose, &int(-1)));
            let e = bytes(map_get(cose, &int(-2)));
            assert_ne!(n[0], 0, "modulus without leading zero");
            assert_eq!(n.len(), 256);
            assert_eq!(e, [1, 0, 1]);
            let params = match alg {
                -257 => &RSA_PKCS1_2048_8192_SHA256,
                -37 => &RSA_PSS_2048_8192_SHA256,
                -38 => &RSA_PSS_2048_8192_SHA384,
                -39 => &RSA_PSS_2048_8192_SHA512,
                other => panic!("bad RSA alg {other}"),
            };
            RsaPublicKeyComponents { n, e }.verify(params, msg, sig).is_ok()
        }
        7 => {
            // AKP (RFC 9964): pub at -1, the raw FIPS 204 key of the parameter set's size.
            let public = bytes(map_get(cose, &int(-1)));
            let (params, len): (&'static dyn VerificationAlgorithm, usize) = match alg {
                -48 => (&ML_DSA_44, 1312),
                -49 => (&ML_DSA_65, 1952),
                -50 => (&ML_DSA_87, 2592),
                other => panic!("bad AKP alg {other}"),
            };
            assert_eq!(public.len(), len);
            UnparsedPublicKey::new(params, public).verify(msg, sig).is_ok()
        }
        other => panic!("bad kty {other}"),
    }
}

fn assertion_message(response: &Value) -> (Vec<u8>, Vec<u8>) {
    let auth_data = field(response, "/response/authenticatorData");
    let mut msg = auth_data.clone();
    msg.extend_from_slice(&sha256(&field(response, "/response/clientDataJSON")));
    (auth_data, msg)
}

#[test]
fn every_algorithm_registers_and_signs_verifiable_assertions() {
    for alg in Algorithm::ALL {
        let mut auth = Authenticator::new();
        let reg = auth.register_with(&creation_options(&[-7]), ORIGIN, alg).unwrap();
        assert_eq!(reg["type"], "public-key");
        assert_eq!(reg["response"]["publicKeyAlgorithm"], alg.cose_id());
        assert_eq!(reg["response"]["transports"], json!(["internal"]));
        assert_eq!(reg["clientExtensionResults"]["credProps"]["rk"], true);
        assert_eq!(reg["id"], reg["rawId"]);
        let att = parse_attestation(&reg);
        assert_eq!(att.fmt, "none");
        assert_eq!(att.att_stmt, Cbor::Map(vec![]));
        assert_eq!(att.cred_id.len(), 32);
        assert_eq!(att.cred_id, field(&reg, "/id"));
        assert_eq!(att.aaguid, [0; 16]);
        assert_eq!(&att.auth_data[..32], sha256(b"localhost"));
        assert_eq!(att.auth_data[32], flags::UP | flags::UV | flags::AT);
        assert_eq!(&att.auth_data[33..37], [0, 0, 0, 0]);
        assert_eq!(integer(map_get(&att.cose_key, &int(3))), alg.cose_id());
        assert_eq!(
            att.auth_data,
            field(&reg, "/response/authenticatorData"),
            "authenticatorData mirrors attestationObject.authData"
        );
        let client_data: Value = serde_json::from_slice(&field(&reg, "/response/clientDataJSON")).unwrap();
        assert_eq!(client_data["type"], "webauthn.create");
        assert_eq!(client_data["origin"], ORIGIN);
        assert_eq!(client_data["challenge"], creation_options(&[]).get("challenge").unwrap().clone());

        for expected_counter in 1..=2u32 {
            let resp = auth.authenticate(&request_options(&[]), ORIGIN).unwrap();
            assert_eq!(resp["id"], reg["id"]);
            assert_eq!(field(&resp, "/response/userHandle"), b"user-1234");
            let (auth_data, msg) = assertion_message(&resp);
            assert_eq!(auth_data.len(), 37);
            assert_eq!(auth_data[32], flags::UP | flags::UV);
            assert_eq!(auth_data[33..37], expected_counter.to_be_bytes());
            let sig = field(&resp, "/response/signature");
            assert!(verify_cose(&att.cose_key, &msg, &sig), "{alg:?} signature");
        }
        assert_eq!(auth.credentials()[0].counter, 2);
    }
}

#[test]
fn first_supported_algorithm_wins() {
    let mut auth = Authenticator::new();
    let reg = auth.register(&creation_options(&[-999, -36, -7]), ORIGIN).unwrap();
    assert_eq!(reg["response"]["publicKeyAlgorithm"], -36);
    let reg = auth.register(&creation_options(&[-257, -8]), ORIGIN).unwrap();
    assert_eq!(reg["response"]["publicKeyAlgorithm"], -257);
    assert!(auth.register(&creation_options(&[-999]), ORIGIN).is_err());
}

#[test]
fn exclude_credentials_and_credential_selection() {
    let mut auth = Authenticator::new();
    let first = auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    let second = auth.register(&creation_options(&[-8]), ORIGIN).unwrap();
    let first_id = first["id"].as_str().unwrap();

    let mut opts = creation_options(&[-7]);
    opts["excludeCredentials"] = json!([{"id": first_id, "type": "public-key", "transports": ["internal"]}]);
    assert!(auth.register(&opts, ORIGIN).is_err());
    // Other RP: the excluded id is not registered there.
    opts["rp"]["id"] = json!("example.com");
    assert!(auth.register(&opts, "https://example.com").is_ok());

    // Discoverable: most recent credential for the rp id.
    let resp = auth.authenticate(&request_options(&[]), ORIGIN).unwrap();
    assert_eq!(resp["id"], second["id"]);
    // allowCredentials: first stored one in the list.
    let resp = auth.authenticate(&request_options(&[&b64(&[9; 32]), first_id]), ORIGIN).unwrap();
    assert_eq!(resp["id"], first["id"]);
    assert!(auth.authenticate(&request_options(&[&b64(&[9; 32])]), ORIGIN).is_err());
    let mut other_rp = request_options(&[]);
    other_rp["rpId"] = json!("nowhere.test");
    assert!(auth.authenticate(&other_rp, ORIGIN).is_err());
}

#[test]
fn settings_drive_flags_and_counter() {
    let mut auth = Authenticator::new()
        .with_backup(true, true)
        .with_user_verification(false)
        .with_counter(false)
        .with_aaguid([7; 16]);
    let reg = auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    let att = parse_attestation(&reg);
    assert_eq!(att.aaguid, [7; 16]);
    assert_eq!(att.auth_data[32], flags::UP | flags::BE | flags::BS | flags::AT);
    for _ in 0..2 {
        let resp = auth.authenticate(&request_options(&[]), ORIGIN).unwrap();
        let auth_data = field(&resp, "/response/authenticatorData");
        assert_eq!(auth_data[32], flags::UP | flags::BE | flags::BS);
        assert_eq!(auth_data[33..37], [0, 0, 0, 0]);
    }
    // Rollback: edit the stored counter.
    let mut auth = Authenticator::new();
    auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    auth.authenticate(&request_options(&[]), ORIGIN).unwrap();
    auth.credentials_mut()[0].counter = 0;
    let resp = auth.authenticate(&request_options(&[]), ORIGIN).unwrap();
    assert_eq!(field(&resp, "/response/authenticatorData")[33..37], [0, 0, 0, 1]);
}

#[test]
fn packed_self_attestation_verifies() {
    for alg in [Algorithm::Es256, Algorithm::EdDsa, Algorithm::Ps256] {
        let mut auth = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
        let reg = auth.register_with(&creation_options(&[]), ORIGIN, alg).unwrap();
        let att = parse_attestation(&reg);
        assert_eq!(att.fmt, "packed");
        assert_eq!(integer(map_get(&att.att_stmt, &text("alg"))), alg.cose_id());
        let mut msg = att.auth_data.clone();
        msg.extend_from_slice(&sha256(&field(&reg, "/response/clientDataJSON")));
        let sig = bytes(map_get(&att.att_stmt, &text("sig")));
        assert!(verify_cose(&att.cose_key, &msg, &sig));
    }
}

fn parse_cert(der: &[u8]) -> x509_parser::certificate::X509Certificate<'_> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).expect("certificate parses");
    assert!(rest.is_empty());
    cert
}

/// Checks that `cert` is signed (ECDSA P-256) by the key in `issuer`.
fn signed_by(
    cert: &x509_parser::certificate::X509Certificate<'_>,
    issuer: &x509_parser::certificate::X509Certificate<'_>,
) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &issuer.public_key().subject_public_key.data[..])
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data[..])
        .is_ok()
}

#[test]
fn packed_x5c_attestation_verifies_and_certificates_parse() {
    let aaguid = *b"kavach-test-auth";
    let mut auth = Authenticator::new().with_attestation(AttestationMode::PackedX5c).with_aaguid(aaguid);
    let reg = auth.register(&creation_options(&[-8]), ORIGIN).unwrap();
    let att = parse_attestation(&reg);
    assert_eq!(att.fmt, "packed");
    assert_eq!(att.aaguid, aaguid);
    assert_eq!(integer(map_get(&att.att_stmt, &text("alg"))), -7);
    let x5c = map_get(&att.att_stmt, &text("x5c")).as_array().unwrap();
    assert_eq!(x5c.len(), 2);
    let (leaf_der, ca_der) = (bytes(&x5c[0]), bytes(&x5c[1]));
    assert_eq!(ca_der, auth.attestation_root_der());
    assert!(auth.attestation_root_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    let leaf = parse_cert(&leaf_der);
    let ca = parse_cert(&ca_der);
    assert_eq!(leaf.version(), x509_parser::x509::X509Version::V3);
    assert_eq!(
        leaf.subject().to_string(),
        "C=US, O=Kavach Test, OU=Authenticator Attestation, CN=Kavach Test Authenticator"
    );
    let bc = leaf.basic_constraints().unwrap().expect("basicConstraints");
    assert!(!bc.value.ca);
    let ext =
        leaf.iter_extensions().find(|e| e.oid.to_id_string() == "1.3.6.1.4.1.45724.1.1.4").expect("aaguid extension");
    assert!(!ext.critical);
    let mut expected = vec![0x04, 16];
    expected.extend_from_slice(&aaguid);
    assert_eq!(ext.value, &expected[..]);
    assert!(ca.is_ca());
    assert_eq!(leaf.issuer(), ca.subject());
    assert!(signed_by(&leaf, &ca), "leaf signed by the CA");
    assert!(signed_by(&ca, &ca), "CA self-signed");

    let mut msg = att.auth_data.clone();
    msg.extend_from_slice(&sha256(&field(&reg, "/response/clientDataJSON")));
    let sig = bytes(map_get(&att.att_stmt, &text("sig")));
    let leaf_key = &leaf.public_key().subject_public_key.data[..];
    assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, leaf_key).verify(&msg, &sig).is_ok());

    // Zero AAGUID: no extension; leaf-only chain when asked.
    let mut auth = Authenticator::new().with_attestation(AttestationMode::PackedX5c).with_x5c_root_included(false);
    let reg = auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    let att = parse_attestation(&reg);
    let x5c = map_get(&att.att_stmt, &text("x5c")).as_array().unwrap();
    assert_eq!(x5c.len(), 1);
    let leaf_der = bytes(&x5c[0]);
    let leaf = parse_cert(&leaf_der);
    let root = parse_cert(auth.attestation_root_der());
    assert!(signed_by(&leaf, &root));
    assert!(leaf.iter_extensions().all(|e| e.oid.to_id_string() != "1.3.6.1.4.1.45724.1.1.4"));
}

#[test]
fn fido_u2f_attestation_verifies() {
    let mut auth = Authenticator::new().with_attestation(AttestationMode::FidoU2f).with_aaguid([5; 16]);
    assert!(auth.register(&creation_options(&[-8]), ORIGIN).is_err(), "u2f needs ES256");
    let reg = auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    let att = parse_attestation(&reg);
    assert_eq!(att.fmt, "fido-u2f");
    assert_eq!(att.aaguid, [0; 16]);
    let x5c = map_get(&att.att_stmt, &text("x5c")).as_array().unwrap();
    assert_eq!(x5c.len(), 1);
    let cert_der = bytes(&x5c[0]);
    let cert = parse_cert(&cert_der);
    let mut base = vec![0u8];
    base.extend_from_slice(&att.auth_data[..32]);
    base.extend_from_slice(&sha256(&field(&reg, "/response/clientDataJSON")));
    base.extend_from_slice(&att.cred_id);
    base.push(4);
    base.extend(bytes(map_get(&att.cose_key, &int(-2))));
    base.extend(bytes(map_get(&att.cose_key, &int(-3))));
    let sig = bytes(map_get(&att.att_stmt, &text("sig")));
    assert!(
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &cert.public_key().subject_public_key.data[..])
            .verify(&base, &sig)
            .is_ok()
    );
}

#[test]
fn tweaks_and_low_level_helpers() {
    let mut auth = Authenticator::new();
    let reg = auth.register(&creation_options(&[-7]), ORIGIN).unwrap();
    let cose = parse_attestation(&reg).cose_key;

    let tweaks = Tweaks {
        origin_override: Some("https://evil.test".into()),
        rp_id_override: Some("evil.test".into()),
        flags_clear: flags::UP,
        flags_set: flags::ED,
        client_data_type: Some("webauthn.create".into()),
        challenge_override: Some("AAAA".into()),
        corrupt_signature: false,
        aaguid_override: None,
        cose_key_override: None,
        cross_origin: true,
        top_origin: Some("https://top.test".into()),
    };
    let resp = auth.authenticate_with(&request_options(&[]), ORIGIN, &tweaks).unwrap();
    let (auth_data, msg) = assertion_message(&resp);
    assert_eq!(&auth_data[..32], sha256(b"evil.test"));
    assert_eq!(auth_data[32], flags::UV | flags::ED);
    let cd: Value = serde_json::from_slice(&field(&resp, "/response/clientDataJSON")).unwrap();
    assert_eq!(
        cd,
        json!({"type": "webauthn.create", "challenge": "AAAA", "origin": "https://evil.test", "crossOrigin": true,
               "topOrigin": "https://top.test"})
    );
    // Still validly signed: only the content is wrong.
    assert!(verify_cose(&cose, &msg, &field(&resp, "/response/signature")));

    let corrupt = Tweaks { corrupt_signature: true, ..Tweaks::default() };
    let resp = auth.authenticate_with(&request_options(&[]), ORIGIN, &corrupt).unwrap();
    let (_, msg) = assertion_message(&resp);
    assert!(!verify_cose(&cose, &msg, &field(&resp, "/response/signature")));

    // Hand-built assertion re-signed with the stored key.
    let cred = &auth.credentials()[0];
    let auth_data = authenticator_data("localhost", flags::UP, 42, None);
    let cdj = client_data_json("webauthn.get", "Y2hhbGxlbmdl", ORIGIN);
    let sig = sign_assertion(cred, &auth_data, &cdj);
    let mut msg = auth_data.clone();
    msg.extend_from_slice(&sha256(&cdj));
    assert!(verify_cose(&cose, &msg, &sig));

    // Tweaked registration: attestation signature corrupted.
    let mut auth = Authenticator::new().with_attestation(AttestationMode::PackedSelf);
    let reg = auth.register_with_tweaks(&creation_options(&[-7]), ORIGIN, None, &corrupt).unwrap();
    let att = parse_attestation(&reg);
    let mut msg = att.auth_data.clone();
    msg.extend_from_slice(&sha256(&field(&reg, "/response/clientDataJSON")));
    let sig = bytes(map_get(&att.att_stmt, &text("sig")));
    assert!(!verify_cose(&att.cose_key, &msg, &sig));
}

#[test]
fn cose_keys_are_canonically_ordered() {
    let mut auth = Authenticator::new();
    for alg in Algorithm::ALL {
        let reg = auth.register_with(&creation_options(&[]), ORIGIN, alg).unwrap();
        let att = parse_attestation(&reg);
        let keys: Vec<i64> = att.cose_key.as_map().unwrap().iter().map(|(k, _)| integer(k)).collect();
        let expected: &[i64] = match alg {
            Algorithm::EdDsa | Algorithm::Ed25519 => &[1, 3, -1, -2],
            Algorithm::Ps256 | Algorithm::Ps384 | Algorithm::Ps512 | Algorithm::Rs256 => &[1, 3, -1, -2],
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => &[1, 3, -1],
            _ => &[1, 3, -1, -2, -3],
        };
        assert_eq!(keys, expected, "{alg:?}");
        assert_eq!(reg["response"]["publicKey"].as_str().map(|s| !s.is_empty()), Some(true));
    }
}
