package kavach

/*
#include <stdlib.h>
#include "kavach.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"unsafe"
)

// Response is the core router's answer to a request.
type Response struct {
	Status int
	// Headers in order, as [name, value] pairs (Set-Cookie may appear).
	Headers [][2]string
	// Body is JSON.
	Body []byte
}

// Handle routes one request through the core (every endpoint under BasePath). path may carry a
// query string (ignored). client is the client key for the optional rate limit (Config.RateLimit):
// the peer's IP address, or the client address your own reverse proxy reported; never a header
// the client can set. "" means no key: the request is never rate-limited. Errors are responses
// too (4xx/5xx with the core's error JSON, 429 and 503 with Retry-After); a non-nil error only
// means the call itself failed (ErrClosed).
func (k *Kavach) Handle(method, path, client string, header http.Header, body []byte) (*Response, error) {
	var cs cStrings
	defer cs.free()
	var clientPtr *C.char // NULL: no client key
	if client != "" {
		clientPtr = cs.add(client)
	}
	count := 0
	for _, values := range header {
		count += len(values)
	}
	var names, values **C.char
	if count > 0 {
		size := C.size_t(count) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
		names, values = (**C.char)(C.malloc(size)), (**C.char)(C.malloc(size))
		defer C.free(unsafe.Pointer(names))
		defer C.free(unsafe.Pointer(values))
		nameSlice, valueSlice := unsafe.Slice(names, count), unsafe.Slice(values, count)
		i := 0
		for name, vs := range header {
			for _, v := range vs {
				nameSlice[i], valueSlice[i] = cs.add(name), cs.add(v)
				i++
			}
		}
	}
	var bodyPtr *C.uint8_t
	if len(body) > 0 {
		// The core reads at most 64 KiB + 1 bytes; a longer body is answered 413 all the same.
		if len(body) > MaxBodyBytes+1 {
			body = body[:MaxBodyBytes+1]
		}
		bodyPtr = (*C.uint8_t)(unsafe.Pointer(&body[0]))
	}

	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.ptr == nil {
		return nil, ErrClosed
	}
	var status C.uint16_t
	var headersJSON *C.char
	var outBody *C.uint8_t
	var outLen C.size_t
	// Every result fills the out-parameters with a response that can be sent as it is.
	C.kavach_handle(k.ptr, cs.add(method), cs.add(path), clientPtr, names, values, C.size_t(count),
		bodyPtr, C.size_t(len(body)), &status, &headersJSON, &outBody, &outLen)
	response := &Response{Status: int(status)}
	if outBody != nil {
		response.Body = C.GoBytes(unsafe.Pointer(outBody), C.int(outLen))
		C.kavach_bytes_free(outBody, outLen)
	}
	var pairs [][]string
	if err := json.Unmarshal(takeString(headersJSON), &pairs); err == nil {
		for _, pair := range pairs {
			if len(pair) == 2 {
				response.Headers = append(response.Headers, [2]string{pair[0], pair[1]})
			}
		}
	}
	return response, nil
}

// Handler serves every kavach route: mount it at BasePath without stripping the prefix, e.g.
// mux.Handle("/auth/", k.Handler()). It copies method, path, headers and at most 64 KiB + 1
// body bytes in (so the core answers an oversized body with 413), and the core's status,
// headers (Set-Cookie, Retry-After included) and body out. Nothing is decided here.
//
// It passes the host part of r.RemoteAddr (the TCP peer) and every header: the core derives the
// client key for Config.RateLimit from them, believing X-Forwarded-For only from a peer in
// Config.TrustedProxies (behind a reverse proxy, list it there).
func (k *Kavach) Handler() http.Handler {
	return k.HandlerWithClientKey(PeerIP)
}

// HandlerWithClientKey is Handler with the peer (from which the core derives the client key for
// Config.RateLimit) taken from clientKey(r); "" means none, never rate-limited. For a server
// whose RemoteAddr is not the TCP peer; behind a reverse proxy, use Handler and
// Config.TrustedProxies instead. Never return a value read from a header the client controls.
func (k *Kavach) HandlerWithClientKey(clientKey func(r *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			writeError(w, &Error{Code: CodeInvalidRequest, Status: 400, Message: "the request body could not be read"})
			return
		}
		response, err := k.Handle(r.Method, r.URL.RequestURI(), clientKey(r), r.Header, body)
		if err != nil {
			writeError(w, &Error{Code: CodeInternal, Status: 500, Message: "internal error"})
			return
		}
		for _, h := range response.Headers {
			w.Header().Add(h[0], h[1])
		}
		w.WriteHeader(response.Status)
		_, _ = w.Write(response.Body)
	})
}

// PeerIP is the IP address of the request's TCP peer: the host part of r.RemoteAddr
// ("203.0.113.7", "2001:db8::1"), or RemoteAddr itself when it has no port (as some
// middleware leaves it). Handler's client key.
func PeerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// WriteError answers err in the core's error shape: an *Error with its status, its JSON
// ({"error", "code", "status", "retryAfter"?}) and Retry-After when it has RetryAfter, anything
// else as 500 INTERNAL (its text is not sent).
// For a host's own routes (a sign-up handler, say) that call kavach methods.
func WriteError(w http.ResponseWriter, err error) {
	var kerr *Error
	if !errors.As(err, &kerr) {
		kerr = &Error{Code: CodeInternal, Status: 500, Message: "internal error"}
	}
	writeError(w, kerr)
}

func writeError(w http.ResponseWriter, err *Error) {
	body, _ := json.Marshal(err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(err.RetryAfter))
	}
	w.WriteHeader(err.Status)
	_, _ = w.Write(body)
}
