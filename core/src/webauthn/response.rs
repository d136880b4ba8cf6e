//! The JSON forms of `PublicKeyCredential` that browsers (and `@simplewebauthn/browser`) send:
//! `RegistrationResponseJSON` and `AuthenticationResponseJSON` (WebAuthn §5.1.8, `toJSON()`).
//!
//! Decoding here is the first line of defence: signed binary fields must be base64url (or standard
//! base64, see [`base64url::decode_signed`]), `id` must equal `rawId` in canonical base64url, and
//! anything malformed is an `INVALID_REQUEST` naming the field.

use serde::Deserialize;

use super::Check;
use crate::base64url;
use crate::error::{Error, Result, clipped, from_json_text};

/// Transports we record; anything else a client sends is dropped (they are only hints).
pub(crate) const KNOWN_TRANSPORTS: [&str; 7] = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistrationResponseJson {
    id: String,
    raw_id: String,
    #[serde(rename = "type")]
    credential_type: String,
    response: AttestationResponseJson,
    #[serde(default)]
    client_extension_results: Option<serde_json::Value>,
}

/// `AuthenticationResponseJSON` as a host sent it, before any decoding: a binding deserializes it
/// straight from its own objects (JSON text, Python objects), with no `serde_json::Value` in
/// between, then `AuthenticationResponse::decode` checks and decodes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponseJson {
    id: String,
    raw_id: String,
    #[serde(rename = "type")]
    credential_type: String,
    response: AssertionResponseJson,
    /// Only `appid` is read; everything else (PRF outputs above all) is skipped unread.
    #[serde(default)]
    client_extension_results: Option<AssertionExtensionResults>,
    // Any other member (authenticatorAttachment, ...) is skipped the same way.
}

/// The one assertion extension output kavach reads. PRF outputs (`prf.results`) belong to the
/// client: serde skips them without keeping them anywhere.
#[derive(Deserialize, Default)]
struct AssertionExtensionResults {
    #[serde(default)]
    appid: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttestationResponseJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    attestation_object: String,
    #[serde(default)]
    transports: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssertionResponseJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    #[serde(default)]
    user_handle: Option<String>,
}

/// A decoded registration response.
#[derive(Debug, Clone)]
pub(crate) struct RegistrationResponse {
    /// The credential ID (decoded `rawId`).
    pub credential_id: Vec<u8>,
    /// Raw `clientDataJSON` bytes.
    pub client_data_json: Vec<u8>,
    /// Raw attestation object (CBOR).
    pub attestation_object: Vec<u8>,
    /// Known transports the client reported.
    pub transports: Vec<String>,
    /// `clientExtensionResults.credProps.rk`, if reported.
    pub cred_props_rk: Option<bool>,
    /// `clientExtensionResults.prf.enabled`: the credential supports PRF.
    pub prf_enabled: bool,
}

/// A decoded authentication response.
#[derive(Debug, Clone)]
pub(crate) struct AuthenticationResponse {
    /// The credential ID (decoded `rawId`).
    pub credential_id: Vec<u8>,
    /// Raw `clientDataJSON` bytes.
    pub client_data_json: Vec<u8>,
    /// Raw authenticator data.
    pub authenticator_data: Vec<u8>,
    /// The assertion signature.
    pub signature: Vec<u8>,
    /// `userHandle`, if the authenticator returned one (always for discoverable credentials).
    pub user_handle: Option<Vec<u8>>,
    /// `clientExtensionResults.appid`: the client signed for the request's U2F AppID.
    pub appid_used: bool,
}

impl RegistrationResponse {
    /// Decodes `RegistrationResponseJSON`.
    pub(crate) fn from_json(value: &serde_json::Value) -> Result<Self> {
        let json: RegistrationResponseJson = deserialize(value, "registration response")?;
        let credential_id = check_identity(&json.id, &json.raw_id, &json.credential_type)?;
        let transports = json
            .response
            .transports
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.as_str())
            .filter(|t| KNOWN_TRANSPORTS.contains(t))
            .map(str::to_owned)
            .collect();
        let extension = |pointer: &str| {
            json.client_extension_results
                .as_ref()
                .and_then(|ext| ext.pointer(pointer))
                .and_then(serde_json::Value::as_bool)
        };
        let cred_props_rk = extension("/credProps/rk");
        let prf_enabled = extension("/prf/enabled") == Some(true);
        Ok(Self {
            credential_id,
            client_data_json: base64url::decode_signed(&json.response.client_data_json, "response.clientDataJSON")?,
            attestation_object: base64url::decode_signed(
                &json.response.attestation_object,
                "response.attestationObject",
            )?,
            transports,
            cred_props_rk,
            prf_enabled,
        })
    }
}

