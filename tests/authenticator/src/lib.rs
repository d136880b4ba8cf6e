//! A small software WebAuthn authenticator (plus the browser's client part) for kavach's tests.
//!
//! It takes the options JSON that `@simplewebauthn/browser` would take and returns the response
//! JSON that a browser would post back, with real keys and real signatures (aws-lc-rs):
//! ES256, ES384, ES512, EdDSA and Ed25519 (-8 and -19), PS256, PS384, PS512, RS256 and
//! ML-DSA-44/65/87 (AKP keys, RFC 9964); attestation `none`, `packed` (self and x5c) and
//! `fido-u2f`. Low-level helpers ([`authenticator_data`], [`client_data_json`],
//! [`sign_assertion`]) and [`Tweaks`] build malformed responses for negative tests.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::{SystemRandom, fill};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair, ML_DSA_44_SIGNING, ML_DSA_65_SIGNING, ML_DSA_87_SIGNING, PqdsaKeyPair,
    PqdsaSigningAlgorithm, RSA_PKCS1_SHA256, RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, IsCa, Issuer,
    KeyPair as RcgenKeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ML_DSA_44, PKCS_ML_DSA_65, PKCS_ML_DSA_87,
    SigningKey, date_time_ymd,
};
use serde_json::{Value, json};

/// Authenticator data flag bits (WebAuthn L3 §6.1).
pub mod flags {
    /// User present.
    pub const UP: u8 = 0x01;
    /// User verified.
    pub const UV: u8 = 0x04;
    /// Backup eligible.
    pub const BE: u8 = 0x08;
    /// Backup state.
    pub const BS: u8 = 0x10;
    /// Attested credential data included.
    pub const AT: u8 = 0x40;
    /// Extension data included.
    pub const ED: u8 = 0x80;
}

/// OID of the FIDO `id-fido-gen-ce-aaguid` certificate extension.
pub const AAGUID_EXTENSION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];

/// A COSE signature algorithm this authenticator can create credentials for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    EdDsa,
    /// Ed25519 under its fully-specified identifier (-19).
    Ed25519,
    Es256,
    Es384,
    Es512,
    Ps256,
    Ps384,
    Ps512,
    Rs256,
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::EdDsa,
        Algorithm::Ed25519,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Rs256,
        Algorithm::MlDsa44,
        Algorithm::MlDsa65,
        Algorithm::MlDsa87,
    ];

    /// The ML-DSA parameter sets.
    pub const ML_DSA: [Algorithm; 3] = [Algorithm::MlDsa44, Algorithm::MlDsa65, Algorithm::MlDsa87];

    /// The COSE algorithm identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::EdDsa => -8,
            Algorithm::Ed25519 => -19,
            Algorithm::Es256 => -7,
            Algorithm::Es384 => -35,
            Algorithm::Es512 => -36,
            Algorithm::Ps256 => -37,
            Algorithm::Ps384 => -38,
            Algorithm::Ps512 => -39,
            Algorithm::Rs256 => -257,
            Algorithm::MlDsa44 => -48,
            Algorithm::MlDsa65 => -49,
            Algorithm::MlDsa87 => -50,
        }
    }

    /// The IANA name, as kavach's configuration spells it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Es512 => "ES512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Rs256 => "RS256",
            Algorithm::MlDsa44 => "ML-DSA-44",
            Algorithm::MlDsa65 => "ML-DSA-65",
            Algorithm::MlDsa87 => "ML-DSA-87",
        }
    }

    fn ml_dsa_signing(self) -> Option<&'static PqdsaSigningAlgorithm> {
        match self {
            Algorithm::MlDsa44 => Some(&ML_DSA_44_SIGNING),
            Algorithm::MlDsa65 => Some(&ML_DSA_65_SIGNING),
            Algorithm::MlDsa87 => Some(&ML_DSA_87_SIGNING),
            _ => None,
        }
    }

    /// The algorithm with this COSE identifier, if supported.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.cose_id() == id)
    }
}

