//! The parsers, exposed for the fuzz targets only (feature `fuzzing`). Their signatures are not
//! part of the stable API; production code goes through [`crate::verify`] and [`crate::Kavach`].

pub use crate::webauthn::attestation::{AttestationObject, AttestationTrust};
pub use crate::webauthn::cose::{CoseAlgorithm, CredentialPublicKey};
