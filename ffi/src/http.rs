//! `kavach_handle`: the core router (docs/http.md) for C web servers. A request crosses as method,
//! path, header arrays and body bytes; the core's response comes back as status, header JSON and
//! body bytes. Nothing is decided here: routes, status codes, cookies and error bodies are the
//! core's.

use std::ffi::{CStr, c_char};
use std::slice;

use kavach_core::Error;
use kavach_core::http::{MAX_BODY_BYTES, Request, Response};
use serde_json::Value;

use crate::boundary::{
    Outcome, error_body, instance, into_c_string, null_parameter, opt_str_arg, panic_boundary, panicked, str_arg,
};
use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Routes one HTTP request through kavach (every endpoint under the configured base path) and
/// returns the response to send.
///
/// In: `method` (`"POST"`, ...), `path` (e.g. `/auth/passkey/credentials`; a query string is
/// ignored), `header_count` request headers as two parallel arrays of NUL-terminated strings
/// `header_names[i]: header_values[i]` (the arrays may be NULL when `header_count` is 0; names
/// match case-insensitively; bytes that are not UTF-8 become U+FFFD), and the body as `body_len`
/// bytes at `body` (NULL when `body_len` is 0). Pass the whole body, or at least
/// `kavach_max_body_bytes() + 1` bytes of it, so that kavach answers an oversized one with 413.
///
/// `client` is the peer of the connection: its IP address as text (e.g. `"203.0.113.7"`), as
/// your server's socket reports it. The core derives the key of the optional per-client rate limit
/// (`rateLimit` in the config, on `authenticate/options` and `authenticate/verify`) from it: the
/// peer itself, or, when the peer is one of `trustedProxies`, the rightmost `X-Forwarded-For`
/// entry (among the headers) that is not. Never pass a value read from a header: the client
/// chooses those. NULL = no peer: the request is never rate-limited.
/// A `client` that is not UTF-8 is `KAVACH_INVALID_UTF8`, as for `method` and `path`.
///
/// Every input is only read during the call.
///
/// Out (all four required): `*out_status` the HTTP status; `*out_headers_json` the response
/// headers as a JSON array of `[name, value]` pairs, in order (`set-cookie` may appear; free with
/// `kavach_string_free`); `*out_body` / `*out_body_len` the body bytes (JSON; NULL and 0 when
/// empty; free with `kavach_bytes_free(body, len)`).
///
/// Returns `KAVACH_OK` whenever kavach produced a response, including 4xx/5xx ones: send it as
/// it is, including 429 `RATE_LIMITED` with a `retry-after` header.
/// Any other result (`KAVACH_NULL_PARAMETER`, `KAVACH_INVALID_UTF8` for the method, path or client,
/// `KAVACH_PANIC`) still fills every non-NULL out-parameter with an error response (status from
/// `kavach_result_status`, body `{"error", "code", "status"}`) that can be sent the same way.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kavach_handle(
    kavach: *const kavach_t,
    method: *const c_char,
    path: *const c_char,
    client: *const c_char,
    header_names: *const *const c_char,
    header_values: *const *const c_char,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    out_status: *mut u16,
    out_headers_json: *mut *mut c_char,
    out_body: *mut *mut u8,
    out_body_len: *mut usize,
) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        let outs_present =
            !out_status.is_null() && !out_headers_json.is_null() && !out_body.is_null() && !out_body_len.is_null();
        let routed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if !outs_present {
                return Err(null_parameter("out_status, out_headers_json, out_body and out_body_len"));
            }
            // SAFETY: the pointers are NULL or valid for the lengths given, as the header documents.
            let request =
                unsafe { request(method, path, client, header_names, header_values, header_count, body, body_len) }?;
            instance_handle(kavach, &request)
        }))
        .unwrap_or_else(|_| Err(panicked()));
        let (response, result) = match routed {
            Ok(response) => (response, kavach_result::KAVACH_OK),
            Err(err) => (error_response(&err), kavach_result::from_code(err.code())),
        };
        // SAFETY: each out-parameter is written only if it is not NULL.
        unsafe { write_response(response, out_status, out_headers_json, out_body, out_body_len) };
        result
    })
}

fn instance_handle(kavach: *const kavach_t, request: &Request) -> Outcome<Response> {
    // SAFETY: NULL or a live handle, as the header documents.
    Ok(unsafe { instance(kavach) }?.handle(request))
}

/// Copies the request in. Only `MAX_BODY_BYTES + 1` body bytes are copied: enough for the core
/// to see an oversized body and answer 413, without copying a huge one.
///
/// # Safety
/// As `kavach_handle`.
#[allow(clippy::too_many_arguments)]
unsafe fn request(
    method: *const c_char,
    path: *const c_char,
    client: *const c_char,
    header_names: *const *const c_char,
    header_values: *const *const c_char,
    header_count: usize,
    body: *const u8,
    body_len: usize,
) -> Outcome<Request> {
    let method = unsafe { str_arg(method, "method") }?.to_owned();
    let path = unsafe { str_arg(path, "path") }?.to_owned();
    let client = unsafe { opt_str_arg(client, "client") }?.map(str::to_owned);
    let mut headers = Vec::with_capacity(header_count.min(256));
    if header_count > 0 {
        if header_names.is_null() || header_values.is_null() {
            return Err(null_parameter("header_names / header_values"));
        }
        // SAFETY: the caller gives `header_count` entries in each array.
        let (names, values) = unsafe {
            (slice::from_raw_parts(header_names, header_count), slice::from_raw_parts(header_values, header_count))
        };
        for (&name, &value) in names.iter().zip(values) {
            if name.is_null() || value.is_null() {
                return Err(null_parameter("a header name or value"));
            }
            // SAFETY: non-NULL, NUL-terminated strings, as the header documents.
            let (name, value) = unsafe { (CStr::from_ptr(name), CStr::from_ptr(value)) };
            headers.push((name.to_string_lossy().into_owned(), value.to_string_lossy().into_owned()));
        }
    }
    let body = match (body.is_null(), body_len) {
        (_, 0) => Vec::new(),
        (true, _) => return Err(null_parameter("body")),
        // SAFETY: `body_len` readable bytes, as the header documents.
        (false, len) => unsafe { slice::from_raw_parts(body, len.min(MAX_BODY_BYTES + 1)) }.to_vec(),
    };
    Ok(Request { method, path, headers, body, client })
}

/// The response for a failed call, in the core's error shape.
fn error_response(err: &Error) -> Response {
    Response {
        status: err.status(),
        headers: vec![("content-type".to_owned(), "application/json; charset=utf-8".to_owned())],
        body: error_body(err).into_bytes(),
    }
}

/// # Safety
/// Each pointer is NULL or valid for a write.
unsafe fn write_response(
    response: Response,
    out_status: *mut u16,
    out_headers_json: *mut *mut c_char,
    out_body: *mut *mut u8,
    out_body_len: *mut usize,
) {
    let headers: Value = response.headers.into_iter().map(|(name, value)| Value::from(vec![name, value])).collect();
    let body_len = response.body.len();
    let body =
        if body_len == 0 { std::ptr::null_mut() } else { Box::into_raw(response.body.into_boxed_slice()).cast::<u8>() };
    unsafe {
        if !out_status.is_null() {
            *out_status = response.status;
        }
        if !out_headers_json.is_null() {
            *out_headers_json = into_c_string(headers.to_string());
        }
        if out_body.is_null() || out_body_len.is_null() {
            // Nowhere to hand the body: free it rather than leak it.
            crate::instance::kavach_bytes_free(body, body_len);
        } else {
            *out_body = body;
            *out_body_len = body_len;
        }
    }
}