/// Which attestation statement registration produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AttestationMode {
    /// `fmt: "none"`, empty attStmt.
    #[default]
    None,
    /// `fmt: "packed"`, self attestation (signed by the credential key).
    PackedSelf,
    /// `fmt: "packed"`, signed by an attestation key with `x5c: [leaf, ca]`.
    PackedX5c,
    /// `fmt: "fido-u2f"` (ES256 credentials only), `x5c: [leaf]`.
    FidoU2f,
}

enum PrivateKey {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
    MlDsa(PqdsaKeyPair),
}

/// A credential held by the authenticator. All credentials are discoverable.
#[derive(Clone)]
pub struct StoredCredential {
    pub id: Vec<u8>,
    pub rp_id: String,
    pub user_handle: Vec<u8>,
    pub algorithm: Algorithm,
    /// Signature counter; edit it to test rollback detection.
    pub counter: u32,
    /// The COSE_Key public key, as placed in the attested credential data.
    pub cose_public_key: Vec<u8>,
    /// The public key as DER SubjectPublicKeyInfo (`response.publicKey`).
    pub public_key_spki: Vec<u8>,
    key: Arc<PrivateKey>,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("id", &b64(&self.id))
            .field("rp_id", &self.rp_id)
            .field("user_handle", &b64(&self.user_handle))
            .field("algorithm", &self.algorithm)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl StoredCredential {
    /// Signs `message` with the credential's private key (DER for ECDSA).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &*self.key {
            PrivateKey::Ec(k) => k.sign(&rng, message).expect("ecdsa sign").as_ref().to_vec(),
            PrivateKey::Ed(k) => k.sign(message).as_ref().to_vec(),
            PrivateKey::Rsa(k) => {
                let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match self.algorithm {
                    Algorithm::Ps256 => &RSA_PSS_SHA256,
                    Algorithm::Ps384 => &RSA_PSS_SHA384,
                    Algorithm::Ps512 => &RSA_PSS_SHA512,
                    _ => &RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(padding, &rng, message, &mut sig).expect("rsa sign");
                sig
            }
            PrivateKey::MlDsa(k) => {
                let mut sig = vec![0u8; k.algorithm().signature_len()];
                let len = k.sign(message, &mut sig).expect("ml-dsa sign");
                sig.truncate(len);
                sig
            }
        }
    }
}

/// Modifications applied while producing a response, for negative tests.
/// `Tweaks::default()` changes nothing.
#[derive(Clone, Debug, Default)]
pub struct Tweaks {
    /// Origin written into clientDataJSON instead of the real one.
    pub origin_override: Option<String>,
    /// RP id whose SHA-256 goes into authenticator data instead of the real one.
    pub rp_id_override: Option<String>,
    /// Flag bits cleared from authenticator data (applied before `flags_set`).
    pub flags_clear: u8,
    /// Flag bits set in authenticator data.
    pub flags_set: u8,
    /// clientDataJSON `type` instead of `webauthn.create` / `webauthn.get`.
    pub client_data_type: Option<String>,
    /// clientDataJSON `challenge` (base64url string) instead of the options' challenge.
    pub challenge_override: Option<String>,
    /// Flip a bit of the signature (assertion signature, or attStmt `sig`).
    pub corrupt_signature: bool,
    /// Registration: the AAGUID in authenticator data is replaced by this one *after* the
    /// attestation statement was made (what an attacker relaying a genuine statement can do
    /// where the statement does not sign authData, as in `fido-u2f`).
    pub aaguid_override: Option<[u8; 16]>,
    /// Registration: this COSE_Key goes into the attested credential data instead of the real
    /// one (the statement still signs what is sent), for malformed-key tests.
    pub cose_key_override: Option<Vec<u8>>,
    /// clientDataJSON says `crossOrigin: true` (a ceremony in a cross-origin iframe), with this
    /// `topOrigin` when set.
    pub cross_origin: bool,
    /// clientDataJSON `topOrigin`.
    pub top_origin: Option<String>,
}

