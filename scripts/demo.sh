#!/usr/bin/env bash
# The demo: the Express example on http://localhost:${PORT:-3000}, on SQLite (examples/express/kavach.db).
# Builds the Node binding (cargo build --release, shared with every other example; cargo shows its
# progress; about 2-3 min on 2 cores the first time, seconds afterwards) while npm installs the
# page's and Express's dependencies.
# Sign up, add a passkey, sign out, sign in with it (by email, without one, or by autofill), manage passkeys.
set -euo pipefail
cd "$(dirname "$0")/.."
exec examples/express/run.sh
