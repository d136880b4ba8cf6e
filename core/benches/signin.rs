//! Criterion benchmarks of kavach-core's hot paths (issue #8). Run pinned to one core:
//!
//! ```sh
//! taskset -c 0 cargo bench -p kavach-core --bench signin
//! KAVACH_BENCH_DB_DIR=/var/tmp taskset -c 0 cargo bench -p kavach-core --bench signin -- pair
//! ```
//!
//! - `verify/<alg>`: the stateless verifier (`api::verify_authentication`, what every binding's
//!   `verifyAuthenticationResponse` calls) on a pre-signed assertion, per COSE algorithm.
//! - `options/{usernameless,email}`: `POST /passkey/authenticate/options` through the router.
//! - `pair/router`: a full sign-in through the router: options, then verify (challenge consume,
//!   signature, counter compare-and-set, session insert). The assertion is signed between the two
//!   calls by the software authenticator; only the two `handle` calls are timed.
//!   `pair/router-ml-dsa-44`: the same with ML-DSA-44 credentials (issue 21).
//! - `registration/router`: register options + verify through the router (attestation "none"),
//!   again timing only the two `handle` calls.
//!
//! Times are CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`; every call here runs
//! on it), not wall time, so other load on a shared machine does not skew them.
//!
//! The SQLite database lives in `KAVACH_BENCH_DB_DIR` (default `/dev/shm` when it exists, where
//! fsync is free and the numbers are the CPU cost; point it at a disk to include fsync).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, params};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kavach_core::Kavach;
use kavach_core::http::{Request, Response};
use kavach_test_authenticator::{Algorithm, Authenticator};
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";
const RP_ID: &str = "localhost";
const USERS: usize = 64;

/// CPU time consumed so far by this thread (`CLOCK_THREAD_CPUTIME_ID`, nanosecond precision).
fn cpu_now() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time of `iters` calls of `f`.
fn cpu_of(iters: u64, mut f: impl FnMut()) -> Duration {
    let start = cpu_now();
    for _ in 0..iters {
        f();
    }
    cpu_now() - start
}

fn db_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KAVACH_BENCH_DB_DIR") {
        return PathBuf::from(dir);
    }
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() { shm } else { std::env::temp_dir() }
}

struct Fixture {
    kavach: Kavach,
    dir: tempfile::TempDir,
}

fn kavach() -> Fixture {
    kavach_in(db_dir())
}

fn kavach_in(parent: PathBuf) -> Fixture {
    kavach_with(parent, json!({}))
}

/// [`kavach_in`] with top-level options `top` merged in (`audit`, `metrics`).
fn kavach_with(parent: PathBuf, top: Value) -> Fixture {
    let dir = tempfile::Builder::new().prefix("kavach-bench-").tempdir_in(parent).expect("temp dir");
    let url = format!("file:{}", dir.path().join("kavach.db").display());
    let mut config = json!({
        "secret": "bench-secret-bench-secret-bench-secret!!",
        "baseUrl": ORIGIN,
        "database": { "provider": "sqlite", "url": url },
        // The options bench issues far more unused challenges than any real site keeps
        // outstanding: lift the flood cap so that it measures the work, not the refusal.
        "plugins": [{ "id": "passkey", "rpName": "bench", "rpId": RP_ID, "origin": [ORIGIN],
                      "maxOutstandingChallenges": 100_000_000u64 }],
    });
    config.as_object_mut().expect("object").extend(top.as_object().expect("object").clone());
    Fixture { kavach: Kavach::from_json(&config.to_string()).expect("kavach"), dir }
}

