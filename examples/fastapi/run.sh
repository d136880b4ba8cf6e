#!/usr/bin/env bash
# Builds what the demo needs and starts it: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth, and the demo-only POST /demo/signup (FastAPI on uvicorn).
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a postgres://
# URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION
# (preferred). PYTHON picks the interpreter (python3, 3.10 or newer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "$python not found: install Python 3.10 or newer" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      echo "installing python3-venv (Debian's python3 lacks ensurepip)" >&2
      apt-get install -y -qq python3-venv >&2 || { apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2; }
    else
      echo "$python cannot create a venv: install python3-venv" >&2
      exit 1
    fi
  fi
  "$python" -m venv "$venv"
fi

# Reinstall kavachos (a maturin build of bindings/python and the core) whenever their sources or
# this demo's requirements change; otherwise start at once.
stamp="$venv/.kavachos-sources"
sources="$(cd "$root" && find core/src core/Cargo.toml bindings/python/src bindings/python/python \
  bindings/python/Cargo.toml bindings/python/pyproject.toml Cargo.lock examples/fastapi/requirements.txt \
  -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sources" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  # A local directory is always rebuilt and reinstalled; the build runs in the workspace's
  # target directory, so only what changed is compiled again.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/bindings/python" >&2
  echo "$sources" > "$stamp"
fi

if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$here"
# rpId `localhost` needs the page at http://localhost:PORT; Chromium falls back from ::1 to
# 127.0.0.1 at once.
exec "$venv/bin/python" -m uvicorn app:app --host 127.0.0.1 --port "${PORT:-3000}" --no-access-log
