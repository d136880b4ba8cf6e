package kavach

import (
	"encoding/json"
	"time"
)

// Credential is a stored passkey as the API shows it (docs/http.md).
type Credential struct {
	// ID is the WebAuthn credential ID, base64url.
	ID   string `json:"id"`
	Name string `json:"name"`
	// CreatedAt and LastUsedAt are UTC; LastUsedAt is nil until first use.
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	// DeviceType is "singleDevice" or "multiDevice".
	DeviceType string   `json:"deviceType"`
	BackedUp   bool     `json:"backedUp"`
	Transports []string `json:"transports"`
	AAGUID     string   `json:"aaguid"`
	// Attestation is what the authenticator's attestation proved at registration.
	Attestation AttestationInfo `json:"attestation"`
	// Discoverable is credProps.rk at registration (signs in without an email); nil: unknown.
	Discoverable *bool `json:"discoverable"`
	// PRFEnabled: the authenticator enabled PRF for it (PasskeyConfig.PRF).
	PRFEnabled bool `json:"prfEnabled"`
	// CloneWarning: a sign-in saw its counter go backwards (CounterPolicy "flag").
	CloneWarning bool `json:"cloneWarning"`
	// CreatedBy is "registration", "conditional" (automatic passkey upgrade) or "import".
	CreatedBy string `json:"createdBy"`
}

// AttestationInfo is what an attestation established: the statement Format, the Trust reached
// ("none", "self", "unverified" or "verified"), with "verified" the anchor's name (Root) and
// where it came from (Source: "bundled", "configured" or "mds"), and whether it proves the
// AAGUID (AAGUIDAttested) rather than the authenticator merely claiming it.
type AttestationInfo struct {
	Format         string  `json:"format"`
	Trust          string  `json:"trust"`
	Root           *string `json:"root"`
	Source         *string `json:"source"`
	AAGUIDAttested bool    `json:"aaguidAttested"`
}

// User is an account passkeys belong to.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	// Name is nil when none was given.
	Name *string `json:"name"`
}

// SessionInfo is a session as the API shows it (never its token).
type SessionInfo struct {
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	ExpiresAt time.Time `json:"expiresAt"`
	// AuthenticatedAt is when a passkey last verified the user (a passkey sign-in); nil for a
	// session made by CreateSession.
	AuthenticatedAt *time.Time `json:"authenticatedAt"`
}

// NewSession is a session just created: the token is shown once, here.
type NewSession struct {
	// Token is the bearer token (also inside SetCookie).
	Token string `json:"token"`
	// SetCookie is the value of the Set-Cookie header that signs a browser in.
	SetCookie string      `json:"setCookie"`
	Session   SessionInfo `json:"session"`
}

// SessionData is a live session and its user.
type SessionData struct {
	User    User        `json:"user"`
	Session SessionInfo `json:"session"`
	// SetCookie is set when resolving the session renewed it (sliding expiry): send it as the
	// answer's Set-Cookie so the cookie lives as long as the session.
	SetCookie string `json:"setCookie,omitempty"`
}

