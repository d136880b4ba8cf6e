#!/usr/bin/env bash
# Builds libkavach and the Go demo, then starts it: the page at http://localhost:${PORT:-3000}/,
# the passkey endpoints under /auth, and the demo-only POST /demo/signup.
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a
# postgres:// URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise),
# KAVACH_USER_VERIFICATION (preferred), KAVACH_PASSKEY_OPTIONS_JSON and KAVACH_OPTIONS_JSON (JSON
# objects merged over the passkey options and the top-level options; see main.go).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v go >/dev/null || { echo "go not found: install Go 1.21 or newer" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

# libkavach from the workspace's release build (shared with every other example), found by cgo
# through pkg-config (target/release/pkgconfig/kavach.pc, see bindings/go/kavach.go).
(cd "$root" && cargo build --release -p kavach-ffi) >&2
PKG_CONFIG_PATH="$(dirname "$(bash "$root/ffi/scripts/pkg-config.sh")")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
# shellcheck source=bindings/go/scripts/cgo-key.sh
source "$root/bindings/go/scripts/cgo-key.sh"
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
cd "$here"
GOFLAGS=-mod=mod GOPROXY=off go build -o "$root/target/kavach-go-demo" . >&2
exec "$root/target/kavach-go-demo"
