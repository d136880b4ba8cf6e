//! The passkey operations of the host API (docs/host-api.md), over `kavach_core::verify::json`. `session` is a
//! token, a `Cookie` header value or `Bearer <token>`; the core resolves it (`UNAUTHORIZED` when
//! there is none). Results reach Python as objects (`dict`, `list`, ...).

use pyo3::prelude::*;

use crate::error::run_json;
use crate::instance::KavachNative;

#[pymethods]
impl KavachNative {
    /// Creation options for the session's user; `body_json` is `{}` or
    /// `{name?, authenticatorAttachment?}`.
    fn register_options<'py>(
        &self,
        py: Python<'py>,
        session: String,
        body_json: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.register_options_json(&session, &body_json))
    }

    /// Verifies a registration response (bare or `{response, name?}`) and stores the passkey.
    fn register_verify<'py>(&self, py: Python<'py>, session: String, body_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.register_verify_json(&session, &body_json))
    }

    /// Request options for `{email?, prf?}` (JSON); with an email, that user's credentials (or
    /// stable fake ones).
    fn authenticate_options<'py>(&self, py: Python<'py>, body_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.authenticate_options_request_json(&body_json))
    }

    /// Verifies an authentication response (bare or `{response}`) and starts a session:
    /// `{userId, sessionId, token, setCookie, expiresAt}`.
    fn authenticate_verify<'py>(&self, py: Python<'py>, body_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.authenticate_verify_json(&body_json))
    }

    /// The session user's passkeys, newest first, as a JSON array.
    fn list_credentials<'py>(&self, py: Python<'py>, session: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.list_credentials_json(&session))
    }

    /// Renames one of the session user's passkeys: the renamed credential.
    fn rename_credential<'py>(
        &self,
        py: Python<'py>,
        session: String,
        id: String,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.rename_credential_json(&session, &id, &name))
    }

    /// Deletes one of the session user's passkeys: `{"deleted": true}`.
    fn delete_credential<'py>(&self, py: Python<'py>, session: String, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.delete_credential_json(&session, &id))
    }

    /// `credentials.import`: stores a credential registered elsewhere (U2F or WebAuthn).
    fn import_credential<'py>(&self, py: Python<'py>, body_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.import_credential_json(&body_json))
    }

    /// A well-known document (`webauthn`, `assetlinks.json`, `apple-app-site-association`),
    /// merged with the host's own entries (`extra_json`, empty for none).
    fn well_known<'py>(&self, py: Python<'py>, document: String, extra_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.well_known_json(&document, &extra_json))
    }
}
