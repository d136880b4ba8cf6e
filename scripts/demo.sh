#!/usr/bin/env bash
# The demo: the Express example on http://localhost:${PORT:-3000}, on SQLite (examples/express/kavach.db).
# Builds the Node binding and installs the page's dependencies first (about 2 minutes the first time).
# Sign up, add a passkey, sign out, sign in with it (by email, without one, or by autofill), manage passkeys.
set -euo pipefail
cd "$(dirname "$0")/.."
exec examples/express/run.sh
