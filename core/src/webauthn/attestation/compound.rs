//! `compound` attestation (WebAuthn Level 3 §8.9): two or more statements of other formats over the
//! same registration. Each one must verify; the credential records the strongest trust reached
//! and the strongest evidence of the model (a verified chain in any sub-statement shows what the
//! authenticator is).

use super::{AttestationObject, AttestationTrust, Context, Outcome, malformed, verify_statement};
use crate::error::Result;

pub(super) fn verify(
    object: &AttestationObject,
    client_data_hash: &[u8; 32],
    context: &Context<'_>,
) -> Result<Outcome> {
    if object.sub_statements.len() < 2 {
        return Err(malformed("compound: needs at least two statements"));
    }
    let mut best = Outcome::of(AttestationTrust::None);
    for (format, statement) in &object.sub_statements {
        if format == "compound" {
            return Err(malformed("compound: a statement may not itself be compound"));
        }
        let sub = AttestationObject {
            format: format.clone(),
            statement: statement.clone(),
            sub_statements: Vec::new(),
            auth_data_raw: object.auth_data_raw.clone(),
            auth_data: object.auth_data.clone(),
        };
        let outcome = verify_statement(&sub, client_data_hash, context).map_err(|e| {
            crate::error::Error::verification(
                e.check().unwrap_or(crate::webauthn::Check::AttestationStatement),
                format!("compound: {}", e.message()),
            )
        })?;
        // The strongest trust reached, and the strongest evidence of the model from any statement.
        let model = if outcome.model.rank() > best.model.rank() { outcome.model.clone() } else { best.model.clone() };
        if rank(outcome.trust) > rank(best.trust) {
            best = outcome;
        }
        best.model = model;
    }
    Ok(best)
}

fn rank(trust: AttestationTrust) -> u8 {
    match trust {
        AttestationTrust::None => 0,
        AttestationTrust::SelfAttestation => 1,
        AttestationTrust::Unverified => 2,
        AttestationTrust::Verified => 3,
    }
}
