//! The kavach demo on axum: the page from `examples/web/`, the passkey endpoints under `/auth`
//! through `kavach_axum::router`, the demo-only `POST /demo/signup`, and a host route reading the
//! session with the `KavachSession` extractor (`GET /demo/me`).
//!
//! Environment (the contract every example server follows, DESIGN §8): `PORT` (3000),
//! `DATABASE_URL` (`kavach.db` beside this file; a `postgres://` URL selects PostgreSQL),
//! `KAVACH_SECRET` (a fixed demo value otherwise, with a warning), `KAVACH_USER_VERIFICATION`
//! (`preferred`), `KAVACH_ATTESTATION` (`none`), `KAVACH_PASSKEY_OPTIONS_JSON` (a JSON object
//! merged over the passkey options), `KAVACH_METRICS_TOKEN` (when set, `GET /metrics` wants
//! `Authorization: Bearer <it>`) and `KAVACH_WEB_DIR` (default `examples/web`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use kavach_axum::{KavachSession, into_response};
use kavach_core::http::{MAX_BODY_BYTES, Response as CoreResponse};
use kavach_core::{Error, ErrorCode, Kavach};
use serde_json::{Map, Value, json};

const DEMO_SECRET: &str = "kavach-demo-secret-not-for-production-use!!";

#[derive(Clone)]
struct App {
    kavach: Arc<Kavach>,
    origin: String,
    web_dir: PathBuf,
}

// `KavachSession` finds the instance in the state.
impl axum::extract::FromRef<App> for Arc<Kavach> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.kavach)
    }
}

fn main() {
    // `run` only returns if the server could not start.
    let Err(message) = run();
    eprintln!("kavach demo: {message}");
    std::process::exit(1);
}

fn run() -> Result<std::convert::Infallible, String> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|_| format!("PORT must be a port number (1-65535), not {port:?}"))?,
        Err(_) => 3000,
    };
    let origin = format!("http://localhost:{port}");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("file:{}", here.join("kavach.db").display()));
    let provider = if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        "postgres"
    } else {
        "sqlite"
    };
    let secret = std::env::var("KAVACH_SECRET").unwrap_or_else(|_| {
        eprintln!("warning: KAVACH_SECRET is not set; using a fixed demo secret (never do this in production)");
        DEMO_SECRET.into()
    });
    let mut passkey = json!({
        "id": "passkey",
        "rpName": "Kavach demo",
        "rpId": "localhost",
        "origin": [origin],
        "userVerification": std::env::var("KAVACH_USER_VERIFICATION").unwrap_or_else(|_| "preferred".into()),
        "attestation": std::env::var("KAVACH_ATTESTATION").unwrap_or_else(|_| "none".into()),
    });
    for (key, value) in passkey_overrides()? {
        passkey[key] = value;
    }
    let config = json!({
        "database": {"provider": provider, "url": database_url},
        "secret": secret,
        "baseUrl": origin,
        "plugins": [passkey],
    });
    let kavach = Arc::new(Kavach::from_json(&config.to_string()).map_err(|err| err.to_string())?);
    // What happens, on stdout as JSON lines: security events and kavach's log lines (refusals,
    // internal errors). A real host sends them to its log pipeline or SIEM.
    kavach.set_event_handler(|event| println!("{}", json!({ "event": event.to_json() }))).map_err(|e| e.to_string())?;
    kavach_core::set_log_hook(|line| println!("{line}")).map_err(|e| e.to_string())?;

    let web_dir = std::env::var_os("KAVACH_WEB_DIR").map_or_else(|| here.join("../web"), PathBuf::from);
    if !web_dir.join("node_modules/@simplewebauthn/browser/esm/index.js").is_file() {
        eprintln!("warning: the browser library is missing: run `npm ci` in {}", web_dir.display());
    }
    let app = App { kavach: Arc::clone(&kavach), origin: origin.clone(), web_dir };

    let routes = Router::new()
        .route("/demo/signup", post(signup))
        .route("/demo/me", get(|session: KavachSession| async move { json_body(&json!({ "user": session.user })) }))
        // Prometheus metrics: a bearer token when KAVACH_METRICS_TOKEN is set (docs/operations.md).
        .route("/metrics", get(metrics))
        .fallback(static_file)
        .with_state(app)
        // Every route under /auth: kavach answers, with its own status codes, errors and cookies.
        .merge(kavach_axum::router(kavach));

    let listeners = listen_loopback(port)?;
    // One async thread: every piece of blocking work (the core, the page's files) goes to tokio's
    // blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    println!("kavach demo on {origin} (passkeys under {origin}/auth)");
    runtime.block_on(async move {
        let mut servers = tokio::task::JoinSet::new();
        for listener in listeners {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(|err| err.to_string())?;
            // Each response goes out at once (no Nagle delay behind the client's delayed ACK).
            let listener = listener.tap_io(|tcp| drop(tcp.set_nodelay(true)));
            // ConnectInfo: the core derives the rate-limit client key from each request's peer.
            let service = routes.clone().into_make_service_with_connect_info::<SocketAddr>();
            servers.spawn(async move { axum::serve(listener, service).await });
        }
        match servers.join_next().await {
            Some(Ok(Err(err))) => Err(format!("the server stopped: {err}")),
            _ => Err("the server stopped".to_owned()),
        }
    })
}

/// `KAVACH_PASSKEY_OPTIONS_JSON`: a JSON object whose keys replace the passkey options' (DESIGN §8).
fn passkey_overrides() -> Result<Map<String, Value>, String> {
    let text = std::env::var("KAVACH_PASSKEY_OPTIONS_JSON").unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(r#"KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object, e.g. {"hints":["client-device"]}"#.into()),
        Err(err) => Err(format!("KAVACH_PASSKEY_OPTIONS_JSON is not valid JSON ({err})")),
    }
}

