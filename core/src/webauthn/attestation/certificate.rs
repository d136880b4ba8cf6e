//! Attestation certificates: parsing and using their public keys with the statement's algorithm.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::Class;
use x509_parser::prelude::FromDer;
use x509_parser::signature_algorithm::SignatureAlgorithm;

use crate::error::{Error, Result};
use crate::webauthn::Check;
use crate::webauthn::algorithms::unsupported_message;
use crate::webauthn::cose::CoseAlgorithm;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
/// id-ml-dsa-44/65/87 (RFC 9881): the key's OID and the certificate signature algorithm's are
/// the same, and the SubjectPublicKeyInfo's BIT STRING is the raw FIPS 204 public key.
const OID_ML_DSA_44: &str = "2.16.840.1.101.3.4.3.17";
const OID_ML_DSA_65: &str = "2.16.840.1.101.3.4.3.18";
const OID_ML_DSA_87: &str = "2.16.840.1.101.3.4.3.19";

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
        .ok_or_else(|| Error::verification(Check::Algorithm, unsupported_message("attestation algorithm", alg_id)))?;
    let spki = cert.public_key();
    let family = spki.algorithm.algorithm.to_id_string();
    let expected_family = match alg {
        CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519 => OID_ED25519,
        CoseAlgorithm::Es256 | CoseAlgorithm::Es384 | CoseAlgorithm::Es512 => OID_EC_PUBLIC_KEY,
        CoseAlgorithm::Ps256 | CoseAlgorithm::Ps384 | CoseAlgorithm::Ps512 | CoseAlgorithm::Rs256 => OID_RSA_ENCRYPTION,
        // The OID names the parameter set: an ML-DSA-65 certificate cannot sign as ML-DSA-44.
        CoseAlgorithm::MlDsa44 => OID_ML_DSA_44,
        CoseAlgorithm::MlDsa65 => OID_ML_DSA_65,
        CoseAlgorithm::MlDsa87 => OID_ML_DSA_87,
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

/// The algorithms a statement signature may use. The credential algorithms, plus RS1
/// (RSASSA-PKCS1-v1_5 with SHA-1, COSE -65535), which §8.3 (tpm) permits because older TPMs
/// (Windows Hello on TPM 2.0 firmware of 2015-2019) can sign nothing else. Only the tpm format
/// passes `allow_sha1`.
pub(super) fn statement_algorithm(alg_id: i64, allow_sha1: bool) -> Result<StatementAlgorithm> {
    if alg_id == RS1 && allow_sha1 {
        return Ok(StatementAlgorithm::Rs1);
    }
    CoseAlgorithm::from_id(alg_id)
        .map(StatementAlgorithm::Cose)
        .ok_or_else(|| Error::verification(Check::Algorithm, unsupported_message("attestation algorithm", alg_id)))
}

/// COSE RS1: RSASSA-PKCS1-v1_5 with SHA-1.
pub(super) const RS1: i64 = -65535;

/// A statement signature algorithm: see [`statement_algorithm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatementAlgorithm {
    /// A credential algorithm.
    Cose(CoseAlgorithm),
    /// RS1, tpm only.
    Rs1,
}

/// Like [`verify_signature`], for any statement algorithm (RS1 included).
pub(super) fn verify_statement_signature(
    cert: &X509Certificate<'_>,
    alg: StatementAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    match alg {
        StatementAlgorithm::Cose(alg) => verify_signature(cert, alg.id(), message, signature),
        StatementAlgorithm::Rs1 => {
            let spki = cert.public_key();
            if spki.algorithm.algorithm.to_id_string() != OID_RSA_ENCRYPTION {
                return Err(bad_cert("attestation certificate key does not match the statement algorithm"));
            }
            UnparsedPublicKey::new(
                &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                &*spki.subject_public_key.data,
            )
            .verify(message, signature)
            .map_err(|_| Error::verification(Check::AttestationStatement, "attestation signature does not verify"))
        }
    }
}

