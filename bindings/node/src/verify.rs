//! The stateless verifiers (`kavach_core::verify::json`), for hosts that keep their own storage: no
//! database, no instance.

use kavach_core::verify::json::{self as api, AuthenticationInput};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::error::{guarded, parse_json, to_json};
use crate::task::json_task;

json_task! {
    /// `verifyRegistrationResponse(inputJson)`.
    VerifyRegistration { input_json: String } => |this| {
        to_json(&api::verify_registration(&parse_json(&this.input_json, "options")?)?)
    }
}

json_task! {
    /// `verifyAuthenticationResponse(inputJson)`.
    VerifyAuthentication { input_json: String } => |this| {
        to_json(&api::verify_authentication_input(AuthenticationInput::from_json_text(&this.input_json, "options")?)?)
    }
}

/// `{response, expectedChallenge, expectedOrigin, expectedRPID, requireUserVerification}` as
/// JSON; resolves to the verified facts as JSON.
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_registration_response(input_json: String) -> AsyncTask<VerifyRegistration> {
    AsyncTask::new(VerifyRegistration { input_json })
}

/// The same plus `credential: {publicKey, counter, id?}`; resolves to
/// `{credentialId, counter, flags, userHandle}` as JSON.
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_authentication_response(input_json: String) -> AsyncTask<VerifyAuthentication> {
    AsyncTask::new(VerifyAuthentication { input_json })
}

/// `verifyRegistrationResponseSync`: the same work on the calling thread. Verification is pure
/// CPU (no I/O), 16-250 us by algorithm, so a caller may prefer it to the pool hop (about 12 us
/// of CPU and two thread switches) when it can afford to block its event loop that long.
#[napi]
#[cfg_attr(test, allow(dead_code))] // napi registers it only outside `cargo test`
pub fn verify_registration_response_sync(input_json: String) -> napi::Result<String> {
    guarded(|| to_json(&api::verify_registration(&parse_json(&input_json, "options")?)?))
}

/// `verifyAuthenticationResponseSync`: see [`verify_registration_response_sync`].
#[napi]
#[cfg_attr(test, allow(dead_code))] // napi registers it only outside `cargo test`
pub fn verify_authentication_response_sync(input_json: String) -> napi::Result<String> {
    guarded(|| {
        to_json(&api::verify_authentication_input(AuthenticationInput::from_json_text(&input_json, "options")?)?)
    })
}
