//! The stateless verifiers (`kavach_core::verify::json`), for hosts that keep their own storage: no
//! database, no instance. The options cross as a Python dict with the documented camelCase names;
//! the response as a dict or as JSON text (`str` or `bytes`, parsed in Rust); the verified facts
//! come back as a dict.
//!
//! Sign-in verification is the hot path (one per sign-in, about 40 us), so its input is read
//! straight into the core's typed input ([`crate::de`]) and its result built as a dict directly;
//! registration (once per passkey) goes through a JSON value ([`crate::convert`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kavach_core::Error;
use kavach_core::config::OneOrMany;
use kavach_core::verify::json::{
    self as api, AuthenticationInput, AuthenticationResponseJson, StoredCredentialInput, VerifiedAuthenticationJson,
};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMapping, PyString};
use serde_json::Value;

use crate::convert::{to_python, to_value};
use crate::de::PyDeserializer;
use crate::error::{run, to_pyerr};

/// `{expectedChallenge, expectedOrigin, expectedRPID, requireUserVerification}` plus the
/// response; returns the verified facts.
#[pyfunction]
pub(crate) fn verify_registration_response<'py>(
    py: Python<'py>,
    response: &Bound<'py, PyAny>,
    options: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = with_response(response, options).map_err(|err| to_pyerr(py, &err))?;
    to_python(py, &run(py, move || api::verify_registration(&input))?)
}

/// Verifies an ``AuthenticationResponseJSON`` against an explicit challenge, origin(s) and RP ID
/// and the stored credential: its COSE public key (``bytes`` or base64url) and counter; with
/// ``credential_id`` the response must be for that credential. Returns the new ``counter`` to
/// store. ``expected_top_origins``: the pages that may embed the ceremony in a cross-origin
/// iframe (default none: ``crossOrigin: true`` is refused). ``expected_app_id``: the FIDO U2F
/// AppID the request offered (``extensions.appid``), for credentials registered with U2F.
/// Raises ``VerificationError`` (401)
/// or ``InvalidRequestError`` (400). Releases the GIL while verifying.
///
/// The response is a ``dict`` (or another mapping), or JSON text (``str``, ``bytes``,
/// ``bytearray``).
#[pyfunction]
#[pyo3(signature = (
    response,
    expected_challenge,
    expected_origin,
    expected_rp_id,
    credential_public_key,
    credential_counter,
    require_user_verification = true,
    *,
    credential_id = None,
    expected_top_origins = None,
    expected_app_id = None,
))]
#[allow(clippy::too_many_arguments)] // the documented keyword arguments, one for one
pub(crate) fn verify_authentication_response<'py>(
    py: Python<'py>,
    response: &Bound<'py, PyAny>,
    expected_challenge: String,
    expected_origin: &Bound<'py, PyAny>,
    expected_rp_id: String,
    credential_public_key: &Bound<'py, PyAny>,
    credential_counter: u32,
    require_user_verification: bool,
    credential_id: Option<String>,
    expected_top_origins: Option<Vec<String>>,
    expected_app_id: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = AuthenticationInput {
        response: authentication_response(response).map_err(|err| to_pyerr(py, &err))?,
        expected_challenge,
        expected_origin: if let Ok(one) = expected_origin.cast::<PyString>() {
            OneOrMany::One(one.to_cow()?.into_owned())
        } else {
            OneOrMany::Many(expected_origin.extract()?)
        },
        expected_rp_id,
        credential: StoredCredentialInput {
            public_key: if let Ok(bytes) = credential_public_key.cast::<PyBytes>() {
                URL_SAFE_NO_PAD.encode(bytes.as_bytes())
            } else if let Ok(bytes) = credential_public_key.cast::<PyByteArray>() {
                URL_SAFE_NO_PAD.encode(bytes.to_vec())
            } else {
                credential_public_key.extract()?
            },
            counter: credential_counter,
            id: credential_id,
        },
        require_user_verification,
        expected_top_origins: expected_top_origins.unwrap_or_default(),
        expected_app_id,
    };
    let verified = run(py, move || api::verify_authentication_input(input))?;
    verified_authentication_dict(py, verified)
}

