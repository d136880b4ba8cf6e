package kavach_test

// Issue 21: ML-DSA and PS384 through the stateless verifiers, and PasskeyConfig.Algorithms. Go's
// standard library cannot sign ML-DSA, so the responses come from the Rust software authenticator
// (tests/fixtures/stateless-algorithms.json, made by the script named in its generatedBy).

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	kavach "github.com/kavach/kavach/bindings/go"
)

type fixtureCase struct {
	Name           string
	Alg            int
	Registration   kavach.VerifyRegistrationOptions
	Authentication struct {
		Response          json.RawMessage
		ExpectedChallenge string
		ExpectedOrigin    string
		ExpectedRPID      string
		Credential        kavach.StoredCredential
	}
}

func fixtures(t *testing.T) map[string]fixtureCase {
	t.Helper()
	raw, err := os.ReadFile("../../tests/fixtures/stateless-algorithms.json")
	if err != nil {
		t.Fatal(err)
	}
	// expectedOrigin is a string in the fixture, a list in VerifyRegistrationOptions.
	var file struct {
		Cases []map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	cases := map[string]fixtureCase{}
	for _, c := range file.Cases {
		var fc fixtureCase
		var reg map[string]json.RawMessage
		_ = json.Unmarshal(c["name"], &fc.Name)
		_ = json.Unmarshal(c["alg"], &fc.Alg)
		_ = json.Unmarshal(c["registration"], &reg)
		fc.Registration.Response = reg["response"]
		_ = json.Unmarshal(reg["expectedChallenge"], &fc.Registration.ExpectedChallenge)
		var origin string
		_ = json.Unmarshal(reg["expectedOrigin"], &origin)
		fc.Registration.ExpectedOrigin = []string{origin}
		_ = json.Unmarshal(reg["expectedRPID"], &fc.Registration.ExpectedRPID)
		if err := json.Unmarshal(c["authentication"], &fc.Authentication); err != nil {
			t.Fatal(err)
		}
		cases[fc.Name] = fc
	}
	return cases
}

func signIn(c fixtureCase, response json.RawMessage) (*kavach.VerifiedAuthentication, error) {
	a := c.Authentication
	return kavach.VerifyAuthenticationResponse(kavach.VerifyAuthenticationOptions{
		Response:          response,
		ExpectedChallenge: a.ExpectedChallenge,
		ExpectedOrigin:    []string{a.ExpectedOrigin},
		ExpectedRPID:      a.ExpectedRPID,
		Credential:        a.Credential,
	})
}

// withSignature returns the assertion with its signature replaced by edit(signature).
func withSignature(t *testing.T, response json.RawMessage, edit func([]byte) []byte) json.RawMessage {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(response, &r); err != nil {
		t.Fatal(err)
	}
	inner := r["response"].(map[string]any)
	signature, err := base64.RawURLEncoding.DecodeString(inner["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	inner["signature"] = base64.RawURLEncoding.EncodeToString(edit(signature))
	out, _ := json.Marshal(r)
	return out
}

func TestMLDSAAndPS384VerifyStatelessly(t *testing.T) {
	cases := fixtures(t)
	for _, name := range []string{"ML-DSA-44", "ML-DSA-87", "PS384"} {
		c := cases[name]
		registration, err := kavach.VerifyRegistrationResponse(c.Registration)
		if err != nil {
			t.Fatalf("%s: VerifyRegistrationResponse: %v", name, err)
		}
		if registration.Algorithm != c.Alg || registration.AttestationFormat != "packed" ||
			registration.PublicKey != c.Authentication.Credential.PublicKey {
			t.Fatalf("%s: registration = %+v", name, registration)
		}
		verified, err := signIn(c, c.Authentication.Response)
		if err != nil || verified.Counter != 1 || verified.CredentialID != c.Authentication.Credential.ID {
			t.Fatalf("%s: VerifyAuthenticationResponse = %+v, %v", name, verified, err)
		}
		_, err = signIn(c, withSignature(t, c.Authentication.Response, func(s []byte) []byte { s[10] ^= 1; return s }))
		wantCode(t, err, kavach.CodeVerificationFailed, 401)
	}

	// A signature of another parameter set is refused naming it.
	other := cases["ML-DSA-87"].Authentication.Response
	_, err := signIn(cases["ML-DSA-44"], withSignature(t, cases["ML-DSA-44"].Authentication.Response, func([]byte) []byte {
		var r struct{ Response struct{ Signature string } }
		_ = json.Unmarshal(other, &r)
		s, _ := base64.RawURLEncoding.DecodeString(r.Response.Signature)
		return s
	}))
	wantCode(t, err, kavach.CodeVerificationFailed, 401)
	if !strings.Contains(err.Error(), "ML-DSA-44 signatures are 2420 bytes, this one is 4627") {
		t.Fatalf("error = %v", err)
	}

	// ExpectedAlgorithms refuses what was not offered.
	options := cases["ML-DSA-44"].Registration
	options.ExpectedAlgorithms = []string{"ES256", "EdDSA"}
	_, err = kavach.VerifyRegistrationResponse(options)
	wantCode(t, err, kavach.CodeVerificationFailed, 400)
	if !strings.Contains(err.Error(), "credential algorithm ML-DSA-44 (-48) was not offered") {
		t.Fatalf("error = %v", err)
	}
}

func TestPasskeyAlgorithmsSetTheOfferInOrder(t *testing.T) {
	k := open(t, func(c *kavach.Config) { c.Passkey.Algorithms = []string{"ML-DSA-44", "ES256"} })
	_, session := signUp(t, k, "pq@example.com")
	options, err := k.RegisterOptions(session.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	var creation struct{ PubKeyCredParams []struct{ Alg int } }
	_ = json.Unmarshal(options, &creation)
	if len(creation.PubKeyCredParams) != 2 || creation.PubKeyCredParams[0].Alg != -48 || creation.PubKeyCredParams[1].Alg != -7 {
		t.Fatalf("pubKeyCredParams = %+v", creation.PubKeyCredParams)
	}
	_, err = kavach.New(kavach.Config{
		Secret:  "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL: origin,
		Passkey: &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost", Algorithms: []string{"Ed448"}},
	})
	wantCode(t, err, kavach.CodeInvalidConfig, 500)
	if !strings.Contains(err.Error(), "'Ed448' is not an algorithm kavach verifies") {
		t.Fatalf("error = %v", err)
	}
}
