//! Users, as the host manages them (DESIGN §4): its own sign-up creates them, kavach holds their
//! passkeys.

use super::{Kavach, User};
use crate::error::{Error, ErrorCode, Result};
use crate::random;
use crate::store::{UserInsertOutcome, UserRecord};

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
        match self.store.insert_user(&record)? {
            UserInsertOutcome::Inserted => Ok(User::from(&record)),
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
        if self.store.set_has_other_sign_in(user_id, value)? {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::UserNotFound, "no such user"))
        }
    }
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