/// The response read straight into the core's typed form ([`crate::de`]): from a dict (or
/// another mapping, copied into one), or parsed from JSON text.
fn authentication_response(response: &Bound<'_, PyAny>) -> Result<AuthenticationResponseJson, Error> {
    if let Ok(text) = response.cast::<PyString>() {
        AuthenticationResponseJson::from_json_text(text.to_cow().map_err(|_| not_json())?.as_bytes())
    } else if let Ok(bytes) = response.cast::<PyBytes>() {
        AuthenticationResponseJson::from_json_text(bytes.as_bytes())
    } else if let Ok(bytes) = response.cast::<PyByteArray>() {
        AuthenticationResponseJson::from_json_text(&bytes.to_vec())
    } else if response.is_instance_of::<PyDict>() {
        AuthenticationResponseJson::deserialize_from(PyDeserializer::new(response.clone()))
    } else if let Ok(mapping) = response.cast::<PyMapping>() {
        let copy = PyDict::new(response.py());
        copy.update(mapping).map_err(|_| Error::invalid_request("response is not a mapping"))?;
        AuthenticationResponseJson::deserialize_from(PyDeserializer::new(copy.into_any()))
    } else {
        AuthenticationResponseJson::deserialize_from(PyDeserializer::new(response.clone()))
    }
}

/// `{credentialId, counter, flags: {userPresent, userVerified, backupEligible, backedUp},
/// userHandle}`: the names of [`VerifiedAuthenticationJson`]'s JSON form (a test holds them
/// equal), built without a JSON value in between.
fn verified_authentication_dict<'py>(
    py: Python<'py>,
    verified: VerifiedAuthenticationJson,
) -> PyResult<Bound<'py, PyAny>> {
    let flags = PyDict::new(py);
    flags.set_item(pyo3::intern!(py, "userPresent"), verified.flags.user_present)?;
    flags.set_item(pyo3::intern!(py, "userVerified"), verified.flags.user_verified)?;
    flags.set_item(pyo3::intern!(py, "backupEligible"), verified.flags.backup_eligible)?;
    flags.set_item(pyo3::intern!(py, "backedUp"), verified.flags.backed_up)?;
    let out = PyDict::new(py);
    out.set_item(pyo3::intern!(py, "credentialId"), verified.credential_id)?;
    out.set_item(pyo3::intern!(py, "counter"), verified.counter)?;
    out.set_item(pyo3::intern!(py, "flags"), flags)?;
    out.set_item(pyo3::intern!(py, "userHandle"), verified.user_handle)?;
    Ok(out.into_any())
}

/// The core's input: `options` with `response` added (a dict, or JSON text as `str` or `bytes`).
fn with_response(response: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>) -> Result<Value, Error> {
    let response = match response_text(response)? {
        Some(parsed) => parsed,
        None => to_value(response, "response")?,
    };
    let mut input = to_value(options, "options")?;
    if let Value::Object(map) = &mut input {
        map.insert("response".to_owned(), response);
    }
    Ok(input)
}

/// A response given as JSON text (`str`, `bytes` or `bytearray`), parsed; `None` for an object.
fn response_text(response: &Bound<'_, PyAny>) -> Result<Option<Value>, Error> {
    if let Ok(text) = response.cast::<PyString>() {
        parse_response(text.to_cow().map_err(|_| not_json())?.as_bytes()).map(Some)
    } else if let Ok(bytes) = response.cast::<PyBytes>() {
        parse_response(bytes.as_bytes()).map(Some)
    } else if let Ok(bytes) = response.cast::<PyByteArray>() {
        parse_response(&bytes.to_vec()).map(Some)
    } else {
        Ok(None)
    }
}

fn parse_response(text: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(text).map_err(|_| not_json())
}

fn not_json() -> Error {
    Error::invalid_request("response is not valid JSON")
}
