//! `handle`: the core router. A request crosses as method, path, header pairs and body bytes;
//! the core's response comes back as `(status, [(name, value)], body)`. Nothing is decided here.

use kavach_core::http::{Request, Response};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::run;
use crate::instance::KavachNative;

/// The core's response as Python receives it: headers in order (`Set-Cookie` may repeat).
type NativeResponse<'py> = (u16, Vec<(String, String)>, Bound<'py, PyBytes>);

#[pymethods]
impl KavachNative {
    /// Routes one request. The body is copied before the GIL is released.
    fn handle<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        headers: Vec<(String, String)>,
        body: &[u8],
    ) -> PyResult<NativeResponse<'py>> {
        let kavach = self.inner.clone();
        let request = Request { method, path, headers, body: body.to_vec(), client: None };
        // `Kavach::handle` answers every failure (even a panic) with an error response.
        let Response { status, headers, body } = run(py, move || Ok(kavach.handle(&request)))?;
        Ok((status, headers, PyBytes::new(py, &body)))
    }
}
