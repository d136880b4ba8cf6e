//! Several sites and native apps sharing one set of passkeys (DESIGN §9): `relatedOrigins` with
//! `/.well-known/webauthn`, Android and Apple apps with their association files, app-origin
//! sign-ins that return their token, and CORS for pages on another allowed origin (DESIGN §3).

mod support;

use kavach_core::http::{Request, Response};
use kavach_core::verify::json::{verify_authentication, verify_registration};
use kavach_core::{Kavach, Settings};
use serde_json::{Value, json};
use support::*;

const SHOP: &str = "https://shop.example.co.uk";
/// SHA-256 fingerprint whose apk-key-hash origin signed the SimpleWebAuthn conformance vector.
const VECTOR_ORIGIN: &str = "android:apk-key-hash:gx7sq_pxhxhrIQdLyfG0pxKwiJ7hOk2DJQ4xvKd438Q";

fn fingerprint_of(origin: &str) -> String {
    let hash = decode_b64url(origin.strip_prefix("android:apk-key-hash:").unwrap()).unwrap();
    hash.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn android(fingerprint: &str) -> Value {
    json!({"android": [{"package": "com.example.app", "sha256CertFingerprints": [fingerprint]}]})
}

fn get(h: &Harness, path: &str) -> Response {
    h.kavach.handle(&Request::new("GET", path))
}

fn config_error(passkey: Value) -> String {
    let mut config = json!({
        "secret": SECRET, "baseUrl": "https://app.example.com",
        "passkey": {"rpName": "Test", "rpId": RP_ID, "origin": ORIGIN}
    });
    config["passkey"].as_object_mut().unwrap().extend(passkey.as_object().unwrap().clone());
    Settings::from_json(&config.to_string()).unwrap_err().message().to_owned()
}

use kavach_test_authenticator::decode_b64url;

#[test]
fn related_origins_are_served_and_accepted_in_ceremonies() {
    let h = Harness::with_passkey_options(json!({"relatedOrigins": [SHOP]}));
    let document = get(&h, "/.well-known/webauthn");
    assert_eq!(document.status, 200);
    assert_eq!(document.header_value("content-type"), Some("application/json"));
    assert_eq!(document.json(), json!({"origins": [ORIGIN, SHOP]}));
    assert_eq!(h.kavach.well_known_json("webauthn", "").unwrap(), document.json());

    // A passkey made on the shop signs in on the RP's own origin, and the other way round.
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    let options = h.register_options(&token);
    let registered =
        h.post("/auth/passkey/register/verify", &authenticator.register(&options, SHOP).unwrap(), Some(&token));
    assert_eq!(registered.status, 200, "{}", registered.json());
    assert_eq!(h.sign_in(&mut authenticator, None).status, 200);
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, SHOP).unwrap();
    assert_eq!(h.post("/auth/passkey/authenticate/verify", &assertion, None).status, 200);
    // An origin nobody listed still fails.
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, "https://evil.example.net").unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn without_the_options_no_well_known_document_is_served() {
    let h = Harness::new();
    for path in ["/.well-known/webauthn", "/.well-known/assetlinks.json", "/.well-known/apple-app-site-association"] {
        assert_error(&get(&h, path), 404, "NOT_FOUND");
        assert!(!h.kavach.settings().handles_path(path), "{path}");
    }
    let h = Harness::with_passkey_options(json!({"relatedOrigins": [SHOP]}));
    assert!(h.kavach.settings().handles_path("/.well-known/webauthn"));
    let posted = h.kavach.handle(&Request::new("POST", "/.well-known/webauthn"));
    assert_error(&posted, 405, "METHOD_NOT_ALLOWED");
}

