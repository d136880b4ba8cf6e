//! `handle` and `handle_asgi`: the core router. A request crosses as method, path, header pairs,
//! body bytes and the optional client key; the core's response comes back as
//! `(status, [(name, value)], body)`. Nothing is decided here.
//!
//! Header names and values may be `str` or `bytes` (as ASGI servers hand them over); bytes are
//! decoded as Latin-1, like HTTP/1.1 header octets. `handle_asgi` answers with the headers as
//! Latin-1 `bytes` plus `content-length`, ready for an ASGI `http.response.start` message, so the
//! adapter needs no per-header Python work either way.

use kavach_core::Error;
use kavach_core::http::{Request, Response};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::error::{run, to_pyerr};
use crate::instance::KavachNative;

/// The core's response as `Kavach.handle` receives it: headers in order (`Set-Cookie` may
/// repeat).
type NativeResponse<'py> = (u16, Vec<(String, String)>, Bound<'py, PyBytes>);

/// The same with Latin-1 header bytes, for an ASGI server.
pub(crate) type AsgiResponse<'py> = (u16, Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>, Bound<'py, PyBytes>);

#[pymethods]
impl KavachNative {
    /// Routes one request. `client` is the caller's key for the per-client rate limit (the peer
    /// IP as the server saw it), never a header the client controls. Everything is copied before
    /// the GIL is released.
    #[pyo3(signature = (method, path, headers, body, client=None))]
    fn handle<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        client: Option<String>,
    ) -> PyResult<NativeResponse<'py>> {
        let Response { status, headers, body } = self.route(py, method, path, headers, body, client)?;
        Ok((status, headers, PyBytes::new(py, &body)))
    }

    /// [`handle`](Self::handle) for the ASGI adapters: header names and values come back as
    /// Latin-1 bytes, and `content-length` is added (without it an HTTP/1.1 server has to send
    /// the body chunked).
    #[pyo3(signature = (method, path, headers, body, client=None))]
    fn handle_asgi<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        client: Option<String>,
    ) -> PyResult<AsgiResponse<'py>> {
        asgi_response(py, self.route(py, method, path, headers, body, client)?)
    }
}

/// A core response as `handle_asgi` answers it.
pub(crate) fn asgi_response(py: Python<'_>, response: Response) -> PyResult<AsgiResponse<'_>> {
    let Response { status, headers, body } = response;
    let mut out = Vec::with_capacity(headers.len() + 1);
    for (name, value) in &headers {
        out.push((latin1_bytes(py, name)?, latin1_bytes(py, value)?));
    }
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-length")) {
        let length = body.len().to_string();
        out.push((PyBytes::new(py, b"content-length"), PyBytes::new(py, length.as_bytes())));
    }
    Ok((status, out, PyBytes::new(py, &body)))
}

impl KavachNative {
    fn route(
        &self,
        py: Python<'_>,
        method: String,
        path: String,
        headers: &Bound<'_, PyAny>,
        body: &[u8],
        client: Option<String>,
    ) -> PyResult<Response> {
        let headers = header_pairs(headers)?;
        let kavach = self.inner.clone();
        let request = Request { method, path, headers, body: body.to_vec(), client };
        // `Kavach::handle` answers every failure (even a panic) with an error response.
        run(py, move || Ok(kavach.handle(&request)))
    }
}

/// `[(name, value)]` from any iterable of pairs of `str` or `bytes`.
pub(crate) fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut pairs = Vec::with_capacity(headers.len().unwrap_or(8));
    for pair in headers.try_iter()? {
        let pair = pair?;
        // ASGI servers hand over tuples or two-item lists.
        let (name, value) = match pair.cast::<PyTuple>() {
            Ok(tuple) if tuple.len() == 2 => (tuple.get_item(0)?, tuple.get_item(1)?),
            _ if pair.len()? == 2 => (pair.get_item(0)?, pair.get_item(1)?),
            _ => return Err(PyTypeError::new_err("headers must be (name, value) pairs")),
        };
        pairs.push((header_text(&name)?, header_text(&value)?));
    }
    Ok(pairs)
}

fn header_text(item: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = item.cast::<PyString>() {
        return Ok(text.to_cow()?.into_owned());
    }
    // Latin-1: every byte is the code point of the same value.
    Ok(item.cast::<PyBytes>()?.as_bytes().iter().map(|&byte| char::from(byte)).collect())
}

/// A header the core wrote, as Latin-1 bytes. The core only writes ASCII; anything outside
/// Latin-1 would be a core bug, reported as `INTERNAL` rather than sent mangled.
fn latin1_bytes<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyBytes>> {
    let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    match bytes {
        Some(bytes) => Ok(PyBytes::new(py, &bytes)),
        None => Err(to_pyerr(py, &Error::internal("a response header is not Latin-1"))),
    }
}
