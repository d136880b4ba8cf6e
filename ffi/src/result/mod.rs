//! `kavach_result`: the code every fallible function returns, and its name and HTTP status.
//!
//! The values are the core's table (`kavach_core::ErrorCode::number`), generated into
//! `values.rs` by `core/tests/generated_lists.rs`: `0` is success, `1xx` the core's stable error
//! codes, `2xx` failures of the C call itself. A value never moves; a retired one stays reserved.

use kavach_core::ErrorCode;

mod values;

pub use self::values::kavach_result;
pub(crate) use self::values::{ALL_RESULTS, NAMES_C};

impl kavach_result {
    /// The result for a core error code: its number in the core's table.
    pub(crate) fn from_code(code: ErrorCode) -> Self {
        Self::from_u32(code.number()).unwrap_or(kavach_result::KAVACH_INTERNAL)
    }

    /// The value for a number, if it is one.
    pub(crate) fn from_u32(value: u32) -> Option<Self> {
        ALL_RESULTS.iter().copied().find(|result| *result as u32 == value)
    }

    /// The core code this result stands for (`None` for `OK`).
    pub(crate) fn code(self) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|code| code.number() == self as u32)
    }

    /// The HTTP status a server answers with: the code's default status, 200 for `OK`.
    pub(crate) fn status(self) -> u16 {
        self.code().map_or(200, ErrorCode::status)
    }
}

/// The name of a result: `"OK"`, the core's stable code (`"CHALLENGE_INVALID"`, ...),
/// `"NULL_PARAMETER"`, `"INVALID_UTF8"`, `"PANIC"`, or `"UNKNOWN"` for a value that is none of
/// them. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn kavach_result_name(result: u32) -> *const std::ffi::c_char {
    crate::boundary::panic_boundary(c"UNKNOWN".as_ptr(), || match kavach_result::from_u32(result) {
        // Every name is a static, NUL-terminated literal.
        Some(known) => NAMES_C[ALL_RESULTS.iter().position(|r| *r == known).unwrap_or(0)].as_ptr(),
        None => c"UNKNOWN".as_ptr(),
    })
}

/// The HTTP status a server answers a result with (200 for `KAVACH_OK`; 500 for an unknown
/// value). The error JSON's `status` is the one to use for a failed call: it can differ (a
/// failed sign-in verification is 401, a failed registration 400).
#[unsafe(no_mangle)]
pub extern "C" fn kavach_result_status(result: u32) -> u16 {
    crate::boundary::panic_boundary(500, || kavach_result::from_u32(result).map_or(500, kavach_result::status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_result_with_the_same_number_name_and_status() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let result = kavach_result::from_code(code);
            assert!(seen.insert(result), "{code} shares a result");
            assert_eq!(result as u32, code.number());
            assert_eq!(result.status(), code.status());
            assert_eq!(result.code(), Some(code));
        }
        assert_eq!(seen.len() + 1, ALL_RESULTS.len(), "OK + one per code");
        assert_eq!(kavach_result::from_code(ErrorCode::RateLimited) as u32, 117);
        assert_eq!(kavach_result::KAVACH_PANIC as u32, 203);
    }

    #[test]
    fn c_names_agree_with_names() {
        for (result, name) in ALL_RESULTS.iter().zip(NAMES_C) {
            assert_eq!(result.code().map_or("OK", ErrorCode::as_str), name.to_str().unwrap());
            let from_c = unsafe { std::ffi::CStr::from_ptr(kavach_result_name(*result as u32)) };
            assert_eq!(from_c, name);
            assert_eq!(kavach_result_status(*result as u32), result.status());
        }
        let unknown = unsafe { std::ffi::CStr::from_ptr(kavach_result_name(7777)) };
        assert_eq!(unknown, c"UNKNOWN");
        assert_eq!(kavach_result_status(7777), 500);
    }
}
