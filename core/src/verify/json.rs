//! The stateless verifiers in the JSON form every binding passes through: the documented
//! JavaScript option names (`verifyRegistrationResponse({response, expectedChallenge,
//! expectedOrigin, expectedRPID, requireUserVerification, expectedAlgorithms,
//! expectedTopOrigins})`) with base64url bytes in, the documented camelCase results out.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::aaguid;
use crate::base64url;
use crate::config::OneOrMany;
use crate::error::{Error, Result, clipped, from_json_text};
use crate::rp::{Origin, RpId};
use crate::verify::{
    AttestationOptions, AttestationPolicy, AuthenticationExpectations, RegistrationExpectations,
    as_authentication_failure, verify_authentication_response_json, verify_registration_response_with,
};
use crate::webauthn::algorithms::parse_algorithms;
use crate::webauthn::client_data::Challenge;
pub use crate::webauthn::response::AuthenticationResponseJson;
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
    /// Default true, as SimpleWebAuthn's option of the same name.
    #[serde(default = "yes", alias = "require_user_verification")]
    require_user_verification: bool,
    /// Default true. False only for a conditional create (`mediation: 'conditional'`, automatic
    /// passkey upgrade), whose authenticator may create the credential without a gesture.
    #[serde(default = "yes", alias = "require_user_presence")]
    require_user_presence: bool,
    /// The instant attestation certificates must be valid at: RFC 3339 text or Unix ms.
    /// Default: now.
    #[serde(default, alias = "verification_time")]
    verification_time: Option<Value>,
    /// `android-safetynet`: require ctsProfileMatch (default true).
    #[serde(default, alias = "safety_net_require_cts_profile_match")]
    safety_net_require_cts_profile_match: Option<bool>,
    /// Refuse attestations that do not chain to a trusted root (default false).
    #[serde(default, alias = "require_verified_attestation")]
    require_verified_attestation: bool,
    /// The algorithms the registration offered (`pubKeyCredParams`), by IANA name ("ES256",
    /// "ML-DSA-44", ...): a credential of another algorithm is refused. Default: every
    /// algorithm kavach verifies.
    #[serde(default, alias = "expected_algorithms")]
    expected_algorithms: Option<Vec<Value>>,
    /// The pages (web origins) that may embed the ceremony in a cross-origin iframe. Default
    /// none: a response with `crossOrigin: true` is refused.
    #[serde(default, alias = "expected_top_origins")]
    expected_top_origins: Vec<String>,
}

/// `verifyAuthenticationResponse`'s input. A binding builds it straight from its own objects
/// (its fields, or [`AuthenticationInput::from_json_text`]):
/// no `serde_json::Value` in between, which is a measurable part of a 40 us verification.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationInput {
    /// The browser's `AuthenticationResponseJSON`.
    pub response: AuthenticationResponseJson,
    /// The challenge issued, base64url.
    #[serde(alias = "expected_challenge")]
    pub expected_challenge: String,
    /// The allowed origin or origins.
    #[serde(alias = "expected_origin")]
    pub expected_origin: OneOrMany,
    /// The RP ID.
    #[serde(rename = "expectedRPID", alias = "expectedRpId", alias = "expected_rp_id")]
    pub expected_rp_id: String,
    /// The stored credential.
    pub credential: StoredCredentialInput,
    /// Fail unless the authenticator verified the user. Default true, as SimpleWebAuthn's option
    /// of the same name (a host that offers `userVerification: 'preferred'` passes false).
    #[serde(default = "yes", alias = "require_user_verification")]
    pub require_user_verification: bool,
    /// The pages (web origins) that may embed the ceremony in a cross-origin iframe. Default
    /// none: a response with `crossOrigin: true` is refused.
    #[serde(default, alias = "expected_top_origins")]
    pub expected_top_origins: Vec<String>,
    /// The FIDO U2F AppID the request offered in `extensions.appid`, for a credential
    /// registered with U2F. Default none: a response claiming `appid: true` is refused.
    #[serde(default, rename = "expectedAppId", alias = "expected_app_id")]
    pub expected_app_id: Option<String>,
}

fn yes() -> bool {
    true
}

