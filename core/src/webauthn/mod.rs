//! The WebAuthn Level 3 protocol, written from the specification
//! (<https://www.w3.org/TR/webauthn-3/>): the JSON shapes browsers exchange, client data,
//! authenticator data, COSE public keys, signatures and attestation statements.
//!
//! Nothing here touches storage or sessions: [`crate::verify`] composes these pieces into the
//! ceremony checks of §7.1 and §7.2, and [`crate::passkey`] adds state around them.

pub(crate) mod algorithms;
pub(crate) mod attestation;
pub(crate) mod authenticator_data;
pub(crate) mod client_data;
pub(crate) mod cose;
pub mod options;
pub(crate) mod response;

pub(crate) use authenticator_data::{AttestedCredentialData, AuthenticatorData, Flags};
pub(crate) use cose::{CoseAlgorithm, CredentialPublicKey};

/// The verification step that failed, named so that callers (and tests) can tell checks apart
/// without parsing messages. The string forms from [`Check::as_str`] are stable.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// `type` of the credential is not `public-key`.
    CredentialType,
    /// `id` and `rawId` differ, or the credential id is malformed.
    CredentialId,
    /// `clientDataJSON.type` is not the ceremony's (`webauthn.create` / `webauthn.get`).
    ClientDataType,
    /// `clientDataJSON.challenge` is not the one issued.
    Challenge,
    /// `clientDataJSON.origin` is not an allowed origin.
    Origin,
    /// `clientDataJSON.crossOrigin` is true but cross-origin use is not allowed.
    CrossOrigin,
    /// `clientDataJSON.topOrigin` is not an allowed top-level origin.
    TopOrigin,
    /// `rpIdHash` in authenticator data is not SHA-256 of the RP ID.
    RpIdHash,
    /// The user-present flag is not set.
    UserPresence,
    /// User verification was required and the UV flag is not set.
    UserVerification,
    /// The BS flag is set without BE (§6.1: invalid combination).
    BackupFlags,
    /// The credential's algorithm was not offered in `pubKeyCredParams`.
    Algorithm,
    /// The credential public key is malformed or of an unsupported type.
    PublicKey,
    /// The assertion (or self-attestation) signature does not verify.
    Signature,
    /// Authenticator data is malformed (length, flags inconsistent with content).
    AuthenticatorData,
    /// The attestation object or statement is malformed or its signature does not verify.
    AttestationStatement,
    /// An attestation certificate does not meet the format's requirements, or its chain is
    /// invalid (expired, mis-signed, not issued by a CA).
    AttestationCertificate,
    /// The attestation is valid but the relying party's attestation policy refuses it (not
    /// verified, AAGUID not allowed, or a FIDO metadata status such as REVOKED).
    AttestationPolicy,
    /// The signature counter did not increase.
    Counter,
    /// `userHandle` is missing where required or names another user.
    UserHandle,
    /// The credential is not registered (or not one the ceremony allowed).
    UnknownCredential,
}

impl Check {
    /// Stable snake_case name of the check.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CredentialType => "credential_type",
            Self::CredentialId => "credential_id",
            Self::ClientDataType => "client_data_type",
            Self::Challenge => "challenge",
            Self::Origin => "origin",
            Self::CrossOrigin => "cross_origin",
            Self::TopOrigin => "top_origin",
            Self::RpIdHash => "rp_id_hash",
            Self::UserPresence => "user_presence",
            Self::UserVerification => "user_verification",
            Self::BackupFlags => "backup_flags",
            Self::Algorithm => "algorithm",
            Self::PublicKey => "public_key",
            Self::Signature => "signature",
            Self::AttestationPolicy => "attestation_policy",
            Self::AuthenticatorData => "authenticator_data",
            Self::AttestationStatement => "attestation_statement",
            Self::AttestationCertificate => "attestation_certificate",
            Self::Counter => "counter",
            Self::UserHandle => "user_handle",
            Self::UnknownCredential => "unknown_credential",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SHA-256, the hash WebAuthn uses for client data and RP IDs.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
