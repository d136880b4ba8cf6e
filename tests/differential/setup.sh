#!/usr/bin/env bash
# Install the differential-testing peers locally (idempotent, non-interactive, quiet).
#   .venv/         -> py_webauthn, exact pins in requirements.txt
#   node_modules/  -> @simplewebauthn/server, exact pin in package.json, locked by package-lock.json
# Needs: python3 (3.11) with venv, node (20) + npm; network access to PyPI and the npm registry.
# Re-running is cheap: each half is skipped while its stamp matches the pin file's hash.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
log() { echo "setup.sh: $*" >&2; }
die() { log "$*"; exit 1; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"

# --- Python peer --------------------------------------------------------------
py_stamp=".venv/.kavach-requirements.sha256"
py_hash="$(hash_of requirements.txt)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$py_stamp" 2>/dev/null || true)" != "$py_hash" ]; then
  if [ ! -x .venv/bin/python ]; then
    rm -rf .venv
    "$PYTHON" -m venv .venv || die "python venv creation failed (is python3-venv installed?)"
  fi
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    .venv/bin/python -m pip install --quiet -r requirements.txt >/dev/null || die "pip install failed"
  echo "$py_hash" > "$py_stamp"
fi
.venv/bin/python -c 'import webauthn' || die "webauthn import failed"

# --- Node peer ----------------------------------------------------------------
js_stamp="node_modules/.kavach-lock.sha256"
js_hash="$(hash_of package.json package-lock.json)"
if [ "$(cat "$js_stamp" 2>/dev/null || true)" != "$js_hash" ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  echo "$js_hash" > "$js_stamp"
fi
node --input-type=module -e 'await import("@simplewebauthn/server")' || die "@simplewebauthn/server import failed"

py_ver="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("webauthn"))')"
js_ver="$(node -p 'require("./node_modules/@simplewebauthn/server/package.json").version')"
log "ok: webauthn $py_ver, @simplewebauthn/server $js_ver"
