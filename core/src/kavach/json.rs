//! The host API (DESIGN §4) in JSON form, shared by every binding so that each one only passes
//! strings through: bodies come in as JSON text (refused over 64 KiB, like the router), results go
//! out as JSON values with the documented camelCase names.
//!
//! `session` arguments are a token, a `Cookie` header value or `Bearer <token>`.

use serde_json::{Value, json};

use super::{Kavach, NewSession};
use crate::error::{Error, Result};
use crate::http::{json_object, without_prf_outputs};
use crate::passkey::RegisterOptionsRequest;

fn to_value(value: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(Error::internal)
}

/// `{token, setCookie, session: {id, userId, expiresAt}}`: the one place a token is handed out.
fn new_session_json(session: &NewSession) -> Value {
    json!({ "token": session.token, "setCookie": session.set_cookie, "session": session.session })
}

impl Kavach {
    /// `registerOptions(session, body?)`.
    pub fn register_options_json(&self, session: &str, body: &str) -> Result<Value> {
        let auth = self.require_session(session)?;
        let request = RegisterOptionsRequest::from_value(json_object(body.as_bytes())?)?;
        to_value(self.register_options(&auth, &request)?)
    }

    /// `registerVerify(session, body)`: the stored credential.
    pub fn register_verify_json(&self, session: &str, body: &str) -> Result<Value> {
        let auth = self.require_session(session)?;
        to_value(self.register_verify(&auth, &without_prf_outputs(json_object(body.as_bytes())?))?)
    }

    /// `authenticateOptions({email?})`.
    pub fn authenticate_options_json(&self, email: Option<&str>) -> Result<Value> {
        to_value(self.authenticate_options(email)?)
    }

