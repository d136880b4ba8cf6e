#!/usr/bin/env bash
# Runs every test kavach has, installing what the tests need first. Safe to re-run.
#   scripts/test.sh            everything
# Needs: a Rust toolchain >= 1.89 with rustfmt and clippy (rustup), python3 >= 3.9 with venv, node >= 20.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchains"
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
cargo --version
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi

step "differential-test peers (py_webauthn, @simplewebauthn/server)"
bash tests/differential/setup.sh

step "conformance vectors"
conformance="${KAVACH_CONFORMANCE_DIR:-$PWD/../shared/conformance}"
[ -d "$conformance" ] || { echo "conformance vectors not found at $conformance (set KAVACH_CONFORMANCE_DIR)" >&2; exit 1; }
echo "$conformance"

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
mkdir -p target
set +e
KAVACH_DIFFERENTIAL=required KAVACH_CONFORMANCE_DIR="$conformance" cargo test --workspace --locked -- --nocapture 2>&1 \
  | tee target/test-output.log
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "tests failed (exit $status); full output in target/test-output.log" >&2
  exit "$status"
fi
awk '/^test result: ok/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "passed;") p += $i }
     END { printf "\nkavach: %d passed, 0 failed\n", p }' target/test-output.log
