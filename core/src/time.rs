//! Time as the engine uses it: Unix milliseconds internally, ISO-8601 UTC at the API.

use time::OffsetDateTime;
use time::macros::format_description;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// `2026-11-25T09:37:31.123Z`, the form JavaScript's `toISOString` gives.
pub(crate) fn iso8601(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_javascript() {
        assert_eq!(super::iso8601(1_764_063_451_123), "2025-11-25T09:37:31.123Z");
    }
}
