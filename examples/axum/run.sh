#!/usr/bin/env bash
# Builds and starts the axum demo: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth (kavach-axum), and the demo-only POST /demo/signup.
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a postgres://
# URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION
# (preferred), KAVACH_ATTESTATION (none), KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the
# passkey options; the demo refuses to start on invalid JSON or a non-object), KAVACH_METRICS_TOKEN
# (when set, GET /metrics wants Authorization: Bearer <token>).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

# The npm install (network) runs while cargo compiles (CPU).
install=""
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  command -v npm >/dev/null || { echo "npm not found: install Node.js 20.17 or newer (for the page's browser library)" >&2; exit 1; }
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error) >&2 &
  install=$!
fi
(cd "$root" && cargo build --release -p kavach-axum-demo) >&2
if [ -n "$install" ]; then
  wait "$install" || { echo "npm ci failed (examples/web)" >&2; exit 1; }
fi

target="${CARGO_TARGET_DIR:-$root/target}"
cd "$here"
exec "$target/release/kavach-axum-demo"
