package kavach

// Config is the configuration of docs/configuration.md, with the same names as every other language
// (serialized camelCase). Only Secret, BaseURL and Passkey are required.
type Config struct {
	// Database: default SQLite "file:kavach.db".
	Database *DatabaseConfig `json:"database,omitempty"`
	// Secret of at least 32 bytes: keys the challenge MACs (challenges are stateless).
	Secret string `json:"secret"`
	// PreviousSecrets are still accepted for challenges issued under them, never used to
	// issue (rotation: move Secret here and set a new one). Each at least 32 bytes.
	PreviousSecrets []string `json:"previousSecrets,omitempty"`
	// BaseURL is the public URL of the auth server: its origin is the default allowed origin,
	// and https turns on Secure cookies.
	BaseURL string `json:"baseUrl"`
	// BasePath is the prefix of every route. Default "/auth".
	BasePath string `json:"basePath,omitempty"`
	// Session lifetime.
	Session *SessionConfig `json:"session,omitempty"`
	// Passkey options (the passkey({...}) plugin of the JavaScript API).
	Passkey *PasskeyConfig `json:"passkey,omitempty"`
	// RateLimit limits sign-in requests (authenticate/options and authenticate/verify) per
	// client key, and register/options and register/verify per session; off when nil. The core
	// derives the client key from the peer IP Handler passes and, behind TrustedProxies, from
	// X-Forwarded-For; IPv6 clients count by /64, /56 and /48.
	RateLimit *RateLimitConfig `json:"rateLimit,omitempty"`
	// TrustedProxies are the reverse proxies (IP addresses or CIDR networks, e.g. "10.0.0.0/8")
	// whose X-Forwarded-For is believed: when the peer is one of them, the client key is the
	// rightmost X-Forwarded-For entry that is not; otherwise the peer. Default: none.
	TrustedProxies []string `json:"trustedProxies,omitempty"`
	// Audit is the audit log (the events stored in the database, what Activity lists). On by
	// default, kept 90 days.
	Audit *AuditConfig `json:"audit,omitempty"`
	// Metrics turns the counters behind Metrics off ({Enabled: false}); on by default.
	Metrics *MetricsConfig `json:"metrics,omitempty"`
	// OnEvent receives every security event after the change it records has committed, on a
	// thread of kavach's own, in order, through a bounded queue (see SetEventHandler: it must
	// return, and it must not call Close). Not part of the JSON configuration.
	OnEvent func(Event) `json:"-"`
}

// AuditConfig is the audit log's setting.
type AuditConfig struct {
	// Enabled: default true.
	Enabled *bool `json:"enabled,omitempty"`
	// RetentionDays: events older than this are deleted. Default 90.
	RetentionDays int `json:"retentionDays,omitempty"`
}

// MetricsConfig is the metrics' setting.
type MetricsConfig struct {
	// Enabled: default true.
	Enabled *bool `json:"enabled,omitempty"`
}

// RateLimitConfig allows at most Max requests per Window seconds from one client key
// (answered beyond it with 429 RATE_LIMITED and Retry-After). Counted per instance, in memory,
// unless Storage is "database".
type RateLimitConfig struct {
	// Enabled: default true when RateLimit is given.
	Enabled *bool `json:"enabled,omitempty"`
	// Window in seconds, 1 to 86400. Default 60.
	Window int `json:"window,omitempty"`
	// Max requests per window, at least 1. Default 30.
	Max int `json:"max,omitempty"`
	// Storage is "memory" (default: each instance counts alone, so N instances allow N x Max)
	// or "database" (the buckets live in the database: every instance on it shares one budget).
	Storage string `json:"storage,omitempty"`
}

// DatabaseConfig says where data lives.
type DatabaseConfig struct {
	// Provider is "sqlite" (default) or "postgres".
	Provider string `json:"provider,omitempty"`
	// URL: "file:kavach.db", a path or ":memory:" for SQLite; a postgres:// URL for PostgreSQL.
	URL string `json:"url,omitempty"`
	// PoolSize is the number of PostgreSQL connections (1-100, default 8); SQLite ignores it.
	PoolSize int `json:"poolSize,omitempty"`
}

// SessionConfig sets the session lifetime.
type SessionConfig struct {
	// MaxAge in seconds. Default 7 days.
	MaxAge int64 `json:"maxAge,omitempty"`
}

