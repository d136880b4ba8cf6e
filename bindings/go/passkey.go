package kavach

/*
#include "kavach.h"
*/
import "C"

import "encoding/json"

// The passkey operations of the host API (docs/host-api.md). session is a token, a Cookie header
// value or "Bearer <token>"; without a live session the error is UNAUTHORIZED.

// RegisterOptions returns creation options for the session's user: the
// PublicKeyCredentialCreationOptionsJSON to hand to startRegistration as it is. req may be nil.
func (k *Kavach) RegisterOptions(session string, req *RegisterOptionsRequest) (json.RawMessage, error) {
	body := []byte("{}")
	if req != nil {
		body, _ = json.Marshal(req) // plain strings: cannot fail
	}
	var cs cStrings
	defer cs.free()
	text, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_register_options(p, cs.add(session), cs.add(string(body)), out)
	})
	return json.RawMessage(text), err
}

// RegisterVerify verifies a registration response (RegistrationResponseJSON as
// startRegistration returns it, bare or {"response", "name"}) and stores the passkey.
func (k *Kavach) RegisterVerify(session string, body []byte) (*Credential, error) {
	var cs cStrings
	defer cs.free()
	var credential Credential
	err := k.callInto(&credential, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_register_verify(p, cs.add(session), cs.add(string(body)), out)
	})
	if err != nil {
		return nil, err
	}
	return &credential, nil
}

// AuthenticateOptions returns request options for startAuthentication. email "" is a
// usernameless sign-in; an unknown email answers in the same shape as a known one.
func (k *Kavach) AuthenticateOptions(email string) (json.RawMessage, error) {
	var cs cStrings
	defer cs.free()
	text, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_authenticate_options(p, cs.optional(email), out)
	})
	return json.RawMessage(text), err
}

// PRFSalts are PRF inputs (base64url): First, and optionally Second.
type PRFSalts struct {
	First  string `json:"first"`
	Second string `json:"second,omitempty"`
}

// PRFInputs are the PRF salts AuthenticateOptionsWith passes to the authenticator: Eval for
// every credential, EvalByCredential per credential ID (base64url). The outputs stay in the
// browser.
type PRFInputs struct {
	Eval             *PRFSalts           `json:"eval,omitempty"`
	EvalByCredential map[string]PRFSalts `json:"evalByCredential,omitempty"`
}

// AuthenticateOptionsRequest is what AuthenticateOptionsWith takes: an Email ("" for
// usernameless) and PRF salts (nil for none).
type AuthenticateOptionsRequest struct {
	Email string     `json:"email,omitempty"`
	PRF   *PRFInputs `json:"prf,omitempty"`
}

// AuthenticateOptionsWith is AuthenticateOptions with PRF salts for the authenticator.
func (k *Kavach) AuthenticateOptionsWith(request AuthenticateOptionsRequest) (json.RawMessage, error) {
	body, err := json.Marshal(request)
	if err != nil {
		return nil, err
	}
	var cs cStrings
	defer cs.free()
	text, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_authenticate_options_request(p, cs.add(string(body)), out)
	})
	return json.RawMessage(text), err
}

// ImportedCredential is a credential registered elsewhere, for ImportCredential. PublicKey is
// the COSE key (Format "webauthn") or the 65-byte uncompressed P-256 point (Format "u2f"),
// base64url; UserHandle the user.id it was created with on the other server (WebAuthn only).
type ImportedCredential struct {
	UserID       string   `json:"userId"`
	CredentialID string   `json:"credentialId"`
	PublicKey    string   `json:"publicKey"`
	Format       string   `json:"format"`
	Counter      uint32   `json:"counter,omitempty"`
	Name         string   `json:"name,omitempty"`
	Transports   []string `json:"transports,omitempty"`
	UserHandle   string   `json:"userHandle,omitempty"`
	// BackupEligible: a synced passkey (BE at its registration); every sign-in must show the same.
	BackupEligible bool `json:"backupEligible,omitempty"`
}

// ImportCredential stores a credential registered elsewhere (credentials.import): a FIDO U2F
// key (signing in through the appid extension when PasskeyConfig.AppID is set) or a WebAuthn
// credential from another server. CodeUserNotFound, CodeCredentialExists, or
// CodeInvalidRequest for a key kavach cannot verify with.
func (k *Kavach) ImportCredential(credential ImportedCredential) (*Credential, error) {
	body, err := json.Marshal(credential)
	if err != nil {
		return nil, err
	}
	var cs cStrings
	defer cs.free()
	var stored Credential
	err = k.callInto(&stored, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_import_credential(p, cs.add(string(body)), out)
	})
	if err != nil {
		return nil, err
	}
	return &stored, nil
}

// WellKnown returns a well-known document for hosts that serve it themselves (Handler mounted
// at the site root answers it itself): document is "webauthn", "assetlinks.json" or
// "apple-app-site-association"; extra (nil for none) is the host's own content, kept and merged.
func (k *Kavach) WellKnown(document string, extra json.RawMessage) (json.RawMessage, error) {
	var cs cStrings
	defer cs.free()
	text, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_well_known(p, cs.add(document), cs.optional(string(extra)), out)
	})
	return json.RawMessage(text), err
}

// AuthenticateVerify verifies an authentication response (bare or {"response"}) and starts a
// session: send SignIn.SetCookie as a Set-Cookie header.
func (k *Kavach) AuthenticateVerify(body []byte) (*SignIn, error) {
	var cs cStrings
	defer cs.free()
	var signIn SignIn
	err := k.callInto(&signIn, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_authenticate_verify(p, cs.add(string(body)), out)
	})
	if err != nil {
		return nil, err
	}
	return &signIn, nil
}

// ListCredentials returns the session user's passkeys, newest first.
func (k *Kavach) ListCredentials(session string) ([]Credential, error) {
	var cs cStrings
	defer cs.free()
	credentials := []Credential{}
	err := k.callInto(&credentials, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_list_credentials(p, cs.add(session), out)
	})
	if err != nil {
		return nil, err
	}
	return credentials, nil
}

// RenameCredential renames one of the session user's passkeys (1 to 64 characters).
func (k *Kavach) RenameCredential(session, id, name string) (*Credential, error) {
	var cs cStrings
	defer cs.free()
	var credential Credential
	err := k.callInto(&credential, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_rename_credential(p, cs.add(session), cs.add(id), cs.add(name), out)
	})
	if err != nil {
		return nil, err
	}
	return &credential, nil
}

// DeleteCredential deletes one of the session user's passkeys; the last one is refused with
// LAST_CREDENTIAL unless the user has another way in.
func (k *Kavach) DeleteCredential(session, id string) error {
	var cs cStrings
	defer cs.free()
	_, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_delete_credential(p, cs.add(session), cs.add(id), out)
	})
	return err
}