/// Checks that `issuer` signed `cert` (RFC 5280 §6.1.3 (a)(1)): the signature over the TBS
/// bytes with the issuer's key, by the algorithm the certificate names. SHA-1 certificate
/// signatures are refused (collisions are practical); so are algorithms outside WebAuthn's.
pub(super) fn verify_issued_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Result<()> {
    let algorithm = certificate_signature_algorithm(cert, issuer)?;
    let key = &*issuer.public_key().subject_public_key.data;
    UnparsedPublicKey::new(algorithm, key)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .map_err(|_| bad_cert("attestation certificate signature does not verify with its issuer's key"))
}

fn certificate_signature_algorithm(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<&'static dyn VerificationAlgorithm> {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let issuer_family = issuer.public_key().algorithm.algorithm.to_id_string();
    // The OID is the certificate author's: quoted, but cut short.
    let unsupported = || {
        bad_cert(&format!(
            "attestation certificate signature algorithm {} is not supported",
            crate::error::clipped(&oid, 40)
        ))
    };
    let algorithm: &'static dyn VerificationAlgorithm = match oid.as_str() {
        "1.2.840.10045.4.1" | "1.2.840.113549.1.1.5" => {
            return Err(bad_cert("attestation certificate is signed with SHA-1, which is not accepted"));
        }
        "1.2.840.10045.4.3.2" | "1.2.840.10045.4.3.3" | "1.2.840.10045.4.3.4" => {
            if issuer_family != OID_EC_PUBLIC_KEY {
                return Err(bad_cert("issuer key type does not match the certificate signature algorithm"));
            }
            match (named_curve(issuer).as_deref(), oid.as_str()) {
                (Some(OID_P256), "1.2.840.10045.4.3.2") => &signature::ECDSA_P256_SHA256_ASN1,
                (Some(OID_P256), "1.2.840.10045.4.3.3") => &signature::ECDSA_P256_SHA384_ASN1,
                (Some(OID_P256), _) => &signature::ECDSA_P256_SHA512_ASN1,
                (Some(OID_P384), "1.2.840.10045.4.3.2") => &signature::ECDSA_P384_SHA256_ASN1,
                (Some(OID_P384), "1.2.840.10045.4.3.3") => &signature::ECDSA_P384_SHA384_ASN1,
                (Some(OID_P384), _) => &signature::ECDSA_P384_SHA512_ASN1,
                (Some(OID_P521), "1.2.840.10045.4.3.2") => &signature::ECDSA_P521_SHA256_ASN1,
                (Some(OID_P521), "1.2.840.10045.4.3.3") => &signature::ECDSA_P521_SHA384_ASN1,
                (Some(OID_P521), _) => &signature::ECDSA_P521_SHA512_ASN1,
                _ => return Err(bad_cert("issuer key is on an unsupported curve")),
            }
        }
        "1.2.840.113549.1.1.11" | "1.2.840.113549.1.1.12" | "1.2.840.113549.1.1.13" | "1.2.840.113549.1.1.10" => {
            if issuer_family != OID_RSA_ENCRYPTION {
                return Err(bad_cert("issuer key type does not match the certificate signature algorithm"));
            }
            match oid.as_str() {
                "1.2.840.113549.1.1.11" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "1.2.840.113549.1.1.12" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "1.2.840.113549.1.1.13" => &signature::RSA_PKCS1_2048_8192_SHA512,
                _ => {
                    // RSASSA-PSS: the hash is in the parameters (RFC 4055 §3.1).
                    let params = SignatureAlgorithm::try_from(&cert.signature_algorithm).map_err(|_| unsupported())?;
                    let SignatureAlgorithm::RSASSA_PSS(params) = params else { return Err(unsupported()) };
                    match params.hash_algorithm_oid().to_id_string().as_str() {
                        "2.16.840.1.101.3.4.2.1" => &signature::RSA_PSS_2048_8192_SHA256,
                        "2.16.840.1.101.3.4.2.2" => &signature::RSA_PSS_2048_8192_SHA384,
                        "2.16.840.1.101.3.4.2.3" => &signature::RSA_PSS_2048_8192_SHA512,
                        _ => return Err(unsupported()),
                    }
                }
            }
        }
        "1.3.101.112" if issuer_family == OID_ED25519 => &signature::ED25519,
        OID_ML_DSA_44 | OID_ML_DSA_65 | OID_ML_DSA_87 => {
            // The OID names the parameter set of the signature and of the issuer's key alike.
            if issuer_family != oid {
                return Err(bad_cert("issuer key type does not match the certificate signature algorithm"));
            }
            match oid.as_str() {
                OID_ML_DSA_44 => &signature::ML_DSA_44,
                OID_ML_DSA_65 => &signature::ML_DSA_65,
                _ => &signature::ML_DSA_87,
            }
        }
        _ => return Err(unsupported()),
    };
    Ok(algorithm)
}

