//! `KavachNative`: one opened core instance, shared with the libuv workers through an `Arc`.

use std::sync::{Arc, Mutex};

use kavach_core::Kavach;
use napi_derive::napi;

use crate::operations::Deliver;

/// An opened kavach instance (created by `open`). The public wrapper is `Kavach` in
/// `lib/kavach.cjs`; this class is not part of the package's API.
#[napi]
pub struct KavachNative {
    pub(crate) inner: Arc<Kavach>,
    /// The event handler's threadsafe function, once `setEventHandler` ran (`close` sends its
    /// drain marker through it).
    pub(crate) events: Mutex<Option<Arc<Deliver>>>,
}

#[napi]
impl KavachNative {
    /// The validated route prefix, e.g. `/auth` (the Express adapter hands everything under it
    /// to `handle`).
    #[napi(getter)]
    pub fn base_path(&self) -> String {
        self.inner.settings().base_path().to_owned()
    }

    /// Whether a request path is kavach's (basePath or below): the Express adapter calls
    /// `next()` for every other path.
    #[napi]
    pub fn handles_path(&self, path: String) -> bool {
        self.inner.settings().handles_path(&path)
    }
}
