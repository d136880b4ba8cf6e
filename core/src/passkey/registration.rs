//! Adding a passkey to the signed-in user (WebAuthn §7.1).

use serde::Deserialize;

use super::challenge::{Binding, Kind};
use super::challenge_invalid;
use super::{Credential, unwrap_response};
use crate::aaguid;
use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::kavach::{Authenticated, Kavach, validate_display_name};
use crate::store::{CreatedBy, CredentialRecord, InsertOutcome};
use crate::verify::{RegistrationExpectations, verify_registration_response_with};
use crate::webauthn::Check;
use crate::webauthn::options::{
    AuthenticatorAttachment, AuthenticatorSelection, CreationExtensions, CreationOptions, CredentialDescriptor, Hint,
    PubKeyCredParam, RelyingParty, UserEntity,
};

/// Optional body of `register/options`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterOptionsRequest {
    /// A name for the new passkey.
    #[serde(default)]
    pub name: Option<String>,
    /// Ask for a platform or a roaming authenticator.
    #[serde(default)]
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// Hints for this request instead of the configured ones (`passkey.hints`).
    #[serde(default)]
    pub hints: Option<Vec<Hint>>,
    /// `conditional`: options for a conditional create (automatic passkey upgrade, e.g. right
    /// after a password sign-in), whose response may come without a user gesture.
    #[serde(default)]
    pub mediation: Option<Mediation>,
}

/// `register/options {mediation}`: only `conditional` changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mediation {
    /// Conditional create.
    Conditional,
}

impl RegisterOptionsRequest {
    /// From a request body (`{}` or `{name?, authenticatorAttachment?, hints?, mediation?}`).
    pub fn from_value(mut body: serde_json::Value) -> Result<Self> {
        // Hints are checked on their own, so a bad one is named (and a repeat refused).
        let hints = match body.as_object_mut().and_then(|object| object.remove("hints")) {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(Hint::parse_list(&value, "hints").map_err(Error::invalid_request)?),
        };
        let request: Self = serde_json::from_value(body).map_err(|_| {
            Error::invalid_request(
                "body must be {} or {name?, authenticatorAttachment?, hints?, mediation?: 'conditional'}",
            )
        })?;
        Ok(Self { hints, ..request })
    }
}

impl Kavach {
    /// `POST /passkey/register/options`: creation options for the signed-in user.
    pub fn register_options(&self, auth: &Authenticated, request: &RegisterOptionsRequest) -> Result<CreationOptions> {
        let user = &auth.user;
        let name = request.name.as_deref().map(|n| validate_display_name(n, "name")).transpose()?;
        let exclude_credentials = self
            .store
            .credentials_of_user(&user.id)?
            .into_iter()
            .map(|c| CredentialDescriptor::new(base64url::encode(&c.credential_id), c.transports))
            .collect();
        let challenge = match request.mediation {
            None => self.issue_challenge(Kind::Registration, Binding::User(&user.id), name.as_deref()),
            Some(Mediation::Conditional) if self.settings.platform.conditional_create => {
                self.issue_conditional_challenge(Binding::User(&user.id), name.as_deref())
            }
            Some(Mediation::Conditional) => {
                return Err(Error::invalid_request(
                    "mediation 'conditional' is not enabled here (passkey.conditionalCreate is off, or \
                     userVerification is 'required')",
                ));
            }
        };
        Ok(CreationOptions {
            rp: RelyingParty { name: self.settings.rp_name.clone(), id: self.settings.rp_id.as_str().to_owned() },
            user: UserEntity {
                id: base64url::encode(&user.webauthn_user_id),
                name: user.email.clone(),
                display_name: user.name.clone().unwrap_or_else(|| user.email.clone()),
            },
            challenge,
            pub_key_cred_params: PubKeyCredParam::list(&self.settings.algorithms),
            timeout: self.settings.timeout_ms,
            exclude_credentials,
            authenticator_selection: AuthenticatorSelection {
                authenticator_attachment: request.authenticator_attachment,
                resident_key: "preferred",
                require_resident_key: false,
                user_verification: self.settings.user_verification,
            },
            attestation: self.settings.attestation,
            extensions: CreationExtensions {
                cred_props: true,
                prf: self.settings.platform.prf.then(|| serde_json::json!({})),
            },
            hints: request.hints.clone().unwrap_or_else(|| self.settings.hints.clone()),
        })
    }

