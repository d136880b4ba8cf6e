//! `PublicKeyCredentialCreationOptionsJSON` and `PublicKeyCredentialRequestOptionsJSON`
//! (WebAuthn §5.4, §5.5, in their JSON forms), exactly as `@simplewebauthn/browser`'s
//! `startRegistration({optionsJSON})` / `startAuthentication({optionsJSON})` take them.

use serde::Serialize;

use super::cose::CoseAlgorithm;

/// `attestation` conveyance preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationConveyance {
    /// Do not ask for attestation (the default; browsers strip it anyway).
    None,
    /// Accept an anonymized attestation.
    Indirect,
    /// Ask for the authenticator's attestation as generated.
    Direct,
}

/// `userVerification` requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerification {
    /// The ceremony fails unless the UV flag is set.
    Required,
    /// Ask for UV but accept without it.
    Preferred,
    /// Do not ask for UV.
    Discouraged,
}

/// `authenticatorAttachment` hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthenticatorAttachment {
    /// Built into the device (Touch ID, Windows Hello, Android).
    Platform,
    /// A roaming authenticator (security key, phone over hybrid).
    CrossPlatform,
}

/// A `PublicKeyCredentialHint` (WebAuthn Level 3): which kind of authenticator the browser
/// should lead with, most preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hint {
    /// A roaming security key.
    SecurityKey,
    /// The device's own (platform) authenticator.
    ClientDevice,
    /// A phone, over hybrid transport (QR code).
    Hybrid,
}

impl Hint {
    /// Every hint, by its WebAuthn name.
    pub const NAMES: &'static str = "'security-key', 'client-device' or 'hybrid'";

    /// Parses a list of hints, refusing unknown names and repeats; `what` names the list.
    pub fn parse_list(value: &serde_json::Value, what: &str) -> Result<Vec<Hint>, String> {
        let list: Vec<Hint> =
            serde_json::from_value(value.clone()).map_err(|_| format!("{what} must be a list of {}", Self::NAMES))?;
        for (i, hint) in list.iter().enumerate() {
            if list[..i].contains(hint) {
                return Err(format!("{what} lists a hint twice"));
            }
        }
        Ok(list)
    }
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialDescriptor {
    /// Base64url credential ID.
    pub id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: &'static str,
    /// Transport hints; always present (empty when the client reported none), so that a real
    /// user's descriptors and the anti-enumeration fakes have the same members.
    pub transports: Vec<String>,
}

impl CredentialDescriptor {
    /// A descriptor for a credential ID.
    pub fn new(id: String, transports: Vec<String>) -> Self {
        Self { id, credential_type: "public-key", transports }
    }
}

/// `PublicKeyCredentialCreationOptionsJSON`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    /// `{name, id}` of the relying party.
    pub rp: RelyingParty,
    /// The user entity: `id` is the opaque WebAuthn user handle, never the account id or email.
    pub user: UserEntity,
    /// Base64url challenge.
    pub challenge: String,
    /// Offered algorithms, in preference order.
    pub pub_key_cred_params: Vec<PubKeyCredParam>,
    /// Milliseconds.
    pub timeout: u32,
    /// The user's existing credentials, so an authenticator does not register twice.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    /// Authenticator selection criteria.
    pub authenticator_selection: AuthenticatorSelection,
    /// Attestation conveyance.
    pub attestation: AttestationConveyance,
    /// Client extensions; `credProps` tells us whether a discoverable credential was made.
    pub extensions: CreationExtensions,
    /// Which authenticators to lead with; omitted when none were configured or asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<Hint>,
}

/// `PublicKeyCredentialRpEntity`.
#[derive(Debug, Clone, Serialize)]
pub struct RelyingParty {
    /// Human-palatable name.
    pub name: String,
    /// RP ID.
    pub id: String,
}

/// `PublicKeyCredentialUserEntityJSON`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntity {
    /// Base64url user handle.
    pub id: String,
    /// Account name (the email).
    pub name: String,
    /// Display name.
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Debug, Clone, Serialize)]
pub struct PubKeyCredParam {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: &'static str,
    /// COSE algorithm identifier.
    pub alg: i64,
}

impl PubKeyCredParam {
    /// Every algorithm kavach verifies, in the default preference order.
    pub fn all() -> Vec<Self> {
        Self::list(&CoseAlgorithm::ALL)
    }

    /// These algorithms, in this order (the configured `passkey.algorithms`).
    pub fn list(algorithms: &[CoseAlgorithm]) -> Vec<Self> {
        algorithms.iter().map(|alg| Self { credential_type: "public-key", alg: alg.id() }).collect()
    }
}

/// `AuthenticatorSelectionCriteria`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    /// Omitted unless the caller asked for one kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// `preferred`: a passkey where the authenticator can, a plain credential otherwise.
    pub resident_key: &'static str,
    /// Level 1 spelling of `residentKey`, kept for older browsers.
    pub require_resident_key: bool,
    /// UV requirement.
    pub user_verification: UserVerification,
}

/// Client extension inputs for registration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationExtensions {
    /// Ask the client whether the credential is discoverable.
    pub cred_props: bool,
    /// `{}` when `passkey.prf` is on: ask the authenticator to enable PRF for the credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prf: Option<serde_json::Value>,
}

/// Client extension inputs for authentication; omitted when there are none.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestExtensions {
    /// The FIDO U2F AppID (`passkey.appid`), so credentials registered with U2F still sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// PRF inputs from the host (`eval`, `evalByCredential`: base64url salts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prf: Option<serde_json::Value>,
}

impl RequestExtensions {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.appid.is_none() && self.prf.is_none()
    }
}

/// `PublicKeyCredentialRequestOptionsJSON`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    /// Base64url challenge.
    pub challenge: String,
    /// Milliseconds.
    pub timeout: u32,
    /// RP ID.
    pub rp_id: String,
    /// Empty for usernameless (discoverable) sign-in and conditional UI.
    pub allow_credentials: Vec<CredentialDescriptor>,
    /// UV requirement.
    pub user_verification: UserVerification,
    /// Which authenticators to lead with; omitted when none were configured or asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<Hint>,
    /// `appid` and PRF inputs; omitted when there are none.
    #[serde(skip_serializing_if = "RequestExtensions::is_empty")]
    pub extensions: RequestExtensions,
}
