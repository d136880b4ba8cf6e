//! The kavach demo over a minimal HTTP server: the page from `examples/web/`, the passkey endpoints
//! under `/auth` through `Kavach::handle`, and the demo-only `POST /demo/signup`.
//!
//! It is also the reference for how small an adapter is: the `/auth` branch of `App::serve` hands
//! the request to `Kavach::handle` and sends back what it returns; that is the whole integration.
//!
//! Environment (the contract every example server follows, see `tests/e2e/README.md`):
//! `PORT` (3000), `DATABASE_URL` (`file:kavach.db` in the working directory; a `postgres://` URL
//! selects PostgreSQL), `KAVACH_SECRET` (a fixed demo value otherwise, with a warning),
//! `KAVACH_USER_VERIFICATION` (`preferred`, or `required` / `discouraged`), `KAVACH_ATTESTATION`
//! (`none`, or `indirect` / `direct`), `KAVACH_PASSKEY_OPTIONS_JSON` (a JSON object merged over
//! the passkey options), `KAVACH_METRICS_TOKEN` (when set, `GET /metrics` wants
//! `Authorization: Bearer <it>`) and `KAVACH_WEB_DIR` (where the page lives; default
//! `examples/web` of this repository).

mod http1;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};
use std::path::{Component, Path, PathBuf};

use kavach_core::http::{MAX_BODY_BYTES, Request, Response};
use kavach_core::{Error, ErrorCode, Kavach};
use serde_json::{Value, json};

const DEMO_SECRET: &str = "kavach-demo-secret-not-for-production-use!!";
const VENDOR_PREFIX: &str = "/vendor/simplewebauthn/";

struct App {
    kavach: Kavach,
    origin: String,
    web_dir: PathBuf,
    vendor_dir: PathBuf,
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
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "file:kavach.db".into());
    let provider = if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        "postgres"
    } else {
        "sqlite"
    };
    let secret = std::env::var("KAVACH_SECRET").unwrap_or_else(|_| {
        eprintln!("warning: KAVACH_SECRET is not set; using a fixed demo secret (never do this in production)");
        DEMO_SECRET.into()
    });
    let user_verification = std::env::var("KAVACH_USER_VERIFICATION").unwrap_or_else(|_| "preferred".into());
    let attestation = std::env::var("KAVACH_ATTESTATION").unwrap_or_else(|_| "none".into());
    let config = json!({
        "database": {"provider": provider, "url": database_url},
        "secret": secret,
        "baseUrl": origin,
        "plugins": [{
            "id": "passkey",
            "rpName": "Kavach demo",
            "rpId": "localhost",
            "origin": [origin],
            "userVerification": user_verification,
            "attestation": attestation,
        }],
    });
    let mut config = config;
    merge_passkey_options(&mut config["plugins"][0], std::env::var("KAVACH_PASSKEY_OPTIONS_JSON").ok())?;
    let kavach = Kavach::from_json(&config.to_string()).map_err(|err| err.to_string())?;
    // What happens, on stdout as JSON lines: security events and kavach's log lines (refusals,
    // internal errors). A real host sends them to its log pipeline or SIEM.
    kavach.set_event_handler(|event| println!("{}", json!({ "event": event.to_json() }))).map_err(|e| e.to_string())?;
    kavach_core::set_log_hook(|line| println!("{line}")).map_err(|e| e.to_string())?;

    let web_dir = std::env::var_os("KAVACH_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"));
    let vendor_dir = web_dir.join("node_modules/@simplewebauthn/browser/esm");
    if !vendor_dir.join("index.js").is_file() {
        eprintln!("warning: {} is missing: run `npm ci` in {}", vendor_dir.display(), web_dir.display());
    }
    let app = App { kavach, origin, web_dir, vendor_dir };

    // rpId `localhost` needs the page at http://localhost:PORT (the browser refuses IP literals).
    let listeners = listen_loopback(port)?;
    println!("kavach demo on {} (database {database_url}, userVerification {user_verification})", app.origin);
    // Reading one byte past the limit lets the core see an oversized body and answer 413.
    http1::serve(listeners, MAX_BODY_BYTES + 1, move |request| app.serve(request))
}

