//! Flood resistance over loopback (issues 9 and 14): one signed-in client hammers
//! `register/options` with its session, and one client with no session hammers
//! `authenticate/options` (and `authenticate/verify` with junk), through a real TCP server.
//!
//! - With rate limits off, 100,000 options requests leave storage exactly as it was (challenges
//!   are stateless: options write nothing), answer 200 every time, never a 500, and real users
//!   signing in meanwhile succeed; memory does not grow with the number of requests.
//! - With the rate limit on, the flooders are held to their budgets (429 `RATE_LIMITED` with
//!   `Retry-After`: the anonymous one by its address, the signed-in one by its session) while
//!   real users signing in from other addresses succeed during the flood.
//!
//! Bounded: a fixed number of requests per phase, and the whole test fails if a phase takes
//! more than two minutes.

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

/// Options requests in the storage flood: half `register/options` with one session, half
/// `authenticate/options` from one client.
const STORAGE_FLOOD_REQUESTS: usize = 100_000;
const FLOOD_THREADS: usize = 4;
const PHASE_DEADLINE: Duration = Duration::from_secs(120);
/// Tables whose rows the storage flood must leave as they were (but for real users' sign-ins).
const TABLES: [&str; 6] = [
    "kavach_users",
    "kavach_sessions",
    "kavach_passkey_credentials",
    "kavach_consumed_challenges",
    "kavach_keys",
    "kavach_passkey_challenges",
];

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
    /// A `Cookie` header to send (a signed-in client).
    cookie: Option<String>,
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
            cookie: None,
        }
    }

    fn signed_in(mut self, token: &str) -> Self {
        self.cookie = Some(format!("{}={token}", kavach_core::SECURE_COOKIE_NAME));
        self
    }

    fn post(&mut self, path: &str, body: &Value) -> Reply {
        let body = body.to_string();
        let cookie = self.cookie.as_ref().map(|c| format!("cookie: {c}\r\n")).unwrap_or_default();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: auth.example.com\r\ncontent-type: application/json\r\n\
             x-forwarded-for: {}\r\n{cookie}content-length: {}\r\n\r\n{body}",
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

/// What a flooding connection sends.
#[derive(Clone, Copy)]
enum Flood<'a> {
    /// `authenticate/options` (by email every other request), and junk `authenticate/verify`
    /// every tenth, with no session.
    Anonymous,
    /// `register/options` with this session token.
    SignedIn(&'a str),
}

/// Status -> count over `requests` requests on each of `threads` connections.
fn flood(
    server: &LoopbackServer,
    threads: usize,
    requests: usize,
    forwarded_for: &str,
    kind: Flood<'_>,
) -> BTreeMap<u16, usize> {
    let started = Instant::now();
    let tallies: Vec<BTreeMap<u16, usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut client = Client::connect(server, forwarded_for);
                    if let Flood::SignedIn(token) = kind {
                        client = client.signed_in(token);
                    }
                    let mut tally = BTreeMap::new();
                    for i in 0..requests {
                        let reply = match kind {
                            Flood::SignedIn(_) => client.post("/auth/passkey/register/options", &json!({})),
                            Flood::Anonymous if i % 10 == 9 => client
                                .post("/auth/passkey/authenticate/verify", &json!({ "id": "AAAA", "rawId": "AAAA" })),
                            Flood::Anonymous if i % 2 == 0 => client.post(
                                "/auth/passkey/authenticate/options",
                                &json!({"email": format!("{i}@example.com")}),
                            ),
                            Flood::Anonymous => client.post("/auth/passkey/authenticate/options", &json!({})),
                        };
                        check_refusal(&reply);
                        *tally.entry(reply.status).or_insert(0) += 1;
                        assert!(started.elapsed() < PHASE_DEADLINE, "flood phase took over two minutes");
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
        other => panic!("unexpected status {other}: {}", reply.body),
    }
}

/// Resident memory of this process, in KiB.
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

/// `count` users with a passkey each: `(email, their authenticator)`.
fn registered_users(h: &Harness, count: usize) -> Vec<(String, Authenticator)> {
    (0..count)
        .map(|i| {
            let email = format!("user{i}@example.com");
            let authenticator = registered_user(h, &email);
            (email, authenticator)
        })
        .collect()
}

fn registered_user(h: &Harness, email: &str) -> Authenticator {
    let mut authenticator = Authenticator::new();
    let (_, token) = h.signup(email);
    assert_eq!(h.register(&mut authenticator, &token).status, 200);
    authenticator
}

/// The two floods run one at a time: each measures this process's memory.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn row_counts(h: &Harness) -> BTreeMap<&'static str, i64> {
    TABLES.iter().map(|table| (*table, h.database.count(table))).collect()
}

