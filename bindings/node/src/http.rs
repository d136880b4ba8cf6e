//! `handle`: the core router. A request crosses as method, path, flat header pairs and body
//! bytes; the core's response comes back the same way. Nothing is decided here.

use std::sync::Arc;

use kavach_core::Kavach;
use kavach_core::http::{Request, Response};
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::guarded;
use crate::instance::KavachNative;

/// The core's response: `headers` are flat `name, value` pairs, in order (`Set-Cookie` may
/// repeat).
#[napi(object)]
pub struct NativeResponse {
    /// HTTP status.
    pub status: u32,
    /// `[name0, value0, name1, value1, ...]`.
    pub headers: Vec<String>,
    /// The JSON body.
    pub body: Buffer,
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
        Ok(NativeResponse { status: response.status.into(), headers, body: response.body.into() })
    }
}

#[napi]
impl KavachNative {
    /// Routes one request. `headers` are flat `name, value` pairs; a trailing odd name is
    /// ignored.
    #[napi(ts_return_type = "Promise<NativeResponse>")]
    pub fn handle(&self, method: String, path: String, headers: Vec<String>, body: Buffer) -> AsyncTask<Handle> {
        let mut pairs = Vec::with_capacity(headers.len() / 2);
        let mut iter = headers.into_iter();
        while let (Some(name), Some(value)) = (iter.next(), iter.next()) {
            pairs.push((name, value));
        }
        let request = Request { method, path, headers: pairs, body: body.to_vec(), client: None };
        AsyncTask::new(Handle { kavach: Arc::clone(&self.inner), request })
    }
}
