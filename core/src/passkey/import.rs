//! `credentials.import` (DESIGN §9): bringing credentials registered elsewhere (a FIDO U2F
//! deployment, another WebAuthn server) into kavach, so their users keep signing in. With
//! `passkey.appid` set, imported U2F credentials sign in through the `appid` extension.

use serde::Deserialize;

use super::Credential;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::kavach::{Kavach, validate_display_name};
use crate::store::{CreatedBy, CredentialRecord, InsertOutcome};
use crate::webauthn::response::KNOWN_TRANSPORTS;

/// What the host knows of a credential registered elsewhere.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportedCredential {
    /// The kavach user who owns it.
    #[serde(alias = "user_id")]
    pub user_id: String,
    /// The credential ID (U2F: the key handle), base64url.
    #[serde(alias = "credential_id")]
    pub credential_id: String,
    /// `webauthn`: the COSE_Key, base64url. `u2f`: the 65-byte uncompressed P-256 point from
    /// the U2F registration (`04 || x || y`), base64url.
    #[serde(alias = "public_key")]
    pub public_key: String,
    /// The last signature counter seen. Default 0.
    #[serde(default)]
    pub counter: u32,
    /// `u2f` or `webauthn`.
    pub format: String,
    /// A name for it. Default: "Security key" (U2F) or "Passkey".
    #[serde(default)]
    pub name: Option<String>,
    /// Transport hints (`usb`, `nfc`, ...).
    #[serde(default)]
    pub transports: Vec<String>,
    /// `webauthn`: the user handle (`user.id`, base64url) the credential was created with on the
    /// other server, which a discoverable credential returns at every sign-in. Default: none
    /// (the credential answers with the kavach user's own handle, or none, as U2F keys do).
    #[serde(default, alias = "user_handle")]
    pub user_handle: Option<String>,
    /// `webauthn`: the BE flag at its registration (a synced passkey): every sign-in must show
    /// the same. Default false (U2F keys are never backup eligible).
    #[serde(default, alias = "backup_eligible")]
    pub backup_eligible: bool,
}

impl Kavach {
    /// Stores a credential registered elsewhere for an existing user. Refuses an unknown user
    /// (`USER_NOT_FOUND`), a credential ID already stored (`CREDENTIAL_EXISTS`) and a public key
    /// kavach cannot verify with (`INVALID_REQUEST`).
    pub fn import_credential(&self, credential: &ImportedCredential) -> Result<Credential> {
        if self.store.user_by_id(&credential.user_id)?.is_none() {
            return Err(Error::new(ErrorCode::UserNotFound, "no such user"));
        }
        let credential_id = base64url::decode_canonical(&credential.credential_id, "credentialId")?;
        if credential_id.is_empty() || credential_id.len() > 1023 {
            return Err(Error::invalid_request("credentialId must be 1 to 1023 bytes"));
        }
        let key_bytes = base64url::decode(&credential.public_key, "publicKey")?;
        let (public_key, u2f, default_name) = match credential.format.as_str() {
            "u2f" => (cose_from_u2f_point(&key_bytes)?, true, "Security key"),
            "webauthn" => (key_bytes, false, "Passkey"),
            other => return Err(Error::invalid_request(format!("format must be 'u2f' or 'webauthn', not '{other}'"))),
        };
        let parsed = crate::key_cache::public_key(&public_key)
            .map_err(|_| Error::invalid_request("publicKey is not a COSE key kavach can verify with"))?;
        let algorithm = parsed.algorithm();
        if !self.settings.algorithms.contains(&algorithm) {
            return Err(Error::invalid_request(format!(
                "publicKey is a {algorithm} key, which passkey.algorithms does not accept"
            )));
        }
        if u2f && credential.backup_eligible {
            return Err(Error::invalid_request("a u2f credential is never backup eligible"));
        }
        // Only transports browsers know, once each: the sign-in options list them, and anything
        // else would tell a real account's credentials from the made-up ones of an unknown email.
        let mut transports: Vec<String> = Vec::new();
        for transport in &credential.transports {
            if KNOWN_TRANSPORTS.contains(&transport.as_str()) && !transports.contains(transport) {
                transports.push(transport.clone());
            }
        }
        let name = match &credential.name {
            Some(name) => validate_display_name(name, "name")?,
            None => default_name.to_owned(),
        };
        let user_handle = credential
            .user_handle
            .as_deref()
            .map(|handle| base64url::decode(handle, "userHandle"))
            .transpose()?
            .filter(|handle| !handle.is_empty());
        if user_handle.as_ref().is_some_and(|h| h.len() > 64) {
            return Err(Error::invalid_request("userHandle must be at most 64 bytes (WebAuthn user.id)"));
        }
        let now = self.now();
        let record = CredentialRecord {
            credential_id,
            user_id: credential.user_id.clone(),
            name,
            public_key,
            algorithm: algorithm.id(),
            counter: credential.counter,
            aaguid: [0; 16],
            backup_eligible: credential.backup_eligible,
            backup_state: false,
            transports,
            attestation_format: "none".to_owned(),
            attestation_trust: "none".to_owned(),
            attestation_root: None,
            attestation_source: None,
            aaguid_attested: false,
            created_at: now,
            last_used_at: None,
            discoverable: if u2f { Some(false) } else { None },
            prf_enabled: false,
            clone_warning: false,
            created_by: CreatedBy::Import,
            u2f,
            user_handle,
        };
        let events =
            [Event::new(EventType::CredentialImported, now).user(&record.user_id).credential(&record.credential_id)];
        match self.store.insert_credential(&record, None, now, &self.audit(&events))? {
            InsertOutcome::Inserted => {
                self.publish(events.into());
                Ok(Credential::from(&record))
            }
            InsertOutcome::CredentialExists => {
                Err(Error::new(ErrorCode::CredentialExists, "this passkey is already registered"))
            }
            InsertOutcome::ChallengeUsed => Err(Error::internal("import consumed no challenge")),
        }
    }
}

/// A U2F public key (the uncompressed P-256 point) as the COSE_Key WebAuthn would have sent:
/// `{1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}`.
fn cose_from_u2f_point(point: &[u8]) -> Result<Vec<u8>> {
    let [0x04, coordinates @ ..] = point else {
        return Err(Error::invalid_request("a u2f publicKey is the 65-byte uncompressed point 04 || x || y"));
    };
    if coordinates.len() != 64 {
        return Err(Error::invalid_request("a u2f publicKey is the 65-byte uncompressed point 04 || x || y"));
    }
    let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend_from_slice(&coordinates[..32]);
    cose.extend_from_slice(&[0x22, 0x58, 0x20]);
    cose.extend_from_slice(&coordinates[32..]);
    Ok(cose)
}
