//! Base64url as WebAuthn JSON uses it (RFC 4648 §5).
//!
//! Identifiers (`id`, `rawId`, credential ids in the API) are strict: canonical unpadded
//! base64url, so one credential has one spelling everywhere ([`decode_canonical`]).
//!
//! The signed binary fields of a response (`clientDataJSON`, `attestationObject`,
//! `authenticatorData`, `signature`) are read by [`decode_signed`]: base64url, or the standard
//! alphabet (`+` `/`, RFC 4648 §4) that some non-browser clients and older tooling emit, one
//! alphabet per string, `=` padding optional. Every check runs on the decoded bytes, and these
//! bytes are covered by the signature or the attestation, so another spelling of them cannot
//! change what is verified; refusing it only refused real authenticators (a Windows Hello TPM
//! registration in the conformance vectors). Why, and what stays strict: docs/algorithms.md.
//!
//! Decoding is strict everywhere else: canonical form (no stray trailing bits, no whitespace), no
//! mixed alphabets, so a mangled field is a clean `INVALID_REQUEST` instead of a confusing hash
//! mismatch later. Trailing `=` padding is tolerated on binary fields because widely used clients
//! have sent it; identifiers must be unpadded.

use base64::Engine;
use base64::alphabet::{STANDARD, URL_SAFE};
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};

use crate::error::{Error, Result};

const URL_SAFE_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const STANDARD_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a binary field; `field` names it in the error.
pub(crate) fn decode(value: &str, field: &str) -> Result<Vec<u8>> {
    URL_SAFE_PADDING_OPTIONAL
        .decode(value)
        .map_err(|_| Error::invalid_request(format!("{field} is not valid base64url")))
}

/// Decodes a signed binary field of a response (module docs): base64url, or standard base64 if the
/// string uses `+` or `/` (then `-` and `_` are refused: one alphabet per string).
pub(crate) fn decode_signed(value: &str, field: &str) -> Result<Vec<u8>> {
    if !value.contains(['+', '/']) {
        return decode(value, field);
    }
    STANDARD_PADDING_OPTIONAL
        .decode(value)
        .map_err(|_| Error::invalid_request(format!("{field} is not valid base64url or base64")))
}

/// Decodes an identifier, which must be in canonical unpadded form: the string is the identity.
pub(crate) fn decode_canonical(value: &str, field: &str) -> Result<Vec<u8>> {
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
    fn signed_fields_also_take_the_standard_alphabet_one_alphabet_per_string() {
        let bytes = b"\xfb\xff\xbf";
        assert_eq!(decode_signed("-_-_", "f").unwrap(), bytes);
        assert_eq!(decode_signed("+/+/", "f").unwrap(), bytes, "the same bytes in RFC 4648 §4");
        assert_eq!(decode_signed("+/8=", "f").unwrap(), b"\xfb\xff", "padded");
        for bad in ["+_8", "-/8", "+/8 ", "+/9", "+/8===", "+/8=x"] {
            let err = decode_signed(bad, "response.signature").unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidRequest, "{bad}");
        }
        assert!(decode_signed("+_8", "f").unwrap_err().message().contains("not valid base64url or base64"));
        // Identifiers and the other binary fields keep the strict alphabet.
        assert!(decode("+/8", "f").is_err());
        assert!(decode_canonical("+/8", "id").is_err());
    }

    #[test]
    fn identifiers_must_be_unpadded() {
        assert!(decode_canonical("-_8=", "id").is_err());
        assert_eq!(decode_canonical("-_8", "id").unwrap(), b"\xfb\xff");
    }
}
