//! Base64url as WebAuthn JSON uses it (RFC 4648 §5).
//!
//! Decoding is strict about the alphabet and about canonical form (no stray trailing bits, no
//! whitespace, no `+` or `/`), so one byte string has one spelling and a mangled field is a clean
//! `INVALID_REQUEST` instead of a confusing hash mismatch later. Trailing `=` padding is tolerated
//! on binary fields because widely used clients have sent it; identifiers must be unpadded.

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};

use crate::error::{Error, Result};

const URL_SAFE_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a binary field; `field` names it in the error.
pub fn decode(value: &str, field: &str) -> Result<Vec<u8>> {
    URL_SAFE_PADDING_OPTIONAL
        .decode(value)
        .map_err(|_| Error::invalid_request(format!("{field} is not valid base64url")))
}

/// Decodes an identifier, which must be in canonical unpadded form: the string is the identity.
pub fn decode_canonical(value: &str, field: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| Error::invalid_request(format!("{field} is not canonical unpadded base64url")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_accepts_padding_on_binary_fields() {
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(decode("-_8", "f").unwrap(), b"\xfb\xff");
        assert_eq!(decode("-_8=", "f").unwrap(), b"\xfb\xff");
    }

    #[test]
    fn rejects_standard_alphabet_whitespace_and_trailing_bits() {
        for bad in ["+/8", "-_8 ", "-_9", "a", "-_8==="] {
            assert!(decode(bad, "f").is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_must_be_unpadded() {
        assert!(decode_canonical("-_8=", "id").is_err());
        assert_eq!(decode_canonical("-_8", "id").unwrap(), b"\xfb\xff");
    }
}