#[test]
fn related_origins_are_validated_at_start_up() {
    let labels = ["https://a1.example", "https://b2.example", "https://c3.example", "https://d4.example"];
    let ok = json!({"relatedOrigins": labels});
    assert!(Settings::from_json(
        &json!({"secret": SECRET, "baseUrl": ORIGIN, "passkey": {"rpName": "T", "rpId": RP_ID, "relatedOrigins": ok["relatedOrigins"]}})
            .to_string()
    )
    .is_ok());
    let mut six = labels.to_vec();
    six.push("https://e5.example");
    let message = config_error(json!({"relatedOrigins": six}));
    assert!(message.contains("6 registrable domain labels") && message.contains("at most 5"), "{message}");
    // Labels, not domains: example.com and example.co.uk are one label.
    assert!(Settings::from_json(
        &json!({"secret": SECRET, "baseUrl": ORIGIN, "passkey": {"rpName": "T", "rpId": RP_ID,
            "relatedOrigins": ["https://example.co.uk", "https://shop.example.de", "https://a1.example", "https://b2.example", "https://c3.example"]}})
            .to_string()
    )
    .is_ok());
    for (bad, expected) in [
        (json!(["http://shop.example.net"]), "must use https"),
        (json!(["android:apk-key-hash:AAAA"]), "is an app origin"),
        (json!([ORIGIN]), "twice"),
        (json!(["https://shop.example.net/login"]), "no path"),
    ] {
        let message = config_error(json!({"relatedOrigins": bad}));
        assert!(message.contains("passkey.relatedOrigins") && message.contains(expected), "{message}");
    }
    // The rpId rule still holds for passkey.origin, and the message says where other sites go.
    let message = config_error(json!({"origin": [ORIGIN, SHOP]}));
    assert!(message.contains("relatedOrigins"), "{message}");
}

#[test]
fn android_fingerprints_become_exact_app_origins_and_asset_links() {
    let fingerprint = fingerprint_of(VECTOR_ORIGIN);
    let h = Harness::with_passkey_options(json!({"apps": android(&fingerprint.to_lowercase())}));
    assert!(h.kavach.settings().origins().iter().any(|o| o.as_str() == VECTOR_ORIGIN));
    let links = get(&h, "/.well-known/assetlinks.json");
    assert_eq!(links.status, 200);
    assert_eq!(
        links.json(),
        json!([{
            "relation": ["delegate_permission/common.get_login_creds"],
            "target": {"namespace": "android_app", "package_name": "com.example.app",
                       "sha256_cert_fingerprints": [fingerprint]},
        }])
    );
    // The host's own statements (App Links) come first and are kept.
    let app_links = json!([{"relation": ["delegate_permission/common.handle_all_urls"],
        "target": {"namespace": "android_app", "package_name": "com.example.app", "sha256_cert_fingerprints": [fingerprint]}}]);
    let merged = h.kavach.well_known_json("assetlinks.json", &app_links.to_string()).unwrap();
    assert_eq!(merged.as_array().unwrap().len(), 2);
    assert_eq!(merged[0], app_links[0]);
    assert_eq!(h.kavach.well_known_json("assetlinks.json", "{}").unwrap_err().code().as_str(), "INVALID_REQUEST");
}

fn conformance_vector(name: &str) -> Option<Value> {
    let dir = std::env::var("KAVACH_CONFORMANCE_DIR").unwrap_or_else(|_| "../../shared/conformance".to_owned());
    let path = std::path::Path::new(&dir).join("simplewebauthn").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) if std::env::var("KAVACH_CONFORMANCE_DIR").is_err() => {
            eprintln!("conformance vectors not found at {path:?}: skipped");
            None
        }
        Err(err) => panic!("{path:?}: {err}"),
    }
}

