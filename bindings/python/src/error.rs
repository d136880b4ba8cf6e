//! Core errors as Python sees them, and the one boundary every native call goes through.
//!
//! [`run`] copies nothing itself: callers hand it a closure over owned inputs. It releases the
//! GIL, runs the closure inside `catch_unwind` (a panic becomes `INTERNAL`: PyO3 would otherwise
//! raise `PanicException`, a `BaseException` that `except Exception` does not catch), and turns a
//! core [`Error`] into the `KavachError` subclass that `kavach_passkeys.errors.from_native` picks for
//! its code, with `.code`, `.status` and `.message` intact.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kavach_core::{Error, ErrorCode};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAny;

use crate::convert::to_python;

/// Runs `work` with the GIL released and inside the panic guard.
pub(crate) fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> kavach_core::Result<T> + Send) -> PyResult<T> {
    py.detach(|| guarded(work)).map_err(|err| to_pyerr(py, &err))
}

/// `work`'s result, with a panic mapped to `INTERNAL`.
pub(crate) fn guarded<T>(work: impl FnOnce() -> kavach_core::Result<T>) -> kavach_core::Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| Err(Error::internal("panic in a kavach-python call")))
}

/// The Python exception for a core error:
/// `kavach_passkeys.errors.from_native(code, status, message, retry_after, signal)`.
pub(crate) fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let exception = FROM_NATIVE.import(py, "kavach_passkeys.errors", "from_native").and_then(|from_native| {
        let signal = err.signal().map(|signal| to_python(py, signal)).transpose()?;
        from_native.call1((err.code().as_str(), err.status(), err.message(), err.retry_after(), signal))
    });
    match exception {
        Ok(exception) => PyErr::from_value(exception),
        // Only if the package itself is broken (the native module imported without it).
        Err(import_error) => {
            PyRuntimeError::new_err(format!("{err} (kavach_passkeys.errors unavailable: {import_error})"))
        }
    }
}

/// [`run`] for the operations that answer JSON: the value reaches Python as objects (`dict`,
/// `list`, ...; see [`crate::convert`]), converted after the GIL is taken back.
pub(crate) fn run_json<'py>(
    py: Python<'py>,
    work: impl FnOnce() -> kavach_core::Result<serde_json::Value> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &run(py, work)?)
}

/// Every stable error code of the core with its default HTTP status and family, in order: what
/// the tests check the generated `_codes.py` against.
#[pyfunction]
pub(crate) fn error_codes() -> Vec<(&'static str, u16, &'static str)> {
    ErrorCode::ALL.iter().map(|code| (code.as_str(), code.status(), code.family().as_str())).collect()
}

/// Panics inside the guard: lets the tests prove a panic surfaces as `KavachError` `INTERNAL`.
#[pyfunction]
#[pyo3(name = "_panic_for_tests")]
pub(crate) fn panic_for_tests(py: Python<'_>) -> PyResult<()> {
    run(py, || -> kavach_core::Result<()> { panic!("deliberate panic for the binding's tests") })
}
