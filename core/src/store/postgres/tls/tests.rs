//! The TLS rules without a server: parameter parsing, the default mode per host, and option errors
//! (`core/tests/postgres_tls.rs` runs them against a real TLS-only PostgreSQL).

use super::*;

/// `split` with an empty environment (whatever PG* variables the test run has).
fn split(url: &str) -> Result<(String, TlsParams)> {
    split_with_env(url, |_| None)
}

fn parts(url: &str) -> (String, TlsParams) {
    split(url).unwrap()
}

fn configured(url: &str) -> Result<(Tls, Config)> {
    let (rest, params) = split(url)?;
    let mut config: Config = rest.parse().unwrap();
    let tls = configure(&params, &mut config)?;
    Ok((tls, config))
}

fn mode_of(url: &str) -> (SslMode, DriverMode, bool) {
    let (tls, config) = configured(url).unwrap();
    (tls.mode, config.get_ssl_mode(), tls.connector.is_some())
}

#[test]
fn tls_parameters_are_taken_out_of_urls_and_key_value_strings() {
    let (rest, params) = parts(
        "postgres://u:p@db.example.com:5432/kavach?sslmode=verify-full&connect_timeout=3&sslrootcert=%2Fetc%2Fca.pem",
    );
    assert_eq!(rest, "postgres://u:p@db.example.com:5432/kavach?connect_timeout=3");
    assert_eq!(params.sslmode, Some(SslMode::VerifyFull));
    assert_eq!(params.sslrootcert.as_deref(), Some("/etc/ca.pem"));
    assert_eq!(parts("postgresql://h/db").0, "postgresql://h/db");
    assert_eq!(parts("postgres://h/db?sslmode=require").0, "postgres://h/db");

    let (rest, params) = parts("host=db.example.com sslmode = 'verify-ca' user=k sslrootcert='/a b/c\\'s.pem'");
    assert_eq!(rest, "host=db.example.com user=k");
    assert_eq!(params.sslmode, Some(SslMode::VerifyCa));
    assert_eq!(params.sslrootcert.as_deref(), Some("/a b/c's.pem"));

    for bad in ["postgres://h/db?sslmode=verify_full", "host=h sslmode=strict"] {
        let message = split(bad).unwrap_err().message().to_owned();
        assert!(message.starts_with("database: sslmode must be disable, allow, prefer"), "{message}");
    }
    assert!(split("postgres://h/db?sslrootcert=%zz").is_err());
}

#[test]
fn without_sslmode_only_loopback_and_sockets_are_plaintext() {
    for url in ["postgres://u@127.0.0.1/db", "postgres://u@localhost/db", "postgres://u@[::1]/db", "host=/run/pg"] {
        assert_eq!(mode_of(url), (SslMode::Disable, DriverMode::Disable, false), "{url}");
    }
    for url in
        ["postgres://u@db.example.com/db", "postgres://u@10.0.0.5/db", "postgres://u@127.0.0.1,db.example.com/db"]
    {
        assert_eq!(mode_of(url), (SslMode::VerifyFull, DriverMode::Require, true), "{url}");
    }
    // hostaddr is where the connection goes.
    assert_eq!(mode_of("host=localhost hostaddr=10.1.2.3 user=u").0, SslMode::VerifyFull);
}

#[test]
fn prefer_and_allow_never_fall_back_to_plaintext_for_a_remote_host() {
    for mode in ["allow", "prefer"] {
        let local = format!("postgres://u@127.0.0.1/db?sslmode={mode}");
        assert_eq!(mode_of(&local).1, DriverMode::Prefer, "{mode} on loopback may fall back");
        let remote = format!("postgres://u@db.example.com/db?sslmode={mode}");
        assert_eq!(mode_of(&remote).1, DriverMode::Require, "{mode} to a remote host requires TLS");
        assert!(configured(&remote).unwrap().0.warnings[0].contains("does not check the server's certificate"));
    }
    let (tls, config) = configured("postgres://u@db.example.com/db?sslmode=disable").unwrap();
    assert_eq!(config.get_ssl_mode(), DriverMode::Disable);
    assert!(tls.warnings[0].contains("plaintext"), "{:?}", tls.warnings);
    assert!(configured("postgres://u@127.0.0.1/db?sslmode=disable").unwrap().0.warnings.is_empty());
}

#[test]
fn certificate_options_are_checked_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let url = format!("postgres://u@db.example.com/db?sslrootcert={}", missing.display());
    let message = configured(&url).err().unwrap().message().to_owned();
    assert!(message.contains("sslrootcert") && message.contains("cannot be read"), "{message}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let url = format!("postgres://u@db.example.com/db?sslrootcert={}", empty.display());
    assert!(configured(&url).err().unwrap().message().contains("holds no usable PEM certificate"));

    let url = "postgres://u@db.example.com/db?sslcert=/tmp/c.pem";
    assert!(configured(url).err().unwrap().message().contains("sslcert and sslkey go together"));
    let url = "postgres://u@db.example.com/db?sslrootcert=system&sslmode=require";
    assert!(configured(url).err().unwrap().message().contains("sslrootcert=system needs sslmode=verify-full"));
    assert_eq!(mode_of("postgres://u@127.0.0.1/db?sslrootcert=system").0, SslMode::VerifyFull);
    // require with a root file checks the chain (libpq's verify-ca upgrade).
    let ca = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()]).unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, ca.cert.pem()).unwrap();
    let url = format!("postgres://u@db.example.com/db?sslmode=require&sslrootcert={}", file.display());
    let (tls, _) = configured(&url).unwrap();
    assert!(tls.warnings.is_empty(), "{:?}", tls.warnings);
}

