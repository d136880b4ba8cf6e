#!/usr/bin/env bash
# Builds the native module of `kavachos` (release) into native/. Idempotent: installs the npm
# dev dependencies only when node_modules is missing or older than package-lock.json.
# Clean build about 100 s on 2 cores (all Rust dependencies for x86_64-unknown-linux-gnu);
# incremental (binding or core change) about 20-40 s; nothing changed, a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run build
