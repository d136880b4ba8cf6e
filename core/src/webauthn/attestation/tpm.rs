//! `tpm` attestation (WebAuthn §8.3): a TPM 2.0 certifies the credential key (`pubArea`) with its
//! attestation identity key (AIK), in a `TPMS_ATTEST` structure (`certInfo`) whose extraData is
//! the hash of the registration. Structures are from TPM 2.0 Library Part 2 (sections 10.12,
//! 12.2.4); the AIK certificate requirements are §8.3.1.

use aws_lc_rs::digest;
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::oid;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Version;

use super::certificate::{self, StatementAlgorithm, bad_cert};
use super::cose_key::CoseKeyParams;
use super::{AttestationObject, Context, Outcome, malformed};
use crate::error::{Error, Result};
use crate::webauthn::{Check, CoseAlgorithm};

const TPM_GENERATED_VALUE: u32 = 0xff54_4347;
const TPM_ST_ATTEST_CERTIFY: u16 = 0x8017;
const TPM_ALG_RSA: u16 = 0x0001;
const TPM_ALG_SHA1: u16 = 0x0004;
const TPM_ALG_SHA256: u16 = 0x000b;
const TPM_ALG_SHA384: u16 = 0x000c;
const TPM_ALG_SHA512: u16 = 0x000d;
const TPM_ALG_NULL: u16 = 0x0010;
const TPM_ALG_ECC: u16 = 0x0023;

/// TCG TPM Vendor ID Registry (version 1.02 and later additions), plus FFFFF1D0, the id the FIDO
/// Alliance conformance tools' simulated TPM uses (other relying parties accept it as well).
const TPM_MANUFACTURERS: &[&str] = &[
    "414D4400", // AMD
    "414E5400", // Ant Group
    "41544D4C", // Atmel
    "4252434D", // Broadcom
    "4353434F", // Cisco
    "464C5953", // Flyslice Technologies
    "524F4343", // Fuzhou Rockchip
    "474F4F47", // Google
    "48504900", // HPI
    "48504500", // HPE
    "48495349", // Huawei
    "49424D00", // IBM
    "49465800", // Infineon
    "494E5443", // Intel
    "4C454E00", // Lenovo
    "4D534654", // Microsoft
    "4E534D20", // National Semiconductor
    "4E545A00", // Nationz
    "4E544300", // Nuvoton
    "51434F4D", // Qualcomm
    "534D534E", // Samsung
    "534D5343", // SMSC
    "53544D20", // STMicroelectronics
    "54584E00", // Texas Instruments
    "57454300", // Winbond
    "FFFFF1D0", // FIDO Alliance conformance testing
];

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    // Step 1: ver "2.0", alg, x5c (ECDAA is withdrawn from Level 3), sig, certInfo, pubArea.
    if object.field("ver").and_then(|v| v.as_text()) != Some("2.0") {
        return Err(malformed("tpm: ver must be \"2.0\""));
    }
    if object.field("ecdaaKeyId").is_some() {
        return Err(malformed("tpm: ECDAA is not supported"));
    }
    let alg_id = object
        .field("alg")
        .and_then(|v| v.as_integer())
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| malformed("tpm: alg is missing"))?;
    let alg = certificate::statement_algorithm(alg_id, true)?;
    let x5c = object.x5c()?.ok_or_else(|| malformed("tpm: x5c is missing"))?;
    let bytes = |name: &str| {
        object
            .field(name)
            .and_then(|v| v.as_bytes())
            .map(Vec::as_slice)
            .ok_or_else(|| malformed(&format!("tpm: {name} is missing")))
    };
    let (cert_info_raw, pub_area_raw) = (bytes("certInfo")?, bytes("pubArea")?);
    let credential = object.credential()?;

    // Step 2: pubArea's key is the credential key.
    let pub_area = PubArea::parse(pub_area_raw).ok_or_else(|| malformed("tpm: pubArea is malformed"))?;
    pub_area.check_matches(&credential.public_key_cose)?;

    // Step 3: certInfo.
    let cert_info = CertInfo::parse(cert_info_raw).ok_or_else(|| malformed("tpm: certInfo is malformed"))?;
    if cert_info.magic != TPM_GENERATED_VALUE {
        return Err(malformed("tpm: certInfo.magic is not TPM_GENERATED_VALUE"));
    }
    if cert_info.kind != TPM_ST_ATTEST_CERTIFY {
        return Err(malformed("tpm: certInfo.type is not TPM_ST_ATTEST_CERTIFY"));
    }
    // extraData is the hash of attToBeSigned (authData || clientDataHash) with alg's hash.
    let att_to_be_signed = object.signed_data(client_data_hash);
    let hash = match alg {
        StatementAlgorithm::Rs1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        StatementAlgorithm::Cose(CoseAlgorithm::Es384 | CoseAlgorithm::Ps384) => &digest::SHA384,
        StatementAlgorithm::Cose(CoseAlgorithm::Es512 | CoseAlgorithm::Ps512) => &digest::SHA512,
        StatementAlgorithm::Cose(CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519) => &digest::SHA512,
        StatementAlgorithm::Cose(_) => &digest::SHA256,
    };
    if cert_info.extra_data != digest::digest(hash, &att_to_be_signed).as_ref() {
        return Err(malformed("tpm: certInfo.extraData does not match the hash of authData || clientDataHash"));
    }
    // attested.name is pubArea's Name: nameAlg || H_nameAlg(pubArea) (TPM 2.0 Part 1 §16).
    let expected_name = name_of(pub_area.name_alg, pub_area_raw)
        .ok_or_else(|| malformed("tpm: pubArea.nameAlg is not a supported hash"))?;
    if cert_info.attested_name != expected_name {
        return Err(malformed("tpm: certInfo.attested.name is not the Name of pubArea"));
    }

    // Step 4: the AIK signed certInfo, and its certificate meets §8.3.1.
    let aik = certificate::parse(x5c[0])?;
    certificate::verify_statement_signature(&aik, alg, cert_info_raw, object.signature()?)?;
    let extension =
        check_aik_certificate(&aik, &credential.aaguid, context.options.tpm_allow_unregistered_manufacturers)?;

    context.assess_chain("tpm", &credential.aaguid, &x5c, extension)
}

