package kavach

/*
#include "kavach.h"
*/
import "C"

// CreateSession starts a session for a user (how a host signs someone in after its own
// sign-up): send NewSession.SetCookie as a Set-Cookie header.
func (k *Kavach) CreateSession(userID string) (*NewSession, error) {
	var cs cStrings
	defer cs.free()
	var session NewSession
	err := k.callInto(&session, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_create_session(p, cs.add(userID), out)
	})
	if err != nil {
		return nil, err
	}
	return &session, nil
}

// GetSession resolves a token, "Bearer <token>" or a whole Cookie header value to its live
// session, or nil (and no error) when there is none.
func (k *Kavach) GetSession(tokenOrCookie string) (*SessionData, error) {
	var cs cStrings
	defer cs.free()
	var session *SessionData
	err := k.callInto(&session, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_get_session(p, cs.add(tokenOrCookie), out)
	})
	return session, err
}

// RequireRecentAuth returns nil when a passkey verified the session's user within seconds (a
// passkey sign-in or a step-up: POST /auth/passkey/authenticate/options {"stepUp": true}), an
// Error with CodeReauthRequired (403) otherwise, CodeUnauthorized without a live session. Call it
// before a sensitive action of your own.
func (k *Kavach) RequireRecentAuth(tokenOrCookie string, seconds uint64) error {
	var cs cStrings
	defer cs.free()
	var ok bool
	return k.callInto(&ok, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_require_recent_auth(p, cs.add(tokenOrCookie), C.uint64_t(seconds), out)
	})
}

// RevokeSession revokes a session by id (not token); it reports whether the session existed.
func (k *Kavach) RevokeSession(sessionID string) (bool, error) {
	var cs cStrings
	defer cs.free()
	var existed bool
	err := k.callInto(&existed, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_revoke_session(p, cs.add(sessionID), out)
	})
	return existed, err
}

// MetadataInfo is what LoadMetadata installed.
type MetadataInfo struct {
	// Number is the BLOB's serial number ("no").
	Number uint64 `json:"number"`
	// NextUpdate is its nextUpdate date (YYYY-MM-DD).
	NextUpdate string `json:"nextUpdate"`
	// Stale: past NextUpdate (loaded with a warning; refused under Metadata.Stale "refuse").
	Stale bool `json:"stale"`
}

// LoadMetadata replaces the FIDO metadata at run time: blob is an MDS3 BLOB (the JWS text from
// https://mds3.fidoalliance.org/), verified against the FIDO root before use. CodeInvalidRequest,
// keeping the BLOB in use, for one that does not verify, one older (a lower serial number) than
// the one in use, or a stale one under stale "refuse".
func (k *Kavach) LoadMetadata(blob []byte) (*MetadataInfo, error) {
	var cs cStrings
	defer cs.free()
	var info MetadataInfo
	err := k.callInto(&info, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_load_metadata(p, cs.add(string(blob)), out)
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}
