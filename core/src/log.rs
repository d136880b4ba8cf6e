//! Structured logs (DESIGN §10): one JSON line per internal error, per security-relevant refusal
//! and per operator warning, e.g.
//!
//! ```text
//! {"at":"2026-12-05T10:00:00.000Z","level":"warn","kind":"refusal","route":"/passkey/authenticate/verify","method":"POST","status":400,"code":"VERIFICATION_FAILED","client":"203.0.113.7","message":"signature does not verify"}
//! ```
//!
//! By default each line goes to stderr. A host installs a log hook ([`set_log_hook`]) to send
//! them to its own logger: lines then reach it through a bounded queue on a thread of their own,
//! so a slow logger never slows a request (a full queue drops lines and counts them in
//! `kavach_log_lines_dropped_total`). Lines never carry a token, challenge, key or PRF value.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::events::outbox::Outbox;

type Sink = Box<dyn Fn(&str) + Send + Sync>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// The host's log hook, behind its queue; `None`: stderr.
static HOOK: RwLock<Option<Arc<Outbox<String>>>> = RwLock::new(None);

/// Lines a log hook's queue may hold before dropping.
const HOOK_QUEUE: usize = 4096;

/// Installs a function that receives internal error details synchronously, on the thread that
/// found them (tests and fuzzers use it to fail on the spot). Only the first call has an effect;
/// returns whether this call installed the sink. Hosts want [`set_log_hook`].
pub fn set_internal_error_sink(sink: impl Fn(&str) + Send + Sync + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

/// Sends every log line (a JSON object, no trailing newline) to `hook` instead of stderr, through
/// a bounded queue on its own thread. Replaces an earlier hook, after delivering what it had
/// pending. Process-wide: log lines also come from places that belong to no instance.
pub fn set_log_hook(hook: impl Fn(&str) + Send + Sync + 'static) -> std::io::Result<()> {
    let outbox = Outbox::start("kavach-log", HOOK_QUEUE, Box::new(move |line: &String| hook(line)))?;
    let previous = HOOK.write().replace(Arc::new(outbox));
    if let Some(previous) = previous {
        previous.close(Duration::from_secs(1));
    }
    Ok(())
}

/// Removes the log hook (lines go to stderr again), after delivering what it had pending.
pub fn clear_log_hook() {
    if let Some(previous) = HOOK.write().take() {
        previous.close(Duration::from_secs(1));
    }
}

/// Waits (at most `timeout`) until the log hook has received every line logged so far.
pub fn flush_log(timeout: Duration) -> bool {
    let hook = HOOK.read().clone();
    hook.is_none_or(|hook| hook.flush(timeout))
}

/// Lines the current log hook's queue dropped.
pub(crate) fn dropped_lines() -> u64 {
    HOOK.read().as_ref().map_or(0, |hook| hook.stats().dropped)
}

/// An internal error's detail (the client got a generic `INTERNAL`).
pub(crate) fn internal_error(detail: &str) {
    if let Some(sink) = SINK.get() {
        sink(detail);
    }
    line("error", "internal", Map::from_iter([("message".to_owned(), json!(detail))]));
}

/// Something the operator should fix that does not stop kavach (a deprecated option, a stale
/// metadata BLOB, a cloned authenticator under `counterPolicy: 'flag'`).
pub(crate) fn warning(detail: &str) {
    line("warn", "warning", Map::from_iter([("message".to_owned(), json!(detail))]));
}

/// A security-relevant refusal the router answered (`fields`: route, method, status, code,
/// client, message).
pub(crate) fn refusal(fields: Map<String, Value>) {
    line("warn", "refusal", fields);
}

fn line(level: &str, kind: &str, fields: Map<String, Value>) {
    let mut object = Map::new();
    object.insert("at".into(), json!(crate::time::iso8601(crate::time::now_ms())));
    object.insert("level".into(), json!(level));
    object.insert("kind".into(), json!(kind));
    object.extend(fields);
    let text = Value::Object(object).to_string();
    match HOOK.read().as_ref() {
        Some(hook) => {
            hook.push(text);
        }
        None => eprintln!("{text}"),
    }
}
