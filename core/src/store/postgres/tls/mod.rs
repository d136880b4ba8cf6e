//! TLS to PostgreSQL (DESIGN §11), with rustls on the aws-lc-rs provider.
//!
//! The URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` have libpq's meanings, read here
//! (tokio-postgres knows only `disable`, `prefer` and `require`, and refuses the others):
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` | if the server offers it; **required** for a host that is not loopback | no |
//! | `require` | required | no; with `sslrootcert`, the chain (as `verify-ca`, as libpq does) |
//! | `verify-ca` | required | the chain, to `sslrootcert` or the system roots |
//! | `verify-full` | required | the chain and the host name |
//! | (none) | loopback host or Unix socket: never; any other host: as `verify-full` | |
//!
//! `sslrootcert=system` means the system roots (Mozilla's, compiled in: `webpki-roots`) and, as
//! in libpq 16, `verify-full` (a weaker explicit mode is refused). `sslcert` + `sslkey` present a
//! client certificate. A Unix socket never uses TLS (PostgreSQL offers none there).
//!
//! The connector is our own [`MakeTlsConnect`] over `tokio-rustls` rather than the
//! `tokio-postgres-rustls` crate: that crate brings a second crypto stack (RustCrypto `sha2`,
//! `x509-cert`) for channel binding, which aws-lc-rs and x509-parser, already here, do; and the
//! verifiers (chain without name for `verify-ca`, none for `require`) are ours either way.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::Config;
use tokio_postgres::config::{Host, SslMode as DriverMode};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use crate::error::{Error, Result};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(Error::config(format!(
                    "database: sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not '{}'",
                    crate::error::clipped(other, 40)
                )));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// The TLS parameters of a PostgreSQL URL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TlsParams {
    pub(crate) sslmode: Option<SslMode>,
    pub(crate) sslrootcert: Option<String>,
    pub(crate) sslcert: Option<String>,
    pub(crate) sslkey: Option<String>,
}

const TLS_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// libpq's environment variables for [`TLS_KEYS`], read (as libpq does) for a parameter the URL
/// does not set. An empty variable counts as unset.
const TLS_ENV: [(&str, &str); 4] =
    [("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")];

/// libpq's certificate revocation lists, which kavach does not read: refused at start-up (from
/// the URL or the environment) rather than silently ignored.
const UNSUPPORTED: [(&str, &str); 2] = [("sslcrl", "PGSSLCRL"), ("sslcrldir", "PGSSLCRLDIR")];

fn unsupported(key: &str, from: &str) -> Error {
    Error::config(format!(
        "database: {key} ({from}) is not supported: kavach checks the server's certificate with rustls \
         and reads no certificate revocation list; remove it (a revoked server certificate is best \
         replaced at the CA and on the server)"
    ))
}

impl TlsParams {
    fn set(&mut self, key: &str, value: String) -> Result<()> {
        match key {
            "sslmode" => self.sslmode = Some(SslMode::parse(&value)?),
            "sslrootcert" => self.sslrootcert = Some(value),
            "sslcert" => self.sslcert = Some(value),
            _ => self.sslkey = Some(value),
        }
        Ok(())
    }
}

/// Splits a `postgres://` URL or a libpq `key=value` string into the text tokio-postgres parses
/// (without the TLS parameters) and the TLS parameters; a parameter the URL does not set comes
/// from libpq's environment variable (`PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`).
pub(crate) fn split(url: &str) -> Result<(String, TlsParams)> {
    split_with_env(url, |name| std::env::var(name).ok())
}

/// [`split`] with the environment given (tests).
pub(crate) fn split_with_env(url: &str, env: impl Fn(&str) -> Option<String>) -> Result<(String, TlsParams)> {
    let url = url.trim();
    let (rest, mut params) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_url(url)?
    } else {
        split_key_value(url)?
    };
    let env = |name: &str| env(name).filter(|value| !value.is_empty());
    for (key, name) in UNSUPPORTED {
        if env(name).is_some() {
            return Err(unsupported(key, &format!("the environment variable {name}")));
        }
    }
    for (key, name) in TLS_ENV {
        let unset = match key {
            "sslmode" => params.sslmode.is_none(),
            "sslrootcert" => params.sslrootcert.is_none(),
            "sslcert" => params.sslcert.is_none(),
            _ => params.sslkey.is_none(),
        };
        if unset && let Some(value) = env(name) {
            params.set(key, value).map_err(|e| Error::config(format!("{} (from {name})", e.message())))?;
        }
    }
    Ok((rest, params))
}

