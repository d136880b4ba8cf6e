//! The six passkey operations of the host API (docs/host-api.md), plus rename. `session` is a token,
//! a `Cookie` header value or `Bearer <token>`; without a live session the result is
//! `KAVACH_UNAUTHORIZED`. Bodies are JSON text (over 64 KiB is `KAVACH_PAYLOAD_TOO_LARGE`,
//! malformed JSON `KAVACH_INVALID_REQUEST`).

use std::ffi::c_char;

use crate::boundary::{instance, json_call, opt_str_arg, str_arg};
use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Creation options for the session's user: `*out_json` is the
/// PublicKeyCredentialCreationOptionsJSON to give to `startRegistration` / `navigator.credentials.create`.
/// `body_json` is `{}`, `{"name"?, "authenticatorAttachment"?}` or NULL (same as `{}`).
///
/// Every function that takes `char **out_json` writes it on return (unless `out_json` itself is
/// NULL, which is `KAVACH_NULL_PARAMETER`): the result JSON on `KAVACH_OK`, otherwise the error
/// JSON `{"error": safe message, "code": CODE, "status": HTTP status}` (plus `"retryAfter"`:
/// seconds, when the core gives one). Either way the caller
/// owns it and frees it with `kavach_string_free`. String arguments are only read during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_register_options(
    kavach: *const kavach_t,
    session: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    // SAFETY (every function of this file): the pointers are NULL or valid, as the header documents.
    unsafe {
        json_call(out_json, || {
            let body = opt_str_arg(body_json, "body_json")?.unwrap_or_default();
            instance(kavach)?.register_options_json(str_arg(session, "session")?, body)
        })
    }
}

/// Verifies a registration response (RegistrationResponseJSON as `startRegistration` returns it,
/// bare or as `{"response", "name"?}`) for the session's user and stores the passkey: `*out_json`
/// is the stored Credential `{id, name, createdAt, lastUsedAt, deviceType, backedUp, transports,
/// aaguid}`. Ownership of `*out_json` as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_register_verify(
    kavach: *const kavach_t,
    session: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let body = str_arg(body_json, "body_json")?;
            instance(kavach)?.register_verify_json(str_arg(session, "session")?, body)
        })
    }
}

/// Request options for sign-in: `*out_json` is the PublicKeyCredentialRequestOptionsJSON for
/// `startAuthentication`. `email` is NULL for a usernameless (discoverable) sign-in; an unknown
/// email answers in the same shape as a known one. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_authenticate_options(
    kavach: *const kavach_t,
    email: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.authenticate_options_json(opt_str_arg(email, "email")?)) }
}

/// Request options for sign-in from a JSON object `{email?, prf?}`: `prf` carries PRF salts for
/// the authenticator (`{eval?: {first, second?}, evalByCredential?: {<id>: {...}}}`, base64url).
/// Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_authenticate_options_request(
    kavach: *const kavach_t,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || instance(kavach)?.authenticate_options_request_json(str_arg(body_json, "body_json")?))
    }
}

/// `credentials.import`: stores a credential registered elsewhere (a FIDO U2F deployment or
/// another WebAuthn server) for an existing user. `body_json` is `{userId, credentialId,
/// publicKey, format: "u2f"|"webauthn", counter?, name?, transports?, userHandle?}`; `*out_json`
/// is the stored Credential. `KAVACH_USER_NOT_FOUND`, `KAVACH_CREDENTIAL_EXISTS`, or
/// `KAVACH_INVALID_REQUEST` for a key kavach cannot verify with. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_import_credential(
    kavach: *const kavach_t,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.import_credential_json(str_arg(body_json, "body_json")?)) }
}

/// A well-known document for hosts that serve it themselves: `document` is `"webauthn"`,
/// `"assetlinks.json"` or `"apple-app-site-association"`; `extra_json` (NULL for none) is the
/// host's own content (a statement array, or an AASA object), kept and merged. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_well_known(
    kavach: *const kavach_t,
    document: *const c_char,
    extra_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let extra = opt_str_arg(extra_json, "extra_json")?.unwrap_or_default();
            instance(kavach)?.well_known_json(str_arg(document, "document")?, extra)
        })
    }
}

/// Verifies an authentication response (AuthenticationResponseJSON, bare or `{"response"}`) and
/// starts a session: `*out_json` is `{userId, sessionId, token, setCookie, expiresAt}` (send
/// `setCookie` as a `Set-Cookie` header, or hand `token` to a non-browser client). Ownership as
/// for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_authenticate_verify(
    kavach: *const kavach_t,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.authenticate_verify_json(str_arg(body_json, "body_json")?)) }
}

/// The session user's passkeys, newest first: `*out_json` is a JSON array of Credential.
/// Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_list_credentials(
    kavach: *const kavach_t,
    session: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.list_credentials_json(str_arg(session, "session")?)) }
}

/// Renames one of the session user's passkeys (`id` is the credential ID, base64url; `name` 1 to
/// 64 characters): `*out_json` is the renamed Credential. `KAVACH_CREDENTIAL_NOT_FOUND` when the
/// user has no such passkey. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_rename_credential(
    kavach: *const kavach_t,
    session: *const c_char,
    id: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let (session, id, name) = (str_arg(session, "session")?, str_arg(id, "id")?, str_arg(name, "name")?);
            instance(kavach)?.rename_credential_json(session, id, name)
        })
    }
}

/// Deletes one of the session user's passkeys: `*out_json` is `{"deleted": true}`.
/// `KAVACH_LAST_CREDENTIAL` when it is the user's last one and they have no other way in.
/// Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_delete_credential(
    kavach: *const kavach_t,
    session: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let (session, id) = (str_arg(session, "session")?, str_arg(id, "id")?);
            instance(kavach)?.delete_credential_json(session, id)
        })
    }
}
