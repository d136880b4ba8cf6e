//! The axum floor of the HTTP benchmark: axum 0.8 alone, no WebAuthn and no database, answering
//! the routes `load.mjs` calls the way `peers/express-bare.mjs` does for Express (JSON body, the
//! same Origin check, `Cache-Control` + `Set-Cookie`, small fixed-shape JSON with a random
//! challenge), on the same runtime as `examples/axum`. Its CPU per pair is what a JSON API on axum
//! costs on this machine before any passkey work. Environment: `PORT`.

use std::hash::{BuildHasher, Hasher};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// `len` unpredictable bytes, base64url (std's randomly keyed SipHash: a floor needs fresh values,
/// not a cryptographic generator; about as cheap as `randomBytes` in the Node floors).
fn random(len: usize) -> String {
    let state = std::hash::RandomState::new();
    let bytes: Vec<u8> = (0..len.div_ceil(8))
        .flat_map(|i| {
            let mut hasher = state.build_hasher();
            hasher.write_usize(i);
            hasher.finish().to_le_bytes()
        })
        .take(len)
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The Origin check, the JSON body, and the answer with `Cache-Control` (+ a session cookie).
fn answer(
    origin: &str,
    headers: &HeaderMap,
    body: &Bytes,
    set_cookie: bool,
    respond: impl FnOnce(&Value) -> Value,
) -> Response {
    if headers.get(header::ORIGIN).is_some_and(|value| value.as_bytes() != origin.as_bytes()) {
        let body = json!({"error": "requests from this origin are not allowed", "code": "FORBIDDEN_ORIGIN"});
        return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "bad json").into_response();
    };
    let mut response = (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")],
        respond(&request).to_string(),
    )
        .into_response();
    if set_cookie {
        let cookie = format!("session={}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800", random(32));
        response.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("header value"));
    }
    response
}

fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let origin: &'static str = Box::leak(format!("http://localhost:{port}").into_boxed_str());
    let route = |set_cookie: bool, respond: fn(&Value) -> Value| {
        post(move |headers: HeaderMap, body: Bytes| async move { answer(origin, &headers, &body, set_cookie, respond) })
    };
    let app = Router::new()
        .route("/demo/signup", route(true, |b| json!({"user": {"id": "u1", "email": b["email"]}})))
        .route("/auth/passkey/register/options", route(false, |_| json!({"challenge": random(32), "user": {"id": random(16)}})))
        .route("/auth/passkey/register/verify", route(false, |_| json!({"verified": true})))
        .route(
            "/auth/passkey/authenticate/options",
            route(false, |b| {
                json!({"challenge": random(32), "timeout": 60000, "rpId": "localhost", "allowCredentials": [], "email": b["email"]})
            }),
        )
        .route(
            "/auth/passkey/authenticate/verify",
            route(true, |b| {
                let id: String = b["id"].as_str().unwrap_or_default().chars().take(22).collect();
                json!({"userId": "u1", "sessionId": id})
            }),
        );
    // The same runtime as examples/axum: one async thread.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("port");
        // As examples/axum: no Nagle delay.
        let listener = listener.tap_io(|tcp| drop(tcp.set_nodelay(true)));
        eprintln!("axum-bare floor on {origin}");
        axum::serve(listener, app).await.expect("serve");
    });
}
