//! The token-bucket arithmetic, one copy for every place buckets live (memory, SQLite,
//! PostgreSQL): a bucket holds `max` requests, refills at `max` per window, and a request spends
//! one in every bucket it counts against, or in none.

use crate::store::RateLimitOutcome;

/// One bucket's state. Tokens are scaled by the window length in milliseconds, so refills stay
/// integral: one request costs `window` units and a bucket gains `max` units per millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// Scaled tokens left at `updated_at`.
    pub(crate) tokens: i64,
    /// When `tokens` was computed (Unix ms). Never moves backwards, so a clock stepping back
    /// cannot mint tokens.
    pub(crate) updated_at: i64,
    /// Requests this bucket allows per window (`max`, or a multiple for a network).
    pub(crate) max: i64,
}

impl Bucket {
    /// A bucket nobody has spent from.
    pub(crate) fn full(max: i64, window: i64, now: i64) -> Self {
        Self { tokens: max.saturating_mul(window), updated_at: now, max }
    }

    fn capacity(&self, window: i64) -> i64 {
        self.max.saturating_mul(window)
    }

    /// Tokens at `now`, refilled at `max` per window, never beyond capacity.
    fn refilled(&self, now: i64, window: i64) -> i64 {
        let elapsed = now.saturating_sub(self.updated_at).max(0);
        self.tokens.saturating_add(elapsed.saturating_mul(self.max)).min(self.capacity(window))
    }

    /// Whether forgetting this bucket loses nothing (a new one starts full).
    pub(crate) fn is_full(&self, now: i64, window: i64) -> bool {
        self.refilled(now, window) >= self.capacity(window)
    }

    /// How full it is at `now`, in thousandths.
    pub(crate) fn fullness_per_mille(&self, now: i64, window: i64) -> i64 {
        self.refilled(now, window).saturating_mul(1000) / self.capacity(window).max(1)
    }
}

/// Refills every bucket to `now`, then spends one request from each if every one has it; if not,
/// spends nothing and answers how long until the emptiest has one (milliseconds).
pub(crate) fn spend(buckets: &mut [Bucket], window: i64, now: i64) -> RateLimitOutcome {
    let mut wait_ms = 0;
    for bucket in buckets.iter_mut() {
        bucket.tokens = bucket.refilled(now, window);
        bucket.updated_at = bucket.updated_at.max(now);
        if bucket.tokens < window {
            wait_ms = wait_ms.max(super::ceil_div(window - bucket.tokens, bucket.max.max(1)));
        }
    }
    if wait_ms > 0 {
        return RateLimitOutcome::Refused { wait_ms };
    }
    for bucket in buckets.iter_mut() {
        bucket.tokens -= window;
    }
    RateLimitOutcome::Spent
}
