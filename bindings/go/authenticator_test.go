package kavach_test

// A tiny ES256 software authenticator (plus the browser's client part) for the ceremony tests:
// real P-256 keys and real signatures, standard library only, with the minimal CBOR encoder the
// attestation object and COSE key need (WebAuthn L3 §6.1, §6.5, §5.2).

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

var b64 = base64.RawURLEncoding

type softCredential struct {
	id         []byte
	key        *ecdsa.PrivateKey
	userHandle []byte
	rpID       string
}

type softAuthenticator struct {
	credentials []*softCredential
	// flipSignature corrupts the next assertion's signature (a negative test).
	flipSignature bool
	// topOrigin, when set, makes every ceremony run inside a cross-origin iframe of this page.
	topOrigin string
}

// cbor encodes the few CBOR types needed: unsigned and negative ints, byte and text strings,
// and maps with int or string keys, in the order given.
type cborMap [][2]any

func cbor(buf *bytes.Buffer, v any) {
	head := func(major byte, n uint64) {
		switch {
		case n < 24:
			buf.WriteByte(major<<5 | byte(n))
		case n < 1<<8:
			buf.WriteByte(major<<5 | 24)
			buf.WriteByte(byte(n))
		case n < 1<<16:
			buf.WriteByte(major<<5 | 25)
			_ = binary.Write(buf, binary.BigEndian, uint16(n))
		default:
			buf.WriteByte(major<<5 | 26)
			_ = binary.Write(buf, binary.BigEndian, uint32(n))
		}
	}
	switch v := v.(type) {
	case int:
		if v >= 0 {
			head(0, uint64(v))
		} else {
			head(1, uint64(-1-v))
		}
	case []byte:
		head(2, uint64(len(v)))
		buf.Write(v)
	case string:
		head(3, uint64(len(v)))
		buf.WriteString(v)
	case cborMap:
		head(5, uint64(len(v)))
		for _, kv := range v {
			cbor(buf, kv[0])
			cbor(buf, kv[1])
		}
	default:
		panic(fmt.Sprintf("cbor: %T", v))
	}
}

func (a *softAuthenticator) clientData(kind, challenge, origin string) []byte {
	data := map[string]any{"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false}
	if a.topOrigin != "" {
		data["crossOrigin"] = true
		data["topOrigin"] = a.topOrigin
	}
	out, _ := json.Marshal(data)
	return out
}

func fixed32(b []byte) []byte {
	out := make([]byte, 32)
	copy(out[32-len(b):], b)
	return out
}

// register answers creation options as navigator.credentials.create + toJSON would.
func (a *softAuthenticator) register(optionsJSON []byte, origin string) []byte {
	var options struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(optionsJSON, &options); err != nil {
		panic(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	userHandle, _ := b64.DecodeString(options.User.ID)
	a.credentials = append(a.credentials, &softCredential{id: id, key: key, userHandle: userHandle, rpID: options.RP.ID})

	var cose bytes.Buffer
	cbor(&cose, cborMap{{1, 2}, {3, -7}, {-1, 1}, {-2, fixed32(key.X.Bytes())}, {-3, fixed32(key.Y.Bytes())}})
	rpHash := sha256.Sum256([]byte(options.RP.ID))
	var authData bytes.Buffer
	authData.Write(rpHash[:])
	authData.WriteByte(0x45) // UP | UV | AT
	authData.Write([]byte{0, 0, 0, 0})
	authData.Write(make([]byte, 16)) // AAGUID
	_ = binary.Write(&authData, binary.BigEndian, uint16(len(id)))
	authData.Write(id)
	authData.Write(cose.Bytes())
	var attestation bytes.Buffer
	cbor(&attestation, cborMap{{"fmt", "none"}, {"attStmt", cborMap{}}, {"authData", authData.Bytes()}})

	response, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", options.Challenge, origin)),
			"attestationObject": b64.EncodeToString(attestation.Bytes()),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	return response
}

// authenticate answers request options with the first allowed (or any, when none are listed)
// credential, as navigator.credentials.get + toJSON would.
func (a *softAuthenticator) authenticate(optionsJSON []byte, origin string) []byte {
	var options struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	}
	if err := json.Unmarshal(optionsJSON, &options); err != nil {
		panic(err)
	}
	var credential *softCredential
	for _, c := range a.credentials {
		if c.rpID != options.RPID {
			continue
		}
		if len(options.AllowCredentials) == 0 {
			credential = c
		}
		for _, allowed := range options.AllowCredentials {
			if allowed.ID == b64.EncodeToString(c.id) {
				credential = c
			}
		}
	}
	if credential == nil {
		panic("no credential for these options")
	}
	rpHash := sha256.Sum256([]byte(options.RPID))
	authData := append(append([]byte{}, rpHash[:]...), 0x05, 0, 0, 0, 0) // UP | UV, counter 0
	data := a.clientData("webauthn.get", options.Challenge, origin)
	dataHash := sha256.Sum256(data)
	digest := sha256.Sum256(append(append([]byte{}, authData...), dataHash[:]...))
	signature, _ := ecdsa.SignASN1(rand.Reader, credential.key, digest[:])
	if a.flipSignature {
		signature[len(signature)-1] ^= 0x01
		a.flipSignature = false
	}
	response, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(credential.id), "rawId": b64.EncodeToString(credential.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(data),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(signature),
			"userHandle":        b64.EncodeToString(credential.userHandle),
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	return response
}
