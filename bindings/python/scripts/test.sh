#!/usr/bin/env bash
# Builds the Python package kavach_passkeys and runs its checks: pytest, mypy --strict (package, tests,
# examples/fastapi, examples/flask, examples/django), mypy.stubtest (the native module against _native.pyi), ruff, and clippy /
# rustfmt for the binding crate. Idempotent; works from a clean clone (Python 3.10+, Rust).
#
# The wheel is built by `pip install ./bindings/python` (PEP 517, maturin in an isolated build
# environment): the way users install it, proving that path on every run. The build shares the
# workspace's target directory, so only what changed is recompiled.
#
# Environment: PYTHON (python3) picks the interpreter.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
started=$SECONDS

command -v "$python" >/dev/null || { echo "$python not found: install Python 3.10 or newer" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      echo "# installing python3-venv (Debian's python3 lacks ensurepip)"
      apt-get install -y -qq python3-venv || { apt-get update -qq && apt-get install -y -qq python3-venv; }
    else
      echo "$python cannot create a venv: install python3-venv" >&2
      exit 1
    fi
  fi
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip install --quiet --disable-pip-version-check)

# Dev tools, pinned; reinstalled only when requirements-dev.txt changes.
stamp="$venv/.requirements-dev"
wanted="$(sha256sum "$here/requirements-dev.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  "${pip[@]}" -r "$here/requirements-dev.txt"
  echo "$wanted" > "$stamp"
fi

echo "# building and installing kavach_passkeys (pip install ./bindings/python)"
build_started=$SECONDS
"${pip[@]}" "$here"
echo "# build + install: $((SECONDS - build_started)) s"

cd "$here"
echo "# pytest"
"$py" -m pytest -q
echo "# mypy --strict"
"$py" -m mypy --strict python tests "$root/examples/fastapi/app.py"
"$py" -m mypy --strict "$root/examples/flask/app.py"  # a second run: both examples are a module `app`
(cd "$root/examples/django" && "$py" -m mypy --strict demo serve.py)
echo "# stubtest"
"$py" -m mypy.stubtest kavach_passkeys._native
echo "# ruff"
examples=("$root/examples/fastapi" "$root/examples/flask" "$root/examples/django")
"$venv/bin/ruff" format --check . "${examples[@]}"
"$venv/bin/ruff" check . "${examples[@]}"
echo "# clippy, rustfmt (kavach-python)"
(cd "$root" && cargo clippy --quiet -p kavach-python --all-targets -- -D warnings)
(cd "$root" && cargo fmt -p kavach-python --check)
echo "# bindings/python: all checks passed in $((SECONDS - started)) s"
