//! The attestation policy (`passkey.attestationPolicy`): which attestations a relying party
//! accepts, decided on the facts attestation verification established.

use super::{AttestationTrust, AttestedAaguid, Metadata, VerifiedRegistration};
use crate::error::{Error, Result};
use crate::webauthn::Check;
use crate::webauthn::attestation::ModelEvidence;

/// What attestation a relying party accepts (configuration `passkey.attestationPolicy`).
///
/// `allowed_aaguids` is matched against the model the attestation *proves* (an
/// [`AttestedAaguid`]), never the one the authenticator merely claims: with it, only
/// authenticators whose attestation names a listed model may register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestationPolicy {
    /// Refuse every registration whose attestation did not chain to a trusted root
    /// (`none`, `self` and `unverified` included).
    pub require_verified: bool,
    /// If non-empty, only these authenticator models (AAGUIDs), attested, may register.
    pub allowed_aaguids: Vec<[u8; 16]>,
}

impl AttestationPolicy {
    /// Checks a verified registration against the policy and the metadata's status reports.
    ///
    /// A metadata status (REVOKED, a compromise) refuses the registration when it applies to any
    /// model the attestation leaves possible: the proven one; every model that shares the root
    /// the chain reached; or, when nothing is proven, the claimed one (an honest authenticator of
    /// a revoked model says what it is; a dishonest one can claim anything, which is why nothing
    /// but a proven model can pass `allowedAaguids`).
    pub fn check(&self, registration: &VerifiedRegistration, metadata: Option<&Metadata>) -> Result<()> {
        let refuse = |why: String| Err(Error::verification(Check::AttestationPolicy, why));
        let attestation = &registration.attestation;
        if let Some(metadata) = metadata {
            let possible = match &attestation.model {
                ModelEvidence::Attested(aaguid) => vec![*aaguid.bytes()],
                ModelEvidence::OneOf(models) => models.clone(),
                ModelEvidence::Unproven => vec![registration.aaguid],
            };
            if let Some(why) = possible.iter().find_map(|aaguid| metadata.refusal(aaguid)) {
                return refuse(format!("attestation policy: {why}"));
            }
        }
        if self.require_verified && attestation.trust != AttestationTrust::Verified {
            return refuse(format!(
                "attestation policy requires a verified attestation chain; this {} attestation is {}",
                attestation.format,
                attestation.trust.as_str()
            ));
        }
        if !self.allowed_aaguids.is_empty() {
            let claimed = crate::aaguid::format(&registration.aaguid);
            match attestation.attested_aaguid() {
                Some(attested) if self.allows(&attested) => {}
                Some(_) => {
                    return refuse(format!(
                        "attestation policy: authenticator model {claimed} is not in allowedAaguids"
                    ));
                }
                None => {
                    return refuse(format!(
                        "attestation policy: authenticator model {claimed} is not attested (allowedAaguids needs an \
                         attestation that names the model: a verified chain whose certificate carries it, or a FIDO \
                         metadata root of that model alone)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether a proven model is one of `allowed_aaguids`.
    fn allows(&self, aaguid: &AttestedAaguid) -> bool {
        self.allowed_aaguids.contains(aaguid.bytes())
    }
}
