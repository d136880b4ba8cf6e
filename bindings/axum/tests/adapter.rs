//! The axum adapter through a real `Router` with `tower::ServiceExt::oneshot` (no socket): it only
//! translates, so routes, statuses, error bodies, cookies and the client key are the core's.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use http_body_util::BodyExt;
use kavach_axum::KavachSession;
use kavach_core::Kavach;
use kavach_test_authenticator::Authenticator;
use serde_json::{Value, json};
use tower::ServiceExt;

const ORIGIN: &str = "http://localhost:3000";

fn kavach(extra: Value) -> Arc<Kavach> {
    let mut config = json!({
        "database": {"provider": "sqlite", "url": ":memory:"},
        "secret": "test-secret-test-secret-test-secret-123",
        "baseUrl": ORIGIN,
        "plugins": [{"id": "passkey", "rpName": "Test", "rpId": "localhost"}],
    });
    for (key, value) in extra.as_object().into_iter().flatten() {
        config[key] = value.clone();
    }
    Arc::new(Kavach::from_json(&config.to_string()).expect("valid config"))
}

/// The router as a host would build it: the passkey endpoints merged next to host routes that
/// take the session extractor.
fn host_app(kavach: &Arc<Kavach>) -> Router {
    Router::new()
        .route("/me", get(|session: KavachSession| async move { session.user.email }))
        .route(
            "/maybe",
            get(|session: Option<KavachSession>| async move { session.map_or("anonymous".to_owned(), |s| s.user.id) }),
        )
        .with_state(Arc::clone(kavach))
        .merge(kavach_axum::router(Arc::clone(kavach)))
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
}

struct Sent {
    status: StatusCode,
    response: Response,
    body: Vec<u8>,
}

impl Sent {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn set_cookies(&self) -> Vec<String> {
        self.response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.response.headers().get(name).map(|v| v.to_str().unwrap())
    }
}

async fn send(app: &Router, request: Request<Body>) -> Sent {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    Sent { status, response: Response::from_parts(parts, Body::empty()), body }
}

fn post(path: &str) -> axum::http::request::Builder {
    Request::builder().method("POST").uri(path)
}

fn peer(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000))
}

