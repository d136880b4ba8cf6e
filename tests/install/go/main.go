// A passkey registration and sign-in through the Go package linked against the installed
// libkavach (from dist/, found by pkg-config), answered by the software authenticator program
// (real keys, real signatures) over a pipe, one JSON line each way. Run by tests/install/run.sh
// with no Rust toolchain on PATH.
//
// Usage: install-ceremony <soft-authenticator> <expected version>
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strings"

	kavach "github.com/kavach/kavach/bindings/go"
)

const origin = "http://localhost:3000"

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: install-ceremony <soft-authenticator> <expected version>")
	}
	if kavach.Version() != os.Args[2] {
		log.Fatalf("libkavach %s, expected %s", kavach.Version(), os.Args[2])
	}
	authenticator := exec.Command(os.Args[1])
	in, _ := authenticator.StdinPipe()
	outPipe, _ := authenticator.StdoutPipe()
	if err := authenticator.Start(); err != nil {
		log.Fatal(err)
	}
	out := bufio.NewReader(outPipe)
	ask := func(op string, options json.RawMessage) json.RawMessage {
		line, _ := json.Marshal(map[string]any{"op": op, "options": options, "origin": origin})
		fmt.Fprintf(in, "%s\n", line)
		answer, err := out.ReadBytes('\n')
		if err != nil || bytes.Contains(answer, []byte(`"error"`)) {
			log.Fatalf("authenticator %s: %s %v", op, answer, err)
		}
		return answer
	}

	k, err := kavach.New(kavach.Config{
		Database: &kavach.DatabaseConfig{Provider: "sqlite", URL: "file:kavach.db"},
		Secret:   "install-test-secret-0123456789abcdef0123",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Install test", RPID: "localhost"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	user, err := k.CreateUser("ada@example.com", "Ada")
	if err != nil {
		log.Fatal(err)
	}
	session, err := k.CreateSession(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	creation, err := k.RegisterOptions(session.Token, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := k.RegisterVerify(session.Token, ask("register", creation)); err != nil {
		log.Fatal(err)
	}

	header := http.Header{"Content-Type": {"application/json"}, "Origin": {origin}}
	options, err := k.Handle("POST", "/auth/passkey/authenticate/options", "127.0.0.1", header, []byte(`{"email":"ada@example.com"}`))
	if err != nil || options.Status != 200 {
		log.Fatalf("options: %v %+v", err, options)
	}
	signIn, err := k.Handle("POST", "/auth/passkey/authenticate/verify", "127.0.0.1", header, ask("authenticate", options.Body))
	if err != nil || signIn.Status != 200 {
		log.Fatalf("verify: %v %s", err, signIn.Body)
	}
	cookie := ""
	for _, h := range signIn.Headers {
		if strings.EqualFold(h[0], "set-cookie") {
			cookie = strings.SplitN(h[1], ";", 2)[0]
		}
	}
	current, err := k.GetSession(cookie)
	if err != nil || current == nil || current.User.Email != "ada@example.com" {
		log.Fatalf("session: %v %+v", err, current)
	}
	in.Close()
	_ = authenticator.Wait()
	fmt.Printf("go: libkavach %s through pkg-config: registered and signed in\n", kavach.Version())
}
