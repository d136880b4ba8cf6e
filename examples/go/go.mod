module github.com/kavach/kavach/examples/go

go 1.21

require github.com/kavach/kavach/bindings/go v0.0.0

// The binding from this repository (no network needed: GOPROXY=off works).
replace github.com/kavach/kavach/bindings/go => ../../bindings/go
