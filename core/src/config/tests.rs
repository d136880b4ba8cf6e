use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn config(passkey: serde_json::Value, base_url: &str) -> String {
    serde_json::json!({ "secret": SECRET, "baseUrl": base_url, "plugins": [passkey] }).to_string()
}

fn error_of(json: &str) -> String {
    let err = Settings::from_json(json).expect_err("config should be refused");
    assert_eq!(err.code(), crate::ErrorCode::InvalidConfig);
    err.message().to_owned()
}

#[test]
fn flood_limits_have_safe_defaults_and_are_validated() {
    let passkey = serde_json::json!({"id": "passkey", "rpName": "App", "rpId": "localhost"});
    let with = |top: serde_json::Value, passkey_extra: serde_json::Value| {
        let mut passkey = passkey.clone();
        passkey.as_object_mut().unwrap().extend(passkey_extra.as_object().unwrap().clone());
        let mut json =
            serde_json::json!({ "secret": SECRET, "baseUrl": "http://localhost:3000", "plugins": [passkey] });
        json.as_object_mut().unwrap().extend(top.as_object().unwrap().clone());
        json.to_string()
    };
    let defaults = Settings::from_json(&with(serde_json::json!({}), serde_json::json!({}))).unwrap();
    assert_eq!(defaults.rate_limit(), None, "rate limiting is off unless configured");
    assert!(defaults.warnings().is_empty());

    let on = Settings::from_json(&with(serde_json::json!({"rateLimit": {}}), serde_json::json!({}))).unwrap();
    assert_eq!(on.rate_limit(), Some(RateLimit { max: 30, window_ms: 60_000, storage: RateLimitStorage::Memory }));
    let snake = with(
        serde_json::json!({"rate_limit": {"max": 5, "window": 10}}),
        serde_json::json!({"max_outstanding_challenges": 50}),
    );
    let snake = Settings::from_json(&snake).unwrap();
    assert_eq!(snake.rate_limit(), Some(RateLimit { max: 5, window_ms: 10_000, storage: RateLimitStorage::Memory }));
    // The challenge cap of earlier versions is accepted, does nothing, and says so.
    assert!(snake.warnings()[0].contains("maxOutstandingChallenges is deprecated"), "{:?}", snake.warnings());
    let shared = with(serde_json::json!({"rateLimit": {"storage": "database"}}), serde_json::json!({}));
    assert_eq!(Settings::from_json(&shared).unwrap().rate_limit().unwrap().storage, RateLimitStorage::Database);
    let proxies = with(serde_json::json!({"trusted_proxies": ["10.0.0.0/8", "::1"]}), serde_json::json!({}));
    assert!(Settings::from_json(&proxies).unwrap().trusted_proxies().contains("10.1.1.1".parse().unwrap()));
    assert!(defaults.trusted_proxies().is_empty());
    let off = with(serde_json::json!({"rateLimit": {"enabled": false, "max": 5}}), serde_json::json!({}));
    assert_eq!(Settings::from_json(&off).unwrap().rate_limit(), None);

    for (top, extra, expected) in [
        (serde_json::json!({"rateLimit": {"max": 0}}), serde_json::json!({}), "rateLimit.max must be at least 1"),
        (serde_json::json!({"rateLimit": {"window": 0}}), serde_json::json!({}), "rateLimit.window must be between"),
        (serde_json::json!({"rateLimit": {"perMinute": 3}}), serde_json::json!({}), "unknown field"),
        (
            serde_json::json!({"rateLimit": {"storage": "redis"}}),
            serde_json::json!({}),
            "rateLimit.storage must be 'memory' or 'database', not 'redis'",
        ),
        (
            serde_json::json!({"trustedProxies": ["10.0.0.0/8", "10.0.0.1/8"]}),
            serde_json::json!({}),
            "trustedProxies[1]: '10.0.0.1/8' has bits set beyond its /8 prefix: did you mean 10.0.0.0/8?",
        ),
        (serde_json::json!({"trustedProxies": "10.0.0.0/8"}), serde_json::json!({}), "invalid type"),
        (serde_json::json!({"previousSecrets": ["short"]}), serde_json::json!({}), "previousSecrets[0] must be"),
    ] {
        let message = error_of(&with(top, extra));
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn accepts_the_documented_configuration_with_defaults() {
    let json = config(
        serde_json::json!({"id": "passkey", "rpName": "My App", "rpId": "example.com",
            "origin": ["https://app.example.com"]}),
        "https://auth.example.com",
    );
    let settings = Settings::from_json(&json).unwrap();
    assert_eq!(settings.origins, ["https://app.example.com"]);
    assert_eq!(settings.request_origins, ["https://app.example.com", "https://auth.example.com"]);
    assert_eq!(settings.base_path, "/auth");
    assert_eq!(settings.timeout_ms, 60_000);
    assert_eq!(settings.session_max_age, 604_800);
    assert!(settings.secure_cookies);
    assert_eq!(settings.user_verification, UserVerification::Preferred);
    assert_eq!(settings.database, Database::Sqlite("file:kavach.db".into()));
}

#[test]
fn accepts_snake_case_keys_and_localhost_http() {
    let json = serde_json::json!({"secret": SECRET, "base_url": "http://localhost:3000", "base_path": "/api/auth/",
            "passkey": {"rp_name": "Demo", "rp_id": "localhost", "user_verification": "required"}})
    .to_string();
    let settings = Settings::from_json(&json).unwrap();
    assert_eq!(settings.origins, ["http://localhost:3000"]);
    assert_eq!(settings.base_path, "/api/auth");
    assert!(!settings.secure_cookies);
}

#[test]
fn each_bad_value_has_its_own_message() {
    let pk = |extra: serde_json::Value| {
        let mut base = serde_json::json!({"id": "passkey", "rpName": "App", "rpId": "example.com"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        config(base, "https://example.com")
    };
    let short = serde_json::json!({"secret": "short", "baseUrl": "https://example.com",
            "passkey": {"rpName": "A", "rpId": "example.com"}})
    .to_string();
    assert!(error_of(&short).contains("secret must be at least 32 bytes"));
    assert!(error_of(&pk(serde_json::json!({"rpId": "other.com"}))).contains("not a registrable suffix"));
    assert!(error_of(&pk(serde_json::json!({"rpId": "ample.com"}))).contains("not a registrable suffix"));
    assert!(error_of(&pk(serde_json::json!({"origin": "http://example.com"}))).contains("must use https"));
    assert!(error_of(&pk(serde_json::json!({"attestation": "all"}))).contains("passkey.attestation"));
    assert!(error_of(&pk(serde_json::json!({"userVerification": "maybe"}))).contains("passkey.userVerification"));
    assert!(error_of(&pk(serde_json::json!({"timeout": 999}))).contains("passkey.timeout"));
    assert!(error_of(&pk(serde_json::json!({"timeout": 600_001}))).contains("passkey.timeout"));
    assert!(error_of(&pk(serde_json::json!({"rpId": "https://example.com"}))).contains("must be a domain name"));
    assert!(error_of(&pk(serde_json::json!({"rpName": " "}))).contains("rpName"));
    assert!(error_of(&pk(serde_json::json!({"rpID": "x"}))).contains("unknown field"));
    assert!(
        error_of(&config(
            serde_json::json!({"id": "passkey", "rpName": "A", "rpId": "example.com"}),
            "ftp://example.com"
        ))
        .contains("unsupported scheme")
    );
    let no_plugin = serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com"}).to_string();
    assert!(error_of(&no_plugin).contains("passkey plugin is not configured"));
    let bad_db =
        serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com", "database": {"provider": "mysql"},
            "passkey": {"rpName": "A", "rpId": "example.com"}})
        .to_string();
    assert!(error_of(&bad_db).contains("database.provider"));
    let bad_age = serde_json::json!({"secret": SECRET, "baseUrl": "https://example.com", "session": {"maxAge": 1},
            "passkey": {"rpName": "A", "rpId": "example.com"}})
    .to_string();
    assert!(error_of(&bad_age).contains("session.maxAge"));
}

#[test]
fn algorithms_default_to_every_verified_one_and_keep_the_configured_order() {
    let passkey = serde_json::json!({"id": "passkey", "rpName": "App", "rpId": "example.com"});
    let defaults = Settings::from_json(&config(passkey.clone(), "https://example.com")).unwrap();
    let pk = |algorithms: serde_json::Value| {
        let mut passkey = passkey.clone();
        passkey["algorithms"] = algorithms["algorithms"].clone();
        config(passkey, "https://example.com")
    };
    assert_eq!(defaults.algorithms(), DEFAULT_ALGORITHMS);
    let pq_first = Settings::from_json(&pk(serde_json::json!({"algorithms": ["ML-DSA-44", "ES256"]}))).unwrap();
    assert_eq!(pq_first.algorithms(), [CoseAlgorithm::MlDsa44, CoseAlgorithm::Es256]);
    assert!(
        error_of(&pk(serde_json::json!({"algorithms": []})))
            .contains("passkey.algorithms must list at least one algorithm")
    );
    assert!(
        error_of(&pk(serde_json::json!({"algorithms": ["Ed448"]})))
            .contains("'Ed448' is not an algorithm kavach verifies")
    );
    assert!(error_of(&pk(serde_json::json!({"algorithms": [-48]}))).contains("'ML-DSA-44' rather than -48"));
    assert!(error_of(&pk(serde_json::json!({"algorithms": "ES256"}))).contains("configuration is not valid"));
}

#[test]
fn rp_id_localhost_allows_any_localhost_port() {
    let json = config(
        serde_json::json!({"id": "passkey", "rpName": "A", "rpId": "localhost",
            "origin": ["http://localhost:3000", "http://localhost:8080"]}),
        "http://localhost:3000",
    );
    assert!(Settings::from_json(&json).is_ok());
}

#[test]
fn a_missing_secret_or_field_is_named_without_a_json_position() {
    let passkey = serde_json::json!({"rpName": "A", "rpId": "localhost"});
    for secret in [None, Some(serde_json::Value::Null), Some(serde_json::json!(""))] {
        let mut json = serde_json::json!({"baseUrl": "http://localhost:3000", "passkey": passkey});
        if let Some(secret) = secret {
            json["secret"] = secret;
        }
        let message = error_of(&json.to_string());
        assert!(message.starts_with("secret is required: at least 32 bytes"), "{message}");
    }
    let no_base_url = serde_json::json!({"secret": SECRET, "passkey": passkey}).to_string();
    assert_eq!(error_of(&no_base_url), "configuration is not valid: missing field `baseUrl`");
}
