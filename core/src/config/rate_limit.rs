//! `rateLimit`: the optional per-client and per-session limit.

use serde::Deserialize;

use crate::error::{Error, Result};

/// `rateLimit`: at most `max` requests per `window` seconds from one client key (derived from the
/// peer address and, behind `trustedProxies`, `X-Forwarded-For`) on `authenticate/options` and
/// `authenticate/verify`, and from one session on `register/options` and `register/verify`.
/// Counted per instance, in memory, unless `storage` is `database`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Default true when `rateLimit` is given.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Seconds. Default 60.
    #[serde(default)]
    pub window: Option<u64>,
    /// Requests per window. Default 30.
    #[serde(default)]
    pub max: Option<u32>,
    /// `memory` (default: each instance counts alone) or `database` (the buckets live in the
    /// store, so every instance sharing the database shares one budget per client).
    #[serde(default)]
    pub storage: Option<String>,
}

/// Where the rate limit's token buckets live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RateLimitStorage {
    /// In this instance's memory: N instances allow N × `max`.
    #[default]
    Memory,
    /// In the database (`kavach_rate_limits`): one budget across every instance.
    Database,
}

/// A validated `rateLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max: u32,
    /// Window length in milliseconds.
    pub window_ms: i64,
    /// Where the buckets live.
    pub storage: RateLimitStorage,
}

const RATE_LIMIT_WINDOW_SECONDS: std::ops::RangeInclusive<u64> = 1..=86_400;

pub(super) fn rate_limit_settings(config: Option<&RateLimitConfig>) -> Result<Option<RateLimit>> {
    let Some(config) = config else { return Ok(None) };
    if config.enabled == Some(false) {
        return Ok(None);
    }
    let window = config.window.unwrap_or(60);
    if !RATE_LIMIT_WINDOW_SECONDS.contains(&window) {
        return Err(Error::config("rateLimit.window must be between 1 and 86400 seconds"));
    }
    let max = config.max.unwrap_or(30);
    if max == 0 {
        return Err(Error::config("rateLimit.max must be at least 1 (to turn the limit off, set enabled: false)"));
    }
    let storage = match config.storage.as_deref().unwrap_or("memory") {
        "memory" => RateLimitStorage::Memory,
        "database" => RateLimitStorage::Database,
        other => {
            return Err(Error::config(format!("rateLimit.storage must be 'memory' or 'database', not '{other}'")));
        }
    };
    Ok(Some(RateLimit { max, window_ms: window as i64 * 1000, storage }))
}