impl Tweaks {
    /// The clientDataJSON these tweaks describe.
    fn client_data(&self, kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        let mut client_data = json!({
            "type": self.client_data_type.as_deref().unwrap_or(kind),
            "challenge": self.challenge_override.as_deref().unwrap_or(challenge),
            "origin": self.origin_override.as_deref().unwrap_or(origin),
            "crossOrigin": self.cross_origin,
        });
        if let Some(top) = &self.top_origin {
            client_data["topOrigin"] = json!(top);
        }
        client_data.to_string().into_bytes()
    }
}

struct Settings {
    aaguid: [u8; 16],
    attestation: AttestationMode,
    backup_eligible: bool,
    backup_state: bool,
    counter: bool,
    uv: bool,
    x5c_include_root: bool,
    aaguid_extension: bool,
    credential_id_len: usize,
    transports: Option<Vec<String>>,
}

/// Attestation CA and attestation key, generated once per authenticator (ES256 unless
/// [`Authenticator::with_attestation_algorithm`] says otherwise; CA and key use the same one).
struct AttestationRoot {
    alg: Algorithm,
    ca_der: Vec<u8>,
    ca_pem: String,
    issuer: Issuer<'static, RcgenKeyPair>,
    key: RcgenKeyPair,
}

/// The software authenticator (and the client/browser part that builds clientDataJSON).
pub struct Authenticator {
    settings: Settings,
    credentials: Vec<StoredCredential>,
    root: AttestationRoot,
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("aaguid", &self.settings.aaguid)
            .field("attestation", &self.settings.attestation)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Zero AAGUID, attestation `none`, UV set, BE/BS clear, counter enabled.
    pub fn new() -> Self {
        Authenticator {
            settings: Settings {
                aaguid: [0; 16],
                attestation: AttestationMode::None,
                backup_eligible: false,
                backup_state: false,
                counter: true,
                uv: true,
                x5c_include_root: true,
                aaguid_extension: true,
                credential_id_len: 32,
                transports: Some(vec!["internal".to_owned()]),
            },
            credentials: Vec::new(),
            root: AttestationRoot::generate(),
        }
    }

    pub fn with_aaguid(mut self, aaguid: [u8; 16]) -> Self {
        self.settings.aaguid = aaguid;
        self
    }

    pub fn with_attestation(mut self, mode: AttestationMode) -> Self {
        self.settings.attestation = mode;
        self
    }

    /// Sets the BE (backup eligible) and BS (backup state) flags.
    pub fn with_backup(mut self, eligible: bool, state: bool) -> Self {
        self.settings.backup_eligible = eligible;
        self.settings.backup_state = state;
        self
    }

    /// Enabled: counter 0 at registration, then 1, 2, 3... on assertions. Disabled: always 0.
    pub fn with_counter(mut self, enabled: bool) -> Self {
        self.settings.counter = enabled;
        self
    }

    /// Whether the UV flag is set (whatever the options' `userVerification` says).
    pub fn with_user_verification(mut self, uv: bool) -> Self {
        self.settings.uv = uv;
        self
    }

    /// Whether `PackedX5c` puts the attestation root after the leaf in `x5c` (default: true,
    /// `x5c: [leaf, root]`). Some RPs (e.g. SimpleWebAuthn) reject a chain that already holds
    /// the trust anchor they are given; set false for `x5c: [leaf]`.
    pub fn with_x5c_root_included(mut self, include: bool) -> Self {
        self.settings.x5c_include_root = include;
        self
    }

    /// Whether the `PackedX5c` attestation certificate carries the id-fido-gen-ce-aaguid
    /// extension naming the AAGUID (default: true, for a non-zero AAGUID).
    pub fn with_aaguid_extension(mut self, include: bool) -> Self {
        self.settings.aaguid_extension = include;
        self
    }