fn post(kavach: &Kavach, path: &str, cookie: Option<&str>, body: &Value) -> Response {
    let mut request = Request::new("POST", path).header("origin", ORIGIN).json(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    kavach.handle(&request)
}

fn ok(response: Response) -> Value {
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    response.json()
}

/// A user with a session cookie.
fn user(kavach: &Kavach, email: &str) -> String {
    let user = kavach.create_user(email, None).expect("user");
    let session = kavach.create_session(&user.id).expect("session");
    format!("kavach_session={}", session.token)
}

/// One registration through the router; returns the CPU time spent in the two `handle` calls.
fn register(kavach: &Kavach, authenticator: &mut Authenticator, cookie: &str) -> Duration {
    register_as(kavach, authenticator, cookie, None)
}

/// [`register`] with the credential algorithm forced (`None`: the first one offered that the
/// authenticator supports, as a browser picks).
fn register_as(kavach: &Kavach, authenticator: &mut Authenticator, cookie: &str, alg: Option<Algorithm>) -> Duration {
    let t = cpu_now();
    let options = ok(post(kavach, "/auth/passkey/register/options", Some(cookie), &json!({})));
    let mut spent = cpu_now() - t;
    let response = match alg {
        Some(alg) => authenticator.register_with(&options, ORIGIN, alg),
        None => authenticator.register(&options, ORIGIN),
    }
    .expect("register");
    let t = cpu_now();
    ok(post(kavach, "/auth/passkey/register/verify", Some(cookie), &response));
    spent += cpu_now() - t;
    spent
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    for alg in Algorithm::ALL {
        let mut authenticator = Authenticator::new();
        let creation = json!({
            "challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "rp": { "id": RP_ID, "name": "bench" },
            "user": { "id": "dXNlcg", "name": "user", "displayName": "user" },
            "pubKeyCredParams": [{ "type": "public-key", "alg": alg.cose_id() }],
        });
        authenticator.register_with(&creation, ORIGIN, alg).expect("register");
        let challenge = "Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMzI";
        let response = authenticator
            .authenticate(&json!({ "challenge": challenge, "rpId": RP_ID }), ORIGIN)
            .expect("authenticate");
        let credential = &authenticator.credentials()[0];
        let input = json!({
            "response": response,
            "expectedChallenge": challenge,
            "expectedOrigin": ORIGIN,
            "expectedRPID": RP_ID,
            "credential": {
                "publicKey": URL_SAFE_NO_PAD.encode(&credential.cose_public_key),
                "counter": 0,
            },
        });
        kavach_core::verify::json::verify_authentication(&input).expect("verifies");
        group.bench_with_input(BenchmarkId::from_parameter(format!("{alg:?}")), &input, |b, input| {
            b.iter_custom(|iters| {
                cpu_of(iters, || {
                    kavach_core::verify::json::verify_authentication(input).expect("verifies");
                })
            });
        });
    }
    group.finish();
}

fn options(c: &mut Criterion) {
    let fx = kavach();
    let kavach = &fx.kavach;
    let mut authenticator = Authenticator::new();
    let cookie = user(kavach, "someone@bench.example");
    register(kavach, &mut authenticator, &cookie);
    let mut group = c.benchmark_group("options");
    group.throughput(Throughput::Elements(1));
    group.bench_function("usernameless", |b| {
        b.iter_custom(|iters| {
            cpu_of(iters, || {
                ok(post(kavach, "/auth/passkey/authenticate/options", None, &json!({})));
            })
        });
    });
    let body = json!({ "email": "someone@bench.example" });
    group.bench_function("email", |b| {
        b.iter_custom(|iters| {
            cpu_of(iters, || {
                ok(post(kavach, "/auth/passkey/authenticate/options", None, &body));
            })
        });
    });
    group.finish();
    drop(fx.dir);
}

/// One authenticator (one credential, counter on) per user, like real users.
fn registered_users(kavach: &Kavach) -> Vec<(String, Authenticator)> {
    registered_users_as(kavach, None)
}

/// [`registered_users`] whose credentials use `alg` (`None`: what a browser would pick).
fn registered_users_as(kavach: &Kavach, alg: Option<Algorithm>) -> Vec<(String, Authenticator)> {
    (0..USERS)
        .map(|i| {
            let email = format!("user{i}@bench.example");
            let cookie = user(kavach, &email);
            let mut authenticator = Authenticator::new().with_counter(true);
            register_as(kavach, &mut authenticator, &cookie, alg);
            (email, authenticator)
        })
        .collect()
}

/// Authenticate options (by email) and verify through the router.
fn sign_in(kavach: &Kavach, email: &str, authenticator: &mut Authenticator) {
    let options = ok(post(kavach, "/auth/passkey/authenticate/options", None, &json!({ "email": email })));
    let response = authenticator.authenticate(&options, ORIGIN).expect("authenticate");
    let signed_in = post(kavach, "/auth/passkey/authenticate/verify", None, &response);
    assert_eq!(signed_in.status, 200, "{}", String::from_utf8_lossy(&signed_in.body));
}

fn pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("pair");
    group.throughput(Throughput::Elements(1));
    // `router`: what a browser picks from the default options, EdDSA (-8 comes first). Its
    // signing probe signs EdDSA too: until issue 21 it signed ES256, which costs more than the
    // users' EdDSA and so took a few microseconds too many off. `router-ml-dsa-44`: every user
    // holds an ML-DSA-44 credential, and the probe signs with ML-DSA-44.
    pair_with(&mut group, "router", kavach(), None, Algorithm::EdDsa);
    pair_with(&mut group, "router-ml-dsa-44", kavach(), Some(Algorithm::MlDsa44), Algorithm::MlDsa44);
    group.finish();
}

