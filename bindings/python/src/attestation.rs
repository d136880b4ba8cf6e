//! `attestation.*` of the host API (docs/host-api.md): FIDO metadata replaced at run time.

use pyo3::prelude::*;

use crate::error::run_json;
use crate::instance::KavachNative;

#[pymethods]
impl KavachNative {
    /// Verifies a FIDO MDS3 BLOB against the FIDO root and makes it the metadata in use:
    /// `{number, nextUpdate, stale}`.
    fn load_metadata<'py>(&self, py: Python<'py>, blob: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || {
            let info = kavach.load_metadata(&blob)?;
            serde_json::to_value(info).map_err(kavach_core::Error::internal)
        })
    }
}
