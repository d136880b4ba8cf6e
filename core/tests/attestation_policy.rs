//! Attestation trust and policy through the ceremonies (issue #7): a software authenticator with
//! its own attestation CA is `verified` when that CA is a configured root, `unverified` otherwise;
//! `require: 'verified'` and `allowedAaguids` refuse what they should; a FIDO MDS3 BLOB (signed by
//! a test root standing in for the FIDO root) supplies roots, names and status reports.

mod support;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use kavach_core::verify::{Metadata, TrustAnchor, TrustRoots};
use kavach_core::{ErrorCode, MetadataInfo, Settings};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd};
use serde_json::{Value, json};
use support::*;

const AAGUID: [u8; 16] =
    [0x4b, 0x41, 0x56, 0x41, 0x43, 0x48, 0x2d, 0x54, 0x45, 0x53, 0x54, 0x2d, 0x4b, 0x45, 0x59, 0x31];
const AAGUID_TEXT: &str = "4b415641-4348-2d54-4553-542d4b455931";
const REVOKED_AAGUID: [u8; 16] = [0x11; 16];
/// The harness clock (2027-01-15).
const NOW: i64 = 1_800_000_000_000;

fn packed_authenticator(aaguid: [u8; 16]) -> Authenticator {
    Authenticator::new().with_attestation(AttestationMode::PackedX5c).with_aaguid(aaguid)
}

fn root_config(name: &str, format: Option<&str>, pem: &str) -> Value {
    let mut root = json!({"name": name, "pem": pem});
    if let Some(format) = format {
        root["format"] = format.into();
    }
    root
}

/// Registers and returns (status, body).
fn register(h: &Harness, authenticator: &mut Authenticator) -> (u16, Value) {
    let (_, token) = h.signup("ada@example.com");
    let response = h.register(authenticator, &token);
    (response.status, response.json())
}

#[test]
fn packed_x5c_chaining_to_a_configured_root_is_verified_and_listed_so() {
    let mut authenticator = packed_authenticator(AAGUID);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationRoots": [root_config("Kavach Test CA", Some("packed"), authenticator.attestation_root_pem())]}));
    let (_, token) = h.signup("ada@example.com");
    let verified = h.register(&mut authenticator, &token);
    assert_eq!(verified.status, 200, "{}", verified.json());
    let expected = json!({"format": "packed", "trust": "verified", "root": "Kavach Test CA", "source": "configured",
        "aaguidAttested": true});
    assert_eq!(verified.json()["credential"]["attestation"], expected);
    // Stored: the list (read back from the database) says the same.
    let list = h.request("GET", "/auth/passkey/credentials", None, Some(&token)).json();
    assert_eq!(list["credentials"][0]["attestation"], expected);
}

#[test]
fn packed_x5c_without_its_root_is_unverified() {
    let h = Harness::with_passkey_options(json!({"attestation": "direct"}));
    let (status, body) = register(&h, &mut packed_authenticator(AAGUID));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["credential"]["attestation"],
        json!({"format": "packed", "trust": "unverified", "root": null, "source": null, "aaguidAttested": false})
    );
}

