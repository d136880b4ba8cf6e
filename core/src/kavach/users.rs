//! Users, as the host manages them (DESIGN §4): its own sign-up creates them, kavach holds their
//! passkeys.

use super::{Kavach, SessionListing, User};
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventType};
use crate::passkey::Credential;
use crate::random;
use crate::store::{DeleteOutcome, UserInsertOutcome, UserRecord, UserUpdate, UserUpdateOutcome, email_key};

impl Kavach {
    /// Creates a user. Emails are unique, compared case-insensitively.
    pub fn create_user(&self, email: &str, name: Option<&str>) -> Result<User> {
        let email = validate_email(email)?;
        let name = name.map(|n| validate_display_name(n, "name")).transpose()?;
        let record = UserRecord {
            id: random::new_uuid(),
            email,
            name,
            webauthn_user_id: random::random_bytes::<32>().to_vec(),
            has_other_sign_in: false,
            created_at: self.now(),
        };
        let events = [Event::new(EventType::UserCreated, record.created_at).user(&record.id)];
        match self.store.insert_user(&record, &self.audit(&events))? {
            UserInsertOutcome::Inserted => {
                self.publish(events.into());
                Ok(User::from(&record))
            }
            UserInsertOutcome::EmailTaken => {
                Err(Error::new(ErrorCode::UserExists, "a user with this email already exists"))
            }
        }
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_id(id)?.as_ref().map(User::from))
    }

    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_email(email.trim())?.as_ref().map(User::from))
    }

    /// Tells kavach whether the user can sign in some other way (password, email link): if so,
    /// they may delete their last passkey.
    pub fn set_user_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<()> {
        if self.store.set_has_other_sign_in(user_id, value)? { Ok(()) } else { Err(user_not_found()) }
    }
}

impl Kavach {
    /// `users.update(id, {email?, name?})`: a new email (unique, case-insensitive) and/or display
    /// name (`Some(None)` clears it). Unknown user: `USER_NOT_FOUND`; email taken: `USER_EXISTS`.
    pub fn update_user(&self, user_id: &str, email: Option<&str>, name: Option<Option<&str>>) -> Result<User> {
        let email = email.map(validate_email).transpose()?;
        let name = match name {
            Some(Some(name)) => Some(Some(validate_display_name(name, "name")?)),
            Some(None) => Some(None),
            None => None,
        };
        let key = email.as_deref().map(email_key);
        let update =
            UserUpdate { email: email.as_deref().zip(key.as_deref()), name: name.as_ref().map(|n| n.as_deref()) };
        match self.store.update_user(user_id, &update)? {
            UserUpdateOutcome::Updated(record) => Ok(User::from(&record)),
            UserUpdateOutcome::NotFound => Err(user_not_found()),
            UserUpdateOutcome::EmailTaken => {
                Err(Error::new(ErrorCode::UserExists, "a user with this email already exists"))
            }
        }
    }

    /// `users.delete(id)`: erases the user and everything kavach holds about them (passkeys,
    /// sessions, security events), in one transaction. Unknown user: `USER_NOT_FOUND`.
    pub fn delete_user(&self, user_id: &str) -> Result<()> {
        match self.store.delete_user(user_id)? {
            true => Ok(()),
            false => Err(user_not_found()),
        }
    }

    /// A user's passkeys by user id, newest first (admin tools). Unknown user: `USER_NOT_FOUND`.
    pub fn user_credentials(&self, user_id: &str) -> Result<Vec<Credential>> {
        self.require_user(user_id)?;
        Ok(self.store.credentials_of_user(user_id)?.iter().map(Credential::from).collect())
    }

    /// Revokes one of a user's passkeys by user id (admin tools: a lost or compromised
    /// authenticator). Unlike the user's own delete it may remove the last one. Not theirs:
    /// `CREDENTIAL_NOT_FOUND`.
    pub fn revoke_user_credential(&self, user_id: &str, credential_id: &str) -> Result<()> {
        let id = crate::base64url::decode_canonical(credential_id, "credential id")?;
        let events = [Event::new(EventType::PasskeyDeleted, self.now()).user(user_id).credential(&id)];
        match self.store.delete_credential(user_id, &id, true, &self.audit(&events))? {
            DeleteOutcome::Deleted => {
                self.publish(events.into());
                Ok(())
            }
            DeleteOutcome::NotFound | DeleteOutcome::LastCredential => {
                Err(Error::new(ErrorCode::CredentialNotFound, "no such passkey"))
            }
        }
    }

    /// A user's live sessions by user id, newest first (admin tools; `current` is always false).
    pub fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionListing>> {
        self.require_user(user_id)?;
        Ok(self.store.sessions_of_user(user_id, self.now())?.iter().map(|s| SessionListing::of(s, None)).collect())
    }

    /// Revokes every session of a user (admin tools: sign them out everywhere). Returns how many.
    pub fn revoke_user_sessions(&self, user_id: &str) -> Result<u64> {
        self.require_user(user_id)?;
        let events = [Event::new(EventType::SessionRevoked, self.now()).user(user_id)];
        let revoked = self.store.delete_sessions_of_user(user_id, None, None, &self.audit(&events))?;
        if revoked > 0 {
            self.publish(events.into_iter().map(|e| e.count(revoked)).collect());
        }
        Ok(revoked)
    }

    fn require_user(&self, user_id: &str) -> Result<UserRecord> {
        self.store.user_by_id(user_id)?.ok_or_else(user_not_found)
    }
}

fn user_not_found() -> Error {
    Error::new(ErrorCode::UserNotFound, "no such user")
}

fn validate_email(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid { Ok(email.to_owned()) } else { Err(Error::invalid_request("email is not a valid email address")) }
}

/// Names shown in UIs: 1 to 64 characters after trimming, no control characters.
pub(crate) fn validate_display_name(name: &str, field: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::invalid_request(format!("{field} must be 1 to 64 characters without control characters")));
    }
    Ok(name.to_owned())
}
