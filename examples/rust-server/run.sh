#!/usr/bin/env bash
# Builds and starts the Rust demo server: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth, and the demo-only POST /demo/signup.
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory),
# KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION (preferred),
# KAVACH_ATTESTATION (none), KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the passkey
# options), KAVACH_METRICS_TOKEN (when set, GET /metrics wants Authorization: Bearer <token>).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

(cd "$root" && cargo build --release -p kavach-rust-server) >&2
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error)
fi

target="${CARGO_TARGET_DIR:-$root/target}"
cd "$here"
exec "$target/release/kavach-rust-server"
