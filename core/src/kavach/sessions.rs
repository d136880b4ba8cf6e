//! Sessions: created by a passkey sign-in or by the host after its own sign-up, resolved from a
//! token, a `Cookie` header or `Bearer <token>`, revoked by id.

use super::{Authenticated, Kavach, NewSession, SessionInfo};
use crate::error::{Error, ErrorCode, Result};
use crate::random;
use crate::session;
use crate::store::SessionRecord;

impl Kavach {
    /// Starts a session for a user (how a host signs someone in after its own sign-up).
    pub fn create_session(&self, user_id: &str) -> Result<NewSession> {
        if self.store.user_by_id(user_id)?.is_none() {
            return Err(Error::new(ErrorCode::UserNotFound, "no such user"));
        }
        let (record, token) = self.new_session_record(user_id);
        self.store.insert_session(&record)?;
        Ok(self.new_session(record, token))
    }

    /// Resolves a token, `Bearer <token>`, or a `Cookie` header to its live session.
    pub fn session(&self, token_or_header: &str) -> Result<Option<Authenticated>> {
        match session::token_from_any(token_or_header, self.settings.secure_cookies) {
            Some(token) => self.session_for_token(&token),
            None => Ok(None),
        }
    }

    /// Revokes a session by id. Returns whether it existed.
    pub fn revoke_session(&self, session_id: &str) -> Result<bool> {
        self.store.delete_session(session_id)
    }

    pub(crate) fn session_for_token(&self, token: &str) -> Result<Option<Authenticated>> {
        let now = self.now();
        let Some((session, user)) = self.store.session_by_token_hash(&session::hash_token(token), now)? else {
            return Ok(None);
        };
        self.store.touch_session(&session.id, now)?;
        Ok(Some(Authenticated { session, user }))
    }

    /// Like [`Kavach::session`], but no session is `UNAUTHORIZED`.
    pub fn require_session(&self, token_or_header: &str) -> Result<Authenticated> {
        self.session(token_or_header)?.ok_or_else(unauthorized)
    }

    pub(crate) fn new_session_record(&self, user_id: &str) -> (SessionRecord, String) {
        let now = self.now();
        let (token, token_hash) = session::new_token();
        let max_age_ms = i64::try_from(self.settings.session_max_age).unwrap_or(i64::MAX / 2) * 1000;
        let record = SessionRecord {
            id: random::new_uuid(),
            token_hash,
            user_id: user_id.to_owned(),
            created_at: now,
            expires_at: now.saturating_add(max_age_ms),
            last_seen_at: now,
        };
        (record, token)
    }

    pub(crate) fn new_session(&self, record: SessionRecord, token: String) -> NewSession {
        let set_cookie = session::session_cookie(&token, self.settings.session_max_age, self.settings.secure_cookies);
        NewSession { session: SessionInfo::from(&record), token, set_cookie }
    }
}

pub(crate) fn unauthorized() -> Error {
    Error::new(ErrorCode::Unauthorized, "sign in first: no valid session")
}