fn check_supported(key: &str) -> Result<()> {
    match UNSUPPORTED.iter().find(|(unsupported_key, _)| *unsupported_key == key) {
        Some(_) => Err(unsupported(key, "in the database URL")),
        None => Ok(()),
    }
}

fn split_url(url: &str) -> Result<(String, TlsParams)> {
    let mut params = TlsParams::default();
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), params)) };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?;
        check_supported(&key)?;
        if TLS_KEYS.contains(&key.as_str()) {
            params.set(&key, percent_decode(value)?)?;
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, params))
}

fn percent_decode(text: &str) -> Result<String> {
    let bad = || Error::config("database: the PostgreSQL URL is not valid: bad percent-encoding in its query");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// libpq's `key = value` form: values bare or in single quotes, `\` escaping the next character.
fn split_key_value(text: &str) -> Result<(String, TlsParams)> {
    let mut params = TlsParams::default();
    let mut kept: Vec<&str> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut i = 0;
    loop {
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if at(i).is_none() {
            break;
        }
        let start = i;
        while at(i).is_some_and(|c| c != '=' && !c.is_whitespace()) {
            i += 1;
        }
        let key = &text[offset(start)..offset(i)];
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if at(i) != Some('=') {
            // Not ours to judge: tokio-postgres reports it.
            kept.push(&text[offset(start)..]);
            break;
        }
        i += 1;
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        let mut value = String::new();
        let quoted = at(i) == Some('\'');
        if quoted {
            i += 1;
        }
        while let Some(c) = at(i) {
            if (quoted && c == '\'') || (!quoted && c.is_whitespace()) {
                break;
            }
            if c == '\\' {
                i += 1;
            }
            if let Some(c) = at(i) {
                value.push(c);
                i += 1;
            }
        }
        if quoted {
            i += 1;
        }
        check_supported(key)?;
        if TLS_KEYS.contains(&key) {
            params.set(key, value)?;
        } else {
            kept.push(&text[offset(start)..offset(i)]);
        }
    }
    Ok((kept.join(" "), params))
}

/// How this store's connections are secured.
pub(crate) struct Tls {
    /// The effective `sslmode`.
    pub(crate) mode: SslMode,
    /// Whether the URL gave `sslmode` (rather than the default for its hosts).
    pub(crate) explicit: bool,
    /// The connector, unless plaintext.
    pub(crate) connector: Option<RustlsConnector>,
    /// Where the roots come from, for messages.
    pub(crate) roots: String,
    /// What start-up should warn about.
    pub(crate) warnings: Vec<String>,
}

/// What certificate check the connector makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    Chain,
    ChainAndName,
}

