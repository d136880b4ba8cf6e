//! `kavach_result`'s values. Generated from core/src/error/codes.rs by core/tests/generated_lists.rs; do not edit.

/// The outcome of a call. Functions return it as a `uint32_t` (`kavach_result`); compare it with
/// these constants, and turn it into text with `kavach_result_name` / `kavach_result_status`.
/// The call's detail (a message safe to show) is in the error JSON the function wrote.
///
/// `0` is success, `1xx` are the core's codes, `2xx` failures of the C call itself. A value
/// never moves; a retired one stays reserved.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum kavach_result {
    /// Success.
    KAVACH_OK = 0,
    /// `UNAUTHORIZED` (401): No session, or it expired or was revoked.
    KAVACH_UNAUTHORIZED = 101,
    /// `INVALID_REQUEST` (400): Malformed JSON, a missing or malformed field, bad base64url, a name
    /// outside 1 to 64 characters.
    KAVACH_INVALID_REQUEST = 102,
    /// `PAYLOAD_TOO_LARGE` (413): The body is larger than 64 KiB (refused before parsing).
    KAVACH_PAYLOAD_TOO_LARGE = 103,
    /// `CHALLENGE_INVALID` (400): The challenge is not one kavach issued (its MAC does not check
    /// under `secret` or any of `previousSecrets`), expired, already used, or issued for another
    /// ceremony, user or session. Ask for new options.
    KAVACH_CHALLENGE_INVALID = 104,
    /// `VERIFICATION_FAILED` (400): A WebAuthn check failed (400 on registration, 401 on sign-in):
    /// origin, RP ID hash, type, user presence or verification, backup-eligibility change,
    /// algorithm, signature, attestation or attestation policy. The message names the check. An
    /// unknown credential in a sign-in by email answers this too, after the same work, so the
    /// answer never tells a real email from an unknown one.
    KAVACH_VERIFICATION_FAILED = 105,
    /// `COUNTER_REGRESSION` (401): The signature counter did not increase: possibly a cloned
    /// authenticator.
    KAVACH_COUNTER_REGRESSION = 106,
    /// `CREDENTIAL_EXISTS` (409): The credential is already registered (to this or another user).
    KAVACH_CREDENTIAL_EXISTS = 107,
    /// `CREDENTIAL_NOT_FOUND` (404): No such passkey for this user (also when it belongs to someone
    /// else), or a usernameless sign-in with a credential kavach does not know.
    KAVACH_CREDENTIAL_NOT_FOUND = 108,
    /// `LAST_CREDENTIAL` (409): Refused to delete the user's only passkey: they would be locked out
    /// (see `allowDeletingLastPasskey`).
    KAVACH_LAST_CREDENTIAL = 109,
    /// `FORBIDDEN_ORIGIN` (403): A state-changing request whose `Origin` header is not an allowed
    /// origin, or that has no `Origin` but `Sec-Fetch-Site: cross-site` or `same-site`.
    KAVACH_FORBIDDEN_ORIGIN = 110,
    /// `NOT_FOUND` (404): No route at this path under `basePath`.
    KAVACH_NOT_FOUND = 111,
    /// `METHOD_NOT_ALLOWED` (405): The route exists, not with this method (`Allow` lists the
    /// methods).
    KAVACH_METHOD_NOT_ALLOWED = 112,
    /// `USER_EXISTS` (409): Host API: a user with this email exists (emails compare
    /// case-insensitively).
    KAVACH_USER_EXISTS = 113,
    /// `USER_NOT_FOUND` (404): Host API: no user with this id.
    KAVACH_USER_NOT_FOUND = 114,
    /// `INVALID_CONFIG` (500): Start-up only: the configuration is invalid; the message names the
    /// option.
    KAVACH_INVALID_CONFIG = 115,
    /// `INTERNAL` (500): Not the client's fault (database unavailable: 503 for PostgreSQL outages,
    /// with "database unavailable"; a bug). Details go to the log hook, never into the answer.
    KAVACH_INTERNAL = 116,
    /// `RATE_LIMITED` (429): The client (or, on the `register` routes, the session) sent more
    /// requests than `rateLimit` allows; `retryAfter` (the `Retry-After` header) says when to try
    /// again.
    KAVACH_RATE_LIMITED = 117,
    /// `TOO_MANY_CHALLENGES` (503): Reserved: challenges are stateless, so nothing answers it
    /// today; it would carry `retryAfter`.
    KAVACH_TOO_MANY_CHALLENGES = 118,
    /// `REAUTH_REQUIRED` (403): The action needs a recent passkey check in this session
    /// (`passkey.requireRecentAuth`, or the host's `requireRecentAuth`): do a step-up
    /// (`authenticate/options {stepUp: true}`) and try again.
    KAVACH_REAUTH_REQUIRED = 119,
    /// `NULL_PARAMETER` (500): C ABI and Go only: a required pointer argument was NULL (a bug in
    /// the caller).
    KAVACH_NULL_PARAMETER = 201,
    /// `INVALID_UTF8` (400): C ABI and Go only: a string argument was not valid UTF-8.
    KAVACH_INVALID_UTF8 = 202,
    /// `PANIC` (500): C ABI and Go only: kavach panicked and the panic was caught at the boundary
    /// (a bug in kavach).
    KAVACH_PANIC = 203,
}

/// Every result, in value order.
pub(crate) const ALL_RESULTS: [kavach_result; 23] = [
    kavach_result::KAVACH_OK,
    kavach_result::KAVACH_UNAUTHORIZED,
    kavach_result::KAVACH_INVALID_REQUEST,
    kavach_result::KAVACH_PAYLOAD_TOO_LARGE,
    kavach_result::KAVACH_CHALLENGE_INVALID,
    kavach_result::KAVACH_VERIFICATION_FAILED,
    kavach_result::KAVACH_COUNTER_REGRESSION,
    kavach_result::KAVACH_CREDENTIAL_EXISTS,
    kavach_result::KAVACH_CREDENTIAL_NOT_FOUND,
    kavach_result::KAVACH_LAST_CREDENTIAL,
    kavach_result::KAVACH_FORBIDDEN_ORIGIN,
    kavach_result::KAVACH_NOT_FOUND,
    kavach_result::KAVACH_METHOD_NOT_ALLOWED,
    kavach_result::KAVACH_USER_EXISTS,
    kavach_result::KAVACH_USER_NOT_FOUND,
    kavach_result::KAVACH_INVALID_CONFIG,
    kavach_result::KAVACH_INTERNAL,
    kavach_result::KAVACH_RATE_LIMITED,
    kavach_result::KAVACH_TOO_MANY_CHALLENGES,
    kavach_result::KAVACH_REAUTH_REQUIRED,
    kavach_result::KAVACH_NULL_PARAMETER,
    kavach_result::KAVACH_INVALID_UTF8,
    kavach_result::KAVACH_PANIC,
];

/// The names as C strings, in the order of [`ALL_RESULTS`].
pub(crate) const NAMES_C: [&std::ffi::CStr; 23] = [
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
    c"REAUTH_REQUIRED",
    c"NULL_PARAMETER",
    c"INVALID_UTF8",
    c"PANIC",
];
