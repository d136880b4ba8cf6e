//! The passkey operations of the host API (docs/host-api.md). `session` is a token, a `Cookie` header
//! value or `Bearer <token>`; the core resolves it (`UNAUTHORIZED` when there is none).

use std::sync::Arc;

use kavach_core::Kavach;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::error::{guarded, to_json};
use crate::instance::KavachNative;
use crate::task::json_task;

json_task! {
    /// `registerOptions(session, bodyJson)`.
    RegisterOptions { kavach: Arc<Kavach>, session: String, body_json: String } => |this| {
        to_json(&this.kavach.register_options_json(&this.session, &this.body_json)?)
    }
}

json_task! {
    /// `registerVerify(session, bodyJson)`: the stored credential.
    RegisterVerify { kavach: Arc<Kavach>, session: String, body_json: String } => |this| {
        to_json(&this.kavach.register_verify_json(&this.session, &this.body_json)?)
    }
}

json_task! {
    /// `authenticateOptions({email?, prf?})`.
    AuthenticateOptions { kavach: Arc<Kavach>, body_json: String } => |this| {
        to_json(&this.kavach.authenticate_options_request_json(&this.body_json)?)
    }
}

json_task! {
    /// `credentials.import(bodyJson)`: the stored credential.
    ImportCredential { kavach: Arc<Kavach>, body_json: String } => |this| {
        to_json(&this.kavach.import_credential_json(&this.body_json)?)
    }
}

json_task! {
    /// `authenticateVerify(bodyJson)`: `{userId, sessionId, token, setCookie, expiresAt}`.
    AuthenticateVerify { kavach: Arc<Kavach>, body_json: String } => |this| {
        to_json(&this.kavach.authenticate_verify_json(&this.body_json)?)
    }
}

json_task! {
    /// `listCredentials(session)`: newest first.
    ListCredentials { kavach: Arc<Kavach>, session: String } => |this| {
        to_json(&this.kavach.list_credentials_json(&this.session)?)
    }
}

json_task! {
    /// `renameCredential(session, id, name)`: the renamed credential.
    RenameCredential { kavach: Arc<Kavach>, session: String, id: String, name: String } => |this| {
        to_json(&this.kavach.rename_credential_json(&this.session, &this.id, &this.name)?)
    }
}

json_task! {
    /// `deleteCredential(session, id)`: `true`.
    DeleteCredential { kavach: Arc<Kavach>, session: String, id: String } => |this| {
        let auth = this.kavach.require_session(&this.session)?;
        this.kavach.delete_credential(&auth, &this.id)?;
        Ok("true".to_owned())
    }
}

#[napi]
impl KavachNative {
    /// Creation options for the session's user; `bodyJson` is `{}` or `{name?, authenticatorAttachment?}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn register_options(&self, session: String, body_json: String) -> AsyncTask<RegisterOptions> {
        AsyncTask::new(RegisterOptions { kavach: Arc::clone(&self.inner), session, body_json })
    }

    /// Verifies a registration response (bare or `{response, name?}`) and stores the passkey.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn register_verify(&self, session: String, body_json: String) -> AsyncTask<RegisterVerify> {
        AsyncTask::new(RegisterVerify { kavach: Arc::clone(&self.inner), session, body_json })
    }

    /// Request options for `{email?, prf?}`; with an email, that user's credentials (or stable
    /// fake ones).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn authenticate_options(&self, body_json: String) -> AsyncTask<AuthenticateOptions> {
        AsyncTask::new(AuthenticateOptions { kavach: Arc::clone(&self.inner), body_json })
    }

    /// Verifies an authentication response (bare or `{response}`) and starts a session.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn authenticate_verify(&self, body_json: String) -> AsyncTask<AuthenticateVerify> {
        AsyncTask::new(AuthenticateVerify { kavach: Arc::clone(&self.inner), body_json })
    }

    /// The session user's passkeys as a JSON array.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list_credentials(&self, session: String) -> AsyncTask<ListCredentials> {
        AsyncTask::new(ListCredentials { kavach: Arc::clone(&self.inner), session })
    }

    /// Renames one of the session user's passkeys.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn rename_credential(&self, session: String, id: String, name: String) -> AsyncTask<RenameCredential> {
        AsyncTask::new(RenameCredential { kavach: Arc::clone(&self.inner), session, id, name })
    }

    /// Deletes one of the session user's passkeys.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn delete_credential(&self, session: String, id: String) -> AsyncTask<DeleteCredential> {
        AsyncTask::new(DeleteCredential { kavach: Arc::clone(&self.inner), session, id })
    }

    /// Stores a credential registered elsewhere (U2F or WebAuthn) for an existing user.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn import_credential(&self, body_json: String) -> AsyncTask<ImportCredential> {
        AsyncTask::new(ImportCredential { kavach: Arc::clone(&self.inner), body_json })
    }

    /// A well-known document (`webauthn`, `assetlinks.json`, `apple-app-site-association`) as
    /// JSON, merged with the host's own entries (`extraJson`, empty for none).
    #[napi]
    pub fn well_known(&self, document: String, extra_json: String) -> napi::Result<String> {
        guarded(|| to_json(&self.inner.well_known_json(&document, &extra_json)?))
    }
}
