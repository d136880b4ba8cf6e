//! `apple` anonymous attestation (WebAuthn §8.8): Apple's anonymization CA issues a certificate for
//! the credential key whose extension carries a nonce over the registration.

use x509_parser::der_parser::oid;

use super::{AttestationObject, Context, Outcome, certificate, der, malformed};
use crate::error::Result;
use crate::webauthn::sha256;

/// Apple's nonce extension.
const NONCE_OID: x509_parser::der_parser::Oid<'static> = oid!(1.2.840.113635.100.8.2);

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    // Step 1: x5c with the credential certificate first.
    let x5c = object.x5c()?.ok_or_else(|| malformed("apple: x5c is missing"))?;
    let cred_cert = certificate::parse(x5c[0])?;
    let credential = object.credential()?;

    // Steps 2-4: nonce = SHA-256(authData || clientDataHash) must be the extension's value,
    // a SEQUENCE { [1] EXPLICIT OCTET STRING }.
    let nonce = sha256(&object.signed_data(client_data_hash));
    let extension = cred_cert.extensions().iter().find(|ext| ext.oid == NONCE_OID).ok_or_else(|| {
        certificate::bad_cert("apple: credential certificate has no nonce extension (1.2.840.113635.100.8.2)")
    })?;
    let found = der::expect_one(extension.value, der::SEQUENCE)
        .and_then(|seq| der::read(seq).filter(|(tlv, rest)| rest.is_empty() && tlv.class == 2 && tlv.tag == 1))
        .and_then(|(tagged, _)| der::expect_one(tagged.content, der::OCTET_STRING))
        .ok_or_else(|| certificate::bad_cert("apple: nonce extension is malformed"))?;
    if found != nonce {
        return Err(malformed("apple: certificate nonce does not match SHA-256(authData || clientDataHash)"));
    }

    // Step 5: the credential public key is the certificate's subject public key.
    if !certificate::same_key(&cred_cert, &credential.public_key_cose) {
        return Err(certificate::bad_cert("apple: credential public key differs from the certificate's key"));
    }

    // Step 6: anonymization CA trust path.
    context.assess_chain("apple", &credential.aaguid, &x5c, None)
}
