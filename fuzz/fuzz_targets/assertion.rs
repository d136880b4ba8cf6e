//! Mutated sign-ins. Every input starts from a fresh, validly signed assertion for one of the
//! user's registered credentials (EdDSA, ML-DSA-44 or ML-DSA-87, AKP keys: the first input byte
//! picks; software authenticator, in-memory SQLite store) and applies fuzzer-chosen changes:
//! re-signed tweaks (origin, type, challenge, rpId, flags, counter, user handle) and raw edits of
//! the signed fields after signing (bit flips, truncation, appended bytes, removed or replaced
//! JSON fields, a replayed earlier assertion).
//!
//! Invariants, through the router's `POST /auth/passkey/authenticate/verify`:
//! - the unmutated assertion signs in (200 + Set-Cookie + a live session);
//! - a mutation that changes anything the relying party must check never signs in;
//! - no input ever gets a 5xx, an internal error, or an error message with internal text.
#![no_main]

use std::sync::{Mutex, OnceLock};

use arbitrary::Arbitrary;
use kavach_core::Kavach;
use kavach_core::http::Request;
use kavach_fuzz::{ORIGIN, RP_ID, assert_client_response, config_json, panic_on_internal_errors};
use kavach_test_authenticator::{
    Algorithm, Authenticator, StoredCredential, authenticator_data, b64, client_data_json, flags, sign_assertion,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const EMAIL: &str = "fuzz@example.com";

/// The user's credentials, one per algorithm family worth fuzzing: `Input::credential` picks.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::EdDsa, Algorithm::MlDsa44, Algorithm::MlDsa87];

struct State {
    /// `(credential, the server's stored counter: the counter of its last successful sign-in)`.
    credentials: Vec<(StoredCredential, u32)>,
    user_handle: Vec<u8>,
    /// The last assertion sent (consumed, so replaying it must fail).
    previous: Option<Value>,
}

struct Fixture {
    kavach: Kavach,
    state: Mutex<State>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        panic_on_internal_errors();
        let kavach = Kavach::from_json(&config_json()).expect("fixture config");
        let user = kavach.create_user(EMAIL, None).unwrap();
        let session = kavach.create_session(&user.id).unwrap();
        // One authenticator per credential, as a user with a key per device has.
        let credentials: Vec<_> = ALGORITHMS
            .into_iter()
            .map(|alg| {
                let mut authenticator = Authenticator::new();
                let options = kavach.register_options_json(&session.token, "{}").unwrap();
                let response = authenticator.register_with(&options, ORIGIN, alg).unwrap();
                kavach.register_verify_json(&session.token, &response.to_string()).unwrap();
                (authenticator.credentials()[0].clone(), 0)
            })
            .collect();
        kavach.revoke_session(&session.session.id).unwrap();
        let user_handle = credentials[0].0.user_handle.clone();
        Fixture { kavach, state: Mutex::new(State { credentials, user_handle, previous: None }) }
    })
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Field {
    Id,
    RawId,
    ClientDataJson,
    AuthenticatorData,
    Signature,
    UserHandle,
}

impl Field {
    fn pointer(self) -> &'static str {
        match self {
            Field::Id => "/id",
            Field::RawId => "/rawId",
            Field::ClientDataJson => "/response/clientDataJSON",
            Field::AuthenticatorData => "/response/authenticatorData",
            Field::Signature => "/response/signature",
            Field::UserHandle => "/response/userHandle",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    FlipBit {
        field: Field,
        index: u16,
        bit: u8,
    },
    SetByte {
        field: Field,
        index: u16,
        value: u8,
    },
    Truncate {
        field: Field,
        len: u16,
    },
    Append {
        field: Field,
        bytes: Vec<u8>,
    },
    /// Replace the JSON value with a string (not base64url-decoded: any text).
    ReplaceText {
        field: Field,
        text: String,
    },
    Remove {
        field: Field,
    },
    SetType(String),
    RemoveType,
    /// An unknown top-level member: ignored by the relying party.
    Extra(String, String),
    /// Wrap as `{response: <assertion>}` (the documented alternative body): not a change.
    Wrap,
    /// Send the previous input's assertion instead (its challenge is spent).
    Replay,
}

#[derive(Arbitrary, Debug, Default)]
struct Tweaks {
    origin: Option<String>,
    client_data_type: Option<String>,
    /// Challenge text instead of the issued one.
    challenge: Option<String>,
    rp_id: Option<String>,
    flags_xor: u8,
    /// New counter = stored counter + delta (wrapping); 0 means "stored + 1". Small steps keep
    /// the stored counter far from u32::MAX, where nothing could sign in any more.
    counter_delta: i8,
    cross_origin: Option<bool>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Which credential signs (modulo [`ALGORITHMS`]): first, so a seed's first byte picks it.
    credential: u8,
    /// Sign in by email (allowCredentials, user bound) instead of usernameless.
    by_email: bool,
    tweaks: Tweaks,
    edits: Vec<Edit>,
}

/// What the relying party may do with the mutated assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expect {
    SignIn,
    Either,
    Refuse,
}