    /// Length of new credential IDs in bytes (default 32; real authenticators use 16 to 64+).
    pub fn with_credential_id_len(mut self, len: usize) -> Self {
        self.settings.credential_id_len = len;
        self
    }

    /// `response.transports` of registrations (default `["internal"]`; `None` leaves the key
    /// out, as some clients do).
    pub fn with_transports(mut self, transports: Option<&[&str]>) -> Self {
        self.settings.transports = transports.map(|list| list.iter().map(|t| (*t).to_owned()).collect());
        self
    }

    /// `PackedX5c` with an attestation CA and key of `alg` (ES256 by default; ML-DSA-44/65/87 for
    /// post-quantum attestation certificates, RFC 9881). Generates a new root: read
    /// [`Authenticator::attestation_root_pem`] after this.
    pub fn with_attestation_algorithm(mut self, alg: Algorithm) -> Result<Self, String> {
        self.root = AttestationRoot::generate_for(alg)?;
        Ok(self)
    }

    /// DER of the self-signed attestation root (trust anchor for `PackedX5c` / `FidoU2f`).
    pub fn attestation_root_der(&self) -> &[u8] {
        &self.root.ca_der
    }

    /// PEM of the self-signed attestation root.
    pub fn attestation_root_pem(&self) -> &str {
        &self.root.ca_pem
    }

    pub fn credentials(&self) -> &[StoredCredential] {
        &self.credentials
    }

    pub fn credentials_mut(&mut self) -> &mut [StoredCredential] {
        &mut self.credentials
    }

    /// `navigator.credentials.create()`: options as `PublicKeyCredentialCreationOptionsJSON`,
    /// result as `RegistrationResponseJSON`. Uses the first supported `pubKeyCredParams` entry.
    pub fn register(&mut self, options: &Value, origin: &str) -> Result<Value, String> {
        self.register_with_tweaks(options, origin, None, &Tweaks::default())
    }

    /// Like [`Authenticator::register`], but with the credential algorithm forced.
    pub fn register_with(&mut self, options: &Value, origin: &str, alg: Algorithm) -> Result<Value, String> {
        self.register_with_tweaks(options, origin, Some(alg), &Tweaks::default())
    }

    /// Registration with an optional forced algorithm and [`Tweaks`]. The credential is stored
    /// even when the response is tweaked.
    pub fn register_with_tweaks(
        &mut self,
        options: &Value,
        origin: &str,
        alg: Option<Algorithm>,
        tweaks: &Tweaks,
    ) -> Result<Value, String> {
        let rp_id = match options.pointer("/rp/id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => host_of(origin)?,
        };
        let challenge = options.get("challenge").and_then(Value::as_str).ok_or("options.challenge missing")?;
        let user_handle =
            decode_b64url(options.pointer("/user/id").and_then(Value::as_str).ok_or("options.user.id missing")?)?;
        let alg = match alg {
            Some(a) => a,
            None => pick_algorithm(options)?,
        };
        if let Some(excluded) = options.get("excludeCredentials").and_then(Value::as_array) {
            for entry in excluded {
                let id = decode_b64url(entry.get("id").and_then(Value::as_str).unwrap_or(""))?;
                if self.credentials.iter().any(|c| c.id == id && c.rp_id == rp_id) {
                    return Err("InvalidStateError: a credential in excludeCredentials is already \
                                registered with this authenticator"
                        .into());
                }
            }
        }
        let mode = self.settings.attestation;
        if mode == AttestationMode::FidoU2f && (alg != Algorithm::Es256 || self.root.alg != Algorithm::Es256) {
            return Err(format!("fido-u2f attestation needs ES256, not {alg:?}"));
        }

        let cred = new_credential(alg, &rp_id, user_handle, self.settings.credential_id_len)?;
        let aaguid = if mode == AttestationMode::FidoU2f { [0; 16] } else { self.settings.aaguid };
        let flags = tweaked(self.base_flags() | flags::AT, tweaks);
        let auth_data = authenticator_data(
            tweaks.rp_id_override.as_deref().unwrap_or(&rp_id),
            flags,
            0,
            Some((&aaguid, &cred.id, tweaks.cose_key_override.as_deref().unwrap_or(&cred.cose_public_key))),
        );
        let client_data = tweaks.client_data("webauthn.create", challenge, origin);
        let client_data_hash = sha256(&client_data);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&client_data_hash);

