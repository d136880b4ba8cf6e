//! Operating kavach (DESIGN §10): the event callback, the log callback, metrics, the signed-in
//! user's activity, and the host's user management (`users.update`, `users.delete`, a user's
//! passkeys and sessions by user id, for admin tools).

use std::ffi::{CString, c_char, c_void};
use std::time::Duration;

use kavach_core::Event;

use crate::boundary::{instance, into_c_string, json_call, opt_str_arg, panic_boundary, str_arg};
use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Receives one event or one log line: `user_data` as given when the callback was set, `json`
/// a NUL-terminated JSON object of `len` bytes (without the NUL). `json` is valid only during the
/// call: copy what you keep. The callback runs on a thread of kavach's own, never on the thread
/// of a request.
#[allow(non_camel_case_types)]
pub type kavach_json_callback = Option<unsafe extern "C" fn(user_data: *mut c_void, json: *const c_char, len: usize)>;

/// A C callback and its user data, called from kavach's delivery thread. The host promised (in
/// the header) that both may be used from another thread.
#[derive(Clone, Copy)]
struct Callback {
    function: unsafe extern "C" fn(*mut c_void, *const c_char, usize),
    user_data: *mut c_void,
}

// SAFETY: the header documents that the callback runs on another thread and that `user_data`
// must be usable there; kavach only passes the pointer back.
unsafe impl Send for Callback {}
// SAFETY: as above; the callback is only ever called from one delivery thread at a time.
unsafe impl Sync for Callback {}

impl Callback {
    fn call(&self, json: &str) {
        let Ok(text) = CString::new(json) else { return };
        // SAFETY: the host's function with the host's user data; `text` outlives the call.
        unsafe { (self.function)(self.user_data, text.as_ptr(), json.len()) };
    }
}

/// Calls `callback(user_data, event_json, len)` for every security event of this instance
/// (`{"type", "at", "userId"?, "credentialId"?, "sessionId"?, "client"?, "code"?, "count"?}`,
/// types in docs/host-api.md), after the change it records has committed.
///
/// Threads: the callback runs on a thread of kavach's own, one event at a time and in order,
/// never on the thread that made the request; `user_data` must be usable from that thread.
/// `event_json` is valid only during the call. Events reach it through a bounded queue (4096):
/// when the callback is slower than the events, later ones are dropped and counted in
/// `kavach_events_dropped_total` (`kavach_metrics`), so a slow callback never slows a ceremony;
/// a callback that never returns stops delivery (and `kavach_close` then waits 5 s). Do not call
/// `kavach_close` or `kavach_free` on this instance from the callback.
///
/// One callback per instance: a second call answers `KAVACH_INVALID_CONFIG`; NULL `callback` is
/// `KAVACH_NULL_PARAMETER`. Pending events are delivered by `kavach_close` and `kavach_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_set_event_callback(
    kavach: *const kavach_t,
    callback: kavach_json_callback,
    user_data: *mut c_void,
) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        // SAFETY: the pointer is NULL or a live handle, as the header documents.
        let kavach = match unsafe { instance(kavach) } {
            Ok(kavach) => kavach,
            Err(err) => return kavach_result::from_code(err.code()),
        };
        let Some(function) = callback else { return kavach_result::KAVACH_NULL_PARAMETER };
        let callback = Callback { function, user_data };
        match kavach.set_event_handler(move |event: &Event| callback.call(&event.to_json().to_string())) {
            Ok(()) => kavach_result::KAVACH_OK,
            Err(err) => kavach_result::from_code(err.code()),
        }
    })
}

/// Sends kavach's log lines (one JSON object each, e.g. `{"at", "level", "kind": "refusal",
/// "route", "method", "status", "code", "client"?, "message"}`, no newline) to
/// `callback(user_data, line, len)` instead of stderr; NULL `callback` sends them to stderr
/// again. Process-wide (log lines also come from outside any instance): a later call replaces
/// the callback, after delivering what the earlier one had pending.
///
/// Threads: as for `kavach_set_event_callback`: the callback runs on a thread of kavach's own,
/// one line at a time, `line` is valid only during the call, and a full queue drops lines
/// (counted in `kavach_log_lines_dropped_total`). `KAVACH_INTERNAL` if the thread cannot start.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_set_log_callback(
    callback: kavach_json_callback,
    user_data: *mut c_void,
) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        let Some(function) = callback else {
            kavach_core::clear_log_hook();
            return kavach_result::KAVACH_OK;
        };
        let callback = Callback { function, user_data };
        match kavach_core::set_log_hook(move |line: &str| callback.call(line)) {
            Ok(()) => kavach_result::KAVACH_OK,
            Err(_) => kavach_result::KAVACH_INTERNAL,
        }
    })
}

/// Delivers the pending events to the event callback (waiting at most 5 s) and the pending log
/// lines to the log callback, then stops the event thread: call it at shutdown, before
/// `kavach_free` (which does the same when it was not called). Returns whether everything
/// pending was delivered in time. The instance still answers afterwards, but its events reach
/// no callback. NULL is a no-op (`true`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_close(kavach: *const kavach_t) -> bool {
    // SAFETY: the pointer is NULL or a live handle, as the header documents.
    panic_boundary(false, || unsafe { instance(kavach) }.map_or(true, |kavach| kavach.close()))
}

/// Waits at most `timeout_ms` until the event callback has received every event published so
/// far (tests use it). Returns whether it did. NULL is a no-op (`true`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_flush_events(kavach: *const kavach_t, timeout_ms: u64) -> bool {
    panic_boundary(false, || {
        // SAFETY: the pointer is NULL or a live handle, as the header documents.
        unsafe { instance(kavach) }.map_or(true, |kavach| kavach.flush_events(Duration::from_millis(timeout_ms)))
    })
}

