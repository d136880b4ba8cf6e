//! The relying party's identity: its RP ID and the origins it accepts, as types that can only hold
//! checked values ("parse, don't validate"). Configuration and the stateless API build them with
//! the same rules; the ceremonies compare against them and never re-check.

use std::fmt;

use url::{Host, Url};

/// Why a value is not an RP ID or an origin. The text quotes the value and says what would be
/// right; [`ParseError::named`] prefixes the setting or argument it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(String);

impl ParseError {
    /// `"<what> <reason>"`, e.g. `passkey.rpId 'x y' must be a domain name ...`.
    pub fn named(&self, what: &str) -> String {
        format!("{what} {}", self.0)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An RP ID: a lowercase domain name (`localhost` included), never an IP address, never a public
/// suffix such as `com` or `github.io` (browsers refuse those: anyone could register under them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RpId(String);

impl RpId {
    /// Parses and checks an RP ID.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let lowered = text.to_ascii_lowercase();
        let valid = !lowered.is_empty()
            && lowered.len() <= 253
            && !lowered.starts_with('.')
            && !lowered.ends_with('.')
            && lowered.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(ParseError(format!(
                "'{text}' must be a domain name such as example.com (no scheme, port or path)"
            )));
        }
        if lowered.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(ParseError(format!(
                "'{text}' is an IP address; browsers require a domain (use localhost for development)"
            )));
        }
        // `localhost` is exempt: the list's implicit `*` rule would make every single-label name
        // a suffix.
        let is_localhost = lowered == "localhost" || lowered.ends_with(".localhost");
        if !is_localhost && psl::suffix_str(&lowered) == Some(lowered.as_str()) {
            return Err(ParseError(format!(
                "'{text}' is a public suffix (Public Suffix List): use your registrable domain, such as \
                 example.com or yourname.github.io"
            )));
        }
        Ok(Self(lowered))
    }

    /// The RP ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// HTML's "is a registrable domain suffix of or is equal to" (WebAuthn §5.1.4.1): whether
    /// this RP ID may be used by pages of `origin`. App origins name no host: the app's
    /// association with the domain is checked by the platform, not here.
    pub fn covers(&self, origin: &Origin) -> bool {
        match origin.host() {
            Some(host) => host == self.0 || host.strip_suffix(self.0.as_str()).is_some_and(|rest| rest.ends_with('.')),
            None => true,
        }
    }
}

impl fmt::Display for RpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An origin a ceremony may come from: a web origin (`https://host[:port]`, or `http://` on
/// localhost), or an Android app's `android:apk-key-hash:<base64url>`, matched as a whole string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The serialized origin, exactly as a client reports it.
    text: String,
    /// The host of a web origin; `None` for an app origin.
    host: Option<String>,
}

impl Origin {
    /// Parses and checks an origin: no path, query or fragment; https, or http on localhost.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if let Some(hash) = text.strip_prefix("android:apk-key-hash:") {
            if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(ParseError(format!("'{text}' is not a valid android:apk-key-hash origin")));
            }
            return Ok(Self { text: text.to_owned(), host: None });
        }
        let url = Url::parse(text).map_err(|_| ParseError(format!("'{text}' is not a valid URL")))?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(ParseError(format!("'{text}' must be scheme://host[:port] with no path")));
        }
        Self::of_url(&url)
    }

    /// Parses a web origin (never an app origin): what may embed a ceremony in an iframe.
    pub fn parse_web(text: &str) -> Result<Self, ParseError> {
        if text.starts_with("android:") {
            return Err(ParseError(format!("'{text}' is an app origin: only a web page can embed another")));
        }
        Self::parse(text)
    }

    /// The origin of a web URL (any path), refusing insecure schemes except on localhost.
    pub fn of_url(url: &Url) -> Result<Self, ParseError> {
        let host = url.host().ok_or_else(|| ParseError(format!("'{url}' has no host")))?;
        match url.scheme() {
            "https" => {}
            "http" if is_localhost(&host) => {}
            "http" => {
                return Err(ParseError(format!("'{url}' must use https (plain http is only allowed for localhost)")));
            }
            other => return Err(ParseError(format!("'{url}' has unsupported scheme '{other}'"))),
        }
        Ok(Self { text: url.origin().ascii_serialization(), host: Some(host.to_string()) })
    }

    /// The serialized origin.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host of a web origin.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
}

impl PartialEq<str> for Origin {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Origin {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_localhost(host: &Host<&str>) -> bool {
    matches!(host, Host::Domain(d) if *d == "localhost" || d.ends_with(".localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rp_ids_are_lowercase_domains_never_public_suffixes() {
        assert_eq!(RpId::parse("Example.COM").unwrap().as_str(), "example.com");
        assert!(RpId::parse("localhost").is_ok());
        assert!(RpId::parse("kavach.github.io").is_ok());
        for bad in ["", "https://example.com", "example.com:443", "10.0.0.1", "com", "co.uk", "github.io", "a..b"] {
            assert!(RpId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_web_or_app_origins() {
        assert_eq!(Origin::parse("https://App.example.com").unwrap().as_str(), "https://app.example.com");
        assert_eq!(Origin::parse("http://localhost:3000").unwrap().host(), Some("localhost"));
        let app = Origin::parse("android:apk-key-hash:AbC-_1").unwrap();
        assert_eq!((app.as_str(), app.host()), ("android:apk-key-hash:AbC-_1", None));
        for bad in
            ["http://example.com", "https://example.com/path", "ftp://x.example", "android:apk-key-hash:", "nope"]
        {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_rp_id_covers_its_domain_and_subdomains_only() {
        let rp = RpId::parse("example.com").unwrap();
        let covers = |origin: &str| rp.covers(&Origin::parse(origin).unwrap());
        assert!(covers("https://example.com") && covers("https://app.example.com:8443"));
        assert!(!covers("https://ample.com") && !covers("https://example.com.evil.test"));
    }
}