        let sig_value = |mut sig: Vec<u8>| {
            if tweaks.corrupt_signature {
                corrupt(&mut sig);
            }
            Cbor::Bytes(sig)
        };
        let (fmt, att_stmt) = match mode {
            AttestationMode::None => ("none", vec![]),
            AttestationMode::PackedSelf => {
                ("packed", vec![(text("alg"), int(alg.cose_id())), (text("sig"), sig_value(cred.sign(&signed)))])
            }
            AttestationMode::PackedX5c => {
                let named = if self.settings.aaguid_extension { self.settings.aaguid } else { [0; 16] };
                let mut chain = vec![Cbor::Bytes(self.root.leaf_certificate(&named)?)];
                if self.settings.x5c_include_root {
                    chain.push(Cbor::Bytes(self.root.ca_der.clone()));
                }
                (
                    "packed",
                    vec![
                        (text("alg"), int(self.root.alg.cose_id())),
                        (text("sig"), sig_value(self.root.sign(&signed))),
                        (text("x5c"), Cbor::Array(chain)),
                    ],
                )
            }
            AttestationMode::FidoU2f => {
                let leaf = self.root.leaf_certificate(&[0; 16])?;
                let point = &cred_public_point(&cred);
                let mut base = vec![0x00];
                base.extend_from_slice(&auth_data[..32]);
                base.extend_from_slice(&client_data_hash);
                base.extend_from_slice(&cred.id);
                base.extend_from_slice(point);
                (
                    "fido-u2f",
                    vec![
                        (text("sig"), sig_value(self.root.sign(&base))),
                        (text("x5c"), Cbor::Array(vec![Cbor::Bytes(leaf)])),
                    ],
                )
            }
        };
        let auth_data = match tweaks.aaguid_override {
            // After the statement: only what the statement does not sign can be rewritten so.
            Some(rewritten) => {
                authenticator_data(&rp_id, flags, 0, Some((&rewritten, &cred.id, &cred.cose_public_key)))
            }
            None => auth_data,
        };
        let attestation_object = cbor(&Cbor::Map(vec![
            (text("fmt"), text(fmt)),
            (text("attStmt"), Cbor::Map(att_stmt)),
            (text("authData"), Cbor::Bytes(auth_data.clone())),
        ]));

