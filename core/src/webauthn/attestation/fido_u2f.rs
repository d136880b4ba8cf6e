//! `fido-u2f` attestation (WebAuthn §8.6): U2F security keys registered through WebAuthn.

use super::{AttestationObject, Context, Outcome, certificate, malformed};
use crate::error::{Error, Result};
use crate::webauthn::Check;

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    // Step 2: exactly one certificate, with an EC P-256 key.
    let x5c = object.x5c()?.ok_or_else(|| malformed("fido-u2f needs x5c"))?;
    if x5c.len() != 1 {
        return Err(malformed("fido-u2f x5c must hold exactly one certificate"));
    }
    let cert = certificate::parse(x5c[0])?;
    if !certificate::is_p256(&cert) {
        return Err(certificate::bad_cert("fido-u2f certificate key must be EC P-256"));
    }
    // Steps 3-4: the credential key must be P-256; U2F signs over its uncompressed point.
    let credential = object.auth_data.attested_credential_data.as_ref().ok_or_else(|| malformed("no credential"))?;
    // A U2F authenticator has no AAGUID: the client writes zeros. The statement below does not
    // sign authData, so a non-zero one is a claim nobody made; it would pass for a model
    // (allowedAaguids, metadata) if it were accepted.
    if credential.aaguid != [0; 16] {
        return Err(malformed("fido-u2f: the AAGUID in authenticator data must be zero"));
    }
    let point = credential
        .public_key
        .p256_point()
        .ok_or_else(|| Error::verification(Check::PublicKey, "fido-u2f credential key must be ES256 (P-256)"))?;
    // Step 5: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
    let mut data = Vec::with_capacity(1 + 32 + 32 + credential.credential_id.len() + 65);
    data.push(0x00);
    data.extend_from_slice(&object.auth_data.rp_id_hash);
    data.extend_from_slice(client_data_hash);
    data.extend_from_slice(&credential.credential_id);
    data.extend_from_slice(point);
    // Step 6: the signature is ECDSA P-256 SHA-256 by the attestation key.
    certificate::verify_signature(&cert, -7, &data, object.signature()?)?;
    // Steps 7-8: trust path.
    context.assess_chain("fido-u2f", &credential.aaguid, &x5c, None)
}
