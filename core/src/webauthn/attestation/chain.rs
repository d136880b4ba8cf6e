//! Certification path validation for attestation chains (WebAuthn §7.1 steps 23-24, RFC 5280 §6.1
//! restricted to what attestation needs): `x5c` is `[leaf, intermediates...]`, optionally ending with
//! a root; the path must be internally sound, and it is trusted if it ends at (or is issued by) a
//! trust anchor for the format.
//!
//! What is checked, for every certificate: validity at the verification time; for each link: the
//! issuer's name equals the certificate's issuer name, the issuer's signature over the TBS bytes
//! verifies (SHA-1 refused), the issuer is a CA (basicConstraints cA=TRUE) whose keyUsage (if present)
//! allows keyCertSign and whose pathLenConstraint allows the intermediates below it. The anchor is
//! held to the same rules. Not checked: name constraints, policies and revocation (attestation CAs
//! do not use the first two; FIDO MDS status reports stand in for revocation).
//!
//! A broken path is an error whatever the policy: an authenticator that presents an expired or
//! mis-signed chain is not one to record as anything. A sound path that reaches no anchor is
//! `unverified`, and the attestation policy decides whether that is enough.

use x509_parser::certificate::X509Certificate;

use super::certificate::{self, bad_cert};
use super::roots::TrustAnchor;
use crate::error::{Error, Result};
use crate::webauthn::Check;

/// Validates `chain` (leaf first) at `now_ms`; returns the anchor it reaches, if any.
pub(super) fn validate<'a>(
    chain: &[X509Certificate<'_>],
    chain_der: &[&[u8]],
    anchors: impl IntoIterator<Item = &'a TrustAnchor>,
    now_ms: i64,
) -> Result<Option<&'a TrustAnchor>> {
    if chain.is_empty() || chain.len() != chain_der.len() {
        return Err(bad_cert("attestation certificate chain is empty"));
    }
    if chain.len() > 8 {
        return Err(bad_cert("attestation certificate chain is longer than 8 certificates"));
    }
    for (index, cert) in chain.iter().enumerate() {
        certificate::check_validity(cert, now_ms).map_err(|e| at(e, index))?;
    }
    for (index, pair) in chain.windows(2).enumerate() {
        // `index` certificates below the issuer are CAs (all but the leaf): its pathLen must allow index.
        check_link(&pair[0], &pair[1], index).map_err(|e| at(e, index + 1))?;
    }

    let last = chain.last().expect("chain is not empty");
    let last_der = *chain_der.last().expect("chain is not empty");
    let intermediates_below_anchor = chain.len() - 1;
    // A chain that names a trusted root as its issuer but fails that root's checks is forged or
    // damaged, not merely untrusted: that is reported, unless another anchor vouches for it.
    let mut named_anchor_failure = None;
    for anchor in anchors {
        let Ok(root) = certificate::parse(anchor.der()) else { continue };
        if certificate::check_validity(&root, now_ms).is_err() {
            continue; // an expired anchor vouches for nothing; a successor may
        }
        // The path may end with the root itself...
        if anchor.der() == last_der {
            return Ok(Some(anchor));
        }
        // ...or with a certificate the root issued.
        match check_link(last, &root, intermediates_below_anchor) {
            Ok(()) => return Ok(Some(anchor)),
            Err(e) if last.issuer().as_raw() == root.subject().as_raw() => named_anchor_failure = Some(e),
            Err(_) => {}
        }
    }
    match named_anchor_failure {
        Some(err) => Err(at(err, chain.len() - 1)),
        None => Ok(None),
    }
}

/// `cert` was issued by `issuer`, a CA allowed `cas_below` intermediate CAs beneath it.
fn check_link(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>, cas_below: usize) -> Result<()> {
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(bad_cert("attestation certificate issuer does not match the next certificate's subject"));
    }
    certificate::verify_issued_by(cert, issuer)?;
    match issuer.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => {
            if let Some(limit) = bc.value.path_len_constraint
                && cas_below > limit as usize
            {
                return Err(bad_cert("attestation chain is longer than an issuer's pathLenConstraint allows"));
            }
        }
        Ok(_) => return Err(bad_cert("attestation certificate issuer is not a CA (basicConstraints)")),
        Err(_) => return Err(bad_cert("attestation certificate basic constraints are malformed")),
    }
    match issuer.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => {
            Err(bad_cert("attestation certificate issuer's keyUsage does not allow certificate signing"))
        }
        Ok(_) => Ok(()),
        Err(_) => Err(bad_cert("attestation certificate key usage is malformed")),
    }
}

/// Names the certificate (`x5c[i]`) in a chain error, keeping the message's start stable.
fn at(err: Error, index: usize) -> Error {
    Error::verification(
        err.check().unwrap_or(Check::AttestationCertificate),
        format!("{} (x5c[{index}])", err.message()),
    )
}
