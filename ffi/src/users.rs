//! `users.*` of the host API (docs/host-api.md): how a host creates and finds the accounts passkeys
//! belong to. A User is `{id, email, name}` (`name` may be null).

use std::ffi::c_char;

use serde_json::Value;

use crate::boundary::{instance, json_call, opt_str_arg, str_arg};
use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Creates a user: `*out_json` is the new User. `name` may be NULL. `KAVACH_USER_EXISTS` when
/// the email is taken (emails compare case-insensitively), `KAVACH_INVALID_REQUEST` when it is not
/// an email address. Ownership of `*out_json` as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_create_user(
    kavach: *const kavach_t,
    email: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    // SAFETY (every function of this file): the pointers are NULL or valid, as the header documents.
    unsafe {
        json_call(out_json, || {
            let (email, name) = (str_arg(email, "email")?, opt_str_arg(name, "name")?);
            instance(kavach)?.create_user_json(email, name)
        })
    }
}

/// A user by id: `*out_json` is the User, or `null` when there is none. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_get_user(
    kavach: *const kavach_t,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.user_json(str_arg(id, "id")?)) }
}

/// A user by email (case-insensitive): `*out_json` is the User, or `null`. Ownership as for
/// `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_find_user_by_email(
    kavach: *const kavach_t,
    email: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe { json_call(out_json, || instance(kavach)?.user_by_email_json(str_arg(email, "email")?)) }
}

/// Tells kavach whether the user can sign in some other way (a password, an email link): if so
/// they may delete their last passkey. `*out_json` is `true`. `KAVACH_USER_NOT_FOUND` for an
/// unknown id. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_set_user_has_other_sign_in(
    kavach: *const kavach_t,
    user_id: *const c_char,
    value: bool,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            instance(kavach)?.set_user_has_other_sign_in(str_arg(user_id, "user_id")?, value)?;
            Ok(Value::Bool(true))
        })
    }
}
