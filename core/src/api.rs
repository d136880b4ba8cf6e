//! The JSON forms of the stateless verifiers, shared by every binding so that each one only
//! passes JSON through: the input names are the documented JavaScript ones
//! (`verifyRegistrationResponse({response, expectedChallenge, expectedOrigin, expectedRPID,
//! requireUserVerification})`), and the verified facts come back as JSON with base64url bytes.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::aaguid;
use crate::base64url;
use crate::config::OneOrMany;
use crate::error::{Error, Result, clipped};
use crate::verify::{
    AuthenticationExpectations, RegistrationExpectations, verify_authentication_response, verify_registration_response,
};
use crate::webauthn::{Check, CoseAlgorithm, Flags};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegistrationInput {
    response: Value,
    #[serde(alias = "expected_challenge")]
    expected_challenge: String,
    #[serde(alias = "expected_origin")]
    expected_origin: OneOrMany,
    #[serde(rename = "expectedRPID", alias = "expectedRpId", alias = "expected_rp_id")]
    expected_rp_id: String,
    #[serde(default, alias = "require_user_verification")]
    require_user_verification: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthenticationInput {
    response: Value,
    #[serde(alias = "expected_challenge")]
    expected_challenge: String,
    #[serde(alias = "expected_origin")]
    expected_origin: OneOrMany,
    #[serde(rename = "expectedRPID", alias = "expectedRpId", alias = "expected_rp_id")]
    expected_rp_id: String,
    credential: StoredCredentialInput,
    #[serde(default, alias = "require_user_verification")]
    require_user_verification: bool,
}

/// The stored credential, as SimpleWebAuthn's `WebAuthnCredential` (`transports` is ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredCredentialInput {
    /// COSE key, base64url.
    #[serde(alias = "public_key")]
    public_key: String,
    counter: u32,
    /// The credential ID, base64url: when given, the response must be for this credential.
    #[serde(default)]
    id: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(input: &Value, what: &str) -> Result<T> {
    T::deserialize(input).map_err(|err| Error::invalid_request(format!("{what}: {}", clipped(err, 160))))
}

fn origins(origin: OneOrMany) -> Vec<String> {
    match origin {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    }
}

fn flags_json(flags: &Flags) -> Value {
    json!({
        "userPresent": flags.user_present,
        "userVerified": flags.user_verified,
        "backupEligible": flags.backup_eligible,
        "backedUp": flags.backed_up,
    })
}

/// `verifyRegistrationResponse`: returns `{credentialId, publicKey, algorithm, counter, flags,
/// aaguid, attestationFormat, attestationTrust, transports, discoverable, deviceType}`.
pub fn verify_registration(input: &Value) -> Result<Value> {
    let input: RegistrationInput = parse(input, "verifyRegistrationResponse options")?;
    let origins = origins(input.expected_origin);
    let verified = verify_registration_response(
        &input.response,
        &RegistrationExpectations {
            challenge: &input.expected_challenge,
            origins: &origins,
            rp_id: &input.expected_rp_id,
            require_user_verification: input.require_user_verification,
            algorithms: &CoseAlgorithm::ALL,
            allow_cross_origin: false,
            top_origins: &[],
        },
    )?;
    Ok(json!({
        "credentialId": base64url::encode(&verified.credential_id),
        "publicKey": base64url::encode(&verified.public_key),
        "algorithm": verified.algorithm.id(),
        "counter": verified.counter,
        "flags": flags_json(&verified.flags),
        "aaguid": aaguid::format(&verified.aaguid),
        "attestationFormat": verified.attestation_format,
        "attestationTrust": verified.attestation_trust.as_str(),
        "transports": verified.transports,
        "discoverable": verified.discoverable,
        "deviceType": if verified.flags.backup_eligible { "multiDevice" } else { "singleDevice" },
    }))
}

/// `verifyAuthenticationResponse`: returns `{credentialId, counter, flags, userHandle}`; store
/// the new counter.
pub fn verify_authentication(input: &Value) -> Result<Value> {
    let input: AuthenticationInput = parse(input, "verifyAuthenticationResponse options")?;
    let public_key = base64url::decode(&input.credential.public_key, "credential.publicKey")?;
    let origins = origins(input.expected_origin);
    let verified = verify_authentication_response(
        &input.response,
        &AuthenticationExpectations {
            challenge: &input.expected_challenge,
            origins: &origins,
            rp_id: &input.expected_rp_id,
            require_user_verification: input.require_user_verification,
            credential_public_key: &public_key,
            counter: input.credential.counter,
            allow_cross_origin: false,
            top_origins: &[],
        },
    )?;
    if let Some(id) = &input.credential.id
        && base64url::decode(id, "credential.id")? != verified.credential_id
    {
        return Err(Error::verification(Check::UnknownCredential, "the response is for another credential"));
    }
    Ok(json!({
        "credentialId": base64url::encode(&verified.credential_id),
        "counter": verified.counter,
        "flags": flags_json(&verified.flags),
        "userHandle": verified.user_handle.as_deref().map(base64url::encode),
    }))
}