/// Waits at most `timeout_ms` until the log callback has received every line logged so far.
/// Returns whether it did.
#[unsafe(no_mangle)]
pub extern "C" fn kavach_flush_log(timeout_ms: u64) -> bool {
    panic_boundary(false, || kavach_core::flush_log(Duration::from_millis(timeout_ms)))
}

/// The metrics of this instance in the Prometheus text format 0.0.4 (serve it with
/// `Content-Type: text/plain; version=0.0.4`): `*out_text` is the text on `KAVACH_OK` (the error
/// JSON otherwise), to free with `kavach_string_free`. Counters by event type and code, requests
/// and errors by route template (never a raw id), latency histograms, pool, rate-limit and queue
/// gauges. Serve it to your scraper only (docs/host-api.md says how).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_metrics(kavach: *const kavach_t, out_text: *mut *mut c_char) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        if out_text.is_null() {
            return kavach_result::KAVACH_NULL_PARAMETER;
        }
        // SAFETY: the pointers are NULL or valid, as the header documents.
        let (text, result) = match unsafe { instance(kavach) } {
            Ok(kavach) => (kavach.metrics(), kavach_result::KAVACH_OK),
            Err(err) => (crate::boundary::error_body(&err), kavach_result::from_code(err.code())),
        };
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { *out_text = into_c_string(text) };
        result
    })
}

/// `0` is "the default" (50).
fn limit(limit: u32) -> Option<u32> {
    (limit != 0).then_some(limit)
}

/// The signed-in user's own security activity, newest first: `*out_json` is `{"events": [event,
/// ...], "nextCursor": string|null}`. `session` is a token, `Bearer <token>` or a `Cookie`
/// header value; `before` NULL for the first page, else the `nextCursor` of the page before;
/// `limit` 0 for the default (50), at most 200. `KAVACH_UNAUTHORIZED` without a live session,
/// `KAVACH_INVALID_REQUEST` for a malformed cursor or a limit over 200. Ownership of `*out_json`
/// as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_activity(
    kavach: *const kavach_t,
    session: *const c_char,
    before: *const c_char,
    limit_or_0: u32,
    out_json: *mut *mut c_char,
) -> kavach_result {
    // SAFETY (every function below): the pointers are NULL or valid, as the header documents.
    unsafe {
        json_call(out_json, || {
            let (session, before) = (str_arg(session, "session")?, opt_str_arg(before, "before")?);
            instance(kavach)?.activity_json(session, before, limit(limit_or_0))
        })
    }
}

/// `users.update`: changes a user's email and/or name. `body_json` is an object `{"email"?:
/// string, "name"?: string|null}` (`"name": null` clears the name; a key left out is kept).
/// `*out_json` is the updated User. `KAVACH_USER_NOT_FOUND` for an unknown id,
/// `KAVACH_USER_EXISTS` when the email is taken, `KAVACH_INVALID_REQUEST` for any other key or a
/// bad email. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_update_user(
    kavach: *const kavach_t,
    id: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let (id, body) = (str_arg(id, "id")?, str_arg(body_json, "body_json")?);
            instance(kavach)?.update_user_json(id, body)
        })
    }
}

/// `users.delete`: deletes a user with their passkeys, sessions and audit rows. `*out_json` is
/// `{"deleted": true}`; `KAVACH_USER_NOT_FOUND` for an unknown id. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_delete_user(
    kavach: *const kavach_t,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.delete_user_json(str_arg(id, "id")?)) }
}

/// `users.listCredentials` (admin tools): `*out_json` is the user's passkeys, newest first (the
/// shape of `kavach_list_credentials`). `KAVACH_USER_NOT_FOUND` for an unknown id. Ownership as
/// for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_user_credentials(
    kavach: *const kavach_t,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.user_credentials_json(str_arg(id, "id")?)) }
}

/// `users.revokeCredential` (admin tools): deletes one of the user's passkeys, even the last.
/// `*out_json` is `{"revoked": true}`; `KAVACH_CREDENTIAL_NOT_FOUND` when the user has no such
/// passkey. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_revoke_user_credential(
    kavach: *const kavach_t,
    id: *const c_char,
    credential_id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let (id, credential_id) = (str_arg(id, "id")?, str_arg(credential_id, "credential_id")?);
            instance(kavach)?.revoke_user_credential_json(id, credential_id)
        })
    }
}

/// `users.listSessions` (admin tools): `*out_json` is the user's live sessions, newest first
/// (`[{"id", "createdAt", "lastSeenAt", "expiresAt", ...}]`). Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_user_sessions(
    kavach: *const kavach_t,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.user_sessions_json(str_arg(id, "id")?)) }
}

/// `users.revokeSessions` (admin tools): signs the user out everywhere. `*out_json` is
/// `{"revoked": <count>}`. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_revoke_user_sessions(
    kavach: *const kavach_t,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.revoke_user_sessions_json(str_arg(id, "id")?)) }
}

/// `users.activity` (admin tools): a user's security activity by user id, as `kavach_activity`
/// (`before` NULL for the first page, `limit_or_0` 0 for 50). Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_user_activity(
    kavach: *const kavach_t,
    id: *const c_char,
    before: *const c_char,
    limit_or_0: u32,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let (id, before) = (str_arg(id, "id")?, opt_str_arg(before, "before")?);
            instance(kavach)?.user_activity_json(id, before, limit(limit_or_0))
        })
    }
}