    /// `POST /passkey/register/verify`: verifies the attestation and stores the credential for
    /// the signed-in user. Nothing in the body can name another user: the challenge is bound to
    /// the session's user when it is issued.
    pub fn register_verify(&self, auth: &Authenticated, body: &serde_json::Value) -> Result<Credential> {
        let (response, wrapper) = unwrap_response(body)?;
        let requested_name = match wrapper.and_then(|w| w.get("name")) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(name)) => Some(validate_display_name(name, "name")?),
            Some(_) => return Err(Error::invalid_request("name must be a string")),
        };
        let challenge = self.open_challenge(response, Kind::Registration)?;
        if !self.challenge_keys.is_bound_to(&challenge, Binding::User(&auth.user.id)) {
            // Issued to another user's session.
            return Err(challenge_invalid());
        }
        let now = self.now();
        let attestation = crate::verify::AttestationOptions {
            verification_time_ms: Some(now),
            metadata: self.current_metadata(),
            ..self.settings.attestation_options.clone()
        };
        let verified = verify_registration_response_with(
            response,
            &RegistrationExpectations {
                challenge: &challenge.text,
                origins: &self.settings.origins,
                rp_id: &self.settings.rp_id,
                require_user_verification: self.requires_user_verification() || challenge.user_verification_required,
                require_user_presence: !challenge.conditional,
                algorithms: &self.settings.algorithms,
                top_origins: &self.settings.top_origins,
            },
            &attestation,
            &self.settings.attestation_policy,
        )
        .map_err(|err| match err.check() {
            // The statement verified; the policy refused it: the challenge is spent.
            Some(Check::AttestationPolicy) => self.burnt(&challenge, err),
            _ => err,
        })?;

        let record = CredentialRecord {
            credential_id: verified.credential_id,
            user_id: auth.user.id.clone(),
            name: requested_name
                .or_else(|| challenge.name.clone())
                .unwrap_or_else(|| default_name(&verified.aaguid, &attestation)),
            public_key: verified.public_key,
            algorithm: verified.algorithm.id(),
            counter: verified.counter,
            aaguid: verified.aaguid,
            backup_eligible: verified.flags.backup_eligible,
            backup_state: verified.flags.backed_up,
            transports: verified.transports,
            attestation_format: verified.attestation.format.clone(),
            attestation_trust: verified.attestation.trust.as_str().to_owned(),
            attestation_root: verified.attestation.anchor.as_ref().map(|a| a.name.clone()),
            attestation_source: verified.attestation.anchor.as_ref().map(|a| a.source.as_str().to_owned()),
            aaguid_attested: verified.attestation.attested_aaguid().is_some(),
            created_at: now,
            last_used_at: None,
            discoverable: verified.discoverable,
            prf_enabled: verified.prf_enabled,
            clone_warning: false,
            created_by: if challenge.conditional { CreatedBy::Conditional } else { CreatedBy::Registration },
            u2f: false,
            user_handle: None,
        };
        let events =
            [Event::new(EventType::PasskeyRegistered, now).user(&record.user_id).credential(&record.credential_id)];
        match self.store.insert_credential(&record, Some(&challenge.usage()), now, &self.audit(&events))? {
            InsertOutcome::Inserted => {
                self.publish(events.into());
                Ok(Credential::from(&record))
            }
            InsertOutcome::ChallengeUsed => Err(challenge_invalid()),
            InsertOutcome::CredentialExists => {
                Err(self
                    .burnt(&challenge, Error::new(ErrorCode::CredentialExists, "this passkey is already registered")))
            }
        }
    }
}

/// The authenticator's name from the AAGUID list, else from the FIDO metadata, else "Passkey".
fn default_name(aaguid: &[u8; 16], attestation: &crate::verify::AttestationOptions) -> String {
    let listed = aaguid::authenticator_name(aaguid);
    if listed != aaguid::FALLBACK_NAME {
        return listed.to_owned();
    }
    attestation
        .metadata
        .as_deref()
        .and_then(|m| m.entry(aaguid))
        .map_or_else(|| listed.to_owned(), |entry| entry.description.clone())
}
