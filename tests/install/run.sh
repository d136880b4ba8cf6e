#!/usr/bin/env bash
# Installs every package of dist/ (scripts/package.sh) into a fresh directory, with no cargo or
# rustc on PATH, and runs a real passkey ceremony (registration, sign-in, a forged signature
# refused) through each: the npm tarballs, the wheel in a new venv, libkavach through pkg-config
# (shared and static) from C, and the Go package through the same pkg-config file. Then it runs
# every code block of README.md and docs/ against those installations (scripts/snippets.mjs).
#
#   tests/install/run.sh [dist directory]        SKIP_SNIPPETS=1 skips the last part
#
# Before Rust leaves PATH it builds the one test tool written in Rust, the software
# authenticator program that the C and Go ceremonies talk to (ffi/examples/soft_authenticator.rs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
version="$(awk -F'"' '/^version = / { print $2; exit }' "$root/Cargo.toml")"
started=$SECONDS
step() { printf '\n== install test: %s\n' "$*"; step_started=$SECONDS; }
took() { echo "# $1: $((SECONDS - step_started)) s"; }

for file in "kavachos-$version.tgz" "kavachos-linux-x64-gnu-$version.tgz" \
  "kavach_passkeys-$version-cp310-abi3-manylinux_2_28_x86_64.whl" "libkavach-$version-linux-x86_64-gnu.tar.gz"; do
  [ -f "$dist/$file" ] || { echo "missing $dist/$file: run scripts/package.sh first" >&2; exit 1; }
done

step "the software authenticator program (built while Rust is still on PATH)"
(cd "$root" && cargo build --release -p kavach-ffi --example soft-authenticator)
authenticator="$root/target/release/examples/soft-authenticator"
took authenticator

# From here on: no Rust toolchain.
clean_path=""
IFS=: read -r -a entries <<< "$PATH"
for entry in "${entries[@]}"; do
  if [ -x "$entry/cargo" ] || [ -x "$entry/rustc" ]; then continue; fi
  clean_path="${clean_path:+$clean_path:}$entry"
done
export PATH="$clean_path"
unset RUSTUP_TOOLCHAIN CARGO CARGO_HOME RUSTUP_HOME
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  echo "cargo or rustc is still on PATH" >&2
  exit 1
fi
echo "# PATH has no cargo and no rustc"

work="$(mktemp -d "${TMPDIR:-/tmp}/kavach-install-XXXXXX")"
trap 'rm -rf "$work"' EXIT

step "npm: kavachos + kavachos-linux-x64-gnu from dist/ into a new project"
mkdir "$work/npm"
cd "$work/npm"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$dist/kavachos-$version.tgz" "$dist/kavachos-linux-x64-gnu-$version.tgz"
cp "$root/bindings/node/test/helpers/authenticator.mjs" "$here/ceremony.mjs" .
node ceremony.mjs "$version"
took npm

step "Python: the wheel from dist/ into a new venv"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
# The test authenticator's only dependency, at the version the binding's tests pin.
cryptography="$(grep '^cryptography==' "$root/bindings/python/requirements-dev.txt")"
"$py" -m pip install --quiet --disable-pip-version-check "$dist/kavach_passkeys-$version-cp310-abi3-manylinux_2_28_x86_64.whl" "$cryptography"
mkdir "$work/python"
cd "$work/python"
cp "$root/bindings/python/tests/authenticator.py" "$here/ceremony.py" .
"$py" ceremony.py "$version"
took Python

step "C: libkavach from dist/ through pkg-config, shared and static"
tar -C "$work" -xzf "$dist/libkavach-$version-linux-x86_64-gnu.tar.gz"
export PKG_CONFIG_PATH="$work/libkavach-$version-linux-x86_64-gnu/lib/pkgconfig"
# shellcheck source=bindings/go/scripts/cgo-key.sh
source "$root/bindings/go/scripts/cgo-key.sh"
[ "$(pkg-config --modversion kavach)" = "$version" ]
mkdir "$work/c"
cd "$work/c"
strict=(-std=c11 -Wall -Wextra -Werror -pedantic)
# shellcheck disable=SC2046
cc "${strict[@]}" "$root/examples/c/ceremony.c" $(pkg-config --cflags --libs kavach) -o ceremony
installed="$work/libkavach-$version-linux-x86_64-gnu/lib/libkavach.so"
# The libkavach.so a program loads, as a canonical path.
loaded() { realpath "$(ldd "$1" | awk '/libkavach\.so =>/ {print $3}')"; }
[ "$(loaded ceremony)" = "$installed" ] || { ldd ceremony; echo "ceremony does not load $installed" >&2; exit 1; }
./ceremony "$authenticator" "file:$work/c/shared.db"
libdir="$(pkg-config --variable=libdir kavach)"
# shellcheck disable=SC2046
cc "${strict[@]}" "$root/examples/c/ceremony.c" $(pkg-config --cflags kavach) "$libdir/libkavach.a" \
  $(pkg-config --static --libs-only-l kavach | sed 's/-lkavach//') -o ceremony-static
if ldd ceremony-static | grep libkavach >/dev/null; then echo "the static build loads libkavach.so" >&2; exit 1; fi
./ceremony-static "$authenticator" "file:$work/c/static.db"
took C

step "Go: bindings/go linked against the installed libkavach through pkg-config"
mkdir "$work/go"
cd "$work/go"
cp "$here/go/main.go" .
cat > go.mod <<EOF
module installtest

go 1.21

require github.com/kavach/kavach/bindings/go v0.0.0

replace github.com/kavach/kavach/bindings/go => $root/bindings/go
EOF
GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=1 go build -o install-ceremony .
[ "$(loaded install-ceremony)" = "$installed" ] \
  || { ldd install-ceremony; echo "the Go program does not load $installed" >&2; exit 1; }
./install-ceremony "$authenticator" "$version"
took Go

echo
echo "# install test: every package installed and ran a ceremony with no Rust on PATH, in $((SECONDS - started)) s"
echo "install: 4 passed, 0 failed"

if [ "${SKIP_SNIPPETS:-0}" = 1 ]; then exit 0; fi

step "the documentation's code blocks, against these installations"
# What the snippets import besides kavach: express (Node), FastAPI and uvicorn, Django, Flask and
# waitress (Python), pinned as the examples pin them.
express="$(node -p "require('$root/examples/express/package.json').dependencies.express")"
(cd "$work/npm" && npm install --no-audit --no-fund --loglevel=error "express@$express")
"$py" -m pip install --quiet --disable-pip-version-check -r "$root/examples/fastapi/requirements.txt" \
  -r "$root/examples/django/requirements.txt" -r "$root/examples/flask/requirements.txt"
cd "$root"
SNIPPETS_NODE_MODULES="$work/npm/node_modules" SNIPPETS_PYTHON="$py" node scripts/snippets.mjs
took snippets