// PasskeyConfig holds the passkey options.
type PasskeyConfig struct {
	// RPName is shown by the browser when creating a passkey.
	RPName string `json:"rpName"`
	// RPID is a registrable suffix of every allowed origin's host ("localhost" allows
	// http://localhost:<any port>).
	RPID string `json:"rpId"`
	// Origin lists the allowed origins; default the origin of BaseURL.
	Origin []string `json:"origin,omitempty"`
	// Timeout of a ceremony in milliseconds, 1000 to 600000. Default 60000.
	Timeout int `json:"timeout,omitempty"`
	// Attestation is "none" (default), "indirect" or "direct".
	Attestation string `json:"attestation,omitempty"`
	// UserVerification is "required", "preferred" (default) or "discouraged".
	UserVerification string `json:"userVerification,omitempty"`
	// AllowDeletingLastPasskey lets every user delete their last passkey (the host has other
	// ways in). A per-user flag can allow it too: SetUserHasOtherSignIn.
	AllowDeletingLastPasskey bool `json:"allowDeletingLastPasskey,omitempty"`
	// Deprecated: MaxOutstandingChallenges has no effect: challenges are stateless, so options
	// requests store nothing (use RateLimit against floods). Accepted, with a warning.
	MaxOutstandingChallenges int64 `json:"maxOutstandingChallenges,omitempty"`
	// Algorithms are the signature algorithms offered in pubKeyCredParams, by IANA name, most
	// preferred first: "EdDSA", "Ed25519", "ES256", "ES384", "ES512", "PS256", "PS384",
	// "PS512", "RS256", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87". A credential of any other is
	// refused. Default (nil): all of them, classic first (docs/algorithms.md). For example
	// []string{"ML-DSA-44", "ES256", "EdDSA"} prefers post-quantum credentials.
	Algorithms []string `json:"algorithms,omitempty"`
	// TopOrigins are the pages (https origins) that may embed a ceremony in a cross-origin
	// iframe, checked against clientDataJSON.topOrigin. Default (nil): none, so a ceremony with
	// crossOrigin true is refused.
	TopOrigins []string `json:"topOrigins,omitempty"`
	// Hints are the authenticators the browser should lead with, most preferred first, in
	// both options: "security-key", "client-device", "hybrid". Default (nil): none; a
	// register/options or authenticate/options body may set its own.
	Hints []string `json:"hints,omitempty"`
	// RelatedOrigins are other sites (https origins) whose pages may use this RPID (Related
	// Origin Requests), served in GET /.well-known/webauthn with the RP's own origins. At most
	// five registrable-domain labels in all.
	RelatedOrigins []string `json:"relatedOrigins,omitempty"`
	// Apps are native apps sharing these passkeys: each Android signing-certificate fingerprint
	// becomes the origin android:apk-key-hash:<base64url> (a sign-in from it returns its token
	// in the body), served in /.well-known/assetlinks.json; iOS apps in
	// /.well-known/apple-app-site-association.
	Apps *AppsConfig `json:"apps,omitempty"`
	// PRF requests the PRF extension at registration (Credential.PRFEnabled records it).
	PRF bool `json:"prf,omitempty"`
	// AppID is the FIDO U2F AppID of credentials imported from U2F (ImportCredential).
	AppID string `json:"appid,omitempty"`
	// CounterPolicy is "strict" (default: a regressed counter refuses the sign-in) or "flag"
	// (accept it and mark the credential CloneWarning).
	CounterPolicy string `json:"counterPolicy,omitempty"`
	// ConditionalCreate accepts register/options {"mediation": "conditional"} (automatic
	// passkey upgrade). Default (nil): true unless UserVerification is "required".
	ConditionalCreate *bool `json:"conditionalCreate,omitempty"`
	// Metadata is the FIDO Metadata Service (MDS3) BLOB: authenticator names, per-model roots,
	// and refusal of models with a compromised or revoked status. Default (nil): none.
	// LoadMetadata installs a newer BLOB at run time.
	Metadata *MetadataConfig `json:"metadata,omitempty"`
}

// AppsConfig lists the native apps of PasskeyConfig.Apps.
type AppsConfig struct {
	Android []AndroidApp `json:"android,omitempty"`
	IOS     []IOSApp     `json:"ios,omitempty"`
}

// AndroidApp is an Android app: its package and the SHA-256 fingerprints ("AB:CD:...") of its
// signing certificates.
type AndroidApp struct {
	Package                string   `json:"package"`
	SHA256CertFingerprints []string `json:"sha256CertFingerprints"`
}

// IOSApp is an Apple app: its team ID and bundle ID.
type IOSApp struct {
	TeamID   string `json:"teamId"`
	BundleID string `json:"bundleId"`
}

// MetadataConfig configures the FIDO Metadata Service BLOB (docs/configuration.md).
type MetadataConfig struct {
	// BlobPath is a BLOB on disk, verified against the FIDO root at start-up (a bad signature
	// or an unreadable file stops New). Optional: LoadMetadata can install one later.
	BlobPath string `json:"blobPath,omitempty"`
	// Stale decides what happens to a BLOB past its nextUpdate, at start-up and in
	// LoadMetadata: "warn" (default: loaded, with a warning in the log) or "refuse".
	Stale string `json:"stale,omitempty"`
}
