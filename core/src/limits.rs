//! Flood resistance (DESIGN §6, issue 9): a cap on outstanding challenges and an optional
//! per-client rate limit on the routes that need no session.
//!
//! Storage is already bounded without these (every challenge insert sweeps expired rows), but
//! only by request rate × challenge lifetime. The cap bounds it by configuration; the rate limit
//! keeps one client from using up the cap for everyone else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::config::RateLimit;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Store;

/// How old the shared count of outstanding challenges may get before it is read again.
const RECOUNT_INTERVAL_MS: i64 = 1_000;

/// Admits new challenges while fewer than `limit` are outstanding.
///
/// Counting the table on every insert would cost O(outstanding) per options request, so the
/// count is read from the store at most once a second (by one caller; the others go on) and
/// this instance's own issues are added to it in between. Other instances' issues within that
/// second are not seen: the cap is exact for one instance and may be exceeded by at most one
/// second's worth of the others' traffic, which is what a storage bound needs.
#[derive(Debug)]
pub(crate) struct ChallengeBudget {
    limit: u64,
    /// Outstanding challenges as of the last count, plus those issued here since.
    estimate: AtomicU64,
    /// When the store was last counted (clock ms); `i64::MIN` = never.
    counted_at: AtomicI64,
}

impl ChallengeBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit, estimate: AtomicU64::new(0), counted_at: AtomicI64::new(i64::MIN) }
    }

    /// Takes one slot for a challenge about to be stored, or refuses with `TOO_MANY_CHALLENGES`.
    pub(crate) fn admit(&self, store: &dyn Store, now: i64) -> Result<()> {
        let counted_at = self.counted_at.load(Ordering::Acquire);
        if now.saturating_sub(counted_at) >= RECOUNT_INTERVAL_MS
            && self.counted_at.compare_exchange(counted_at, now, Ordering::AcqRel, Ordering::Acquire).is_ok()
        {
            // Counting stops at limit + 1: the answer only has to say "over or not".
            match store.count_challenges(now, self.limit + 1) {
                Ok(count) => self.estimate.store(count, Ordering::Release),
                Err(err) => {
                    self.counted_at.store(counted_at, Ordering::Release);
                    return Err(err);
                }
            }
        }
        if self.estimate.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.estimate.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::new(
                ErrorCode::TooManyChallenges,
                "too many sign-in attempts are in progress; try again in a few seconds",
            )
            .with_retry_after(1));
        }
        Ok(())
    }

    /// Gives back a slot taken by [`ChallengeBudget::admit`] whose challenge was not stored.
    pub(crate) fn release(&self) {
        // Never below zero, even if a recount happened in between.
        let _ = self.estimate.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
    }
}

/// Most client keys tracked at once. Beyond it, keys idle for a whole window are dropped first;
/// if every key is active the table is cleared (the limit fails open rather than locking out
/// clients it has no room to track) and the event is logged.
const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Longest client key kept, in characters (longer keys are cut): bounds memory per entry.
const MAX_KEY_CHARS: usize = 128;

/// A token bucket per client key: `max` requests at once, refilled at `max` per window.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens, scaled by the window length so that refills stay integral.
    tokens: i64,
    updated_at: i64,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Spends one request for `client`, or refuses with `RATE_LIMITED` and a `Retry-After`.
    pub(crate) fn check(&self, client: &str, now: i64) -> Result<()> {
        let key = crate::error::clipped(client, MAX_KEY_CHARS);
        let window = self.limit.window_ms;
        // One request costs `window` scaled units; the bucket holds `max` requests and gains
        // `max` units per millisecond (i.e. `max` requests per window).
        let capacity = i64::from(self.limit.max) * window;
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&key) {
            buckets.retain(|_, bucket| now - bucket.updated_at < window);
            if buckets.len() >= MAX_TRACKED_CLIENTS {
                crate::log::internal_error("rate limit: more active clients than can be tracked; table cleared");
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: capacity, updated_at: now });
        let elapsed = now.saturating_sub(bucket.updated_at).max(0);
        bucket.tokens = (bucket.tokens + elapsed.saturating_mul(i64::from(self.limit.max))).min(capacity);
        bucket.updated_at = bucket.updated_at.max(now);
        if bucket.tokens >= window {
            bucket.tokens -= window;
            return Ok(());
        }
        let missing = window - bucket.tokens;
        let wait_ms = ceil_div(missing, i64::from(self.limit.max));
        let retry_after = u32::try_from(ceil_div(wait_ms, 1000).max(1)).unwrap_or(u32::MAX);
        Err(Error::new(ErrorCode::RateLimited, "too many requests; slow down").with_retry_after(retry_after))
    }
}

/// `a / b` rounded up, for `a >= 0`, `b > 0` (`i64::div_ceil` is not stable).
fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, window_s: i64) -> RateLimiter {
        RateLimiter::new(RateLimit { max, window_ms: window_s * 1000 })
    }

    #[test]
    fn allows_a_burst_of_max_then_refuses_with_retry_after() {
        let limiter = limiter(3, 60);
        for _ in 0..3 {
            limiter.check("203.0.113.7", 0).unwrap();
        }
        let err = limiter.check("203.0.113.7", 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited);
        assert_eq!(err.status(), 429);
        // One request comes back every window / max = 20 s.
        assert_eq!(err.retry_after(), Some(20));
        // Other clients are unaffected.
        limiter.check("198.51.100.1", 0).unwrap();
    }

    #[test]
    fn refills_at_max_per_window() {
        let limiter = limiter(3, 60);
        for _ in 0..3 {
            limiter.check("a", 0).unwrap();
        }
        assert!(limiter.check("a", 19_999).is_err());
        limiter.check("a", 20_000).unwrap();
        assert!(limiter.check("a", 20_001).is_err());
        // A long pause refills to the burst size, never beyond.
        for _ in 0..3 {
            limiter.check("a", 10_000_000).unwrap();
        }
        assert!(limiter.check("a", 10_000_000).is_err());
    }

    #[test]
    fn a_clock_going_backwards_does_not_mint_tokens() {
        let limiter = limiter(1, 60);
        limiter.check("a", 100_000).unwrap();
        assert!(limiter.check("a", 0).is_err());
        assert!(limiter.check("a", 100_000).is_err());
    }

    #[test]
    fn tracked_clients_stay_bounded() {
        let limiter = limiter(1, 1);
        for i in 0..(MAX_TRACKED_CLIENTS + 10) {
            limiter.check(&format!("client-{i}"), 0).unwrap();
        }
        assert!(limiter.buckets.lock().len() <= MAX_TRACKED_CLIENTS);
        // Idle keys are dropped before active ones are forgotten.
        for i in 0..10 {
            limiter.check(&format!("late-{i}"), 5_000).unwrap();
        }
        assert!(limiter.buckets.lock().len() <= MAX_TRACKED_CLIENTS);
    }

    #[test]
    fn long_keys_are_cut() {
        let limiter = limiter(1, 60);
        let long = "x".repeat(10_000);
        limiter.check(&long, 0).unwrap();
        assert!(limiter.check(&format!("{long}y"), 0).is_err(), "keys differing only past the cut share a bucket");
        assert!(limiter.buckets.lock().keys().all(|k| k.len() <= MAX_KEY_CHARS + 4));
    }
}
