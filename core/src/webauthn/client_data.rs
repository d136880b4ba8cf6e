//! `CollectedClientData` (WebAuthn §5.8.1) and its checks (§7.1 steps 7-10, §7.2 steps 11-14).
//!
//! The JSON is parsed, never compared byte for byte: browsers may add keys (Chromium sometimes adds
//! a GREASE key) and may escape characters.

use serde::Deserialize;

use super::{Check, sha256};
use crate::error::{Error, Result};

/// Which ceremony the client data must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyType {
    /// `webauthn.create`
    Create,
    /// `webauthn.get`
    Get,
}

impl CeremonyType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

/// Decoded client data with its SHA-256 hash (what the authenticator signed over).
#[derive(Debug, Clone)]
pub struct ClientData {
    /// `type`
    pub ceremony: String,
    /// `challenge`, base64url as the client sent it.
    pub challenge: String,
    /// `origin`
    pub origin: String,
    /// `crossOrigin`
    pub cross_origin: bool,
    /// `topOrigin`
    pub top_origin: Option<String>,
    /// SHA-256 of the raw JSON bytes.
    pub hash: [u8; 32],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawClientData {
    #[serde(rename = "type")]
    ceremony: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: Option<bool>,
    #[serde(default)]
    top_origin: Option<String>,
}

/// What the relying party expects of client data.
#[derive(Debug, Clone, Copy)]
pub struct ClientDataExpectations<'a> {
    /// The ceremony.
    pub ceremony: CeremonyType,
    /// The challenge issued, base64url.
    pub challenge: &'a str,
    /// Allowed origins, e.g. `https://app.example.com`.
    pub origins: &'a [String],
    /// Whether a credential may be used inside a cross-origin iframe.
    pub allow_cross_origin: bool,
    /// When cross-origin use is allowed: the allowed top-level origins (empty = any).
    pub top_origins: &'a [String],
}

impl ClientData {
    /// Parses the raw `clientDataJSON` bytes.
    pub fn parse(raw: &[u8]) -> Result<Self> {
        // §7.1 step 5 / §7.2 step 9: "UTF-8 decode", which strips a leading byte order mark. The
        // hash stays over the raw bytes: that is what the authenticator signed.
        let json = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        let parsed: RawClientData = serde_json::from_slice(json)
            .map_err(|_| Error::invalid_request("clientDataJSON is not the expected JSON object"))?;
        Ok(Self {
            ceremony: parsed.ceremony,
            challenge: parsed.challenge,
            origin: parsed.origin,
            cross_origin: parsed.cross_origin.unwrap_or(false),
            top_origin: parsed.top_origin,
            hash: sha256(raw),
        })
    }

    /// Runs the type, challenge, origin and cross-origin checks, in the specification's order.
    pub fn check(&self, expected: &ClientDataExpectations<'_>) -> Result<()> {
        if self.ceremony != expected.ceremony.as_str() {
            return Err(Error::verification(
                Check::ClientDataType,
                format!("clientDataJSON.type must be {}", expected.ceremony.as_str()),
            ));
        }
        if self.challenge != expected.challenge {
            return Err(Error::verification(Check::Challenge, "challenge does not match the one issued"));
        }
        if !expected.origins.iter().any(|allowed| same_origin(allowed, &self.origin)) {
            return Err(Error::verification(Check::Origin, "origin is not allowed for this relying party"));
        }
        // §7.1 step 10 / §7.2 step 14: an RP that does not expect to be embedded in another site
        // must refuse ceremonies run inside a cross-origin iframe.
        if self.cross_origin {
            if !expected.allow_cross_origin {
                return Err(Error::verification(Check::CrossOrigin, "cross-origin use is not allowed"));
            }
            if let Some(top) = &self.top_origin
                && !expected.top_origins.is_empty()
                && !expected.top_origins.iter().any(|allowed| same_origin(allowed, top))
            {
                return Err(Error::verification(Check::TopOrigin, "top-level origin is not allowed"));
            }
        }
        Ok(())
    }
}

/// Origins compare as serialized strings; a trailing slash in configuration is tolerated.
fn same_origin(allowed: &str, actual: &str) -> bool {
    allowed.strip_suffix('/').unwrap_or(allowed) == actual
}
