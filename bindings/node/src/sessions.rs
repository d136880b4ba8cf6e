//! `sessions.*` of the host API (docs/host-api.md).

use std::sync::Arc;

use kavach_core::Kavach;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::error::to_json;
use crate::instance::KavachNative;
use crate::task::json_task;

json_task! {
    /// `createSession(userId)`: `{token, setCookie, session: {id, userId, expiresAt}}`.
    CreateSession { kavach: Arc<Kavach>, user_id: String } => |this| {
        to_json(&this.kavach.create_session_json(&this.user_id)?)
    }
}

json_task! {
    /// `getSession(tokenOrCookie)`: `{user, session}` or `null`.
    GetSession { kavach: Arc<Kavach>, token_or_cookie: String } => |this| {
        to_json(&this.kavach.session_json(&this.token_or_cookie)?)
    }
}

json_task! {
    /// `revokeSession(id)`: whether it existed.
    RevokeSession { kavach: Arc<Kavach>, id: String } => |this| to_json(&this.kavach.revoke_session(&this.id)?)
}

json_task! {
    /// `requireRecentAuth(tokenOrCookie, seconds)`: `true`, or `REAUTH_REQUIRED`.
    RequireRecentAuth { kavach: Arc<Kavach>, token_or_cookie: String, seconds: u32 } => |this| {
        to_json(&this.kavach.require_recent_auth_json(&this.token_or_cookie, u64::from(this.seconds))?)
    }
}

#[napi]
impl KavachNative {
    /// Starts a session for a user.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_session(&self, user_id: String) -> AsyncTask<CreateSession> {
        AsyncTask::new(CreateSession { kavach: Arc::clone(&self.inner), user_id })
    }

    /// Resolves a token, `Bearer <token>` or `Cookie` header value.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_session(&self, token_or_cookie: String) -> AsyncTask<GetSession> {
        AsyncTask::new(GetSession { kavach: Arc::clone(&self.inner), token_or_cookie })
    }

    /// Revokes a session by id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn revoke_session(&self, id: String) -> AsyncTask<RevokeSession> {
        AsyncTask::new(RevokeSession { kavach: Arc::clone(&self.inner), id })
    }

    /// Whether a passkey verified the session's user within `seconds` (else `REAUTH_REQUIRED`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn require_recent_auth(&self, token_or_cookie: String, seconds: u32) -> AsyncTask<RequireRecentAuth> {
        AsyncTask::new(RequireRecentAuth { kavach: Arc::clone(&self.inner), token_or_cookie, seconds })
    }
}
