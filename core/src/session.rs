//! Session tokens and the session cookie (DESIGN §3, §6).
//!
//! A token is 256 random bits, handed to the client once (cookie or bearer) and stored only as
//! its SHA-256: a copy of the database holds nothing that signs anyone in. Tokens are opaque
//! random values, not signed data, so there is nothing for a secret to sign.

use crate::base64url;
use crate::random::random_bytes;
use crate::webauthn::sha256;

/// The cookie name on `http://localhost` (development).
pub const COOKIE_NAME: &str = "kavach_session";
/// The cookie name when `baseUrl` is https: the `__Host-` prefix makes browsers accept it only
/// with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can set, replace or shadow it
/// (session fixation, cookie tossing).
pub const SECURE_COOKIE_NAME: &str = "__Host-kavach_session";

/// Length of an encoded token: 32 bytes in unpadded base64url.
const TOKEN_LEN: usize = 43;

/// A fresh token and its hash.
pub(crate) fn new_token() -> (String, [u8; 32]) {
    let token = base64url::encode(&random_bytes::<32>());
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 of the token's string form.
pub(crate) fn hash_token(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

/// The session cookie's name: [`SECURE_COOKIE_NAME`] on https, [`COOKIE_NAME`] otherwise.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE_NAME } else { COOKIE_NAME }
}

/// `Set-Cookie` value that stores the session.
pub fn session_cookie(token: &str, max_age: u64, secure: bool) -> String {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}")
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The token from a request's `Authorization: Bearer` or `Cookie` headers (every `Cookie` field:
/// HTTP/2 clients send one per cookie). Bearer wins: a non-browser client that sends one means
/// it.
pub(crate) fn token_from_headers<'a>(
    authorization: Option<&str>,
    cookies: impl IntoIterator<Item = &'a str>,
    secure: bool,
) -> Option<String> {
    authorization.and_then(bearer_token).or_else(|| cookies.into_iter().find_map(|c| cookie_token(c, secure)))
}

/// A token given directly, as `Bearer <token>`, or as a `Cookie` header value.
pub(crate) fn token_from_any(value: &str, secure: bool) -> Option<String> {
    let value = value.trim();
    if is_token_shaped(value) {
        return Some(value.to_owned());
    }
    bearer_token(value).or_else(|| cookie_token(value, secure))
}

fn bearer_token(header: &str) -> Option<String> {
    let (scheme, token) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && is_token_shaped(token.trim())).then(|| token.trim().to_owned())
}

/// The first well-formed session cookie: a malformed one before it (stale, or planted) does not
/// hide it. On https only the `__Host-` cookie counts.
fn cookie_token(header: &str, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .find(|value| is_token_shaped(value))
        .map(str::to_owned)
}

/// Cheap shape check before any hashing or database work.
fn is_token_shaped(value: &str) -> bool {
    value.len() == TOKEN_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_found_in_cookie_or_bearer() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(hash, hash_token(&token));
        let cookie = format!("theme=dark; {COOKIE_NAME}={token}; other=1");
        assert_eq!(token_from_headers(None, [cookie.as_str()], false), Some(token.clone()));
        assert_eq!(token_from_headers(Some(&format!("Bearer {token}")), [], false), Some(token.clone()));
        assert_eq!(token_from_any(&token, true), Some(token.clone()));
        assert_eq!(token_from_any(&cookie, false), Some(token.clone()));
        assert_eq!(token_from_any(&cookie, true), None, "on https only the __Host- cookie counts");
        let secure = format!("{SECURE_COOKIE_NAME}=junk; {SECURE_COOKIE_NAME}={token}");
        assert_eq!(token_from_any(&secure, true), Some(token));
    }

    #[test]
    fn malformed_tokens_are_ignored() {
        assert_eq!(token_from_headers(Some("Bearer short"), ["kavach_session=../../etc"], false), None);
        assert_eq!(token_from_headers(Some("Basic abc"), [], false), None);
    }

    #[test]
    fn cookie_has_the_documented_attributes() {
        assert_eq!(
            session_cookie("t", 60, true),
            "__Host-kavach_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=60; Secure"
        );
        assert_eq!(session_cookie("t", 60, false), "kavach_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=60");
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }
}
