package kavach

/*
#include <stdint.h>
#include "kavach.h"

// The trampolines of callbacks.go: they call the exported Go functions with the cgo.Handle of
// the Go function as user data.
extern void kavachGoEvent(void *user_data, char *json, size_t len);
extern void kavachGoLog(void *user_data, char *json, size_t len);
static void kavach_go_event(void *user_data, const char *json, size_t len) { kavachGoEvent(user_data, (char *)json, len); }
static void kavach_go_log(void *user_data, const char *json, size_t len) { kavachGoLog(user_data, (char *)json, len); }
static kavach_result kavach_go_set_event_callback(const kavach_t *k, uintptr_t handle) {
	return kavach_set_event_callback(k, kavach_go_event, (void *)handle);
}
static kavach_result kavach_go_set_log_callback(uintptr_t handle) {
	return kavach_set_log_callback(handle ? kavach_go_log : NULL, (void *)handle);
}
*/
import "C"

import (
	"encoding/json"
	"runtime/cgo"
	"sync"
	"time"
)

// Event is a security event (docs/host-api.md, "Operations"): what Config.OnEvent receives and
// what Activity and UserActivity list. It never carries a token, challenge, key or PRF value.
type Event struct {
	// Type is one of user.created, passkey.registered, passkey.renamed, passkey.deleted,
	// signin.succeeded, signin.failed, session.created, session.revoked, session.renewed,
	// stepup.succeeded, counter.regression, rate.limited, metadata.stale, credential.imported.
	Type string `json:"type"`
	// At is when it happened (UTC, millisecond precision).
	At time.Time `json:"at"`
	// UserID, CredentialID (base64url), SessionID, Client (the client key: the peer IP) and Code
	// (the error code of a signin.failed or rate.limited): "" when the event has none.
	UserID       string `json:"userId,omitempty"`
	CredentialID string `json:"credentialId,omitempty"`
	SessionID    string `json:"sessionId,omitempty"`
	Client       string `json:"client,omitempty"`
	Code         string `json:"code,omitempty"`
	// Count is how many failures one stored signin.failed stands for (failed sign-ins are
	// aggregated per user, code and hour in the audit log); 0 means 1.
	Count uint64 `json:"count,omitempty"`
}

// ActivityPage is a page of security activity, newest first.
type ActivityPage struct {
	Events []Event `json:"events"`
	// NextCursor is the before of the next (older) page; "" when this page is the last.
	NextCursor string `json:"nextCursor"`
}

// UserSession is a live session as a user's session list shows it (GET /auth/sessions,
// UserSessions).
type UserSession struct {
	ID              string     `json:"id"`
	CreatedAt       time.Time  `json:"createdAt"`
	LastSeenAt      time.Time  `json:"lastSeenAt"`
	ExpiresAt       time.Time  `json:"expiresAt"`
	AuthenticatedAt *time.Time `json:"authenticatedAt"`
	// Current is always false from UserSessions (no request is making it).
	Current bool `json:"current"`
}

// UserUpdate is what UpdateUser changes: a nil field is kept. To remove the name, set ClearName
// (Name must then be nil).
type UserUpdate struct {
	Email     *string
	Name      *string
	ClearName bool
}

// setEventHandler hands a cgo.Handle of fn to kavach_set_event_callback (the callback finds fn
// through it); Close deletes it after the last event.
func (k *Kavach) setEventHandler(fn func(Event)) error {
	handle := cgo.NewHandle(fn)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ptr == nil {
		handle.Delete()
		return ErrClosed
	}
	if result := C.kavach_go_set_event_callback(k.ptr, C.uintptr_t(handle)); result != C.KAVACH_OK {
		handle.Delete()
		return errorFrom(result, nil)
	}
	k.eventHandle = handle
	return nil
}

// SetEventHandler makes fn receive every security event of this instance, after the change it
// records has committed: what Config.OnEvent does, for an instance made with NewFromJSON. One
// handler per instance (a second call is an *Error with CodeInvalidConfig).
//
// fn runs on a thread of kavach's own, one event at a time and in order, never on the goroutine
// that made the request. Events reach it through a bounded queue (4096): while fn is slower than
// the events, later ones are dropped and counted (kavach_events_dropped_total in Metrics), so a
// slow fn never slows a sign-in. fn must return: one that blocks forever stops the delivery of
// events (and Close then waits 5 s for it). A panic in fn is recovered and the event skipped.
// Do not call Close from fn.
func (k *Kavach) SetEventHandler(fn func(Event)) error {
	return k.setEventHandler(fn)
}

// logHook is the process-wide log hook's handle (0: none, lines go to stderr).
var logHook struct {
	sync.Mutex
	handle cgo.Handle
}

// SetLogHook sends kavach's log lines (one JSON object each, no newline: internal errors,
// security-relevant refusals such as a replayed challenge, operator warnings) to fn instead of
// stderr; nil sends them to stderr again. Process-wide: lines also come from outside any
// instance, and a later call replaces the hook after delivering what the earlier one had
// pending. fn runs on a thread of kavach's own, one line at a time; a full queue drops lines
// (kavach_log_lines_dropped_total). Like an event handler, fn must return.
func SetLogHook(fn func(line string)) error {
	logHook.Lock()
	defer logHook.Unlock()
	var handle cgo.Handle
	if fn != nil {
		handle = cgo.NewHandle(fn)
	}
	if result := C.kavach_go_set_log_callback(C.uintptr_t(handle)); result != C.KAVACH_OK {
		if handle != 0 {
			handle.Delete()
		}
		return errorFrom(result, nil)
	}
	// The earlier hook has received all it had pending: its handle can go.
	if logHook.handle != 0 {
		logHook.handle.Delete()
	}
	logHook.handle = handle
	return nil
}

