//! A software authenticator on stdin/stdout, so that programs in other languages (the C example)
//! can run real ceremonies: real keys, real signatures, verified by kavach through the C ABI.
//!
//! One JSON object per line in, one per line out:
//! `{"op": "register", "options": <creation options JSON>, "origin": "http://localhost:3000"}` ->
//! the RegistrationResponseJSON; `{"op": "authenticate", "options": <request options JSON>,
//! "origin": ...}` -> the AuthenticationResponseJSON; a failure -> `{"error": "..."}`. The
//! credentials live as long as the process. Test use only.

use std::io::{BufRead, Write};

use kavach_test_authenticator::Authenticator;
use serde_json::{Value, json};

fn main() {
    let mut authenticator = Authenticator::new();
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Err(err) => Err(format!("not JSON: {err}")),
            Ok(request) => {
                let (options, origin) = (&request["options"], request["origin"].as_str().unwrap_or_default());
                match request["op"].as_str() {
                    Some("register") => authenticator.register(options, origin),
                    Some("authenticate") => authenticator.authenticate(options, origin),
                    _ => Err("op must be register or authenticate".to_owned()),
                }
            }
        };
        let answer = answer.unwrap_or_else(|error| json!({ "error": error }));
        let mut out = stdout.lock();
        if writeln!(out, "{answer}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
