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
}

func (e *Error) Error() string {
	return fmt.Sprintf("kavach: %s (%d): %s", e.Code, e.Status, e.Message)
}

// The stable error codes of the core (docs/http.md), and the binding's own failures.
const (
	CodeUnauthorized       = "UNAUTHORIZED"
	CodeInvalidRequest     = "INVALID_REQUEST"
	CodePayloadTooLarge    = "PAYLOAD_TOO_LARGE"
	CodeChallengeInvalid   = "CHALLENGE_INVALID"
	CodeVerificationFailed = "VERIFICATION_FAILED"
	CodeCounterRegression  = "COUNTER_REGRESSION"
	CodeCredentialExists   = "CREDENTIAL_EXISTS"
	CodeCredentialNotFound = "CREDENTIAL_NOT_FOUND"
	CodeLastCredential     = "LAST_CREDENTIAL"
	CodeForbiddenOrigin    = "FORBIDDEN_ORIGIN"
	CodeNotFound           = "NOT_FOUND"
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CodeUserExists         = "USER_EXISTS"
	CodeUserNotFound       = "USER_NOT_FOUND"
	CodeInvalidConfig      = "INVALID_CONFIG"
	CodeInternal           = "INTERNAL"
	// CodeRateLimited (429): this client key (or session) sent more requests than
	// Config.RateLimit allows. Retry after Error.RetryAfter seconds.
	CodeRateLimited = "RATE_LIMITED"
	// CodeTooManyChallenges (503) is reserved: kavach no longer stores challenges, so nothing
	// answers it today. Retry after Error.RetryAfter seconds if it ever comes.
	CodeTooManyChallenges = "TOO_MANY_CHALLENGES"

	// CodeInvalidUTF8: a string argument was not UTF-8 (Go strings may hold any bytes).
	CodeInvalidUTF8 = "INVALID_UTF8"
	// CodeNullParameter and CodePanic are bugs (in this package or in kavach), never the
	// caller's input.
	CodeNullParameter = "NULL_PARAMETER"
	CodePanic         = "PANIC"
)

// Codes lists the core's error codes, in the core's order.
var Codes = []string{
	CodeUnauthorized, CodeInvalidRequest, CodePayloadTooLarge, CodeChallengeInvalid,
	CodeVerificationFailed, CodeCounterRegression, CodeCredentialExists, CodeCredentialNotFound,
	CodeLastCredential, CodeForbiddenOrigin, CodeNotFound, CodeMethodNotAllowed, CodeUserExists,
	CodeUserNotFound, CodeInvalidConfig, CodeInternal, CodeRateLimited, CodeTooManyChallenges,
}

// errorFrom turns a failed call's result and error JSON into an *Error.
func errorFrom(result C.kavach_result, errorJSON []byte) *Error {
	var body struct {
		Error      string `json:"error"`
		Code       string `json:"code"`
		Status     int    `json:"status"`
		RetryAfter int    `json:"retryAfter"`
	}
	if json.Unmarshal(errorJSON, &body) != nil || body.Code == "" {
		body.Code = resultName(uint32(result))
		body.Status = resultStatus(uint32(result))
		body.Error = "kavach failed without details"
	}
	return &Error{Code: body.Code, Status: body.Status, Message: body.Error, RetryAfter: body.RetryAfter}
}

// resultName is kavach_result_name: "OK", a code, or "UNKNOWN".
func resultName(result uint32) string {
	return C.GoString(C.kavach_result_name(C.uint32_t(result)))
}

// resultStatus is kavach_result_status.
func resultStatus(result uint32) int {
	return int(C.kavach_result_status(C.uint32_t(result)))
}
