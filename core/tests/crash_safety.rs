//! Crash safety of the SQLite store (DESIGN §5): a worker process runs sign-ups, passkey
//! registrations and sign-ins from several threads against one database file and is killed with
//! SIGKILL at a random moment, many times over. After each kill the parent reopens the file and
//! checks that
//! - `PRAGMA integrity_check` is `ok` (and foreign keys hold);
//! - everything the worker acknowledged (printed after the call returned) is there: users,
//!   sessions (by token), credentials (listed with the owner's session);
//! - no challenge can be used twice across the restart: every acknowledged assertion, replayed,
//!   is `CHALLENGE_INVALID`; an assertion whose verify was in flight at the kill either completed
//!   (the stored counter reached its counter, and a replay is refused) or signs in exactly once
//!   (its challenge is consumed only in the sign-in's own transaction).
//!
//! The worker is this test binary re-executed with `KAVACH_CRASH_WORKER=1`: the test
//! [`crash_worker`] does nothing in a normal run.
//!
//! `KAVACH_CRASH_ROUNDS` (default 30) sets the number of kills.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kavach_core::{ErrorCode, Kavach};
use kavach_test_authenticator::Authenticator;
use serde_json::{Value, json};

const ORIGIN: &str = "https://app.example.com";
const WORKER_THREADS: usize = 3;

fn config(path: &Path) -> String {
    json!({
        "database": {"provider": "sqlite", "url": format!("file:{}", path.display())},
        "secret": "crash-safety-secret-at-least-32-bytes!!",
        "baseUrl": "https://auth.example.com",
        "plugins": [{"id": "passkey", "rpName": "Crash", "rpId": "example.com", "origin": [ORIGIN]}],
    })
    .to_string()
}