#[test]
fn a_client_certificate_and_its_key_are_loaded_together() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let client = rcgen::generate_simple_self_signed(vec!["kavach".to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other".to_owned()]).unwrap();
    let cert = write("client.pem", &client.cert.pem());
    let key = write("client.key", &client.signing_key.serialize_pem());
    let other_key = write("other.key", &other.signing_key.serialize_pem());
    let url = format!("postgres://u@db.example.com/db?sslcert={cert}&sslkey={key}");
    assert!(configured(&url).unwrap().0.connector.is_some());
    let url = format!("postgres://u@db.example.com/db?sslcert={cert}&sslkey={other_key}");
    let message = configured(&url).err().unwrap().message().to_owned();
    assert!(message.contains("do not go together"), "{message}");
    let url = format!("postgres://u@db.example.com/db?sslcert={cert}&sslkey={cert}");
    let message = configured(&url).err().unwrap().message().to_owned();
    assert!(message.contains("sslkey") && message.contains("private key"), "{message}");
}

#[test]
fn channel_binding_hashes_the_certificate_with_its_signature_hash() {
    let certified = rcgen::generate_simple_self_signed(vec!["db.test".to_owned()]).unwrap();
    let der = certified.cert.der().to_vec();
    let hash = end_point_hash(&der).unwrap();
    assert_eq!(hash, aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der).as_ref());
}

#[test]
fn libpq_environment_variables_fill_what_the_url_leaves_unset() {
    let env = |name: &str| match name {
        "PGSSLMODE" => Some("verify-ca".to_owned()),
        "PGSSLROOTCERT" => Some("/env/ca.pem".to_owned()),
        "PGSSLCERT" => Some("/env/client.pem".to_owned()),
        "PGSSLKEY" => Some("/env/client.key".to_owned()),
        _ => None,
    };
    let (rest, params) = split_with_env("postgres://u@db.example.com/kavach", env).unwrap();
    assert_eq!(rest, "postgres://u@db.example.com/kavach");
    assert_eq!(params.sslmode, Some(SslMode::VerifyCa));
    assert_eq!(params.sslrootcert.as_deref(), Some("/env/ca.pem"));
    assert_eq!(params.sslcert.as_deref(), Some("/env/client.pem"));
    assert_eq!(params.sslkey.as_deref(), Some("/env/client.key"));
    // The URL wins, parameter by parameter (URL and key=value form alike).
    let (_, params) =
        split_with_env("postgres://u@db.example.com/kavach?sslmode=verify-full&sslrootcert=/url/ca.pem", env).unwrap();
    assert_eq!(params.sslmode, Some(SslMode::VerifyFull));
    assert_eq!(params.sslrootcert.as_deref(), Some("/url/ca.pem"));
    assert_eq!(params.sslcert.as_deref(), Some("/env/client.pem"));
    let (_, params) = split_with_env("host=db.example.com sslmode=disable", env).unwrap();
    assert_eq!(params.sslmode, Some(SslMode::Disable));
    // Empty variables count as unset; a bad PGSSLMODE is refused, naming the variable.
    let (_, params) = split_with_env("postgres://h/db", |_| Some(String::new())).unwrap();
    assert_eq!(params, TlsParams::default());
    let bad = |name: &str| (name == "PGSSLMODE").then(|| "strict".to_owned());
    let message = split_with_env("postgres://h/db", bad).unwrap_err().message().to_owned();
    assert!(
        message.starts_with("database: sslmode must be disable, allow") && message.ends_with("(from PGSSLMODE)"),
        "{message}"
    );
    // PGSSLMODE=disable is taken as written, as libpq does (kavach logs its plaintext warning).
    let disable = |name: &str| (name == "PGSSLMODE").then(|| "disable".to_owned());
    let (_, params) = split_with_env("postgres://db.example.com/kavach", disable).unwrap();
    assert_eq!(params.sslmode, Some(SslMode::Disable));
}

#[test]
fn certificate_revocation_lists_are_refused_rather_than_ignored() {
    for url in [
        "postgres://h/db?sslmode=verify-full&sslcrl=/etc/crl.pem",
        "postgres://h/db?sslcrldir=/etc/crls",
        "host=h sslcrl='/etc/crl.pem'",
    ] {
        let message = split(url).unwrap_err().message().to_owned();
        assert!(message.starts_with("database: sslcrl") && message.contains("is not supported"), "{url}: {message}");
    }
    let crl = |name: &str| (name == "PGSSLCRL").then(|| "/etc/crl.pem".to_owned());
    let message = split_with_env("postgres://h/db", crl).unwrap_err().message().to_owned();
    assert!(message.starts_with("database: sslcrl (the environment variable PGSSLCRL) is not supported"), "{message}");
    let err = split_with_env("postgres://h/db", crl).unwrap_err();
    assert_eq!(err.code(), crate::error::ErrorCode::InvalidConfig);
    // sslpassword (an encrypted key) is not read either: the driver refuses it as unknown.
    assert!(parts("postgres://h/db?sslpassword=x").0.parse::<Config>().is_err());
}
