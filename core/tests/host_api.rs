//! The JSON host API the bindings pass through (`kavach/json.rs`): same rules as the router.

mod support;

use kavach_core::ErrorCode;

use serde_json::Value;
use support::*;

#[test]
fn bodies_follow_the_router_rules() {
    let h = Harness::new();
    let (_, token) = h.signup("ada@example.com");
    let k = &h.kavach;
    assert!(k.register_options_json(&token, "").is_ok(), "an empty body is {{}}");
    assert!(k.register_options_json(&token, " {} ").is_ok());
    assert_eq!(k.register_options_json(&token, "[1]").unwrap_err().code(), ErrorCode::InvalidRequest);
    assert_eq!(k.register_options_json(&token, "{").unwrap_err().code(), ErrorCode::InvalidRequest);
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(64 * 1024));
    assert_eq!(k.register_options_json(&token, &huge).unwrap_err().code(), ErrorCode::PayloadTooLarge);
}

#[test]
fn a_full_ceremony_through_the_json_host_api() {
    let h = Harness::new();
    let k = &h.kavach;
    let user = k.create_user_json("ada@example.com", Some("Ada")).unwrap();
    assert_eq!(k.user_by_email_json("ADA@example.com").unwrap(), user);
    assert_eq!(k.user_json("nobody").unwrap(), Value::Null);
    let session = k.create_session_json(user["id"].as_str().unwrap()).unwrap();
    let token = session["token"].as_str().unwrap();
    assert_eq!(session["session"]["userId"], user["id"]);
    assert!(session["setCookie"].as_str().unwrap().starts_with(&format!("__Host-kavach_session={token}")));

    let mut authenticator = Authenticator::new();
    let options = k.register_options_json(token, "").unwrap();
    let response = authenticator.register(&options, ORIGIN).unwrap();
    let credential = k.register_verify_json(&format!("Bearer {token}"), &response.to_string()).unwrap();
    assert_eq!(credential["id"], response["id"]);

    let options = k.authenticate_options_json(Some("ada@example.com")).unwrap();
    let assertion = authenticator.authenticate(&options, ORIGIN).unwrap();
    let signed_in = k.authenticate_verify_json(&assertion.to_string()).unwrap();
    assert_eq!(signed_in["userId"], user["id"]);
    let new_token = signed_in["token"].as_str().unwrap();
    assert_eq!(k.session_json(new_token).unwrap()["session"]["id"], signed_in["sessionId"]);

    let id = credential["id"].as_str().unwrap();
    assert_eq!(k.rename_credential_json(new_token, id, "Laptop").unwrap()["name"], "Laptop");
    assert_eq!(k.list_credentials_json(new_token).unwrap().as_array().unwrap().len(), 1);
    assert_eq!(k.delete_credential_json(new_token, id).unwrap_err().code(), ErrorCode::LastCredential);
    assert_eq!(k.list_credentials_json("nonsense").unwrap_err().code(), ErrorCode::Unauthorized);
    assert_eq!(k.session_json("nonsense").unwrap(), Value::Null);
}

#[test]
fn adapters_can_ask_which_paths_are_ours() {
    let h = Harness::new();
    let settings = h.kavach.settings();
    for ours in ["/auth", "/auth/", "/auth/session", "/auth/anything?x=1"] {
        assert!(settings.handles_path(ours), "{ours}");
    }
    for theirs in ["/", "/authx", "/au", "/api/auth/session", "/demo/signup"] {
        assert!(!settings.handles_path(theirs), "{theirs}");
    }
}
