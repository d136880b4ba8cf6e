//! Flood resistance (DESIGN §6, §11): an optional rate limit per client on the routes that need no
//! session (`authenticate/*`, keyed by the client address the host supplies) and per session on
//! the routes that do (`register/*`).
//!
//! Options requests store nothing (challenges are stateless), so a flood of them costs CPU and
//! cannot deny anyone storage; the limit keeps one client from taking more than its share of
//! that CPU, and from trying assertions at will.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use parking_lot::Mutex;

use crate::config::RateLimit;
use crate::error::{Error, ErrorCode, Result};

/// Most buckets tracked at once. Beyond it, buckets that have refilled completely are dropped
/// (forgetting them loses nothing: a new bucket starts full); if that is not enough, the fullest
/// eighth goes, so the clients being held back now are the last to be forgotten. A flood of new
/// addresses can so make the limit forget the least limited clients, never reset the ones it is
/// limiting.
const MAX_TRACKED_BUCKETS: usize = 100_000;
/// An IPv6 client also counts against its /56 and /48 networks, with these multiples of `max`:
/// one host often holds a whole /64, and a site a /48 (65,536 /64s), so per-/64 budgets alone
/// could be multiplied by rotating addresses.
const IPV6_NETWORKS: [(u8, u32); 2] = [(56, 4), (48, 16)];
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
    /// Requests this bucket allows per window (`max`, or a multiple for a network).
    max: i64,
}

impl Bucket {
    fn capacity(&self, window: i64) -> i64 {
        self.max.saturating_mul(window)
    }

    /// Tokens at `now`, refilled at `max` per window, never beyond capacity.
    fn refilled(&self, now: i64, window: i64) -> i64 {
        let elapsed = now.saturating_sub(self.updated_at).max(0);
        self.tokens.saturating_add(elapsed.saturating_mul(self.max)).min(self.capacity(window))
    }
}

/// Where a request counts, and with how many requests per window.
type Key = (String, i64);

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Spends one request for the client at this address (or host-supplied key), or refuses with
    /// `RATE_LIMITED` and a `Retry-After`.
    pub(crate) fn check_client(&self, client: &str, now: i64) -> Result<()> {
        self.check(&client_keys(client, i64::from(self.limit.max)), now)
    }

    /// Spends one request for a session (the signed-in routes).
    pub(crate) fn check_session(&self, session_id: &str, now: i64) -> Result<()> {
        self.check(&[(format!("session:{session_id}"), i64::from(self.limit.max))], now)
    }

    /// Spends one token in every bucket of `keys`, or in none (refusing with the longest wait).
    fn check(&self, keys: &[Key], now: i64) -> Result<()> {
        let window = self.limit.window_ms;
        let mut buckets = self.buckets.lock();
        if buckets.len() + keys.len() > MAX_TRACKED_BUCKETS {
            make_room(&mut buckets, now, window);
        }
        let mut wait_ms = 0;
        for (key, max) in keys {
            let bucket = buckets.entry(key.clone()).or_insert(Bucket {
                tokens: max.saturating_mul(window),
                updated_at: now,
                max: *max,
            });
            bucket.tokens = bucket.refilled(now, window);
            bucket.updated_at = bucket.updated_at.max(now);
            // One request costs `window` scaled units; a bucket gains `max` units per ms.
            if bucket.tokens < window {
                wait_ms = wait_ms.max(ceil_div(window - bucket.tokens, bucket.max));
            }
        }
        if wait_ms > 0 {
            let retry_after = u32::try_from(ceil_div(wait_ms, 1000).max(1)).unwrap_or(u32::MAX);
            return Err(
                Error::new(ErrorCode::RateLimited, "too many requests; slow down").with_retry_after(retry_after)
            );
        }
        for (key, _) in keys {
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.tokens -= window;
            }
        }
        Ok(())
    }
}

/// Frees room in a full table: first every bucket that has refilled completely, then, if needed,
/// the fullest eighth.
fn make_room(buckets: &mut HashMap<String, Bucket>, now: i64, window: i64) {
    buckets.retain(|_, bucket| bucket.refilled(now, window) < bucket.capacity(window));
    if buckets.len() + 8 <= MAX_TRACKED_BUCKETS {
        return;
    }
    let mut fullness: Vec<(i64, String)> = buckets
        .iter()
        .map(|(key, bucket)| {
            (bucket.refilled(now, window).saturating_mul(1000) / bucket.capacity(window).max(1), key.clone())
        })
        .collect();
    if fullness.is_empty() {
        return;
    }
    let evict = fullness.len() / 8 + 8;
    let nth = evict.min(fullness.len().saturating_sub(1));
    fullness.select_nth_unstable_by(nth, |a, b| b.0.cmp(&a.0));
    for (_, key) in fullness.into_iter().take(evict) {
        buckets.remove(&key);
    }
}

