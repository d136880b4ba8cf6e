#!/usr/bin/env bash
# The Go binding's tests: builds libkavach (cgo links target/release/libkavach.so), then gofmt,
# go vet and go test (with the race detector: 32 goroutines share one instance) for the package
# and the example server. No network: GOPROXY=off.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=1
step() { printf '\n# %s\n' "$*"; }

step "build libkavach (release)"
(cd "$root" && CARGO_TARGET_DIR="$root/target" cargo build --release --quiet -p kavach-ffi)

for dir in "$root/bindings/go" "$root/examples/go"; do
  cd "$dir"
  step "gofmt + go vet: ${dir#"$root"/}"
  unformatted="$(gofmt -l .)"
  [ -z "$unformatted" ] || { echo "not gofmt-formatted: $unformatted" >&2; exit 1; }
  go vet ./...
done

cd "$root/bindings/go"
step "go test -race (bindings/go)"
go test -race -count=1 -v ./... 2>&1 | grep -E '^(=== RUN|--- |ok|FAIL|PASS|panic)' | grep -v '=== RUN'
test "${PIPESTATUS[0]}" -eq 0

cd "$root/examples/go"
step "go build (examples/go)"
go build -o "$root/target/kavach-go-demo" .
printf '\ngo: all tests passed\n'
