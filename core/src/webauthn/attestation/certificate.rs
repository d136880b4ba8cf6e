//! Attestation certificates: parsing and using their public keys with the statement's algorithm.

use aws_lc_rs::signature::UnparsedPublicKey;
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::Class;
use x509_parser::prelude::FromDer;

use crate::error::{Error, Result};
use crate::webauthn::Check;
use crate::webauthn::cose::CoseAlgorithm;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

/// Parses one DER certificate; the whole input must be the certificate.
pub(super) fn parse(der: &[u8]) -> Result<X509Certificate<'_>> {
    match X509Certificate::from_der(der) {
        Ok((&[], cert)) => Ok(cert),
        _ => Err(bad_cert("attestation certificate is not valid DER X.509")),
    }
}

/// Verifies `signature` over `message` with the certificate's key, using the statement's `alg`.
/// The key's type must be the algorithm's family.
pub(super) fn verify_signature(
    cert: &X509Certificate<'_>,
    alg_id: i64,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let alg = CoseAlgorithm::from_id(alg_id)
        .ok_or_else(|| Error::verification(Check::Algorithm, format!("unsupported attestation algorithm {alg_id}")))?;
    let spki = cert.public_key();
    let family = spki.algorithm.algorithm.to_id_string();
    let expected_family = match alg {
        CoseAlgorithm::EdDsa => OID_ED25519,
        CoseAlgorithm::Es256 | CoseAlgorithm::Es384 | CoseAlgorithm::Es512 => OID_EC_PUBLIC_KEY,
        CoseAlgorithm::Ps256 | CoseAlgorithm::Rs256 => OID_RSA_ENCRYPTION,
    };
    if family != expected_family {
        return Err(bad_cert("attestation certificate key does not match the statement algorithm"));
    }
    // An EC key is only the point: its curve is named in the algorithm parameters, and must be
    // the statement algorithm's curve, or a point would be verified on a curve it is not from.
    let expected_curve = match alg {
        CoseAlgorithm::Es256 => Some(OID_P256),
        CoseAlgorithm::Es384 => Some(OID_P384),
        CoseAlgorithm::Es512 => Some(OID_P521),
        _ => None,
    };
    if let Some(curve) = expected_curve
        && named_curve(cert).as_deref() != Some(curve)
    {
        return Err(bad_cert("attestation certificate curve does not match the statement algorithm"));
    }
    UnparsedPublicKey::new(alg.verification(), &*spki.subject_public_key.data)
        .verify(message, signature)
        .map_err(|_| Error::verification(Check::AttestationStatement, "attestation signature does not verify"))
}

/// Whether the certificate's key is an EC key on P-256 (fido-u2f requires it).
pub(super) fn is_p256(cert: &X509Certificate<'_>) -> bool {
    cert.public_key().algorithm.algorithm.to_id_string() == OID_EC_PUBLIC_KEY
        && named_curve(cert).as_deref() == Some(OID_P256)
}

/// The namedCurve OID of an EC key's algorithm parameters. The header is checked in full:
/// asn1-rs matches an OID by tag number alone, which would read `[6] IMPLICIT` as one.
fn named_curve(cert: &X509Certificate<'_>) -> Option<String> {
    let parameters = cert.public_key().algorithm.parameters.as_ref()?;
    let universal_primitive = parameters.class() == Class::Universal && !parameters.header.is_constructed();
    universal_primitive.then(|| parameters.as_oid().ok().map(|oid| oid.to_id_string())).flatten()
}

pub(super) fn bad_cert(why: &str) -> Error {
    Error::verification(Check::AttestationCertificate, why.to_owned())
}
