//! The framework-neutral router (DESIGN §3): `Request{method, path, headers, body}` in,
//! `Response{status, headers, body}` out. Every binding's adapters (Express, Fetch, FastAPI,
//! net/http, C) only translate to and from these, so routes, status codes, cookies and error bodies
//! are the same in every language.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventType};
use crate::kavach::{Authenticated, Kavach, unauthorized};
use crate::metrics::method_label;
use crate::passkey::{RegisterOptionsRequest, Verified};
use crate::session;
use crate::webauthn::options::Hint;

/// Bodies larger than this are refused before any parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP request, as any server framework can express it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, ... (case-insensitive).
    pub method: String,
    /// The full path, optionally with a query string (ignored), e.g. `/auth/passkey/credentials`.
    pub path: String,
    /// Header names are matched case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The peer of the connection the request arrived on (its IP address, as the server's socket
    /// reports it), or a key of the host's own choosing. The client key of the optional
    /// per-client rate limit is derived from it: it is the key unless it is one of
    /// `trustedProxies`, in which case `X-Forwarded-For` (among `headers`) names the client
    /// (DESIGN §11). `None` (the default) is never rate-limited. Never a header's value: adapters
    /// pass the socket's peer and every header, and the core decides.
    pub client: Option<String>,
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, in order; `Set-Cookie` may appear.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers or body.
    pub fn new(method: &str, path: &str) -> Self {
        Self { method: method.to_owned(), path: path.to_owned(), ..Self::default() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the peer address or client key (see [`Request::client`]).
    pub fn client(mut self, key: &str) -> Self {
        self.client = Some(key.to_owned());
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = body.to_string().into_bytes();
        self.header("content-type", "application/json")
    }

    /// The first value of a header.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order (a request may carry several `Cookie` fields).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Response {
    /// The body parsed as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The first value of a header.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn ok(body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => Self { status: 200, headers: json_headers(), body: bytes },
            Err(err) => Self::error(&Error::internal(err)),
        }
    }

    /// The error's one JSON form ([`Error::to_json`]) as the body, with its status (and
    /// `Retry-After` when it has a delay).
    pub fn error(err: &Error) -> Self {
        let body = err.to_json();
        let mut headers = json_headers();
        if let Some(seconds) = err.retry_after() {
            headers.push(("retry-after".to_owned(), seconds.to_string()));
        }
        Self { status: err.status(), headers, body: body.to_string().into_bytes() }
    }

    /// A body-less answer (a CORS preflight).
    fn empty(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A well-known document: public, cacheable for an hour (browsers and app stores fetch it
    /// on their own schedule).
    fn well_known(document: &Value) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("cache-control".to_owned(), "public, max-age=3600".to_owned()),
            ],
            body: document.to_string().into_bytes(),
        }
    }

    fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }
}

fn json_headers() -> Vec<(String, String)> {
    // Ceremony options and session data must never be cached by a proxy or the browser.
    vec![
        ("content-type".to_owned(), "application/json; charset=utf-8".to_owned()),
        ("cache-control".to_owned(), "no-store".to_owned()),
    ]
}

/// The routes, relative to `basePath`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    RegisterOptions,
    RegisterVerify,
    AuthenticateOptions,
    AuthenticateVerify,
    Credentials,
    Credential,
    Session,
    SignOut,
    Sessions,
    SessionById,
    RevokeOtherSessions,
    Activity,
}

impl Route {
    /// Resolves a path (relative to basePath) to a route and its `:id` parameter.
    fn resolve(path: &str) -> Option<(Self, Option<&str>)> {
        let route = match path {
            "/passkey/register/options" => Self::RegisterOptions,
            "/passkey/register/verify" => Self::RegisterVerify,
            "/passkey/authenticate/options" => Self::AuthenticateOptions,
            "/passkey/authenticate/verify" => Self::AuthenticateVerify,
            "/passkey/credentials" => Self::Credentials,
            "/session" => Self::Session,
            "/sign-out" => Self::SignOut,
            "/sessions" => Self::Sessions,
            "/sessions/revoke-others" => Self::RevokeOtherSessions,
            "/passkey/activity" => Self::Activity,
            _ => {
                let (route, id) = match path.strip_prefix("/passkey/credentials/") {
                    Some(id) => (Self::Credential, id),
                    None => (Self::SessionById, path.strip_prefix("/sessions/")?),
                };
                return (!id.is_empty() && !id.contains('/')).then_some((route, Some(id)));
            }
        };
        Some((route, None))
    }

