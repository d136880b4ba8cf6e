//! `users.*` of the host API (docs/host-api.md). Results reach Python as objects (`dict`, `list`, ...).

use pyo3::prelude::*;

use crate::error::{run, run_json};
use crate::instance::KavachNative;

#[pymethods]
impl KavachNative {
    /// Creates a user (emails are unique, case-insensitively): the new user.
    #[pyo3(signature = (email, name=None))]
    fn create_user<'py>(&self, py: Python<'py>, email: String, name: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.create_user_json(&email, name.as_deref()))
    }

    /// A user by id, or `null`.
    fn get_user<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.user_json(&id))
    }

    /// A user by email (case-insensitive), or `null`.
    fn find_user_by_email<'py>(&self, py: Python<'py>, email: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.user_by_email_json(&email))
    }

    /// Whether the user can sign in some other way (then they may delete their last passkey).
    fn set_user_has_other_sign_in(&self, py: Python<'_>, id: String, value: bool) -> PyResult<()> {
        let kavach = self.inner.clone();
        run(py, move || kavach.set_user_has_other_sign_in(&id, value))
    }

    /// Changes a user's email and/or name: `body_json` is `{email?, name?}` (`name: null` clears
    /// it). The updated user.
    fn update_user<'py>(&self, py: Python<'py>, id: String, body_json: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.update_user_json(&id, &body_json))
    }

    /// Deletes a user with their passkeys, sessions and audit rows: `{deleted: true}`.
    fn delete_user<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.delete_user_json(&id))
    }

    /// A user's passkeys by user id, newest first (admin tools).
    fn user_credentials<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.user_credentials_json(&id))
    }

    /// Deletes one of a user's passkeys by user id (admin tools; may be the last): `{revoked: true}`.
    fn revoke_user_credential<'py>(
        &self,
        py: Python<'py>,
        id: String,
        credential_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.revoke_user_credential_json(&id, &credential_id))
    }

    /// A user's live sessions by user id, newest first (admin tools).
    fn user_sessions<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.user_sessions_json(&id))
    }

    /// Revokes every session of a user: `{revoked: <count>}`.
    fn revoke_user_sessions<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || kavach.revoke_user_sessions_json(&id))
    }

    /// A user's security activity by id: `{events, nextCursor}` (admin tools).
    #[pyo3(signature = (id, before=None, limit=None))]
    fn user_activity<'py>(
        &self,
        py: Python<'py>,
        id: String,
        before: Option<String>,
        limit: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || {
            kavach.user_activity_json(&id, before.as_deref(), limit.map(crate::operations::page_limit))
        })
    }
}
