//! The opaque handle `kavach_t`: created from a JSON configuration, shared by any number of
//! threads, freed once. Also the two deallocators for what kavach hands out.

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use kavach_core::Kavach;

use crate::boundary::{clear, error_body, instance, into_c_string, json_call, null_parameter, panic_boundary, str_arg};
use crate::result::kavach_result;

/// One configured kavach instance (settings + open database). Opaque: create it with
/// `kavach_new`, free it with `kavach_free`. Thread-safe: one `kavach_t` may be used by many
/// threads at once (every function takes it as `const`); free it only after the last call on it
/// has returned.
#[allow(non_camel_case_types)]
pub struct kavach_t {
    pub(crate) inner: Kavach,
}

/// Parses and validates a JSON configuration (docs/configuration.md; camelCase or snake_case keys, e.g.
/// `{"secret": "...", "base_url": "http://localhost:3000", "database": {"url": "file:kavach.db"},
/// "plugins": [{"id": "passkey", "rp_name": "Demo", "rp_id": "localhost"}]}`) and opens the
/// database, running its migrations.
///
/// On `KAVACH_OK`, `*out` is the new instance (free it with `kavach_free`) and `*error_json` is
/// NULL. On failure, `*out` is NULL and `*error_json` (when `error_json` is not NULL) is the error
/// JSON `{"error", "code", "status"}` (e.g. code `INVALID_CONFIG` saying which setting is wrong),
/// to free with `kavach_string_free`. `config_json` is only read during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_new(
    config_json: *const c_char,
    out: *mut *mut kavach_t,
    error_json: *mut *mut c_char,
) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        // SAFETY (whole block): the pointers are NULL or valid, as the header documents.
        unsafe { clear(error_json) };
        let opened = if out.is_null() {
            Err(null_parameter("out"))
        } else {
            unsafe { *out = ptr::null_mut() };
            unsafe { str_arg(config_json, "config_json") }.and_then(Kavach::from_json)
        };
        match opened {
            Ok(kavach) => {
                unsafe { *out = Box::into_raw(Box::new(kavach_t { inner: kavach })) };
                kavach_result::KAVACH_OK
            }
            Err(err) => {
                if !error_json.is_null() {
                    unsafe { *error_json = into_c_string(error_body(&err)) };
                }
                kavach_result::from_code(err.code())
            }
        }
    })
}

/// Frees an instance: first delivers its pending events to the event callback (as
/// `kavach_close`, waiting at most 5 s), then closes its database. NULL is a no-op. No other
/// thread may be using it, and it must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_free(kavach: *mut kavach_t) {
    panic_boundary((), || {
        if !kavach.is_null() {
            // SAFETY: a pointer from `kavach_new`, freed once, as the header documents.
            let kavach = unsafe { Box::from_raw(kavach) };
            kavach.inner.close();
            drop(kavach);
        }
    });
}

/// Frees a string kavach returned (any `char **` out-parameter). NULL is a no-op. Never pass it
/// to `free()`, and never pass anything else to this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_string_free(string: *mut c_char) {
    panic_boundary((), || {
        if !string.is_null() {
            // SAFETY: a string from `into_c_string`, freed once, as the header documents.
            drop(unsafe { CString::from_raw(string) });
        }
    });
}

/// Frees a byte buffer kavach returned (`kavach_handle`'s body) with the length it came with.
/// NULL is a no-op (an empty body is returned as NULL, length 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_bytes_free(bytes: *mut u8, len: usize) {
    panic_boundary((), || {
        if !bytes.is_null() {
            // SAFETY: a buffer from `into_c_bytes` with its own length, freed once.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(bytes, len)) });
        }
    });
}

/// The validated route prefix, e.g. `/auth`, as a JSON string (`"/auth"`) in `*out_json`: every
/// path at or below it belongs to `kavach_handle`. Free with `kavach_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_base_path(kavach: *const kavach_t, out_json: *mut *mut c_char) -> kavach_result {
    // SAFETY: the pointers are NULL or valid, as the header documents.
    unsafe { json_call(out_json, || Ok(instance(kavach)?.settings().base_path())) }
}

/// The version of libkavach, e.g. "0.1.0": a static NUL-terminated string, never freed. Compare
/// it with the header you compiled against when you load the library at run time.
#[unsafe(no_mangle)]
pub extern "C" fn kavach_version() -> *const c_char {
    VERSION.as_ptr()
}

/// `CARGO_PKG_VERSION` with its NUL terminator.
static VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(version) => version,
    Err(_) => panic!("the package version contains no NUL byte"),
};

/// The largest request body kavach accepts (65536 bytes). Servers read at most one byte more
/// and pass it on: kavach itself then answers 413 `PAYLOAD_TOO_LARGE`.
#[unsafe(no_mangle)]
pub extern "C" fn kavach_max_body_bytes() -> usize {
    kavach_core::http::MAX_BODY_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_crate_version_and_static() {
        // SAFETY: kavach_version returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(kavach_version()) };
        assert_eq!(version.to_str(), Ok(env!("CARGO_PKG_VERSION")));
        assert_eq!(kavach_version(), kavach_version(), "the same static string every time");
    }
}
