#!/usr/bin/env bash
# Builds what the demo needs and starts it: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth, and the demo-only POST /demo/signup.
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a postgres://
# URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION
# (preferred).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v node >/dev/null || { echo "node not found: install Node.js 20.17 or newer" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

bash "$root/bindings/node/scripts/build.sh" >&2
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
if [ ! -d node_modules/express ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node server.js
