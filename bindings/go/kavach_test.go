package kavach_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	kavach "github.com/kavach/kavach/bindings/go"
)

const origin = "http://localhost:3000"

func open(t *testing.T, edit ...func(*kavach.Config)) *kavach.Kavach {
	t.Helper()
	cfg := kavach.Config{
		Database: &kavach.DatabaseConfig{URL: "file:" + filepath.Join(t.TempDir(), "kavach.db")},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost"},
	}
	for _, e := range edit {
		e(&cfg)
	}
	k, err := kavach.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var kerr *kavach.Error
	if !errors.As(err, &kerr) {
		t.Fatalf("want *kavach.Error %s, got %v", code, err)
	}
	if kerr.Code != code || kerr.Status != status || kerr.Message == "" {
		t.Fatalf("want %s %d with a message, got %+v", code, status, kerr)
	}
}

func signUp(t *testing.T, k *kavach.Kavach, email string) (*kavach.User, *kavach.NewSession) {
	t.Helper()
	user, err := k.CreateUser(email, "")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	session, err := k.CreateSession(user.ID)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return user, session
}

func TestNewRejectsAnInvalidConfigWithItsCode(t *testing.T) {
	_, err := kavach.New(kavach.Config{Secret: "short", BaseURL: origin})
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
	if !strings.Contains(err.Error(), "secret must be at least 32 bytes") {
		t.Fatalf("message should say which setting: %v", err)
	}
	_, err = kavach.NewFromJSON(`{"secret": "a-test-secret-of-at-least-thirty-two-bytes", "baseUrl": "` + origin + `", "rpID": "x"}`)
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
	_, err = kavach.NewFromJSON("{nope")
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
}

