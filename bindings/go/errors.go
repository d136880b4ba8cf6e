package kavach

/*
#include "kavach.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// Error is every failure kavach reports: a stable Code to branch on, the HTTP status a server
// answers with, and a Message that is safe to show to an end user. Use errors.As.
type Error struct {
	// Code is stable, e.g. CodeChallengeInvalid.
	Code string
	// Status is the HTTP status (a failed sign-in verification is 401, a failed registration 400).
	Status int
	// Message is safe to show; it never carries internal detail.
	Message string
	// RetryAfter is the delay in seconds after which a retry may succeed, for CodeRateLimited
	// and CodeTooManyChallenges (WriteError sends it as Retry-After); 0 otherwise.
	RetryAfter int
	// Signal is a WebAuthn Signal API payload for the page, or nil: {"unknownCredential":
	// {"rpId", "credentialId"}} when a usernameless sign-in used a passkey kavach does not know
	// (the argument of PublicKeyCredential.signalUnknownCredential).
	Signal json.RawMessage
}

func (e *Error) Error() string {
	return fmt.Sprintf("kavach: %s (%d): %s", e.Code, e.Status, e.Message)
}

// MarshalJSON is the core's error body, {"error", "code", "status", "retryAfter"?, "signal"?}: what
// WriteError sends and what every kavach route answers. The codes are in codes_gen.go, generated
// from the core's table.
func (e *Error) MarshalJSON() ([]byte, error) {
	body := struct {
		Error      string          `json:"error"`
		Code       string          `json:"code"`
		Status     int             `json:"status"`
		RetryAfter int             `json:"retryAfter,omitempty"`
		Signal     json.RawMessage `json:"signal,omitempty"`
	}{e.Message, e.Code, e.Status, e.RetryAfter, e.Signal}
	return json.Marshal(body)
}

// errorFrom turns a failed call's result and error JSON into an *Error.
func errorFrom(result C.kavach_result, errorJSON []byte) *Error {
	var body struct {
		Error      string          `json:"error"`
		Code       string          `json:"code"`
		Status     int             `json:"status"`
		RetryAfter int             `json:"retryAfter"`
		Signal     json.RawMessage `json:"signal"`
	}
	if json.Unmarshal(errorJSON, &body) != nil || body.Code == "" {
		body.Code = resultName(uint32(result))
		body.Status = resultStatus(uint32(result))
		body.Error = "kavach failed without details"
	}
	return &Error{Code: body.Code, Status: body.Status, Message: body.Error, RetryAfter: body.RetryAfter, Signal: body.Signal}
}

// resultName is kavach_result_name: "OK", a code, or "UNKNOWN".
func resultName(result uint32) string {
	return C.GoString(C.kavach_result_name(C.uint32_t(result)))
}

// resultStatus is kavach_result_status.
func resultStatus(result uint32) int {
	return int(C.kavach_result_status(C.uint32_t(result)))
}