/// §8.3.1 TPM attestation statement certificate requirements. Returns the AAGUID the
/// id-fido-gen-ce-aaguid extension names, if the certificate has one (it equals `aaguid`).
fn check_aik_certificate(
    aik: &X509Certificate<'_>,
    aaguid: &[u8; 16],
    allow_unregistered: bool,
) -> Result<Option<[u8; 16]>> {
    if aik.version() != X509Version::V3 {
        return Err(bad_cert("tpm: AIK certificate must be X.509 v3"));
    }
    if aik.subject().iter().next().is_some() {
        return Err(bad_cert("tpm: AIK certificate subject must be empty"));
    }
    // Subject Alternative Name: a directoryName with TPM manufacturer, model and version.
    let san = match aik.subject_alternative_name() {
        Ok(Some(san)) => san,
        _ => return Err(bad_cert("tpm: AIK certificate has no subjectAltName")),
    };
    let attribute = |oid_str: &str| {
        san.value.general_names.iter().find_map(|name| match name {
            GeneralName::DirectoryName(dn) => dn
                .iter_attributes()
                .find(|attr| attr.attr_type().to_id_string() == oid_str)
                .and_then(|attr| attr.as_str().ok().map(str::to_owned)),
            _ => None,
        })
    };
    let manufacturer = attribute("2.23.133.2.1")
        .ok_or_else(|| bad_cert("tpm: AIK subjectAltName has no TPM manufacturer (2.23.133.2.1)"))?;
    if attribute("2.23.133.2.2").is_none() || attribute("2.23.133.2.3").is_none() {
        return Err(bad_cert("tpm: AIK subjectAltName has no TPM model or version"));
    }
    let id = manufacturer.strip_prefix("id:").unwrap_or(&manufacturer).to_ascii_uppercase();
    if !allow_unregistered && !TPM_MANUFACTURERS.contains(&id.as_str()) {
        // The id is the certificate author's text: quoted only when it has the registry's shape.
        let shown =
            if id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()) { id.as_str() } else { "(malformed)" };
        return Err(bad_cert(&format!("tpm: TPM manufacturer id:{shown} is not in the TCG vendor registry")));
    }
    // Extended Key Usage must contain tcg-kp-AIKCertificate.
    let aik_usage = oid!(2.23.133.8.3);
    match aik.extended_key_usage() {
        Ok(Some(eku)) if eku.value.other.contains(&aik_usage) => {}
        _ => {
            return Err(bad_cert("tpm: AIK certificate extended key usage lacks tcg-kp-AIKCertificate (2.23.133.8.3)"));
        }
    }
    match aik.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => return Err(bad_cert("tpm: AIK certificate must not be a CA")),
        Ok(_) => {}
        Err(_) => return Err(bad_cert("tpm: AIK certificate basic constraints are malformed")),
    }
    // id-fido-gen-ce-aaguid, if present, names the same model as authData.
    certificate::named_aaguid(aik, aaguid, "tpm: AIK certificate")
}

/// `nameAlg || H(pubArea)`.
fn name_of(name_alg: u16, pub_area: &[u8]) -> Option<Vec<u8>> {
    let algorithm = match name_alg {
        TPM_ALG_SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        TPM_ALG_SHA256 => &digest::SHA256,
        TPM_ALG_SHA384 => &digest::SHA384,
        TPM_ALG_SHA512 => &digest::SHA512,
        _ => return None,
    };
    let mut name = name_alg.to_be_bytes().to_vec();
    name.extend_from_slice(digest::digest(algorithm, pub_area).as_ref());
    Some(name)
}

/// A big-endian reader over TPM marshalled structures.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A TPM2B: u16 size, then that many bytes.
    fn sized(&mut self) -> Option<&'a [u8]> {
        let size = self.u16()?;
        self.take(usize::from(size))
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// TPMT_PUBLIC, the fields WebAuthn needs.
struct PubArea<'a> {
    name_alg: u16,
    key: TpmKey<'a>,
}