/// SimpleWebAuthn's vectors from a real Android app: the origin kavach derives from the app's
/// certificate fingerprint is exactly the one the phone put in clientDataJSON.
#[test]
fn the_android_conformance_vectors_verify_with_the_configured_app_origin() {
    let (Some(registration), Some(assertion)) = (
        conformance_vector("reg-none-android-apk-origin-devicepubkey.json"),
        conformance_vector("auth-android-apk-origin.json"),
    ) else {
        return;
    };
    let config = json!({"secret": SECRET, "baseUrl": "https://try-webauthn.appspot.com", "passkey": {
        "rpName": "T", "rpId": registration["expectedRPID"], "apps": android(&fingerprint_of(VECTOR_ORIGIN))}});
    let settings = Settings::from_json(&config.to_string()).unwrap();
    let origins: Vec<&str> = settings.origins().iter().map(|o| o.as_str()).collect();
    assert_eq!(origins, ["https://try-webauthn.appspot.com", VECTOR_ORIGIN]);
    let input = |vector: &Value, origins: &[&str]| {
        json!({"response": vector["response"], "expectedChallenge": vector["expectedChallenge"],
               "expectedOrigin": origins, "expectedRPID": vector["expectedRPID"],
               "credential": {"publicKey": vector["credentialPublicKey"], "counter": vector["counter"]}})
    };
    // Registration (expected to pass): accepted with kavach's origins, refused with the web one.
    let mut reg = input(&registration, &origins);
    reg.as_object_mut().unwrap().remove("credential");
    verify_registration(&reg).unwrap();
    reg["expectedOrigin"] = json!(["https://try-webauthn.appspot.com"]);
    assert_eq!(verify_registration(&reg).unwrap_err().check().map(|c| c.as_str()), Some("origin"));
    // The assertion's signature was made by another key (the vector expects a failure): with the
    // app origin it gets past the origin check to the signature; without, it stops at the origin.
    let err = verify_authentication(&input(&assertion, &origins)).unwrap_err();
    assert_eq!(err.check().map(|c| c.as_str()), Some("signature"), "{err:?}");
    let err = verify_authentication(&input(&assertion, &["https://try-webauthn.appspot.com"])).unwrap_err();
    assert_eq!(err.check().map(|c| c.as_str()), Some("origin"), "{err:?}");
}

#[test]
fn a_sign_in_from_an_app_origin_returns_its_token_and_a_web_sign_in_does_not() {
    let app_origin = "android:apk-key-hash:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";
    let h = Harness::with_passkey_options(json!({"apps": android(&fingerprint_of(app_origin))}));
    let (_, token) = h.signup("ada@example.com");
    let mut authenticator = Authenticator::new();
    let options = h.register_options(&token);
    let registered =
        h.post("/auth/passkey/register/verify", &authenticator.register(&options, app_origin).unwrap(), Some(&token));
    assert_eq!(registered.status, 200, "{}", registered.json());

    let options = h.authenticate_options(None);
    let from_app =
        h.post("/auth/passkey/authenticate/verify", &authenticator.authenticate(&options, app_origin).unwrap(), None);
    assert_eq!(from_app.status, 200, "{}", from_app.json());
    let app_token = from_app.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(app_token, cookie_token(&from_app));
    let session =
        h.kavach.handle(&Request::new("GET", "/auth/session").header("authorization", &format!("Bearer {app_token}")));
    assert_eq!(session.status, 200);

    // A web view posting on the app's behalf sends Origin: it gets the cookie, never the token.
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, app_origin).unwrap();
    let web_view = h
        .kavach
        .handle(&Request::new("POST", "/auth/passkey/authenticate/verify").json(&assertion).header("origin", ORIGIN));
    assert_eq!(web_view.status, 200, "{}", web_view.json());
    assert!(web_view.json().get("token").is_none(), "{}", web_view.json());
    assert!(web_view.header_value("set-cookie").is_some());

    let from_web = h.sign_in(&mut authenticator, None);
    assert_eq!(from_web.status, 200);
    assert!(from_web.json().get("token").is_none(), "{}", from_web.json());
    // An app origin is never a top origin, and a near miss of it is not an origin.
    let near = &app_origin[..app_origin.len() - 1];
    let options = h.authenticate_options(None);
    let assertion = authenticator.authenticate(&options, near).unwrap();
    assert_error(&h.post("/auth/passkey/authenticate/verify", &assertion, None), 401, "VERIFICATION_FAILED");
}

