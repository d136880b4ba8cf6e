//! Authenticator data (WebAuthn §6.1): rpIdHash, flags, signature counter, attested credential
//! data (§6.5.1) and extension outputs.

use ciborium::value::Value;

use super::Check;
use super::cose::CredentialPublicKey;
use crate::error::{Error, Result};

/// The flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// UP: user present.
    pub user_present: bool,
    /// UV: user verified.
    pub user_verified: bool,
    /// BE: the credential may be backed up (synced, "multi-device").
    pub backup_eligible: bool,
    /// BS: the credential is currently backed up.
    pub backed_up: bool,
    /// AT: attested credential data follows.
    pub attested_credential_data: bool,
    /// ED: extension data follows.
    pub extension_data: bool,
}

impl Flags {
    fn from_byte(byte: u8) -> Self {
        Self {
            user_present: byte & 0x01 != 0,
            user_verified: byte & 0x04 != 0,
            backup_eligible: byte & 0x08 != 0,
            backed_up: byte & 0x10 != 0,
            attested_credential_data: byte & 0x40 != 0,
            extension_data: byte & 0x80 != 0,
        }
    }
}

/// Attested credential data: the new credential, present at registration.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
pub struct AttestedCredentialData {
    /// The authenticator model's AAGUID (all zero when not disclosed).
    pub aaguid: [u8; 16],
    /// The credential ID.
    pub credential_id: Vec<u8>,
    /// The credential public key exactly as encoded (COSE_Key CBOR), what gets stored.
    pub public_key_cose: Vec<u8>,
    /// The validated key.
    pub public_key: CredentialPublicKey,
}

/// Parsed authenticator data.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))] // public through `crate::fuzzing`
pub struct AuthenticatorData {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub rp_id_hash: [u8; 32],
    /// The flags.
    pub flags: Flags,
    /// The signature counter (0 for authenticators that do not keep one).
    pub sign_count: u32,
    /// Present iff the AT flag is set.
    pub attested_credential_data: Option<AttestedCredentialData>,
    /// Extension outputs, present iff the ED flag is set. Parsed (a malformed map fails the
    /// whole response) though no extension output is used yet.
    #[allow(dead_code)]
    pub extensions: Option<Value>,
}

/// WebAuthn §5.8.3 caps credential IDs at 1023 bytes.
const MAX_CREDENTIAL_ID_LEN: usize = 1023;

impl AuthenticatorData {
    /// Parses and checks structure: every byte must be accounted for by the flags.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < 37 {
            return Err(malformed("shorter than 37 bytes"));
        }
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(&bytes[..32]);
        let flags = Flags::from_byte(bytes[32]);
        let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
        let mut rest = &bytes[37..];

        let attested_credential_data = if flags.attested_credential_data {
            if rest.len() < 18 {
                return Err(malformed("attested credential data is truncated"));
            }
            let mut aaguid = [0u8; 16];
            aaguid.copy_from_slice(&rest[..16]);
            let id_len = u16::from_be_bytes([rest[16], rest[17]]) as usize;
            rest = &rest[18..];
            if id_len == 0 || id_len > MAX_CREDENTIAL_ID_LEN || rest.len() < id_len {
                return Err(malformed("credential ID length is invalid"));
            }
            let credential_id = rest[..id_len].to_vec();
            rest = &rest[id_len..];
            let (key_value, key_len) = read_cbor(rest).ok_or_else(|| malformed("credential public key is not CBOR"))?;
            let public_key_cose = rest[..key_len].to_vec();
            rest = &rest[key_len..];
            let public_key = CredentialPublicKey::from_cose_value(&key_value)?;
            Some(AttestedCredentialData { aaguid, credential_id, public_key_cose, public_key })
        } else {
            None
        };

        let extensions = if flags.extension_data {
            let (value, len) = read_cbor(rest).ok_or_else(|| malformed("extension data is not CBOR"))?;
            if value.as_map().is_none() {
                return Err(malformed("extension data is not a CBOR map"));
            }
            rest = &rest[len..];
            Some(value)
        } else {
            None
        };

        if !rest.is_empty() {
            return Err(malformed("has trailing bytes"));
        }
        if flags.backed_up && !flags.backup_eligible {
            return Err(Error::verification(
                Check::BackupFlags,
                "backup state set on a credential that is not backup eligible",
            ));
        }
        Ok(Self { rp_id_hash, flags, sign_count, attested_credential_data, extensions })
    }
}

/// Reads one CBOR item from the front of `bytes`, returning it and how many bytes it used.
fn read_cbor(bytes: &[u8]) -> Option<(Value, usize)> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader(&mut reader).ok()?;
    Some((value, bytes.len() - reader.len()))
}

fn malformed(why: &str) -> Error {
    Error::verification(Check::AuthenticatorData, format!("authenticator data {why}"))
}
