// The kavach demo on net/http: the page from examples/web at /, every passkey endpoint under
// /auth through k.Handler(), and the demo-only POST /demo/signup. Environment (see run.sh and
// tests/e2e/README.md): PORT, DATABASE_URL, KAVACH_SECRET, KAVACH_USER_VERIFICATION, KAVACH_ATTESTATION,
// KAVACH_WEB_DIR, KAVACH_PASSKEY_OPTIONS_JSON and KAVACH_OPTIONS_JSON (JSON objects merged over the
// passkey options and the top-level options, e.g. trustedProxies, rateLimit), and
// KAVACH_METRICS_TOKEN (when set, GET /metrics wants "Authorization: Bearer <token>").
// Security events and kavach's log lines go to stdout, one JSON object a line.
package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	kavach "github.com/kavach/kavach/bindings/go"
)

const demoSecret = "kavach-demo-secret-not-for-production-use!!"

func main() {
	port := env("PORT", "3000")
	origin := "http://localhost:" + port
	here, _ := os.Getwd()
	webDir := env("KAVACH_WEB_DIR", filepath.Join(here, "..", "web"))
	secret := os.Getenv("KAVACH_SECRET")
	if secret == "" {
		log.Print("KAVACH_SECRET is not set: using a fixed demo secret (never do this in production)")
		secret = demoSecret
	}

	config, err := withOverrides(kavach.Config{
		Database: database(os.Getenv("DATABASE_URL"), here),
		Secret:   secret,
		BaseURL:  origin,
		Passkey: &kavach.PasskeyConfig{
			RPName:           "Kavach demo",
			RPID:             "localhost",
			Origin:           []string{origin},
			UserVerification: env("KAVACH_USER_VERIFICATION", "preferred"),
			Attestation:      env("KAVACH_ATTESTATION", "none"),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Events and log lines as JSON lines on stdout: an event has "type", a log line "kind".
	lines := log.New(os.Stdout, "", 0)
	if err := kavach.SetLogHook(func(line string) { lines.Print(line) }); err != nil {
		log.Fatal(err)
	}
	k, err := kavach.NewFromJSON(config)
	if err != nil {
		log.Fatal(err)
	}
	if err := k.SetEventHandler(func(event kavach.Event) {
		if text, err := json.Marshal(event); err == nil {
			lines.Print(string(text))
		}
	}); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	// Every route under /auth: kavach answers, with its own status codes, errors and cookies.
	// The client key for the optional rateLimit (off here) is the peer IP; behind a reverse
	// proxy, use k.HandlerWithClientKey with the address the proxy reports.
	mux.Handle("/auth/", k.Handler())
	mux.Handle("/auth", k.Handler())
	// The well-known documents (relatedOrigins, apps) are answered at the site root.
	mux.Handle("/.well-known/", k.Handler())
	mux.HandleFunc("/demo/signup", signup(k, origin))
	mux.HandleFunc("/metrics", metrics(k, os.Getenv("KAVACH_METRICS_TOKEN")))
	vendor := filepath.Join(webDir, "node_modules", "@simplewebauthn", "browser", "esm")
	mux.Handle("/vendor/simplewebauthn/", http.StripPrefix("/vendor/simplewebauthn/", staticFiles(vendor)))
	mux.HandleFunc("/", page(webDir))

	listeners, err := listenLoopback(port)
	if err != nil {
		log.Print(err)
		k.Close()
		os.Exit(1)
	}
	log.Printf("kavach demo on %s (passkeys under %s/auth)", origin, origin)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	failed := make(chan error, len(listeners))
	for _, l := range listeners {
		go func(l net.Listener) { failed <- server.Serve(l) }(l)
	}
	log.Print(<-failed)
	k.Close()
	os.Exit(1)
}

// listenLoopback listens on both loopback addresses: a browser opening http://localhost:PORT
// may try either, so a port that another server holds on just one of them must stop the demo
// rather than send some requests elsewhere. A machine without IPv6 gets 127.0.0.1 alone.
func listenLoopback(port string) ([]net.Listener, error) {
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("kavach demo: PORT must be a port number (1-65535), not %q", port)
	}
	var listeners []net.Listener
	for _, host := range []string{"127.0.0.1", "::1"} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			if host == "::1" && (errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)) {
				continue // no IPv6 on this machine
			}
			for _, open := range listeners {
				open.Close()
			}
			reason := "cannot be opened (" + err.Error() + ")"
			if errors.Is(err, syscall.EADDRINUSE) {
				reason = "is already in use"
			}
			next, _ := strconv.Atoi(port)
			return nil, fmt.Errorf("kavach demo: port %s on %s %s: stop the other server or choose another port, e.g. PORT=%d", port, host, reason, next+1)
		}
		listeners = append(listeners, l)
	}
	return listeners, nil
}