func TestSnakeCaseConfigIsAccepted(t *testing.T) {
	k, err := kavach.NewFromJSON(`{"secret": "a-test-secret-of-at-least-thirty-two-bytes", "base_url": "http://localhost:3000",
		"base_path": "/api/auth", "database": {"url": ":memory:"}, "passkey": {"rp_name": "T", "rp_id": "localhost"}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if k.BasePath() != "/api/auth" {
		t.Fatalf("BasePath = %q", k.BasePath())
	}
}

func TestErrorCodesAreTheCoresInOrder(t *testing.T) {
	// The core's table numbers its codes 101, 102, ... and the C call failures 201, 202, ...
	value := uint32(101)
	for _, code := range kavach.Codes {
		if code == kavach.CodeNullParameter {
			value = 201
		}
		if got := kavach.ResultName(value); got != code {
			t.Errorf("result %d is %s in C, %s in Go", value, got, code)
		}
		value++
	}
	if len(kavach.Codes) != 22 {
		t.Fatalf("%d codes", len(kavach.Codes))
	}
	for value, name := range map[uint32]string{0: "OK", 201: kavach.CodeNullParameter, 202: kavach.CodeInvalidUTF8, 203: kavach.CodePanic, 999: "UNKNOWN"} {
		if got := kavach.ResultName(value); got != name {
			t.Errorf("result %d is %s, want %s", value, got, name)
		}
	}
	for value, status := range map[uint32]int{113: 409, 117: 429, 118: 503} {
		if got := kavach.ResultStatus(value); got != status {
			t.Errorf("result %d (%s) status %d, want %d", value, kavach.ResultName(value), got, status)
		}
	}
	if kavach.ResultName(117) != kavach.CodeRateLimited || kavach.ResultName(118) != kavach.CodeTooManyChallenges {
		t.Errorf("117, 118 = %s, %s", kavach.ResultName(117), kavach.ResultName(118))
	}
}

func TestUsersAndSessions(t *testing.T) {
	k := open(t)
	user, err := k.CreateUser("ada@example.com", "Ada")
	if err != nil || user.Email != "ada@example.com" || user.Name == nil || *user.Name != "Ada" {
		t.Fatalf("CreateUser = %+v, %v", user, err)
	}
	_, err = k.CreateUser("ADA@example.com", "")
	wantCode(t, err, kavach.CodeUserExists, 409)
	_, err = k.CreateUser("not an email", "")
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	_, err = k.CreateUser("bad\xff@example.com", "")
	wantCode(t, err, kavach.CodeInvalidUTF8, 400)

	if got, err := k.GetUser(user.ID); err != nil || got == nil || got.ID != user.ID {
		t.Fatalf("GetUser = %+v, %v", got, err)
	}
	if got, err := k.GetUser("nobody"); err != nil || got != nil {
		t.Fatalf("GetUser(unknown) = %+v, %v", got, err)
	}
	if got, err := k.FindUserByEmail("Ada@Example.com"); err != nil || got == nil || got.ID != user.ID {
		t.Fatalf("FindUserByEmail = %+v, %v", got, err)
	}
	wantCode(t, k.SetUserHasOtherSignIn("nobody", true), kavach.CodeUserNotFound, 404)
	_, err = k.CreateSession("nobody")
	wantCode(t, err, kavach.CodeUserNotFound, 404)

	session, err := k.CreateSession(user.ID)
	if err != nil || session.Token == "" || !strings.HasPrefix(session.SetCookie, "kavach_session=") || session.Session.UserID != user.ID {
		t.Fatalf("CreateSession = %+v, %v", session, err)
	}
	for _, form := range []string{session.Token, "Bearer " + session.Token, "a=b; kavach_session=" + session.Token} {
		got, err := k.GetSession(form)
		if err != nil || got == nil || got.User.Email != "ada@example.com" || got.Session.ID != session.Session.ID {
			t.Fatalf("GetSession(%q) = %+v, %v", form, got, err)
		}
	}
	if existed, err := k.RevokeSession(session.Session.ID); err != nil || !existed {
		t.Fatalf("RevokeSession = %v, %v", existed, err)
	}
	if existed, _ := k.RevokeSession(session.Session.ID); existed {
		t.Fatal("revoked twice")
	}
	if got, err := k.GetSession(session.Token); err != nil || got != nil {
		t.Fatalf("revoked session = %+v, %v", got, err)
	}
	_, err = k.RegisterOptions(session.Token, nil)
	wantCode(t, err, kavach.CodeUnauthorized, 401)
}

func TestRegisterAndSignInWithRealSignatures(t *testing.T) {
	k := open(t)
	user, session := signUp(t, k, "grace@example.com")
	auth := &softAuthenticator{}

	options, err := k.RegisterOptions(session.Token, &kavach.RegisterOptionsRequest{Name: "Laptop"})
	if err != nil {
		t.Fatal(err)
	}
	credential, err := k.RegisterVerify(session.Token, auth.register(options, origin))
	if err != nil {
		t.Fatalf("RegisterVerify: %v", err)
	}
	if credential.Name != "Laptop" || credential.LastUsedAt != nil || credential.CreatedAt.IsZero() || credential.DeviceType != "singleDevice" {
		t.Fatalf("credential = %+v", credential)
	}
	list, err := k.ListCredentials(session.Token)
	if err != nil || len(list) != 1 || list[0].ID != credential.ID {
		t.Fatalf("ListCredentials = %+v, %v", list, err)
	}
	renamed, err := k.RenameCredential(session.Token, credential.ID, "Work laptop")
	if err != nil || renamed.Name != "Work laptop" {
		t.Fatalf("RenameCredential = %+v, %v", renamed, err)
	}
	_, err = k.RenameCredential(session.Token, credential.ID, strings.Repeat("x", 65))
	wantCode(t, err, kavach.CodeInvalidRequest, 400)

	// Sign in by email, then usernameless.
	for _, email := range []string{"grace@example.com", ""} {
		options, err := k.AuthenticateOptions(email)
		if err != nil {
			t.Fatal(err)
		}
		assertion := auth.authenticate(options, origin)
		signIn, err := k.AuthenticateVerify(assertion)
		if err != nil {
			t.Fatalf("AuthenticateVerify(%q): %v", email, err)
		}
		if signIn.UserID != user.ID || signIn.Token == "" || !strings.Contains(signIn.SetCookie, signIn.Token) {
			t.Fatalf("signIn = %+v", signIn)
		}
		if got, _ := k.GetSession(signIn.Token); got == nil || got.Session.ID != signIn.SessionID {
			t.Fatalf("the new session does not resolve: %+v", got)
		}
		_, err = k.AuthenticateVerify(assertion)
		wantCode(t, err, kavach.CodeChallengeInvalid, 400)
	}

	// A bad signature is a 401 VERIFICATION_FAILED on sign-in.
	options, _ = k.AuthenticateOptions("")
	auth.flipSignature = true
	_, err = k.AuthenticateVerify(auth.authenticate(options, origin))
	wantCode(t, err, kavach.CodeVerificationFailed, 401)

	// Replaying a registration response: its challenge is used up.
	options, _ = k.RegisterOptions(session.Token, nil)
	registration := auth.register(options, origin)
	if _, err := k.RegisterVerify(session.Token, registration); err != nil {
		t.Fatal(err)
	}
	_, err = k.RegisterVerify(session.Token, registration)
	wantCode(t, err, kavach.CodeChallengeInvalid, 400)
	second := auth.credentials[len(auth.credentials)-1]
	if err := k.DeleteCredential(session.Token, b64.EncodeToString(second.id)); err != nil {
		t.Fatalf("deleting one of two: %v", err)
	}

	// The last passkey cannot be deleted, until the user has another way in.
	wantCode(t, k.DeleteCredential(session.Token, credential.ID), kavach.CodeLastCredential, 409)
	wantCode(t, k.DeleteCredential(session.Token, "AAAA"), kavach.CodeCredentialNotFound, 404)
	if err := k.SetUserHasOtherSignIn(user.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := k.DeleteCredential(session.Token, credential.ID); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	if list, _ := k.ListCredentials(session.Token); len(list) != 0 {
		t.Fatalf("still listed: %+v", list)
	}
}

func TestMalformedAndOversizedBodies(t *testing.T) {
	k := open(t)
	_, session := signUp(t, k, "lin@example.com")
	_, err := k.RegisterVerify(session.Token, []byte("{nope"))
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	_, err = k.AuthenticateVerify([]byte("[]"))
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	huge := append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 70*1024)...), `"}`...)
	_, err = k.AuthenticateVerify(huge)
	wantCode(t, err, kavach.CodePayloadTooLarge, 413)
}

func TestStatelessVerifiers(t *testing.T) {
	auth := &softAuthenticator{}
	options := []byte(`{"challenge": "Y2hhbGxlbmdlLW9uZQ", "rp": {"id": "localhost", "name": "T"}, "user": {"id": "dXNlcg", "name": "u", "displayName": "u"}}`)
	registration, err := kavach.VerifyRegistrationResponse(kavach.VerifyRegistrationOptions{
		Response:          auth.register(options, origin),
		ExpectedChallenge: "Y2hhbGxlbmdlLW9uZQ",
		ExpectedOrigin:    []string{origin},
		ExpectedRPID:      "localhost",
	})
	if err != nil {
		t.Fatalf("VerifyRegistrationResponse: %v", err)
	}
	if registration.Algorithm != -7 || registration.AttestationFormat != "none" || !registration.Flags.UserPresent {
		t.Fatalf("registration = %+v", registration)
	}
	request := []byte(`{"challenge": "Y2hhbGxlbmdlLXR3bw", "rpId": "localhost"}`)
	assertion := auth.authenticate(request, origin)
	verified, err := kavach.VerifyAuthenticationResponse(kavach.VerifyAuthenticationOptions{
		Response:          assertion,
		ExpectedChallenge: "Y2hhbGxlbmdlLXR3bw",
		ExpectedOrigin:    []string{origin},
		ExpectedRPID:      "localhost",
		Credential:        kavach.StoredCredential{PublicKey: registration.PublicKey, Counter: registration.Counter, ID: registration.CredentialID},
	})
	if err != nil || verified.CredentialID != registration.CredentialID || verified.UserHandle == nil || *verified.UserHandle != "dXNlcg" {
		t.Fatalf("VerifyAuthenticationResponse = %+v, %v", verified, err)
	}
	_, err = kavach.VerifyAuthenticationResponse(kavach.VerifyAuthenticationOptions{
		Response:          assertion,
		ExpectedChallenge: "b3RoZXI",
		ExpectedOrigin:    []string{origin},
		ExpectedRPID:      "localhost",
		Credential:        kavach.StoredCredential{PublicKey: registration.PublicKey},
	})
	// A failed sign-in verification is an authentication failure: 401, as through the router.
	wantCode(t, err, kavach.CodeVerificationFailed, 401)
	_, err = kavach.VerifyRegistrationResponse(kavach.VerifyRegistrationOptions{Response: []byte(`{}`)})
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
}

// request sends one request through the Handler and returns the recorder.
func request(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func errorCode(rec *httptest.ResponseRecorder) string {
	var body struct{ Code string }
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return body.Code
}

func TestHandlerServesEveryRouteThroughTheCore(t *testing.T) {
	k := open(t)
	h := k.Handler()
	_, session := signUp(t, k, "mae@example.com")
	cookie := "kavach_session=" + session.Token
	auth := &softAuthenticator{}

	rec := request(h, "POST", "/auth/passkey/register/options", "{}", "Cookie", cookie, "Origin", origin)
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("register/options: %d %s", rec.Code, rec.Body)
	}
	rec = request(h, "POST", "/auth/passkey/register/verify", string(auth.register(rec.Body.Bytes(), origin)), "Cookie", cookie, "Origin", origin)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"verified":true`) {
		t.Fatalf("register/verify: %d %s", rec.Code, rec.Body)
	}
	rec = request(h, "POST", "/auth/passkey/authenticate/options", `{"email":"mae@example.com"}`, "Origin", origin)
	rec = request(h, "POST", "/auth/passkey/authenticate/verify", string(auth.authenticate(rec.Body.Bytes(), origin)), "Origin", origin)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Set-Cookie"), "kavach_session=") {
		t.Fatalf("authenticate/verify: %d %s %v", rec.Code, rec.Body, rec.Header())
	}
	newCookie := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]
	rec = request(h, "GET", "/auth/session", "", "Cookie", newCookie)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "mae@example.com") {
		t.Fatalf("session: %d %s", rec.Code, rec.Body)
	}
	rec = request(h, "GET", "/auth/passkey/credentials?x=1", "", "Authorization", "Bearer "+session.Token)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"credentials":[{`) {
		t.Fatalf("credentials: %d %s", rec.Code, rec.Body)
	}
	rec = request(h, "POST", "/auth/sign-out", "", "Cookie", newCookie, "Origin", origin)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d %s %v", rec.Code, rec.Body, rec.Header())
	}

	for _, tc := range []struct {
		method, path, body string
		header             []string
		status             int
		code               string
	}{
		{"GET", "/auth/session", "", nil, 401, kavach.CodeUnauthorized},
		{"GET", "/auth/session", "", []string{"Cookie", newCookie}, 401, kavach.CodeUnauthorized},
		{"POST", "/auth/passkey/authenticate/options", "{}", []string{"Origin", "https://evil.example"}, 403, kavach.CodeForbiddenOrigin},
		{"POST", "/auth/passkey/authenticate/options", "{nope", nil, 400, kavach.CodeInvalidRequest},
		{"POST", "/auth/passkey/authenticate/verify", strings.Repeat(" ", 64*1024+1), nil, 413, kavach.CodePayloadTooLarge},
		{"POST", "/auth/passkey/authenticate/verify", strings.Repeat("{", 5<<20), nil, 413, kavach.CodePayloadTooLarge},
		{"GET", "/auth/nowhere", "", nil, 404, kavach.CodeNotFound},
		{"DELETE", "/auth/session", "", nil, 405, kavach.CodeMethodNotAllowed},
	} {
		rec := request(h, tc.method, tc.path, tc.body, tc.header...)
		if rec.Code != tc.status || errorCode(rec) != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
	if allow := request(h, "DELETE", "/auth/session", "").Header().Get("Allow"); allow != "GET" {
		t.Errorf("Allow = %q", allow)
	}
}

