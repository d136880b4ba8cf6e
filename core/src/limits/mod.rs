//! Flood resistance (DESIGN §6, §11): an optional rate limit per client on the routes that need no
//! session (`authenticate/*`, keyed by the client key the core derives from the peer address and
//! `trustedProxies`) and per session on the routes that do (`register/*`).
//!
//! Options requests store nothing (challenges are stateless), so a flood of them costs CPU and
//! cannot deny anyone storage; the limit keeps one client from taking more than its share of
//! that CPU, and from trying assertions at will.
//!
//! The buckets live in this instance's memory (`rateLimit.storage: 'memory'`, the default: N
//! instances allow N × `max`) or in the database (`'database'`: one budget across every
//! instance, for one transaction per limited request). Both spend with the same arithmetic
//! ([`bucket`]). In the database a bucket is named by a keyed hash of its client key, so the
//! table holds no client addresses.

mod bucket;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use aws_lc_rs::hmac;
use parking_lot::Mutex;

pub(crate) use self::bucket::{Bucket, spend};
use crate::config::{RateLimit, RateLimitStorage};
use crate::error::{Error, ErrorCode, Result};
use crate::store::{RateLimitKey, RateLimitOutcome, RateLimitSpend, Store};

/// Most buckets tracked at once in memory. Beyond it, buckets that have refilled completely are
/// dropped (forgetting them loses nothing: a new bucket starts full); if that is not enough, the
/// fullest eighth goes, so the clients being held back now are the last to be forgotten. A flood
/// of new addresses can so make the limit forget the least limited clients, never reset the ones
/// it is limiting.
const MAX_TRACKED_BUCKETS: usize = 100_000;
/// An IPv6 client also counts against its /56 and /48 networks, with these multiples of `max`:
/// one host often holds a whole /64, and a site a /48 (65,536 /64s), so per-/64 budgets alone
/// could be multiplied by rotating addresses.
const IPV6_NETWORKS: [(u8, u32); 2] = [(56, 4), (48, 16)];
/// Longest client key kept, in characters (longer keys are cut): bounds memory per entry.
const MAX_KEY_CHARS: usize = 128;
/// `kavach_keys` purpose of the key that names database buckets.
pub(crate) const BUCKET_NAMES_KEY: &str = "rate-limit-buckets";

/// Token buckets per client key and per session: `max` requests at once, refilled at `max` per
/// window.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Buckets,
}

#[derive(Debug)]
enum Buckets {
    Memory(Mutex<HashMap<String, Bucket>>),
    /// Rows of `kavach_rate_limits`, named by HMAC-SHA-256 of the key under an instance key
    /// every instance sharing the database reads.
    Database(Box<hmac::Key>),
}

/// Where a request counts, and with how many requests per window.
type Key = (String, i64);

impl RateLimiter {
    /// A limiter whose buckets live where `limit.storage` says; `bucket_names_key` (from the
    /// store) names database buckets.
    pub(crate) fn new(limit: RateLimit, bucket_names_key: &[u8]) -> Self {
        let buckets = match limit.storage {
            RateLimitStorage::Memory => Buckets::Memory(Mutex::new(HashMap::new())),
            RateLimitStorage::Database => {
                Buckets::Database(Box::new(hmac::Key::new(hmac::HMAC_SHA256, bucket_names_key)))
            }
        };
        Self { limit, buckets }
    }

    /// How many buckets the in-memory table holds (`None` for database buckets).
    pub(crate) fn memory_buckets(&self) -> Option<usize> {
        match &self.buckets {
            Buckets::Memory(buckets) => Some(buckets.lock().len()),
            Buckets::Database(_) => None,
        }
    }

    /// Spends one request for the client with this key, or refuses with `RATE_LIMITED` and a
    /// `Retry-After`.
    pub(crate) fn check_client(&self, store: &dyn Store, client: &str, now: i64) -> Result<()> {
        self.check(store, &client_keys(client, i64::from(self.limit.max)), now)
    }

    /// Spends one request for a session (the signed-in routes).
    pub(crate) fn check_session(&self, store: &dyn Store, session_id: &str, now: i64) -> Result<()> {
        self.check(store, &[(format!("session:{session_id}"), i64::from(self.limit.max))], now)
    }

    /// Spends one token in every bucket of `keys`, or in none (refusing with the longest wait).
    fn check(&self, store: &dyn Store, keys: &[Key], now: i64) -> Result<()> {
        let window = self.limit.window_ms;
        let outcome = match &self.buckets {
            Buckets::Memory(buckets) => memory_spend(&mut buckets.lock(), keys, window, now),
            Buckets::Database(names) => {
                let keys = bucket_names(names, keys);
                store.spend_rate_limit(&RateLimitSpend { keys: &keys, window_ms: window, now })?
            }
        };
        match outcome {
            RateLimitOutcome::Spent => Ok(()),
            RateLimitOutcome::Refused { wait_ms } => {
                let retry_after = u32::try_from(ceil_div(wait_ms.max(1), 1000)).unwrap_or(u32::MAX);
                Err(Error::new(ErrorCode::RateLimited, "too many requests; slow down").with_retry_after(retry_after))
            }
        }
    }
}

