//! One error type for the whole engine.
//!
//! Every failure carries a stable machine-readable [`ErrorCode`] (from the one table in
//! [`codes`]), the HTTP status the router answers with, and a message that is safe to show to an
//! end user: it may describe what was wrong with the *client's* input, but never carries internal
//! text (SQL, file paths, library messages). Internal failures are reported to the log hook and
//! answered with a generic message. [`Error::to_json`] is the one JSON form every binding passes
//! through unchanged.

mod codes;

use std::borrow::Cow;
use std::fmt;

pub use self::codes::{ErrorCode, ErrorFamily};
use crate::webauthn::Check;

/// An error with a stable code, an HTTP status and a safe message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    status: u16,
    message: Cow<'static, str>,
    check: Option<Check>,
    retry_after: Option<u32>,
    /// A WebAuthn Signal API payload for the page (boxed: errors travel in every `Result`).
    signal: Option<Box<serde_json::Value>>,
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the code's default status.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, status: code.status(), message: message.into(), check: None, retry_after: None, signal: None }
    }

    /// `INVALID_REQUEST`: the client sent something malformed.
    pub fn invalid_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// `VERIFICATION_FAILED` naming the WebAuthn check that failed.
    pub fn verification(check: Check, message: impl Into<Cow<'static, str>>) -> Self {
        Self { check: Some(check), ..Self::new(ErrorCode::VerificationFailed, message) }
    }

    /// `INVALID_CONFIG` with a message saying which setting is wrong and why.
    pub fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    /// `INTERNAL`: the detail goes to the log, the client sees a generic message.
    pub fn internal(detail: impl fmt::Display) -> Self {
        crate::log::internal_error(&detail.to_string());
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// The same error answered with another HTTP status (e.g. a verification failure during
    /// sign-in is a 401, during registration a 400).
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same error telling the client when to try again (the router sends `Retry-After`).
    pub(crate) fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The same error carrying a Signal API payload (`{"unknownCredential": {...}}`) for the page
    /// to pass to `PublicKeyCredential.signal*`.
    pub(crate) fn with_signal(mut self, signal: serde_json::Value) -> Self {
        self.signal = Some(Box::new(signal));
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The safe, human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For `VERIFICATION_FAILED`: which check failed.
    pub fn check(&self) -> Option<Check> {
        self.check
    }

    /// For `RATE_LIMITED`: seconds after which a retry may succeed.
    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    /// A WebAuthn Signal API payload, e.g. `{"unknownCredential": {"rpId", "credentialId"}}` on a
    /// usernameless sign-in with a passkey kavach does not know.
    pub fn signal(&self) -> Option<&serde_json::Value> {
        self.signal.as_deref()
    }

    /// Who the error is about ([`ErrorCode::family`]).
    pub fn family(&self) -> ErrorFamily {
        self.code.family()
    }

    /// The one JSON form of an error, the router's response body and what every binding passes
    /// through: `{"error": message, "code": CODE, "status": HTTP status, "retryAfter"?: seconds,
    /// "signal"?: Signal API payload}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "error": self.message(),
            "code": self.code.as_str(),
            "status": self.status,
        });
        if let Some(seconds) = self.retry_after {
            body["retryAfter"] = seconds.into();
        }
        if let Some(signal) = &self.signal {
            body["signal"] = (**signal).clone();
        }
        body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// JSON text read straight into `T`. Text that is not JSON is `not_json`; JSON of the wrong shape
/// is `shape(err)`. Read as it streams, broken text can fail on its shape before its syntax, so a
/// failure is classified by reading the text again as any JSON (only on the error path).
pub(crate) fn from_json_text<T: serde::de::DeserializeOwned>(
    text: &[u8],
    not_json: impl FnOnce() -> Error,
    shape: impl FnOnce(serde_json::Error) -> Error,
) -> Result<T> {
    serde_json::from_slice(text).map_err(|err| {
        if serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() { shape(err) } else { not_json() }
    })
}

/// A message from a library (serde) about client input, cut to at most `max` characters, on a
/// character boundary: it may quote the client's text, so it must stay short.
pub(crate) fn clipped(message: impl fmt::Display, max: usize) -> String {
    let message = message.to_string();
    match message.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Self::internal(format_args!("sqlite: {err}"))
    }
}
