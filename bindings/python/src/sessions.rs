//! `sessions.*` of the host API (docs/host-api.md). Results reach Python as objects (`dict`, `list`, ...).

use pyo3::prelude::*;

use crate::error::{run, run_json};
use crate::instance::KavachNative;

#[pymethods]
impl KavachNative {
    /// Starts a session for a user: `{token, setCookie, session: {id, userId, expiresAt}}`.
    fn create_session<'py>(&self, py: Python<'py>, user_id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.create_session_json(&user_id))
    }

    /// Resolves a token, `Bearer <token>` or `Cookie` header value: `{user, session}` or `null`.
    fn get_session<'py>(&self, py: Python<'py>, token_or_header: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.session_json(&token_or_header))
    }

    /// `True` when a passkey verified the session's user within `seconds`; `REAUTH_REQUIRED`
    /// otherwise.
    fn require_recent_auth(&self, py: Python<'_>, token_or_header: String, seconds: u64) -> PyResult<bool> {
        let kavach = self.inner.clone();
        run(py, move || kavach.require_recent_auth_json(&token_or_header, seconds).map(|_| true))
    }

    /// Revokes a session by id: whether it existed.
    fn revoke_session(&self, py: Python<'_>, id: String) -> PyResult<bool> {
        let kavach = self.inner.clone();
        run(py, move || kavach.revoke_session(&id))
    }
}