impl AuthenticationResponse {
    /// Decodes `AuthenticationResponseJSON`.
    pub(crate) fn from_json(value: &serde_json::Value) -> Result<Self> {
        Self::decode(deserialize(value, "authentication response")?)
    }

    /// Checks and decodes a deserialized `AuthenticationResponseJSON`.
    pub(crate) fn decode(json: AuthenticationResponseJson) -> Result<Self> {
        let credential_id = check_identity(&json.id, &json.raw_id, &json.credential_type)?;
        let user_handle = match json.response.user_handle.as_deref() {
            None | Some("") => None,
            Some(handle) => Some(base64url::decode(handle, "response.userHandle")?),
        };
        Ok(Self {
            credential_id,
            client_data_json: base64url::decode_signed(&json.response.client_data_json, "response.clientDataJSON")?,
            authenticator_data: base64url::decode_signed(
                &json.response.authenticator_data,
                "response.authenticatorData",
            )?,
            signature: base64url::decode_signed(&json.response.signature, "response.signature")?,
            user_handle,
            appid_used: json.client_extension_results.and_then(|ext| ext.appid).unwrap_or(false),
        })
    }
}

/// Reads just the challenge out of a response's client data, so that a ceremony can find (and
/// consume) its stored state before verifying anything else.
pub(crate) fn challenge_of(value: &serde_json::Value) -> Result<String> {
    let encoded = value
        .pointer("/response/clientDataJSON")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::invalid_request("response.clientDataJSON is missing"))?;
    let raw = base64url::decode_signed(encoded, "response.clientDataJSON")?;
    Ok(super::client_data::ClientData::parse(&raw)?.challenge)
}

fn deserialize<T: serde::de::DeserializeOwned>(value: &serde_json::Value, what: &str) -> Result<T> {
    T::deserialize(value).map_err(|err| malformed(what, err))
}

/// serde's message names the missing or mistyped field; cut it short, never echo a body.
fn malformed(what: &str, err: impl std::fmt::Display) -> Error {
    Error::invalid_request(format!("malformed {what}: {}", clipped(err, 120)))
}

impl AuthenticationResponseJson {
    /// From any serde source (a binding's own objects); a wrong shape is `INVALID_REQUEST`
    /// naming the field.
    pub fn deserialize_from<'de, D: serde::Deserializer<'de>>(source: D) -> Result<Self> {
        Self::deserialize(source).map_err(|err| malformed("authentication response", err))
    }

    /// From JSON text: text that is not JSON is `response is not valid JSON`, JSON of the wrong
    /// shape names the field.
    pub fn from_json_text(text: &[u8]) -> Result<Self> {
        from_json_text(
            text,
            || Error::invalid_request("response is not valid JSON"),
            |err| malformed("authentication response", err),
        )
    }
}

/// §5.1: `id` is the base64url encoding of `rawId`. Both must be the same canonical string, so a
/// credential has exactly one spelling everywhere (lookups, storage, the API).
fn check_identity(id: &str, raw_id: &str, credential_type: &str) -> Result<Vec<u8>> {
    if credential_type != "public-key" {
        return Err(Error::verification(Check::CredentialType, "credential type must be public-key"));
    }
    let bytes = base64url::decode_canonical(raw_id, "rawId")?;
    if id != raw_id {
        return Err(Error::verification(Check::CredentialId, "id does not equal rawId"));
    }
    if bytes.is_empty() || bytes.len() > 1023 {
        return Err(Error::verification(Check::CredentialId, "credential ID length is invalid"));
    }
    Ok(bytes)
}