// SignIn is the outcome of a verified sign-in: a new session.
type SignIn struct {
	UserID    string    `json:"userId"`
	SessionID string    `json:"sessionId"`
	Token     string    `json:"token"`
	SetCookie string    `json:"setCookie"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// RegisterOptionsRequest is the optional body of RegisterOptions.
type RegisterOptionsRequest struct {
	// Name to give the passkey (default: the authenticator's name, else "Passkey").
	Name string `json:"name,omitempty"`
	// AuthenticatorAttachment is "platform" or "cross-platform".
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	// Hints for this request instead of PasskeyConfig.Hints: "security-key",
	// "client-device", "hybrid".
	Hints []string `json:"hints,omitempty"`
	// Mediation "conditional" asks for options of an automatic passkey upgrade (conditional
	// create: the response may come without a user gesture). Default "": an ordinary one.
	Mediation string `json:"mediation,omitempty"`
}

// Flags are the authenticator data flags of a verified response.
type Flags struct {
	UserPresent    bool `json:"userPresent"`
	UserVerified   bool `json:"userVerified"`
	BackupEligible bool `json:"backupEligible"`
	BackedUp       bool `json:"backedUp"`
}

// VerifyRegistrationOptions are the inputs of VerifyRegistrationResponse (the names of
// SimpleWebAuthn's verifyRegistrationResponse).
type VerifyRegistrationOptions struct {
	// Response is the RegistrationResponseJSON as the browser posted it.
	Response          json.RawMessage `json:"response"`
	ExpectedChallenge string          `json:"expectedChallenge"`
	ExpectedOrigin    []string        `json:"expectedOrigin"`
	ExpectedRPID      string          `json:"expectedRPID"`
	// RequireUserVerification: nil means true (as SimpleWebAuthn); set false when your options
	// said userVerification "preferred".
	RequireUserVerification *bool `json:"requireUserVerification,omitempty"`
	// ExpectedAlgorithms are the algorithms the registration offered, by IANA name (see
	// PasskeyConfig.Algorithms); nil accepts every algorithm kavach verifies.
	ExpectedAlgorithms []string `json:"expectedAlgorithms,omitempty"`
	// ExpectedTopOrigins are the pages that may embed the ceremony in a cross-origin iframe;
	// nil refuses a response with crossOrigin true.
	ExpectedTopOrigins []string `json:"expectedTopOrigins,omitempty"`
	// RequireUserPresence: nil means true; false only for a conditional create.
	RequireUserPresence *bool `json:"requireUserPresence,omitempty"`
}

// VerifiedRegistration is what to store from a verified registration: CredentialID, PublicKey
// (COSE, base64url) and Counter.
type VerifiedRegistration struct {
	CredentialID      string   `json:"credentialId"`
	PublicKey         string   `json:"publicKey"`
	Algorithm         int      `json:"algorithm"`
	Counter           uint32   `json:"counter"`
	Flags             Flags    `json:"flags"`
	AAGUID            string   `json:"aaguid"`
	AttestationFormat string   `json:"attestationFormat"`
	AttestationTrust  string   `json:"attestationTrust"`
	AttestationRoot   *string  `json:"attestationRoot"`
	AttestationSource *string  `json:"attestationSource"`
	AAGUIDAttested    bool     `json:"aaguidAttested"`
	Transports        []string `json:"transports"`
	Discoverable      *bool    `json:"discoverable"`
	PRFEnabled        bool     `json:"prfEnabled"`
	DeviceType        string   `json:"deviceType"`
}

// StoredCredential is the credential an authentication response is checked against.
type StoredCredential struct {
	// PublicKey is the COSE key, base64url, as VerifiedRegistration.PublicKey.
	PublicKey string `json:"publicKey"`
	Counter   uint32 `json:"counter"`
	// ID, when set, must be the response's credential ID.
	ID string `json:"id,omitempty"`
}

// VerifyAuthenticationOptions are the inputs of VerifyAuthenticationResponse.
type VerifyAuthenticationOptions struct {
	// Response is the AuthenticationResponseJSON as the browser posted it.
	Response          json.RawMessage  `json:"response"`
	ExpectedChallenge string           `json:"expectedChallenge"`
	ExpectedOrigin    []string         `json:"expectedOrigin"`
	ExpectedRPID      string           `json:"expectedRPID"`
	Credential        StoredCredential `json:"credential"`
	// RequireUserVerification: nil means true (as SimpleWebAuthn); set false when your options
	// said userVerification "preferred".
	RequireUserVerification *bool `json:"requireUserVerification,omitempty"`
	// ExpectedTopOrigins are the pages that may embed the ceremony in a cross-origin iframe;
	// nil refuses a response with crossOrigin true.
	ExpectedTopOrigins []string `json:"expectedTopOrigins,omitempty"`
	// ExpectedAppID is the FIDO U2F AppID the options offered (extensions.appid), for
	// credentials registered with U2F; "" refuses a response claiming appid.
	ExpectedAppID string `json:"expectedAppId,omitempty"`
}

// VerifiedAuthentication is the outcome of a verified authentication: store the new Counter.
type VerifiedAuthentication struct {
	CredentialID string  `json:"credentialId"`
	Counter      uint32  `json:"counter"`
	Flags        Flags   `json:"flags"`
	UserHandle   *string `json:"userHandle"`
}
