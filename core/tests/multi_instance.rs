//! Several kavach instances on one database, as separate processes — what a deployment behind a
//! load balancer is. Runs on the engine under test (SQLite file, or PostgreSQL when
//! `KAVACH_TEST_POSTGRES_URL` is set).
//!
//! Each instance is this test binary started again on its ignored `instance_process` test, which
//! serves the router over stdin/stdout: one JSON request per line in, one `KAVACH-INSTANCE ...`
//! line out.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use kavach_core::Kavach;
use kavach_core::http::Request;
use serde_json::{Value, json};
use support::{Authenticator, Harness, ORIGIN, TestDatabase};

const PREFIX: &str = "KAVACH-INSTANCE ";

/// The instance process: configuration from `KAVACH_INSTANCE_CONFIG`, requests on stdin.
#[test]
#[ignore = "started by the other tests as a separate instance process"]
fn instance_process() {
    let Ok(config) = std::env::var("KAVACH_INSTANCE_CONFIG") else { return };
    let kavach = match Kavach::from_json(&config) {
        Ok(kavach) => {
            println!("{PREFIX}{}", json!({"ready": true}));
            kavach
        }
        Err(err) => {
            println!("{PREFIX}{}", json!({"ready": false, "code": err.code().as_str(), "error": err.message()}));
            return;
        }
    };
    for line in std::io::stdin().lock().lines() {
        let command: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let answer = match command["op"].as_str().unwrap() {
            "signup" => {
                let user = kavach.create_user(command["email"].as_str().unwrap(), None).unwrap();
                let session = kavach.create_session(&user.id).unwrap();
                json!({"user": user.id, "token": session.token})
            }
            "http" => {
                let mut request = Request::new(command["method"].as_str().unwrap(), command["path"].as_str().unwrap());
                if let Some(token) = command["token"].as_str() {
                    request = request.header("cookie", &format!("__Host-kavach_session={token}"));
                }
                if !command["body"].is_null() {
                    request = request.json(&command["body"]);
                }
                let response = kavach.handle(&request);
                json!({
                    "status": response.status,
                    "body": response.json(),
                    "setCookie": response.header_value("set-cookie"),
                })
            }
            "exit" => break,
            other => panic!("unknown op {other}"),
        };
        println!("{PREFIX}{answer}");
    }
}

/// One instance process.
struct Instance {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<Value>,
}

impl Instance {
    /// Starts an instance; does not wait for it to be ready (so several can start at once).
    fn spawn(config: &Value) -> Instance {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["instance_process", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("KAVACH_INSTANCE_CONFIG", config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, answers) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                // The test runner may have printed "test instance_process ... " on the same line.
                if let Some(at) = line.find(PREFIX) {
                    let _ = sender.send(serde_json::from_str(line[at + PREFIX.len()..].trim_end()).unwrap());
                }
            }
        });
        Instance { child, stdin, answers }
    }

    /// The next answer (bounded: a stuck instance fails the test instead of hanging it).
    fn answer(&mut self) -> Value {
        self.answers.recv_timeout(Duration::from_secs(60)).expect("no answer from the instance process")
    }

    fn send(&mut self, command: &Value) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn call(&mut self, command: Value) -> Value {
        self.send(&command);
        self.answer()
    }

    fn post(&mut self, path: &str, body: &Value, token: Option<&str>) -> Value {
        self.call(json!({"op": "http", "method": "POST", "path": path, "body": body, "token": token}))
    }

    fn get(&mut self, path: &str, token: &str) -> Value {
        self.call(json!({"op": "http", "method": "GET", "path": path, "token": token}))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "exit"}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn instance_config(database: &TestDatabase) -> Value {
    Harness::config(database, &json!({}))
}