/// One line of the worker's protocol on stdout. Every acknowledgement is written after the call
/// it acknowledges has returned successfully.
fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// Worker: `KAVACH_CRASH_WORKER=1 KAVACH_CRASH_DB=<path> <this binary> --exact crash_worker`.
#[test]
fn crash_worker() {
    if std::env::var("KAVACH_CRASH_WORKER").as_deref() != Ok("1") {
        return;
    }
    let path = std::env::var("KAVACH_CRASH_DB").expect("KAVACH_CRASH_DB");
    let round = std::env::var("KAVACH_CRASH_ROUND").unwrap_or_default();
    let kavach = std::sync::Arc::new(Kavach::from_json(&config(Path::new(&path))).expect("worker opens the database"));
    emit("ready");
    let threads: Vec<_> = (0..WORKER_THREADS)
        .map(|t| {
            let kavach = kavach.clone();
            let round = round.clone();
            std::thread::spawn(move || {
                for n in 0.. {
                    let email = format!("r{round}-t{t}-u{n}@example.com");
                    let user = kavach.create_user(&email, None).unwrap();
                    emit(&format!("user {}", user.id));
                    let session = kavach.create_session(&user.id).unwrap();
                    emit(&format!("session {}", session.token));
                    let mut authenticator = Authenticator::new();
                    let options = kavach.register_options_json(&session.token, "{}").unwrap();
                    let response = authenticator.register(&options, ORIGIN).unwrap();
                    let credential = kavach.register_verify_json(&session.token, &response.to_string()).unwrap();
                    emit(&format!("credential {} {}", session.token, credential["id"].as_str().unwrap()));
                    for s in 0..4 {
                        let options = kavach.authenticate_options_json(Some(&email)).unwrap();
                        let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
                        let key = format!("r{round}-t{t}-u{n}-s{s}");
                        emit(&format!("begin {key} {}", assertion));
                        let signed_in = kavach.authenticate_verify_json(&assertion.to_string()).unwrap();
                        emit(&format!("signin {key} {}", signed_in["token"].as_str().unwrap()));
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// What the parent learned from the worker's output so far.
#[derive(Default)]
struct Acknowledged {
    users: Vec<String>,
    sessions: Vec<String>,
    credentials: Vec<(String, String)>,
    /// Sign-ins begun: key -> assertion.
    begun: BTreeMap<String, Value>,
    /// Sign-ins acknowledged: key -> session token.
    signed_in: BTreeMap<String, String>,
}

impl Acknowledged {
    fn read(&mut self, line: &str) {
        let mut parts = line.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("user"), Some(id), None) => self.users.push(id.to_owned()),
            (Some("session"), Some(token), None) => self.sessions.push(token.to_owned()),
            (Some("credential"), Some(token), Some(id)) => self.credentials.push((token.to_owned(), id.to_owned())),
            (Some("begin"), Some(key), Some(assertion)) => {
                self.begun.insert(key.to_owned(), serde_json::from_str(assertion).unwrap());
            }
            (Some("signin"), Some(key), Some(token)) => {
                self.signed_in.insert(key.to_owned(), token.to_owned());
            }
            (Some("ready"), None, None) => {}
            _ => {} // a line cut by the kill
        }
    }
}

fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
    hasher.finish() % n
}

fn counter_of(path: &Path, assertion: &Value) -> (u32, u32) {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let id = engine.decode(assertion["rawId"].as_str().unwrap()).unwrap();
    let auth_data = engine.decode(assertion["response"]["authenticatorData"].as_str().unwrap()).unwrap();
    let sent = u32::from_be_bytes(auth_data[33..37].try_into().unwrap());
    let db = rusqlite::Connection::open(path).unwrap();
    let stored: u32 = db
        .query_row("SELECT counter FROM kavach_passkey_credentials WHERE credential_id = ?1", [&id], |r| r.get(0))
        .unwrap_or(0);
    (sent, stored)
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    if std::env::var("KAVACH_CRASH_WORKER").is_ok() {
        return;
    }
    let rounds: usize = std::env::var("KAVACH_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().unwrap();
    let mut acked = Acknowledged::default();
    let mut checked_signins = 0usize;
    let (mut in_flight_completed, mut in_flight_usable) = (0usize, 0usize);
    let started = Instant::now();

    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_worker", "--nocapture", "--test-threads=1", "-q"])
            .env("KAVACH_CRASH_WORKER", "1")
            .env("KAVACH_CRASH_DB", &path)
            .env("KAVACH_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill at a random moment once the worker is working: 0-250 ms after its first
        // acknowledgement (libtest may print its own header lines before "ready"), so that a
        // slow or loaded machine still gets work done before each kill.
        let mut early = Vec::new();
        while lines.recv_timeout(Duration::from_secs(30)).expect("worker did not start") != "ready" {}
        early.push(lines.recv_timeout(Duration::from_secs(30)).expect("worker did no work"));
        std::thread::sleep(Duration::from_millis(random_below(250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        // Only lines fully written before the kill are acknowledgements (`lines()` yields a
        // final partial line too; `read` ignores anything malformed, and a cut JSON fails to
        // parse only for `begin`, which is then simply not known).
        let before_signins: Vec<String> = acked.begun.keys().cloned().collect();
        for line in early.into_iter().chain(lines.try_iter()) {
            if line.starts_with("begin ")
                && serde_json::from_str::<Value>(line.splitn(3, ' ').nth(2).unwrap_or("")).is_err()
            {
                continue;
            }
            acked.read(&line);
        }

        // --- after the crash ---
        let db = rusqlite::Connection::open(&path).unwrap();
        let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "round {round}: database corrupt after SIGKILL");
        let fk_violations: i64 =
            db.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(fk_violations, 0, "round {round}: foreign key violations");
        drop(db);

        let kavach = Kavach::from_json(&config(&path)).unwrap();
        for id in &acked.users {
            assert!(kavach.user(id).unwrap().is_some(), "round {round}: acknowledged user {id} lost");
        }
        for token in &acked.sessions {
            assert!(kavach.session(token).unwrap().is_some(), "round {round}: acknowledged session lost");
        }
        for (token, id) in &acked.credentials {
            let list = kavach.list_credentials_json(token).unwrap();
            assert!(
                list.as_array().unwrap().iter().any(|c| c["id"] == json!(id)),
                "round {round}: acknowledged credential {id} lost"
            );
        }
        // Sign-ins begun in this round.
        let new_keys: Vec<String> = acked.begun.keys().filter(|k| !before_signins.contains(k)).cloned().collect();
        for key in new_keys {
            let assertion = acked.begun[&key].to_string();
            if let Some(token) = acked.signed_in.get(&key) {
                // Acknowledged: its session exists and its challenge is spent.
                assert!(kavach.session(token).unwrap().is_some(), "round {round}: acknowledged sign-in {key} lost");
                let replay = kavach.authenticate_verify_json(&assertion).expect_err("replayed assertion signed in");
                assert_eq!(replay.code(), ErrorCode::ChallengeInvalid, "round {round}: replay of {key}: {replay}");
                checked_signins += 1;
            } else {
                // In flight at the kill: completed, or usable at most once.
                let (sent, stored_before) = counter_of(&path, &acked.begun[&key]);
                match kavach.authenticate_verify_json(&assertion) {
                    Ok(_) => {
                        in_flight_usable += 1;
                        let again = kavach.authenticate_verify_json(&assertion).expect_err("signed in twice");
                        assert_eq!(again.code(), ErrorCode::ChallengeInvalid, "round {round}: {again}");
                    }
                    Err(err) => {
                        assert_eq!(err.code(), ErrorCode::ChallengeInvalid, "round {round}: in-flight {key}: {err}");
                        // The challenge is consumed in the sign-in's own transaction: if it is
                        // gone, the sign-in committed (the counter moved).
                        assert!(
                            stored_before >= sent,
                            "round {round}: in-flight {key}: challenge consumed but the sign-in was not saved"
                        );
                        in_flight_completed += 1;
                    }
                }
            }
        }
        drop(kavach);
    }
    eprintln!(
        "crash safety: {rounds} SIGKILLs in {:.1?}; acknowledged and found again: {} users, {} sessions, {} credentials, \
         {} sign-ins (each replay refused); in flight at the kill: {} had completed, {} signed in once on replay",
        started.elapsed(),
        acked.users.len(),
        acked.sessions.len(),
        acked.credentials.len(),
        checked_signins,
        in_flight_completed,
        in_flight_usable
    );
    assert!(checked_signins > 0 && !acked.credentials.is_empty(), "the worker never got far enough to test anything");
}
