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

json_task! {
    /// `users.update(id, {email?, name?})`: the updated user.
    UpdateUser { kavach: Arc<Kavach>, id: String, body_json: String } => |this| {
        to_json(&this.kavach.update_user_json(&this.id, &this.body_json)?)
    }
}

json_task! {
    /// `users.delete(id)`: `{deleted: true}`.
    DeleteUser { kavach: Arc<Kavach>, id: String } => |this| to_json(&this.kavach.delete_user_json(&this.id)?)
}

json_task! {
    /// `users.listCredentials(id)`: the user's passkeys.
    UserCredentials { kavach: Arc<Kavach>, id: String } => |this| {
        to_json(&this.kavach.user_credentials_json(&this.id)?)
    }
}

json_task! {
    /// `users.revokeCredential(id, credentialId)`: `{revoked: true}`.
    RevokeUserCredential { kavach: Arc<Kavach>, id: String, credential_id: String } => |this| {
        to_json(&this.kavach.revoke_user_credential_json(&this.id, &this.credential_id)?)
    }
}

json_task! {
    /// `users.listSessions(id)`: the user's live sessions.
    UserSessions { kavach: Arc<Kavach>, id: String } => |this| to_json(&this.kavach.user_sessions_json(&this.id)?)
}

json_task! {
    /// `users.revokeSessions(id)`: `{revoked: <count>}`.
    RevokeUserSessions { kavach: Arc<Kavach>, id: String } => |this| {
        to_json(&this.kavach.revoke_user_sessions_json(&this.id)?)
    }
}

json_task! {
    /// `users.activity(id, {before?, limit?})`: `{events, nextCursor}`.
    UserActivity { kavach: Arc<Kavach>, id: String, before: Option<String>, limit: Option<u32> } => |this| {
        to_json(&this.kavach.user_activity_json(&this.id, this.before.as_deref(), this.limit)?)
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

    /// Changes a user's email and/or name (`bodyJson`: `{email?, name?}`, `name: null` clears it).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn update_user(&self, id: String, body_json: String) -> AsyncTask<UpdateUser> {
        AsyncTask::new(UpdateUser { kavach: Arc::clone(&self.inner), id, body_json })
    }

    /// Deletes a user with their passkeys, sessions and audit rows.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn delete_user(&self, id: String) -> AsyncTask<DeleteUser> {
        AsyncTask::new(DeleteUser { kavach: Arc::clone(&self.inner), id })
    }

    /// A user's passkeys by user id, as a JSON array (admin tools).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn user_credentials(&self, id: String) -> AsyncTask<UserCredentials> {
        AsyncTask::new(UserCredentials { kavach: Arc::clone(&self.inner), id })
    }

    /// Revokes one of a user's passkeys (admin tools; may be the last one).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn revoke_user_credential(&self, id: String, credential_id: String) -> AsyncTask<RevokeUserCredential> {
        AsyncTask::new(RevokeUserCredential { kavach: Arc::clone(&self.inner), id, credential_id })
    }

    /// A user's live sessions by user id, as a JSON array (admin tools).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn user_sessions(&self, id: String) -> AsyncTask<UserSessions> {
        AsyncTask::new(UserSessions { kavach: Arc::clone(&self.inner), id })
    }

    /// Revokes every session of a user (admin tools).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn revoke_user_sessions(&self, id: String) -> AsyncTask<RevokeUserSessions> {
        AsyncTask::new(RevokeUserSessions { kavach: Arc::clone(&self.inner), id })
    }

    /// A user's security activity by user id, newest first (admin tools).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn user_activity(&self, id: String, before: Option<String>, limit: Option<u32>) -> AsyncTask<UserActivity> {
        AsyncTask::new(UserActivity { kavach: Arc::clone(&self.inner), id, before, limit })
    }
}