        let mut response = json!({
            "id": b64(&cred.id),
            "rawId": b64(&cred.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation_object),
                "authenticatorData": b64(&auth_data),
                "publicKeyAlgorithm": alg.cose_id(),
                "publicKey": b64(&cred.public_key_spki),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": { "credProps": { "rk": true } },
        });
        if let Some(transports) = &self.settings.transports {
            response["response"]["transports"] = json!(transports);
        }
        self.credentials.push(cred);
        Ok(response)
    }

    /// `navigator.credentials.get()`: options as `PublicKeyCredentialRequestOptionsJSON`,
    /// result as `AuthenticationResponseJSON`.
    pub fn authenticate(&mut self, options: &Value, origin: &str) -> Result<Value, String> {
        self.authenticate_with(options, origin, &Tweaks::default())
    }

    /// Authentication with [`Tweaks`]. The counter advances as usual.
    pub fn authenticate_with(&mut self, options: &Value, origin: &str, tweaks: &Tweaks) -> Result<Value, String> {
        let rp_id = match options.get("rpId").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => host_of(origin)?,
        };
        let challenge = options.get("challenge").and_then(Value::as_str).ok_or("options.challenge missing")?;
        let allowed: Vec<Vec<u8>> = options
            .get("allowCredentials")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|e| decode_b64url(e.get("id").and_then(Value::as_str).unwrap_or("")))
                    .collect::<Result<_, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let index = if allowed.is_empty() {
            self.credentials.iter().rposition(|c| c.rp_id == rp_id)
        } else {
            allowed.iter().find_map(|id| self.credentials.iter().position(|c| &c.id == id && c.rp_id == rp_id))
        }
        .ok_or_else(|| format!("NotAllowedError: no matching credential for rp id {rp_id:?}"))?;

        let flags = tweaked(self.base_flags(), tweaks);
        let counting = self.settings.counter;
        let cred = &mut self.credentials[index];
        if counting {
            cred.counter = cred.counter.wrapping_add(1);
        }
        let auth_data = authenticator_data(
            tweaks.rp_id_override.as_deref().unwrap_or(&rp_id),
            flags,
            if counting { cred.counter } else { 0 },
            None,
        );
        let client_data = tweaks.client_data("webauthn.get", challenge, origin);
        let mut signature = sign_assertion(cred, &auth_data, &client_data);
        if tweaks.corrupt_signature {
            corrupt(&mut signature);
        }
        Ok(json!({
            "id": b64(&cred.id),
            "rawId": b64(&cred.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": b64(&cred.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }))
    }

    fn base_flags(&self) -> u8 {
        let s = &self.settings;
        let mut f = flags::UP;
        if s.uv {
            f |= flags::UV;
        }
        if s.backup_eligible {
            f |= flags::BE;
        }
        if s.backup_state {
            f |= flags::BS;
        }
        f
    }
}

impl AttestationRoot {
    fn generate() -> Self {
        Self::generate_for(Algorithm::Es256).expect("ES256 attestation root")
    }

    fn generate_for(alg: Algorithm) -> Result<Self, String> {
        let rcgen_alg = match alg {
            Algorithm::Es256 => &PKCS_ECDSA_P256_SHA256,
            Algorithm::MlDsa44 => &PKCS_ML_DSA_44,
            Algorithm::MlDsa65 => &PKCS_ML_DSA_65,
            Algorithm::MlDsa87 => &PKCS_ML_DSA_87,
            other => return Err(format!("attestation keys are ES256 or ML-DSA, not {other:?}")),
        };
        let ca_key = RcgenKeyPair::generate_for(rcgen_alg).expect("ca key");
        let mut params = CertificateParams::default();
        params.distinguished_name = dn("Kavach Test Attestation CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        set_validity(&mut params);
        let ca = params.self_signed(&ca_key).expect("self-signed ca");
        let key = RcgenKeyPair::generate_for(rcgen_alg).expect("attestation key");
        Ok(AttestationRoot {
            alg,
            ca_der: ca.der().to_vec(),
            ca_pem: ca.pem(),
            issuer: Issuer::new(params, ca_key),
            key,
        })
    }

    /// Attestation certificate (WebAuthn §8.2.1 requirements) for the attestation key.
    fn leaf_certificate(&self, aaguid: &[u8; 16]) -> Result<Vec<u8>, String> {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn("Kavach Test Authenticator");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        set_validity(&mut params);
        if aaguid != &[0; 16] {
            let mut value = vec![0x04, 16];
            value.extend_from_slice(aaguid);
            params.custom_extensions.push(CustomExtension::from_oid_content(AAGUID_EXTENSION_OID, value));
        }
        let cert = params.signed_by(&self.key, &self.issuer).map_err(|e| format!("attestation certificate: {e}"))?;
        Ok(cert.der().to_vec())
    }

    /// A statement signature: DER ECDSA for ES256, raw FIPS 204 for ML-DSA (rcgen signs with
    /// aws-lc-rs either way).
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        SigningKey::sign(&self.key, message).expect("attestation sign")
    }
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, DnValue::PrintableString("US".try_into().expect("printable")));
    dn.push(DnType::OrganizationName, "Kavach Test");
    dn.push(DnType::OrganizationalUnitName, "Authenticator Attestation");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn set_validity(params: &mut CertificateParams) {
    // Within UTCTime range, so every X.509 parser accepts it.
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2049, 12, 31);
}

fn pick_algorithm(options: &Value) -> Result<Algorithm, String> {
    let params = options.get("pubKeyCredParams").and_then(Value::as_array).cloned().unwrap_or_default();
    if params.is_empty() {
        // WebAuthn §5.1.3: an empty list means ES256 and RS256.
        return Ok(Algorithm::Es256);
    }
    params
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str).unwrap_or("public-key") == "public-key")
        .find_map(|p| p.get("alg").and_then(Value::as_i64).and_then(Algorithm::from_cose_id))
        .ok_or_else(|| "NotSupportedError: no supported algorithm in pubKeyCredParams".into())
}

