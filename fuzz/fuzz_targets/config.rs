//! The configuration parser (`Settings::from_json`), without opening any database.
//!
//! Invariants: refusals are INVALID_CONFIG with a message; accepted settings hold only checked
//! values: a non-empty rpId that covers every allowed origin's host, a basePath that starts with
//! `/` (or is empty for "/") and never ends with `/`, and routes under it are recognized.
#![no_main]

use kavach_core::{ErrorCode, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Settings::from_json(text) {
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
            assert!(!err.message().is_empty());
            // Messages may quote the offending value (baseUrl twice: the URL and its scheme), so
            // they are bounded by the input, not by a constant: a host's own config text.
            assert!(err.message().chars().count() <= 400 + 3 * text.chars().count(), "{}", err.message());
        }
        Ok(settings) => {
            let rp_id = settings.rp_id().as_str();
            assert!(!rp_id.is_empty() && !rp_id.contains(['/', ':', ' ']), "rpId {rp_id:?}");
            assert!(!settings.origins().is_empty());
            for origin in settings.origins().iter().map(|origin| origin.as_str()) {
                if origin.starts_with("android:apk-key-hash:") {
                    continue;
                }
                let host = origin.split("://").nth(1).unwrap_or_default();
                let host = host
                    .rsplit_once(':')
                    .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(host, |(h, _)| h);
                assert!(
                    host == rp_id || host.ends_with(&format!(".{rp_id}")),
                    "origin {origin} not covered by {rp_id}"
                );
                assert!(
                    origin.starts_with("https://") || host == "localhost" || host.ends_with(".localhost"),
                    "insecure origin {origin}"
                );
            }
            let base = settings.base_path();
            assert!(base.is_empty() || (base.starts_with('/') && !base.ends_with('/')), "basePath {base:?}");
            assert!(settings.handles_path(&format!("{base}/session")));
            assert!(settings.handles_path(&format!("{base}/passkey/credentials?x=1")));
        }
    }
});
