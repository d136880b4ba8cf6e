//! Randomness: bytes from the system CSPRNG (aws-lc-rs), and the random UUIDs users and sessions
//! are identified by.

/// `N` bytes from the system CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG failing is not recoverable and not something to paper over with weaker
    // randomness: aws-lc aborts internally in that case rather than returning here.
    aws_lc_rs::rand::fill(&mut bytes).expect("system random number generator failed");
    bytes
}

/// A random (version 4) UUID string, used for user and session ids.
pub(crate) fn new_uuid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // An AAGUID is a UUID too: one formatter for both.
    crate::aaguid::format(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