#[test]
fn the_leaf_alone_chains_to_the_configured_root_too() {
    let mut authenticator = packed_authenticator(AAGUID).with_x5c_root_included(false);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationRoots": [root_config("Kavach Test CA", None, authenticator.attestation_root_pem())]}));
    let (status, body) = register(&h, &mut authenticator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credential"]["attestation"]["trust"], "verified");
}

#[test]
fn a_root_declared_for_another_format_does_not_vouch() {
    let mut authenticator = packed_authenticator(AAGUID);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationRoots": [root_config("Kavach Test CA", Some("tpm"), authenticator.attestation_root_pem())]}));
    let (_, body) = register(&h, &mut authenticator);
    assert_eq!(body["credential"]["attestation"]["trust"], "unverified");
}

#[test]
fn self_and_fido_u2f_are_recorded_as_such() {
    let h = Harness::with_passkey_options(json!({"attestation": "direct"}));
    let (_, body) = register(&h, &mut Authenticator::new().with_attestation(AttestationMode::PackedSelf));
    assert_eq!(
        body["credential"]["attestation"],
        json!({"format": "packed", "trust": "self", "root": null, "source": null, "aaguidAttested": false})
    );

    let mut u2f = Authenticator::new().with_attestation(AttestationMode::FidoU2f);
    let h = Harness::with_passkey_options(json!({"attestation": "direct",
        "attestationRoots": [root_config("Test U2F CA", Some("fido-u2f"), u2f.attestation_root_pem())]}));
    let (_, token) = h.signup("ada@example.com");
    let options = h.register_options(&token);
    let response = u2f.register_with(&options, ORIGIN, Algorithm::Es256).unwrap();
    let verified = h.post("/auth/passkey/register/verify", &response, Some(&token));
    assert_eq!(verified.status, 200, "{}", verified.json());
    assert_eq!(
        verified.json()["credential"]["attestation"],
        json!({"format": "fido-u2f", "trust": "verified", "root": "Test U2F CA", "source": "configured",
            "aaguidAttested": false})
    );
}

fn assert_refused(status: u16, body: &Value, message: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "VERIFICATION_FAILED", "{body}");
    assert!(body["error"].as_str().unwrap().contains(message), "expected '{message}' in {body}");
}

