#!/usr/bin/env bash
# Builds what the demo needs and starts it: the page at http://localhost:${PORT:-3000}/, the passkey
# endpoints under /auth, and the demo-only POST /demo/signup (Django on waitress).
#
# Environment: PORT (3000), DATABASE_URL (default: SQLite kavach.db in this directory; a postgres://
# URL selects PostgreSQL), KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION
# (preferred), KAVACH_ATTESTATION (none), KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the
# passkey options). PYTHON picks the interpreter (python3, 3.10 or newer).
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

# Rebuild and reinstall kavach_passkeys (bindings/python and the core) whenever their sources or
# this demo's requirements change; otherwise start at once.
stamp="$venv/.kavach_passkeys-sources"
sources="$(cd "$root" && find core/src core/Cargo.toml bindings/python/src bindings/python/python \
  bindings/python/Cargo.toml bindings/python/pyproject.toml Cargo.lock examples/django/requirements.txt \
  -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sources" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
    "$(grep '^maturin==' "$root/bindings/python/requirements-dev.txt")" >&2
  # maturin straight away rather than `pip install bindings/python`, so cargo's progress shows.
  # The build is the workspace's release build (target/release), shared with every other
  # binding and example: after any of them only the Python binding itself compiles.
  echo "# building kavach_passkeys (maturin build --release)" >&2
  wheels="$root/target/wheels/django-example"
  rm -rf "$wheels"
  (cd "$root" && "$venv/bin/maturin" build --release --manifest-path bindings/python/Cargo.toml --out "$wheels") >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/*.whl >&2
  echo "$sources" > "$stamp"
fi

if [ ! -f "$root/examples/web/node_modules/@simplewebauthn/browser/esm/index.js" ]; then
  (cd "$root/examples/web" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$here"
# serve.py listens on 127.0.0.1 and ::1 itself (rpId `localhost` needs the page at
# http://localhost:PORT, which a browser may reach on either) and runs waitress on those sockets.
exec "$venv/bin/python" serve.py
