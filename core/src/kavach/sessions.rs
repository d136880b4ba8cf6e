//! Sessions: created by a passkey sign-in or by the host after its own sign-up, resolved from a
//! token, a `Cookie` header or `Bearer <token>` (renewing them as they are used, DESIGN §10),
//! listed and revoked by their user, revoked by id by the host.

use serde::Serialize;

use super::{Authenticated, Kavach, NewSession, SessionInfo};
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::random;
use crate::session;
use crate::store::SessionRecord;
use crate::time;

impl Kavach {
    /// Starts a session for a user (how a host signs someone in after its own sign-up).
    pub fn create_session(&self, user_id: &str) -> Result<NewSession> {
        if self.store.user_by_id(user_id)?.is_none() {
            return Err(Error::new(ErrorCode::UserNotFound, "no such user"));
        }
        let (record, token) = self.new_session_record(user_id, false);
        let events = [Event::new(EventType::SessionCreated, record.created_at).user(user_id).session(&record.id)];
        self.store.insert_session(&record, &self.audit(&events))?;
        self.publish(events.into());
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
        let events = [Event::new(EventType::SessionRevoked, self.now()).session(session_id)];
        match self.store.delete_session(session_id, &self.audit(&events))? {
            Some(user_id) => {
                self.publish(events.into_iter().map(|e| e.user(&user_id)).collect());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub(crate) fn session_for_token(&self, token: &str) -> Result<Option<Authenticated>> {
        let now = self.now();
        let Some((session, user)) = self.store.session_by_token_hash(&session::hash_token(token), now)? else {
            return Ok(None);
        };
        self.store.touch_session(&session.id, now)?;
        let mut auth = Authenticated { session, user, refreshed_cookie: None };
        self.renew(&mut auth, token, now)?;
        Ok(Some(auth))
    }

    /// Sliding expiry: a session used `updateAge` after its last renewal gets `maxAge` more,
    /// never past `absoluteMaxAge` from its start. A revoked session is deleted, so it cannot be
    /// found, let alone renewed; the store also refuses to renew one that expired meanwhile.
    fn renew(&self, auth: &mut Authenticated, token: &str, now: i64) -> Result<()> {
        let session = &auth.session;
        let update_age_ms = seconds_ms(self.settings.session_update_age);
        if now.saturating_sub(session.renewed_at) < update_age_ms {
            return Ok(());
        }
        let cap = session.created_at.saturating_add(seconds_ms(self.settings.session_absolute_max_age));
        let expires_at = now.saturating_add(seconds_ms(self.settings.session_max_age)).min(cap);
        let events = [Event::new(EventType::SessionRenewed, now).user(&session.user_id).session(&session.id)];
        if expires_at <= session.expires_at
            || !self.store.renew_session(&session.id, expires_at, now, &self.audit(&events))?
        {
            return Ok(());
        }
        self.publish(events.into());
        auth.session.expires_at = expires_at;
        auth.session.renewed_at = now;
        let max_age = u64::try_from((expires_at - now) / 1000).unwrap_or(0);
        auth.refreshed_cookie = Some(session::session_cookie(token, max_age, self.settings.secure_cookies));
        Ok(())
    }

    /// `GET /sessions`: the signed-in user's live sessions, newest first, `current` marking the
    /// one making the request.
    pub fn list_sessions(&self, auth: &Authenticated) -> Result<Vec<SessionListing>> {
        Ok(self
            .store
            .sessions_of_user(&auth.user.id, self.now())?
            .iter()
            .map(|record| SessionListing::of(record, Some(&auth.session.id)))
            .collect())
    }

    /// `DELETE /sessions/:id`: revokes one of the signed-in user's sessions (another user's is
    /// "not found": the answer does not say it exists). Returns whether it was the current one.
    pub fn revoke_own_session(&self, auth: &Authenticated, id: &str) -> Result<bool> {
        let events = [Event::new(EventType::SessionRevoked, self.now()).user(&auth.user.id).session(id)];
        match self.store.delete_sessions_of_user(&auth.user.id, Some(id), None, &self.audit(&events))? {
            0 => Err(Error::new(ErrorCode::NotFound, "no such session")),
            _ => {
                self.publish(events.into());
                Ok(id == auth.session.id)
            }
        }
    }

    /// `POST /sessions/revoke-others`: signs the user out everywhere else. Returns how many.
    pub fn revoke_other_sessions(&self, auth: &Authenticated) -> Result<u64> {
        let events = [Event::new(EventType::SessionRevoked, self.now()).user(&auth.user.id)];
        let revoked =
            self.store.delete_sessions_of_user(&auth.user.id, None, Some(&auth.session.id), &self.audit(&events))?;
        if revoked > 0 {
            self.publish(events.into_iter().map(|e| e.count(revoked)).collect());
        }
        Ok(revoked)
    }

    /// Like [`Kavach::session`], but no session is `UNAUTHORIZED`.
    pub fn require_session(&self, token_or_header: &str) -> Result<Authenticated> {
        self.session(token_or_header)?.ok_or_else(unauthorized)
    }

    /// A new session for `user_id`; `by_passkey` when a passkey just verified the user (it then
    /// counts as a recent passkey check).
    pub(crate) fn new_session_record(&self, user_id: &str, by_passkey: bool) -> (SessionRecord, String) {
        let now = self.now();
        let (token, token_hash) = session::new_token();
        let record = SessionRecord {
            id: random::new_uuid(),
            token_hash,
            user_id: user_id.to_owned(),
            created_at: now,
            expires_at: now.saturating_add(seconds_ms(self.settings.session_max_age)),
            last_seen_at: now,
            renewed_at: now,
            authenticated_at: by_passkey.then_some(now),
        };
        (record, token)
    }

    pub(crate) fn new_session(&self, record: SessionRecord, token: String) -> NewSession {
        let set_cookie = session::session_cookie(&token, self.settings.session_max_age, self.settings.secure_cookies);
        NewSession { session: SessionInfo::from(&record), token, set_cookie }
    }
}

/// A session as its user's list shows it (`GET /sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionListing {
    /// Session id.
    pub id: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// Last request seen with it (to the minute), ISO-8601 UTC.
    pub last_seen_at: String,
    /// ISO-8601 UTC.
    pub expires_at: String,
    /// When a passkey last verified its user, ISO-8601 UTC; null for a session the host created.
    pub authenticated_at: Option<String>,
    /// The session making this request.
    pub current: bool,
}

impl SessionListing {
    /// A stored session as listed; `current` when its id is `current_id`.
    pub(crate) fn of(record: &SessionRecord, current_id: Option<&str>) -> Self {
        Self {
            id: record.id.clone(),
            created_at: time::iso8601(record.created_at),
            last_seen_at: time::iso8601(record.last_seen_at),
            expires_at: time::iso8601(record.expires_at),
            authenticated_at: record.authenticated_at.map(time::iso8601),
            current: current_id == Some(record.id.as_str()),
        }
    }
}

fn seconds_ms(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX / 2_000).saturating_mul(1000)
}

pub(crate) fn unauthorized() -> Error {
    Error::new(ErrorCode::Unauthorized, "sign in first: no valid session")
}