    fn methods(self) -> &'static [&'static str] {
        match self {
            Self::Credentials | Self::Session | Self::Sessions | Self::Activity => &["GET"],
            Self::Credential => &["DELETE", "PATCH"],
            Self::SessionById => &["DELETE"],
            _ => &["POST"],
        }
    }

    /// The metrics label: the template, never the id.
    fn template(self) -> &'static str {
        match self {
            Self::RegisterOptions => "/passkey/register/options",
            Self::RegisterVerify => "/passkey/register/verify",
            Self::AuthenticateOptions => "/passkey/authenticate/options",
            Self::AuthenticateVerify => "/passkey/authenticate/verify",
            Self::Credentials => "/passkey/credentials",
            Self::Credential => "/passkey/credentials/:id",
            Self::Session => "/session",
            Self::SignOut => "/sign-out",
            Self::Sessions => "/sessions",
            Self::SessionById => "/sessions/:id",
            Self::RevokeOtherSessions => "/sessions/revoke-others",
            Self::Activity => "/passkey/activity",
        }
    }
}

/// Refusals worth a log line: someone tried something (a forged or replayed assertion, a
/// foreign origin, a flood, a sensitive action without a recent passkey check). Ordinary
/// mistakes (a malformed body, no session, a wrong method) are counted in metrics only.
fn is_security_refusal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ChallengeInvalid
            | ErrorCode::VerificationFailed
            | ErrorCode::CounterRegression
            | ErrorCode::ForbiddenOrigin
            | ErrorCode::RateLimited
            | ErrorCode::ReauthRequired
    )
}

impl Kavach {
    /// Handles one request. Never panics: an unexpected panic inside becomes a 500 `INTERNAL`.
    /// Every answer is counted in [`Kavach::metrics`]; a security refusal is also a log line,
    /// and a rate-limit refusal a `rate.limited` event.
    pub fn handle(&self, request: &Request) -> Response {
        let started = Instant::now();
        let client = self.client_key(request);
        let outcome = events::with_client(client.clone(), || catch_unwind(AssertUnwindSafe(|| self.route(request))));
        let (response, code) = match outcome {
            Ok(Ok(response)) => (response, None),
            Ok(Err(err)) => {
                self.refused(request, &err, client);
                (Response::error(&err), Some(err.code()))
            }
            Err(_) => (Response::error(&Error::internal("panic while handling a request")), Some(ErrorCode::Internal)),
        };
        if self.metrics.enabled() {
            let route = self.route_label(&request.path);
            let method = method_label(&request.method);
            let code = code.map(ErrorCode::as_str);
            self.metrics.record_answer(route, method, response.status, code, started.elapsed());
        }
        self.with_cors(request, response)
    }

    /// A refused request: a log line if it is a security refusal, an event if rate-limited.
    fn refused(&self, request: &Request, err: &Error, client: Option<String>) {
        let code = err.code();
        if !is_security_refusal(code) {
            return;
        }
        let mut fields = serde_json::Map::new();
        fields.insert("route".into(), json!(self.route_label(&request.path)));
        fields.insert("method".into(), json!(method_label(&request.method)));
        fields.insert("status".into(), json!(err.status()));
        fields.insert("code".into(), json!(code.as_str()));
        if let Some(client) = &client {
            fields.insert("client".into(), json!(client));
        }
        fields.insert("message".into(), json!(err.message()));
        crate::log::refusal(fields);
        if code == ErrorCode::RateLimited {
            let event = events::with_client(client, || Event::new(EventType::RateLimited, self.now()));
            self.publish(vec![event.code(code.as_str())]);
        }
    }

