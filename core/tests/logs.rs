//! Structured logs (DESIGN §10): one JSON line per security refusal (and internal error), to the
//! host's log hook. One test in its own binary: the hook is process-wide.

mod support;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::*;

#[test]
fn security_refusals_reach_the_log_hook_as_json_lines_without_secrets() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    kavach_core::set_log_hook(move |line| sink.lock().push(line.to_owned())).unwrap();
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");

    // A foreign origin, a replayed registration, a request without a session (not logged: an
    // ordinary mistake), and a request through a client address.
    let foreign = kavach_core::http::Request::new("POST", "/auth/passkey/register/options")
        .header("origin", "https://evil.example")
        .header("cookie", &format!("{}={token}", kavach_core::SECURE_COOKIE_NAME))
        .client("203.0.113.7");
    assert_eq!(h.kavach.handle(&foreign).status, 403);
    let mut authenticator = Authenticator::new();
    let options = h.register_options(&token);
    let credential = authenticator.register(&options, ORIGIN).unwrap();
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 200);
    assert_eq!(h.post("/auth/passkey/register/verify", &credential, Some(&token)).status, 400);
    assert_eq!(h.request("GET", "/auth/session", None, None).status, 401);
    assert!(kavach_core::flush_log(Duration::from_secs(5)));

    let parsed: Vec<Value> = lines.lock().iter().map(|l| serde_json::from_str(l).expect(l)).collect();
    let refusals: Vec<&Value> = parsed.iter().filter(|l| l["kind"] == "refusal").collect();
    assert_eq!(refusals.len(), 2, "{parsed:?}");
    let origin = refusals[0];
    assert_eq!(
        (&origin["level"], &origin["code"], &origin["status"], &origin["route"], &origin["client"]),
        (
            &json!("warn"),
            &json!("FORBIDDEN_ORIGIN"),
            &json!(403),
            &json!("/passkey/register/options"),
            &json!("203.0.113.7")
        )
    );
    assert_eq!(refusals[1]["code"], "CHALLENGE_INVALID");
    assert!(origin["at"].as_str().unwrap().ends_with('Z'));
    for line in lines.lock().iter() {
        assert!(!line.contains(&token), "a token in a log line: {line}");
        assert!(!line.contains(options["challenge"].as_str().unwrap()), "a challenge in a log line: {line}");
    }
    kavach_core::clear_log_hook();
}
