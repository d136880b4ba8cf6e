#!/usr/bin/env bash
# The Go binding's tests: builds libkavach (the workspace's release build), points pkg-config at
# it (target/release/pkgconfig/kavach.pc), then gofmt, go vet and go test (with the race
# detector: 32 goroutines share one instance) for the package and the example server. No
# network (GOPROXY=off) except for tests/prometheus-go, which downloads Prometheus' text parser.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=1
step() { printf '\n# %s\n' "$*"; }

step "build libkavach (release) and its pkg-config file"
(cd "$root" && cargo build --release -p kavach-ffi)
PKG_CONFIG_PATH="$(dirname "$(bash "$root/ffi/scripts/pkg-config.sh")")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
# shellcheck source=bindings/go/scripts/cgo-key.sh
source "$root/bindings/go/scripts/cgo-key.sh"

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

cd "$root/tests/prometheus-go"
step "metrics through Prometheus' own text parser (tests/prometheus-go: its own module, so the binding keeps no dependency)"
unformatted="$(gofmt -l .)"
[ -z "$unformatted" ] || { echo "not gofmt-formatted: $unformatted" >&2; exit 1; }
# This module alone downloads (prometheus/common, pinned by its go.sum) from the default module proxy.
(unset GOPROXY && go vet ./... && go test -count=1 -v ./... 2>&1 | grep -E '^(--- |ok|FAIL|PASS|panic)')

cd "$root/examples/go"
step "go build (examples/go)"
go build -o "$root/target/kavach-go-demo" .
printf '\ngo: all tests passed\n'