// FlushEvents waits at most timeout until the event handler has received every event published
// so far, and reports whether it did (tests use it).
func (k *Kavach) FlushEvents(timeout time.Duration) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return C.kavach_flush_events(k.ptr, C.uint64_t(timeout.Milliseconds())) == true
}

// FlushLog waits at most timeout until the log hook has received every line logged so far.
func FlushLog(timeout time.Duration) bool {
	return C.kavach_flush_log(C.uint64_t(timeout.Milliseconds())) == true
}

// Metrics is the Prometheus text exposition (format 0.0.4) of this instance: counters by event
// type and code, requests and errors by route template (never a raw id), latency histograms,
// pool, rate-limit and queue gauges. Serve it with Content-Type "text/plain; version=0.0.4" to
// your scraper only (docs/host-api.md says how to protect it).
func (k *Kavach) Metrics() (string, error) {
	text, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_metrics(p, out)
	})
	return string(text), err
}

func activityLimit(limit int) C.uint32_t {
	if limit < 0 || limit > 1<<31 {
		return C.uint32_t(1 << 31) // refused by the core as over 200
	}
	return C.uint32_t(limit)
}

// Activity is the security activity of the session's user, newest first: limit events (0: 50;
// at most 200) older than before ("" for the first page; else the NextCursor of the page
// before). session is a token, "Bearer <token>" or a Cookie header value. CodeUnauthorized
// without a live session, CodeInvalidRequest for a malformed cursor or a limit over 200.
func (k *Kavach) Activity(session, before string, limit int) (*ActivityPage, error) {
	var cs cStrings
	defer cs.free()
	var page ActivityPage
	err := k.callInto(&page, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_activity(p, cs.add(session), cs.optional(before), activityLimit(limit), out)
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// UpdateUser changes a user's email and/or name (users.update): the updated user.
// CodeUserNotFound for an unknown id, CodeUserExists when the email is taken,
// CodeInvalidRequest for a bad email (or Name set together with ClearName).
func (k *Kavach) UpdateUser(id string, update UserUpdate) (*User, error) {
	body := map[string]any{}
	if update.Email != nil {
		body["email"] = *update.Email
	}
	if update.ClearName {
		if update.Name != nil {
			return nil, &Error{Code: CodeInvalidRequest, Status: 400, Message: "set Name or ClearName, not both"}
		}
		body["name"] = nil
	} else if update.Name != nil {
		body["name"] = *update.Name
	}
	text, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var cs cStrings
	defer cs.free()
	var user User
	err = k.callInto(&user, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_update_user(p, cs.add(id), cs.add(string(text)), out)
	})
	if err != nil {
		return nil, err
	}
	return &user, nil
}

// DeleteUser deletes a user with their passkeys, sessions and audit rows (users.delete).
// CodeUserNotFound for an unknown id.
func (k *Kavach) DeleteUser(id string) error {
	var cs cStrings
	defer cs.free()
	_, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_delete_user(p, cs.add(id), out)
	})
	return err
}

// UserCredentials lists a user's passkeys by user id, newest first (users.listCredentials, for
// admin tools). CodeUserNotFound for an unknown id.
func (k *Kavach) UserCredentials(id string) ([]Credential, error) {
	var cs cStrings
	defer cs.free()
	var list []Credential
	err := k.callInto(&list, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_user_credentials(p, cs.add(id), out)
	})
	return list, err
}

// RevokeUserCredential deletes one of a user's passkeys, even the last (users.revokeCredential,
// for admin tools). CodeCredentialNotFound when the user has no such passkey.
func (k *Kavach) RevokeUserCredential(id, credentialID string) error {
	var cs cStrings
	defer cs.free()
	_, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_revoke_user_credential(p, cs.add(id), cs.add(credentialID), out)
	})
	return err
}

// UserSessions lists a user's live sessions, newest first (users.listSessions, for admin tools).
func (k *Kavach) UserSessions(id string) ([]UserSession, error) {
	var cs cStrings
	defer cs.free()
	var list []UserSession
	err := k.callInto(&list, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_user_sessions(p, cs.add(id), out)
	})
	return list, err
}

// RevokeUserSessions signs a user out everywhere (users.revokeSessions): how many sessions it
// revoked.
func (k *Kavach) RevokeUserSessions(id string) (int, error) {
	var cs cStrings
	defer cs.free()
	var result struct {
		Revoked int `json:"revoked"`
	}
	err := k.callInto(&result, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_revoke_user_sessions(p, cs.add(id), out)
	})
	return result.Revoked, err
}

// UserActivity is a user's security activity by user id (users.activity, for admin tools),
// paged as Activity.
func (k *Kavach) UserActivity(id, before string, limit int) (*ActivityPage, error) {
	var cs cStrings
	defer cs.free()
	var page ActivityPage
	err := k.callInto(&page, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_user_activity(p, cs.add(id), cs.optional(before), activityLimit(limit), out)
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}
