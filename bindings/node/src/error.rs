//! Core errors as JavaScript sees them, and the panic guard around every `compute`.
//!
//! A core [`kavach_core::Error`] crosses the boundary as a `napi::Error` whose message is the
//! core's error JSON ([`Error::to_json`]: `{"error", "code", "status", "retryAfter"?}`);
//! `lib/errors.cjs` turns it into a `KavachError`. JSON keeps the fields intact whatever the
//! message contains.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kavach_core::{Error, ErrorCode};
use napi_derive::napi;

/// Runs one operation's work, mapping a core error to its JSON form and a panic to `INTERNAL`:
/// a panic unwinding out of a libuv worker would abort the whole Node process.
pub(crate) fn guarded<T>(work: impl FnOnce() -> kavach_core::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(|err| to_napi(&err)),
        Err(_) => Err(to_napi(&Error::internal("panic in a kavach-node task"))),
    }
}

/// The `napi::Error` carrying `err`'s JSON.
pub(crate) fn to_napi(err: &Error) -> napi::Error {
    napi::Error::from_reason(err.to_json().to_string())
}

/// A JSON string argument parsed into a value; malformed JSON is the client's mistake.
pub(crate) fn parse_json(text: &str, what: &'static str) -> kavach_core::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|_| Error::invalid_request(format!("{what} is not valid JSON")))
}

/// A value serialized for the JS layer to `JSON.parse`.
pub(crate) fn to_json(value: &impl serde::Serialize) -> kavach_core::Result<String> {
    serde_json::to_string(value).map_err(Error::internal)
}

/// One stable error code, the HTTP status it is answered with and its family.
#[napi(object)]
pub struct ErrorCodeInfo {
    /// e.g. `CHALLENGE_INVALID`.
    pub code: String,
    /// e.g. 400.
    pub status: u32,
    /// `request`, `caller` or `internal`.
    pub family: String,
}

/// Every stable error code of the core, in order (`KavachError.codes`).
#[napi]
pub fn error_codes() -> Vec<ErrorCodeInfo> {
    ErrorCode::ALL
        .iter()
        .map(|code| ErrorCodeInfo {
            code: code.as_str().to_owned(),
            status: code.status().into(),
            family: code.family().as_str().to_owned(),
        })
        .collect()
}

/// The core's request body limit (64 KiB): adapters read at most one byte more, so the core
/// itself answers `413 PAYLOAD_TOO_LARGE`.
#[napi]
pub fn max_body_bytes() -> u32 {
    u32::try_from(kavach_core::http::MAX_BODY_BYTES).unwrap_or(u32::MAX)
}