/// Decides the TLS of a connection to `config`'s hosts from `params` (see the module's table),
/// sets the driver's `sslmode` accordingly, and builds the connector.
pub(crate) fn configure(params: &TlsParams, config: &mut Config) -> Result<Tls> {
    let system = params.sslrootcert.as_deref() == Some("system");
    if system && params.sslmode.is_some_and(|mode| mode != SslMode::VerifyFull) {
        return Err(Error::config(format!(
            "database: sslrootcert=system needs sslmode=verify-full (as libpq 16), not sslmode={}",
            params.sslmode.map_or("", SslMode::name)
        )));
    }
    let hosts = Hosts::of(config);
    let default = if system || !hosts.loopback_only() { SslMode::VerifyFull } else { SslMode::Disable };
    let mode = if hosts.sockets_only() { SslMode::Disable } else { params.sslmode.unwrap_or(default) };
    let explicit = params.sslmode.is_some();
    let mut warnings = Vec::new();
    let remote = !hosts.loopback_only();
    let (driver, check) = match mode {
        SslMode::Disable => {
            if remote {
                warnings.push(format!(
                    "database: sslmode=disable: connecting to {} in plaintext; anyone on the network path can read \
                     and change what kavach stores (use sslmode=verify-full)",
                    hosts.names()
                ));
            }
            (DriverMode::Disable, Check::None)
        }
        // Plaintext only as a fallback on loopback: elsewhere TLS is required.
        SslMode::Allow | SslMode::Prefer if !remote => (DriverMode::Prefer, Check::None),
        SslMode::Allow | SslMode::Prefer | SslMode::Require => {
            let check =
                if mode == SslMode::Require && params.sslrootcert.is_some() { Check::Chain } else { Check::None };
            if remote && check == Check::None {
                warnings.push(format!(
                    "database: sslmode={} encrypts but does not check the server's certificate, so an on-path \
                     attacker can still impersonate {} (use sslmode=verify-full)",
                    mode.name(),
                    hosts.names()
                ));
            }
            (DriverMode::Require, check)
        }
        SslMode::VerifyCa => (DriverMode::Require, Check::Chain),
        SslMode::VerifyFull => (DriverMode::Require, Check::ChainAndName),
    };
    config.ssl_mode(driver);
    let roots_file = params.sslrootcert.as_deref().filter(|_| !system);
    let roots = match roots_file {
        Some(path) => format!("sslrootcert '{path}'"),
        None => "the system roots (Mozilla's, built in)".to_owned(),
    };
    if driver == DriverMode::Disable {
        return Ok(Tls { mode, explicit, connector: None, roots, warnings });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = match check {
        Check::None => None,
        Check::Chain | Check::ChainAndName => {
            let store = match roots_file {
                Some(path) => load_roots(path)?,
                None => RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() },
            };
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .map_err(|e| Error::config(format!("database: {roots} cannot be used: {e}")))?;
            Some(webpki)
        }
    };
    let verifier =
        Arc::new(Verifier { webpki: verifier, check_name: check == Check::ChainAndName, provider: provider.clone() });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format_args!("postgres: TLS set-up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut client = match (&params.sslcert, &params.sslkey) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let (chain, key_der) = load_client_identity(cert, key)?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                Error::config(format!("database: sslcert '{cert}' and sslkey '{key}' do not go together: {e}"))
            })?
        }
        _ => {
            return Err(Error::config(
                "database: sslcert and sslkey go together (the client certificate and its private key)",
            ));
        }
    };
    // PostgreSQL 17 answers direct TLS only with this ALPN; earlier versions ignore it.
    client.alpn_protocols = vec![b"postgresql".to_vec()];
    let connector = Some(RustlsConnector { config: Arc::new(client) });
    Ok(Tls { mode, explicit, connector, roots, warnings })
}

fn load_roots(path: &str) -> Result<RootCertStore> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::config(format!("database: sslrootcert '{path}' cannot be read as PEM: {e}")))?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(Error::config(format!("database: sslrootcert '{path}' holds no usable PEM certificate")));
    }
    Ok(store)
}

fn load_client_identity(cert: &str, key: &str) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::config(format!("database: sslcert '{cert}' cannot be read as PEM: {e}")))?;
    if chain.is_empty() {
        return Err(Error::config(format!("database: sslcert '{cert}' holds no PEM certificate")));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::config(format!("database: sslkey '{key}' cannot be read as a PEM private key: {e}")))?;
    Ok((chain, key_der))
}

/// The hosts a configuration connects to.
struct Hosts<'a> {
    config: &'a Config,
}

impl<'a> Hosts<'a> {
    fn of(config: &'a Config) -> Self {
        Self { config }
    }

    /// Whether every host is a loopback address, `localhost` or a Unix socket (where plaintext
    /// crosses no network). `hostaddr`, when given, is where the connection goes.
    fn loopback_only(&self) -> bool {
        let addresses = self.config.get_hostaddrs();
        self.config.get_hosts().iter().enumerate().all(|(i, host)| match (addresses.get(i), host) {
            (Some(address), _) => is_loopback(*address),
            (None, Host::Unix(_)) => true,
            (None, Host::Tcp(name)) => {
                name.eq_ignore_ascii_case("localhost")
                    || name.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(is_loopback)
            }
        })
    }

    fn sockets_only(&self) -> bool {
        self.config.get_hostaddrs().is_empty() && self.config.get_hosts().iter().all(|h| matches!(h, Host::Unix(_)))
    }

    fn names(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }
}

fn is_loopback(address: IpAddr) -> bool {
    match address {
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        v4 => v4.is_loopback(),
    }
}

