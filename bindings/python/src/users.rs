//! `users.*` of the host API (DESIGN §4). Results are JSON text.

use pyo3::prelude::*;

use crate::error::{run, to_json};
use crate::instance::KavachNative;

#[pymethods]
impl KavachNative {
    /// Creates a user (emails are unique, case-insensitively): the new user.
    #[pyo3(signature = (email, name=None))]
    fn create_user(&self, py: Python<'_>, email: String, name: Option<String>) -> PyResult<String> {
        let kavach = self.inner.clone();
        run(py, move || to_json(&kavach.create_user_json(&email, name.as_deref())?))
    }

    /// A user by id, or `null`.
    fn get_user(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let kavach = self.inner.clone();
        run(py, move || to_json(&kavach.user_json(&id)?))
    }

    /// A user by email (case-insensitive), or `null`.
    fn find_user_by_email(&self, py: Python<'_>, email: String) -> PyResult<String> {
        let kavach = self.inner.clone();
        run(py, move || to_json(&kavach.user_by_email_json(&email)?))
    }

    /// Whether the user can sign in some other way (then they may delete their last passkey).
    fn set_user_has_other_sign_in(&self, py: Python<'_>, id: String, value: bool) -> PyResult<()> {
        let kavach = self.inner.clone();
        run(py, move || kavach.set_user_has_other_sign_in(&id, value))
    }
}
