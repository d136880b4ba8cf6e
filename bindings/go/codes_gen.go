// Code generated from core/src/error/codes.rs by core/tests/generated_lists.rs. DO NOT EDIT.

package kavach

// The stable error codes (docs/errors.md). Branch on Error.Code; codes are never renamed or reused.
const (
	// CodeUnauthorized (401): No session, or it expired or was revoked.
	CodeUnauthorized = "UNAUTHORIZED"

	// CodeInvalidRequest (400): Malformed JSON, a missing or malformed field, bad base64url, a name
	// outside 1 to 64 characters.
	CodeInvalidRequest = "INVALID_REQUEST"

	// CodePayloadTooLarge (413): The body is larger than 64 KiB (refused before parsing).
	CodePayloadTooLarge = "PAYLOAD_TOO_LARGE"

	// CodeChallengeInvalid (400): The challenge is not one kavach issued (its MAC does not check under
	// secret or any of previousSecrets), expired, already used, or issued for another ceremony, user
	// or session. Ask for new options.
	CodeChallengeInvalid = "CHALLENGE_INVALID"

	// CodeVerificationFailed (400): A WebAuthn check failed (400 on registration, 401 on sign-in):
	// origin, RP ID hash, type, user presence or verification, backup-eligibility change, algorithm,
	// signature, attestation or attestation policy. The message names the check. An unknown credential
	// in a sign-in by email answers this too, after the same work, so the answer never tells a real
	// email from an unknown one.
	CodeVerificationFailed = "VERIFICATION_FAILED"

	// CodeCounterRegression (401): The signature counter did not increase: possibly a cloned
	// authenticator.
	CodeCounterRegression = "COUNTER_REGRESSION"

	// CodeCredentialExists (409): The credential is already registered (to this or another user).
	CodeCredentialExists = "CREDENTIAL_EXISTS"

	// CodeCredentialNotFound (404): No such passkey for this user (also when it belongs to someone
	// else), or a usernameless sign-in with a credential kavach does not know.
	CodeCredentialNotFound = "CREDENTIAL_NOT_FOUND"

	// CodeLastCredential (409): Refused to delete the user's only passkey: they would be locked out
	// (see allowDeletingLastPasskey).
	CodeLastCredential = "LAST_CREDENTIAL"

	// CodeForbiddenOrigin (403): A state-changing request whose Origin header is not an allowed
	// origin, or that has no Origin but Sec-Fetch-Site: cross-site or same-site.
	CodeForbiddenOrigin = "FORBIDDEN_ORIGIN"

	// CodeNotFound (404): No route at this path under basePath.
	CodeNotFound = "NOT_FOUND"

	// CodeMethodNotAllowed (405): The route exists, not with this method (Allow lists the methods).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"

	// CodeUserExists (409): Host API: a user with this email exists (emails compare
	// case-insensitively).
	CodeUserExists = "USER_EXISTS"

	// CodeUserNotFound (404): Host API: no user with this id.
	CodeUserNotFound = "USER_NOT_FOUND"

	// CodeInvalidConfig (500): Start-up only: the configuration is invalid; the message names the
	// option.
	CodeInvalidConfig = "INVALID_CONFIG"

	// CodeInternal (500): Not the client's fault (database unavailable: 503 for PostgreSQL outages,
	// with "database unavailable"; a bug). Details go to the log hook, never into the answer.
	CodeInternal = "INTERNAL"

	// CodeRateLimited (429): The client (or, on the register routes, the session) sent more requests
	// than rateLimit allows; retryAfter (the Retry-After header) says when to try again.
	CodeRateLimited = "RATE_LIMITED"

	// CodeTooManyChallenges (503): Reserved: challenges are stateless, so nothing answers it today; it
	// would carry retryAfter.
	CodeTooManyChallenges = "TOO_MANY_CHALLENGES"

	// CodeReauthRequired (403): The action needs a recent passkey check in this session
	// (passkey.requireRecentAuth, or the host's requireRecentAuth): do a step-up (authenticate/options
	// {stepUp: true}) and try again.
	CodeReauthRequired = "REAUTH_REQUIRED"

	// CodeNullParameter (500): C ABI and Go only: a required pointer argument was NULL (a bug in the
	// caller).
	CodeNullParameter = "NULL_PARAMETER"

	// CodeInvalidUTF8 (400): C ABI and Go only: a string argument was not valid UTF-8.
	CodeInvalidUTF8 = "INVALID_UTF8"

	// CodePanic (500): C ABI and Go only: kavach panicked and the panic was caught at the boundary (a
	// bug in kavach).
	CodePanic = "PANIC"
)

// Codes lists every stable code, in the core's order.
var Codes = []string{
	CodeUnauthorized,
	CodeInvalidRequest,
	CodePayloadTooLarge,
	CodeChallengeInvalid,
	CodeVerificationFailed,
	CodeCounterRegression,
	CodeCredentialExists,
	CodeCredentialNotFound,
	CodeLastCredential,
	CodeForbiddenOrigin,
	CodeNotFound,
	CodeMethodNotAllowed,
	CodeUserExists,
	CodeUserNotFound,
	CodeInvalidConfig,
	CodeInternal,
	CodeRateLimited,
	CodeTooManyChallenges,
	CodeReauthRequired,
	CodeNullParameter,
	CodeInvalidUTF8,
	CodePanic,
}
