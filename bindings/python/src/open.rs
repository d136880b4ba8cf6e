//! `open(config_json)`: validates the configuration and opens the database (running the
//! migrations), with the GIL released.

use std::sync::Arc;

use kavach_core::Kavach;
use pyo3::prelude::*;

use crate::error::run;
use crate::instance::KavachNative;

/// Parses, validates and opens a configuration (docs/configuration.md; camelCase or snake_case keys).
/// Raises `KavachError` `INVALID_CONFIG` with the core's message when it is wrong.
#[pyfunction]
pub(crate) fn open(py: Python<'_>, config_json: String) -> PyResult<KavachNative> {
    let kavach = run(py, move || Kavach::from_json(&config_json))?;
    Ok(KavachNative { inner: Arc::new(kavach) })
}
