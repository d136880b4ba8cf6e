//! A passkey round trip through kavach's HTTP-neutral router, the way a browser and a web server
//! would drive it, with a software authenticator standing in for Touch ID or a security key.
//!
//! Run with `cargo run -p kavach-walkthrough`. Data goes to `kavach.db` in the current directory
//! (or `$KAVACH_DB`), so the credentials and sessions from earlier runs are still there.

use kavach_core::Kavach;
use kavach_core::http::{Request, Response};
use kavach_test_authenticator::Authenticator;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";

fn main() {
    if let Err(err) = run() {
        eprintln!("walkthrough failed: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let db = std::env::var("KAVACH_DB").unwrap_or_else(|_| "kavach.db".into());
    let config = json!({
        "database": {"provider": "sqlite", "url": format!("file:{db}")},
        "secret": "walkthrough-secret-do-not-use-in-production!",
        "baseUrl": ORIGIN,
        "plugins": [{"id": "passkey", "rpName": "Kavach walkthrough", "rpId": "localhost"}],
    });
    let kavach = Kavach::from_json(&config.to_string()).map_err(|e| e.to_string())?;
    println!("kavach walkthrough: SQLite database at {db}, rpId localhost, origin {ORIGIN}\n");

    // 1. The host's own sign-up creates a user and a session (the demo's /demo/signup route).
    let email = format!("ada+{}@example.com", kavach_core::now_ms());
    let user = kavach.create_user(&email, Some("Ada Lovelace")).map_err(|e| e.to_string())?;
    let session = kavach.create_session(&user.id).map_err(|e| e.to_string())?;
    println!("1. signed up {email} (user {}), session cookie issued", user.id);

    // 2. Add a passkey: options from the server, the authenticator creates a key pair and signs.
    let mut authenticator = Authenticator::new();
    let options = call(&kavach, "POST", "/auth/passkey/register/options", json!({}), Some(&session.token))?;
    println!("2. register/options: challenge {}, algorithms {}", options["challenge"], algorithms(&options));
    let registration = authenticator.register(&options, ORIGIN)?;
    let verified = call(&kavach, "POST", "/auth/passkey/register/verify", registration, Some(&session.token))?;
    let credential = &verified["credential"];
    println!(
        "   register/verify: stored passkey {} named {} ({})",
        credential["id"], credential["name"], credential["deviceType"]
    );

    // 3. Sign out, then sign in by email.
    call(&kavach, "POST", "/auth/sign-out", json!({}), Some(&session.token))?;
    println!("3. signed out");
    let options = call(&kavach, "POST", "/auth/passkey/authenticate/options", json!({"email": email}), None)?;
    let assertion = authenticator.authenticate(&options, ORIGIN)?;
    let (signed_in, cookie) = call_with_cookie(&kavach, "/auth/passkey/authenticate/verify", assertion.clone())?;
    println!("4. signed in by email as user {} (session {})", signed_in["userId"], signed_in["sessionId"]);
    println!("   Set-Cookie: {}", redact(&cookie));

    // 4. The same assertion again is a replay.
    let replay = kavach.handle(&Request::new("POST", "/auth/passkey/authenticate/verify").json(&assertion));
    println!("5. replaying that assertion: {} {}", replay.status, replay.json()["code"]);

    // 5. Usernameless sign-in (what autofill / conditional UI does).
    let options = call(&kavach, "POST", "/auth/passkey/authenticate/options", json!({}), None)?;
    let assertion = authenticator.authenticate(&options, ORIGIN)?;
    let (usernameless, cookie) = call_with_cookie(&kavach, "/auth/passkey/authenticate/verify", assertion)?;
    let token = cookie.trim_start_matches("kavach_session=").split(';').next().unwrap_or_default().to_owned();
    println!("6. signed in without an email as user {}", usernameless["userId"]);

    // 6. Manage passkeys.
    let id = credential["id"].as_str().unwrap_or_default();
    let renamed =
        call(&kavach, "PATCH", &format!("/auth/passkey/credentials/{id}"), json!({"name": "My laptop"}), Some(&token))?;
    println!("7. renamed to {}", renamed["credential"]["name"]);
    let list = call(&kavach, "GET", "/auth/passkey/credentials", Value::Null, Some(&token))?;
    println!("   credentials: {}", serde_json::to_string_pretty(&list["credentials"]).unwrap_or_default());
    let delete =
        kavach.handle(&request("DELETE", &format!("/auth/passkey/credentials/{id}"), Value::Null, Some(&token)));
    println!("8. deleting the only passkey: {} {} ({})", delete.status, delete.json()["code"], delete.json()["error"]);
    println!("\ndone: every step above went through kavach's router with real signatures.");
    Ok(())
}

fn request(method: &str, path: &str, body: Value, token: Option<&str>) -> Request {
    let mut request = Request::new(method, path).header("origin", ORIGIN);
    if !body.is_null() {
        request = request.json(&body);
    }
    if let Some(token) = token {
        request = request.header("cookie", &format!("kavach_session={token}"));
    }
    request
}

fn call(kavach: &Kavach, method: &str, path: &str, body: Value, token: Option<&str>) -> Result<Value, String> {
    expect_ok(kavach.handle(&request(method, path, body, token)), path)
}

fn call_with_cookie(kavach: &Kavach, path: &str, body: Value) -> Result<(Value, String), String> {
    let response = kavach.handle(&request("POST", path, body, None));
    let cookie = response.header_value("set-cookie").unwrap_or_default().to_owned();
    Ok((expect_ok(response, path)?, cookie))
}

fn expect_ok(response: Response, path: &str) -> Result<Value, String> {
    if response.status == 200 {
        Ok(response.json())
    } else {
        Err(format!("{path}: {} {}", response.status, response.json()))
    }
}

fn algorithms(options: &Value) -> String {
    let ids: Vec<String> =
        options["pubKeyCredParams"].as_array().into_iter().flatten().map(|p| p["alg"].to_string()).collect();
    ids.join(",")
}

fn redact(cookie: &str) -> String {
    match cookie.split_once('=') {
        Some((name, rest)) => {
            format!("{name}={}…{}", &rest[..6.min(rest.len())], rest.split_once(';').map_or("", |(_, a)| a))
        }
        None => cookie.to_owned(),
    }
}
