//! `handle`: the core router. A request crosses as method, path, flat header pairs, body bytes
//! and the host's client key; the core's response comes back as status, flat header pairs and
//! body bytes. Nothing is decided here.
//!
//! This is the per-request hot path of every adapter (Express, Fetch), so the crossing is kept
//! cheap: the body is borrowed from its `Buffer` and copied once into the request (no reference
//! kept on the JS object), and the response body comes back as a plain copied `Buffer` (for a few
//! hundred bytes of JSON a copy is cheaper than an external buffer and its finalizer).

use std::sync::Arc;

use kavach_core::Kavach;
use kavach_core::http::{Request, Response};
use napi::bindgen_prelude::{AsyncTask, BufferSlice, ToNapiValue, TypeName, ValueType};
use napi::{Env, Task, sys};
use napi_derive::napi;

use crate::error::guarded;
use crate::instance::KavachNative;

/// The core's response: `headers` are flat `name, value` pairs, in order (`Set-Cookie` may
/// repeat).
#[napi(object, object_from_js = false)]
pub struct NativeResponse {
    /// HTTP status.
    pub status: u32,
    /// `[name0, value0, name1, value1, ...]`.
    pub headers: Vec<String>,
    /// The JSON body.
    #[napi(ts_type = "Buffer")]
    pub body: BodyBytes,
}

/// Response body bytes, handed to JavaScript as a new `Buffer` holding a copy
/// (`napi_create_buffer_copy`).
pub struct BodyBytes(Vec<u8>);

impl TypeName for BodyBytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for BodyBytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let copy = BufferSlice::copy_from(&Env::from_raw(env), &val.0)?;
        // SAFETY: `env` is the live environment napi-rs handed to this conversion, and `copy`
        // was created in it a line above.
        unsafe { ToNapiValue::to_napi_value(env, &copy) }
    }
}

/// Task behind `handle`.
pub struct Handle {
    kavach: Arc<Kavach>,
    request: Request,
}

impl Task for Handle {
    type Output = Response;
    type JsValue = NativeResponse;

    fn compute(&mut self) -> napi::Result<Response> {
        // `Kavach::handle` answers every failure (even a panic) with an error response.
        guarded(|| Ok(self.kavach.handle(&self.request)))
    }

    fn resolve(&mut self, _env: Env, response: Response) -> napi::Result<NativeResponse> {
        let headers = response.headers.into_iter().flat_map(|(name, value)| [name, value]).collect();
        Ok(NativeResponse { status: response.status.into(), headers, body: BodyBytes(response.body) })
    }
}

#[napi]
impl KavachNative {
    /// Routes one request. `headers` are flat `name, value` pairs; a trailing odd name is
    /// ignored. `client` is the connection's peer address (never a header's value): the core
    /// derives the optional per-client rate limit's key from it, `trustedProxies` and
    /// X-Forwarded-For; a request without one is never rate-limited.
    #[napi(ts_return_type = "Promise<NativeResponse>")]
    pub fn handle(
        &self,
        method: String,
        path: String,
        headers: Vec<String>,
        body: BufferSlice,
        client: Option<String>,
    ) -> AsyncTask<Handle> {
        let mut pairs = Vec::with_capacity(headers.len() / 2);
        let mut iter = headers.into_iter();
        while let (Some(name), Some(value)) = (iter.next(), iter.next()) {
            pairs.push((name, value));
        }
        let request = Request { method, path, headers: pairs, body: body.to_vec(), client };
        AsyncTask::new(Handle { kavach: Arc::clone(&self.inner), request })
    }
}