#[test]
fn require_verified_refuses_unverified_self_and_none_and_accepts_a_verified_chain() {
    let policy = json!({"require": "verified"});
    let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestationPolicy": policy}));
    let (status, body) = register(&h, &mut packed_authenticator(AAGUID));
    assert_refused(status, &body, "requires a verified attestation chain; this packed attestation is unverified");
    let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestationPolicy": policy}));
    let (status, body) = register(&h, &mut Authenticator::new());
    assert_refused(status, &body, "this none attestation is none");
    let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestationPolicy": policy}));
    let (status, body) = register(&h, &mut Authenticator::new().with_attestation(AttestationMode::PackedSelf));
    assert_refused(status, &body, "this packed attestation is self");

    let mut authenticator = packed_authenticator(AAGUID);
    let h = Harness::with_passkey_options(json!({"attestation": "direct", "attestation_policy": policy,
        "attestation_roots": [root_config("Kavach Test CA", Some("packed"), authenticator.attestation_root_pem())]}));
    let (status, body) = register(&h, &mut authenticator);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn allowed_aaguids_admit_only_the_listed_models() {
    let mut listed = packed_authenticator(AAGUID);
    let options = |authenticator: &Authenticator| {
        json!({"attestation": "direct", "attestationPolicy": {"allowedAaguids": [AAGUID_TEXT.to_uppercase()]},
            "attestationRoots": [root_config("Vendor CA", Some("packed"), authenticator.attestation_root_pem())]})
    };
    let h = Harness::with_passkey_options(options(&listed));
    let (status, body) = register(&h, &mut listed);
    assert_eq!(status, 200, "{body}");
    let mut other = packed_authenticator([9; 16]);
    let h = Harness::with_passkey_options(options(&other));
    let (status, body) = register(&h, &mut other);
    assert_refused(status, &body, "authenticator model 09090909-0909-0909-0909-090909090909 is not in allowedAaguids");
    // A listed model that only claims to be one (no verified chain names it) is not admitted.
    let h = Harness::with_passkey_options(
        json!({"attestation": "direct", "attestationPolicy": {"allowedAaguids": [AAGUID_TEXT]}}),
    );
    let (status, body) = register(&h, &mut packed_authenticator(AAGUID));
    assert_refused(status, &body, "is not attested");
}

#[test]
fn an_attestation_policy_needs_an_attestation_to_check() {
    let database = TestDatabase::new();
    let config = Harness::config(&database, &json!({"attestationPolicy": {"require": "verified"}}));
    let err = Settings::from_json(&config.to_string()).unwrap_err();
    assert!(err.message().contains("needs passkey.attestation 'direct' or 'indirect'"), "{}", err.message());
}

#[test]
fn attestation_configuration_is_validated() {
    let error = |extra: Value| {
        let database = TestDatabase::new();
        Settings::from_json(&Harness::config(&database, &extra).to_string()).unwrap_err().message().to_owned()
    };
    assert!(error(json!({"attestationPolicy": {"require": "hardware"}})).contains("must be 'any' or 'verified'"));
    assert!(error(json!({"attestationPolicy": {"allowedAaguids": ["not-an-aaguid"]}})).contains("is not an AAGUID"));
    assert!(error(json!({"attestationPolicy": {"allowedAaguids": []}})).contains("at least one AAGUID"));
    assert!(
        error(json!({"attestationRoots": [{"name": "x", "format": "u2f", "pem": ""}]}))
            .contains("format must be one of")
    );
    assert!(
        error(json!({"attestationRoots": [{"name": "x", "pem": "not pem"}]})).contains("is not PEM certificate text")
    );
    assert!(error(json!({"metadata": {"blobPath": "/nonexistent/blob.jwt"}})).contains("cannot read"));
    assert!(error(json!({"androidSafetyNet": {"requireCts": true}})).contains("unknown field"));
}

#[test]
fn bundled_roots_can_be_turned_off() {
    let database = TestDatabase::new();
    let config = Harness::config(&database, &json!({"bundledAttestationRoots": false}));
    let settings = Settings::from_json(&config.to_string()).unwrap();
    assert!(settings.attestation().roots.anchors().is_empty());
    let config = Harness::config(&database, &json!({}));
    assert_eq!(Settings::from_json(&config.to_string()).unwrap().attestation().roots.anchors().len(), 7);
}

// ---------------------------------------------------------------------------------------------
// FIDO Metadata Service BLOBs

/// A test stand-in for the FIDO MDS signing hierarchy: a root and a BLOB signing certificate.
struct MdsSigner {
    root_pem: String,
    leaf_der: Vec<u8>,
    leaf_key: KeyPair,
}

impl MdsSigner {
    fn new(leaf_not_after: (i32, u8, u8)) -> Self {
        let root_key = KeyPair::generate().unwrap();
        let mut root_params = CertificateParams::default();
        root_params.distinguished_name.push(DnType::CommonName, "Test MDS Root");
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        root_params.not_before = date_time_ymd(2020, 1, 1);
        root_params.not_after = date_time_ymd(2049, 1, 1);
        let root = root_params.self_signed(&root_key).unwrap();
        let issuer = rcgen::Issuer::new(root_params, root_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params = CertificateParams::default();
        leaf_params.distinguished_name.push(DnType::CommonName, "Test MDS BLOB signer");
        leaf_params.not_before = date_time_ymd(2020, 1, 1);
        leaf_params.not_after = date_time_ymd(leaf_not_after.0, leaf_not_after.1, leaf_not_after.2);
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        Self { root_pem: root.pem(), leaf_der: leaf.der().to_vec(), leaf_key }
    }

    fn roots(&self) -> TrustRoots {
        let mut roots = TrustRoots::empty();
        roots.add(TrustAnchor::from_pem("Test MDS Root", None, &self.root_pem).unwrap().remove(0));
        roots
    }

    /// The BLOB: ES256 JWS over `payload`.
    fn blob(&self, payload: &Value) -> String {
        let header = json!({"alg": "ES256", "typ": "JWT", "x5c": [STANDARD.encode(&self.leaf_der)]});
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
        let signer = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &self.leaf_key.serialize_der(),
        )
        .unwrap();
        let signature = signer.sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

fn der_of_pem(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn payload(authenticator_root_pem: &str) -> Value {
    json!({
        "legalHeader": "test", "no": 42, "nextUpdate": "2027-02-01",
        "entries": [
            {"aaguid": AAGUID_TEXT,
             "metadataStatement": {"description": "Kavach Test Key",
                 "attestationRootCertificates": [STANDARD.encode(der_of_pem(authenticator_root_pem))]},
             "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2024-01-01"}]},
            {"aaguid": "11111111-1111-1111-1111-111111111111",
             "metadataStatement": {"description": "Leaky Key", "attestationRootCertificates": []},
             "statusReports": [{"status": "FIDO_CERTIFIED", "effectiveDate": "2020-01-01"},
                               {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2025-06-01"}]},
            {"aaid": "4e4e#4005", "metadataStatement": {"description": "UAF only"}}
        ]
    })
}

#[test]
fn a_metadata_blob_verifies_against_its_root_and_names_roots_and_status() {
    let authenticator = packed_authenticator(AAGUID);
    let signer = MdsSigner::new((2040, 1, 1));
    let blob = signer.blob(&payload(authenticator.attestation_root_pem()));
    let metadata = Metadata::danger_from_blob_signed_by(&blob, &signer.roots(), NOW).unwrap();
    assert_eq!(metadata.number, 42);
    assert_eq!(metadata.entry(&AAGUID).unwrap().description, "Kavach Test Key");
    assert_eq!(metadata.entry(&AAGUID).unwrap().roots.len(), 1);
    assert_eq!(metadata.refusal(&AAGUID), None);
    assert_eq!(
        metadata.refusal(&REVOKED_AAGUID).unwrap(),
        "authenticator 'Leaky Key' has FIDO metadata status ATTESTATION_KEY_COMPROMISE"
    );

    // Against the real FIDO root (what `passkey.metadata.blobPath` uses), the test BLOB is refused.
    let err = Metadata::from_blob(&blob, NOW).unwrap_err();
    assert!(err.message().contains("does not reach the FIDO root"), "{}", err.message());
    // A changed payload no longer matches the signature.
    let mut parts: Vec<String> = blob.split('.').map(str::to_owned).collect();
    let mut changed = payload(authenticator.attestation_root_pem());
    changed["no"] = 43.into();
    parts[1] = URL_SAFE_NO_PAD.encode(changed.to_string());
    let err = Metadata::danger_from_blob_signed_by(&parts.join("."), &signer.roots(), NOW).unwrap_err();
    assert!(err.message().contains("JWS signature does not verify"), "{}", err.message());
    // An expired signing certificate is refused.
    let expired = MdsSigner::new((2025, 1, 1));
    let blob = expired.blob(&payload(authenticator.attestation_root_pem()));
    let err = Metadata::danger_from_blob_signed_by(&blob, &expired.roots(), NOW).unwrap_err();
    assert!(err.message().contains("attestation certificate expired"), "{}", err.message());
    // Not a JWS at all.
    assert!(Metadata::danger_from_blob_signed_by("hello", &signer.roots(), NOW).is_err());
}

#[test]
fn the_config_path_reads_the_blob_file_and_checks_it_against_the_fido_root() {
    let signer = MdsSigner::new((2040, 1, 1));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), signer.blob(&payload(packed_authenticator(AAGUID).attestation_root_pem()))).unwrap();
    let database = TestDatabase::new();
    let config = Harness::config(&database, &json!({"metadata": {"blob_path": file.path()}}));
    let err = Settings::from_json(&config.to_string()).unwrap_err();
    assert!(err.message().contains("does not reach the FIDO root"), "{}", err.message());
}

fn harness_with_metadata(authenticator: &Authenticator, extra: Value) -> Harness {
    let signer = MdsSigner::new((2040, 1, 1));
    let blob = signer.blob(&payload(authenticator.attestation_root_pem()));
    let metadata = Metadata::danger_from_blob_signed_by(&blob, &signer.roots(), NOW).unwrap();
    Harness::with_settings(extra, |settings| settings.attestation_mut().metadata = Some(Arc::new(metadata)))
}

#[test]
fn metadata_roots_verify_the_model_and_its_description_names_the_credential() {
    let mut authenticator = packed_authenticator(AAGUID);
    let h = harness_with_metadata(
        &authenticator,
        json!({"attestation": "direct", "attestationPolicy": {"require": "verified"}}),
    );
    let (status, body) = register(&h, &mut authenticator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["credential"]["attestation"],
        json!({"format": "packed", "trust": "verified", "root": "FIDO MDS: Kavach Test Key", "source": "mds",
            "aaguidAttested": true})
    );
    assert_eq!(body["credential"]["name"], "Kavach Test Key");
}

#[test]
fn a_metadata_root_of_one_model_attests_it_without_a_certificate_extension() {
    let mut authenticator = packed_authenticator(AAGUID).with_aaguid_extension(false);
    let h = harness_with_metadata(
        &authenticator,
        json!({"attestation": "direct", "attestationPolicy": {"require": "verified", "allowedAaguids": [AAGUID_TEXT]}}),
    );
    let (status, body) = register(&h, &mut authenticator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credential"]["attestation"]["aaguidAttested"], true);
}

/// A BLOB listing one attestation root for two models: `AAGUID` (fine) and a sibling whose
/// latest status is `status`.
fn shared_root_harness(authenticator: &Authenticator, status: &str, extra: Value) -> Harness {
    let signer = MdsSigner::new((2040, 1, 1));
    let root = STANDARD.encode(der_of_pem(authenticator.attestation_root_pem()));
    let payload = json!({"legalHeader": "test", "no": 7, "nextUpdate": "2027-02-01", "entries": [
        {"aaguid": AAGUID_TEXT, "metadataStatement": {"description": "Vendor Key A",
            "attestationRootCertificates": [root]},
         "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2024-01-01"}]},
        {"aaguid": "11111111-1111-1111-1111-111111111111", "metadataStatement": {"description": "Vendor Key B",
            "attestationRootCertificates": [root]},
         "statusReports": [{"status": status, "effectiveDate": "2025-06-01"}]}]});
    let metadata = Metadata::danger_from_blob_signed_by(&signer.blob(&payload), &signer.roots(), NOW).unwrap();
    Harness::with_settings(extra, |settings| settings.attestation_mut().metadata = Some(Arc::new(metadata)))
}

#[test]
fn a_root_shared_by_models_attests_none_of_them() {
    // Before: the claim decided. A device of the sibling model (or of a revoked one) claiming the
    // listed model passed allowedAaguids and dodged the sibling's status.
    let mut authenticator = packed_authenticator(AAGUID).with_aaguid_extension(false);
    let policy = json!({"attestation": "direct",
        "attestationPolicy": {"require": "verified", "allowedAaguids": [AAGUID_TEXT]}});
    let h = shared_root_harness(&authenticator, "FIDO_CERTIFIED_L1", policy);
    let (status, body) = register(&h, &mut authenticator);
    assert_refused(status, &body, "is not attested");

    let h = shared_root_harness(&authenticator, "REVOKED", json!({"attestation": "direct"}));
    let (status, body) = register(&h, &mut authenticator);
    assert_refused(status, &body, "authenticator 'Vendor Key B' has FIDO metadata status REVOKED");

    // The certificate extension tells the models apart: the sibling's status does not apply.
    let mut named = packed_authenticator(AAGUID);
    let h = shared_root_harness(&named, "REVOKED", json!({"attestation": "direct"}));
    let (status, body) = register(&h, &mut named);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credential"]["attestation"]["aaguidAttested"], true);
}

#[test]
fn a_metadata_blob_past_its_next_update_is_stale() {
    let authenticator = packed_authenticator(AAGUID);
    let signer = MdsSigner::new((2040, 1, 1));
    let metadata = Metadata::danger_from_blob_signed_by(
        &signer.blob(&payload(authenticator.attestation_root_pem())),
        &signer.roots(),
        NOW,
    )
    .unwrap();
    assert!(!metadata.is_stale(NOW), "nextUpdate 2027-02-01 is after the harness clock");
    assert!(metadata.is_stale(NOW + 30 * 24 * 3600 * 1000));
}

#[test]
fn metadata_roots_vouch_only_for_their_own_aaguid() {
    // Same attestation CA, but the authenticator claims a model the BLOB does not list with it.
    let mut authenticator = packed_authenticator([9; 16]);
    let h = harness_with_metadata(&authenticator, json!({"attestation": "direct"}));
    let (status, body) = register(&h, &mut authenticator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credential"]["attestation"]["trust"], "unverified");
    assert_eq!(body["credential"]["name"], "Passkey");
}

#[test]
fn a_compromised_authenticator_is_refused_whatever_the_policy() {
    let mut authenticator = packed_authenticator(REVOKED_AAGUID);
    let h = harness_with_metadata(&authenticator, json!({"attestation": "direct"}));
    let (status, body) = register(&h, &mut authenticator);
    assert_refused(status, &body, "authenticator 'Leaky Key' has FIDO metadata status ATTESTATION_KEY_COMPROMISE");
}

// ---------------------------------------------------------------------------------------------
// Metadata replaced at run time (loadMetadata)

fn register_as(h: &Harness, email: &str, authenticator: &mut Authenticator) -> (u16, Value) {
    let (_, token) = h.signup(email);
    let response = h.register(authenticator, &token);
    (response.status, response.json())
}

/// A BLOB numbered `number` giving `AAGUID` the status `status`, next update `next_update`.
fn numbered_blob(
    signer: &MdsSigner,
    authenticator: &Authenticator,
    number: u64,
    status: &str,
    next_update: &str,
) -> Metadata {
    let mut payload = payload(authenticator.attestation_root_pem());
    payload["no"] = number.into();
    payload["nextUpdate"] = next_update.into();
    payload["entries"][0]["statusReports"] = json!([{"status": status, "effectiveDate": "2026-06-01"}]);
    Metadata::danger_from_blob_signed_by(&signer.blob(&payload), &signer.roots(), NOW).unwrap()
}

#[test]
fn metadata_loaded_at_run_time_applies_to_the_next_registration() {
    // Before: the BLOB was read at start-up only, so a model revoked since kept registering
    // until a restart.
    let mut first = packed_authenticator(AAGUID);
    let h = Harness::with_settings(json!({"attestation": "direct"}), |_| {});
    let signer = MdsSigner::new((2040, 1, 1));
    let (status, body) = register_as(&h, "a@example.com", &mut first);
    assert_eq!(status, 200, "{body}");

    let info = h.kavach.replace_metadata(numbered_blob(&signer, &first, 50, "REVOKED", "2027-02-01")).unwrap();
    assert_eq!(info, MetadataInfo { number: 50, next_update: "2027-02-01".into(), stale: false });
    let (status, body) = register_as(&h, "b@example.com", &mut first);
    assert_refused(status, &body, "has FIDO metadata status REVOKED");

    // The attack: feeding back an older, validly signed BLOB from before the revocation.
    let err =
        h.kavach.replace_metadata(numbered_blob(&signer, &first, 49, "FIDO_CERTIFIED_L1", "2027-02-01")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(err.message().contains("older than the one in use (number 50)"), "{}", err.message());
    let (status, body) = register_as(&h, "c@example.com", &mut first);
    assert_refused(status, &body, "has FIDO metadata status REVOKED");

    // A BLOB not signed under the FIDO root is refused by load_metadata; the current one stays.
    let mut text = payload(first.attestation_root_pem());
    text["no"] = 99.into();
    let err = h.kavach.load_metadata(&signer.blob(&text)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(err.message().contains("does not reach the FIDO root"), "{}", err.message());
    let err = h.kavach.load_metadata("not a BLOB").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);

    // A newer BLOB reinstating the model applies at once; a stale one loads with a warning.
    let info =
        h.kavach.replace_metadata(numbered_blob(&signer, &first, 51, "FIDO_CERTIFIED_L1", "2026-01-01")).unwrap();
    assert!(info.stale);
    let (status, body) = register_as(&h, "d@example.com", &mut first);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn under_stale_refuse_a_blob_past_its_next_update_is_not_loaded() {
    let authenticator = packed_authenticator(AAGUID);
    let h = Harness::with_settings(json!({"attestation": "direct", "metadata": {"stale": "refuse"}}), |_| {});
    let signer = MdsSigner::new((2040, 1, 1));
    let err = h
        .kavach
        .replace_metadata(numbered_blob(&signer, &authenticator, 60, "FIDO_CERTIFIED_L1", "2026-01-01"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(err.message().contains("past its nextUpdate 2026-01-01"), "{}", err.message());
    let info = h
        .kavach
        .replace_metadata(numbered_blob(&signer, &authenticator, 60, "FIDO_CERTIFIED_L1", "2027-02-01"))
        .unwrap();
    assert!(!info.stale);
}
