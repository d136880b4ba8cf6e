#!/usr/bin/env bash
# Sets up and runs the browser suite against E2E_SERVER_CMD (default examples/rust-server/run.sh).
# Extra arguments go to `node --test` (e.g. --test-name-pattern=autofill).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/setup.sh"
cd "$here"
started=$SECONDS
echo "# server command: ${E2E_SERVER_CMD:-examples/rust-server/run.sh}"
status=0
node --test --test-concurrency=1 "$@" e2e.test.js || status=$?
echo "# browser suite: $((SECONDS - started)) s"
exit $status
