//! Flood resistance (DESIGN §6, issue 9): a cap on outstanding challenges and an optional
//! per-client rate limit on the routes that need no session.
//!
//! Storage is already bounded without these (every challenge insert sweeps expired rows), but
//! only by request rate × challenge lifetime. The cap bounds it by configuration; the rate limit
//! keeps one client from using up the cap for everyone else.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use parking_lot::Mutex;

use crate::config::RateLimit;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Store;

/// How old the shared count of outstanding challenges may get before it is read again.
const RECOUNT_INTERVAL_MS: i64 = 1_000;

/// Admits new challenges while fewer than `limit` are outstanding.
///
/// Counting the table on every insert would cost O(outstanding) per options request, so the
/// table is counted at most once a second, and this instance's own issues are added to that count
/// in between (challenges used in between still count until the next count: the cap errs on the
/// safe side). The count runs under the lock, so that no issue is lost between the count and the
/// tally; it stops at `limit + 1` rows of an index, a few milliseconds at the default limit.
/// Other instances' issues within that second are not seen: the cap is exact for one instance
/// and may be exceeded by at most a second's worth of the others' traffic, which is what a
/// storage bound needs.
#[derive(Debug)]
pub(crate) struct ChallengeBudget {
    limit: u64,
    tally: Mutex<Tally>,
}

#[derive(Debug)]
struct Tally {
    /// Outstanding challenges as of the last count, plus those issued here since.
    outstanding: u64,
    /// When the store was last counted (clock ms); `None` = never.
    counted_at: Option<i64>,
}

impl ChallengeBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit, tally: Mutex::new(Tally { outstanding: 0, counted_at: None }) }
    }

    /// Takes one slot for a challenge about to be stored, or refuses with `TOO_MANY_CHALLENGES`.
    pub(crate) fn admit(&self, store: &dyn Store, now: i64) -> Result<()> {
        let mut tally = self.tally.lock();
        let stale = tally.counted_at.is_none_or(|at| now.saturating_sub(at).abs() >= RECOUNT_INTERVAL_MS);
        if stale {
            // Counting stops at limit + 1: the answer only has to say "over or not".
            tally.outstanding = store.count_challenges(now, self.limit + 1)?;
            tally.counted_at = Some(now);
        }
        if tally.outstanding >= self.limit {
            return Err(Error::new(
                ErrorCode::TooManyChallenges,
                "too many sign-in attempts are in progress; try again in a few seconds",
            )
            .with_retry_after(1));
        }
        tally.outstanding += 1;
        Ok(())
    }

    /// Gives back a slot taken by [`ChallengeBudget::admit`] whose challenge was not stored.
    pub(crate) fn release(&self) {
        let mut tally = self.tally.lock();
        tally.outstanding = tally.outstanding.saturating_sub(1);
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
        let key = bucket_key(client);
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

/// The bucket a client key counts against. An IPv6 address counts by its /64 network: one host
/// usually holds a whole /64 and could otherwise rotate through it to get a fresh budget for
/// every request. Other keys count as given, cut to a bounded length.
fn bucket_key(client: &str) -> String {
    match client.trim().parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(network))
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => crate::error::clipped(client, MAX_KEY_CHARS),
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
    fn ipv6_clients_count_by_their_64_network() {
        let limiter = limiter(2, 60);
        limiter.check("2001:db8:1:2::1", 0).unwrap();
        limiter.check("2001:db8:1:2:ffff:ffff:ffff:fffe", 0).unwrap();
        assert!(limiter.check("2001:db8:1:2:aaaa::7", 0).is_err(), "rotating within a /64 does not help");
        limiter.check("2001:db8:1:3::1", 0).unwrap();
        // An IPv4-mapped address is that IPv4 client.
        limiter.check("192.0.2.1", 0).unwrap();
        limiter.check("::ffff:192.0.2.1", 0).unwrap();
        assert!(limiter.check("192.0.2.1", 0).is_err());
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