    /// The route template a path answers to (metrics and logs never carry a raw path).
    fn route_label(&self, path: &str) -> &'static str {
        match self.settings.route_path(path).and_then(Route::resolve) {
            Some((route, _)) => route.template(),
            None if path.starts_with("/.well-known/") => "/.well-known",
            None => "unmatched",
        }
    }

    /// CORS (DESIGN §3) for a page on another allowed origin (`app.example.com` calling kavach on
    /// `auth.example.com`): that origin, with credentials, and `Vary: Origin`; never `*`, never
    /// for an origin that is not allowed, and nothing for same-origin requests.
    fn with_cors(&self, request: &Request, mut response: Response) -> Response {
        if let Some(origin) = self.cross_origin_caller(request) {
            response.headers.push(("access-control-allow-origin".to_owned(), origin.to_owned()));
            response.headers.push(("access-control-allow-credentials".to_owned(), "true".to_owned()));
        }
        // Always, so that a cache never serves one origin's answer (with or without the CORS
        // headers) to another.
        response.headers.push(("vary".to_owned(), "Origin".to_owned()));
        response
    }

    /// The request's `Origin` when it is an allowed web origin other than `baseUrl`'s.
    fn cross_origin_caller<'a>(&self, request: &'a Request) -> Option<&'a str> {
        let origin = request.header_value("origin")?;
        let allowed = self.settings.request_origins.iter().any(|allowed| allowed.as_str() == origin);
        (allowed && self.settings.base_origin.as_str() != origin).then_some(origin)
    }

    fn route(&self, request: &Request) -> Result<Response> {
        // Before anything else (json_object checks it again, for the host API).
        if request.body.len() > MAX_BODY_BYTES {
            return Err(Error::new(ErrorCode::PayloadTooLarge, "request body is larger than 64 KiB"));
        }
        let method = request.method.to_ascii_uppercase();
        if let Some(document) = self.well_known_document(&request.path) {
            if method != "GET" && method != "HEAD" {
                return Ok(Response::error(&Error::new(
                    ErrorCode::MethodNotAllowed,
                    "method not allowed on this route",
                ))
                .with_header("allow", "GET, HEAD".to_owned()));
            }
            return Ok(Response::well_known(&document?));
        }
        let relative = self.settings.route_path(&request.path).ok_or_else(not_found)?;
        let (route, id) = Route::resolve(relative).ok_or_else(not_found)?;
        if method == "OPTIONS"
            && request.header_value("origin").is_some()
            && request.header_value("access-control-request-method").is_some()
        {
            return self.preflight(request, route);
        }
        if !route.methods().contains(&method.as_str()) {
            let allow = route.methods().join(", ");
            return Ok(Response::error(&Error::new(ErrorCode::MethodNotAllowed, "method not allowed on this route"))
                .with_header("allow", allow));
        }
        if method != "GET" {
            self.check_origin_header(request)?;
        }

        let id = id.unwrap_or_default();
        if matches!(route, Route::AuthenticateOptions | Route::AuthenticateVerify)
            && let Some(limiter) = &self.rate_limiter
            && let Some(client) = self.client_key(request)
        {
            limiter.check_client(self.store.as_ref(), &client, self.now())?;
        }
        match route {
            Route::AuthenticateOptions => {
                let body = json_object(&request.body)?;
                if body.get("stepUp").is_some_and(|v| v != &Value::Bool(false)) {
                    return self.step_up_options_route(request, &body);
                }
                let email = match body.get("email") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(email)) => Some(email.as_str()),
                    Some(_) => return Err(Error::invalid_request("email must be a string")),
                };
                let hints = match body.get("hints") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(Hint::parse_list(value, "hints").map_err(Error::invalid_request)?),
                };
                Ok(Response::ok(&self.authenticate_options_with_hints(email, hints)?))
            }
            Route::AuthenticateVerify => {
                let body = without_prf_outputs(json_object(&request.body)?);
                // A step-up's challenge needs the request's session; a sign-in's ignores it.
                let auth = self.request_session(request).ok();
                let mut sign_in = match self.authenticate_verify_in(&body, auth.as_ref())? {
                    Verified::SignIn(sign_in) => sign_in,
                    Verified::StepUp(step_up) => {
                        let response = Response::ok(&step_up);
                        return Ok(match auth.and_then(|a| a.refreshed_cookie) {
                            Some(cookie) => response.with_header("set-cookie", cookie),
                            None => response,
                        });
                    }
                };
                // An app origin's token is for a native HTTP client, which sends neither header: a
                // web view posting on an app's behalf does, and gets the HttpOnly cookie only.
                if request.header_value("origin").is_some() || request.header_value("sec-fetch-site").is_some() {
                    sign_in.token = None;
                }
                Ok(Response::ok(&sign_in).with_header("set-cookie", sign_in.session.set_cookie))
            }
            _ => {
                let auth = self.request_session(request)?;
                // A signed-in client is limited by its session: its address may be shared (NAT)
                // and its session is what it cannot multiply without signing in again.
                if matches!(route, Route::RegisterOptions | Route::RegisterVerify)
                    && let Some(limiter) = &self.rate_limiter
                {
                    limiter.check_session(self.store.as_ref(), &auth.session.id, self.now())?;
                }
                let response = self.route_signed_in(route, id, request, &auth)?;
                // A session renewed by this request: its cookie must live as long, unless the
                // answer sets (or clears) the cookie itself.
                Ok(match auth.refreshed_cookie {
                    Some(cookie) if response.header_value("set-cookie").is_none() => {
                        response.with_header("set-cookie", cookie)
                    }
                    _ => response,
                })
            }
        }
    }

    fn route_signed_in(&self, route: Route, id: &str, request: &Request, auth: &Authenticated) -> Result<Response> {
        match route {
            Route::RegisterOptions => {
                let options = RegisterOptionsRequest::from_value(json_object(&request.body)?)?;
                Ok(Response::ok(&self.register_options(auth, &options)?))
            }
            Route::RegisterVerify => {
                let credential = self.register_verify(auth, &without_prf_outputs(json_object(&request.body)?))?;
                Ok(Response::ok(&json!({ "verified": true, "credential": credential })))
            }
            Route::Credentials => {
                let credentials = self.list_credentials(auth)?;
                let signal = self.credential_signals(auth, &credentials);
                Ok(Response::ok(&json!({ "credentials": credentials, "signal": signal })))
            }
            Route::Credential if request.method.eq_ignore_ascii_case("DELETE") => {
                if let Some(seconds) = self.settings.recent_auth_to_delete {
                    self.require_recent_auth(auth, seconds)?;
                }
                self.delete_credential(auth, id)?;
                let signal = self.credential_signals(auth, &self.list_credentials(auth)?);
                Ok(Response::ok(&json!({ "deleted": true, "signal": signal })))
            }
            Route::Credential => {
                let body = json_object(&request.body)?;
                let name = body
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid_request("name is required"))?;
                Ok(Response::ok(&json!({ "credential": self.rename_credential(auth, id, name)? })))
            }
            // The same shape as the host API's `sessions.get`.
            Route::Session => Ok(Response::ok(&json!({ "user": auth.user(), "session": auth.session() }))),
            Route::SignOut => {
                self.revoke_session(&auth.session.id)?;
                Ok(Response::ok(&json!({ "signedOut": true }))
                    .with_header("set-cookie", session::clearing_cookie(self.settings.secure_cookies)))
            }
            Route::Sessions => Ok(Response::ok(&json!({ "sessions": self.list_sessions(auth)? }))),
            Route::SessionById => {
                let response = Response::ok(&json!({ "revoked": true }));
                Ok(match self.revoke_own_session(auth, id)? {
                    true => response.with_header("set-cookie", session::clearing_cookie(self.settings.secure_cookies)),
                    false => response,
                })
            }
            Route::RevokeOtherSessions => Ok(Response::ok(&json!({ "revoked": self.revoke_other_sessions(auth)? }))),
            Route::Activity => {
                let (before, limit) = activity_query(&request.path)?;
                Ok(Response::ok(&self.activity(auth, before.as_deref(), limit)?))
            }
            Route::AuthenticateOptions | Route::AuthenticateVerify => Err(Error::internal("unreachable route")),
        }
    }

    /// A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): answered
    /// for allowed cross-origin callers only; any other origin gets `FORBIDDEN_ORIGIN` and no CORS
    /// headers, so the browser stops there.
    fn preflight(&self, request: &Request, route: Route) -> Result<Response> {
        if self.cross_origin_caller(request).is_none() {
            return Err(Error::new(ErrorCode::ForbiddenOrigin, "requests from this origin are not allowed"));
        }
        Ok(Response::empty(204)
            .with_header("access-control-allow-methods", route.methods().join(", "))
            .with_header("access-control-allow-headers", "content-type, authorization".to_owned())
            .with_header("access-control-max-age", "600".to_owned()))
    }

    /// `authenticate/options {stepUp: true}`: needs the request's session (and is limited by it,
    /// as the register routes are); nothing else in the body but `hints`.
    fn step_up_options_route(&self, request: &Request, body: &Value) -> Result<Response> {
        if let Some(key) = body.as_object().and_then(|o| o.keys().find(|k| !["stepUp", "hints"].contains(&k.as_str())))
        {
            return Err(Error::invalid_request(format!("a step-up takes {{stepUp: true, hints?}}, not '{key}'")));
        }
        if body.get("stepUp") != Some(&Value::Bool(true)) {
            return Err(Error::invalid_request("stepUp must be true or false"));
        }
        let auth = self.request_session(request)?;
        if let Some(limiter) = &self.rate_limiter {
            limiter.check_session(self.store.as_ref(), &auth.session.id, self.now())?;
        }
        let hints = match body.get("hints") {
            None | Some(Value::Null) => None,
            Some(value) => Some(Hint::parse_list(value, "hints").map_err(Error::invalid_request)?),
        };
        let response = Response::ok(&self.step_up_options(&auth, hints)?);
        Ok(match auth.refreshed_cookie {
            Some(cookie) => response.with_header("set-cookie", cookie),
            None => response,
        })
    }

    /// The client key of a request (DESIGN §11): its peer, or behind `trustedProxies` the
    /// rightmost `X-Forwarded-For` entry that is not a trusted proxy. `None` without a peer.
    pub fn client_key(&self, request: &Request) -> Option<String> {
        self.settings.trusted_proxies.client_key(request.client.as_deref(), request.header_values("x-forwarded-for"))
    }

    fn request_session(&self, request: &Request) -> Result<Authenticated> {
        let token = session::token_from_headers(
            request.header_value("authorization"),
            request.header_values("cookie"),
            self.settings.secure_cookies,
        )
        .ok_or_else(unauthorized)?;
        self.session_for_token(&token)?.ok_or_else(unauthorized)
    }

    /// Cross-site request forgery defence for state-changing routes. A browser sends `Origin` on
    /// cross-origin POST/PATCH/DELETE: when present it must be one of ours (then whatever
    /// `Sec-Fetch-Site` says, it passes: a related origin is `same-site` or `cross-site` by
    /// definition). Without `Origin`, a browser that says the request comes from another site
    /// (`Sec-Fetch-Site: cross-site` or `same-site`: a sibling subdomain is another origin) is
    /// refused; clients that send neither (non-browser clients, holding a bearer token or
    /// nothing) are not.
    fn check_origin_header(&self, request: &Request) -> Result<()> {
        let forbidden = || Err(Error::new(ErrorCode::ForbiddenOrigin, "requests from this origin are not allowed"));
        match request.header_value("origin") {
            Some(origin) if self.settings.request_origins.iter().any(|allowed| allowed.as_str() == origin) => Ok(()),
            Some(_) => forbidden(),
            None => match request.header_value("sec-fetch-site").map(str::trim) {
                Some(site) if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") => {
                    forbidden()
                }
                _ => Ok(()),
            },
        }
    }
}

