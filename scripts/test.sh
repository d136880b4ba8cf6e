#!/usr/bin/env bash
# Runs every test kavach has, installing what the tests need first. Safe to re-run.
#   scripts/test.sh            everything
# Needs: a Rust toolchain >= 1.89 (rustup), python3 >= 3.10, node >= 20.17, go >= 1.21; installs
# Chromium with apt, and zig (PyPI ziglang) for the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

step_started=$SECONDS
step() {
  [ -z "${step_name:-}" ] || echo "# step took $((SECONDS - step_started)) s: $step_name"
  step_name="$*"
  step_started=$SECONDS
  printf '\n== %s\n' "$*"
}

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

step "rust tests"
mkdir -p target
log=target/test-output.log
: > "$log"
set +e
KAVACH_DIFFERENTIAL=required KAVACH_CONFORMANCE_DIR="$conformance" cargo test --workspace --locked -- --nocapture 2>&1 \
  | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "rust tests failed (exit $status); full output in $log" >&2; exit "$status"; }

step "rust core tests on PostgreSQL (scripts/postgres.sh: a throwaway server on loopback)"
pg_url=$(bash scripts/postgres.sh start)
trap 'bash scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
set +e
KAVACH_TEST_POSTGRES_URL="$pg_url" KAVACH_DIFFERENTIAL=required KAVACH_CONFORMANCE_DIR="$conformance" \
  cargo test -p kavach-core --locked -- --nocapture 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "rust core tests on PostgreSQL failed (exit $status); full output in $log" >&2; exit "$status"; }

step "rust core tests on PostgreSQL over TLS (verify-full to a TLS-only server, throwaway CA)"
tls_dir="${TMPDIR:-/tmp}/kavach-postgres-tls"
pg_tls_url=$(KAVACH_PG_DIR="$tls_dir" KAVACH_PG_TLS=1 bash scripts/postgres.sh start)
trap 'bash scripts/postgres.sh stop >/dev/null 2>&1 || true; KAVACH_PG_DIR="$tls_dir" bash scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
set +e
KAVACH_TEST_POSTGRES_URL="$pg_tls_url" KAVACH_TEST_POSTGRES_TLS_URL="$pg_tls_url" KAVACH_TEST_POSTGRES_PLAIN_URL="$pg_url" \
  KAVACH_DIFFERENTIAL=required KAVACH_CONFORMANCE_DIR="$conformance" \
  cargo test -p kavach-core --locked -- --nocapture 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "rust core tests on PostgreSQL over TLS failed (exit $status); full output in $log" >&2; exit "$status"; }

step "node binding (kavachos): build, format, types, tests"
bash bindings/node/scripts/build.sh
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
(cd bindings/node && npm run --silent fmt:check && npm run --silent typecheck)
set +e
(cd bindings/node && npm test) 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "node tests failed (exit $status)" >&2; exit "$status"; }

step "C ABI (libkavach): header check, Rust tests, C tests under ASan/UBSan, C examples"
set +e
bash ffi/scripts/test.sh 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "C ABI tests failed (exit $status)" >&2; exit "$status"; }

step "Go package: gofmt, go vet, go test -race"
set +e
bash bindings/go/scripts/test.sh 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "Go tests failed (exit $status)" >&2; exit "$status"; }

step "Python package (kavach-passkeys): wheel, pytest, mypy --strict, ruff"
set +e
bash bindings/python/scripts/test.sh 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "Python tests failed (exit $status)" >&2; exit "$status"; }

step "packages: scripts/package.sh writes dist/ (npm, wheel, libkavach; zig, glibc 2.28; the napi loader must match the committed one)"
bash scripts/package.sh 2>&1 | tee -a "$log"

step "install test: every package from dist/ with no Rust on PATH, a real ceremony each; then every README/docs snippet"
set +e
bash tests/install/run.sh 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "install test or documentation snippets failed (exit $status)" >&2; exit "$status"; }

step "browser suite (Chromium + virtual authenticator) against every example server"
for server in examples/express/run.sh examples/fastify/run.sh examples/fastapi/run.sh examples/django/run.sh \
  examples/flask/run.sh examples/rust-server/run.sh examples/axum/run.sh examples/go/run.sh examples/c/run.sh; do
  set +e
  E2E_SERVER_CMD="$server" bash tests/e2e/run.sh 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || { echo "browser suite failed against $server (exit $status)" >&2; exit "$status"; }
done

step "load balancer: HAProxy (apt) before 3 Express, then Express + FastAPI + Go, on one PostgreSQL; SIGKILLs and a PostgreSQL restart under 16 clients (tests/load-balancer)"
set +e
bash tests/load-balancer/run.sh 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "load-balancer test failed (exit $status); logs in target/load-balancer" >&2; exit "$status"; }

step "fuzzing: each target for 20 s (scripts/fuzz.sh; long runs: FUZZ_JOBS=2 scripts/fuzz.sh 300)"
bash scripts/fuzz.sh 20

step "benchmark scripts, quick mode (numbers: bench/README.md; full run: bench/run.sh)"
bash bench/run.sh --quick

step "done"
awk '/^test result: ok/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "passed;") p += $i }
     /^# pass / { p += $3 }
     /^--- PASS/ { p += 1 }
     /^=+ [0-9]+ passed/ { p += $2 }
     /^[0-9]+ passed in / { p += $1 }
     /^test_kavach: all [0-9]+ checks passed/ { p += 1 }  # one C test program
     /^load-balancer [a-z]+: ok: / { p += 1 }  # one load-balancer pass
     /^(install|snippets): [0-9]+ passed, 0 failed/ { p += $2 }
     END { printf "\nkavach: %d passed, 0 failed\n", p }' "$log"