fn new_credential(
    alg: Algorithm,
    rp_id: &str,
    user_handle: Vec<u8>,
    id_len: usize,
) -> Result<StoredCredential, String> {
    let mut id = vec![0u8; id_len];
    fill(&mut id).map_err(|_| "rng failed")?;
    let keygen = |_| format!("key generation failed for {alg:?}");
    let (key, cose, spki) = match alg {
        Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
            let (signing, crv, len) = match alg {
                Algorithm::Es256 => (&ECDSA_P256_SHA256_ASN1_SIGNING, 1, 32),
                Algorithm::Es384 => (&ECDSA_P384_SHA384_ASN1_SIGNING, 2, 48),
                _ => (&ECDSA_P521_SHA512_ASN1_SIGNING, 3, 66),
            };
            let k = EcdsaKeyPair::generate(signing).map_err(keygen)?;
            let point = k.public_key().as_ref();
            assert_eq!(point.len(), 1 + 2 * len, "uncompressed point");
            let cose = Cbor::Map(vec![
                (int(1), int(2)),
                (int(3), int(alg.cose_id())),
                (int(-1), int(crv)),
                (int(-2), Cbor::Bytes(point[1..1 + len].to_vec())),
                (int(-3), Cbor::Bytes(point[1 + len..].to_vec())),
            ]);
            let spki = der_of(k.public_key().as_der())?;
            (PrivateKey::Ec(k), cose, spki)
        }
        Algorithm::EdDsa | Algorithm::Ed25519 => {
            let k = Ed25519KeyPair::generate().map_err(keygen)?;
            let cose = Cbor::Map(vec![
                (int(1), int(1)),
                (int(3), int(alg.cose_id())),
                (int(-1), int(6)),
                (int(-2), Cbor::Bytes(k.public_key().as_ref().to_vec())),
            ]);
            let spki = der_of(k.public_key().as_der())?;
            (PrivateKey::Ed(k), cose, spki)
        }
        Algorithm::Ps256 | Algorithm::Ps384 | Algorithm::Ps512 | Algorithm::Rs256 => {
            let k = RsaKeyPair::generate(KeySize::Rsa2048).map_err(keygen)?;
            let public = k.public_key();
            let cose = Cbor::Map(vec![
                (int(1), int(3)),
                (int(3), int(alg.cose_id())),
                (int(-1), Cbor::Bytes(public.modulus().big_endian_without_leading_zero().to_vec())),
                (int(-2), Cbor::Bytes(public.exponent().big_endian_without_leading_zero().to_vec())),
            ]);
            let spki = der_of(public.as_der())?;
            (PrivateKey::Rsa(k), cose, spki)
        }
        Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => {
            let signing = alg.ml_dsa_signing().expect("an ML-DSA algorithm");
            let k = PqdsaKeyPair::generate(signing).map_err(keygen)?;
            // AKP key (RFC 9964 §6): kty 7, alg, pub (-1) = the raw FIPS 204 public key.
            let cose = Cbor::Map(vec![
                (int(1), int(7)),
                (int(3), int(alg.cose_id())),
                (int(-1), Cbor::Bytes(k.public_key().as_ref().to_vec())),
            ]);
            let spki = der_of(k.public_key().as_der())?;
            (PrivateKey::MlDsa(k), cose, spki)
        }
    };
    Ok(StoredCredential {
        id,
        rp_id: rp_id.to_string(),
        user_handle,
        algorithm: alg,
        counter: 0,
        cose_public_key: cbor(&cose),
        public_key_spki: spki,
        key: Arc::new(key),
    })
}

