//! The table of stable error codes: the one definition every binding's list is generated from
//! (`core/tests/generated_lists.rs` renders the Go, Python, TypeScript and C lists from it and
//! fails when a committed list differs).
//!
//! A code's string, HTTP status, family and C ABI number never change once shipped; a retired
//! code keeps its number reserved. A new code is a new row: the generated lists follow.

/// Who an error is about, so a host can tell its own mistakes from its clients' and from
/// failures that are nobody's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorFamily {
    /// The request was malformed or refused: untrusted input, the client's to fix (4xx).
    Request,
    /// The host used the API or the configuration wrongly (invalid configuration, a user that
    /// exists or does not): the host's to fix.
    Caller,
    /// Not the caller's fault: the database is unavailable, or a bug. Logged, never detailed.
    Internal,
}

impl ErrorFamily {
    /// `request`, `caller` or `internal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Caller => "caller",
            Self::Internal => "internal",
        }
    }
}

macro_rules! error_codes {
    ($($variant:ident = $number:literal, $name:literal, $status:literal, $family:ident, $doc:literal;)*) => {
        /// Stable error codes. Their string forms ([`ErrorCode::as_str`]) are part of the public
        /// API of every binding: callers branch on them, so a code is never renamed or reused.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $doc] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            /// The stable string form, e.g. `"CHALLENGE_INVALID"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The HTTP status this code is answered with by default.
            pub const fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)* }
            }

            /// Who the error is about.
            pub const fn family(self) -> ErrorFamily {
                match self { $(Self::$variant => ErrorFamily::$family,)* }
            }

            /// Its number in the C ABI (`kavach_result`): `1xx` for the core's codes, `2xx` for
            /// failures of a C call itself; never reused.
            pub const fn number(self) -> u32 {
                match self { $(Self::$variant => $number,)* }
            }

            /// What it means, in one sentence (the text of the generated lists).
            pub const fn description(self) -> &'static str {
                match self { $(Self::$variant => $doc,)* }
            }
        }
    };
}

error_codes! {
    Unauthorized = 101, "UNAUTHORIZED", 401, Request,
        "No session, or it expired or was revoked.";
    InvalidRequest = 102, "INVALID_REQUEST", 400, Request,
        "Malformed JSON, a missing or malformed field, bad base64url, a name outside 1 to 64 \
        characters.";
    PayloadTooLarge = 103, "PAYLOAD_TOO_LARGE", 413, Request,
        "The body is larger than 64 KiB (refused before parsing).";
    ChallengeInvalid = 104, "CHALLENGE_INVALID", 400, Request,
        "The challenge is not one kavach issued (its MAC does not check under `secret` or any of \
        `previousSecrets`), expired, already used, or issued for another ceremony, user or \
        session. Ask for new options.";
    VerificationFailed = 105, "VERIFICATION_FAILED", 400, Request,
        "A WebAuthn check failed (400 on registration, 401 on sign-in): origin, RP ID hash, type, \
        user presence or verification, backup-eligibility change, algorithm, signature, \
        attestation or attestation policy. The message names the check. An unknown credential in \
        a sign-in by email answers this too, after the same work, so the answer never tells a \
        real email from an unknown one.";
    CounterRegression = 106, "COUNTER_REGRESSION", 401, Request,
        "The signature counter did not increase: possibly a cloned authenticator.";
    CredentialExists = 107, "CREDENTIAL_EXISTS", 409, Request,
        "The credential is already registered (to this or another user).";
    CredentialNotFound = 108, "CREDENTIAL_NOT_FOUND", 404, Request,
        "No such passkey for this user (also when it belongs to someone else), or a usernameless \
        sign-in with a credential kavach does not know.";
    LastCredential = 109, "LAST_CREDENTIAL", 409, Request,
        "Refused to delete the user's only passkey: they would be locked out (see \
        `allowDeletingLastPasskey`).";
    ForbiddenOrigin = 110, "FORBIDDEN_ORIGIN", 403, Request,
        "A state-changing request whose `Origin` header is not an allowed origin, or that has no \
        `Origin` but `Sec-Fetch-Site: cross-site` or `same-site`.";
    NotFound = 111, "NOT_FOUND", 404, Request,
        "No route at this path under `basePath`.";
    MethodNotAllowed = 112, "METHOD_NOT_ALLOWED", 405, Request,
        "The route exists, not with this method (`Allow` lists the methods).";
    UserExists = 113, "USER_EXISTS", 409, Caller,
        "Host API: a user with this email exists (emails compare case-insensitively).";
    UserNotFound = 114, "USER_NOT_FOUND", 404, Caller,
        "Host API: no user with this id.";
    InvalidConfig = 115, "INVALID_CONFIG", 500, Caller,
        "Start-up only: the configuration is invalid; the message names the option.";
    Internal = 116, "INTERNAL", 500, Internal,
        "Not the client's fault (database unavailable: 503 for PostgreSQL outages, with \
        \"database unavailable\"; a bug). Details go to the log hook, never into the answer.";
    RateLimited = 117, "RATE_LIMITED", 429, Request,
        "The client (or, on the `register` routes, the session) sent more requests than `rateLimit` \
        allows; `retryAfter` (the `Retry-After` header) says when to try again.";
    TooManyChallenges = 118, "TOO_MANY_CHALLENGES", 503, Internal,
        "Reserved: challenges are stateless, so nothing answers it today; it would carry \
        `retryAfter`.";
    ReauthRequired = 119, "REAUTH_REQUIRED", 403, Request,
        "The action needs a recent passkey check in this session (`passkey.requireRecentAuth`, \
        or the host's `requireRecentAuth`): do a step-up (`authenticate/options {stepUp: true}`) \
        and try again.";
    NullParameter = 201, "NULL_PARAMETER", 500, Caller,
        "C ABI and Go only: a required pointer argument was NULL (a bug in the caller).";
    InvalidUtf8 = 202, "INVALID_UTF8", 400, Request,
        "C ABI and Go only: a string argument was not valid UTF-8.";
    Panic = 203, "PANIC", 500, Internal,
        "C ABI and Go only: kavach panicked and the panic was caught at the boundary (a bug in \
        kavach).";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_unique_and_numbers_grouped() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut numbers: Vec<_> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        names.sort_unstable();
        names.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!((names.len(), numbers.len()), (ErrorCode::ALL.len(), ErrorCode::ALL.len()));
        assert!(numbers.iter().all(|n| (101..300).contains(n)));
    }
}