#[test]
fn apple_apps_are_served_merged_with_the_hosts_own_document() {
    let apps = json!({"ios": [{"teamId": "ABCDE12345", "bundleId": "com.example.app"}]});
    let h = Harness::with_passkey_options(json!({"apps": apps}));
    let document = get(&h, "/.well-known/apple-app-site-association");
    assert_eq!(document.json(), json!({"webcredentials": {"apps": ["ABCDE12345.com.example.app"]}}));
    let own = json!({"applinks": {"details": []}, "webcredentials": {"apps": ["ZZZZZ99999.com.other"]}});
    let merged = h.kavach.well_known_json("apple-app-site-association", &own.to_string()).unwrap();
    assert_eq!(merged["applinks"], own["applinks"]);
    assert_eq!(merged["webcredentials"]["apps"], json!(["ZZZZZ99999.com.other", "ABCDE12345.com.example.app"]));
}

#[test]
fn bad_app_settings_are_refused_at_start_up_with_their_reason() {
    for (apps, expected) in [
        (android("AB:CD"), "is not a SHA-256 fingerprint"),
        (android(&"G".repeat(64)), "is not a SHA-256 fingerprint"),
        (
            json!({"android": [{"package": "app", "sha256CertFingerprints": [fingerprint_of(VECTOR_ORIGIN)]}]}),
            "not an Android package name",
        ),
        (json!({"android": [{"package": "com.example.app", "sha256CertFingerprints": []}]}), "at least one"),
        (json!({"ios": [{"teamId": "abc", "bundleId": "com.example.app"}]}), "10-character Apple team ID"),
        (json!({"ios": [{"teamId": "ABCDE12345", "bundleId": "com..app"}]}), "not a bundle ID"),
        (json!({"windows": []}), "unknown field"),
    ] {
        let message = config_error(json!({"apps": apps}));
        assert!(message.contains(expected), "{message}");
    }
    let message = config_error(json!({"appid": "https://evil.example.net/app-id.json"}));
    assert!(message.contains("passkey.appid"), "{message}");
}

fn from(origin: &str, method: &str, path: &str) -> Request {
    Request::new(method, path).header("origin", origin)
}

#[test]
fn pages_on_another_allowed_origin_get_cors_headers_and_nobody_else_does() {
    // baseUrl is https://auth.example.com; the page is on https://app.example.com.
    let h = Harness::new();
    let kavach: &Kavach = &h.kavach;
    let answered = kavach.handle(&from(ORIGIN, "POST", "/auth/passkey/authenticate/options"));
    assert_eq!(answered.status, 200);
    assert_eq!(answered.header_value("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(answered.header_value("access-control-allow-credentials"), Some("true"));
    assert_eq!(answered.header_value("vary"), Some("Origin"));
    // Errors carry them too, so the page can read the message.
    let unauthorized = kavach.handle(&from(ORIGIN, "GET", "/auth/passkey/credentials"));
    assert_eq!((unauthorized.status, unauthorized.header_value("access-control-allow-origin")), (401, Some(ORIGIN)));

    for (origin, status) in [("https://auth.example.com", 200), ("https://evil.example.net", 403), ("null", 403)] {
        let response = kavach.handle(&from(origin, "POST", "/auth/passkey/authenticate/options"));
        assert_eq!(response.status, status, "{origin}");
        // Every answer varies by Origin, so no cache hands one origin's answer to another.
        assert_eq!(response.header_value("vary"), Some("Origin"), "{origin}");
        assert!(response.header_value("access-control-allow-origin").is_none(), "{origin}");
        assert!(response.headers.iter().all(|(n, v)| !(n == "access-control-allow-origin" && v == "*")));
    }

    let preflight = |origin: &str| {
        kavach.handle(
            &from(origin, "OPTIONS", "/auth/passkey/credentials/abc")
                .header("access-control-request-method", "DELETE")
                .header("access-control-request-headers", "content-type"),
        )
    };
    let allowed = preflight(ORIGIN);
    assert_eq!(allowed.status, 204);
    assert_eq!(allowed.header_value("access-control-allow-methods"), Some("DELETE, PATCH"));
    assert_eq!(allowed.header_value("access-control-allow-origin"), Some(ORIGIN));
    assert!(allowed.body.is_empty());
    let refused = preflight("https://evil.example.net");
    assert_error(&refused, 403, "FORBIDDEN_ORIGIN");
    assert!(refused.header_value("access-control-allow-origin").is_none());
}
