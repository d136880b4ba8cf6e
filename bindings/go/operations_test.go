package kavach_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	kavach "github.com/kavach/kavach/bindings/go"
)

// collector gathers what a handler receives (it runs on kavach's thread).
type collector struct {
	mu     sync.Mutex
	events []kavach.Event
	lines  []string
}

func (c *collector) event(e kavach.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *collector) line(l string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, l)
}

func (c *collector) types() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var types []string
	for _, e := range c.events {
		types = append(types, e.Type)
	}
	return types
}

// registerAndSignIn registers a passkey for a new user and signs in with it: the user, the
// host-made session, the passkey sign-in, the authenticator.
func registerAndSignIn(t *testing.T, k *kavach.Kavach, email string) (*kavach.User, *kavach.NewSession, *kavach.SignIn, *softAuthenticator) {
	t.Helper()
	user, session := signUp(t, k, email)
	auth := &softAuthenticator{}
	options, err := k.RegisterOptions(session.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.RegisterVerify(session.Token, auth.register(options, origin)); err != nil {
		t.Fatal(err)
	}
	options, _ = k.AuthenticateOptions(email)
	signIn, err := k.AuthenticateVerify(auth.authenticate(options, origin))
	if err != nil {
		t.Fatalf("AuthenticateVerify: %v", err)
	}
	return user, session, signIn, auth
}

func TestEventsReachOnEventInOrderWithoutSecrets(t *testing.T) {
	var got collector
	k := open(t, func(c *kavach.Config) { c.OnEvent = got.event })
	user, session, signIn, auth := registerAndSignIn(t, k, "events@example.com")
	options, _ := k.AuthenticateOptions("events@example.com")
	auth.flipSignature = true
	_, err := k.AuthenticateVerify(auth.authenticate(options, origin))
	wantCode(t, err, kavach.CodeVerificationFailed, 401)

	if !k.FlushEvents(5 * time.Second) {
		t.Fatal("FlushEvents timed out")
	}
	want := []string{"user.created", "session.created", "passkey.registered", "signin.succeeded", "session.created", "signin.failed"}
	if types := got.types(); strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("events = %v, want %v", types, want)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, e := range got.events {
		if e.UserID != user.ID || e.At.IsZero() || time.Since(e.At) > time.Minute {
			t.Fatalf("event %+v: wrong user or time", e)
		}
	}
	if e := got.events[4]; e.SessionID != signIn.SessionID {
		t.Fatalf("session.created = %+v, want session %s", e, signIn.SessionID)
	}
	if e := got.events[5]; e.Code != kavach.CodeVerificationFailed {
		t.Fatalf("signin.failed = %+v", e)
	}
	if e := got.events[2]; e.CredentialID == "" {
		t.Fatalf("passkey.registered without its credential: %+v", e)
	}
	_ = session
	if err := k.SetEventHandler(func(kavach.Event) {}); err == nil {
		t.Fatal("a second handler was accepted")
	} else {
		wantCode(t, err, kavach.CodeInvalidConfig, 500)
	}
}

func TestAPanickingOrSlowHandlerNeverBreaksOrSlowsACeremony(t *testing.T) {
	var calls sync.WaitGroup
	calls.Add(3)
	k := open(t, func(c *kavach.Config) {
		c.OnEvent = func(e kavach.Event) {
			defer calls.Done()
			time.Sleep(600 * time.Millisecond)
			panic("a host bug")
		}
	})
	started := time.Now()
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, err := k.CreateUser(email, ""); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(started); elapsed > 550*time.Millisecond {
		t.Fatalf("three sign-ups took %v behind a slow handler", elapsed)
	}
	calls.Wait() // every event still reached the handler, despite its panics
	if user, err := k.FindUserByEmail("c@example.com"); err != nil || user == nil {
		t.Fatalf("after the panics: %+v, %v", user, err)
	}
}

func TestCloseDeliversPendingEvents(t *testing.T) {
	var got collector
	cfg := kavach.Config{
		Database: &kavach.DatabaseConfig{URL: ":memory:"},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost"},
		OnEvent: func(e kavach.Event) {
			time.Sleep(20 * time.Millisecond)
			got.event(e)
		},
	}
	k, err := kavach.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := k.CreateUser("u"+strings.Repeat("x", i)+"@example.com", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(got.types()); n != 10 {
		t.Fatalf("%d of 10 events delivered by Close", n)
	}
	if _, err := k.Metrics(); err != kavach.ErrClosed {
		t.Fatalf("Metrics after Close: %v", err)
	}
}

func TestMetricsCountTheRequestsMade(t *testing.T) {
	k := open(t)
	h := k.Handler()
	for i := 0; i < 3; i++ {
		request(h, "POST", "/auth/passkey/authenticate/options", "{}", "Origin", origin)
	}
	request(h, "DELETE", "/auth/passkey/credentials/AAAA", "", "Origin", origin)
	text, err := k.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`kavach_http_requests_total{route="/passkey/authenticate/options",method="POST",status="200"} 3`,
		`kavach_http_requests_total{route="/passkey/credentials/:id",method="DELETE",status="401"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Fatalf("metrics lack %q:\n%s", line, text)
		}
	}
	if strings.Contains(text, "AAAA") {
		t.Fatal("a raw id in a route label")
	}
}

func TestLogHookReceivesARefusal(t *testing.T) {
	var got collector
	if err := kavach.SetLogHook(got.line); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kavach.SetLogHook(nil) }()
	k := open(t)
	_, _, _, auth := registerAndSignIn(t, k, "log@example.com")
	options, _ := k.AuthenticateOptions("")
	assertion := auth.authenticate(options, origin)
	if _, err := k.AuthenticateVerify(assertion); err != nil {
		t.Fatal(err)
	}
	rec := request(k.Handler(), "POST", "/auth/passkey/authenticate/verify", string(assertion), "Origin", origin, "Content-Type", "application/json")
	if rec.Code != 400 || errorCode(rec) != kavach.CodeChallengeInvalid {
		t.Fatalf("a replay: %d %s", rec.Code, rec.Body)
	}
	if !kavach.FlushLog(5 * time.Second) {
		t.Fatal("FlushLog timed out")
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	code := errorCode(rec)
	for _, line := range got.lines {
		if strings.Contains(line, `"kind":"refusal"`) && strings.Contains(line, `"code":"`+code+`"`) &&
			strings.Contains(line, `"route":"/passkey/authenticate/verify"`) {
			return
		}
	}
	t.Fatalf("no refusal line for %s in %q", code, got.lines)
}

func TestUsersUpdateAdminListsAndDelete(t *testing.T) {
	k := open(t)
	user, _, signIn, auth := registerAndSignIn(t, k, "admin@example.com")

	email, name := "admin@example.org", "Ada"
	updated, err := k.UpdateUser(user.ID, kavach.UserUpdate{Email: &email, Name: &name})
	if err != nil || updated.Email != email || updated.Name == nil || *updated.Name != name {
		t.Fatalf("UpdateUser = %+v, %v", updated, err)
	}
	updated, err = k.UpdateUser(user.ID, kavach.UserUpdate{ClearName: true})
	if err != nil || updated.Name != nil || updated.Email != email {
		t.Fatalf("clearing the name = %+v, %v", updated, err)
	}
	_, err = k.UpdateUser(user.ID, kavach.UserUpdate{Name: &name, ClearName: true})
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	bad := "not an email"
	_, err = k.UpdateUser(user.ID, kavach.UserUpdate{Email: &bad})
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	_, err = k.UpdateUser("nobody", kavach.UserUpdate{Name: &name})
	wantCode(t, err, kavach.CodeUserNotFound, 404)

	credentials, err := k.UserCredentials(user.ID)
	if err != nil || len(credentials) != 1 || credentials[0].ID != b64.EncodeToString(auth.credentials[0].id) {
		t.Fatalf("UserCredentials = %+v, %v", credentials, err)
	}
	sessions, err := k.UserSessions(user.ID)
	if err != nil || len(sessions) != 2 || sessions[0].ID != signIn.SessionID || sessions[0].AuthenticatedAt == nil {
		t.Fatalf("UserSessions = %+v, %v", sessions, err)
	}
	revoked, err := k.RevokeUserSessions(user.ID)
	if err != nil || revoked != 2 {
		t.Fatalf("RevokeUserSessions = %d, %v", revoked, err)
	}
	if s, _ := k.GetSession(signIn.Token); s != nil {
		t.Fatal("a revoked session still resolves")
	}
	wantCode(t, k.RevokeUserCredential(user.ID, "AAAA"), kavach.CodeCredentialNotFound, 404)
	if err := k.RevokeUserCredential(user.ID, credentials[0].ID); err != nil {
		t.Fatalf("RevokeUserCredential (the last one, as an admin): %v", err)
	}
	if list, _ := k.UserCredentials(user.ID); len(list) != 0 {
		t.Fatalf("still listed: %+v", list)
	}

	if err := k.DeleteUser(user.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := k.GetUser(user.ID); u != nil || err != nil {
		t.Fatalf("GetUser after DeleteUser = %+v, %v", u, err)
	}
	wantCode(t, k.DeleteUser(user.ID), kavach.CodeUserNotFound, 404)
	if page, err := k.UserActivity(user.ID, "", 0); err != nil || len(page.Events) != 0 {
		t.Fatalf("activity rows outlived the user: %+v, %v", page, err)
	}
}

func TestActivityPagesNewestFirstByCursor(t *testing.T) {
	k := open(t)
	user, _, signIn, _ := registerAndSignIn(t, k, "activity@example.com")
	all, err := k.UserActivity(user.ID, "", 0)
	// user.created, session.created, passkey.registered, signin.succeeded (which names the sign-in's
	// session: no session.created row beside it).
	if err != nil || len(all.Events) != 4 || all.NextCursor != "" {
		t.Fatalf("UserActivity = %+v, %v", all, err)
	}
	if all.Events[0].Type != "signin.succeeded" || all.Events[3].Type != "user.created" {
		t.Fatalf("not newest first: %+v", all.Events)
	}
	var paged []kavach.Event
	before := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("the cursor never ends")
		}
		page, err := k.Activity(signIn.Token, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.Events...)
		if before = page.NextCursor; before == "" {
			break
		}
	}
	if len(paged) != 4 {
		t.Fatalf("paged %d events, want 4", len(paged))
	}
	for i := range paged {
		if paged[i] != all.Events[i] {
			t.Fatalf("page order differs at %d: %+v vs %+v", i, paged[i], all.Events[i])
		}
	}
	_, err = k.Activity("not a session", "", 0)
	wantCode(t, err, kavach.CodeUnauthorized, 401)
	_, err = k.Activity(signIn.Token, "", 201)
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
	_, err = k.Activity(signIn.Token, "%%%", 0)
	wantCode(t, err, kavach.CodeInvalidRequest, 400)
}
