package kavach

/*
#include <stddef.h>
*/
import "C"

import (
	"encoding/json"
	"runtime/cgo"
	"unsafe"
)

// kavachGoEvent is the event callback: called on kavach's delivery thread with the handle of the
// instance's Go function. A panic in that function is recovered here: it must not unwind into C.
//
//export kavachGoEvent
func kavachGoEvent(userData unsafe.Pointer, text *C.char, length C.size_t) {
	defer func() { _ = recover() }()
	fn, ok := cgo.Handle(uintptr(userData)).Value().(func(Event))
	if !ok {
		return
	}
	var event Event
	if json.Unmarshal(C.GoBytes(unsafe.Pointer(text), C.int(length)), &event) == nil {
		fn(event)
	}
}

// kavachGoLog is the log callback, as kavachGoEvent.
//
//export kavachGoLog
func kavachGoLog(userData unsafe.Pointer, text *C.char, length C.size_t) {
	defer func() { _ = recover() }()
	if fn, ok := cgo.Handle(uintptr(userData)).Value().(func(string)); ok {
		fn(C.GoStringN(text, C.int(length)))
	}
}
