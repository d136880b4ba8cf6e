//! Stateless verification: the registration (§7.1) and authentication (§7.2) ceremony checks with
//! every expectation passed in explicitly. The passkey ceremonies use these with their own state;
//! hosts that keep their own storage call them directly, typed (here) or in JSON form ([`json`],
//! what the bindings pass through).

pub mod json;
mod policy;

pub use self::policy::AttestationPolicy;

use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
pub use crate::rp::{Origin, ParseError, RpId};
use crate::webauthn::attestation::AttestationObject;
pub use crate::webauthn::attestation::metadata::{Metadata, MetadataEntry};
pub use crate::webauthn::attestation::roots::{AnchorSource, TrustAnchor, TrustRoots};
pub use crate::webauthn::attestation::{
    AttestationOptions, AttestationResult, AttestationTrust, AttestedAaguid, ReachedAnchor,
};
pub use crate::webauthn::authenticator_data::Flags;
pub use crate::webauthn::client_data::Challenge;
use crate::webauthn::client_data::{CeremonyType, ClientData, ClientDataExpectations};
pub use crate::webauthn::cose::CoseAlgorithm;
use crate::webauthn::response::{AuthenticationResponse, AuthenticationResponseJson, RegistrationResponse};
use crate::webauthn::{AuthenticatorData, Check, CredentialPublicKey, sha256};

/// What the relying party expects of a registration response.
#[derive(Debug, Clone)]
pub struct RegistrationExpectations<'a> {
    /// The challenge issued, base64url exactly as it appears in `clientDataJSON`.
    pub challenge: &'a Challenge,
    /// Allowed origins (`https://example.com`, `http://localhost:3000`).
    pub origins: &'a [Origin],
    /// The RP ID.
    pub rp_id: &'a RpId,
    /// Fail unless the UV flag is set (`userVerification: 'required'`).
    pub require_user_verification: bool,
    /// Fail unless the UP flag is set. Always true except for a conditional create (automatic
    /// passkey upgrade, `mediation: 'conditional'`), whose authenticator may skip the gesture.
    pub require_user_presence: bool,
    /// The algorithms offered in `pubKeyCredParams`; a credential with another one is refused.
    pub algorithms: &'a [CoseAlgorithm],
    /// The top-level origins whose pages may run the ceremony in a cross-origin iframe
    /// (`clientDataJSON.topOrigin` must be one of them); empty: cross-origin use is refused.
    pub top_origins: &'a [Origin],
}

/// What the relying party expects of an authentication response.
#[derive(Debug, Clone)]
pub struct AuthenticationExpectations<'a> {
    /// The challenge issued, base64url exactly as it appears in `clientDataJSON`.
    pub challenge: &'a Challenge,
    /// Allowed origins.
    pub origins: &'a [Origin],
    /// The RP ID.
    pub rp_id: &'a RpId,
    /// Fail unless the UV flag is set.
    pub require_user_verification: bool,
    /// The stored COSE public key of the credential.
    pub credential_public_key: &'a [u8],
    /// The stored signature counter.
    pub counter: u32,
    /// The top-level origins whose pages may run the ceremony in a cross-origin iframe
    /// (`clientDataJSON.topOrigin` must be one of them); empty: cross-origin use is refused.
    pub top_origins: &'a [Origin],
    /// The FIDO U2F AppID the request offered (`extensions.appid`), for a credential registered
    /// with U2F: when the client reports `clientExtensionResults.appid: true`, `rpIdHash` is
    /// checked against this AppID instead of the RP ID. `None`: a client claiming it is refused.
    pub app_id: Option<&'a str>,
    /// What a counter that did not increase means: `Strict` refuses (`COUNTER_REGRESSION`);
    /// `Flag` accepts and reports it in [`VerifiedAuthentication::counter_regressed`].
    pub counter_policy: crate::config::CounterPolicy,
}

/// The facts established by a verified registration.
#[derive(Debug, Clone)]
pub struct VerifiedRegistration {
    /// The credential ID.
    pub credential_id: Vec<u8>,
    /// The COSE public key, as the authenticator encoded it (store this).
    pub public_key: Vec<u8>,
    /// The key's algorithm.
    pub algorithm: CoseAlgorithm,
    /// Signature counter at registration.
    pub counter: u32,
    /// Authenticator data flags.
    pub flags: Flags,
    /// The authenticator model as authenticator data claims it (all zero if undisclosed). Whether
    /// the attestation proves it: [`AttestationResult::attested_aaguid`].
    pub aaguid: [u8; 16],
    /// What the attestation established: format, trust, the anchor reached, the model proven.
    pub attestation: AttestationResult,
    /// Transport hints reported by the client.
    pub transports: Vec<String>,
    /// `credProps.rk` if the client reported it: whether the credential is discoverable.
    pub discoverable: Option<bool>,
    /// `prf.enabled` as the client reported it: the credential can evaluate PRF.
    pub prf_enabled: bool,
}

