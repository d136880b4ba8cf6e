//! kavach-python: the PyO3 binding of `kavach-core` behind the Python package `kavach_passkeys`
//! (this crate is its private native module, `kavach_passkeys._native`).
//!
//! This crate only translates: Python arguments into owned Rust values, core results (JSON values)
//! into Python objects (see [`convert`]: no JSON text crosses the boundary where objects are
//! cheaper), and core errors into the `KavachError` classes of
//! `kavach_passkeys.errors` (see [`error`]). Routes, validation, cookies and status codes all live in the
//! core.
//!
//! Every operation copies its inputs, then runs with the GIL released ([`Python::detach`]) and
//! inside a panic guard, so that other Python threads keep running during signature checks and
//! database writes, and a panic surfaces as `KavachError` `INTERNAL`, never as
//! `pyo3_runtime.PanicException`. The ASGI adapters' requests run on native worker threads instead
//! (see [`offload`]), which never take the GIL.

use pyo3::prelude::*;

mod attestation;
mod convert;
mod de;
mod error;
mod http;
mod instance;
mod offload;
mod open;
mod operations;
mod passkey;
mod sessions;
mod users;
mod verify;

pub use instance::KavachNative;

/// The native module `kavach_passkeys._native`. Its surface is described in `_native.pyi`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<KavachNative>()?;
    m.add_class::<offload::Completions>()?;
    m.add_function(wrap_pyfunction!(open::open, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_registration_response, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_authentication_response, m)?)?;
    m.add_function(wrap_pyfunction!(operations::set_log_hook, m)?)?;
    m.add_function(wrap_pyfunction!(operations::clear_log_hook, m)?)?;
    m.add_function(wrap_pyfunction!(operations::flush_log, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error::panic_for_tests, m)?)?;
    m.add("MAX_BODY_BYTES", kavach_core::http::MAX_BODY_BYTES)?;
    m.add("COOKIE_NAME", kavach_core::COOKIE_NAME)?;
    // The version of the Rust crates (the workspace's one version), which is also the wheel's.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
