//! `android-key` attestation (WebAuthn §8.4): a key generated in Android Keystore, whose
//! certificate carries the Keystore's key description (Android "Key and ID attestation" schema).

use x509_parser::der_parser::oid;

use super::{AttestationObject, Context, Outcome, certificate, der, malformed};
use crate::error::Result;

/// The key description extension.
const KEY_DESCRIPTION_OID: x509_parser::der_parser::Oid<'static> = oid!(1.3.6.1.4.1.11129.2.1.17);

/// AuthorizationList tags (context-specific, EXPLICIT).
const TAG_PURPOSE: u32 = 1;
const TAG_ALL_APPLICATIONS: u32 = 600;
const TAG_ORIGIN: u32 = 702;
const KM_PURPOSE_SIGN: u64 = 2;
const KM_ORIGIN_GENERATED: u64 = 0;

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    let alg = object
        .field("alg")
        .and_then(|v| v.as_integer())
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| malformed("android-key: alg is missing"))?;
    let x5c = object.x5c()?.ok_or_else(|| malformed("android-key: x5c is missing"))?;
    let leaf = certificate::parse(x5c[0])?;
    let credential = object.credential()?;

    // Step 2: sig over authData || clientDataHash with the leaf key.
    certificate::verify_signature(&leaf, alg, &object.signed_data(client_data_hash), object.signature()?)?;
    // Step 3: the leaf's key is the credential key.
    if !certificate::same_key(&leaf, &credential.public_key_cose) {
        return Err(certificate::bad_cert("android-key: credential public key differs from the certificate's key"));
    }
    // Step 4: the key description.
    let extension = leaf
        .extensions()
        .iter()
        .find(|ext| ext.oid == KEY_DESCRIPTION_OID)
        .ok_or_else(|| certificate::bad_cert("android-key: certificate has no key description extension"))?;
    let description = KeyDescription::parse(extension.value)
        .ok_or_else(|| certificate::bad_cert("android-key: key description extension is malformed"))?;
    if description.attestation_challenge != client_data_hash {
        return Err(malformed("android-key: attestationChallenge does not match clientDataHash"));
    }
    // allApplications would let every app on the device use the key: never for a credential.
    if description.software.all_applications || description.tee.all_applications {
        return Err(malformed("android-key: key is usable by all applications (allApplications present)"));
    }
    // §8.4 allows either list unless the RP insists on a TEE; the union is the spec's default.
    let origin = description.tee.origin.or(description.software.origin);
    if origin != Some(KM_ORIGIN_GENERATED) {
        return Err(malformed("android-key: key origin is not KM_ORIGIN_GENERATED (key was imported)"));
    }
    if !description.tee.purposes.contains(&KM_PURPOSE_SIGN) && !description.software.purposes.contains(&KM_PURPOSE_SIGN)
    {
        return Err(malformed("android-key: key purpose does not include KM_PURPOSE_SIGN"));
    }
    // Google's roots vouch for every Android device: the chain proves the key, not the model.
    context.assess_chain("android-key", &credential.aaguid, &x5c, None)
}

struct KeyDescription<'a> {
    attestation_challenge: &'a [u8],
    software: AuthorizationList,
    tee: AuthorizationList,
}

#[derive(Default)]
struct AuthorizationList {
    purposes: Vec<u64>,
    origin: Option<u64>,
    all_applications: bool,
}

impl<'a> KeyDescription<'a> {
    /// KeyDescription ::= SEQUENCE { attestationVersion INTEGER, attestationSecurityLevel
    /// ENUMERATED, keymasterVersion INTEGER, keymasterSecurityLevel ENUMERATED,
    /// attestationChallenge OCTET STRING, uniqueId OCTET STRING, softwareEnforced
    /// AuthorizationList, teeEnforced AuthorizationList, ... }
    fn parse(value: &'a [u8]) -> Option<Self> {
        let fields = der::read_all(der::expect_one(value, der::SEQUENCE)?)?;
        if fields.len() < 8 {
            return None;
        }
        let universal =
            |i: usize, tag: u32| (fields[i].class == 0 && fields[i].tag == tag).then_some(fields[i].content);
        universal(0, der::INTEGER)?;
        universal(1, der::ENUMERATED)?;
        universal(2, der::INTEGER)?;
        universal(3, der::ENUMERATED)?;
        let attestation_challenge = universal(4, der::OCTET_STRING)?;
        universal(5, der::OCTET_STRING)?;
        let software = AuthorizationList::parse(universal(6, der::SEQUENCE)?)?;
        let tee = AuthorizationList::parse(universal(7, der::SEQUENCE)?)?;
        Some(Self { attestation_challenge, software, tee })
    }
}

impl AuthorizationList {
    fn parse(content: &[u8]) -> Option<Self> {
        let mut list = Self::default();
        for entry in der::read_all(content)? {
            if entry.class != 2 {
                return None;
            }
            match entry.tag {
                TAG_PURPOSE => {
                    for purpose in der::read_all(der::expect_one(entry.content, der::SET)?)? {
                        (purpose.class == 0 && purpose.tag == der::INTEGER).then_some(())?;
                        list.purposes.push(der::small_uint(purpose.content)?);
                    }
                }
                TAG_ORIGIN => list.origin = Some(der::small_uint(der::expect_one(entry.content, der::INTEGER)?)?),
                TAG_ALL_APPLICATIONS => list.all_applications = true,
                _ => {}
            }
        }
        Some(list)
    }
}