// withOverrides is the configuration as JSON, with KAVACH_OPTIONS_JSON merged over its top level
// and KAVACH_PASSKEY_OPTIONS_JSON over its passkey options (shallow: their keys win).
func withOverrides(cfg kavach.Config) (string, error) {
	text, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	var top map[string]any
	if err := json.Unmarshal(text, &top); err != nil {
		return "", err
	}
	passkey, _ := top["passkey"].(map[string]any)
	for name, target := range map[string]map[string]any{"KAVACH_OPTIONS_JSON": top, "KAVACH_PASSKEY_OPTIONS_JSON": passkey} {
		value := os.Getenv(name)
		if value == "" {
			continue
		}
		var overrides any
		if err := json.Unmarshal([]byte(value), &overrides); err != nil {
			return "", fmt.Errorf("kavach demo: %s is not valid JSON: %v", name, err)
		}
		object, ok := overrides.(map[string]any)
		if !ok {
			return "", fmt.Errorf("kavach demo: %s must be a JSON object, not %s", name, value)
		}
		for key, item := range object {
			target[key] = item
		}
	}
	merged, err := json.Marshal(top)
	return string(merged), err
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func database(url, here string) *kavach.DatabaseConfig {
	switch {
	case url == "":
		return &kavach.DatabaseConfig{Provider: "sqlite", URL: "file:" + filepath.Join(here, "kavach.db")}
	case regexp.MustCompile(`^postgres(ql)?://`).MatchString(url):
		return &kavach.DatabaseConfig{Provider: "postgres", URL: url}
	default:
		return &kavach.DatabaseConfig{Provider: "sqlite", URL: url}
	}
}

// metrics serves k.Metrics() to a Prometheus scraper. It tells how sign-in is used, so in
// production keep it off the public internet: serve it on an internal port or path your proxy
// does not forward, or require a token as here (KAVACH_METRICS_TOKEN; the demo itself only
// listens on loopback).
func metrics(k *kavach.Kavach, token string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeMethodNotAllowed, Status: 405, Message: "use GET"})
			return
		}
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeUnauthorized, Status: 401, Message: "metrics want the bearer token"})
			return
		}
		text, err := k.Metrics()
		if err != nil {
			kavach.WriteError(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, text)
	}
}

// signup is the demo-only sign-up: a real app creates users through its own sign-up, then starts
// a session like this.
func signup(k *kavach.Kavach, origin string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeMethodNotAllowed, Status: 405, Message: "use POST"})
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != origin {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeForbiddenOrigin, Status: 403, Message: "requests from this origin are not allowed"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, kavach.MaxBodyBytes+1))
		if err == nil && len(body) > kavach.MaxBodyBytes {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodePayloadTooLarge, Status: 413, Message: "request body is larger than 64 KiB"})
			return
		}
		var input struct {
			Email *string `json:"email"`
			Name  *string `json:"name"`
		}
		if err != nil || json.Unmarshal(body, &input) != nil {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeInvalidRequest, Status: 400, Message: "body must be JSON: {email, name?}"})
			return
		}
		if input.Email == nil {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeInvalidRequest, Status: 400, Message: "email is required"})
			return
		}
		name := ""
		if input.Name != nil {
			name = strings.TrimSpace(*input.Name)
		}
		user, err := k.CreateUser(*input.Email, name)
		if err != nil {
			kavach.WriteError(w, err)
			return
		}
		session, err := k.CreateSession(user.ID)
		if err != nil {
			kavach.WriteError(w, err)
			return
		}
		w.Header().Add("Set-Cookie", session.SetCookie)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"user": user})
	}
}

// page serves index.html, app.js and style.css; anything else is 404 in the core's error shape.
func page(webDir string) http.HandlerFunc {
	files := staticFiles(webDir)
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/index.html", "/app.js", "/style.css":
			files.ServeHTTP(w, r)
		default:
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeNotFound, Status: 404, Message: "not found"})
		}
	}
}

// staticFiles serves a directory with the demo's headers, refusing hidden files and listings.
func staticFiles(dir string) http.Handler {
	fs := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeMethodNotAllowed, Status: 405, Message: "method not allowed"})
			return
		}
		if strings.Contains(r.URL.Path, "/.") || (strings.HasSuffix(r.URL.Path, "/") && r.URL.Path != "/") {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeNotFound, Status: 404, Message: "not found"})
			return
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")))); errors.Is(err, os.ErrNotExist) {
			kavach.WriteError(w, &kavach.Error{Code: kavach.CodeNotFound, Status: 404, Message: fmt.Sprintf("not found: %s", r.URL.Path)})
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		fs.ServeHTTP(w, r)
	})
}