/// Validity at `now_ms` (RFC 5280 §6.1.3 (a)(2)), each bound inclusive.
pub(super) fn check_validity(cert: &X509Certificate<'_>, now_ms: i64) -> Result<()> {
    let now = now_ms.div_euclid(1000);
    let validity = cert.validity();
    if now > validity.not_after.timestamp() {
        return Err(bad_cert("attestation certificate expired"));
    }
    if now < validity.not_before.timestamp() {
        return Err(bad_cert("attestation certificate is not yet valid"));
    }
    Ok(())
}

/// id-fido-gen-ce-aaguid (FIDO Metadata Statements §3.2.1): the authenticator model an
/// attestation certificate was issued for.
const AAGUID_EXTENSION: x509_parser::der_parser::Oid<'static> = x509_parser::der_parser::oid!(1.3.6.1.4.1.45724.1.1.4);

/// The id-fido-gen-ce-aaguid extension, if the certificate has one.
pub(super) fn aaguid_extension<'a>(
    cert: &'a X509Certificate<'_>,
) -> Option<&'a x509_parser::extensions::X509Extension<'a>> {
    cert.extensions().iter().find(|ext| ext.oid == AAGUID_EXTENSION)
}

/// The AAGUID the certificate's id-fido-gen-ce-aaguid extension names, if it has one; an
/// extension naming another model than authenticator data (`claimed`) is an error (`what` names
/// the certificate in it).
pub(super) fn named_aaguid(cert: &X509Certificate<'_>, claimed: &[u8; 16], what: &str) -> Result<Option<[u8; 16]>> {
    let Some(ext) = aaguid_extension(cert) else { return Ok(None) };
    // extnValue wraps an OCTET STRING of the 16 AAGUID bytes.
    let named: Option<[u8; 16]> = match ext.value {
        [0x04, 16, rest @ ..] => rest.try_into().ok(),
        _ => None,
    };
    match named {
        Some(named) if named == *claimed => Ok(Some(named)),
        _ => Err(bad_cert(&format!("{what} AAGUID extension does not match authenticator data"))),
    }
}

/// Whether the certificate's key is the same as the credential's (COSE) key. EC keys compare as
/// uncompressed points, Ed25519 as raw bytes, RSA as (modulus, exponent) without leading zeros.
pub(super) fn same_key(cert: &X509Certificate<'_>, credential_cose: &[u8]) -> bool {
    use x509_parser::public_key::PublicKey;
    let Some(cose) = super::cose_key::CoseKeyParams::parse(credential_cose) else { return false };
    match cert.public_key().parsed() {
        Ok(PublicKey::EC(point)) => {
            cose.ec_point().is_some_and(|(curve, p)| named_curve(cert).as_deref() == Some(curve) && p == point.data())
        }
        Ok(PublicKey::RSA(rsa)) => {
            cose.rsa().is_some_and(|(n, e)| strip(n) == strip(rsa.modulus) && strip(e) == strip(rsa.exponent))
        }
        Ok(PublicKey::Unknown(raw)) if cert.public_key().algorithm.algorithm.to_id_string() == OID_ED25519 => {
            cose.okp_x().is_some_and(|x| x == raw)
        }
        _ => false,
    }
}

pub(super) fn strip(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}
