//! `kavach_result`: the code every fallible function returns, and its name and HTTP status.
//!
//! Values are explicit and grouped so they never move: `0` is success, `1xx` are the core's stable
//! error codes (`kavach_core::ErrorCode`, in the order of `ErrorCode::ALL`), `2xx` are failures of
//! the C call itself. A retired value stays reserved; a new core code gets the next free `1xx`.

use kavach_core::ErrorCode;

/// The outcome of a call. Functions return it as a `uint32_t` (`kavach_result`); compare it with
/// these constants, and turn it into text with `kavach_result_name` / `kavach_result_status`.
/// The call's detail (a message safe to show) is in the error JSON the function wrote.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum kavach_result {
    /// Success.
    KAVACH_OK = 0,

    /// `UNAUTHORIZED` (401): no session, or it expired or was revoked.
    KAVACH_UNAUTHORIZED = 101,
    /// `INVALID_REQUEST` (400): malformed JSON, a missing or malformed field, bad base64url.
    KAVACH_INVALID_REQUEST = 102,
    /// `PAYLOAD_TOO_LARGE` (413): a body over 64 KiB.
    KAVACH_PAYLOAD_TOO_LARGE = 103,
    /// `CHALLENGE_INVALID` (400): unknown, used, expired, or issued for another user or ceremony.
    KAVACH_CHALLENGE_INVALID = 104,
    /// `VERIFICATION_FAILED` (400 on registration, 401 on sign-in): a WebAuthn check failed.
    KAVACH_VERIFICATION_FAILED = 105,
    /// `COUNTER_REGRESSION` (401): the signature counter did not increase.
    KAVACH_COUNTER_REGRESSION = 106,
    /// `CREDENTIAL_EXISTS` (409): the credential is already registered.
    KAVACH_CREDENTIAL_EXISTS = 107,
    /// `CREDENTIAL_NOT_FOUND` (404): no such credential for this user.
    KAVACH_CREDENTIAL_NOT_FOUND = 108,
    /// `LAST_CREDENTIAL` (409): refused to delete the user's last passkey.
    KAVACH_LAST_CREDENTIAL = 109,
    /// `FORBIDDEN_ORIGIN` (403): a state-changing request from an origin that is not allowed.
    KAVACH_FORBIDDEN_ORIGIN = 110,
    /// `NOT_FOUND` (404): no route at this path.
    KAVACH_NOT_FOUND = 111,
    /// `METHOD_NOT_ALLOWED` (405): the route exists, not with this method.
    KAVACH_METHOD_NOT_ALLOWED = 112,
    /// `USER_EXISTS` (409): a user with this email already exists.
    KAVACH_USER_EXISTS = 113,
    /// `USER_NOT_FOUND` (404): no user with this id.
    KAVACH_USER_NOT_FOUND = 114,
    /// `INVALID_CONFIG` (500): the configuration given to `kavach_new` is invalid.
    KAVACH_INVALID_CONFIG = 115,
    /// `INTERNAL` (500): not the caller's fault (database unavailable, a bug); details are logged.
    KAVACH_INTERNAL = 116,
    /// `RATE_LIMITED` (429): this client key (the `client` given to `kavach_handle`) sent more
    /// sign-in requests than `rateLimit` allows; the response carries `retry-after`.
    KAVACH_RATE_LIMITED = 117,
    /// `TOO_MANY_CHALLENGES` (503), reserved: challenges are stateless, so nothing answers it
    /// today; retry after the error's `retryAfter` seconds if it ever comes.
    KAVACH_TOO_MANY_CHALLENGES = 118,

    /// `NULL_PARAMETER`: a required pointer argument was NULL (a bug in the caller).
    KAVACH_NULL_PARAMETER = 201,
    /// `INVALID_UTF8`: a string argument was not UTF-8.
    KAVACH_INVALID_UTF8 = 202,
    /// `PANIC`: kavach panicked; the panic was caught at the boundary (a bug in kavach).
    KAVACH_PANIC = 203,
}

use kavach_result::*;

