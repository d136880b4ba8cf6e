//! kavach-core: a passkey (WebAuthn Level 3 / FIDO2) relying party.
//!
//! [`Kavach`] is the paved path: build it from a JSON configuration ([`Kavach::from_json`]),
//! then either route HTTP requests through [`Kavach::handle`] or call the ceremonies directly.
//! Hosts that keep their own storage use the stateless verifiers in [`verify`].
//!
//! ```no_run
//! let kavach = kavach_core::Kavach::from_json(r#"{
//!     "secret": "a-secret-of-at-least-thirty-two-bytes!!",
//!     "baseUrl": "http://localhost:3000",
//!     "plugins": [{ "id": "passkey", "rpName": "Demo", "rpId": "localhost" }]
//! }"#)?;
//! let response = kavach.handle(&kavach_core::http::Request::new("POST", "/auth/passkey/authenticate/options"));
//! assert_eq!(response.status, 200);
//! # Ok::<(), kavach_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aaguid;

pub mod base64url;
pub mod config;
mod error;
pub mod http;
mod kavach;
mod key_cache;
mod limits;
mod log;
pub mod passkey;
mod proxies;
mod random;
mod rp;
mod session;
pub mod store;
mod time;
pub mod verify;
pub mod webauthn;

pub use config::{Config, Settings};
pub use error::{Error, ErrorCode, Result};
pub use kavach::{Authenticated, Clock, Kavach, MetadataInfo, NewSession, SessionInfo, User};
pub use log::set_internal_error_sink;
pub use passkey::{Credential, RegisterOptionsRequest, SignIn};
pub use session::{COOKIE_NAME, SECURE_COOKIE_NAME, clearing_cookie, cookie_name, session_cookie};
pub use time::{iso8601, now_ms};
