// Package kavach is the Go binding of kavach, a passkey (WebAuthn) server library whose whole
// behaviour lives in a Rust core. This package only translates: Go values to the C ABI
// (libkavach, include/kavach.h) and back, JSON results to Go structs, and error codes to
// *Error. Routes, validation, cookies and status codes are the core's.
//
// cgo finds libkavach through pkg-config (`kavach.pc`): set PKG_CONFIG_PATH to the
// lib/pkgconfig directory of an unpacked libkavach tarball (scripts/package.sh writes it to
// dist/), or, in a kavach checkout, build it with ffi/scripts/pkg-config.sh after
// `cargo build --release -p kavach-ffi` and use target/release/pkgconfig. kavach.pc links with an
// rpath to the library's directory. See docs/host-api.md for the whole API.
//
//	k, err := kavach.New(kavach.Config{
//		Secret:  os.Getenv("KAVACH_SECRET"),
//		BaseURL: "http://localhost:3000",
//		Passkey: &kavach.PasskeyConfig{RPName: "Demo", RPID: "localhost"},
//	})
//	if err != nil { ... }
//	defer k.Close()
//	mux.Handle("/auth/", k.Handler())
//
// A *Kavach is safe for concurrent use by any number of goroutines.
package kavach

/*
#cgo pkg-config: kavach
#include <stdlib.h>
#include "kavach.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// Version is the version of the libkavach this program runs with, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.kavach_version())
}

// MaxBodyBytes is the largest request body kavach accepts (64 KiB); Handler reads at most one
// byte more, so that the core itself answers 413 PAYLOAD_TOO_LARGE.
const MaxBodyBytes = 64 * 1024

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("kavach: instance is closed")

// Kavach is one configured instance: settings plus an open database.
type Kavach struct {
	// mu guards ptr: calls hold it shared, Close exclusively, so Close waits for running calls
	// and no call ever sees a freed handle.
	mu  sync.RWMutex
	ptr *C.kavach_t
	// eventHandle is the handle of the event handler (0: none), deleted by Close.
	eventHandle cgo.Handle
}

// New validates cfg (an *Error with Code INVALID_CONFIG says which setting is wrong) and opens
// the database, running its migrations.
func New(cfg Config) (*Kavach, error) {
	text, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	k, err := NewFromJSON(string(text))
	if err != nil || cfg.OnEvent == nil {
		return k, err
	}
	if err := k.setEventHandler(cfg.OnEvent); err != nil {
		_ = k.Close()
		return nil, err
	}
	return k, nil
}

// NewFromJSON is New with the configuration as JSON text (docs/configuration.md names, camelCase or
// snake_case).
func NewFromJSON(config string) (*Kavach, error) {
	cConfig := C.CString(config)
	defer C.free(unsafe.Pointer(cConfig))
	var ptr *C.kavach_t
	var errorJSON *C.char
	result := C.kavach_new(cConfig, &ptr, &errorJSON)
	if result != C.KAVACH_OK {
		return nil, errorFrom(result, takeString(errorJSON))
	}
	return &Kavach{ptr: ptr}, nil
}

// Close delivers the pending events to the event handler (waiting at most 5 s), then frees the
// instance and closes its database, after the calls in progress return. It is safe to call more
// than once; every later call returns ErrClosed. Do not call it from an event handler.
func (k *Kavach) Close() error {
	// First the events, sharing the lock: a handler that calls this instance still can.
	k.mu.RLock()
	if k.ptr != nil {
		C.kavach_close(k.ptr)
	}
	k.mu.RUnlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	C.kavach_free(k.ptr)
	k.ptr = nil
	if k.eventHandle != 0 {
		k.eventHandle.Delete()
		k.eventHandle = 0
	}
	return nil
}

// BasePath is the validated route prefix, e.g. "/auth".
func (k *Kavach) BasePath() string {
	var path string
	if err := k.callInto(&path, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_base_path(p, out)
	}); err != nil {
		return "/auth"
	}
	return path
}

// call runs one C function on the live handle and returns its result JSON, or the error.
func (k *Kavach) call(fn func(p *C.kavach_t, out **C.char) C.kavach_result) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.char
	result := fn(k.ptr, &out)
	text := takeString(out)
	if result != C.KAVACH_OK {
		return nil, errorFrom(result, text)
	}
	return text, nil
}

// callInto is call, decoding the JSON into v.
func (k *Kavach) callInto(v any, fn func(p *C.kavach_t, out **C.char) C.kavach_result) error {
	text, err := k.call(fn)
	if err != nil {
		return err
	}
	return decode(text, v)
}

// statelessInto runs a function that needs no instance and decodes its JSON into v.
func statelessInto(v any, fn func(out **C.char) C.kavach_result) error {
	var out *C.char
	result := fn(&out)
	text := takeString(out)
	if result != C.KAVACH_OK {
		return errorFrom(result, text)
	}
	return decode(text, v)
}

func decode(text []byte, v any) error {
	if err := json.Unmarshal(text, v); err != nil {
		return &Error{Code: CodeInternal, Status: 500, Message: "kavach returned JSON this package cannot read: " + err.Error()}
	}
	return nil
}

// takeString copies a string kavach handed out and frees it.
func takeString(s *C.char) []byte {
	if s == nil {
		return nil
	}
	defer C.kavach_string_free(s)
	return []byte(C.GoString(s))
}

// cString is C.CString whose result the caller frees with freeAll.
type cStrings []*C.char

func (cs *cStrings) add(s string) *C.char {
	c := C.CString(s)
	*cs = append(*cs, c)
	return c
}

// optional is add, with "" as NULL.
func (cs *cStrings) optional(s string) *C.char {
	if s == "" {
		return nil
	}
	return cs.add(s)
}

func (cs cStrings) free() {
	for _, c := range cs {
		C.free(unsafe.Pointer(c))
	}
}
