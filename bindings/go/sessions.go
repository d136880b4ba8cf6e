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
