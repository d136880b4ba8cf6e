//! Operating kavach (DESIGN §10): security events to a host handler, the audit log and
//! `GET /passkey/activity`, metrics, and the host's user management, each checked against what a
//! real ceremony did.

mod support;

use std::sync::Arc;
use std::time::Duration;

use kavach_core::http::Response;
use kavach_core::{ErrorCode, Event, EventType};
use kavach_test_authenticator::{b64, decode_b64url};
use parking_lot::Mutex;
use serde_json::{Value, json};
use support::*;

/// Every event the instance hands its handler, in order.
fn record_events(h: &Harness) -> Arc<Mutex<Vec<Event>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    h.kavach.set_event_handler(move |event| sink.lock().push(event.clone())).unwrap();
    seen
}

fn delivered(h: &Harness, seen: &Mutex<Vec<Event>>) -> Vec<Event> {
    assert!(h.kavach.flush_events(Duration::from_secs(5)));
    std::mem::take(&mut *seen.lock())
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn activity(h: &Harness, token: &str, query: &str) -> Value {
    let response = h.request("GET", &format!("/auth/passkey/activity{query}"), None, Some(token));
    assert_eq!(response.status, 200, "{}", response.json());
    response.json()
}

fn activity_types(h: &Harness, token: &str) -> Vec<String> {
    let page = activity(h, token, "?limit=200");
    page["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

/// An assertion for the authenticator's passkey whose signature is broken.
fn forged_sign_in(h: &Harness, authenticator: &mut Authenticator) -> Response {
    let options = h.authenticate_options(None);
    let mut assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    let mut signature = decode_b64url(assertion["response"]["signature"].as_str().unwrap()).unwrap();
    let last = signature.len() - 1;
    signature[last] ^= 0x55;
    assertion["response"]["signature"] = json!(b64(&signature));
    h.post("/auth/passkey/authenticate/verify", &assertion, None)
}

#[test]
fn a_ceremony_hands_its_events_to_the_handler_after_commit_without_secrets() {
    let h = Harness::new();
    let seen = record_events(&h);
    let (user_id, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    let registered = h.register(&mut authenticator, &token);
    assert_eq!(registered.status, 200);
    let credential_id = registered.json()["credential"]["id"].as_str().unwrap().to_owned();
    let signed_in = h.sign_in(&mut authenticator, None);
    let passkey_token = cookie_token(&signed_in);
    let session_id = signed_in.json()["sessionId"].as_str().unwrap().to_owned();

    let events = delivered(&h, &seen);
    assert_eq!(
        kinds(&events),
        ["user.created", "session.created", "passkey.registered", "signin.succeeded", "session.created"]
    );
    let sign_in = &events[3];
    assert_eq!(sign_in.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(sign_in.credential_id.as_deref(), Some(credential_id.as_str()));
    assert_eq!(sign_in.session_id.as_deref(), Some(session_id.as_str()));
    for event in &events {
        let text = event.to_json().to_string();
        assert!(!text.contains(&token) && !text.contains(&passkey_token), "a token in {text}");
        assert_eq!(event.to_json()["userId"], json!(user_id));
    }

    // Rename, delete (after a second passkey), revoke others, sign out.
    let mut second = Authenticator::new();
    assert_eq!(h.register(&mut second, &passkey_token).status, 200);
    let path = format!("/auth/passkey/credentials/{credential_id}");
    assert_eq!(h.request("PATCH", &path, Some(&json!({"name": "Laptop"})), Some(&passkey_token)).status, 200);
    assert_eq!(h.request("DELETE", &path, None, Some(&passkey_token)).status, 200);
    let revoked = h.request("POST", "/auth/sessions/revoke-others", None, Some(&passkey_token));
    assert_eq!(revoked.json(), json!({"revoked": 1}));
    assert_eq!(h.request("POST", "/auth/sign-out", None, Some(&passkey_token)).status, 200);
    let events = delivered(&h, &seen);
    assert_eq!(
        kinds(&events),
        ["passkey.registered", "passkey.renamed", "passkey.deleted", "session.revoked", "session.revoked"]
    );
    assert_eq!(events[3].count, 1);
    assert_eq!(events[4].session_id.as_deref(), Some(session_id.as_str()));
}

#[test]
fn a_stuck_or_panicking_handler_never_holds_up_or_breaks_a_ceremony() {
    let h = Harness::new();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    h.kavach
        .set_event_handler(move |event| {
            // Stuck until the test lets go (or 30 s pass).
            let _ = gate.lock().recv_timeout(Duration::from_secs(30));
            assert_ne!(event.kind, EventType::SessionCreated, "a host bug");
        })
        .unwrap();
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    for _ in 0..3 {
        assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    }
    // Every ceremony completed while the handler had not finished one event.
    assert!(h.kavach.metrics().contains("kavach_events_delivered_total 0\n"));
    for _ in 0..9 {
        release.send(()).unwrap();
    }
    assert!(h.kavach.close(), "pending events delivered at close");
    let metrics = h.kavach.metrics();
    assert!(metrics.contains("kavach_events_delivered_total 9\n"), "{metrics}");
    assert!(metrics.contains("kavach_events_dropped_total 0\n"), "{metrics}");
    assert!(h.kavach.set_event_handler(|_| {}).is_err(), "one handler per instance");
}

#[test]
fn the_activity_list_shows_a_users_own_history_newest_first_by_cursor() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let (_, grace) = h.signup("grace@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    for _ in 0..3 {
        h.advance_ms(1_000);
        assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    }
    let types = activity_types(&h, &token);
    // A sign-in's session is named by its signin.succeeded row: no session.created row beside it.
    assert_eq!(types[..4], ["signin.succeeded", "signin.succeeded", "signin.succeeded", "passkey.registered"]);
    assert_eq!(types.len(), 2 + 1 + 3, "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("user.created"));
    assert_eq!(activity_types(&h, &grace), ["session.created", "user.created"], "only their own");

    // Pages of 4 by cursor: every event once, newest first.
    let mut seen = Vec::new();
    let mut query = "?limit=4".to_owned();
    loop {
        let page = activity(&h, &token, &query);
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 4);
        seen.extend(events.iter().map(|e| e["at"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=4&before={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), types.len());
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "newest first: {seen:?}");

    let bad = |query: &str| h.request("GET", &format!("/auth/passkey/activity{query}"), None, Some(&token));
    assert_error(&bad("?limit=0"), 400, "INVALID_REQUEST");
    assert_error(&bad("?limit=201"), 400, "INVALID_REQUEST");
    assert_error(&bad("?limit=x"), 400, "INVALID_REQUEST");
    assert_error(&bad("?before=%%%"), 400, "INVALID_REQUEST");
    assert_error(&h.request("GET", "/auth/passkey/activity", None, None), 401, "UNAUTHORIZED");
}

#[test]
fn failed_sign_ins_with_someones_passkey_are_aggregated_so_nobody_can_flood_their_history() {
    let h = Harness::new();
    let seen = record_events(&h);
    let (user_id, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    delivered(&h, &seen);
    for _ in 0..25 {
        assert_error(&forged_sign_in(&h, &mut authenticator), 401, "VERIFICATION_FAILED");
    }
    let events = delivered(&h, &seen);
    assert_eq!(events.len(), 25, "each attempt is an event for the handler");
    assert!(events.iter().all(|e| e.kind == EventType::SigninFailed
        && e.code.as_deref() == Some("VERIFICATION_FAILED")
        && e.user_id.as_deref() == Some(user_id.as_str())));

    // Stored: one row for the hour, counting them.
    let page = activity(&h, &token, "");
    let failed: Vec<&Value> =
        page["events"].as_array().unwrap().iter().filter(|e| e["type"] == "signin.failed").collect();
    assert_eq!(failed.len(), 1, "{page}");
    assert_eq!((failed[0]["count"].as_u64(), failed[0]["code"].as_str()), (Some(25), Some("VERIFICATION_FAILED")));
    // The next hour starts a new row.
    h.advance_ms(3_600_000);
    assert_error(&forged_sign_in(&h, &mut authenticator), 401, "VERIFICATION_FAILED");
    assert!(h.kavach.flush_events(Duration::from_secs(5)));
    assert_eq!(activity_types(&h, &token).iter().filter(|t| *t == "signin.failed").count(), 2);
    assert_eq!(h.database.count("kavach_events"), 5, "user, session, passkey and two failure rows");
}

#[test]
fn a_regressed_counter_is_an_event_and_is_stored() {
    let h = Harness::new();
    let seen = record_events(&h);
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    authenticator.credentials_mut()[0].counter = 0;
    delivered(&h, &seen);
    assert_error(&h.sign_in(&mut authenticator, None), 401, "COUNTER_REGRESSION");
    assert_eq!(kinds(&delivered(&h, &seen)), ["signin.failed", "counter.regression"]);
    assert_eq!(activity_types(&h, &token)[0], "signin.failed");
}

#[test]
fn an_event_is_stored_only_with_its_change() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    let options = h.register_options(&token);
    let credential = authenticator.register(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
    // The same response again: refused (its challenge is spent), and nothing is stored for it.
    let replay = h.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_eq!(replay.status, 400);
    let registered = activity_types(&h, &token).iter().filter(|t| *t == "passkey.registered").count();
    assert_eq!(registered, 1);
    // The last passkey cannot be deleted: no passkey.deleted.
    let id = activity(&h, &token, "")["events"][0]["credentialId"].as_str().unwrap().to_owned();
    let refused = h.request("DELETE", &format!("/auth/passkey/credentials/{id}"), None, Some(&token));
    assert_error(&refused, 409, "LAST_CREDENTIAL");
    assert!(!activity_types(&h, &token).contains(&"passkey.deleted".to_owned()));
}

#[test]
fn old_events_are_removed_after_the_retention_period() {
    let h = Harness::with_config(json!({}), json!({"audit": {"retentionDays": 1}}));
    let (_, token) = h.signup("ada@example.com");
    assert_eq!(h.database.count("kavach_events"), 2);
    h.advance_ms(2 * 24 * 3_600_000);
    let (_, grace) = h.signup("grace@example.com");
    assert_eq!(h.database.count("kavach_events"), 2, "ada's two went with grace's two writes");
    assert_eq!(activity(&h, &grace, "")["events"].as_array().unwrap().len(), 2);
    drop(token);
}

#[test]
fn the_audit_log_and_metrics_can_be_turned_off() {
    let h = Harness::with_config(json!({}), json!({"audit": {"enabled": false}, "metrics": {"enabled": false}}));
    let seen = record_events(&h);
    let (_, token) = h.signup("ada@example.com");
    assert_eq!(h.database.count("kavach_events"), 0);
    assert_eq!(activity(&h, &token, "")["events"], json!([]));
    assert_eq!(kinds(&delivered(&h, &seen)), ["user.created", "session.created"], "the handler still hears");
    assert!(!h.kavach.metrics().contains("kavach_http_requests_total{"));
    let bad = Harness::config(&TestDatabase::new_sqlite(), &json!({}));
    let mut bad = bad.as_object().unwrap().clone();
    bad.insert("audit".into(), json!({"retentionDays": 0}));
    let err = kavach_core::Kavach::from_json(&Value::Object(bad).to_string()).err().unwrap();
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
}

/// `name{labels} value` lines of a family, parsed.
fn samples(text: &str, family: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#') && line.starts_with(family))
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn sample(text: &str, name: &str) -> f64 {
    samples(text, name).into_iter().find(|(n, _)| n == name).map_or(0.0, |(_, v)| v)
}

#[test]
fn metrics_count_what_happened_by_route_template_and_code() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    for _ in 0..3 {
        assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    }
    assert_error(&forged_sign_in(&h, &mut authenticator), 401, "VERIFICATION_FAILED");
    let missing = h.request("DELETE", "/auth/passkey/credentials/AAAA", None, Some(&token));
    assert_error(&missing, 404, "CREDENTIAL_NOT_FOUND");
    h.request("GET", "/auth/nope/123", None, None);
    let text = h.kavach.metrics();

    let requests = |route: &str, method: &str, status: u16| {
        sample(
            &text,
            &format!("kavach_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(requests("/passkey/authenticate/options", "POST", 200), 4.0);
    assert_eq!(requests("/passkey/authenticate/verify", "POST", 200), 3.0);
    assert_eq!(requests("/passkey/authenticate/verify", "POST", 401), 1.0);
    assert_eq!(requests("/passkey/register/verify", "POST", 200), 1.0);
    assert_eq!(requests("/passkey/credentials/:id", "DELETE", 404), 1.0);
    assert_eq!(requests("unmatched", "GET", 404), 1.0);
    assert!(!text.contains("AAAA") && !text.contains("/nope"), "no raw path in a label");
    let errors = "kavach_http_errors_total{route=\"/passkey/authenticate/verify\",code=\"VERIFICATION_FAILED\"}";
    assert_eq!(sample(&text, errors), 1.0);
    let events =
        |kind: &str, code: &str| sample(&text, &format!("kavach_events_total{{type=\"{kind}\",code=\"{code}\"}}"));
    assert_eq!(events("signin.succeeded", ""), 3.0);
    assert_eq!(events("signin.failed", "VERIFICATION_FAILED"), 1.0);
    assert_eq!(events("passkey.registered", ""), 1.0);
    assert_eq!(events("user.created", ""), 1.0);
    // The histogram: cumulative buckets, +Inf equal to the count.
    let verify = "route=\"/passkey/authenticate/verify\",method=\"POST\"";
    let count = sample(&text, &format!("kavach_http_request_duration_seconds_count{{{verify}}}"));
    let inf = sample(&text, &format!("kavach_http_request_duration_seconds_bucket{{{verify},le=\"+Inf\"}}"));
    assert_eq!((count, inf), (4.0, 4.0));
    let buckets: Vec<f64> = samples(&text, "kavach_http_request_duration_seconds_bucket")
        .into_iter()
        .filter(|(name, _)| name.contains(verify))
        .map(|(_, v)| v)
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert!(text.contains("# TYPE kavach_http_request_duration_seconds histogram"));
}

#[test]
fn the_host_updates_and_deletes_users_and_manages_their_passkeys_and_sessions() {
    let h = Harness::new();
    let (user_id, token) = h.signup("ada@example.com");
    h.signup("grace@example.com");
    let mut authenticator = Authenticator::new();
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    let k = &h.kavach;

    let updated = k.update_user(&user_id, Some("Ada@Example.org"), Some(Some("Ada L."))).unwrap();
    assert_eq!((updated.email.as_str(), updated.name.as_deref()), ("Ada@Example.org", Some("Ada L.")));
    assert_eq!(k.user_by_email("ada@example.org").unwrap().unwrap().id, user_id);
    assert_eq!(k.update_user(&user_id, None, Some(None)).unwrap().name, None);
    assert_eq!(k.update_user(&user_id, Some("GRACE@example.com"), None).unwrap_err().code(), ErrorCode::UserExists);
    assert_eq!(k.update_user("nobody", None, None).unwrap_err().code(), ErrorCode::UserNotFound);
    assert_eq!(k.update_user(&user_id, Some("not an email"), None).unwrap_err().code(), ErrorCode::InvalidRequest);

    // Admin views and revocations by user id.
    assert_eq!(k.user_sessions(&user_id).unwrap().len(), 2);
    let credentials = k.user_credentials(&user_id).unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(k.revoke_user_sessions(&user_id).unwrap(), 2);
    assert_eq!(h.request("GET", "/auth/session", None, Some(&token)).status, 401);
    k.revoke_user_credential(&user_id, &credentials[0].id).unwrap();
    assert!(k.user_credentials(&user_id).unwrap().is_empty(), "an admin may remove the last one");
    assert_eq!(
        k.revoke_user_credential(&user_id, &credentials[0].id).unwrap_err().code(),
        ErrorCode::CredentialNotFound
    );
    assert_eq!(k.user_sessions("nobody").unwrap_err().code(), ErrorCode::UserNotFound);
    let history = k.user_activity(&user_id, None, None).unwrap();
    let types: Vec<&str> = history.events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["passkey.deleted", "session.revoked"]);
    assert_eq!(history.events[1]["count"], 2);

    // Delete: the user, and every passkey, session and event of theirs; nobody else's.
    let session = k.create_session(&user_id).unwrap();
    let before = h.database.count("kavach_events");
    k.delete_user(&user_id).unwrap();
    assert!(k.user(&user_id).unwrap().is_none());
    assert!(k.session(&session.token).unwrap().is_none());
    assert_eq!(h.database.count("kavach_sessions"), 1, "grace's");
    assert_eq!(h.database.count("kavach_passkey_credentials"), 0);
    assert_eq!(h.database.count("kavach_events"), 2, "grace's two of {before}");
    assert_eq!(k.delete_user(&user_id).unwrap_err().code(), ErrorCode::UserNotFound);
}
