//! `CollectedClientData` (WebAuthn §5.8.1) and its checks (§7.1 steps 7-10, §7.2 steps 11-14).
//!
//! The JSON is parsed, never compared byte for byte: browsers may add keys (Chromium sometimes adds
//! a GREASE key) and may escape characters.

use serde::Deserialize;

use super::{Check, sha256};
use crate::error::{Error, Result};
use crate::rp::Origin;

/// Which ceremony the client data must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CeremonyType {
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
pub(crate) struct ClientData {
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

/// A challenge as a relying party expects it in client data: canonical unpadded base64url, never
/// empty (an empty expectation would match a response that carries none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Challenge(String);

impl Challenge {
    /// Checks a challenge given by a host (or issued by kavach).
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::invalid_request("expectedChallenge must not be empty"));
        }
        crate::base64url::decode_canonical(text, "expectedChallenge")?;
        Ok(Self(text.to_owned()))
    }

    /// A challenge kavach issued itself (well-formed by construction).
    pub(crate) fn issued(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The challenge, base64url.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the relying party expects of client data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientDataExpectations<'a> {
    /// The ceremony.
    pub ceremony: CeremonyType,
    /// The challenge issued.
    pub challenge: &'a Challenge,
    /// Allowed origins, e.g. `https://app.example.com`.
    pub origins: &'a [Origin],
    /// The top-level origins whose pages may run a ceremony in a cross-origin iframe (empty:
    /// cross-origin ceremonies are refused).
    pub top_origins: &'a [Origin],
}

impl ClientData {
    /// Parses the raw `clientDataJSON` bytes.
    pub(crate) fn parse(raw: &[u8]) -> Result<Self> {
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
    pub(crate) fn check(&self, expected: &ClientDataExpectations<'_>) -> Result<()> {
        if self.ceremony != expected.ceremony.as_str() {
            return Err(Error::verification(
                Check::ClientDataType,
                format!("clientDataJSON.type must be {}", expected.ceremony.as_str()),
            ));
        }
        if self.challenge != expected.challenge.as_str() {
            return Err(Error::verification(Check::Challenge, "challenge does not match the one issued"));
        }
        if !expected.origins.iter().any(|allowed| allowed.as_str() == self.origin) {
            return Err(Error::verification(Check::Origin, "origin is not allowed for this relying party"));
        }
        // §7.1 step 10-11 / §7.2 step 14-15: a ceremony run inside a cross-origin iframe passes
        // only when the page that embeds it is one the RP listed. A client that says crossOrigin
        // without naming the top origin leaves nothing to check, so it is refused too; a
        // topOrigin is checked whenever it is present, whatever crossOrigin says.
        if self.cross_origin || self.top_origin.is_some() {
            if expected.top_origins.is_empty() {
                return Err(Error::verification(
                    Check::CrossOrigin,
                    "cross-origin use is not allowed (no passkey.topOrigins configured)",
                ));
            }
            match &self.top_origin {
                None => {
                    return Err(Error::verification(
                        Check::TopOrigin,
                        "clientDataJSON.crossOrigin is true but names no topOrigin",
                    ));
                }
                Some(top) if !expected.top_origins.iter().any(|allowed| allowed.as_str() == top) => {
                    return Err(Error::verification(Check::TopOrigin, "top-level origin is not allowed"));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}