#[test]
fn two_processes_share_challenges_credentials_and_sessions() {
    let database = TestDatabase::new();
    let config = instance_config(&database);
    // Both start at once on a fresh database: they race the migrations too.
    let (mut a, mut b) = (Instance::spawn(&config), Instance::spawn(&config));
    assert_eq!(a.answer()["ready"], true);
    assert_eq!(b.answer()["ready"], true);

    let signup = a.call(json!({"op": "signup", "email": "ada@example.com"}));
    let token = signup["token"].as_str().unwrap().to_owned();
    // A session made by one instance is valid on the other.
    assert_eq!(b.get("/auth/session", &token)["body"]["user"]["id"], signup["user"]);

    // Registration: options from A, verify on B.
    let mut authenticator = Authenticator::new();
    let options = a.post("/auth/passkey/register/options", &json!({}), Some(&token));
    assert_eq!(options["status"], 200, "{options}");
    let credential = authenticator.register(&options["body"], ORIGIN).unwrap();
    let verified = b.post("/auth/passkey/register/verify", &credential, Some(&token));
    assert_eq!(verified["status"], 200, "{verified}");
    // Listed on A.
    let listed = a.get("/auth/passkey/credentials", &token);
    assert_eq!(listed["body"]["credentials"].as_array().map(Vec::len), Some(1), "{listed}");

    // Sign-in: options from B, verify on A; the new session works on B.
    let options = b.post("/auth/passkey/authenticate/options", &json!({}), None);
    let assertion = authenticator.authenticate(&options["body"], ORIGIN).unwrap();
    let signed_in = a.post("/auth/passkey/authenticate/verify", &assertion, None);
    assert_eq!(signed_in["status"], 200, "{signed_in}");
    let cookie = signed_in["setCookie"].as_str().unwrap();
    let new_token = cookie.strip_prefix("__Host-kavach_session=").unwrap().split(';').next().unwrap();
    assert_eq!(b.get("/auth/session", new_token)["body"]["user"]["id"], signup["user"]);

    // The same assertion sent to both at once, round after round: exactly one session each time.
    for round in 0..10 {
        let issuer = if round % 2 == 0 { &mut a } else { &mut b };
        let options = issuer.post("/auth/passkey/authenticate/options", &json!({"email": "ada@example.com"}), None);
        let assertion = authenticator.authenticate(&options["body"], ORIGIN).unwrap();
        let verify = json!({"op": "http", "method": "POST", "path": "/auth/passkey/authenticate/verify",
                            "body": assertion});
        a.send(&verify);
        b.send(&verify);
        let answers = [a.answer(), b.answer()];
        let ok = answers.iter().filter(|r| r["status"] == 200).count();
        let refused: Vec<_> = answers.iter().filter(|r| r["status"] != 200).collect();
        assert_eq!(ok, 1, "round {round}: {answers:?}");
        assert_eq!(refused[0]["status"], 400, "round {round}: {answers:?}");
        assert_eq!(refused[0]["body"]["code"], "CHALLENGE_INVALID", "round {round}: {answers:?}");
    }
    // Sign-out on one instance ends the session on the other.
    let signed_out = b.post("/auth/sign-out", &json!({}), Some(new_token));
    assert!(signed_out["status"] == 200 || signed_out["status"] == 204, "{signed_out}");
    assert_eq!(a.get("/auth/session", new_token)["status"], 401);
}

#[test]
fn instances_starting_at_once_migrate_once() {
    let database = TestDatabase::new();
    let config = instance_config(&database);
    let mut instances: Vec<Instance> = (0..4).map(|_| Instance::spawn(&config)).collect();
    for instance in &mut instances {
        let ready = instance.answer();
        assert_eq!(ready["ready"], true, "{ready}");
    }
    assert_eq!(database.count("kavach_schema_version"), 7);
    // And they all work on the one schema.
    for (i, instance) in instances.iter_mut().enumerate() {
        let signup = instance.call(json!({"op": "signup", "email": format!("user{i}@example.com")}));
        assert!(signup["token"].is_string());
    }
    assert_eq!(database.count("kavach_users"), 4);
}