/// Listens on both loopback addresses: a browser opening http://localhost:PORT may try either, so
/// a port that another server holds on just one of them must stop the demo rather than send some
/// requests elsewhere. A machine without IPv6 gets 127.0.0.1 alone.
fn listen_loopback(port: u16) -> Result<Vec<std::net::TcpListener>, String> {
    let mut listeners = Vec::new();
    for host in [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)] {
        match std::net::TcpListener::bind((host, port)) {
            Ok(listener) => {
                listener.set_nonblocking(true).map_err(|err| err.to_string())?;
                listeners.push(listener);
            }
            // No IPv6 loopback on this machine.
            Err(err) if host.is_ipv6() && err.kind() == std::io::ErrorKind::AddrNotAvailable => {}
            Err(err) => {
                let reason = match err.kind() {
                    std::io::ErrorKind::AddrInUse => "is already in use".to_owned(),
                    _ => format!("cannot be opened ({err})"),
                };
                return Err(format!(
                    "port {port} on {host} {reason}: stop the other server or choose another port, e.g. PORT={}",
                    u32::from(port) + 1
                ));
            }
        }
    }
    Ok(listeners)
}

/// Metrics tell how your sign-in is used: in production serve them on an internal port or behind
/// a check like this one (the demo itself listens on loopback only).
async fn metrics(State(app): State<App>, headers: HeaderMap) -> Response {
    let token = std::env::var("KAVACH_METRICS_TOKEN").unwrap_or_default();
    let given = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    if !token.is_empty() && !bearer_matches(given, &token) {
        let mut refused = CoreResponse::error(&Error::new(ErrorCode::Unauthorized, "metrics need a token"));
        refused.headers.push(("www-authenticate".into(), "Bearer".into()));
        return into_response(refused);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        app.kavach.metrics(),
    )
        .into_response()
}

/// `Authorization: Bearer <token>`, compared in constant time (a scraper's token is a secret).
fn bearer_matches(given: Option<&str>, token: &str) -> bool {
    let expected = format!("Bearer {token}");
    let given = given.unwrap_or_default().as_bytes();
    given.len() == expected.len() && given.iter().zip(expected.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A JSON body (axum's `json` feature is not needed for two routes).
fn json_body(value: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], value.to_string()).into_response()
}

fn error(code: ErrorCode, message: &'static str) -> Response {
    into_response(CoreResponse::error(&Error::new(code, message)))
}

/// Demo only: create the user and sign them in, as a host's own sign-up would.
async fn signup(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if headers.get(header::ORIGIN).is_some_and(|origin| origin.as_bytes() != app.origin.as_bytes()) {
        return error(ErrorCode::ForbiddenOrigin, "requests from this origin are not allowed");
    }
    if body.len() > MAX_BODY_BYTES {
        return error(ErrorCode::PayloadTooLarge, "request body is larger than 64 KiB");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(ErrorCode::InvalidRequest, "body must be JSON: {email, name?}");
    };
    let Some(email) = body.get("email").and_then(Value::as_str).map(str::to_owned) else {
        return error(ErrorCode::InvalidRequest, "email is required");
    };
    let name = body.get("name").and_then(Value::as_str).filter(|name| !name.trim().is_empty()).map(str::to_owned);
    // The core's storage calls block: on the blocking pool, never on an async worker.
    let kavach = Arc::clone(&app.kavach);
    let signed_up = tokio::task::spawn_blocking(move || {
        let user = kavach.create_user(&email, name.as_deref())?;
        let session = kavach.create_session(&user.id)?;
        Ok::<_, Error>((user, session))
    })
    .await
    .unwrap_or_else(|err| Err(Error::internal(err)));
    match signed_up {
        Ok((user, session)) => (
            [(header::SET_COOKIE, session.set_cookie), (header::CACHE_CONTROL, "no-store".to_owned())],
            json_body(&json!({ "user": user })),
        )
            .into_response(),
        Err(err) => into_response(CoreResponse::error(&err)),
    }
}

/// The page and the vendored `@simplewebauthn/browser` ES module build.
async fn static_file(State(app): State<App>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return error(ErrorCode::MethodNotAllowed, "method not allowed");
    }
    let path = request.uri().path();
    let file = match path {
        "/" | "/index.html" => Some(app.web_dir.join("index.html")),
        "/app.js" | "/style.css" => Some(app.web_dir.join(&path[1..])),
        _ => path
            .strip_prefix("/vendor/simplewebauthn/")
            .and_then(|rest| safe_join(&app.web_dir.join("node_modules/@simplewebauthn/browser/esm"), rest)),
    };
    let Some(file) = file else { return error(ErrorCode::NotFound, "not found") };
    let read = tokio::task::spawn_blocking(move || std::fs::read(&file).map(|body| (body, file))).await;
    let Ok(Ok((body, file))) = read else { return error(ErrorCode::NotFound, "not found") };
    let headers = [
        (header::CONTENT_TYPE, content_type(&file)),
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'self'; frame-ancestors 'none'"),
    ];
    (headers, body).into_response()
}

/// `rest` below `root`, refusing `..`, absolute paths and hidden files.
fn safe_join(root: &Path, rest: &str) -> Option<PathBuf> {
    let relative = Path::new(rest);
    let plain =
        relative.components().all(|c| matches!(c, Component::Normal(part) if !part.to_string_lossy().starts_with('.')));
    (plain && !rest.is_empty()).then(|| root.join(relative))
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    }
}
