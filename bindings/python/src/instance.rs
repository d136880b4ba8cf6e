//! `KavachNative`: one opened core instance. The public wrapper is `Kavach` in
//! `kavach_passkeys/_kavach.py`; this class is not part of the package's API.

use std::sync::Arc;

use kavach_core::Kavach;
use pyo3::prelude::*;

/// An opened kavach instance (created by `open`). Immutable: every method takes `&self`, and the
/// core instance is shared (through an `Arc`) with the work that runs while the GIL is released.
#[pyclass(frozen, module = "kavach_passkeys._native")]
pub struct KavachNative {
    pub(crate) inner: Arc<Kavach>,
}

#[pymethods]
impl KavachNative {
    /// The validated route prefix, e.g. `/auth`.
    #[getter]
    fn base_path(&self) -> &str {
        self.inner.settings().base_path()
    }

    /// Whether a request path (query string allowed) is kavach's: basePath or below.
    fn handles_path(&self, path: &str) -> bool {
        self.inner.settings().handles_path(path)
    }
}
