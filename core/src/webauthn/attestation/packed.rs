//! `packed` attestation (WebAuthn §8.2): full (x5c) and self attestation.

use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Version;

use super::{AttestationObject, AttestationTrust, Context, Outcome, certificate, malformed};
use crate::error::{Error, Result};
use crate::webauthn::Check;

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    let alg = object
        .field("alg")
        .and_then(|v| v.as_integer())
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| malformed("packed alg is missing"))?;
    let signature = object.signature()?;
    let signed = object.signed_data(client_data_hash);
    let credential = object.auth_data.attested_credential_data.as_ref().ok_or_else(|| malformed("no credential"))?;

    match object.x5c()? {
        Some(x5c) => {
            let leaf = certificate::parse(x5c[0])?;
            certificate::verify_signature(&leaf, alg, &signed, signature)?;
            let extension = check_leaf_requirements(&leaf, &credential.aaguid)?;
            context.assess_chain("packed", &credential.aaguid, &x5c, extension)
        }
        None => {
            // Self attestation: the statement is signed by the credential key, with its algorithm.
            if alg != credential.public_key.algorithm().id() {
                return Err(Error::verification(
                    Check::Algorithm,
                    "self attestation alg differs from the credential key",
                ));
            }
            credential.public_key.verify(&signed, signature).map_err(|_| {
                Error::verification(Check::AttestationStatement, "self attestation signature does not verify")
            })?;
            Ok(Outcome::of(AttestationTrust::SelfAttestation))
        }
    }
}

/// §8.2.1 Packed attestation statement certificate requirements. Returns the AAGUID the
/// id-fido-gen-ce-aaguid extension names, if the certificate has one (it equals `aaguid`).
pub(super) fn check_leaf_requirements(leaf: &X509Certificate<'_>, aaguid: &[u8; 16]) -> Result<Option<[u8; 16]>> {
    if leaf.version() != X509Version::V3 {
        return Err(certificate::bad_cert("packed attestation certificate must be X.509 v3"));
    }
    let subject = leaf.subject();
    let has = |attr: Option<_>| attr.is_some();
    let ou_ok = subject.iter_organizational_unit().any(|ou| ou.as_str().ok() == Some("Authenticator Attestation"));
    if !(has(subject.iter_country().next())
        && has(subject.iter_organization().next())
        && has(subject.iter_common_name().next())
        && ou_ok)
    {
        return Err(certificate::bad_cert(
            "packed attestation certificate subject needs C, O, CN and OU=Authenticator Attestation",
        ));
    }
    // id-fido-gen-ce-aaguid: if present it must name the same authenticator model as authData.
    if let Some(ext) = certificate::aaguid_extension(leaf)
        && ext.critical
    {
        return Err(certificate::bad_cert("id-fido-gen-ce-aaguid must not be critical"));
    }
    let extension = certificate::named_aaguid(leaf, aaguid, "certificate")?;
    match leaf.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => Err(certificate::bad_cert("attestation certificate must not be a CA")),
        Ok(_) => Ok(extension),
        Err(_) => Err(certificate::bad_cert("attestation certificate basic constraints are malformed")),
    }
}