/// Every result, in value order (tests check that names and statuses agree with the core).
pub(crate) const ALL_RESULTS: [kavach_result; 22] = [
    KAVACH_OK,
    KAVACH_UNAUTHORIZED,
    KAVACH_INVALID_REQUEST,
    KAVACH_PAYLOAD_TOO_LARGE,
    KAVACH_CHALLENGE_INVALID,
    KAVACH_VERIFICATION_FAILED,
    KAVACH_COUNTER_REGRESSION,
    KAVACH_CREDENTIAL_EXISTS,
    KAVACH_CREDENTIAL_NOT_FOUND,
    KAVACH_LAST_CREDENTIAL,
    KAVACH_FORBIDDEN_ORIGIN,
    KAVACH_NOT_FOUND,
    KAVACH_METHOD_NOT_ALLOWED,
    KAVACH_USER_EXISTS,
    KAVACH_USER_NOT_FOUND,
    KAVACH_INVALID_CONFIG,
    KAVACH_INTERNAL,
    KAVACH_RATE_LIMITED,
    KAVACH_TOO_MANY_CHALLENGES,
    KAVACH_NULL_PARAMETER,
    KAVACH_INVALID_UTF8,
    KAVACH_PANIC,
];

impl kavach_result {
    /// The result for a core error code. A code added to the core but not yet here is
    /// `INTERNAL` (the error JSON still carries the core's own code string).
    pub(crate) fn from_code(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Unauthorized => KAVACH_UNAUTHORIZED,
            ErrorCode::InvalidRequest => KAVACH_INVALID_REQUEST,
            ErrorCode::PayloadTooLarge => KAVACH_PAYLOAD_TOO_LARGE,
            ErrorCode::ChallengeInvalid => KAVACH_CHALLENGE_INVALID,
            ErrorCode::VerificationFailed => KAVACH_VERIFICATION_FAILED,
            ErrorCode::CounterRegression => KAVACH_COUNTER_REGRESSION,
            ErrorCode::CredentialExists => KAVACH_CREDENTIAL_EXISTS,
            ErrorCode::CredentialNotFound => KAVACH_CREDENTIAL_NOT_FOUND,
            ErrorCode::LastCredential => KAVACH_LAST_CREDENTIAL,
            ErrorCode::ForbiddenOrigin => KAVACH_FORBIDDEN_ORIGIN,
            ErrorCode::NotFound => KAVACH_NOT_FOUND,
            ErrorCode::MethodNotAllowed => KAVACH_METHOD_NOT_ALLOWED,
            ErrorCode::UserExists => KAVACH_USER_EXISTS,
            ErrorCode::UserNotFound => KAVACH_USER_NOT_FOUND,
            ErrorCode::InvalidConfig => KAVACH_INVALID_CONFIG,
            ErrorCode::Internal => KAVACH_INTERNAL,
            ErrorCode::RateLimited => KAVACH_RATE_LIMITED,
            ErrorCode::TooManyChallenges => KAVACH_TOO_MANY_CHALLENGES,
            _ => KAVACH_INTERNAL,
        }
    }

    /// The value for a number, if it is one.
    pub(crate) fn from_u32(value: u32) -> Option<Self> {
        ALL_RESULTS.iter().copied().find(|result| *result as u32 == value)
    }

    /// The core code this result stands for (`None` for `OK` and the call failures).
    pub(crate) fn code(self) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|code| Self::from_code(*code) == self)
    }

    /// `OK`, the core's code string, or `NULL_PARAMETER` / `INVALID_UTF8` / `PANIC`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            KAVACH_OK => "OK",
            KAVACH_NULL_PARAMETER => "NULL_PARAMETER",
            KAVACH_INVALID_UTF8 => "INVALID_UTF8",
            KAVACH_PANIC => "PANIC",
            other => other.code().map_or("INTERNAL", ErrorCode::as_str),
        }
    }

    /// The HTTP status a server answers with: the core code's default status, 200 for `OK`,
    /// 400 for `INVALID_UTF8` (client text), 500 for `NULL_PARAMETER` and `PANIC` (bugs).
    pub(crate) fn status(self) -> u16 {
        match self {
            KAVACH_OK => 200,
            KAVACH_INVALID_UTF8 => 400,
            KAVACH_NULL_PARAMETER | KAVACH_PANIC => 500,
            other => other.code().map_or(500, ErrorCode::status),
        }
    }
}

