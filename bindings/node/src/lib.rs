//! kavach-node: the napi-rs binding of `kavach-core` behind the npm package `kavachos`.
//!
//! This crate only translates: JavaScript values into owned Rust values, core results into
//! JavaScript values (mostly JSON strings the JS layer parses), and core errors into
//! `napi::Error`s whose message is the JSON `{"code","status","message"}` (see [`error`]).
//! Routes, validation, cookies and status codes all live in the core.
//!
//! Every operation is an [`napi::bindgen_prelude::AsyncTask`] (one `Task` struct per operation):
//! signature checks and database writes run on the libuv thread pool, never on the event loop,
//! and every `compute` runs inside a panic guard so that a panic rejects with `INTERNAL` instead
//! of aborting Node.

mod attestation;
mod error;
mod http;
mod instance;
mod open;
mod operations;
mod passkey;
mod sessions;
mod task;
mod users;
mod verify;

pub use error::{ErrorCodeInfo, error_codes, max_body_bytes};
pub use http::NativeResponse;
pub use instance::KavachNative;
pub use open::{Open, open};
pub use operations::{Activity, Close, clear_log_hook, set_log_hook};
pub use verify::{
    VerifyAuthentication, VerifyRegistration, verify_authentication_response, verify_registration_response,
};
