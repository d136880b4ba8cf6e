//! `open(configJson)`: validates the configuration and opens the database. Opening runs the
//! migrations, so it happens on the libuv pool like every other operation.

use std::sync::Arc;

use kavach_core::Kavach;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::guarded;
use crate::instance::KavachNative;

/// Task behind `open`.
pub struct Open {
    config_json: String,
}

impl Task for Open {
    type Output = Kavach;
    type JsValue = KavachNative;

    fn compute(&mut self) -> napi::Result<Kavach> {
        let config = std::mem::take(&mut self.config_json);
        guarded(|| Kavach::from_json(&config))
    }

    fn resolve(&mut self, _env: Env, kavach: Kavach) -> napi::Result<KavachNative> {
        Ok(KavachNative { inner: Arc::new(kavach), events: Default::default() })
    }
}

/// Parses, validates and opens a configuration (docs/configuration.md, JSON with the documented names).
/// Rejects with `INVALID_CONFIG` and the core's message when it is wrong.
#[napi(ts_return_type = "Promise<KavachNative>")]
pub fn open(config_json: String) -> AsyncTask<Open> {
    AsyncTask::new(Open { config_json })
}
