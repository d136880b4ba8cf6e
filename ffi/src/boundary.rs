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

use kavach_core::{Error, Kavach};
use serde::Serialize;
use serde_json::{Value, json};

use crate::instance::kavach_t;
use crate::result::kavach_result;

/// Why a call failed: a core error (with its code, status and safe message) or a failure of the
/// C call itself.
#[derive(Debug)]
pub(crate) enum Failure {
    Core(Error),
    NullParameter(&'static str),
    InvalidUtf8(&'static str),
    Panic,
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Core(err)
    }
}

pub(crate) type Outcome<T> = Result<T, Failure>;

impl Failure {
    pub(crate) fn result(&self) -> kavach_result {
        match self {
            Self::Core(err) => kavach_result::from_code(err.code()),
            Self::NullParameter(_) => kavach_result::KAVACH_NULL_PARAMETER,
            Self::InvalidUtf8(_) => kavach_result::KAVACH_INVALID_UTF8,
            Self::Panic => kavach_result::KAVACH_PANIC,
        }
    }

    /// The HTTP status (a core error's own status, which can differ from its code's default).
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Core(err) => err.status(),
            other => other.result().status(),
        }
    }

    /// The error JSON: `{"error": message, "code": CODE, "status": status}`, the core's error
    /// body plus the status, and `"retryAfter": seconds` when the core gave one
    /// (`RATE_LIMITED`: what the router sends as `retry-after`).
    pub(crate) fn to_json(&self) -> String {
        let (code, message) = match self {
            Self::Core(err) => (err.code().as_str(), err.message().to_owned()),
            Self::NullParameter(name) => (self.result().name(), format!("{name} must not be NULL")),
            Self::InvalidUtf8(name) => (self.result().name(), format!("{name} is not valid UTF-8")),
            Self::Panic => (self.result().name(), "internal error (kavach panicked; the panic was caught)".to_owned()),
        };
        let mut body = json!({ "error": message, "code": code, "status": self.status() });
        if let Self::Core(err) = self
            && let Some(seconds) = err.retry_after()
        {
            body["retryAfter"] = seconds.into();
        }
        body.to_string()
    }
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
        let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Failure::Panic));
        let outcome =
            outcome.and_then(|value| serde_json::to_string(&value).map_err(|err| Error::internal(err).into()));
        let (text, result) = match outcome {
            Ok(text) => (text, kavach_result::KAVACH_OK),
            Err(failure) => (failure.to_json(), failure.result()),
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
    unsafe { opt_str_arg(ptr, name) }?.ok_or(Failure::NullParameter(name))
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
    text.to_str().map(Some).map_err(|_| Failure::InvalidUtf8(name))
}

/// The instance behind a handle.
///
/// # Safety
/// `handle` is NULL or a live handle from `kavach_new`.
pub(crate) unsafe fn instance<'a>(handle: *const kavach_t) -> Outcome<&'a Kavach> {
    // SAFETY: as promised by the caller.
    unsafe { handle.as_ref() }.map(|handle| &handle.inner).ok_or(Failure::NullParameter("kavach"))
}

/// A JSON argument parsed into a value; malformed JSON is the core's `INVALID_REQUEST`.
pub(crate) fn parse_json(text: &str, what: &'static str) -> Outcome<Value> {
    serde_json::from_str(text).map_err(|_| Failure::Core(Error::invalid_request(format!("{what} is not valid JSON"))))
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
        let result = unsafe { json_call::<()>(&mut out, || Err(err.into())) };
        assert_eq!(result, kavach_result::KAVACH_CREDENTIAL_NOT_FOUND);
        assert_eq!(take(out), json!({"error": "no such passkey", "code": "CREDENTIAL_NOT_FOUND", "status": 404}));
    }

    #[test]
    fn strings_are_checked_for_null_and_utf8() {
        assert!(matches!(unsafe { str_arg(ptr::null(), "email") }, Err(Failure::NullParameter("email"))));
        assert!(matches!(unsafe { opt_str_arg(ptr::null(), "email") }, Ok(None)));
        let bad = c"\xff\xfe";
        assert!(matches!(unsafe { str_arg(bad.as_ptr(), "email") }, Err(Failure::InvalidUtf8("email"))));
        assert_eq!(unsafe { str_arg(c"a@b".as_ptr(), "email") }.unwrap(), "a@b");
    }

    #[test]
    fn text_with_a_nul_byte_is_cut_there() {
        let ptr = into_c_string("ab\0cd".to_owned());
        assert_eq!(unsafe { CString::from_raw(ptr) }.as_bytes(), b"ab");
    }
}