/// The facts established by a verified assertion.
#[derive(Debug, Clone)]
pub struct VerifiedAuthentication {
    /// The credential ID.
    pub credential_id: Vec<u8>,
    /// The new signature counter (store it).
    pub counter: u32,
    /// Authenticator data flags (BS may have changed).
    pub flags: Flags,
    /// `userHandle` returned by the authenticator, if any.
    pub user_handle: Option<Vec<u8>>,
    /// `clientDataJSON.origin`: one of the expected origins (a web page's, or an app's).
    pub origin: String,
    /// The counter did not increase and `counter_policy` is `Flag`: the authenticator may have
    /// been cloned.
    pub counter_regressed: bool,
}

/// Verifies a `RegistrationResponseJSON` (WebAuthn §7.1) with the default attestation options
/// (system clock, bundled roots) and the default policy (any attestation accepted and recorded).
pub fn verify_registration_response(
    response: &serde_json::Value,
    expected: &RegistrationExpectations<'_>,
) -> Result<VerifiedRegistration> {
    verify_registration_response_with(response, expected, &AttestationOptions::default(), &AttestationPolicy::default())
}

/// Verifies a `RegistrationResponseJSON` (WebAuthn §7.1): the clock and trust anchors for the
/// attestation in `attestation`, and what attestation is acceptable in `policy` (a refusal is
/// `VERIFICATION_FAILED` with check `attestation_policy`).
pub fn verify_registration_response_with(
    response: &serde_json::Value,
    expected: &RegistrationExpectations<'_>,
    attestation: &AttestationOptions,
    policy: &AttestationPolicy,
) -> Result<VerifiedRegistration> {
    let verified = verify_registration(response, expected, attestation)?;
    policy.check(&verified, attestation.metadata.as_deref())?;
    Ok(verified)
}

fn verify_registration(
    response: &serde_json::Value,
    expected: &RegistrationExpectations<'_>,
    attestation_options: &AttestationOptions,
) -> Result<VerifiedRegistration> {
    let response = RegistrationResponse::from_json(response)?;
    let client_data = ClientData::parse(&response.client_data_json)?;
    client_data.check(&ClientDataExpectations {
        ceremony: CeremonyType::Create,
        challenge: expected.challenge,
        origins: expected.origins,
        top_origins: expected.top_origins,
    })?;

    let attestation = AttestationObject::parse(&response.attestation_object)?;
    let auth_data = &attestation.auth_data;
    check_rp_hash(auth_data, expected.rp_id.as_str())?;
    check_user(auth_data, expected.require_user_presence, expected.require_user_verification)?;
    let credential = auth_data
        .attested_credential_data
        .as_ref()
        .ok_or_else(|| Error::verification(Check::AuthenticatorData, "no attested credential data"))?;
    if credential.credential_id != response.credential_id {
        return Err(Error::verification(Check::CredentialId, "rawId does not match the attested credential ID"));
    }
    let algorithm = credential.public_key.algorithm();
    if !expected.algorithms.contains(&algorithm) {
        return Err(Error::verification(
            Check::Algorithm,
            format!("credential algorithm {algorithm} was not offered (pubKeyCredParams)"),
        ));
    }
    let outcome = attestation.verify_with(&client_data.hash, attestation_options)?;

    Ok(VerifiedRegistration {
        credential_id: credential.credential_id.clone(),
        public_key: credential.public_key_cose.clone(),
        algorithm,
        counter: auth_data.sign_count,
        flags: auth_data.flags,
        aaguid: credential.aaguid,
        attestation: outcome,
        transports: response.transports,
        discoverable: response.cred_props_rk,
        prf_enabled: response.prf_enabled,
    })
}

/// Verifies an `AuthenticationResponseJSON` (WebAuthn §7.2) against a stored credential.
///
/// Finding the credential and checking that it belongs to the right user (steps 5-6) need
/// storage: the passkey ceremonies do them; a host calling this directly must do them too.
pub fn verify_authentication_response(
    response: &serde_json::Value,
    expected: &AuthenticationExpectations<'_>,
) -> Result<VerifiedAuthentication> {
    let response = AuthenticationResponse::from_json(response).map_err(as_authentication_failure)?;
    verify_with_cached_key(&response, expected)
}

