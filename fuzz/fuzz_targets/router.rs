//! The HTTP-neutral router with structured requests (method, path, headers, body).
//!
//! Invariants: never a 5xx for client input (the flood cap is lifted; the rate limit is tight,
//! so fuzzed client keys meet 429s), never an internal error logged, every error is
//! `{error, code}` with a safe message, no Set-Cookie on an error, and a session cookie only
//! from sign-out (clearing) or a verified sign-in.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use kavach_core::Kavach;
use kavach_core::http::Request;
use kavach_fuzz::{ORIGIN, assert_client_response, config_json, panic_on_internal_errors};
use kavach_test_authenticator::Authenticator;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

struct Fixture {
    kavach: Kavach,
    user_id: String,
    credential_id: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        panic_on_internal_errors();
        let kavach = Kavach::from_json(&config_json()).expect("fixture config");
        let user = kavach.create_user("fuzz@example.com", Some("Fuzz")).unwrap();
        let session = kavach.create_session(&user.id).unwrap();
        let mut authenticator = Authenticator::new();
        let token = format!("Bearer {}", session.token);
        let options = kavach.register_options_json(&token, "{}").unwrap();
        let response = authenticator.register(&options, ORIGIN).unwrap();
        let credential = kavach.register_verify_json(&token, &response.to_string()).unwrap();
        let credential_id = credential["id"].as_str().unwrap().to_owned();
        kavach.revoke_session(&session.session.id).unwrap();
        Fixture { kavach, user_id: user.id, credential_id }
    })
}

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Delete,
    Patch,
    Put,
    Lower(bool),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Path {
    RegisterOptions,
    RegisterVerify,
    AuthenticateOptions,
    AuthenticateVerify,
    Credentials,
    /// `/passkey/credentials/<the fixture's credential>`
    OwnCredential,
    CredentialId(String),
    Session,
    SignOut,
    /// A known route with something appended (query, fragment, slash, text).
    Suffixed(u8, String),
    /// Anything, prefixed with the base path or not.
    Raw(bool, String),
}

#[derive(Arbitrary, Debug)]
enum Header {
    /// `cookie: __Host-kavach_session=<a live session of the fixture user>`
    SessionCookie,
    /// `authorization: Bearer <a live session>`
    Bearer,
    Cookie(String),
    Authorization(String),
    Origin(String),
    GoodOrigin,
    ContentType(String),
    Any(String, String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Empty,
    Raw(Vec<u8>),
    Text(String),
    /// `{"email": ...}`, `{"name": ...}`, `{"response": {...}}` shapes with fuzzed leaves.
    Email(String),
    Name(String),
    Json(Vec<(String, String)>),
    /// A body over the 64 KiB limit.
    Oversized(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: Method,
    path: Path,
    headers: Vec<Header>,
    body: Body,
    /// The client key a host adapter would supply (rate limit).
    client: Option<String>,
}

const ROUTES: [&str; 7] = [
    "/passkey/register/options",
    "/passkey/register/verify",
    "/passkey/authenticate/options",
    "/passkey/authenticate/verify",
    "/passkey/credentials",
    "/session",
    "/sign-out",
];

fuzz_target!(|input: Input| {
    let f = fixture();
    // A fresh session per input, revoked afterwards: sign-out in one input does not starve the
    // others, and the session table does not grow.
    let session = f.kavach.create_session(&f.user_id).unwrap();
    let method = match &input.method {
        Method::Get => "GET".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Lower(post) => if *post { "post" } else { "get" }.to_owned(),
        Method::Other(m) => m.clone(),
    };
    let path = match &input.path {
        Path::RegisterOptions => "/auth/passkey/register/options".to_owned(),
        Path::RegisterVerify => "/auth/passkey/register/verify".to_owned(),
        Path::AuthenticateOptions => "/auth/passkey/authenticate/options".to_owned(),
        Path::AuthenticateVerify => "/auth/passkey/authenticate/verify".to_owned(),
        Path::Credentials => "/auth/passkey/credentials".to_owned(),
        Path::OwnCredential => format!("/auth/passkey/credentials/{}", f.credential_id),
        Path::CredentialId(id) => format!("/auth/passkey/credentials/{id}"),
        Path::Session => "/auth/session".to_owned(),
        Path::SignOut => "/auth/sign-out".to_owned(),
        Path::Suffixed(i, s) => format!("/auth{}{s}", ROUTES[*i as usize % ROUTES.len()]),
        Path::Raw(prefixed, s) => {
            if *prefixed {
                format!("/auth{s}")
            } else {
                s.clone()
            }
        }
    };
    let mut request = Request::new(&method, &path);
    for header in &input.headers {
        request = match header {
            Header::SessionCookie => request.header("cookie", &format!("__Host-kavach_session={}", session.token)),
            Header::Bearer => request.header("authorization", &format!("Bearer {}", session.token)),
            Header::Cookie(v) => request.header("cookie", v),
            Header::Authorization(v) => request.header("authorization", v),
            Header::Origin(v) => request.header("origin", v),
            Header::GoodOrigin => request.header("origin", ORIGIN),
            Header::ContentType(v) => request.header("content-type", v),
            Header::Any(n, v) => request.header(n, v),
        };
    }
    request.body = match &input.body {
        Body::Empty => Vec::new(),
        Body::Raw(bytes) => bytes.clone(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Email(email) => json!({ "email": email }).to_string().into_bytes(),
        Body::Name(name) => json!({ "name": name }).to_string().into_bytes(),
        Body::Json(pairs) => {
            let object: serde_json::Map<_, _> = pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            serde_json::Value::Object(object).to_string().into_bytes()
        }
        Body::Oversized(fill) => vec![b' ' + fill % 64; 64 * 1024 + 1],
    };

    request.client = input.client.clone();

    let response = f.kavach.handle(&request);
    let context = || {
        format!(
            "request: {method} {path:?} headers {:?} body {:?}",
            request.headers,
            String::from_utf8_lossy(&request.body)
        )
    };
    assert_client_response(&response, &context(), &context);
    // The route is decided by the path without its query string or fragment.
    let route = path.split(['?', '#']).next().unwrap_or_default();
    if let Some(cookie) = response.header_value("set-cookie") {
        // Only a sign-out (clearing cookie) can answer with a cookie here: no input carries a
        // valid signed assertion, so authenticate/verify must never start a session.
        assert!(
            route.ends_with("/sign-out") && cookie.contains("Max-Age=0"),
            "unexpected Set-Cookie {cookie:?}\n{}",
            context()
        );
    }
    if response.status == 200 && route.ends_with("/passkey/authenticate/verify") {
        panic!("a fuzzed request signed in\n{}", context());
    }
    let _ = f.kavach.revoke_session(&session.session.id);
});
