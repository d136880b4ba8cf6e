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
}