/// The stored credential, as SimpleWebAuthn's `WebAuthnCredential` (`transports` is ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredentialInput {
    /// COSE key, base64url.
    #[serde(alias = "public_key")]
    pub public_key: String,
    /// The stored signature counter.
    pub counter: u32,
    /// The credential ID, base64url: when given, the response must be for this credential.
    #[serde(default)]
    pub id: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(input: &Value, what: &str) -> Result<T> {
    T::deserialize(input).map_err(|err| shape_error(what, err))
}

/// A document of the wrong shape: serde's message names the missing or mistyped field; it is cut
/// short and never echoes a value.
fn shape_error(what: &str, err: impl std::fmt::Display) -> Error {
    Error::invalid_request(format!("{what}: {}", clipped(err, 160)))
}

const AUTHENTICATION_INPUT: &str = "verifyAuthenticationResponse options";

impl AuthenticationInput {
    /// From JSON text: text that is not JSON is `"{what} is not valid JSON"`, JSON of the wrong
    /// shape names the field.
    pub fn from_json_text(text: &str, what: &str) -> Result<Self> {
        from_json_text(
            text.as_bytes(),
            || Error::invalid_request(format!("{what} is not valid JSON")),
            |err| shape_error(AUTHENTICATION_INPUT, err),
        )
    }
}

/// What `verifyAuthenticationResponse` returns: `{credentialId, counter, flags, userHandle}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedAuthenticationJson {
    /// The credential ID, base64url.
    pub credential_id: String,
    /// The new signature counter: store it.
    pub counter: u32,
    /// The authenticator data flags.
    pub flags: FlagsJson,
    /// The user handle the authenticator returned (base64url), if any.
    pub user_handle: Option<String>,
}

/// Authenticator data flags as the API reports them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagsJson {
    /// UP.
    pub user_present: bool,
    /// UV.
    pub user_verified: bool,
    /// BE: the credential may be synced (a multi-device passkey).
    pub backup_eligible: bool,
    /// BS: the credential is backed up now.
    pub backed_up: bool,
}

impl From<&Flags> for FlagsJson {
    fn from(flags: &Flags) -> Self {
        Self {
            user_present: flags.user_present,
            user_verified: flags.user_verified,
            backup_eligible: flags.backup_eligible,
            backed_up: flags.backed_up,
        }
    }
}

/// The expectations a host gives, parsed as configuration is: each refusal names the option.
fn expected(challenge: &str, origin: OneOrMany, rp_id: &str) -> Result<(Challenge, Vec<Origin>, RpId)> {
    let challenge = Challenge::parse(challenge)?;
    let texts = match origin {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) if many.is_empty() => {
            return Err(Error::invalid_request("expectedOrigin must list at least one origin"));
        }
        OneOrMany::Many(many) => many,
    };
    let origins = texts
        .iter()
        .map(|text| Origin::parse(text).map_err(|e| Error::invalid_request(e.named("expectedOrigin"))))
        .collect::<Result<_>>()?;
    let rp_id = RpId::parse(rp_id).map_err(|e| Error::invalid_request(e.named("expectedRPID")))?;
    Ok((challenge, origins, rp_id))
}

/// `verificationTime`: RFC 3339 text (`2025-01-08T00:00:00Z`) or Unix milliseconds, within the
/// years 1970 to 9999 (what certificates can express; beyond, time arithmetic has no meaning).
fn verification_time(value: &Value) -> Result<i64> {
    const LATEST_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let bad = || {
        Error::invalid_request("verificationTime must be an RFC 3339 time or Unix milliseconds between 1970 and 9999")
    };
    let ms = match value {
        Value::Number(n) => n.as_i64().ok_or_else(bad)?,
        Value::String(text) => {
            let at =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| bad())?;
            i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| bad())?
        }
        _ => return Err(bad()),
    };
    if (0..=LATEST_MS).contains(&ms) { Ok(ms) } else { Err(bad()) }
}

