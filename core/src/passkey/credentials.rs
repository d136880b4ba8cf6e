//! Listing, renaming and deleting the signed-in user's passkeys.

use serde::Serialize;

use crate::aaguid;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::kavach::{Authenticated, Kavach, validate_display_name};
use crate::store::{CredentialRecord, DeleteOutcome};
use crate::time;

/// A passkey as the API shows it (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// The WebAuthn credential ID, base64url: one identifier everywhere.
    pub id: String,
    /// Human name.
    pub name: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC; null until first use.
    pub last_used_at: Option<String>,
    /// `multiDevice` (synced, BE flag) or `singleDevice`.
    pub device_type: &'static str,
    /// BS flag at the last ceremony.
    pub backed_up: bool,
    /// Transport hints.
    pub transports: Vec<String>,
    /// Authenticator model, dashed lowercase.
    pub aaguid: String,
    /// What the attestation at registration established.
    pub attestation: AttestationInfo,
    /// Whether the credential is discoverable (signs in without an email), as the client
    /// reported at registration (`credProps.rk`); null when it did not say.
    pub discoverable: Option<bool>,
    /// The authenticator enabled the PRF extension for it (`passkey.prf`).
    pub prf_enabled: bool,
    /// A sign-in saw its signature counter go backwards (`counterPolicy: 'flag'`): it may have
    /// been cloned.
    pub clone_warning: bool,
    /// `registration`, `conditional` (automatic passkey upgrade) or `import`.
    pub created_by: &'static str,
}

/// `Credential.attestation`: `{format, trust, root, source, aaguidAttested}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationInfo {
    /// Statement format: `none`, `packed`, `fido-u2f`, `tpm`, `android-key`, `android-safetynet`,
    /// `apple`, `compound`.
    pub format: String,
    /// `none`, `self`, `unverified` or `verified`.
    pub trust: String,
    /// With `verified`: the trust anchor's name; otherwise null.
    pub root: Option<String>,
    /// With `verified`: where the anchor came from, `bundled`, `configured` or `mds`; otherwise
    /// null (and null for credentials registered before kavach recorded it).
    pub source: Option<String>,
    /// Whether the attestation proves `aaguid` (rather than the authenticator claiming it).
    pub aaguid_attested: bool,
}

impl From<&CredentialRecord> for Credential {
    fn from(record: &CredentialRecord) -> Self {
        Self {
            id: base64url::encode(&record.credential_id),
            name: record.name.clone(),
            created_at: time::iso8601(record.created_at),
            last_used_at: record.last_used_at.map(time::iso8601),
            device_type: if record.backup_eligible { "multiDevice" } else { "singleDevice" },
            backed_up: record.backup_state,
            transports: record.transports.clone(),
            aaguid: aaguid::format(&record.aaguid),
            attestation: AttestationInfo {
                format: record.attestation_format.clone(),
                trust: record.attestation_trust.clone(),
                root: record.attestation_root.clone(),
                source: record.attestation_source.clone(),
                aaguid_attested: record.aaguid_attested,
            },
            discoverable: record.discoverable,
            prf_enabled: record.prf_enabled,
            clone_warning: record.clone_warning,
            created_by: record.created_by.as_str(),
        }
    }
}

impl Kavach {
    /// `GET /passkey/credentials`: the user's passkeys, newest first.
    pub fn list_credentials(&self, auth: &Authenticated) -> Result<Vec<Credential>> {
        Ok(self.store.credentials_of_user(&auth.user.id)?.iter().map(Credential::from).collect())
    }

    /// The Signal API payloads that keep the user's passkey manager in step with this list
    /// (`PublicKeyCredential.signalAllAcceptedCredentials` and `signalCurrentUserDetails`):
    /// `userId` is the WebAuthn user handle, `name` and `displayName` those `register/options`
    /// offers. The router adds them to the list and delete answers.
    pub fn credential_signals(&self, auth: &Authenticated, credentials: &[Credential]) -> serde_json::Value {
        let rp_id = self.settings.rp_id.as_str();
        let user_id = base64url::encode(&auth.user.webauthn_user_id);
        serde_json::json!({
            "allAcceptedCredentials": {
                "rpId": rp_id,
                "userId": user_id,
                "allAcceptedCredentialIds": credentials.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            },
            "currentUserDetails": {
                "rpId": rp_id,
                "userId": user_id,
                "name": auth.user.email,
                "displayName": auth.user.name.as_deref().unwrap_or(&auth.user.email),
            },
        })
    }

    /// `PATCH /passkey/credentials/:id`: renames one of the user's passkeys.
    pub fn rename_credential(&self, auth: &Authenticated, id: &str, name: &str) -> Result<Credential> {
        let name = validate_display_name(name, "name")?;
        let credential_id = decode_id(id)?;
        let events = [Event::new(EventType::PasskeyRenamed, self.now()).user(&auth.user.id).credential(&credential_id)];
        let renamed = self
            .store
            .rename_credential(&auth.user.id, &credential_id, &name, &self.audit(&events))?
            .as_ref()
            .map(Credential::from)
            .ok_or_else(not_found)?;
        self.publish(events.into());
        Ok(renamed)
    }

    /// `DELETE /passkey/credentials/:id`. Another user's credential is "not found": the answer
    /// does not reveal that it exists. The last passkey is kept unless the host allows otherwise.
    pub fn delete_credential(&self, auth: &Authenticated, id: &str) -> Result<()> {
        let credential_id = decode_id(id)?;
        let allow_last = self.settings.allow_deleting_last_passkey || auth.user.has_other_sign_in;
        let events = [Event::new(EventType::PasskeyDeleted, self.now()).user(&auth.user.id).credential(&credential_id)];
        match self.store.delete_credential(&auth.user.id, &credential_id, allow_last, &self.audit(&events))? {
            DeleteOutcome::Deleted => {
                self.publish(events.into());
                Ok(())
            }
            DeleteOutcome::NotFound => Err(not_found()),
            DeleteOutcome::LastCredential => Err(Error::new(
                ErrorCode::LastCredential,
                "this is your only passkey: add another way to sign in before removing it",
            )),
        }
    }
}

fn decode_id(id: &str) -> Result<Vec<u8>> {
    base64url::decode_canonical(id, "credential id")
}

fn not_found() -> Error {
    Error::new(ErrorCode::CredentialNotFound, "no such passkey")
}
