#!/usr/bin/env bash
# Installs what the browser tests need; safe to run again (each step is skipped or quick when done).
#  - Chromium from Debian (never `npx playwright install`: no browser downloads here)
#  - playwright-core (this directory) and @simplewebauthn/browser (examples/web) with npm ci
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

started=$SECONDS
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
echo "# chromium: $("$chromium" --version 2>/dev/null || echo missing) ($((SECONDS - started)) s)"

started=$SECONDS
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error)
echo "# npm ci (tests/e2e, examples/web): $((SECONDS - started)) s"
