//! Everything every `extern "C"` function shares: the panic boundary, the pointer and string
//! checks, and how results and errors are written to the caller's out-parameters.
//!
//! A panic unwinding out of an `extern "C"` function aborts the host process, so every exported
//! body runs inside [`panic_boundary`]; a panic becomes `KAVACH_PANIC`. Errors are never kept in
//! a global or thread-local "last error": each call writes its own error JSON to its own
//! out-parameter, so threads cannot see each other's errors.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use kavach_core::{Error, ErrorCode, Kavach};
use serde::Serialize;
use serde_json::Value;

use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Why a call failed: always a core error. The C call's own failures (a NULL argument, text that
/// is not UTF-8, a caught panic) have codes in the core's table too (`2xx`), so every failure has
/// the one error JSON, [`Error::to_json`].
pub(crate) type Outcome<T> = Result<T, Error>;

/// `NULL_PARAMETER`: a required pointer argument was NULL.
pub(crate) fn null_parameter(name: &str) -> Error {
    Error::new(ErrorCode::NullParameter, format!("{name} must not be NULL"))
}

/// `INVALID_UTF8`: a string argument was not UTF-8.
pub(crate) fn invalid_utf8(name: &str) -> Error {
    Error::new(ErrorCode::InvalidUtf8, format!("{name} is not valid UTF-8"))
}

/// `PANIC`: the panic was caught at the boundary. Its payload is not shown (it may hold internal
/// text).
pub(crate) fn panicked() -> Error {
    Error::new(ErrorCode::Panic, "internal error (kavach panicked; the panic was caught)")
}

/// The error JSON, `{"error", "code", "status", "retryAfter"?}`.
pub(crate) fn error_body(err: &Error) -> String {
    err.to_json().to_string()
}

/// The panic boundary: runs `body`, or answers `on_panic` if it panics.
pub(crate) fn panic_boundary<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// The shape of almost every function: checks `out_json`, runs `body` inside the panic boundary
/// and writes its JSON (on success) or the error JSON (on failure) to `*out_json`.
///
/// # Safety
/// `out_json` is NULL or valid for a pointer write.
pub(crate) unsafe fn json_call<T: Serialize>(
    out_json: *mut *mut c_char,
    body: impl FnOnce() -> Outcome<T>,
) -> kavach_result {
    panic_boundary(kavach_result::KAVACH_PANIC, || {
        if out_json.is_null() {
            return kavach_result::KAVACH_NULL_PARAMETER;
        }
        let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| Err(panicked()));
        let outcome = outcome.and_then(|value| serde_json::to_string(&value).map_err(Error::internal));
        let (text, result) = match outcome {
            Ok(text) => (text, kavach_result::KAVACH_OK),
            Err(err) => (error_body(&err), kavach_result::from_code(err.code())),
        };
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out_json = into_c_string(text) };
        result
    })
}

/// Hands a string to C. JSON never holds a NUL byte (serde_json escapes it); any other text that
/// did would be cut there rather than fail.
pub(crate) fn into_c_string(text: String) -> *mut c_char {
    let text = match CString::new(text) {
        Ok(text) => text,
        Err(err) => {
            let cut = err.nul_position();
            let mut bytes = err.into_vec();
            bytes.truncate(cut);
            CString::new(bytes).unwrap_or_default()
        }
    };
    text.into_raw()
}

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or a valid NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &'static str) -> Outcome<&'a str> {
    // SAFETY: as promised by the caller.
    unsafe { opt_str_arg(ptr, name) }?.ok_or_else(|| null_parameter(name))
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &'static str) -> Outcome<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map(Some).map_err(|_| invalid_utf8(name))
}

/// The instance behind a handle.
///
/// # Safety
/// `handle` is NULL or a live handle from `kavach_new`.
pub(crate) unsafe fn instance<'a>(handle: *const kavach_t) -> Outcome<&'a Kavach> {
    // SAFETY: as promised by the caller.
    unsafe { handle.as_ref() }.map(|handle| &handle.inner).ok_or_else(|| null_parameter("kavach"))
}

/// A JSON argument parsed into a value; malformed JSON is the core's `INVALID_REQUEST`.
pub(crate) fn parse_json(text: &str, what: &'static str) -> Outcome<Value> {
    serde_json::from_str(text).map_err(|_| Error::invalid_request(format!("{what} is not valid JSON")))
}

/// Writes NULL to an optional out-parameter, so a caller can always free what it holds.
///
/// # Safety
/// `out` is NULL or valid for a write.
pub(crate) unsafe fn clear<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable, as promised by the caller.
        unsafe { *out = ptr::null_mut() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(ptr: *mut c_char) -> Value {
        assert!(!ptr.is_null());
        let text = unsafe { CString::from_raw(ptr) };
        serde_json::from_str(text.to_str().unwrap()).unwrap()
    }

    #[test]
    fn a_panic_inside_a_call_becomes_kavach_panic_with_error_json() {
        let mut out = ptr::null_mut();
        let result = unsafe { json_call::<()>(&mut out, || panic!("boom")) };
        assert_eq!(result, kavach_result::KAVACH_PANIC);
        let error = take(out);
        assert_eq!(error["code"], "PANIC");
        assert_eq!(error["status"], 500);
        assert!(!error["error"].as_str().unwrap().contains("boom"), "no internal text leaks");
    }

    #[test]
    fn the_panic_boundary_returns_the_fallback() {
        assert_eq!(panic_boundary(7, || panic!("boom")), 7);
        assert_eq!(panic_boundary(7, || 8), 8);
    }

    #[test]
    fn a_null_out_pointer_is_null_parameter_and_nothing_runs() {
        let mut ran = false;
        let result = unsafe {
            json_call(ptr::null_mut(), || {
                ran = true;
                Ok(Value::Null)
            })
        };
        assert_eq!(result, kavach_result::KAVACH_NULL_PARAMETER);
        assert!(!ran);
    }

    #[test]
    fn core_errors_keep_their_code_and_status() {
        let mut out = ptr::null_mut();
        let err = Error::new(kavach_core::ErrorCode::CredentialNotFound, "no such passkey");
        let result = unsafe { json_call::<()>(&mut out, || Err(err)) };
        assert_eq!(result, kavach_result::KAVACH_CREDENTIAL_NOT_FOUND);
        assert_eq!(
            take(out),
            serde_json::json!({"error": "no such passkey", "code": "CREDENTIAL_NOT_FOUND", "status": 404})
        );
    }

    #[test]
    fn strings_are_checked_for_null_and_utf8() {
        let null = unsafe { str_arg(ptr::null(), "email") }.unwrap_err();
        assert_eq!((null.code(), null.message()), (ErrorCode::NullParameter, "email must not be NULL"));
        assert!(matches!(unsafe { opt_str_arg(ptr::null(), "email") }, Ok(None)));
        let bad = c"\xff\xfe";
        let bad = unsafe { str_arg(bad.as_ptr(), "email") }.unwrap_err();
        assert_eq!((bad.code(), bad.message()), (ErrorCode::InvalidUtf8, "email is not valid UTF-8"));
        assert_eq!(unsafe { str_arg(c"a@b".as_ptr(), "email") }.unwrap(), "a@b");
    }

    #[test]
    fn text_with_a_nul_byte_is_cut_there() {
        let ptr = into_c_string("ab\0cd".to_owned());
        assert_eq!(unsafe { CString::from_raw(ptr) }.as_bytes(), b"ab");
    }
}
