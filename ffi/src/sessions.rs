//! `sessions.*` of the host API (docs/host-api.md): how a host signs a user in after its own sign-up,
//! resolves a request's session, and signs one out.

use std::ffi::c_char;

use serde_json::Value;

use crate::boundary::{instance, json_call, str_arg};
use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Starts a session for a user: `*out_json` is `{token, setCookie, session: {id, userId,
/// expiresAt}}` (the only time the token is shown). `KAVACH_USER_NOT_FOUND` for an unknown id.
/// Ownership of `*out_json` as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_create_session(
    kavach: *const kavach_t,
    user_id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    // SAFETY (every function of this file): the pointers are NULL or valid, as the header documents.
    unsafe { json_call(out_json, || instance(kavach)?.create_session_json(str_arg(user_id, "user_id")?)) }
}

/// Resolves a token, `Bearer <token>` or a whole `Cookie` header value: `*out_json` is
/// `{user: {id, email, name}, session: {id, userId, expiresAt}}`, or `null` when there is no live
/// session (that is `KAVACH_OK`, not an error). Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_get_session(
    kavach: *const kavach_t,
    token_or_cookie: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.session_json(str_arg(token_or_cookie, "token_or_cookie")?)) }
}

/// Revokes a session by its id (not its token): `*out_json` is `true` if it existed, else
/// `false`. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_revoke_session(
    kavach: *const kavach_t,
    session_id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || Ok(Value::Bool(instance(kavach)?.revoke_session(str_arg(session_id, "session_id")?)?)))
    }
}

/// Whether a passkey verified the session's user within `seconds` (a passkey sign-in or a
/// step-up): `*out_json` is `true`; otherwise `KAVACH_REAUTH_REQUIRED` (403), or
/// `KAVACH_UNAUTHORIZED` without a live session. `session` is a token, `Bearer <token>` or a
/// `Cookie` header value. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_require_recent_auth(
    kavach: *const kavach_t,
    session: *const c_char,
    seconds: u64,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.require_recent_auth_json(str_arg(session, "session")?, seconds)) }
}

/// Replaces the FIDO metadata at run time (`kavach.attestation.loadMetadata(blob)` in the other
/// bindings): verifies `blob`, an MDS3 BLOB (the JWS text from https://mds3.fidoalliance.org/),
/// against the FIDO root and makes it the one later registrations check. `*out_json` is
/// `{number, nextUpdate, stale}`. `KAVACH_INVALID_REQUEST`, keeping the BLOB in use, for a BLOB
/// that does not verify, one older (a lower serial number) than the one in use, or one past its
/// `nextUpdate` under `passkey.metadata.stale: "refuse"`. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_load_metadata(
    kavach: *const kavach_t,
    blob: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.load_metadata(str_arg(blob, "blob")?)) }
}
