//! Knobs that can silently weaken kavach's guarantees. Nothing here is needed to ship: the
//! configuration opens SQLite or PostgreSQL and the instance reads the system clock.
//!
//! - **Your own [`Store`].** The security properties of the ceremonies (a challenge used once,
//!   counters that only move forward, the last passkey never deleted by a race, a session created
//!   in the same transaction as the counter update) hold only if every method is the atomic unit its
//!   documentation describes; the store behaviour tests in kavach's repository
//!   (`core/src/store/tests.rs`, run against both built-in engines) spell out what each must do.
//! - **A replaced clock.** Challenge expiry, session expiry and attestation certificate validity
//!   all read it; a clock that can be moved back reopens expired challenges.
//! - **Your own connections to kavach's PostgreSQL database** (tools, tests): [`postgres_tls`]
//!   applies kavach's TLS rules to a URL for the `postgres` / `tokio-postgres` crates. Writing to
//!   kavach's tables behind its back can break every guarantee above; read only.

use crate::config::Settings;
use crate::error::Result;
pub use crate::kavach::Clock;
use crate::kavach::Kavach;
pub use crate::metrics::PoolGauge;
pub use crate::store::{
    Audit, ChallengeUse, CreatedBy, CredentialDescriptorRecord, CredentialRecord, DeleteOutcome, InsertOutcome,
    RateLimitKey, RateLimitOutcome, RateLimitSpend, SessionChange, SessionRecord, SignInOutcome, SignInUpdate, Store,
    StoredEvent, UserInsertOutcome, UserRecord, UserUpdate, UserUpdateOutcome,
};
#[cfg(feature = "postgres")]
pub use crate::store::{RustlsConnect, RustlsConnector, RustlsStream, postgres_tls};

/// An instance over a store you implement instead of the configured database (whose
/// `database` settings are then ignored). Reads, creating on first use, the store's instance key;
/// a store that cannot is `INTERNAL`.
pub fn kavach_with_store(settings: Settings, store: Box<dyn Store>) -> Result<Kavach> {
    Kavach::with_store(settings, std::sync::Arc::from(store))
}

/// The instance with its clock (Unix milliseconds) replaced; tests move time with it.
pub fn with_clock(kavach: Kavach, clock: Clock) -> Kavach {
    kavach.with_clock(clock)
}