/// [`verify_authentication_response`] for a response a binding deserialized itself.
pub fn verify_authentication_response_json(
    response: AuthenticationResponseJson,
    expected: &AuthenticationExpectations<'_>,
) -> Result<VerifiedAuthentication> {
    let response = AuthenticationResponse::decode(response).map_err(as_authentication_failure)?;
    verify_with_cached_key(&response, expected)
}

fn verify_with_cached_key(
    response: &AuthenticationResponse,
    expected: &AuthenticationExpectations<'_>,
) -> Result<VerifiedAuthentication> {
    let public_key = crate::key_cache::public_key(expected.credential_public_key).map_err(as_authentication_failure)?;
    verify_assertion(response, &public_key, expected)
}

/// A failed sign-in is an authentication failure (401), not a malformed request: the same status
/// whether the stateless API or the ceremony reports it.
pub(crate) fn as_authentication_failure(err: Error) -> Error {
    if err.code() == ErrorCode::VerificationFailed { err.with_status(401) } else { err }
}

/// The assertion checks with an already parsed key (the ceremonies cache parsed keys).
pub(crate) fn verify_assertion(
    response: &AuthenticationResponse,
    public_key: &CredentialPublicKey,
    expected: &AuthenticationExpectations<'_>,
) -> Result<VerifiedAuthentication> {
    check_assertion(response, public_key, expected).map_err(as_authentication_failure)
}

fn check_assertion(
    response: &AuthenticationResponse,
    public_key: &CredentialPublicKey,
    expected: &AuthenticationExpectations<'_>,
) -> Result<VerifiedAuthentication> {
    let client_data = ClientData::parse(&response.client_data_json)?;
    client_data.check(&ClientDataExpectations {
        ceremony: CeremonyType::Get,
        challenge: expected.challenge,
        origins: expected.origins,
        top_origins: expected.top_origins,
    })?;
    let auth_data = AuthenticatorData::parse(&response.authenticator_data)?;
    // The appid extension (FIDO U2F credentials): the client signed over the AppID's hash, and
    // says so. Only when the request offered one: otherwise the claim is refused.
    let rp_hashed = match (response.appid_used, expected.app_id) {
        (false, _) => expected.rp_id.as_str(),
        (true, Some(app_id)) => app_id,
        (true, None) => {
            return Err(Error::verification(Check::RpIdHash, "the appid extension was not offered"));
        }
    };
    check_rp_hash(&auth_data, rp_hashed)?;
    check_user(&auth_data, true, expected.require_user_verification)?;

    // Step 21: the signature covers authData || SHA-256(clientDataJSON).
    let mut signed = Vec::with_capacity(response.authenticator_data.len() + 32);
    signed.extend_from_slice(&response.authenticator_data);
    signed.extend_from_slice(&client_data.hash);
    public_key.verify(&signed, &response.signature)?;

    // Step 22: if either counter is non-zero the new one must be greater; both zero means the
    // authenticator keeps no counter (synced passkeys), which is fine.
    let counter = auth_data.sign_count;
    let counter_regressed = (counter != 0 || expected.counter != 0) && counter <= expected.counter;
    if counter_regressed && expected.counter_policy == crate::config::CounterPolicy::Strict {
        return Err(Error::new(
            ErrorCode::CounterRegression,
            "signature counter did not increase: possible cloned authenticator",
        ));
    }

    Ok(VerifiedAuthentication {
        credential_id: response.credential_id.clone(),
        counter,
        flags: auth_data.flags,
        user_handle: response.user_handle.clone(),
        origin: client_data.origin,
        counter_regressed,
    })
}

/// rpIdHash: §7.1 step 13, §7.2 step 15.
fn check_rp_hash(auth_data: &AuthenticatorData, rp_id: &str) -> Result<()> {
    if auth_data.rp_id_hash != sha256(rp_id.as_bytes()) {
        return Err(Error::verification(Check::RpIdHash, "rpIdHash does not match the RP ID"));
    }
    Ok(())
}

/// UP (unless a conditional create) and, if required, UV: §7.1 steps 14-15, §7.2 steps 16-17.
fn check_user(auth_data: &AuthenticatorData, require_up: bool, require_uv: bool) -> Result<()> {
    if require_up && !auth_data.flags.user_present {
        return Err(Error::verification(Check::UserPresence, "user presence flag is not set"));
    }
    if require_uv && !auth_data.flags.user_verified {
        return Err(Error::verification(
            Check::UserVerification,
            "user verification is required but was not performed",
        ));
    }
    Ok(())
}

/// Decodes a base64url COSE key given by a host (e.g. from a binding).
pub fn decode_public_key(encoded: &str) -> Result<Vec<u8>> {
    base64url::decode(encoded, "credential.publicKey")
}
