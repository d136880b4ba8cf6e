//! Security events (DESIGN §10): what happened to an account, told three ways. Each is written
//! to the audit log (`kavach_events`) in the transaction of the change it records, counted in
//! [`crate::Kavach::metrics`], and handed to the host's handler after commit, off the request
//! path ([`outbox`]).
//!
//! An event never carries a secret: no token, challenge, key, signature or PRF value; the ids it
//! names (user, credential, session) are the ones the API already shows their owner.

pub(crate) mod outbox;

use std::cell::RefCell;

use serde_json::{Map, Value, json};

use crate::time;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// The host created a user (`users.create`).
    UserCreated,
    /// A passkey was registered (`register/verify`).
    PasskeyRegistered,
    /// A passkey was renamed by its user.
    PasskeyRenamed,
    /// A passkey was deleted, by its user or by the host.
    PasskeyDeleted,
    /// A passkey sign-in started a session.
    SigninSucceeded,
    /// A sign-in was refused (`code` says why). Stored only when it names someone's passkey,
    /// and then aggregated per user, code and hour.
    SigninFailed,
    /// A session started (a passkey sign-in or `sessions.create`).
    SessionCreated,
    /// A session was revoked: signed out, revoked by its user or by the host (`count` of them).
    SessionRevoked,
    /// A session slid its expiry forward (sliding renewal).
    SessionRenewed,
    /// A step-up passkey check inside a session succeeded.
    StepupSucceeded,
    /// A passkey's signature counter went backwards: it may have been cloned.
    CounterRegression,
    /// The rate limiter refused a request.
    RateLimited,
    /// The FIDO metadata in use is past its `nextUpdate`.
    MetadataStale,
    /// The host imported a credential (`credentials.import`).
    CredentialImported,
}

impl EventType {
    /// Every type, in the order the docs list them.
    pub const ALL: [EventType; 14] = [
        Self::UserCreated,
        Self::PasskeyRegistered,
        Self::PasskeyRenamed,
        Self::PasskeyDeleted,
        Self::SigninSucceeded,
        Self::SigninFailed,
        Self::SessionCreated,
        Self::SessionRevoked,
        Self::SessionRenewed,
        Self::StepupSucceeded,
        Self::CounterRegression,
        Self::RateLimited,
        Self::MetadataStale,
        Self::CredentialImported,
    ];

    /// The stable name: `signin.failed`, `passkey.registered`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserCreated => "user.created",
            Self::PasskeyRegistered => "passkey.registered",
            Self::PasskeyRenamed => "passkey.renamed",
            Self::PasskeyDeleted => "passkey.deleted",
            Self::SigninSucceeded => "signin.succeeded",
            Self::SigninFailed => "signin.failed",
            Self::SessionCreated => "session.created",
            Self::SessionRevoked => "session.revoked",
            Self::SessionRenewed => "session.renewed",
            Self::StepupSucceeded => "stepup.succeeded",
            Self::CounterRegression => "counter.regression",
            Self::RateLimited => "rate.limited",
            Self::MetadataStale => "metadata.stale",
            Self::CredentialImported => "credential.imported",
        }
    }

    /// The type with this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// One event, as handlers receive it and the activity list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventType,
    /// When, Unix milliseconds (for an aggregated failure: the latest).
    pub at: i64,
    /// The account it concerns, when there is one.
    pub user_id: Option<String>,
    /// The passkey (credential ID, base64url), when one is concerned.
    pub credential_id: Option<String>,
    /// The session, when one is concerned.
    pub session_id: Option<String>,
    /// The client key of the request (its address, after `trustedProxies`), when it came
    /// through the router with one.
    pub client: Option<String>,
    /// An error code: why a sign-in failed.
    pub code: Option<String>,
    /// How many: failures aggregated into one stored row, sessions revoked at once. 1 otherwise.
    pub count: u64,
}

impl Event {
    /// An event of `kind` at `at`, concerning nothing yet, with the current request's client.
    pub(crate) fn new(kind: EventType, at: i64) -> Self {
        Self {
            kind,
            at,
            user_id: None,
            credential_id: None,
            session_id: None,
            client: current_client(),
            code: None,
            count: 1,
        }
    }

    pub(crate) fn user(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_owned());
        self
    }

    pub(crate) fn credential(mut self, credential_id: &[u8]) -> Self {
        self.credential_id = Some(crate::base64url::encode(credential_id));
        self
    }

    pub(crate) fn session(mut self, session_id: &str) -> Self {
        self.session_id = Some(session_id.to_owned());
        self
    }

    pub(crate) fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    pub(crate) fn count(mut self, count: u64) -> Self {
        self.count = count;
        self
    }

    /// `{type, at, userId?, credentialId?, sessionId?, client?, code?, count?}` (`count` only
    /// above 1): the one JSON form, for handlers in every binding and `GET /passkey/activity`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("type".into(), json!(self.kind.as_str()));
        object.insert("at".into(), json!(time::iso8601(self.at)));
        let optional = [
            ("userId", &self.user_id),
            ("credentialId", &self.credential_id),
            ("sessionId", &self.session_id),
            ("client", &self.client),
            ("code", &self.code),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                object.insert(name.into(), json!(value));
            }
        }
        if self.count > 1 {
            object.insert("count".into(), json!(self.count));
        }
        Value::Object(object)
    }
}

thread_local! {
    /// The client key of the request the router is handling on this thread. Set for the length
    /// of [`crate::Kavach::handle`] only, so that events deep inside a ceremony name their client
    /// without every host-API signature growing a parameter.
    static CLIENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with `client` as the current request's client.
pub(crate) fn with_client<T>(client: Option<String>, f: impl FnOnce() -> T) -> T {
    let previous = CLIENT.with(|c| c.replace(client.map(|c| bounded_client(&c))));
    let out = f();
    CLIENT.with(|c| *c.borrow_mut() = previous);
    out
}

fn current_client() -> Option<String> {
    CLIENT.with(|c| c.borrow().clone())
}

/// A client key as stored: printable, at most 64 characters (it comes from the host or a
/// proxy's header and ends up in a database and in logs).
fn bounded_client(client: &str) -> String {
    client.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_json_has_no_empty_fields() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        let event = Event::new(EventType::SigninFailed, 0).user("u").code("VERIFICATION_FAILED").count(3);
        assert_eq!(
            event.to_json(),
            json!({"type": "signin.failed", "at": "1970-01-01T00:00:00.000Z", "userId": "u",
                   "code": "VERIFICATION_FAILED", "count": 3})
        );
    }

    #[test]
    fn the_client_is_the_current_requests_and_bounded() {
        assert_eq!(Event::new(EventType::RateLimited, 0).client, None);
        let long = format!("1.2.3.4\n{}", "x".repeat(100));
        let event = with_client(Some(long), || Event::new(EventType::RateLimited, 0));
        assert_eq!(event.client.as_deref().map(str::len), Some(64));
        assert!(!event.client.unwrap().contains('\n'));
        assert_eq!(Event::new(EventType::RateLimited, 0).client, None);
    }
}