/// A request body as a JSON object, the same for the router and the host API: over 64 KiB is
/// `PAYLOAD_TOO_LARGE` (checked before parsing), an empty or blank body is `{}`, anything but a
/// JSON object is `INVALID_REQUEST`.
pub(crate) fn json_object(body: &[u8]) -> Result<Value> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::new(ErrorCode::PayloadTooLarge, "request body is larger than 64 KiB"));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| Error::invalid_request("body is not valid JSON"))?;
    if value.is_object() { Ok(value) } else { Err(Error::invalid_request("body must be a JSON object")) }
}

/// PRF outputs are keys that belong to the client (DESIGN §9): a page should strip them before
/// posting, and whatever arrives is dropped here, before anything can log or store it.
pub(crate) fn without_prf_outputs(mut body: Value) -> Value {
    for pointer in ["/clientExtensionResults/prf", "/response/clientExtensionResults/prf"] {
        if let Some(Value::Object(prf)) = body.pointer_mut(pointer) {
            prf.remove("results");
        }
    }
    body
}

/// `?before=<cursor>&limit=<n>` of `GET /passkey/activity`.
fn activity_query(path: &str) -> Result<(Option<String>, Option<u32>)> {
    let query = path.split_once('?').map_or("", |(_, query)| query);
    let query = query.split('#').next().unwrap_or_default();
    let (mut before, mut limit) = (None, None);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "before" if !value.is_empty() => before = Some(value.into_owned()),
            "limit" => {
                let n = value.parse::<u32>().map_err(|_| Error::invalid_request("limit must be between 1 and 200"))?;
                limit = Some(n);
            }
            _ => {}
        }
    }
    Ok((before, limit))
}

fn not_found() -> Error {
    Error::new(ErrorCode::NotFound, "no such route")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bodies_are_json_objects_within_the_limit() {
        assert_eq!(json_object(b"").unwrap(), json!({}));
        assert_eq!(json_object(b" {\"a\":1} ").unwrap(), json!({"a": 1}));
        assert_eq!(json_object(b"[1]").unwrap_err().code(), ErrorCode::InvalidRequest);
        assert_eq!(json_object(b"{").unwrap_err().code(), ErrorCode::InvalidRequest);
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(json_object(huge.as_bytes()).unwrap_err().code(), ErrorCode::PayloadTooLarge);
    }
}