/// The database buckets of `keys`: each named by the first 16 bytes of HMAC-SHA-256 of its key.
fn bucket_names(names: &hmac::Key, keys: &[Key]) -> Vec<RateLimitKey> {
    keys.iter()
        .map(|(key, max)| {
            let tag = hmac::sign(names, key.as_bytes());
            let mut name = [0u8; 16];
            name.copy_from_slice(&tag.as_ref()[..16]);
            RateLimitKey { name, max: *max }
        })
        .collect()
}

/// [`spend`] over the in-memory table.
fn memory_spend(buckets: &mut HashMap<String, Bucket>, keys: &[Key], window: i64, now: i64) -> RateLimitOutcome {
    if buckets.len() + keys.len() > MAX_TRACKED_BUCKETS {
        make_room(buckets, now, window);
    }
    let mut current: Vec<Bucket> =
        keys.iter().map(|(key, max)| buckets.get(key).copied().unwrap_or(Bucket::full(*max, window, now))).collect();
    let outcome = spend(&mut current, window, now);
    for ((key, _), bucket) in keys.iter().zip(current) {
        buckets.insert(key.clone(), bucket);
    }
    outcome
}

/// Frees room in a full table: first every bucket that has refilled completely, then, if needed,
/// the fullest eighth.
fn make_room(buckets: &mut HashMap<String, Bucket>, now: i64, window: i64) {
    buckets.retain(|_, bucket| !bucket.is_full(now, window));
    if buckets.len() + 8 <= MAX_TRACKED_BUCKETS {
        return;
    }
    let mut fullness: Vec<(i64, String)> =
        buckets.iter().map(|(key, bucket)| (bucket.fullness_per_mille(now, window), key.clone())).collect();
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

/// `a / b` rounded up, for `a >= 0`, `b > 0`.
pub(crate) fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// A limiter and a store for it (an in-memory SQLite database, where `database` storage
    /// keeps its buckets).
    struct Limited {
        limiter: RateLimiter,
        store: SqliteStore,
    }

    impl Limited {
        fn client(&self, key: &str, now: i64) -> Result<()> {
            self.limiter.check_client(&self.store, key, now)
        }

        fn session(&self, id: &str, now: i64) -> Result<()> {
            self.limiter.check_session(&self.store, id, now)
        }

        fn memory_buckets(&self) -> usize {
            match &self.limiter.buckets {
                Buckets::Memory(buckets) => buckets.lock().len(),
                Buckets::Database(_) => unreachable!("memory storage only"),
            }
        }
    }

    fn limiter_in(storage: RateLimitStorage, max: u32, window_s: i64) -> Limited {
        let limit = RateLimit { max, window_ms: window_s * 1000, storage };
        Limited { limiter: RateLimiter::new(limit, &[7; 32]), store: SqliteStore::open(":memory:").unwrap() }
    }

    fn limiter(max: u32, window_s: i64) -> Limited {
        limiter_in(RateLimitStorage::Memory, max, window_s)
    }

    /// The same behaviour wherever the buckets live.
    fn each_storage(test: impl Fn(&dyn Fn(u32, i64) -> Limited)) {
        for storage in [RateLimitStorage::Memory, RateLimitStorage::Database] {
            test(&|max, window_s| limiter_in(storage, max, window_s));
        }
    }

    #[test]
    fn allows_a_burst_of_max_then_refuses_with_retry_after() {
        each_storage(|limiter| {
            let limiter = limiter(3, 60);
            for _ in 0..3 {
                limiter.client("203.0.113.7", 0).unwrap();
            }
            let err = limiter.client("203.0.113.7", 0).unwrap_err();
            assert_eq!(err.code(), ErrorCode::RateLimited);
            assert_eq!(err.status(), 429);
            // One request comes back every window / max = 20 s.
            assert_eq!(err.retry_after(), Some(20));
            // Other clients are unaffected.
            limiter.client("198.51.100.1", 0).unwrap();
        });
    }

    #[test]
    fn refills_at_max_per_window() {
        each_storage(|limiter| {
            let limiter = limiter(3, 60);
            for _ in 0..3 {
                limiter.client("a", 0).unwrap();
            }
            assert!(limiter.client("a", 19_999).is_err());
            limiter.client("a", 20_000).unwrap();
            assert!(limiter.client("a", 20_001).is_err());
            // A long pause refills to the burst size, never beyond.
            for _ in 0..3 {
                limiter.client("a", 10_000_000).unwrap();
            }
            assert!(limiter.client("a", 10_000_000).is_err());
        });
    }

    #[test]
    fn a_clock_going_backwards_does_not_mint_tokens() {
        each_storage(|limiter| {
            let limiter = limiter(1, 60);
            limiter.client("a", 100_000).unwrap();
            assert!(limiter.client("a", 0).is_err());
            assert!(limiter.client("a", 100_000).is_err());
        });
    }

    #[test]
    fn tracked_buckets_stay_bounded() {
        let limiter = limiter(1, 1);
        for i in 0..(MAX_TRACKED_BUCKETS + 10) {
            limiter.client(&format!("client-{i}"), 0).unwrap();
        }
        assert!(limiter.memory_buckets() <= MAX_TRACKED_BUCKETS);
        for i in 0..10 {
            limiter.client(&format!("late-{i}"), 5_000).unwrap();
        }
        assert!(limiter.memory_buckets() <= MAX_TRACKED_BUCKETS);
    }

    #[test]
    fn database_buckets_are_named_by_a_keyed_hash_not_the_address() {
        let key = |secret: u8, client: &str| {
            bucket_names(&hmac::Key::new(hmac::HMAC_SHA256, &[secret; 32]), &client_keys(client, 5))
        };
        let named = key(7, "203.0.113.7");
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].max, 5);
        assert!(!named[0].name.windows(4).any(|w| w == [203, 0, 113, 7]));
        assert!(!named[0].name.windows(3).any(|w| w == b"203"));
        assert_eq!(key(7, "203.0.113.7"), named, "every instance sharing the key names it alike");
        assert_ne!(key(8, "203.0.113.7"), named);
        assert_ne!(key(7, "203.0.113.8"), named);
        assert_eq!(key(7, "2001:db8::1").len(), 3, "an IPv6 client counts in its /64, /56 and /48");
    }

    #[test]
    fn a_flood_of_new_clients_does_not_reset_a_limited_one() {
        // Before: a full table of active keys was cleared, and the limited client started again
        // with a full bucket.
        let limiter = limiter(2, 3600);
        limiter.client("203.0.113.7", 0).unwrap();
        limiter.client("203.0.113.7", 0).unwrap();
        assert!(limiter.client("203.0.113.7", 0).is_err());
        for i in 0..(MAX_TRACKED_BUCKETS + 1_000) {
            let _ = limiter.client(&format!("flood-{i}"), 1);
        }
        assert!(limiter.memory_buckets() <= MAX_TRACKED_BUCKETS);
        let err = limiter.client("203.0.113.7", 2).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited);
    }

    #[test]
    fn rotating_through_a_48_does_not_multiply_the_budget() {
        // Before: each /64 had its own budget, so a site with a /48 had 65,536 of them.
        each_storage(|limiter| {
            let limiter = limiter(1, 60);
            let allowed =
                (0..1_000u32).filter(|i| limiter.client(&format!("2001:db8:1:{:x}::1", i), 0).is_ok()).count();
            assert_eq!(allowed, 16, "a /48 gets 16 x max, whatever its /64s");
            // Another /48 is another client.
            limiter.client("2001:db8:2::1", 0).unwrap();
        });
    }

    #[test]
    fn sessions_have_buckets_of_their_own() {
        each_storage(|limiter| {
            let limiter = limiter(1, 60);
            limiter.session("s1", 0).unwrap();
            assert!(limiter.session("s1", 0).is_err());
            limiter.session("s2", 0).unwrap();
            limiter.client("s1", 0).unwrap();
        });
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        each_storage(|limiter| {
            let limiter = limiter(2, 60);
            limiter.client("2001:db8:1:2::1", 0).unwrap();
            limiter.client("2001:db8:1:2:ffff:ffff:ffff:fffe", 0).unwrap();
            assert!(limiter.client("2001:db8:1:2:aaaa::7", 0).is_err(), "rotating within a /64 does not help");
            limiter.client("2001:db8:1:3::1", 0).unwrap();
            // An IPv4-mapped address is that IPv4 client.
            limiter.client("192.0.2.1", 0).unwrap();
            limiter.client("::ffff:192.0.2.1", 0).unwrap();
            assert!(limiter.client("192.0.2.1", 0).is_err());
        });
    }

    #[test]
    fn long_keys_are_cut() {
        each_storage(|limiter| {
            let limiter = limiter(1, 60);
            let long = "x".repeat(10_000);
            limiter.client(&long, 0).unwrap();
            assert!(limiter.client(&format!("{long}y"), 0).is_err(), "keys differing only past the cut share a bucket");
        });
        let limiter = limiter(1, 60);
        limiter.client(&"x".repeat(10_000), 0).unwrap();
        if let Buckets::Memory(buckets) = &limiter.limiter.buckets {
            assert!(buckets.lock().keys().all(|k| k.len() <= MAX_KEY_CHARS + 4));
        }
    }
}
