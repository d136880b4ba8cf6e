#!/usr/bin/env bash
# Builds what the demo needs and starts it: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth, and the demo-only POST /demo/signup.
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a postgres://
# URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION
# (preferred), KAVACH_ATTESTATION (none), KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the
# passkey options; the demo refuses to start on invalid JSON or a non-object).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v node >/dev/null || { echo "node not found: install Node.js 20.17 or newer" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

# The npm installs (network) run while cargo compiles (CPU).
installs=()
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error) >&2 &
  installs+=($!)
fi
if [ ! -d "$here/node_modules/fastify" ] || [ "$here/package-lock.json" -nt "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 &
  installs+=($!)
fi
bash "$root/bindings/node/scripts/build.sh" >&2
for pid in "${installs[@]}"; do
  wait "$pid" || { echo "npm ci failed (examples/web or examples/fastify)" >&2; exit 1; }
done
cd "$here"
exec node server.js