fn decode(v: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or_default()).unwrap_or_default()
}

fn set(body: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() { Some(&mut *body) } else { body.pointer_mut(parent) };
    if let Some(Value::Object(map)) = target {
        map.insert(key.to_owned(), value);
    }
}

fn remove(body: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() { Some(&mut *body) } else { body.pointer_mut(parent) };
    if let Some(Value::Object(map)) = target {
        map.remove(key);
    }
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let mut state = f.state.lock().unwrap();
    let options = f.kavach.authenticate_options_json(input.by_email.then_some(EMAIL)).unwrap();
    let challenge = options["challenge"].as_str().unwrap().to_owned();
    let t = &input.tweaks;
    let which = usize::from(input.credential) % state.credentials.len();
    let stored_counter = state.credentials[which].1;
    let mut expect = Expect::SignIn;
    let mut worse = |e: Expect| expect = expect.max(e);

    // --- re-signed tweaks: a valid signature over content the RP must refuse ---
    let origin = t.origin.clone().unwrap_or_else(|| ORIGIN.to_owned());
    if origin != ORIGIN {
        worse(Expect::Refuse);
    }
    let kind = t.client_data_type.clone().unwrap_or_else(|| "webauthn.get".to_owned());
    if kind != "webauthn.get" {
        worse(Expect::Refuse);
    }
    let used_challenge = t.challenge.clone().unwrap_or_else(|| challenge.clone());
    if used_challenge != challenge {
        worse(Expect::Refuse);
    }
    let rp_id = t.rp_id.clone().unwrap_or_else(|| RP_ID.to_owned());
    if rp_id != RP_ID {
        worse(Expect::Refuse);
    }
    let base_flags = flags::UP | flags::UV;
    let final_flags = base_flags ^ t.flags_xor;
    if final_flags & flags::UP == 0
        || final_flags & (flags::AT | flags::ED) != 0
        || (final_flags & flags::BS != 0 && final_flags & flags::BE == 0)
    {
        worse(Expect::Refuse);
    } else if final_flags != base_flags {
        worse(Expect::Either); // UV dropped under 'preferred', BE/BS, reserved bits
    }
    let counter = if t.counter_delta == 0 {
        stored_counter.wrapping_add(1)
    } else {
        stored_counter.wrapping_add_signed(i32::from(t.counter_delta))
    };
    if counter <= stored_counter && (counter != 0 || stored_counter != 0) {
        worse(Expect::Refuse);
    }
    let mut client_data = client_data_json(&kind, &used_challenge, &origin);
    if let Some(cross) = t.cross_origin {
        let mut cd: Value = serde_json::from_slice(&client_data).unwrap();
        cd["crossOrigin"] = json!(cross);
        client_data = cd.to_string().into_bytes();
        if cross {
            worse(Expect::Refuse); // cross-origin ceremonies are not allowed here
        }
    }
    let auth_data = authenticator_data(&rp_id, final_flags, counter, None);
    let signature = sign_assertion(&state.credentials[which].0, &auth_data, &client_data);
    let id = b64(&state.credentials[which].0.id);
    let original = json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(&client_data),
            "authenticatorData": b64(&auth_data),
            "signature": b64(&signature),
            "userHandle": b64(&state.user_handle),
        },
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    });

    // --- edits after signing ---
    let mut body = original.clone();
    let mut wrap = false;
    for edit in &input.edits {
        let before = body.clone();
        match edit {
            Edit::FlipBit { field, index, bit } => {
                let mut bytes = decode(&body[field.pointer()]);
                if let Some(len) = std::num::NonZeroUsize::new(bytes.len()) {
                    bytes[*index as usize % len.get()] ^= 1 << (bit % 8);
                    set(&mut body, field.pointer(), json!(b64(&bytes)));
                }
            }
            Edit::SetByte { field, index, value } => {
                let mut bytes = decode(body.pointer(field.pointer()).unwrap_or(&Value::Null));
                if let Some(len) = std::num::NonZeroUsize::new(bytes.len()) {
                    bytes[*index as usize % len.get()] = *value;
                    set(&mut body, field.pointer(), json!(b64(&bytes)));
                }
            }
            Edit::Truncate { field, len } => {
                let mut bytes = decode(body.pointer(field.pointer()).unwrap_or(&Value::Null));
                bytes.truncate(*len as usize);
                set(&mut body, field.pointer(), json!(b64(&bytes)));
            }
            Edit::Append { field, bytes: extra } => {
                let mut bytes = decode(body.pointer(field.pointer()).unwrap_or(&Value::Null));
                bytes.extend_from_slice(extra);
                set(&mut body, field.pointer(), json!(b64(&bytes)));
            }
            Edit::ReplaceText { field, text } => set(&mut body, field.pointer(), json!(text)),
            Edit::Remove { field } => remove(&mut body, field.pointer()),
            Edit::SetType(kind) => set(&mut body, "/type", json!(kind)),
            Edit::RemoveType => remove(&mut body, "/type"),
            Edit::Extra(key, value) => {
                if !["id", "rawId", "type", "response"].contains(&key.as_str()) {
                    set(&mut body, &format!("/{}", key.replace('~', "~0").replace('/', "~1")), json!(value));
                }
            }
            Edit::Wrap => wrap = true,
            Edit::Replay => {
                if let Some(previous) = &state.previous {
                    body = previous.clone();
                }
            }
        }
        if let Edit::Replay = edit {
            if body != before {
                worse(Expect::Refuse);
            }
            continue;
        }
        // Classify the edit by comparing the fields the RP checks.
        for field in [Field::Id, Field::RawId, Field::ClientDataJson, Field::AuthenticatorData, Field::Signature] {
            if body.pointer(field.pointer()) != before.pointer(field.pointer()) {
                worse(Expect::Refuse);
            }
        }
        if body.get("type") != before.get("type") {
            worse(Expect::Refuse);
        }
        if body.pointer("/response/userHandle") != before.pointer("/response/userHandle") {
            let handle = body.pointer("/response/userHandle");
            let dropped = matches!(handle, None | Some(Value::Null)) || handle.and_then(Value::as_str) == Some("");
            // Dropping the handle is fine when the ceremony named the user (by email); a wrong
            // or malformed one never is.
            worse(if dropped && input.by_email { Expect::Either } else { Expect::Refuse });
        }
        if body.get("clientExtensionResults") != before.get("clientExtensionResults")
            || body.get("authenticatorAttachment") != before.get("authenticatorAttachment")
        {
            worse(Expect::Either);
        }
    }
    let sent = if wrap { json!({ "response": body }) } else { body.clone() };

    let request = Request::new("POST", "/auth/passkey/authenticate/verify").json(&sent);
    let response = f.kavach.handle(&request);
    let context = || {
        format!("expected {expect:?}\ninput: {input:?}\nsent: {sent}\nanswer: {} {}", response.status, response.json())
    };
    assert_client_response(&response, &sent.to_string(), &context);
    let signed_in = response.status == 200;
    match expect {
        Expect::SignIn => assert!(signed_in, "a valid assertion did not sign in\n{}", context()),
        Expect::Refuse => assert!(!signed_in, "a mutated assertion signed in\n{}", context()),
        Expect::Either => {}
    }
    if signed_in {
        let cookie = response.header_value("set-cookie").expect("sign-in without Set-Cookie");
        let token = cookie.strip_prefix("__Host-kavach_session=").unwrap().split(';').next().unwrap();
        let session = f.kavach.session(token).unwrap().expect("the new session is live");
        f.kavach.revoke_session(&session.session().id).unwrap();
        state.credentials[which].1 = counter;
    } else {
        assert!(response.header_value("set-cookie").is_none());
    }
    state.previous = Some(body);
});
