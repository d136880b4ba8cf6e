//! The stateless verifiers (`kavach_core::api`), for hosts that keep their own storage: no
//! database, no instance. Input and result are JSON text with the documented camelCase names.

use kavach_core::api;
use pyo3::prelude::*;

use crate::error::{parse_json, run, to_json};

/// `{response, expectedChallenge, expectedOrigin, expectedRPID, requireUserVerification}` as
/// JSON; returns the verified facts as JSON.
#[pyfunction]
pub(crate) fn verify_registration_response(py: Python<'_>, input_json: String) -> PyResult<String> {
    run(py, move || to_json(&api::verify_registration(&parse_json(&input_json, "options")?)?))
}

/// The same plus `credential: {publicKey, counter, id?}`; returns
/// `{credentialId, counter, flags, userHandle}` as JSON.
#[pyfunction]
pub(crate) fn verify_authentication_response(py: Python<'_>, input_json: String) -> PyResult<String> {
    run(py, move || to_json(&api::verify_authentication(&parse_json(&input_json, "options")?)?))
}