/// The buckets a client key counts against. An IPv6 address counts by its /64 network (a host
/// usually holds a whole /64 and could otherwise rotate through it), and also by its /56 and /48
/// with larger budgets; an IPv4-mapped address is that IPv4 address. Other keys count as given,
/// cut to a bounded length.
fn client_keys(client: &str, max: i64) -> Vec<Key> {
    match client.trim().parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => vec![(v4.to_string(), max)],
            None => std::iter::once((64, 1))
                .chain(IPV6_NETWORKS)
                .map(|(prefix, multiple)| {
                    let network = u128::from(v6) & (u128::MAX << (128 - u32::from(prefix)));
                    (format!("{}/{prefix}", Ipv6Addr::from(network)), max.saturating_mul(i64::from(multiple)))
                })
                .collect(),
        },
        Ok(IpAddr::V4(v4)) => vec![(v4.to_string(), max)],
        Err(_) => vec![(crate::error::clipped(client, MAX_KEY_CHARS), max)],
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
            limiter.check_client("203.0.113.7", 0).unwrap();
        }
        let err = limiter.check_client("203.0.113.7", 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited);
        assert_eq!(err.status(), 429);
        // One request comes back every window / max = 20 s.
        assert_eq!(err.retry_after(), Some(20));
        // Other clients are unaffected.
        limiter.check_client("198.51.100.1", 0).unwrap();
    }

    #[test]
    fn refills_at_max_per_window() {
        let limiter = limiter(3, 60);
        for _ in 0..3 {
            limiter.check_client("a", 0).unwrap();
        }
        assert!(limiter.check_client("a", 19_999).is_err());
        limiter.check_client("a", 20_000).unwrap();
        assert!(limiter.check_client("a", 20_001).is_err());
        // A long pause refills to the burst size, never beyond.
        for _ in 0..3 {
            limiter.check_client("a", 10_000_000).unwrap();
        }
        assert!(limiter.check_client("a", 10_000_000).is_err());
    }

    #[test]
    fn a_clock_going_backwards_does_not_mint_tokens() {
        let limiter = limiter(1, 60);
        limiter.check_client("a", 100_000).unwrap();
        assert!(limiter.check_client("a", 0).is_err());
        assert!(limiter.check_client("a", 100_000).is_err());
    }

    #[test]
    fn tracked_buckets_stay_bounded() {
        let limiter = limiter(1, 1);
        for i in 0..(MAX_TRACKED_BUCKETS + 10) {
            limiter.check_client(&format!("client-{i}"), 0).unwrap();
        }
        assert!(limiter.buckets.lock().len() <= MAX_TRACKED_BUCKETS);
        for i in 0..10 {
            limiter.check_client(&format!("late-{i}"), 5_000).unwrap();
        }
        assert!(limiter.buckets.lock().len() <= MAX_TRACKED_BUCKETS);
    }

    #[test]
    fn a_flood_of_new_clients_does_not_reset_a_limited_one() {
        // Before: a full table of active keys was cleared, and the limited client started again
        // with a full bucket.
        let limiter = limiter(2, 3600);
        limiter.check_client("203.0.113.7", 0).unwrap();
        limiter.check_client("203.0.113.7", 0).unwrap();
        assert!(limiter.check_client("203.0.113.7", 0).is_err());
        for i in 0..(MAX_TRACKED_BUCKETS + 1_000) {
            let _ = limiter.check_client(&format!("flood-{i}"), 1);
        }
        assert!(limiter.buckets.lock().len() <= MAX_TRACKED_BUCKETS);
        let err = limiter.check_client("203.0.113.7", 2).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited);
    }

    #[test]
    fn rotating_through_a_48_does_not_multiply_the_budget() {
        // Before: each /64 had its own budget, so a site with a /48 had 65,536 of them.
        let limiter = limiter(1, 60);
        let allowed =
            (0..1_000u32).filter(|i| limiter.check_client(&format!("2001:db8:1:{:x}::1", i), 0).is_ok()).count();
        assert_eq!(allowed, 16, "a /48 gets 16 x max, whatever its /64s");
        // Another /48 is another client.
        limiter.check_client("2001:db8:2::1", 0).unwrap();
    }

    #[test]
    fn sessions_have_buckets_of_their_own() {
        let limiter = limiter(1, 60);
        limiter.check_session("s1", 0).unwrap();
        assert!(limiter.check_session("s1", 0).is_err());
        limiter.check_session("s2", 0).unwrap();
        limiter.check_client("s1", 0).unwrap();
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        let limiter = limiter(2, 60);
        limiter.check_client("2001:db8:1:2::1", 0).unwrap();
        limiter.check_client("2001:db8:1:2:ffff:ffff:ffff:fffe", 0).unwrap();
        assert!(limiter.check_client("2001:db8:1:2:aaaa::7", 0).is_err(), "rotating within a /64 does not help");
        limiter.check_client("2001:db8:1:3::1", 0).unwrap();
        // An IPv4-mapped address is that IPv4 client.
        limiter.check_client("192.0.2.1", 0).unwrap();
        limiter.check_client("::ffff:192.0.2.1", 0).unwrap();
        assert!(limiter.check_client("192.0.2.1", 0).is_err());
    }

    #[test]
    fn long_keys_are_cut() {
        let limiter = limiter(1, 60);
        let long = "x".repeat(10_000);
        limiter.check_client(&long, 0).unwrap();
        assert!(
            limiter.check_client(&format!("{long}y"), 0).is_err(),
            "keys differing only past the cut share a bucket"
        );
        assert!(limiter.buckets.lock().keys().all(|k| k.len() <= MAX_KEY_CHARS + 4));
    }
}
