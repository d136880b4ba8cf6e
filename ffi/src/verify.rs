//! The stateless verifiers (`kavach_core::verify::json`), for hosts that keep their own storage: no
//! instance, no database. Inputs use the documented JavaScript option names (snake_case also
//! accepted) with base64url bytes.

use std::ffi::c_char;

use kavach_core::verify::json::{self as api, AuthenticationInput};

use crate::boundary::{json_call, parse_json, str_arg};
use crate::result::kavach_result;

/// Verifies a registration response against explicit expectations. `input_json` is
/// `{"response": RegistrationResponseJSON, "expectedChallenge", "expectedOrigin" (string or
/// array), "expectedRPID", "requireUserVerification"?}`. `*out_json` is `{credentialId,
/// publicKey, algorithm, counter, flags, aaguid, attestationFormat, attestationTrust, transports,
/// discoverable, deviceType}`: store `credentialId`, `publicKey` and `counter`. Ownership of
/// `*out_json` as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_verify_registration_response(
    input_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    // SAFETY (both functions): the pointers are NULL or valid, as the header documents.
    unsafe {
        json_call(out_json, || api::verify_registration(&parse_json(str_arg(input_json, "input_json")?, "input_json")?))
    }
}

/// Verifies an authentication response. `input_json` is as for
/// `kavach_verify_registration_response` plus `"credential": {"publicKey", "counter", "id"?}` (the
/// stored COSE key in base64url). `*out_json` is `{credentialId, counter, flags, userHandle}`:
/// store the new `counter`. Ownership as for `kavach_register_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kavach_verify_authentication_response(
    input_json: *const c_char,
    out_json: *mut *mut c_char,
) -> kavach_result {
    unsafe {
        json_call(out_json, || {
            let input = AuthenticationInput::from_json_text(str_arg(input_json, "input_json")?, "input_json")?;
            api::verify_authentication_input(input)
        })
    }
}
