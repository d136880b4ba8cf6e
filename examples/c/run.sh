#!/usr/bin/env bash
# Builds libkavach and the C demo server, then starts it: the page at
# http://localhost:${PORT:-3000}/, the passkey endpoints under /auth (kavach_handle), and the
# demo-only POST /demo/signup (kavach_create_user + kavach_create_session).
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory),
# KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION (preferred),
# KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the passkey options), CC (cc).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/target"

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
(cd "$root" && cargo build --release -p kavach-ffi) >&2
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -I"$root/include" "$here/server.c" \
  -L"$target/release" -lkavach -Wl,-rpath,"$target/release" -lpthread -o "$target/kavach-c-server"
if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
# The C server splices the object's members in; whether it is one is checked here, with a parser.
if [ -n "${KAVACH_PASSKEY_OPTIONS_JSON:-}" ] && ! node -e '
  const v = JSON.parse(process.env.KAVACH_PASSKEY_OPTIONS_JSON);
  if (v === null || typeof v !== "object" || Array.isArray(v)) process.exit(1);' 2>/dev/null; then
  echo "kavach demo: KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object of passkey options, e.g. '{\"hints\": [\"hybrid\"]}'" >&2
  exit 1
fi
cd "$here"
export KAVACH_WEB_DIR="${KAVACH_WEB_DIR:-$root/examples/web}"
exec "$target/kavach-c-server"
