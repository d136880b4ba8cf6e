//! `users.*` of the host API (docs/host-api.md).

use std::sync::Arc;

use kavach_core::Kavach;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::error::to_json;
use crate::instance::KavachNative;
use crate::task::json_task;

json_task! {
    /// `createUser(email, name)`: the new user.
    CreateUser { kavach: Arc<Kavach>, email: String, name: Option<String> } => |this| {
        to_json(&this.kavach.create_user(&this.email, this.name.as_deref())?)
    }
}

json_task! {
    /// `getUser(id)`: the user or `null`.
    GetUser { kavach: Arc<Kavach>, id: String } => |this| to_json(&this.kavach.user(&this.id)?)
}

json_task! {
    /// `findUserByEmail(email)`: the user or `null`.
    FindUserByEmail { kavach: Arc<Kavach>, email: String } => |this| {
        to_json(&this.kavach.user_by_email(&this.email)?)
    }
}

json_task! {
    /// `setUserHasOtherSignIn(id, value)`: `true`.
    SetUserHasOtherSignIn { kavach: Arc<Kavach>, id: String, value: bool } => |this| {
        this.kavach.set_user_has_other_sign_in(&this.id, this.value)?;
        Ok("true".to_owned())
    }
}

#[napi]
impl KavachNative {
    /// Creates a user (emails are unique, case-insensitively).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_user(&self, email: String, name: Option<String>) -> AsyncTask<CreateUser> {
        AsyncTask::new(CreateUser { kavach: Arc::clone(&self.inner), email, name })
    }

    /// A user by id, as JSON (`null` when there is none).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_user(&self, id: String) -> AsyncTask<GetUser> {
        AsyncTask::new(GetUser { kavach: Arc::clone(&self.inner), id })
    }

    /// A user by email, as JSON (`null` when there is none).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn find_user_by_email(&self, email: String) -> AsyncTask<FindUserByEmail> {
        AsyncTask::new(FindUserByEmail { kavach: Arc::clone(&self.inner), email })
    }

    /// Whether the user can sign in some other way (then they may delete their last passkey).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn set_user_has_other_sign_in(&self, id: String, value: bool) -> AsyncTask<SetUserHasOtherSignIn> {
        AsyncTask::new(SetUserHasOtherSignIn { kavach: Arc::clone(&self.inner), id, value })
    }
}