fn cookie_of(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[test]
fn a_real_ceremony_through_the_router_and_the_session_extractor() {
    block_on(async {
        let kavach = kavach(json!({}));
        let app = host_app(&kavach);
        let user = kavach.create_user("axum@example.com", Some("Axum")).unwrap();
        let cookie = kavach.create_session(&user.id).unwrap().set_cookie;
        let cookie = cookie_of(&cookie).to_owned();
        let mut authenticator = Authenticator::new();

        let options =
            send(&app, post("/auth/passkey/register/options").header("cookie", &cookie).body(Body::empty()).unwrap())
                .await;
        assert_eq!(options.status, 200);
        let registration = authenticator.register(&options.json(), ORIGIN).unwrap();
        let registered = send(
            &app,
            post("/auth/passkey/register/verify")
                .header("cookie", &cookie)
                .header("content-type", "application/json")
                .header("origin", ORIGIN)
                .body(Body::from(registration.to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(registered.status, 200, "{}", registered.json());
        assert_eq!(registered.json()["verified"], true);

        let request = send(&app, post("/auth/passkey/authenticate/options").body(Body::from("{}")).unwrap()).await;
        assert_eq!(request.status, 200);
        assert_eq!(request.header("cache-control"), Some("no-store"));
        let assertion = authenticator.authenticate(&request.json(), ORIGIN).unwrap();
        let signed_in = send(
            &app,
            post("/auth/passkey/authenticate/verify")
                .header("content-type", "application/json")
                .header("origin", ORIGIN)
                .body(Body::from(assertion.to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(signed_in.status, 200, "{}", signed_in.json());
        assert_eq!(signed_in.json()["userId"], user.id.as_str());
        assert!(signed_in.json().get("token").is_none(), "the token is never in a JSON body");
        assert_eq!(signed_in.header("content-type"), Some("application/json; charset=utf-8"));
        let cookies = signed_in.set_cookies();
        assert_eq!(cookies.len(), 1);
        assert!(
            cookies[0].starts_with("kavach_session=")
                && cookies[0].ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800")
        );
        let new_cookie = cookie_of(&cookies[0]).to_owned();

        // The session as the host's routes see it, through the extractors.
        let me = send(&app, Request::get("/me").header("cookie", &new_cookie).body(Body::empty()).unwrap()).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body, b"axum@example.com");
        let maybe = send(&app, Request::get("/maybe").header("cookie", &new_cookie).body(Body::empty()).unwrap()).await;
        assert_eq!(maybe.body, user.id.as_bytes());

        let list = send(
            &app,
            Request::get("/auth/passkey/credentials").header("cookie", &new_cookie).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(list.json()["credentials"].as_array().map(Vec::len), Some(1));

        let signed_out =
            send(&app, post("/auth/sign-out").header("cookie", &new_cookie).body(Body::empty()).unwrap()).await;
        assert_eq!(signed_out.status, 200);
        assert!(signed_out.set_cookies()[0].starts_with("kavach_session=; "));
        let gone = send(&app, Request::get("/me").header("cookie", &new_cookie).body(Body::empty()).unwrap()).await;
        assert_eq!(gone.status, 401);
    });
}

#[test]
fn errors_keep_the_core_status_and_body() {
    block_on(async {
        let kavach = kavach(json!({}));
        let app = host_app(&kavach);
        let cases = [
            (Request::get("/auth/session").body(Body::empty()).unwrap(), 401, "UNAUTHORIZED"),
            (Request::get("/auth/nothing-here").body(Body::empty()).unwrap(), 404, "NOT_FOUND"),
            (Request::get("/auth").body(Body::empty()).unwrap(), 404, "NOT_FOUND"),
            (Request::delete("/auth/session").body(Body::empty()).unwrap(), 405, "METHOD_NOT_ALLOWED"),
            (post("/auth/passkey/authenticate/options").body(Body::from("{oops")).unwrap(), 400, "INVALID_REQUEST"),
            (
                post("/auth/passkey/authenticate/options")
                    .header("origin", "https://evil.example")
                    .body(Body::from("{}"))
                    .unwrap(),
                403,
                "FORBIDDEN_ORIGIN",
            ),
            // The extractor answers with the core's error too.
            (Request::get("/me").body(Body::empty()).unwrap(), 401, "UNAUTHORIZED"),
            (
                Request::get("/me").header("authorization", "Bearer nope").body(Body::empty()).unwrap(),
                401,
                "UNAUTHORIZED",
            ),
        ];
        for (request, status, code) in cases {
            let path = request.uri().to_string();
            let sent = send(&app, request).await;
            assert_eq!(sent.status, status, "{path}");
            let body = sent.json();
            let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["code", "error", "status"], "{path}");
            assert_eq!(body["code"], code);
            assert_eq!(body["status"], status);
            assert_eq!(sent.header("content-type"), Some("application/json; charset=utf-8"));
        }
        let method = send(&app, Request::delete("/auth/session").body(Body::empty()).unwrap()).await;
        assert_eq!(method.header("allow"), Some("GET"));
        // Outside basePath: the host's own 404 (axum's), not kavach's.
        let other = send(&app, Request::get("/authx/session").body(Body::empty()).unwrap()).await;
        assert_eq!(other.status, 404);
        assert!(other.body.is_empty());
        let anonymous = send(&app, Request::get("/maybe").body(Body::empty()).unwrap()).await;
        assert_eq!(anonymous.body, b"anonymous");
    });
}

#[test]
fn body_limit_is_the_core_413_and_64_kib_passes() {
    block_on(async {
        let kavach = kavach(json!({}));
        let app = host_app(&kavach);
        let big = json!({ "email": "x".repeat(300_000) }).to_string();
        let sent = send(&app, post("/auth/passkey/authenticate/options").body(Body::from(big)).unwrap()).await;
        assert_eq!(sent.status, 413);
        assert_eq!(
            sent.json(),
            json!({"error": "request body is larger than 64 KiB", "code": "PAYLOAD_TOO_LARGE", "status": 413})
        );

        // A body streamed in many small chunks is counted as a whole.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..100).map(|_| Ok(vec![b' '; 1000])).collect();
        let streamed = Body::from_stream(futures::stream::iter(chunks));
        let sent = send(&app, post("/auth/passkey/authenticate/options").body(streamed).unwrap()).await;
        assert_eq!(sent.status, 413);

        let exact = format!(r#"{{"email":"{}"}}"#, "x".repeat(64 * 1024 - 12));
        assert_eq!(exact.len(), 64 * 1024);
        let sent = send(&app, post("/auth/passkey/authenticate/options").body(Body::from(exact)).unwrap()).await;
        assert_eq!(sent.status, 200);
        assert!(sent.json()["challenge"].is_string());
    });
}

#[test]
fn every_cookie_field_is_read_by_the_router_and_the_extractor() {
    block_on(async {
        let kavach = kavach(json!({}));
        let app = host_app(&kavach);
        let user = kavach.create_user("cookies@example.com", None).unwrap();
        let session = kavach.create_session(&user.id).unwrap();
        let cookie = cookie_of(&session.set_cookie).to_owned();
        for path in ["/auth/session", "/me"] {
            let request = Request::get(path)
                .header("cookie", "theme=dark; kavach_session=not-a-token")
                .header("cookie", &cookie)
                .body(Body::empty())
                .unwrap();
            let sent = send(&app, request).await;
            assert_eq!(sent.status, 200, "{path}");
            let request = Request::get(path)
                .header("cookie", "theme=dark")
                .header("cookie", "other=1")
                .body(Body::empty())
                .unwrap();
            assert_eq!(send(&app, request).await.status, 401, "{path}");
            let bearer = Request::get(path)
                .header("authorization", format!("Bearer {}", session.token))
                .body(Body::empty())
                .unwrap();
            assert_eq!(send(&app, bearer).await.status, 200, "{path}");
        }
    });
}

#[test]
fn set_cookie_from_the_host_is_kept_next_to_the_core_one() {
    block_on(async {
        let kavach = kavach(json!({}));
        let app = host_app(&kavach).layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().append("set-cookie", "host_pref=dark; Path=/".parse().unwrap());
            response
        }));
        let user = kavach.create_user("setcookie@example.com", None).unwrap();
        let session = kavach.create_session(&user.id).unwrap();
        let request =
            post("/auth/sign-out").header("cookie", cookie_of(&session.set_cookie)).body(Body::empty()).unwrap();
        let sent = send(&app, request).await;
        assert_eq!(sent.status, 200);
        let cookies = sent.set_cookies();
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        assert!(cookies[0].starts_with("kavach_session=; "));
        assert_eq!(cookies[1], "host_pref=dark; Path=/");
    });
}

fn options_from(
    app: &Router,
    peer_ip: Option<&str>,
    forwarded_for: Option<&str>,
) -> impl std::future::Future<Output = u16> {
    let mut request = post("/auth/passkey/authenticate/options");
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    let mut request = request.body(Body::from("{}")).unwrap();
    if let Some(ip) = peer_ip {
        request.extensions_mut().insert(peer(ip));
    }
    let app = app.clone();
    async move { send(&app, request).await.status.as_u16() }
}

#[test]
fn the_client_key_is_the_connect_info_peer_and_x_forwarded_for_counts_only_from_a_trusted_proxy() {
    block_on(async {
        // Untrusted peer: inventing X-Forwarded-For addresses gets no fresh budget.
        let limited = kavach(json!({"rateLimit": {"max": 1, "window": 60}}));
        let limited_app = host_app(&limited);
        let app = &limited_app;
        assert_eq!(options_from(app, Some("203.0.113.5"), Some("192.0.2.1")).await, 200);
        assert_eq!(options_from(app, Some("203.0.113.5"), Some("192.0.2.2")).await, 429);
        let mut request = post("/auth/passkey/authenticate/options").body(Body::from("{}")).unwrap();
        request.extensions_mut().insert(peer("203.0.113.5"));
        let sent = send(app, request).await;
        assert_eq!(sent.json()["code"], "RATE_LIMITED");
        assert!(sent.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() > 0));
        // Another peer has its own budget; without ConnectInfo nothing is keyed, so never limited.
        assert_eq!(options_from(app, Some("203.0.113.6"), None).await, 200);
        for _ in 0..3 {
            assert_eq!(options_from(app, None, None).await, 200);
        }

        // Behind a trusted proxy, each forwarded client has its own budget, and what a client
        // prepends is not believed.
        let trusted = kavach(json!({"rateLimit": {"max": 1, "window": 60}, "trustedProxies": ["10.0.0.0/8"]}));
        let trusted_app = host_app(&trusted);
        let app = &trusted_app;
        let statuses = [
            options_from(app, Some("10.1.2.3"), Some("192.0.2.10")).await,
            options_from(app, Some("10.1.2.3"), Some("192.0.2.11")).await,
            options_from(app, Some("10.9.9.9"), Some("192.0.2.10")).await,
            options_from(app, Some("10.1.2.3"), Some("198.51.100.1, 192.0.2.10")).await,
        ];
        assert_eq!(statuses, [200, 200, 429, 429]);
    });
}

#[test]
fn a_custom_base_path_is_routed() {
    block_on(async {
        let kavach = kavach(json!({"basePath": "/api/auth"}));
        let app = host_app(&kavach);
        let sent = send(&app, post("/api/auth/passkey/authenticate/options?x=1").body(Body::from("{}")).unwrap()).await;
        assert_eq!(sent.status, 200);
        assert_eq!(
            send(&app, post("/auth/passkey/authenticate/options").body(Body::empty()).unwrap()).await.status,
            404
        );
    });
}

#[test]
fn the_well_known_documents_kavach_serves_are_routed_at_the_root_and_only_those() {
    block_on(async {
        let related = kavach(json!({"plugins": [{"id": "passkey", "rpName": "Test", "rpId": "localhost",
            "relatedOrigins": ["https://shop.example.co.uk"]}]}));
        let app = host_app(&related);
        let get = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
        let served = send(&app, get("/.well-known/webauthn")).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.json(), json!({"origins": [ORIGIN, "https://shop.example.co.uk"]}));
        // Not configured: not routed (the host's own router answers).
        assert_eq!(send(&app, get("/.well-known/assetlinks.json")).await.status, StatusCode::NOT_FOUND);
        let plain = host_app(&kavach(json!({})));
        assert_eq!(send(&plain, get("/.well-known/webauthn")).await.status, StatusCode::NOT_FOUND);
    });
}