/// The cost of operating (issue 19): the sign-in pair with security events to a handler, the
/// audit log (the sign-in's event row, in the sign-in's transaction) and metrics, next to the same pair
/// with all three off.
fn operations(c: &mut Criterion) {
    let mut group = c.benchmark_group("operations");
    group.throughput(Throughput::Elements(1));
    let on = kavach_with(db_dir(), json!({}));
    let delivered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = std::sync::Arc::clone(&delivered);
    on.kavach
        .set_event_handler(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .expect("handler");
    pair_with(&mut group, "on", on, None, Algorithm::EdDsa);
    let audit = kavach_with(db_dir(), json!({ "metrics": { "enabled": false } }));
    pair_with(&mut group, "audit-only", audit, None, Algorithm::EdDsa);
    let metrics = kavach_with(db_dir(), json!({ "audit": { "enabled": false } }));
    pair_with(&mut group, "metrics-only", metrics, None, Algorithm::EdDsa);
    let handler = kavach_with(db_dir(), json!({ "audit": { "enabled": false }, "metrics": { "enabled": false } }));
    handler.kavach.set_event_handler(|_| {}).expect("handler");
    pair_with(&mut group, "handler-only", handler, None, Algorithm::EdDsa);
    let off = kavach_with(db_dir(), json!({ "audit": { "enabled": false }, "metrics": { "enabled": false } }));
    pair_with(&mut group, "off", off, None, Algorithm::EdDsa);
    group.finish();
    eprintln!(
        "operations/on: {} events delivered to the handler",
        delivered.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// Sign-in pairs through the router by `USERS` users whose credentials use `alg`; the CPU the
/// software authenticator spends signing (`probe_alg`, measured alone) is taken off.
fn pair_with(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    fx: Fixture,
    alg: Option<Algorithm>,
    probe_alg: Algorithm,
) {
    let kavach = &fx.kavach;
    let mut users = registered_users_as(kavach, alg);
    // The signing is the browser's work: its CPU per assertion, measured alone, is taken off.
    let mut probe = Authenticator::new().with_counter(true);
    let creation = json!({
        "challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rp": { "id": RP_ID, "name": "bench" },
        "user": { "id": "dXNlcg", "name": "user", "displayName": "user" },
        "pubKeyCredParams": [{ "type": "public-key", "alg": probe_alg.cose_id() }],
    });
    probe.register(&creation, ORIGIN).expect("register");
    let probe_options = json!({ "challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMzI", "rpId": RP_ID });
    let sign_cost = cpu_of(2000, || {
        probe.authenticate(&probe_options, ORIGIN).expect("authenticate");
    }) / 2000;
    eprintln!("pair/{name}: the software authenticator's signing, taken off each pair: {sign_cost:?}");
    let mut next = 0usize;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let spent = cpu_of(iters, || {
                let (email, authenticator) = &mut users[next % USERS];
                next += 1;
                sign_in(kavach, email, authenticator);
            });
            spent.saturating_sub(sign_cost * u32::try_from(iters).unwrap_or(u32::MAX))
        });
    });
    drop(fx.dir);
}

fn registration(c: &mut Criterion) {
    let fx = kavach();
    let kavach = &fx.kavach;
    let mut n = 0usize;
    let mut group = c.benchmark_group("registration");
    group.throughput(Throughput::Elements(1));
    group.bench_function("router", |b| {
        b.iter_custom(|iters| {
            // A fresh user and authenticator each time (untimed), so excludeCredentials stays
            // one user's usual size instead of growing with every iteration.
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let cookie = user(kavach, &format!("registrar{n}@bench.example"));
                let mut authenticator = Authenticator::new();
                spent += register(kavach, &mut authenticator, &cookie);
            }
            spent
        });
    });
    group.finish();
    drop(fx.dir);
}

