//! kavach-core: a passkey (WebAuthn Level 3 / FIDO2) relying party.
//!
//! # Where to start
//!
//! - **[`Kavach`]** is the paved path. Build it from a JSON configuration ([`Kavach::from_json`],
//!   the same document every binding takes; its schema is [`config::Config`]), then route HTTP
//!   requests through [`Kavach::handle`] (the six passkey endpoints, sessions and the rate limiter)
//!   or call the ceremonies directly ([`Kavach::register_options`], [`Kavach::authenticate_verify`],
//!   ...; their [`options`] are what the browser's `navigator.credentials` calls take).
//! - **[`http`]** is the HTTP-neutral router's request and response, for writing an adapter.
//! - **[`verify`]** holds the stateless verifiers, for hosts that keep credentials in their own
//!   storage: every expectation (challenge, origins, RP ID, stored key and counter) passed in.
//! - **[`Error`]** is the one error type; [`Error::code`] is stable, [`Error::to_json`] is the body
//!   every binding returns, and [`ErrorFamily`] tells a client mistake from a host mistake.
//! - **[`danger`]** is for what can silently weaken the guarantees: your own [`danger::Store`],
//!   or a replaced clock. Nothing in it is needed to ship.
//!
//! ```no_run
//! let kavach = kavach_core::Kavach::from_json(r#"{
//!     "secret": "a-secret-of-at-least-thirty-two-bytes!!",
//!     "baseUrl": "http://localhost:3000",
//!     "plugins": [{ "id": "passkey", "rpName": "Demo", "rpId": "localhost" }]
//! }"#)?;
//! let request = kavach_core::http::Request::new("POST", "/auth/passkey/authenticate/options");
//! let response = kavach.handle(&request);
//! assert_eq!(response.status, 200);
//! # Ok::<(), kavach_core::Error>(())
//! ```
//!
//! # Features
//!
//! - `postgres` (default): the PostgreSQL store (`database: {provider: "postgres", url}`).
//! - `fuzzing`: exposes the parsers in `kavach_core::fuzzing` for the fuzz targets; not for
//!   production use.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod aaguid;
mod base64url;
pub mod config;
pub mod danger;
mod error;
pub mod events;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod http;
mod kavach;
mod key_cache;
mod limits;
mod log;
mod metrics;
mod passkey;
mod proxies;
mod random;
mod rp;
mod session;
mod store;
mod time;
pub mod verify;
mod webauthn;

pub use config::{Config, Settings};
pub use error::{Error, ErrorCode, ErrorFamily, Result};
pub use events::{Event, EventType};
pub use kavach::{ActivityPage, Authenticated, Kavach, MetadataInfo, NewSession, SessionInfo, SessionListing, User};
pub use log::{clear_log_hook, flush_log, set_internal_error_sink, set_log_hook};
pub use passkey::{
    AttestationInfo, Credential, ImportedCredential, Mediation, RegisterOptionsRequest, SignIn, StepUp, Verified,
};
pub use session::{COOKIE_NAME, SECURE_COOKIE_NAME, clearing_cookie, cookie_name, session_cookie};
pub use time::now_ms;
pub use webauthn::{Check, options};
