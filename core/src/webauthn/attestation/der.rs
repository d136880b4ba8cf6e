//! A minimal DER reader for the attestation extensions x509-parser does not decode (Android's key
//! description, Apple's nonce): definite lengths only, high tag numbers supported, no
//! interpretation beyond tag, class and content.

/// One TLV.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    /// 0 universal, 1 application, 2 context-specific, 3 private.
    pub(super) class: u8,
    pub(super) tag: u32,
    pub(super) content: &'a [u8],
}

pub(super) const INTEGER: u32 = 2;
pub(super) const OCTET_STRING: u32 = 4;
pub(super) const ENUMERATED: u32 = 10;
pub(super) const SEQUENCE: u32 = 16;
pub(super) const SET: u32 = 17;

/// Reads one TLV from the front of `input`; returns it and the rest.
pub(super) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&first, mut rest) = input.split_first()?;
    let class = first >> 6;
    let mut tag = u32::from(first & 0x1f);
    if tag == 0x1f {
        tag = 0;
        loop {
            let (&b, r) = rest.split_first()?;
            rest = r;
            if tag > (u32::MAX >> 7) {
                return None;
            }
            tag = (tag << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let (&len_byte, r) = rest.split_first()?;
    rest = r;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else {
        let count = usize::from(len_byte & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None; // indefinite or absurd lengths are not DER
        }
        let (len_bytes, r) = rest.split_at(count);
        rest = r;
        len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((Tlv { class, tag, content }, rest))
}

/// Every TLV of `input`, which must consist of whole TLVs.
pub(super) fn read_all(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = read(input)?;
        out.push(tlv);
        input = rest;
    }
    Some(out)
}

/// `input` is exactly one universal TLV with this tag; its content.
pub(super) fn expect_one(input: &[u8], tag: u32) -> Option<&[u8]> {
    let (tlv, rest) = read(input)?;
    (rest.is_empty() && tlv.class == 0 && tlv.tag == tag).then_some(tlv.content)
}

/// A small non-negative INTEGER / ENUMERATED content as u64.
pub(super) fn small_uint(content: &[u8]) -> Option<u64> {
    if content.is_empty() || content[0] & 0x80 != 0 {
        return None;
    }
    let digits = super::certificate::strip(content);
    (digits.len() <= 8).then(|| digits.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}