// from sends one request through h from the peer remoteAddr ("ip:port").
func from(h http.Handler, remoteAddr, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remoteAddr
	req.Header.Set("Origin", origin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerRateLimitsSignInPerPeerIP(t *testing.T) {
	k := open(t, func(c *kavach.Config) { c.RateLimit = &kavach.RateLimitConfig{Max: 2, Window: 60} })
	h := k.Handler()
	const options = "/auth/passkey/authenticate/options"

	// Two requests from one IP pass (from different ports: the key is the IP alone).
	for _, addr := range []string{"203.0.113.7:40001", "203.0.113.7:40002"} {
		if rec := from(h, addr, "POST", options, "{}"); rec.Code != 200 || rec.Header().Get("Retry-After") != "" {
			t.Fatalf("%s: %d %s", addr, rec.Code, rec.Body)
		}
	}
	rec := from(h, "203.0.113.7:40003", "POST", options, "{}")
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if rec.Code != 429 || errorCode(rec) != kavach.CodeRateLimited || err != nil || retry < 1 || retry > 30 {
		t.Fatalf("third request: %d %s Retry-After %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	// authenticate/verify spends from the same bucket.
	if rec := from(h, "203.0.113.7:40004", "POST", "/auth/passkey/authenticate/verify", "{}"); rec.Code != 429 {
		t.Fatalf("verify from the limited IP: %d %s", rec.Code, rec.Body)
	}
	// Another IP (v4 or v6) has its own bucket.
	for _, addr := range []string{"198.51.100.1:40001", "[2001:db8::1]:40001", "[2001:db8::1]:40002"} {
		if rec := from(h, addr, "POST", options, "{}"); rec.Code != 200 {
			t.Fatalf("%s: %d %s", addr, rec.Code, rec.Body)
		}
	}
	if rec := from(h, "[2001:db8::1]:40003", "POST", options, "{}"); rec.Code != 429 {
		t.Fatalf("third request from an IPv6 peer: %d %s", rec.Code, rec.Body)
	}
	// X-Forwarded-For is not trusted: the limited peer cannot escape by sending one.
	req := httptest.NewRequest("POST", options, strings.NewReader("{}"))
	req.RemoteAddr = "203.0.113.7:40005"
	req.Header.Set("X-Forwarded-For", "192.0.2.99")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 429 {
		t.Fatalf("X-Forwarded-For changed the key: %d %s", rec.Code, rec.Body)
	}
	// Routes that need a session are not limited, and the host API has no client key.
	if rec := from(h, "203.0.113.7:40006", "GET", "/auth/session", ""); rec.Code != 401 {
		t.Fatalf("session from the limited IP: %d %s", rec.Code, rec.Body)
	}
	for i := 0; i < 3; i++ {
		if _, err := k.AuthenticateOptions(""); err != nil {
			t.Fatalf("AuthenticateOptions: %v", err)
		}
	}
	// Handle: "" is no key, never limited.
	for i := 0; i < 3; i++ {
		response, err := k.Handle("POST", options, "", http.Header{"Origin": {origin}}, []byte("{}"))
		if err != nil || response.Status != 200 {
			t.Fatalf("Handle without a client key: %v %+v", err, response)
		}
	}
}

func TestTrustedProxiesDecideTheKeyBehindALoadBalancer(t *testing.T) {
	k := open(t, func(c *kavach.Config) {
		c.RateLimit = &kavach.RateLimitConfig{Max: 1, Window: 60}
		c.TrustedProxies = []string{"10.0.0.0/8"}
	})
	h := k.Handler()
	send := func(peer, forwardedFor string) int {
		req := httptest.NewRequest("POST", "/auth/passkey/authenticate/options", strings.NewReader("{}"))
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", forwardedFor)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// Behind the balancer (10.0.0.2), each client keeps its own bucket; what a client prepends
	// is not believed.
	if a1, b1, a2, a3 := send("10.0.0.2:1", "203.0.113.1"), send("10.0.0.2:2", "203.0.113.2"),
		send("10.0.0.2:3", "203.0.113.1"), send("10.0.0.2:4", "198.51.100.9, 203.0.113.1"); a1 != 200 ||
		b1 != 200 || a2 != 429 || a3 != 429 {
		t.Fatalf("a, b, a, spoofed a = %d, %d, %d, %d", a1, b1, a2, a3)
	}
	// A peer that is not a trusted proxy is the key, whatever it forwards.
	if c1, c2 := send("192.0.2.7:1", "198.51.100.1"), send("192.0.2.7:2", "198.51.100.2"); c1 != 200 || c2 != 429 {
		t.Fatalf("untrusted peer: %d, %d", c1, c2)
	}
}

func TestHandlerWithClientKeyUsesTheHostsKey(t *testing.T) {
	k := open(t, func(c *kavach.Config) { c.RateLimit = &kavach.RateLimitConfig{Max: 1, Window: 60} })
	// A host behind its own proxy: the key is the header that proxy sets, whatever the peer.
	h := k.HandlerWithClientKey(func(r *http.Request) string { return r.Header.Get("X-Test-Client") })
	send := func(client string) int {
		req := httptest.NewRequest("POST", "/auth/passkey/authenticate/options", strings.NewReader("{}"))
		if client != "" {
			req.Header.Set("X-Test-Client", client)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if a1, a2, b1 := send("a"), send("a"), send("b"); a1 != 200 || a2 != 429 || b1 != 200 {
		t.Fatalf("a, a, b = %d, %d, %d", a1, a2, b1)
	}
	if none1, none2 := send(""), send(""); none1 != 200 || none2 != 200 {
		t.Fatalf("no key: %d, %d", none1, none2)
	}
}

func TestPeerIPIsTheHostOfRemoteAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"203.0.113.7:1234": "203.0.113.7", "[2001:db8::1]:443": "2001:db8::1", "203.0.113.7": "203.0.113.7", "": "",
	} {
		if got := kavach.PeerIP(&http.Request{RemoteAddr: remote}); got != want {
			t.Errorf("PeerIP(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestRetryAfterReachesTheClient(t *testing.T) {
	// Register routes are limited per session: a signed-in client cannot multiply its budget by
	// changing address.
	k := open(t, func(c *kavach.Config) { c.RateLimit = &kavach.RateLimitConfig{Max: 2, Window: 60} })
	user, err := k.CreateUser("mallory@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	session, err := k.CreateSession(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := k.Handler()
	var codes []int
	for i := 0; i < 3; i++ {
		req := httptest.NewRequest("POST", "/auth/passkey/register/options", strings.NewReader("{}"))
		req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", i+1)
		req.Header.Set("Cookie", strings.SplitN(session.SetCookie, ";", 2)[0])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
		if i == 2 && (errorCode(rec) != kavach.CodeRateLimited || rec.Header().Get("Retry-After") == "") {
			t.Fatalf("third register/options: %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Fatalf("register/options per session: %v", codes)
	}
	// WriteError sends an Error's delay as Retry-After.
	rec := httptest.NewRecorder()
	kavach.WriteError(rec, &kavach.Error{Code: kavach.CodeRateLimited, Status: 429, Message: "slow down", RetryAfter: 7})
	if body := rec.Body.String(); body != `{"error":"slow down","code":"RATE_LIMITED","status":429,"retryAfter":7}` {
		t.Fatalf("WriteError body is not the core's error JSON: %s", body)
	}
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "7" || errorCode(rec) != kavach.CodeRateLimited {
		t.Fatalf("WriteError: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	// Errors without a delay have none.
	_, err = k.CreateUser("not an email", "")
	var kerr *kavach.Error
	if !errors.As(err, &kerr) || kerr.RetryAfter != 0 {
		t.Fatalf("INVALID_REQUEST RetryAfter = %d", kerr.RetryAfter)
	}
}

func TestOneInstanceServes32Goroutines(t *testing.T) {
	k := open(t)
	h := k.Handler()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			auth := &softAuthenticator{}
			for round := 0; round < 5; round++ {
				email := fmt.Sprintf("g%d-r%d@example.com", g, round)
				user, err := k.CreateUser(email, "")
				if err != nil {
					errs <- err
					return
				}
				session, err := k.CreateSession(user.ID)
				if err != nil {
					errs <- err
					return
				}
				options, err := k.RegisterOptions(session.Token, nil)
				if err != nil {
					errs <- err
					return
				}
				if _, err := k.RegisterVerify(session.Token, auth.register(options, origin)); err != nil {
					errs <- fmt.Errorf("register %s: %w", email, err)
					return
				}
				options, err = k.AuthenticateOptions(email)
				if err != nil {
					errs <- err
					return
				}
				signIn, err := k.AuthenticateVerify(auth.authenticate(options, origin))
				if err != nil || signIn.UserID != user.ID {
					errs <- fmt.Errorf("sign in %s: %v", email, err)
					return
				}
				rec := request(h, "GET", "/auth/session", "", "Authorization", "Bearer "+signIn.Token)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), email) {
					errs <- fmt.Errorf("session %s: %d", email, rec.Code)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseWaitsAndLaterCallsFail(t *testing.T) {
	k := open(t)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := k.CreateUser("x@example.com", ""); !errors.Is(err, kavach.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := k.Handle("GET", "/auth/session", "", nil, nil); !errors.Is(err, kavach.ErrClosed) {
		t.Fatalf("Handle after Close: %v", err)
	}
	if rec := request(k.Handler(), "GET", "/auth/session", ""); rec.Code != 500 {
		t.Fatalf("Handler after Close: %d", rec.Code)
	}
}

func TestWriteErrorKeepsTheCodeAndHidesOthers(t *testing.T) {
	rec := httptest.NewRecorder()
	kavach.WriteError(rec, fmt.Errorf("wrapped: %w", &kavach.Error{Code: kavach.CodeUserExists, Status: 409, Message: "taken"}))
	if rec.Code != 409 || errorCode(rec) != kavach.CodeUserExists {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	kavach.WriteError(rec, errors.New("secret internal detail"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestVersionIsTheWorkspaceVersion(t *testing.T) {
	manifest, err := os.ReadFile("../../Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^version = "(.+)"$`).FindSubmatch(manifest)
	if want == nil {
		t.Fatal("no version in Cargo.toml")
	}
	if got := kavach.Version(); got != string(want[1]) {
		t.Fatalf("Version() = %q, want %q", got, want[1])
	}
}

func TestExpectedTopOriginsAdmitAListedEmbeddingPageOnly(t *testing.T) {
	const portal = "https://portal.example.net"
	auth := &softAuthenticator{topOrigin: portal}
	options := []byte(`{"challenge": "Y2hhbGxlbmdlLW9uZQ", "rp": {"id": "localhost", "name": "T"}, "user": {"id": "dXNlcg", "name": "u", "displayName": "u"}}`)
	registrationOptions := kavach.VerifyRegistrationOptions{
		Response:          auth.register(options, origin),
		ExpectedChallenge: "Y2hhbGxlbmdlLW9uZQ",
		ExpectedOrigin:    []string{origin},
		ExpectedRPID:      "localhost",
	}
	_, err := kavach.VerifyRegistrationResponse(registrationOptions)
	wantCode(t, err, kavach.CodeVerificationFailed, 400)
	registrationOptions.ExpectedTopOrigins = []string{portal}
	registration, err := kavach.VerifyRegistrationResponse(registrationOptions)
	if err != nil {
		t.Fatalf("VerifyRegistrationResponse with the portal listed: %v", err)
	}
	assertion := auth.authenticate([]byte(`{"challenge": "Y2hhbGxlbmdlLXR3bw", "rpId": "localhost"}`), origin)
	verify := func(top ...string) error {
		_, err := kavach.VerifyAuthenticationResponse(kavach.VerifyAuthenticationOptions{
			Response:           assertion,
			ExpectedChallenge:  "Y2hhbGxlbmdlLXR3bw",
			ExpectedOrigin:     []string{origin},
			ExpectedRPID:       "localhost",
			Credential:         kavach.StoredCredential{PublicKey: registration.PublicKey},
			ExpectedTopOrigins: top,
		})
		return err
	}
	wantCode(t, verify("https://evil.example.org"), kavach.CodeVerificationFailed, 401)
	if err := verify(portal); err != nil {
		t.Fatalf("assertion from the listed portal: %v", err)
	}
	wantCode(t, verify("android:apk-key-hash:AAAA"), kavach.CodeInvalidRequest, 400)
}

func TestHintsAndTopOriginsReachTheCore(t *testing.T) {
	k := open(t, func(c *kavach.Config) {
		c.Passkey.Hints = []string{"security-key", "hybrid"}
		c.Passkey.TopOrigins = []string{"https://portal.example.net"}
	})
	_, session := signUp(t, k, "hints@example.com")
	var options struct {
		Hints []string `json:"hints"`
	}
	raw, err := k.AuthenticateOptions("")
	if err != nil || json.Unmarshal(raw, &options) != nil || strings.Join(options.Hints, ",") != "security-key,hybrid" {
		t.Fatalf("AuthenticateOptions = %s, %v", raw, err)
	}
	raw, err = k.RegisterOptions(session.Token, &kavach.RegisterOptionsRequest{Hints: []string{"client-device"}})
	if err != nil || json.Unmarshal(raw, &options) != nil || strings.Join(options.Hints, ",") != "client-device" {
		t.Fatalf("RegisterOptions = %s, %v", raw, err)
	}
	_, err = kavach.New(kavach.Config{
		Database: &kavach.DatabaseConfig{URL: ":memory:"},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost", Hints: []string{"usb"}},
	})
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
	_, err = kavach.New(kavach.Config{
		Database: &kavach.DatabaseConfig{URL: ":memory:"},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost", TopOrigins: []string{"http://portal.example.net"}},
	})
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
}

func TestAnUnknownPasskeyIsSignalledOnUsernamelessSignIn(t *testing.T) {
	k := open(t)
	stranger := &softAuthenticator{}
	// Registered with some other server for the same RP ID: unknown here.
	stranger.register([]byte(`{"challenge": "AAAA", "rp": {"id": "localhost", "name": "x"}, "user": {"id": "AAAA"}}`), origin)
	options, err := k.AuthenticateOptions("")
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.AuthenticateVerify(stranger.authenticate(options, origin))
	wantCode(t, err, kavach.CodeCredentialNotFound, 404)
	var kerr *kavach.Error
	errors.As(err, &kerr)
	var signal struct {
		UnknownCredential struct {
			RPID         string `json:"rpId"`
			CredentialID string `json:"credentialId"`
		} `json:"unknownCredential"`
	}
	if json.Unmarshal(kerr.Signal, &signal) != nil || signal.UnknownCredential.RPID != "localhost" ||
		signal.UnknownCredential.CredentialID != b64.EncodeToString(stranger.credentials[0].id) {
		t.Fatalf("signal = %s", kerr.Signal)
	}
	body, _ := json.Marshal(kerr)
	if !bytes.Contains(body, []byte(`"signal":{"unknownCredential"`)) {
		t.Fatalf("the JSON form drops the signal: %s", body)
	}
}

func TestLoadMetadataRefusesWhatDoesNotVerify(t *testing.T) {
	k := open(t)
	for _, blob := range []string{"not a BLOB", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"} {
		info, err := k.LoadMetadata([]byte(blob))
		var kerr *kavach.Error
		if info != nil || !errors.As(err, &kerr) || kerr.Code != kavach.CodeInvalidRequest || kerr.Status != 400 {
			t.Fatalf("%q: %+v %v", blob, info, err)
		}
	}
}

func TestLevel3OptionsCredentialFieldsImportAndWellKnown(t *testing.T) {
	fingerprint := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	k := open(t, func(c *kavach.Config) {
		c.Passkey.PRF = true
		c.Passkey.CounterPolicy = "flag"
		c.Passkey.RelatedOrigins = []string{"https://shop.example.co.uk"}
		c.Passkey.Apps = &kavach.AppsConfig{
			Android: []kavach.AndroidApp{{Package: "com.example.app", SHA256CertFingerprints: []string{fingerprint}}},
			IOS:     []kavach.IOSApp{{TeamID: "ABCDE12345", BundleID: "com.example.app"}},
		}
	})
	user, session := signUp(t, k, "level3@example.com")
	auth := &softAuthenticator{}
	options, err := k.RegisterOptions(session.Token, &kavach.RegisterOptionsRequest{Mediation: "conditional"})
	if err != nil || !strings.Contains(string(options), `"prf":{}`) {
		t.Fatalf("RegisterOptions = %s, %v", options, err)
	}
	credential, err := k.RegisterVerify(session.Token, auth.register(options, origin))
	if err != nil || credential.CreatedBy != "conditional" || credential.CloneWarning || credential.PRFEnabled {
		t.Fatalf("RegisterVerify = %+v, %v", credential, err)
	}
	salts, err := k.AuthenticateOptionsWith(kavach.AuthenticateOptionsRequest{
		Email: "level3@example.com", PRF: &kavach.PRFInputs{Eval: &kavach.PRFSalts{First: "c2FsdA"}},
	})
	if err != nil || !strings.Contains(string(salts), `"prf":{"eval":{"first":"c2FsdA"}}`) {
		t.Fatalf("AuthenticateOptionsWith = %s, %v", salts, err)
	}
	if signIn, err := k.AuthenticateVerify(auth.authenticate(salts, origin)); err != nil || signIn.UserID != user.ID {
		t.Fatalf("AuthenticateVerify = %+v, %v", signIn, err)
	}

	// Import: the same key under a new ID, for the same user, as a WebAuthn credential.
	_, err = k.ImportCredential(kavach.ImportedCredential{UserID: "nobody", CredentialID: "AAAA", PublicKey: "AAAA", Format: "u2f"})
	wantCode(t, err, kavach.CodeUserNotFound, 404)
	_, err = k.ImportCredential(kavach.ImportedCredential{UserID: user.ID, CredentialID: credential.ID, PublicKey: "pQEC", Format: "webauthn"})
	wantCode(t, err, kavach.CodeInvalidRequest, 400)

	webauthn, err := k.WellKnown("webauthn", nil)
	if err != nil || string(webauthn) != `{"origins":["`+origin+`","https://shop.example.co.uk"]}` {
		t.Fatalf("WellKnown(webauthn) = %s, %v", webauthn, err)
	}
	links, err := k.WellKnown("assetlinks.json", json.RawMessage(`[{"relation":["delegate_permission/common.handle_all_urls"]}]`))
	if err != nil || !strings.Contains(string(links), "handle_all_urls") || !strings.Contains(string(links), fingerprint) {
		t.Fatalf("WellKnown(assetlinks.json) = %s, %v", links, err)
	}
	aasa, err := k.WellKnown("apple-app-site-association", nil)
	if err != nil || !strings.Contains(string(aasa), "ABCDE12345.com.example.app") {
		t.Fatalf("WellKnown(aasa) = %s, %v", aasa, err)
	}
	rec := request(k.Handler(), "GET", "/.well-known/webauthn", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "shop.example.co.uk") {
		t.Fatalf("GET /.well-known/webauthn = %d %s", rec.Code, rec.Body.String())
	}

	_, err = kavach.New(kavach.Config{
		Database: &kavach.DatabaseConfig{URL: ":memory:"},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost", CounterPolicy: "warn"},
	})
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
}

func TestMetadataConfigReachesTheCore(t *testing.T) {
	// Serialised with the core's names.
	text, err := json.Marshal(kavach.PasskeyConfig{RPName: "T", RPID: "localhost",
		Metadata: &kavach.MetadataConfig{BlobPath: "/srv/mds.jwt", Stale: "refuse"}})
	if err != nil || !strings.Contains(string(text), `"metadata":{"blobPath":"/srv/mds.jwt","stale":"refuse"}`) {
		t.Fatalf("%s %v", text, err)
	}
	if text, _ := json.Marshal(kavach.PasskeyConfig{}); strings.Contains(string(text), "metadata") {
		t.Fatalf("nil Metadata must be left out: %s", text)
	}
	// Stale "refuse" without a BLOB starts; LoadMetadata still verifies before anything else.
	k := open(t, func(c *kavach.Config) { c.Passkey.Metadata = &kavach.MetadataConfig{Stale: "refuse"} })
	_, err = k.LoadMetadata([]byte("not a BLOB"))
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	// The core reads both fields: a bad value and a missing file each stop New.
	for _, bad := range []struct {
		metadata kavach.MetadataConfig
		needle   string
	}{
		{kavach.MetadataConfig{Stale: "ignore"}, "passkey.metadata.stale must be 'warn' or 'refuse'"},
		{kavach.MetadataConfig{BlobPath: filepath.Join(t.TempDir(), "missing.jwt")}, "missing.jwt"},
	} {
		metadata := bad.metadata
		_, err := kavach.New(kavach.Config{
			Database: &kavach.DatabaseConfig{URL: "file:" + filepath.Join(t.TempDir(), "kavach.db")},
			Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
			BaseURL:  origin,
			Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost", Metadata: &metadata},
		})
		wantCode(t, err, kavach.CodeInvalidConfig, 500)
		if !strings.Contains(err.Error(), bad.needle) {
			t.Fatalf("want %q in %v", bad.needle, err)
		}
	}
}

func TestSessionsListAndRequireRecentAuth(t *testing.T) {
	k := open(t)
	user, session := signUp(t, k, "sessions@example.com")
	auth := &softAuthenticator{}
	options, err := k.RegisterOptions(session.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.RegisterVerify(session.Token, auth.register(options, origin)); err != nil {
		t.Fatal(err)
	}
	options, _ = k.AuthenticateOptions("sessions@example.com")
	signIn, err := k.AuthenticateVerify(auth.authenticate(options, origin))
	if err != nil || signIn.UserID != user.ID {
		t.Fatalf("AuthenticateVerify = %+v, %v", signIn, err)
	}
	wantCode(t, k.RequireRecentAuth(session.Token, 300), kavach.CodeReauthRequired, 403)
	if err := k.RequireRecentAuth(signIn.Token, 300); err != nil {
		t.Fatalf("RequireRecentAuth after a passkey sign-in: %v", err)
	}
	wantCode(t, k.RequireRecentAuth("nope", 300), kavach.CodeUnauthorized, 401)
	current, err := k.GetSession(signIn.Token)
	if err != nil || current == nil || current.Session.AuthenticatedAt == nil {
		t.Fatalf("GetSession = %+v, %v", current, err)
	}
	rec := request(k.Handler(), "GET", "/auth/sessions", "", "Authorization", "Bearer "+signIn.Token)
	if rec.Code != 200 || strings.Count(rec.Body.String(), `"current"`) != 2 {
		t.Fatalf("GET /auth/sessions = %d %s", rec.Code, rec.Body.String())
	}
}
