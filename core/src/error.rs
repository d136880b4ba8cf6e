//! One error type for the whole engine.
//!
//! Every failure carries a stable machine-readable [`ErrorCode`], the HTTP status the router answers
//! with, and a message that is safe to show to an end user: it may describe what was wrong with the
//! *client's* input, but never carries internal text (SQL, file paths, library messages). Internal
//! failures are reported to the log hook and answered with a generic message.

use std::borrow::Cow;
use std::fmt;

use crate::webauthn::Check;

/// Stable error codes. Their string forms (see [`ErrorCode::as_str`]) are part of the public API of
/// every binding: callers branch on them, so a code is never renamed or reused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No session, or the session expired or was revoked. 401.
    Unauthorized,
    /// Malformed JSON, a missing or malformed field, bad base64url. 400.
    InvalidRequest,
    /// The body is larger than the 64 KiB limit. 413.
    PayloadTooLarge,
    /// The challenge is unknown, already used, expired, or was issued for another user or ceremony. 400.
    ChallengeInvalid,
    /// A WebAuthn check failed (origin, rpId, type, flags, signature, attestation). 400 on
    /// registration, 401 on authentication.
    VerificationFailed,
    /// The signature counter did not increase: a possible cloned authenticator. 401.
    CounterRegression,
    /// The credential is already registered (to this or another user). 409.
    CredentialExists,
    /// No such credential for this user (also when it belongs to someone else). 404.
    CredentialNotFound,
    /// Refused to delete the user's last passkey: they would be locked out. 409.
    LastCredential,
    /// A state-changing request carried an `Origin` header that is not allowed. 403.
    ForbiddenOrigin,
    /// No route at this path. 404.
    NotFound,
    /// The route exists but not with this method. 405.
    MethodNotAllowed,
    /// A user with this email already exists. 409.
    UserExists,
    /// No user with this id. 404.
    UserNotFound,
    /// The configuration is invalid (reported at start-up, never per request). 500 if ever routed.
    InvalidConfig,
    /// This client (by the key its host supplied) sent more unauthenticated requests than the
    /// configured `rateLimit` allows. 429, with `Retry-After`.
    RateLimited,
    /// More ceremonies are outstanding than `passkey.maxOutstandingChallenges` allows (a flood of
    /// options requests); no new challenge is stored until some are used or expire. 503, with
    /// `Retry-After`.
    TooManyChallenges,
    /// Anything that is not the client's fault (database unavailable, a bug). 500; details are
    /// logged, never returned.
    Internal,
}

impl ErrorCode {
    /// Every code, for bindings that mirror the list and tests that check they agree.
    pub const ALL: [ErrorCode; 18] = [
        Self::Unauthorized,
        Self::InvalidRequest,
        Self::PayloadTooLarge,
        Self::ChallengeInvalid,
        Self::VerificationFailed,
        Self::CounterRegression,
        Self::CredentialExists,
        Self::CredentialNotFound,
        Self::LastCredential,
        Self::ForbiddenOrigin,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::UserExists,
        Self::UserNotFound,
        Self::InvalidConfig,
        Self::Internal,
        Self::RateLimited,
        Self::TooManyChallenges,
    ];

    /// The stable string form, e.g. `"CHALLENGE_INVALID"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::ChallengeInvalid => "CHALLENGE_INVALID",
            Self::VerificationFailed => "VERIFICATION_FAILED",
            Self::CounterRegression => "COUNTER_REGRESSION",
            Self::CredentialExists => "CREDENTIAL_EXISTS",
            Self::CredentialNotFound => "CREDENTIAL_NOT_FOUND",
            Self::LastCredential => "LAST_CREDENTIAL",
            Self::ForbiddenOrigin => "FORBIDDEN_ORIGIN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::UserExists => "USER_EXISTS",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::InvalidConfig => "INVALID_CONFIG",
            Self::Internal => "INTERNAL",
            Self::RateLimited => "RATE_LIMITED",
            Self::TooManyChallenges => "TOO_MANY_CHALLENGES",
        }
    }

    /// The HTTP status this code is answered with by default.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest | Self::ChallengeInvalid | Self::VerificationFailed => 400,
            Self::Unauthorized | Self::CounterRegression => 401,
            Self::ForbiddenOrigin => 403,
            Self::CredentialNotFound | Self::NotFound | Self::UserNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::CredentialExists | Self::LastCredential | Self::UserExists => 409,
            Self::PayloadTooLarge => 413,
            Self::RateLimited => 429,
            Self::InvalidConfig | Self::Internal => 500,
            Self::TooManyChallenges => 503,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable code, an HTTP status and a safe message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    status: u16,
    message: Cow<'static, str>,
    check: Option<Check>,
    retry_after: Option<u32>,
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the code's default status.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, status: code.status(), message: message.into(), check: None, retry_after: None }
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

    /// For `VERIFICATION_FAILED` (and `COUNTER_REGRESSION`): which check failed.
    pub fn check(&self) -> Option<Check> {
        self.check
    }

    /// For `RATE_LIMITED` and `TOO_MANY_CHALLENGES`: seconds after which a retry may succeed.
    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
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
