//! `android-safetynet` attestation (WebAuthn §8.5): a SafetyNet attestation JWS from Google Play
//! Services, signed by a certificate for attest.android.com, whose nonce covers the registration.
//!
//! Google has deprecated SafetyNet for Play Integrity, but devices still produce these.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use x509_parser::extensions::GeneralName;

use super::jws::Jws;
use super::{AttestationObject, Context, Outcome, certificate, malformed};
use crate::error::Result;
use crate::webauthn::sha256;

/// How far in the future `timestampMs` may be (clock skew between Google and us).
const FUTURE_SKEW_MS: i64 = 5_000;

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    // Step 1: ver (non-empty text) and response (bytes: a JWS in compact form).
    let ver = object.field("ver").and_then(|v| v.as_text()).unwrap_or_default();
    if ver.is_empty() {
        return Err(malformed("android-safetynet: ver is missing"));
    }
    let response = object
        .field("response")
        .and_then(|v| v.as_bytes())
        .ok_or_else(|| malformed("android-safetynet: response is missing"))?;
    let compact = std::str::from_utf8(response).map_err(|_| malformed("android-safetynet: response is not UTF-8"))?;
    let jws = Jws::parse(compact).ok_or_else(|| malformed("android-safetynet: response is not a JWS"))?;

    // Step 2: nonce == base64(SHA-256(authData || clientDataHash)).
    let expected_nonce = STANDARD.encode(sha256(&object.signed_data(client_data_hash)));
    if jws.payload.get("nonce").and_then(Value::as_str) != Some(expected_nonce.as_str()) {
        return Err(malformed("android-safetynet: nonce does not match SHA-256(authData || clientDataHash)"));
    }

    // Step 3: the signing certificate is for attest.android.com, and it signed the JWS.
    let certs = jws
        .certificates()
        .ok_or_else(|| certificate::bad_cert("android-safetynet: x5c certificate is not valid X.509"))?;
    let leaf = certs.first().ok_or_else(|| malformed("android-safetynet: JWS header has no x5c"))?;
    if !issued_to_attest_android_com(leaf) {
        return Err(certificate::bad_cert(
            "android-safetynet: signing certificate is not issued to attest.android.com",
        ));
    }
    jws.verify(leaf).map_err(|why| malformed(&format!("android-safetynet: {why}")))?;

    // Step 4: ctsProfileMatch (policy), and the attestation must be fresh.
    if context.options.safetynet_require_cts_profile_match
        && jws.payload.get("ctsProfileMatch") != Some(&Value::Bool(true))
    {
        return Err(malformed(
            "android-safetynet: ctsProfileMatch is not true (device failed Android compatibility checks)",
        ));
    }
    let timestamp = jws
        .payload
        .get("timestampMs")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("android-safetynet: timestampMs is missing"))?;
    // Checked arithmetic: the statement's author chooses timestampMs, the host the time.
    let age = context.now_ms.checked_sub(timestamp);
    if age.is_some_and(|age| age < -FUTURE_SKEW_MS) {
        return Err(malformed("android-safetynet: timestampMs is in the future"));
    }
    if age.is_none_or(|age| age > context.options.safetynet_max_age_ms) {
        return Err(malformed("android-safetynet: attestation is too old (timestampMs)"));
    }

    let credential = object.credential()?;
    let der: Vec<&[u8]> = jws.x5c.iter().map(Vec::as_slice).collect();
    context.assess_chain("android-safetynet", &credential.aaguid, &der, None)
}

/// The hostname check of §8.5 step 3: a DNS subjectAltName, or (older certificates) the CN.
fn issued_to_attest_android_com(cert: &x509_parser::certificate::X509Certificate<'_>) -> bool {
    const HOST: &str = "attest.android.com";
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        return san.value.general_names.iter().any(|name| matches!(name, GeneralName::DNSName(dns) if *dns == HOST));
    }
    cert.subject().iter_common_name().any(|cn| cn.as_str().ok() == Some(HOST))
}