#[test]
fn an_options_flood_from_one_session_and_one_client_stores_nothing() {
    // Before (issue 14, finding 3): every options request stored a challenge, and the cap that
    // bounded them was global, so ~1,100 register/options a second from one account kept every
    // other user's sign-in options at 503.
    let h = Harness::new();
    let users = registered_users(&h, 2);
    let (_, mallory) = h.signup("mallory@example.com");
    let server = LoopbackServer::start(h.kavach.clone());
    let before = row_counts(&h);

    let per_thread = STORAGE_FLOOD_REQUESTS / 2 / FLOOD_THREADS;
    let _serial = SERIAL.lock();
    let ((signed_in_flood, anonymous_flood), real_sign_ins) = std::thread::scope(|scope| {
        let signed_in =
            scope.spawn(|| flood(&server, FLOOD_THREADS / 2, per_thread * 2, "203.0.113.9", Flood::SignedIn(&mallory)));
        let anonymous =
            scope.spawn(|| flood(&server, FLOOD_THREADS / 2, per_thread * 2, "203.0.113.7", Flood::Anonymous));
        let real: Vec<_> = users
            .into_iter()
            .enumerate()
            .map(|(i, (email, mut authenticator))| {
                let server = &server;
                scope.spawn(move || {
                    let mut client = Client::connect(server, &format!("198.51.100.{}", i + 1));
                    (0..5)
                        .map(|_| {
                            let reply = client.sign_in(&mut authenticator, &email);
                            assert_eq!(reply.status, 200, "{}", reply.body);
                        })
                        .count()
                })
            })
            .collect();
        let real = real.into_iter().map(|t| t.join().unwrap()).sum::<usize>() as i64;
        ((signed_in.join().unwrap(), anonymous.join().unwrap()), real)
    });

    // A second flood, after the first warmed up the threads and the allocator: memory does not
    // grow with the number of requests.
    let resident_before = resident_kib();
    flood(&server, FLOOD_THREADS / 2, per_thread, "203.0.113.7", Flood::Anonymous);
    flood(&server, FLOOD_THREADS / 2, per_thread, "203.0.113.9", Flood::SignedIn(&mallory));
    let resident_growth_kib = resident_kib().saturating_sub(resident_before);

    assert_eq!(signed_in_flood, BTreeMap::from([(200, STORAGE_FLOOD_REQUESTS / 2)]), "every register/options answered");
    let junk_verifies = STORAGE_FLOOD_REQUESTS / 2 / 10;
    assert_eq!(anonymous_flood[&200], STORAGE_FLOOD_REQUESTS / 2 - junk_verifies, "{anonymous_flood:?}");
    assert_eq!(anonymous_flood[&400], junk_verifies, "junk verifies are refused, never stored: {anonymous_flood:?}");

    // Only the real users' sign-ins wrote anything: a session and a used challenge each.
    let mut expected = before.clone();
    *expected.get_mut("kavach_sessions").unwrap() += real_sign_ins;
    *expected.get_mut("kavach_consumed_challenges").unwrap() += real_sign_ins;
    assert_eq!(row_counts(&h), expected);
    assert!(resident_growth_kib < 16 * 1024, "resident memory grew by {resident_growth_kib} KiB over a second flood");
    eprintln!(
        "storage flood: {STORAGE_FLOOD_REQUESTS} options requests; register/options {signed_in_flood:?}, \
         anonymous {anonymous_flood:?}; {real_sign_ins} real sign-ins meanwhile; rows {:?}; resident memory \
         change {resident_growth_kib} KiB",
        row_counts(&h)
    );
}

#[test]
fn rate_limit_holds_a_flooding_client_while_real_users_sign_in() {
    let h = Harness::with_config(json!({}), json!({ "rateLimit": { "window": 60, "max": 20 } }));
    let (_, mallory) = h.signup("mallory@example.com");
    let users = registered_users(&h, 4);
    let server = LoopbackServer::start(h.kavach.clone());

    let used_before = h.database.count("kavach_consumed_challenges");
    let _serial = SERIAL.lock();
    let (flooded, session_flood, signed_in) = std::thread::scope(|scope| {
        let flooder = scope.spawn(|| flood(&server, 3, 1_000, "203.0.113.7", Flood::Anonymous));
        // The signed-in flooder changes address at will; its session is what limits it.
        let session_flooder = scope.spawn(|| flood(&server, 1, 500, "203.0.113.99", Flood::SignedIn(&mallory)));
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
        (
            flooder.join().unwrap(),
            session_flooder.join().unwrap(),
            real.into_iter().map(|t| t.join().unwrap()).sum::<usize>(),
        )
    });
    assert_eq!(signed_in, 4 * 5, "every real sign-in succeeded during the flood");
    // The flooder's 20 requests that got through were options (200) or junk verifies (400).
    let admitted = flooded.get(&200).copied().unwrap_or(0) + flooded.get(&400).copied().unwrap_or(0);
    assert_eq!(admitted, 20, "{flooded:?}");
    assert_eq!(flooded[&429], 3 * 1_000 - 20, "{flooded:?}");
    assert_eq!(session_flood, BTreeMap::from([(200, 20), (429, 480)]), "the session's budget");
    let used = h.database.count("kavach_consumed_challenges") - used_before;
    assert_eq!(used, signed_in as i64, "only real sign-ins used challenges");
    eprintln!(
        "rate limit: flooder {flooded:?}; session flooder {session_flood:?}; real users signed in {signed_in} \
         times during the flood"
    );
}
