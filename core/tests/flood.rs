//! Flood resistance over loopback (issue 9): clients with no session hammer
//! `authenticate/options` (and `authenticate/verify` with junk) through a real TCP server.
//!
//! - With only the challenge cap, storage stays bounded: exactly `maxOutstandingChallenges`
//!   challenges are stored, every further request is `503 TOO_MANY_CHALLENGES` with
//!   `Retry-After`, never a 500; once they expire the sweep clears them and a real user signs in;
//!   a second flood leaves the table no bigger and the process's memory does not grow with it.
//! - With the per-client rate limit on, the flooding client is held to its budget (429
//!   `RATE_LIMITED`) while real users signing in from other addresses succeed during the flood.
//!
//! Bounded: a fixed number of requests per phase, and the whole test fails if a phase takes
//! more than a minute. The clock is the harness's movable clock, so nothing waits for expiry.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kavach_core::Kavach;
use kavach_core::http::Request;
use serde_json::{Value, json};
use support::*;

const CAP: u64 = 500;
const FLOOD_THREADS: usize = 4;
const REQUESTS_PER_THREAD: usize = 1_500;
/// Challenges live for the ceremony timeout plus 30 s of grace.
const CHALLENGE_LIFETIME_MS: i64 = 60_000 + 30_000;
const PHASE_DEADLINE: Duration = Duration::from_secs(60);

/// A minimal HTTP/1.1 keep-alive server around `Kavach::handle`. It plays a host behind its own
/// reverse proxy: the client key is the `X-Forwarded-For` the proxy set, else the peer address.
struct LoopbackServer {
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    fn start(kavach: Arc<Kavach>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let kavach = kavach.clone();
                std::thread::spawn(move || serve_connection(&kavach, stream));
            }
        });
        Self { address, stopping, acceptor: Some(acceptor) }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address); // wakes the acceptor
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
    }
}

fn serve_connection(kavach: &Kavach, stream: TcpStream) {
    let peer = stream.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let length: usize = find("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let client = find("x-forwarded-for").unwrap_or_else(|| peer.clone());
        let response = kavach.handle(&Request { method, path, headers, body, client: Some(client) });
        let mut head = format!("HTTP/1.1 {} X\r\ncontent-length: {}\r\n", response.status, response.body.len());
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        message.extend_from_slice(&response.body);
        if writer.write_all(&message).is_err() {
            return;
        }
    }
}

/// One keep-alive connection to the server.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    forwarded_for: String,
}

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Value,
}

impl Client {
    fn connect(server: &LoopbackServer, forwarded_for: &str) -> Self {
        let stream = TcpStream::connect(server.address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
            forwarded_for: forwarded_for.into(),
        }
    }

    fn post(&mut self, path: &str, body: &Value) -> Reply {
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: auth.example.com\r\ncontent-type: application/json\r\n\
             x-forwarded-for: {}\r\ncontent-length: {}\r\n\r\n{body}",
            self.forwarded_for,
            body.len()
        );
        self.writer.write_all(request.as_bytes()).unwrap();
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).unwrap();
        let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status line");
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let mut body = vec![0; headers["content-length"].parse().unwrap()];
        self.reader.read_exact(&mut body).unwrap();
        Reply { status, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) }
    }

    /// A whole sign-in: options, the authenticator's assertion, verify.
    fn sign_in(&mut self, authenticator: &mut Authenticator, email: &str) -> Reply {
        let options = self.post("/auth/passkey/authenticate/options", &json!({ "email": email }));
        assert_eq!(options.status, 200, "{}", options.body);
        let assertion = authenticator.authenticate(&options.body, ORIGIN).unwrap();
        self.post("/auth/passkey/authenticate/verify", &assertion)
    }
}

