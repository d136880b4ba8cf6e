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
