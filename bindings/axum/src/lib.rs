//! kavach on axum: the passkey endpoints as a [`Router`] to merge into your app, and the signed-in
//! session as an extractor for your own routes.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//!
//! use axum::Router;
//! use axum::routing::get;
//! use kavach_axum::KavachSession;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let kavach = Arc::new(kavach_core::Kavach::from_json(
//!     r#"{"secret": "change-me-change-me-change-me-change-me", "baseUrl": "http://localhost:3000",
//!         "plugins": [{"id": "passkey", "rpName": "Example", "rpId": "localhost"}]}"#,
//! )?);
//! let app = Router::new()
//!     .route("/me", get(|session: KavachSession| async move { session.user.email }))
//!     .with_state(Arc::clone(&kavach))
//!     .merge(kavach_axum::router(kavach));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // With ConnectInfo, the core sees each request's peer (the per-client rate limit's key).
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The adapter only translates (DESIGN §3): method, path, every header (each `Cookie` field),
//! at most 64 KiB + 1 body bytes and the peer address from [`ConnectInfo`] go to
//! [`Kavach::handle`]; its status, headers (each `Set-Cookie` its own field) and body come back.
//! Routes, status codes, cookies, error bodies and the client key (`trustedProxies`, DESIGN §11)
//! are the core's. The core's work (signature checks, database) runs on tokio's blocking pool,
//! never on an async worker.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::BodyExt;
use kavach_core::http::{MAX_BODY_BYTES, Request as CoreRequest, Response as CoreResponse};
use kavach_core::{Authenticated, Error, Kavach, SessionInfo, User};

/// The passkey endpoints (every method on `basePath` and below) as a router to
/// [`merge`](Router::merge) into the app. Merge it rather than `nest` it: the routes already
/// carry `basePath` (default `/auth`), and the core matches the request's full path.
///
/// Serve the app with [`into_make_service_with_connect_info::<SocketAddr>`](Router::into_make_service_with_connect_info)
/// so each request's peer address reaches the core: the optional per-client rate limit keys on it
/// (behind `trustedProxies`, on X-Forwarded-For); without it nothing is rate-limited per client.
pub fn router<S>(kavach: Arc<Kavach>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let base = kavach.settings().base_path().trim_end_matches('/').to_owned();
    let route = {
        let kavach = Arc::clone(&kavach);
        any(move |request: Request| {
            let kavach = Arc::clone(&kavach);
            async move { handle(&kavach, request).await }
        })
    };
    let exact = if base.is_empty() { "/".to_owned() } else { base.clone() };
    // The well-known documents kavach serves at the site root (relatedOrigins, apps), and only
    // those: a site's own files there are never shadowed.
    let well_known = kavach.settings().well_known_paths();
    well_known
        .into_iter()
        .fold(Router::new(), |router, path| router.route(path, route.clone()))
        .route(&exact, route.clone())
        .route(&format!("{base}/{{*rest}}"), route)
}

/// One request through the core: what [`router`] does for every request under `basePath`, for a
/// host that routes by itself.
pub async fn handle(kavach: &Arc<Kavach>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_limited(body).await {
        Ok(body) => body,
        // The client went away or sent a broken body: nothing the core could answer.
        Err(()) => {
            return into_response(CoreResponse::error(&Error::invalid_request("request body could not be read")));
        }
    };
    let request = core_request(&parts, body);
    let kavach = Arc::clone(kavach);
    let response = tokio::task::spawn_blocking(move || kavach.handle(&request)).await;
    into_response(response.unwrap_or_else(|err| CoreResponse::error(&Error::internal(err))))
}

/// The core's request: method, path with query, every header field in order (so several
/// `Cookie` fields stay several), the body and the socket's peer (never a header's value: the
/// core derives the client key from it and `trustedProxies`).
fn core_request(parts: &Parts, body: Vec<u8>) -> CoreRequest {
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let client = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip().to_string());
    CoreRequest { method: parts.method.as_str().to_owned(), path, headers, body, client }
}

/// At most `MAX_BODY_BYTES + 1` bytes: an oversized body still reaches the core, which answers
/// 413 `PAYLOAD_TOO_LARGE` itself; the rest is never buffered.
async fn read_limited(mut body: Body) -> Result<Vec<u8>, ()> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| ())?.into_data() else { continue };
        bytes.extend_from_slice(&data);
        if bytes.len() > MAX_BODY_BYTES {
            bytes.truncate(MAX_BODY_BYTES + 1);
            break;
        }
    }
    Ok(bytes)
}

/// The core's response as axum's: status, every header in order (each `Set-Cookie` its own
/// field), body.
pub fn into_response(response: CoreResponse) -> Response {
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() =
        axum::http::StatusCode::from_u16(response.status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (header::HeaderName::try_from(name), header::HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    out
}

/// The signed-in user and session of a request, from `Authorization: Bearer <token>` or the
/// session cookie (every `Cookie` field is read), as the core resolves them. As an extractor it
/// answers 401 `UNAUTHORIZED` (the core's error body) when there is none; take
/// `Option<KavachSession>` for routes that also serve signed-out visitors.
///
/// The state must give the [`Kavach`] instance: `Router::with_state(Arc<Kavach>)`, or your own
/// state with `impl FromRef<AppState> for Arc<Kavach>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KavachSession {
    /// The user.
    pub user: User,
    /// The session (never its token).
    pub session: SessionInfo,
}

impl From<Authenticated> for KavachSession {
    fn from(auth: Authenticated) -> Self {
        Self { user: auth.user(), session: auth.session() }
    }
}

/// The error a failed extraction answers with: the core's error body and status.
#[derive(Debug)]
pub struct KavachRejection(Error);

impl KavachRejection {
    /// The core's error.
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl IntoResponse for KavachRejection {
    fn into_response(self) -> Response {
        into_response(CoreResponse::error(&self.0))
    }
}

/// `None` without any credential; otherwise the core's answer for the bearer token, then (when
/// that finds no session) for the cookies. Runs on the blocking pool.
async fn lookup(kavach: Arc<Kavach>, headers: &HeaderMap) -> Result<Option<Authenticated>, Error> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let cookies: Vec<&str> = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
    let cookies = (!cookies.is_empty()).then(|| cookies.join("; "));
    if authorization.is_none() && cookies.is_none() {
        return Ok(None);
    }
    tokio::task::spawn_blocking(move || {
        if let Some(found) = authorization.as_deref().map(|value| kavach.session(value)).transpose()?.flatten() {
            return Ok(Some(found));
        }
        cookies.map_or(Ok(None), |cookies| kavach.session(&cookies))
    })
    .await
    .map_err(Error::internal)?
}

impl<S> FromRequestParts<S> for KavachSession
where
    Arc<Kavach>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = KavachRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let kavach = Arc::<Kavach>::from_ref(state);
        match lookup(Arc::clone(&kavach), &parts.headers).await {
            Ok(Some(auth)) => Ok(auth.into()),
            // The core's own UNAUTHORIZED (its message and status).
            Ok(None) => Err(KavachRejection(kavach.require_session("").err().unwrap_or_else(|| Error::internal("")))),
            Err(err) => Err(KavachRejection(err)),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for KavachSession
where
    Arc<Kavach>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = KavachRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let kavach = Arc::<Kavach>::from_ref(state);
        Ok(lookup(kavach, &parts.headers).await.map_err(KavachRejection)?.map(Into::into))
    }
}
