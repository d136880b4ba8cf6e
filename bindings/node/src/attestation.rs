//! `attestation.*` of the host API (docs/host-api.md): FIDO metadata replaced at run time.

use std::sync::Arc;

use kavach_core::Kavach;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::error::to_json;
use crate::instance::KavachNative;
use crate::task::json_task;

json_task! {
    /// `loadMetadata(blob)`: `{number, nextUpdate, stale}`.
    LoadMetadata { kavach: Arc<Kavach>, blob: String } => |this| to_json(&this.kavach.load_metadata(&this.blob)?)
}

#[napi]
impl KavachNative {
    /// Verifies a FIDO MDS3 BLOB against the FIDO root and makes it the metadata in use.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_metadata(&self, blob: String) -> AsyncTask<LoadMetadata> {
        AsyncTask::new(LoadMetadata { kavach: Arc::clone(&self.inner), blob })
    }
}