/// Status -> count over a flood of `authenticate/options` (odd requests) and junk
/// `authenticate/verify` (every tenth), from `threads` connections.
fn flood(server: &LoopbackServer, threads: usize, requests: usize, forwarded_for: &str) -> BTreeMap<u16, usize> {
    let started = Instant::now();
    let tallies: Vec<BTreeMap<u16, usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut client = Client::connect(server, forwarded_for);
                    let mut tally = BTreeMap::new();
                    for i in 0..requests {
                        let reply = if i % 10 == 9 {
                            client.post("/auth/passkey/authenticate/verify", &json!({ "id": "AAAA", "rawId": "AAAA" }))
                        } else {
                            client.post("/auth/passkey/authenticate/options", &json!({}))
                        };
                        check_refusal(&reply);
                        *tally.entry(reply.status).or_insert(0) += 1;
                        assert!(started.elapsed() < PHASE_DEADLINE, "flood phase took over a minute");
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut total = BTreeMap::new();
    for tally in tallies {
        for (status, n) in tally {
            *total.entry(status).or_insert(0) += n;
        }
    }
    total
}

/// Every answer is a success or a clear, stable refusal: never a 500.
fn check_refusal(reply: &Reply) {
    match reply.status {
        200 => {}
        400 => assert_eq!(reply.body["code"], "INVALID_REQUEST", "{}", reply.body),
        429 => {
            assert_eq!(reply.body["code"], "RATE_LIMITED", "{}", reply.body);
            assert!(reply.headers["retry-after"].parse::<u32>().unwrap() >= 1);
        }
        503 => {
            assert_eq!(reply.body["code"], "TOO_MANY_CHALLENGES", "{}", reply.body);
            assert!(reply.headers["retry-after"].parse::<u32>().unwrap() >= 1);
        }
        other => panic!("unexpected status {other}: {}", reply.body),
    }
}

/// Resident memory of this process, in KiB.
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn registered_user(h: &Harness, email: &str) -> Authenticator {
    let mut authenticator = Authenticator::new();
    let (_, token) = h.signup(email);
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    authenticator
}

#[test]
fn challenge_cap_bounds_storage_and_memory_under_an_options_flood() {
    let h = Harness::with_passkey_options(json!({ "maxOutstandingChallenges": CAP }));
    let mut ada = registered_user(&h, "ada@example.com");
    let server = LoopbackServer::start(h.kavach.clone());
    let mut real_user = Client::connect(&server, "198.51.100.1");
    // The cap counts the table at most once a second and adds this instance's own issues in
    // between; a second on, the registration challenge (used) no longer counts.
    h.advance_ms(1_000);

    let flooded = flood(&server, FLOOD_THREADS, REQUESTS_PER_THREAD, "203.0.113.7");
    let options_sent = FLOOD_THREADS * (REQUESTS_PER_THREAD - REQUESTS_PER_THREAD / 10);
    assert_eq!(flooded.get(&200).copied().unwrap_or(0) as u64, CAP, "{flooded:?}");
    assert_eq!(flooded[&503] as u64, options_sent as u64 - CAP, "{flooded:?}");
    assert_eq!(h.database.count("kavach_passkey_challenges") as u64, CAP);

    // The cap is global: while it is full, a real user cannot start either (which is what the
    // per-client rate limit is for, below). Once the flood's challenges expire, they can.
    let refused = real_user.post("/auth/passkey/authenticate/options", &json!({}));
    assert_eq!(refused.status, 503);
    h.advance_ms(CHALLENGE_LIFETIME_MS + 1);
    let signed_in = real_user.sign_in(&mut ada, "ada@example.com");
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert!(signed_in.headers["set-cookie"].starts_with("kavach_session="));

    // A second flood, as long as the first: the expired rows are swept by the new inserts, the
    // table holds at most one cap's worth of live rows plus what the sweep has not reached yet,
    // and memory does not grow with the number of requests.
    let resident_before = resident_kib();
    let again = flood(&server, FLOOD_THREADS, REQUESTS_PER_THREAD, "203.0.113.7");
    let resident_growth_kib = resident_kib().saturating_sub(resident_before);
    // CAP - 1: the real user's sign-in challenge was issued at this clock reading, and the next
    // count is a second away.
    assert_eq!(again.get(&200).copied().unwrap_or(0) as u64, CAP - 1, "{again:?}");
    let rows = h.database.count("kavach_passkey_challenges") as u64;
    assert!(rows <= CAP, "{rows} challenge rows after the second flood (cap {CAP})");
    assert!(resident_growth_kib < 16 * 1024, "resident memory grew by {resident_growth_kib} KiB over a second flood");
    eprintln!(
        "flood: {} requests per phase; phase 1 {flooded:?}; phase 2 {again:?}; {rows} challenge rows after; \
         resident memory change over phase 2: {resident_growth_kib} KiB",
        FLOOD_THREADS * REQUESTS_PER_THREAD
    );
}

#[test]
fn rate_limit_holds_a_flooding_client_while_real_users_sign_in() {
    let h = Harness::with_config(
        json!({ "maxOutstandingChallenges": CAP }),
        json!({ "rateLimit": { "window": 60, "max": 20 } }),
    );
    let users: Vec<(String, Authenticator)> = (0..4)
        .map(|i| {
            let email = format!("user{i}@example.com");
            let authenticator = registered_user(&h, &email);
            (email, authenticator)
        })
        .collect();
    let server = LoopbackServer::start(h.kavach.clone());

    let (flooded, signed_in) = std::thread::scope(|scope| {
        let flooder = scope.spawn(|| flood(&server, 3, 1_000, "203.0.113.7"));
        // Real users on their own addresses, each signing in several times during the flood.
        let real: Vec<_> = users
            .into_iter()
            .enumerate()
            .map(|(i, (email, mut authenticator))| {
                let server = &server;
                scope.spawn(move || {
                    let mut client = Client::connect(server, &format!("198.51.100.{}", i + 1));
                    (0..5).filter(|_| client.sign_in(&mut authenticator, &email).status == 200).count()
                })
            })
            .collect();
        (flooder.join().unwrap(), real.into_iter().map(|t| t.join().unwrap()).sum::<usize>())
    });
    assert_eq!(signed_in, 4 * 5, "every real sign-in succeeded during the flood");
    // The flooder's 20 requests that got through were options (200) or junk verifies (400).
    let admitted = flooded.get(&200).copied().unwrap_or(0) + flooded.get(&400).copied().unwrap_or(0);
    assert_eq!(admitted, 20, "{flooded:?}");
    assert_eq!(flooded[&429], 3 * 1_000 - 20, "{flooded:?}");
    assert!(h.database.count("kavach_passkey_challenges") <= 20, "only the flooder's admitted challenges remain");
    eprintln!("rate limit: flooder {flooded:?}; real users signed in {signed_in} times during the flood");
}
