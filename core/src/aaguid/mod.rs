//! Authenticator names by AAGUID, used to name a passkey when the user gives none.
//!
//! The table is for naming only, never for security decisions (that is what attestation is for):
//! an unknown or undisclosed (all-zero) AAGUID simply gives the fallback name.

mod names;

/// The name used when the authenticator is unknown.
pub(crate) const FALLBACK_NAME: &str = "Passkey";

/// The authenticator's common name, or [`FALLBACK_NAME`].
pub(crate) fn authenticator_name(aaguid: &[u8; 16]) -> &'static str {
    names::NAMES
        .binary_search_by(|(key, _)| key.cmp(aaguid))
        .map(|index| names::NAMES[index].1)
        .unwrap_or(FALLBACK_NAME)
}

/// The dashed lowercase form, e.g. `fbfc3007-154e-4ecc-8c0b-6e020557d7bd`.
pub(crate) fn format(aaguid: &[u8; 16]) -> String {
    let hex: String = aaguid.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_names_known_providers() {
        assert!(names::NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        let windows_hello =
            [0x08, 0x98, 0x70, 0x58, 0xca, 0xdc, 0x4b, 0x81, 0xb6, 0xe1, 0x30, 0xde, 0x50, 0xdc, 0xbe, 0x96];
        assert_eq!(authenticator_name(&windows_hello), "Windows Hello");
        assert_eq!(format(&windows_hello), "08987058-cadc-4b81-b6e1-30de50dcbe96");
    }

    #[test]
    fn unknown_and_zero_aaguids_get_the_fallback() {
        assert_eq!(authenticator_name(&[0; 16]), FALLBACK_NAME);
        assert_eq!(authenticator_name(&[0xff; 16]), FALLBACK_NAME);
    }
}