    /// `authenticateOptions({email?, prf?})` from a JSON object: `prf` carries the PRF salts
    /// (`{eval?, evalByCredential?}`, base64url) for the authenticator.
    pub fn authenticate_options_request_json(&self, body: &str) -> Result<Value> {
        // The host builds this object itself, so no request-body limit: an email of any length
        // answers as `authenticate_options_json` does (like an unknown email).
        let body: Value = serde_json::from_str(body)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| Error::invalid_request("authenticateOptions takes a JSON object {email?, prf?}"))?;
        if let Some(key) = body.as_object().and_then(|o| o.keys().find(|k| !["email", "prf"].contains(&k.as_str()))) {
            return Err(Error::invalid_request(format!("authenticateOptions takes {{email?, prf?}}, not '{key}'")));
        }
        let email = match body.get("email") {
            None | Some(Value::Null) => None,
            Some(Value::String(email)) => Some(email.as_str()),
            Some(_) => return Err(Error::invalid_request("email must be a string")),
        };
        let prf = body.get("prf").filter(|p| !p.is_null());
        to_value(self.authenticate_options_with(email, None, prf)?)
    }

    /// `credentials.import({userId, credentialId, publicKey, counter?, format, name?,
    /// transports?})`: the stored credential.
    pub fn import_credential_json(&self, body: &str) -> Result<Value> {
        let body = json_object(body.as_bytes())?;
        let credential: crate::passkey::ImportedCredential = serde_json::from_value(body).map_err(|err| {
            Error::invalid_request(format!("credentials.import: {}", crate::error::clipped(err, 160)))
        })?;
        to_value(self.import_credential(&credential)?)
    }

    /// `wellKnown.webauthn()`, `.assetLinks(extra?)`, `.appleAppSiteAssociation(extra?)`:
    /// `document` is `webauthn`, `assetlinks.json` or `apple-app-site-association`; `extra` the
    /// host's own entries as JSON text (empty for none).
    pub fn well_known_json(&self, document: &str, extra: &str) -> Result<Value> {
        let extra: Option<Value> = match extra.trim() {
            "" => None,
            text => Some(serde_json::from_str(text).map_err(|_| Error::invalid_request("extra is not valid JSON"))?),
        };
        match document {
            "webauthn" => Ok(self.well_known_webauthn()),
            "assetlinks.json" => self.asset_links(extra.as_ref()),
            "apple-app-site-association" => self.apple_app_site_association(extra.as_ref()),
            other => Err(Error::invalid_request(format!(
                "no well-known document '{other}' (webauthn, assetlinks.json, apple-app-site-association)"
            ))),
        }
    }

    /// `authenticateVerify(body)`: `{userId, sessionId, token, setCookie, expiresAt}`.
    pub fn authenticate_verify_json(&self, body: &str) -> Result<Value> {
        let sign_in = self.authenticate_verify(&without_prf_outputs(json_object(body.as_bytes())?))?;
        Ok(json!({
            "userId": sign_in.user_id,
            "sessionId": sign_in.session_id,
            "token": sign_in.session.token,
            "setCookie": sign_in.session.set_cookie,
            "expiresAt": sign_in.session.session.expires_at,
        }))
    }

    /// `listCredentials(session)`: newest first.
    pub fn list_credentials_json(&self, session: &str) -> Result<Value> {
        let auth = self.require_session(session)?;
        to_value(self.list_credentials(&auth)?)
    }

    /// `renameCredential(session, id, name)`: the renamed credential.
    pub fn rename_credential_json(&self, session: &str, id: &str, name: &str) -> Result<Value> {
        let auth = self.require_session(session)?;
        to_value(self.rename_credential(&auth, id, name)?)
    }

    /// `deleteCredential(session, id)`: `{deleted: true}`.
    pub fn delete_credential_json(&self, session: &str, id: &str) -> Result<Value> {
        let auth = self.require_session(session)?;
        self.delete_credential(&auth, id)?;
        Ok(json!({ "deleted": true }))
    }

    /// `sessions.requireRecentAuth(session, seconds)`: `true` when a passkey verified the
    /// session's user within `seconds` (a passkey sign-in or a step-up); `REAUTH_REQUIRED` (403)
    /// otherwise, `UNAUTHORIZED` without a live session.
    pub fn require_recent_auth_json(&self, session: &str, seconds: u64) -> Result<Value> {
        let auth = self.require_session(session)?;
        self.require_recent_auth(&auth, seconds)?;
        Ok(Value::Bool(true))
    }

    /// `users.create({email, name?})`.
    pub fn create_user_json(&self, email: &str, name: Option<&str>) -> Result<Value> {
        to_value(self.create_user(email, name)?)
    }

    /// `users.get(id)`: the user or `null`.
    pub fn user_json(&self, id: &str) -> Result<Value> {
        to_value(self.user(id)?)
    }

    /// `users.findByEmail(email)`: the user or `null`.
    pub fn user_by_email_json(&self, email: &str) -> Result<Value> {
        to_value(self.user_by_email(email)?)
    }

    /// `users.update(id, {email?, name?})`: the updated user (`name: null` clears the name).
    pub fn update_user_json(&self, id: &str, body: &str) -> Result<Value> {
        let body = json_object(body.as_bytes())?;
        if let Some(key) = body.as_object().and_then(|o| o.keys().find(|k| !["email", "name"].contains(&k.as_str()))) {
            return Err(Error::invalid_request(format!("users.update takes {{email?, name?}}, not '{key}'")));
        }
        let email = match body.get("email") {
            None => None,
            Some(Value::String(email)) => Some(email.as_str()),
            Some(_) => return Err(Error::invalid_request("email must be a string")),
        };
        let name = match body.get("name") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(name)) => Some(Some(name.as_str())),
            Some(_) => return Err(Error::invalid_request("name must be a string or null")),
        };
        to_value(self.update_user(id, email, name)?)
    }

    /// `users.delete(id)`: `{deleted: true}`; the user's passkeys, sessions and events go too.
    pub fn delete_user_json(&self, id: &str) -> Result<Value> {
        self.delete_user(id)?;
        Ok(json!({ "deleted": true }))
    }

    /// `users.listCredentials(id)`: the user's passkeys, newest first (admin tools).
    pub fn user_credentials_json(&self, id: &str) -> Result<Value> {
        to_value(self.user_credentials(id)?)
    }

    /// `users.revokeCredential(id, credentialId)`: `{revoked: true}` (admin tools; may be the
    /// last passkey).
    pub fn revoke_user_credential_json(&self, id: &str, credential_id: &str) -> Result<Value> {
        self.revoke_user_credential(id, credential_id)?;
        Ok(json!({ "revoked": true }))
    }

    /// `users.listSessions(id)`: the user's live sessions, newest first (admin tools).
    pub fn user_sessions_json(&self, id: &str) -> Result<Value> {
        to_value(self.user_sessions(id)?)
    }

    /// `users.revokeSessions(id)`: `{revoked: <count>}` (admin tools: signed out everywhere).
    pub fn revoke_user_sessions_json(&self, id: &str) -> Result<Value> {
        Ok(json!({ "revoked": self.revoke_user_sessions(id)? }))
    }

    /// `users.activity(id, {before?, limit?})`: `{events, nextCursor}` (admin tools).
    pub fn user_activity_json(&self, id: &str, before: Option<&str>, limit: Option<u32>) -> Result<Value> {
        to_value(self.user_activity(id, before, limit)?)
    }

    /// `activity(session, {before?, limit?})`: the session user's own `{events, nextCursor}`.
    pub fn activity_json(&self, session: &str, before: Option<&str>, limit: Option<u32>) -> Result<Value> {
        let auth = self.require_session(session)?;
        to_value(self.activity(&auth, before, limit)?)
    }

    /// `sessions.create(userId)`: `{token, setCookie, session}`.
    pub fn create_session_json(&self, user_id: &str) -> Result<Value> {
        Ok(new_session_json(&self.create_session(user_id)?))
    }

    /// `sessions.get(tokenOrCookieHeader)`: `{user, session}` or `null`.
    pub fn session_json(&self, token_or_header: &str) -> Result<Value> {
        Ok(match self.session(token_or_header)? {
            // A renewed session's refreshed cookie goes back to the host, to send with its answer.
            Some(auth) => match auth.refreshed_cookie() {
                Some(cookie) => json!({ "user": auth.user(), "session": auth.session(), "setCookie": cookie }),
                None => json!({ "user": auth.user(), "session": auth.session() }),
            },
            None => Value::Null,
        })
    }
}