fn der_of<E>(der: Result<PublicKeyX509Der<'static>, E>) -> Result<Vec<u8>, String> {
    der.map(|d| d.as_ref().to_vec()).map_err(|_| "public key DER encoding failed".to_string())
}

/// The uncompressed EC point (0x04 || x || y) of an EC credential.
fn cred_public_point(cred: &StoredCredential) -> Vec<u8> {
    match &*cred.key {
        PrivateKey::Ec(k) => k.public_key().as_ref().to_vec(),
        _ => unreachable!("checked: fido-u2f needs ES256"),
    }
}

/// Signs `authenticator_data || SHA-256(client_data_json)` with the credential's key.
pub fn sign_assertion(cred: &StoredCredential, authenticator_data: &[u8], client_data_json: &[u8]) -> Vec<u8> {
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&sha256(client_data_json));
    cred.sign(&message)
}

/// Authenticator data: SHA-256(rp_id) || flags || counter (big-endian) || attested credential
/// data (aaguid || u16 id length || credential id || COSE key) when `attested` is given.
/// `flags` is written as given (set [`flags::AT`] yourself).
pub fn authenticator_data(
    rp_id: &str,
    flags: u8,
    counter: u32,
    attested: Option<(&[u8; 16], &[u8], &[u8])>,
) -> Vec<u8> {
    let mut out = sha256(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    if let Some((aaguid, cred_id, cose_key)) = attested {
        out.extend_from_slice(aaguid);
        let len = u16::try_from(cred_id.len()).expect("credential id length fits u16");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(cred_id);
        out.extend_from_slice(cose_key);
    }
    out
}

/// `{"type":..,"challenge":..,"origin":..,"crossOrigin":false}` as bytes.
pub fn client_data_json(kind: &str, challenge_b64url: &str, origin: &str) -> Vec<u8> {
    json!({
        "type": kind,
        "challenge": challenge_b64url,
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
    .into_bytes()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    digest(&SHA256, data).as_ref().try_into().expect("32-byte digest")
}

/// base64url without padding.
pub fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes base64url (padding and the standard alphabet are tolerated).
pub fn decode_b64url(s: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned).map_err(|e| format!("bad base64url {s:?}: {e}"))
}

fn host_of(origin: &str) -> Result<String, String> {
    let rest = origin.split_once("://").map(|(_, r)| r).ok_or_else(|| format!("origin {origin:?} has no scheme"))?;
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("origin {origin:?} has no host"));
    }
    Ok(host.to_string())
}

fn tweaked(flags: u8, tweaks: &Tweaks) -> u8 {
    (flags & !tweaks.flags_clear) | tweaks.flags_set
}

fn corrupt(sig: &mut [u8]) {
    if let Some(last) = sig.last_mut() {
        *last ^= 0x01;
    }
}

fn int(i: i64) -> Cbor {
    Cbor::Integer(i.into())
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("cbor encoding to Vec");
    out
}

#[cfg(test)]
mod tests;
