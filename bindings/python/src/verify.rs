//! The stateless verifiers (`kavach_core::api`), for hosts that keep their own storage: no
//! database, no instance. The options cross as a Python dict with the documented camelCase names
//! (converted to a JSON value in Rust, see [`crate::convert`]); the response as a dict or as JSON
//! text (`str` or `bytes`, parsed in Rust); the verified facts come back as a dict.

use kavach_core::{Error, api};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};
use serde_json::Value;

use crate::convert::{to_python, to_value};
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

/// The same plus `credential: {publicKey, counter, id?}`; returns
/// `{credentialId, counter, flags, userHandle}`.
#[pyfunction]
pub(crate) fn verify_authentication_response<'py>(
    py: Python<'py>,
    response: &Bound<'py, PyAny>,
    options: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = with_response(response, options).map_err(|err| to_pyerr(py, &err))?;
    to_python(py, &run(py, move || api::verify_authentication(&input))?)
}

/// The core's input: `options` with `response` added (a dict, or JSON text as `str` or `bytes`).
fn with_response(response: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>) -> Result<Value, Error> {
    let response = if let Ok(text) = response.cast::<PyString>() {
        parse_response(text.to_cow().map_err(|_| not_json())?.as_bytes())?
    } else if let Ok(bytes) = response.cast::<PyBytes>() {
        parse_response(bytes.as_bytes())?
    } else if let Ok(bytes) = response.cast::<PyByteArray>() {
        parse_response(&bytes.to_vec())?
    } else {
        to_value(response, "response")?
    };
    let mut input = to_value(options, "options")?;
    if let Value::Object(map) = &mut input {
        map.insert("response".to_owned(), response);
    }
    Ok(input)
}

fn parse_response(text: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(text).map_err(|_| not_json())
}

fn not_json() -> Error {
    Error::invalid_request("response is not valid JSON")
}
