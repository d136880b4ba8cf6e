//! kavach-ffi: the C ABI of `kavach-core` (`libkavach.so`, `libkavach.a`, `include/kavach.h`).
//!
//! This crate only translates: C strings into `&str`, core results into JSON strings, core
//! errors into a `kavach_result` code plus the error JSON `{"error", "code", "status"}` (and
//! `"retryAfter"` when the core gives one). Routes, validation, cookies and status codes all live
//! in the core. The style is rustls-ffi's: an opaque handle, result codes, out-parameters, one
//! panic boundary ([`boundary`]), no global "last error".
//!
//! # Safety contract of every function
//! Pointer arguments are NULL or valid: strings NUL-terminated and alive for the call, the
//! `kavach_t` from `kavach_new` and not yet freed, out-parameters writable. A NULL where a value
//! is required is `KAVACH_NULL_PARAMETER`, never a crash. Memory handed out by kavach is freed by
//! kavach (`kavach_string_free`, `kavach_bytes_free`, `kavach_free`), never by `free()`.

// Every exported function is `unsafe extern "C"`; its safety contract is the one above (shared,
// and repeated in the header's preamble), so it is not repeated under a `# Safety` heading each.
#![allow(clippy::missing_safety_doc)]

mod boundary;
mod http;
mod instance;
mod operations;
mod passkey;
mod result;
mod sessions;
mod users;
mod verify;

pub use http::kavach_handle;
pub use instance::{
    kavach_base_path, kavach_bytes_free, kavach_free, kavach_max_body_bytes, kavach_new, kavach_string_free, kavach_t,
    kavach_version,
};
pub use operations::{
    kavach_activity, kavach_close, kavach_delete_user, kavach_flush_events, kavach_flush_log, kavach_json_callback,
    kavach_metrics, kavach_revoke_user_credential, kavach_revoke_user_sessions, kavach_set_event_callback,
    kavach_set_log_callback, kavach_update_user, kavach_user_activity, kavach_user_credentials, kavach_user_sessions,
};
pub use passkey::{
    kavach_authenticate_options, kavach_authenticate_options_request, kavach_authenticate_verify,
    kavach_delete_credential, kavach_import_credential, kavach_list_credentials, kavach_register_options,
    kavach_register_verify, kavach_rename_credential, kavach_well_known,
};
pub use result::{kavach_result, kavach_result_name, kavach_result_status};
pub use sessions::{
    kavach_create_session, kavach_get_session, kavach_load_metadata, kavach_require_recent_auth, kavach_revoke_session,
};
pub use users::{kavach_create_user, kavach_find_user_by_email, kavach_get_user, kavach_set_user_has_other_sign_in};
pub use verify::{kavach_verify_authentication_response, kavach_verify_registration_response};