/// Listens on both loopback addresses: a browser opening http://localhost:PORT may try either, so
/// a port that another server holds on just one of them must stop the demo rather than send some
/// requests elsewhere. A machine without IPv6 gets 127.0.0.1 alone.
fn listen_loopback(port: u16) -> Result<Vec<TcpListener>, String> {
    let mut listeners = Vec::new();
    for host in [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)] {
        match TcpListener::bind((host, port)) {
            Ok(listener) => listeners.push(listener),
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

impl App {
    fn serve(&self, request: Request) -> Response {
        let path = request.path.split(['?', '#']).next().unwrap_or_default();
        // basePath and below, and the well-known documents kavach serves at the site root.
        if self.kavach.settings().handles_path(path) {
            // The whole adapter: this server already speaks the core's Request/Response. A framework
            // adapter copies method, path, headers and at most 64 KiB + 1 body bytes in, and the
            // status, headers (Set-Cookie included) and body out.
            self.kavach.handle(&request)
        } else if path == "/demo/signup" {
            self.signup(&request)
        } else if path == "/metrics" && request.method == "GET" {
            // Prometheus metrics tell how your sign-in is used: in production serve them on an
            // internal port or behind a check like this one (docs/operations.md; the demo itself
            // listens on loopback only).
            let token = std::env::var("KAVACH_METRICS_TOKEN").unwrap_or_default();
            if !token.is_empty() && !bearer_matches(request.header_value("authorization"), &token) {
                let mut refused = Response::error(&Error::new(ErrorCode::Unauthorized, "metrics need a token"));
                refused.headers.push(("www-authenticate".into(), "Bearer".into()));
                return refused;
            }
            Response {
                status: 200,
                headers: vec![
                    ("content-type".into(), "text/plain; version=0.0.4; charset=utf-8".into()),
                    ("cache-control".into(), "no-store".into()),
                ],
                body: self.kavach.metrics().into_bytes(),
            }
        } else {
            self.static_file(&request.method, path)
        }
    }

    /// Demo only: create the user and sign them in, as a host's own sign-up would.
    fn signup(&self, request: &Request) -> Response {
        if request.method != "POST" {
            return Response::error(&Error::new(ErrorCode::MethodNotAllowed, "use POST"));
        }
        if request.header_value("origin").is_some_and(|origin| origin != self.origin) {
            return Response::error(&Error::new(
                ErrorCode::ForbiddenOrigin,
                "requests from this origin are not allowed",
            ));
        }
        if request.body.len() > MAX_BODY_BYTES {
            return Response::error(&Error::new(ErrorCode::PayloadTooLarge, "request body is larger than 64 KiB"));
        }
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return Response::error(&Error::invalid_request("body must be JSON: {email, name?}"));
        };
        let Some(email) = body.get("email").and_then(Value::as_str) else {
            return Response::error(&Error::invalid_request("email is required"));
        };
        let name = body.get("name").and_then(Value::as_str).filter(|name| !name.trim().is_empty());
        let signed_up = self.kavach.create_user(email, name).and_then(|user| {
            let session = self.kavach.create_session(&user.id)?;
            Ok((user, session))
        });
        match signed_up {
            Ok((user, session)) => Response {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json; charset=utf-8".into()),
                    ("cache-control".into(), "no-store".into()),
                    ("set-cookie".into(), session.set_cookie),
                ],
                body: json!({ "user": user }).to_string().into_bytes(),
            },
            Err(err) => Response::error(&err),
        }
    }

    /// The page and the vendored `@simplewebauthn/browser` ES module build.
    fn static_file(&self, method: &str, path: &str) -> Response {
        if method != "GET" && method != "HEAD" {
            return Response::error(&Error::new(ErrorCode::MethodNotAllowed, "method not allowed"));
        }
        let file = match path {
            "/" | "/index.html" => Some(self.web_dir.join("index.html")),
            "/app.js" | "/style.css" => Some(self.web_dir.join(&path[1..])),
            _ => path.strip_prefix(VENDOR_PREFIX).and_then(|rest| safe_join(&self.vendor_dir, rest)),
        };
        let Some((body, file)) = file.and_then(|file| Some((std::fs::read(&file).ok()?, file))) else {
            return Response::error(&Error::new(ErrorCode::NotFound, "not found"));
        };
        let headers = [
            ("content-type", content_type(&file)),
            ("cache-control", "no-cache"),
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", "default-src 'self'; frame-ancestors 'none'"),
        ];
        Response { status: 200, headers: headers.map(|(n, v)| (n.to_owned(), v.to_owned())).to_vec(), body }
    }
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

/// `KAVACH_PASSKEY_OPTIONS_JSON` (DESIGN §8): a JSON object whose keys replace the demo's own
/// passkey options (shallow), so one browser suite drives every option against every example.
fn merge_passkey_options(passkey: &mut serde_json::Value, text: Option<String>) -> Result<(), String> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(());
    };
    let extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).map_err(|err| {
        format!("KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object of passkey options, e.g. '{{\"hints\": [\"hybrid\"]}}' ({err})")
    })?;
    if let Some(object) = passkey.as_object_mut() {
        object.extend(extra);
    }
    Ok(())
}

/// `Authorization: Bearer <token>`, compared in constant time (a scraper's token is a secret).
fn bearer_matches(given: Option<&str>, token: &str) -> bool {
    let expected = format!("Bearer {token}");
    let given = given.unwrap_or_default().as_bytes();
    given.len() == expected.len() && given.iter().zip(expected.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