/// The certificate check of one [`Check`] level: rustls's WebPKI verifier, without its host-name
/// verdict for `verify-ca`, or none for `require`. Handshake signatures are always checked.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Ok(ServerCertVerified::assertion()) };
        // WebPKI checks the chain first, the name last: a name error means the chain is good.
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// kavach's rustls connector for tokio-postgres (and the `postgres` crate): one client
/// configuration, the host name of each connection as its server name (SNI, which Neon routes
/// by, and the name `verify-full` checks).
#[derive(Clone)]
pub struct RustlsConnector {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for RustlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustlsConnector").finish_non_exhaustive()
    }
}

impl<S> MakeTlsConnect<S> for RustlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> io::Result<RustlsConnect> {
        let name = ServerName::try_from(domain.trim_matches(['[', ']']))
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("'{domain}' is not a host name for TLS")))?
            .to_owned();
        Ok(RustlsConnect { config: self.config.clone(), name })
    }
}

/// One connection's TLS handshake.
pub struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let stream = tokio_rustls::TlsConnector::from(self.config).connect(self.name, stream).await?;
            Ok(RustlsStream(Box::new(stream)))
        })
    }
}

/// A TLS connection to PostgreSQL.
pub struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    /// `tls-server-end-point` (RFC 5929), for SCRAM-SHA-256-PLUS: the hash of the server's
    /// certificate with its signature's hash (SHA-256 at least).
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        match session.peer_certificates().and_then(|chain| chain.first()).and_then(|cert| end_point_hash(cert)) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

fn end_point_hash(certificate: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::digest;
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate).ok()?;
    let algorithm = match parsed.signature_algorithm.algorithm.to_id_string().as_str() {
        // ecdsa-with-SHA384, sha384WithRSAEncryption
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => &digest::SHA384,
        // ecdsa-with-SHA512, sha512WithRSAEncryption
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => &digest::SHA512,
        // Ed25519, Ed448: RFC 5929 defines no hash (PostgreSQL offers no binding for them).
        "1.3.101.112" | "1.3.101.113" => return None,
        _ => &digest::SHA256,
    };
    Some(digest::digest(algorithm, certificate).as_ref().to_vec())
}

/// The TLS cause of a failed connection, as a start-up message names it, if TLS was the cause.
pub(crate) fn failure_cause(error: &tokio_postgres::Error, tls: &Tls) -> Option<String> {
    if let Some(db) = error.as_db_error() {
        return (db.code() == &tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("no encryption"))
        .then(|| {
            let why = if tls.explicit {
                format!("sslmode={}", tls.mode.name())
            } else {
                "without sslmode, a loopback host".to_owned()
            };
            format!(
                "the server requires TLS (its pg_hba.conf admits this connection only encrypted), and kavach \
                 connected without ({why}): use sslmode=verify-full with the server's CA as sslrootcert"
            )
        });
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = source {
        let inner = err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|e| e.downcast_ref());
        if let Some(rustls_error) = err.downcast_ref::<rustls::Error>().or(inner) {
            return Some(describe_rustls(rustls_error, tls));
        }
        if err.to_string().contains("server does not support TLS") {
            let fallback = match tls.mode {
                SslMode::Allow | SslMode::Prefer => {
                    " (allow and prefer fall back to plaintext only for a loopback host or a Unix socket)"
                }
                _ => "",
            };
            return Some(format!(
                "the server does not support TLS, and sslmode={} requires it{fallback}: turn on ssl in the \
                 server's postgresql.conf",
                tls.mode.name()
            ));
        }
        source = err.source();
    }
    None
}

fn describe_rustls(error: &rustls::Error, tls: &Tls) -> String {
    let rustls::Error::InvalidCertificate(problem) = error else {
        return format!("the TLS handshake failed: {error}");
    };
    match problem {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
            "the server's certificate is not trusted: no chain to {} (untrusted certificate); give the CA that \
             issued it as sslrootcert=<file> (docs/deployment.md#tls-to-postgresql)",
            tls.roots
        ),
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "the server's certificate is not valid for the host name '{}' (wrong host name): it names {}; \
             connect with a name the certificate lists",
            expected.to_str(),
            if presented.is_empty() { "no host".to_owned() } else { presented.join(", ") }
        ),
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for the host name connected to (wrong host name): connect with \
             a name the certificate lists"
                .to_owned()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".to_owned()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (check the clocks)".to_owned()
        }
        other => format!("the server's certificate is refused: {other:?}"),
    }
}

#[cfg(test)]
mod tests;