/// The durability choice, in wall time on a real disk (`KAVACH_BENCH_DISK_DIR`, default the
/// system temp dir).
///  - `kavach_pair`: the full sign-in pair through the router, as kavach commits it: the
///    challenge insert at `synchronous=NORMAL`, then one FULL transaction that consumes the
///    challenge, moves the counter and inserts the session (one fsync a pair).
///  - the alternatives, replayed with plain rusqlite (same statements and schema shape, WAL):
///    `three_commits_FULL` (challenge insert, consume, counter + session each its own FULL
///    commit: kavach before issue 8), `three_commits_NORMAL` (no fsync at all: fastest, but a
///    power cut can lose a counter update), `one_fsync` (the replayed equivalent of kavach_pair's
///    writes).
fn durability(c: &mut Criterion) {
    let disk = std::env::var_os("KAVACH_BENCH_DISK_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    {
        let fx = kavach_in(disk.clone());
        let mut users = registered_users(&fx.kavach);
        let mut next = 0usize;
        let mut group = c.benchmark_group("durability");
        group.throughput(Throughput::Elements(1));
        group.sample_size(10);
        group.bench_function("kavach_pair", |b| {
            b.iter(|| {
                let (email, authenticator) = &mut users[next % USERS];
                next += 1;
                sign_in(&fx.kavach, email, authenticator);
            })
        });
        group.finish();
    }
    let dir = tempfile::Builder::new().prefix("kavach-bench-").tempdir_in(disk).expect("temp dir");
    let conn = Connection::open(dir.path().join("durability.db")).expect("open");
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)).expect("wal");
    conn.execute_batch(
        "CREATE TABLE c (challenge TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at INTEGER NOT NULL);
         CREATE TABLE k (id BLOB PRIMARY KEY, counter INTEGER NOT NULL, last_used_at INTEGER);
         CREATE TABLE s (id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, user_id TEXT NOT NULL,
                         created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
         INSERT INTO k VALUES (x'00', 0, NULL);",
    )
    .expect("schema");
    let mut n: i64 = 0;
    let mut step = |conn: &Connection, sync_challenge: &str, sync_sign_in: &str, merged: bool| {
        n += 1;
        let challenge = format!("challenge-{n}");
        conn.pragma_update(None, "synchronous", sync_challenge).expect("pragma");
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.prepare_cached("INSERT INTO c VALUES (?1, '{}', ?2)").unwrap().execute(params![challenge, n]).unwrap();
        conn.execute_batch("COMMIT").expect("commit");
        if !merged {
            conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        } else {
            conn.pragma_update(None, "synchronous", sync_sign_in).expect("pragma");
            conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        }
        conn.prepare_cached("DELETE FROM c WHERE challenge = ?1 RETURNING state")
            .unwrap()
            .query_row(params![challenge], |r| r.get::<_, String>(0))
            .unwrap();
        if !merged {
            conn.execute_batch("COMMIT").expect("commit");
            conn.pragma_update(None, "synchronous", sync_sign_in).expect("pragma");
            conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        }
        conn.prepare_cached("UPDATE k SET counter = ?1, last_used_at = ?1 WHERE id = x'00' AND counter = ?2")
            .unwrap()
            .execute(params![n, n - 1])
            .unwrap();
        conn.prepare_cached("INSERT INTO s VALUES (?1, ?2, 'user', ?3, ?3)")
            .unwrap()
            .execute(params![format!("s{n}"), n.to_be_bytes().to_vec(), n])
            .unwrap();
        conn.execute_batch("COMMIT").expect("commit");
    };
    let mut group = c.benchmark_group("durability");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    for (name, challenge_sync, sign_in_sync, merged) in [
        ("three_commits_FULL", "FULL", "FULL", false),
        ("three_commits_NORMAL", "NORMAL", "NORMAL", false),
        ("one_fsync", "NORMAL", "FULL", true),
    ] {
        group.bench_function(name, |b| b.iter(|| step(&conn, challenge_sync, sign_in_sync, merged)));
    }
    group.finish();
}

fn config() -> Criterion {
    // BENCH_QUICK=1 (bench/run.sh --quick): a smoke run that cannot rot, not a measurement.
    if std::env::var_os("BENCH_QUICK").is_some() {
        Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(600))
            .sample_size(10)
    } else {
        Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4))
    }
}

criterion_group! { name = benches; config = config(); targets = verify, options, pair, operations, registration, durability }
criterion_main!(benches);
