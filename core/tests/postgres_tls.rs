//! TLS to PostgreSQL (DESIGN §11): verify-full against a server whose certificate comes from a
//! throwaway CA connects; every way it can go wrong stops start-up with `INVALID_CONFIG` and a
//! message naming the cause.
//!
//! The TLS server is `KAVACH_PG_TLS=1 scripts/postgres.sh start` (TLS-only over TCP, a
//! certificate for `localhost` only), given as `KAVACH_TEST_POSTGRES_TLS_URL`; without it the
//! tests that need it are skipped. The "server without TLS" case also runs against a stand-in
//! that refuses TLS as a plaintext-only PostgreSQL does, and against
//! `KAVACH_TEST_POSTGRES_PLAIN_URL` when given.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;

use kavach_core::{ErrorCode, Kavach};
use serde_json::json;
use support::{SECRET, TestDatabase, pg_connect};

fn tls_server() -> Option<String> {
    std::env::var("KAVACH_TEST_POSTGRES_TLS_URL").ok().filter(|url| !url.trim().is_empty())
}

fn start(url: &str) -> Result<Kavach, kavach_core::Error> {
    let config = json!({
        "database": {"provider": "postgres", "url": url},
        "secret": SECRET,
        "baseUrl": "https://auth.example.com",
        "passkey": {"rpName": "Test", "rpId": "example.com"},
    });
    Kavach::from_json(&config.to_string())
}

/// The start-up error for `url`, which must be `INVALID_CONFIG`.
fn refusal(url: &str) -> String {
    let error = start(url).err().unwrap_or_else(|| panic!("{url} connected"));
    assert_eq!(error.code(), ErrorCode::InvalidConfig, "{}", error.message());
    assert!(!error.message().contains("kavach-test-password"), "{}", error.message());
    error.message().to_owned()
}

#[test]
fn verify_full_with_the_servers_ca_connects_encrypted() {
    let Some(server) = tls_server() else { return };
    let database = TestDatabase::new_postgres(&server);
    let url = database.url();
    assert!(url.contains("sslmode=verify-full"), "{url}");
    start(&url).unwrap_or_else(|e| panic!("{}", e.message()));
    let mut client = pg_connect(&url).unwrap();
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap();
    assert!(row.get::<_, bool>(0), "the connection is encrypted");
}

#[test]
fn a_wrong_host_name_is_refused_naming_it() {
    let Some(server) = tls_server() else { return };
    // The certificate names localhost only.
    let message = refusal(&server.replacen("@localhost:", "@127.0.0.1:", 1));
    assert!(message.contains("wrong host name"), "{message}");
    assert!(message.contains("'127.0.0.1'") && message.contains("localhost"), "{message}");
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused() {
    let Some(server) = tls_server() else { return };
    let message = refusal(&server.replace("/tls/ca.pem", "/tls/other-ca.pem"));
    assert!(message.contains("untrusted certificate"), "{message}");
    assert!(message.contains("other-ca.pem"), "names the roots it tried: {message}");
    // Without sslrootcert: the system roots, which do not hold a throwaway CA either.
    let (without, _) = server.split_once("&sslrootcert=").unwrap();
    let message = refusal(without);
    assert!(message.contains("untrusted certificate") && message.contains("system roots"), "{message}");
}

#[test]
fn a_server_that_requires_tls_refuses_plaintext_with_its_own_message() {
    let Some(server) = tls_server() else { return };
    let (base, _) = server.split_once('?').unwrap();
    for url in [format!("{base}?sslmode=disable"), base.replacen("@localhost:", "@127.0.0.1:", 1)] {
        let message = refusal(&url);
        assert!(message.contains("the server requires TLS"), "{url}: {message}");
    }
    // require without a root file: encrypted, certificate unchecked (libpq's meaning), connects.
    let database = TestDatabase::new_postgres(&server);
    let url = database.url();
    let (base, _) = url.split_once('?').unwrap();
    start(&format!("{base}?sslmode=require")).unwrap_or_else(|e| panic!("{}", e.message()));
}

/// A stand-in for a PostgreSQL without TLS: answers the SSLRequest with `N`, then hangs up.
fn plaintext_only_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 8];
            if stream.read_exact(&mut request).is_ok() && request == [0, 0, 0, 8, 4, 210, 22, 47] {
                let _ = stream.write_all(b"N");
            }
        }
    });
    format!("postgres://kavach:kavach-test-password@127.0.0.1:{port}/kavach")
}

#[test]
fn a_server_without_tls_is_refused_when_tls_is_required() {
    let mut servers = vec![plaintext_only_server()];
    if let Ok(plain) = std::env::var("KAVACH_TEST_POSTGRES_PLAIN_URL")
        && !plain.trim().is_empty()
    {
        servers.push(plain);
    }
    for server in servers {
        for mode in ["require", "verify-ca", "verify-full"] {
            let message = refusal(&format!("{server}?sslmode={mode}"));
            assert!(message.contains("the server does not support TLS"), "{server} {mode}: {message}");
            assert!(message.contains(&format!("sslmode={mode}")), "{message}");
        }
    }
}