enum TpmKey<'a> {
    Rsa { exponent: u32, modulus: &'a [u8] },
    Ecc { curve: u16, x: &'a [u8], y: &'a [u8] },
}

impl<'a> PubArea<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        let kind = r.u16()?;
        let name_alg = r.u16()?;
        let _object_attributes = r.u32()?;
        let _auth_policy = r.sized()?;
        // TPMT_SYM_DEF_OBJECT: algorithm, then keyBits and mode unless NULL.
        if r.u16()? != TPM_ALG_NULL {
            r.take(4)?;
        }
        // TPMT_{RSA,ECC}_SCHEME: scheme, then hashAlg unless NULL.
        if r.u16()? != TPM_ALG_NULL {
            r.take(2)?;
        }
        let key = match kind {
            TPM_ALG_RSA => {
                let _key_bits = r.u16()?;
                let exponent = r.u32()?;
                TpmKey::Rsa { exponent, modulus: r.sized()? }
            }
            TPM_ALG_ECC => {
                let curve = r.u16()?;
                // TPMT_KDF_SCHEME: scheme, then hashAlg unless NULL.
                if r.u16()? != TPM_ALG_NULL {
                    r.take(2)?;
                }
                TpmKey::Ecc { curve, x: r.sized()?, y: r.sized()? }
            }
            _ => return None,
        };
        r.done().then_some(Self { name_alg, key })
    }

    /// §8.3 step 2: the key in pubArea is the credential public key.
    fn check_matches(&self, credential_cose: &[u8]) -> Result<()> {
        let cose = CoseKeyParams::parse(credential_cose)
            .ok_or_else(|| Error::verification(Check::PublicKey, "credential public key is malformed"))?;
        let same = match self.key {
            TpmKey::Rsa { exponent, modulus } => cose.rsa().is_some_and(|(n, e)| {
                // An exponent of 0 means the default, 65537.
                let exponent = if exponent == 0 { 65_537 } else { exponent };
                certificate::strip(n) == certificate::strip(modulus)
                    && certificate::strip(e) == certificate::strip(&exponent.to_be_bytes())
            }),
            TpmKey::Ecc { curve, x, y } => cose.ec_coordinates().is_some_and(|(crv, cx, cy)| {
                // TPM_ECC_NIST_P256/P384/P521 against COSE crv 1/2/3.
                let crv_matches = matches!((curve, crv), (0x0003, 1) | (0x0004, 2) | (0x0005, 3));
                crv_matches && cx == x && cy == y
            }),
        };
        if same { Ok(()) } else { Err(malformed("tpm: pubArea key does not match the credential public key")) }
    }
}

/// TPMS_ATTEST with TPMS_CERTIFY_INFO, the fields WebAuthn needs.
struct CertInfo<'a> {
    magic: u32,
    kind: u16,
    extra_data: &'a [u8],
    attested_name: &'a [u8],
}

impl<'a> CertInfo<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        let magic = r.u32()?;
        let kind = r.u16()?;
        let _qualified_signer = r.sized()?;
        let extra_data = r.sized()?;
        let _clock_info = r.take(17)?; // clock u64, resetCount u32, restartCount u32, safe u8
        let _firmware_version = r.take(8)?;
        let attested_name = r.sized()?;
        let _qualified_name = r.sized()?;
        r.done().then_some(Self { magic, kind, extra_data, attested_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER tag-length-value.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// An AIK-shaped certificate (v3, empty subject) whose subjectAltName directoryName holds
    /// the TPM manufacturer, model and version attributes, the manufacturer being `manufacturer`.
    fn aik_with_manufacturer(manufacturer: &str) -> Vec<u8> {
        let attribute = |arc: u8, value: &str| {
            // 2.23.133.2.<arc>
            let oid = tlv(0x06, &[0x67, 0x81, 0x05, 0x02, arc]);
            tlv(0x31, &tlv(0x30, &[oid, tlv(0x0c, value.as_bytes())].concat()))
        };
        let name = tlv(0x30, &[attribute(1, manufacturer), attribute(2, "model"), attribute(3, "1.0")].concat());
        let san = tlv(0x30, &tlv(0xa4, &name));
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], san));
        params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap().der().to_vec()
    }

    #[test]
    fn attacker_text_in_the_manufacturer_is_not_echoed() {
        // Before: the manufacturer field, any length, was quoted whole in the refusal.
        let der = aik_with_manufacturer(&format!("id:{}", "A".repeat(5_000)));
        let aik = certificate::parse(&der).unwrap();
        let err = check_aik_certificate(&aik, &[0; 16], false).unwrap_err();
        assert!(err.message().len() < 120, "{}", err.message());
        assert!(err.message().contains("id:(malformed)"), "{}", err.message());

        let der = aik_with_manufacturer("id:12345678");
        let err = check_aik_certificate(&certificate::parse(&der).unwrap(), &[0; 16], false).unwrap_err();
        assert!(err.message().contains("id:12345678 is not in the TCG vendor registry"), "{}", err.message());
    }
}