/// `verifyRegistrationResponse`: returns `{credentialId, publicKey, algorithm, counter, flags,
/// aaguid, attestationFormat, attestationTrust, attestationRoot, transports, discoverable,
/// prfEnabled, deviceType}`.
pub fn verify_registration(input: &Value) -> Result<Value> {
    let input: RegistrationInput = parse(input, "verifyRegistrationResponse options")?;
    let (challenge, origins, rp_id) =
        expected(&input.expected_challenge, input.expected_origin, &input.expected_rp_id)?;
    let attestation = AttestationOptions {
        verification_time_ms: input.verification_time.as_ref().map(verification_time).transpose()?,
        safetynet_require_cts_profile_match: input.safety_net_require_cts_profile_match.unwrap_or(true),
        ..AttestationOptions::default()
    };
    let policy =
        AttestationPolicy { require_verified: input.require_verified_attestation, ..AttestationPolicy::default() };
    let algorithms = match &input.expected_algorithms {
        None => CoseAlgorithm::ALL.to_vec(),
        Some(names) => parse_algorithms(names, "expectedAlgorithms", Error::invalid_request)?,
    };
    let verified = verify_registration_response_with(
        &input.response,
        &RegistrationExpectations {
            challenge: &challenge,
            origins: &origins,
            rp_id: &rp_id,
            require_user_verification: input.require_user_verification,
            require_user_presence: input.require_user_presence,
            algorithms: &algorithms,
            top_origins: &top_origins(&input.expected_top_origins)?,
        },
        &attestation,
        &policy,
    )?;
    Ok(json!({
        "credentialId": base64url::encode(&verified.credential_id),
        "publicKey": base64url::encode(&verified.public_key),
        "algorithm": verified.algorithm.id(),
        "counter": verified.counter,
        "flags": FlagsJson::from(&verified.flags),
        "aaguid": aaguid::format(&verified.aaguid),
        "attestationFormat": verified.attestation.format,
        "attestationTrust": verified.attestation.trust.as_str(),
        "attestationRoot": verified.attestation.root(),
        "attestationSource": verified.attestation.anchor.as_ref().map(|a| a.source.as_str()),
        "aaguidAttested": verified.attestation.attested_aaguid().is_some(),
        "transports": verified.transports,
        "discoverable": verified.discoverable,
        "prfEnabled": verified.prf_enabled,
        "deviceType": if verified.flags.backup_eligible { "multiDevice" } else { "singleDevice" },
    }))
}

/// `verifyAuthenticationResponse`: returns `{credentialId, counter, flags, userHandle}`; store
/// the new counter.
pub fn verify_authentication(input: &Value) -> Result<Value> {
    to_value(verify_authentication_input(parse(input, AUTHENTICATION_INPUT)?)?)
}

/// [`verify_authentication`] with the input already deserialized and the result typed.
pub fn verify_authentication_input(input: AuthenticationInput) -> Result<VerifiedAuthenticationJson> {
    let public_key = base64url::decode(&input.credential.public_key, "credential.publicKey")?;
    let (challenge, origins, rp_id) =
        expected(&input.expected_challenge, input.expected_origin, &input.expected_rp_id)?;
    let verified = verify_authentication_response_json(
        input.response,
        &AuthenticationExpectations {
            challenge: &challenge,
            origins: &origins,
            rp_id: &rp_id,
            require_user_verification: input.require_user_verification,
            credential_public_key: &public_key,
            counter: input.credential.counter,
            top_origins: &top_origins(&input.expected_top_origins)?,
            app_id: input.expected_app_id.as_deref(),
            counter_policy: crate::config::CounterPolicy::Strict,
        },
    )?;
    if let Some(id) = &input.credential.id
        && base64url::decode(id, "credential.id")? != verified.credential_id
    {
        // A failed sign-in, like every other check: 401.
        return Err(as_authentication_failure(Error::verification(
            Check::UnknownCredential,
            "the response is for another credential",
        )));
    }
    Ok(VerifiedAuthenticationJson {
        credential_id: base64url::encode(&verified.credential_id),
        counter: verified.counter,
        flags: FlagsJson::from(&verified.flags),
        user_handle: verified.user_handle.as_deref().map(base64url::encode),
    })
}

fn to_value(value: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(Error::internal)
}

/// `expectedTopOrigins`: web origins only, each refusal naming the option.
fn top_origins(texts: &[String]) -> Result<Vec<Origin>> {
    texts
        .iter()
        .map(|text| Origin::parse_web(text).map_err(|e| Error::invalid_request(e.named("expectedTopOrigins"))))
        .collect()
}