/// The name of a result: `"OK"`, the core's stable code (`"CHALLENGE_INVALID"`, ...),
/// `"NULL_PARAMETER"`, `"INVALID_UTF8"`, `"PANIC"`, or `"UNKNOWN"` for a value that is none of
/// them. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn kavach_result_name(result: u32) -> *const std::ffi::c_char {
    crate::boundary::panic_boundary(c"UNKNOWN".as_ptr(), || match kavach_result::from_u32(result) {
        // Every name is a static, NUL-terminated literal.
        Some(known) => NAMES_C[ALL_RESULTS.iter().position(|r| *r == known).unwrap_or(0)].as_ptr(),
        None => c"UNKNOWN".as_ptr(),
    })
}

/// The HTTP status a server answers a result with (200 for `KAVACH_OK`; 500 for an unknown
/// value). The error JSON's `status` is the one to use for a failed call: it can differ (a
/// failed sign-in verification is 401, a failed registration 400).
#[unsafe(no_mangle)]
pub extern "C" fn kavach_result_status(result: u32) -> u16 {
    crate::boundary::panic_boundary(500, || kavach_result::from_u32(result).map_or(500, kavach_result::status))
}

/// The names as C strings, in the order of [`ALL_RESULTS`].
const NAMES_C: [&std::ffi::CStr; 22] = [
    c"OK",
    c"UNAUTHORIZED",
    c"INVALID_REQUEST",
    c"PAYLOAD_TOO_LARGE",
    c"CHALLENGE_INVALID",
    c"VERIFICATION_FAILED",
    c"COUNTER_REGRESSION",
    c"CREDENTIAL_EXISTS",
    c"CREDENTIAL_NOT_FOUND",
    c"LAST_CREDENTIAL",
    c"FORBIDDEN_ORIGIN",
    c"NOT_FOUND",
    c"METHOD_NOT_ALLOWED",
    c"USER_EXISTS",
    c"USER_NOT_FOUND",
    c"INVALID_CONFIG",
    c"INTERNAL",
    c"RATE_LIMITED",
    c"TOO_MANY_CHALLENGES",
    c"NULL_PARAMETER",
    c"INVALID_UTF8",
    c"PANIC",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_result_with_the_same_name_and_status() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let result = kavach_result::from_code(code);
            assert!(seen.insert(result), "{code} shares a result");
            assert_eq!(result.name(), code.as_str());
            assert_eq!(result.status(), code.status());
            assert_eq!(result.code(), Some(code));
        }
        assert_eq!(seen.len() + 4, ALL_RESULTS.len(), "OK + 3 call failures + one per core code");
    }

    #[test]
    fn core_codes_are_numbered_from_101_in_the_order_of_error_code_all() {
        for (i, &code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(kavach_result::from_code(code) as u32, 101 + i as u32, "{code}");
        }
        assert_eq!(kavach_result::from_code(ErrorCode::RateLimited) as u32, 117);
        assert_eq!(kavach_result::from_code(ErrorCode::TooManyChallenges) as u32, 118);
    }

    #[test]
    fn c_names_agree_with_names() {
        for (result, name) in ALL_RESULTS.iter().zip(NAMES_C) {
            assert_eq!(result.name(), name.to_str().unwrap());
            let from_c = unsafe { std::ffi::CStr::from_ptr(kavach_result_name(*result as u32)) };
            assert_eq!(from_c, name);
            assert_eq!(kavach_result_status(*result as u32), result.status());
        }
        let unknown = unsafe { std::ffi::CStr::from_ptr(kavach_result_name(7777)) };
        assert_eq!(unknown, c"UNKNOWN");
        assert_eq!(kavach_result_status(7777), 500);
    }
}
