#!/usr/bin/env bash
# kavach's benchmarks (issue #8), side by side with the peers, on one core each:
#   1. Criterion benches of kavach-core (core/benches/signin.rs): verify per algorithm, options,
#      the full sign-in pair through the router, registration, durability (FULL vs NORMAL).
#   2. node-bench.mjs: kavach via Node vs @simplewebauthn/server 14 (verify only; sign-in with
#      better-sqlite3 12 storage).
#   3. py-bench.py: kavach via Python vs py_webauthn 3 (verify only; sign-in with sqlite3).
#   4. http-bench.sh: HTTP sign-in pairs, 16 clients on loopback: the Express demo vs Express +
#      SimpleWebAuthn + better-sqlite3, the FastAPI example vs FastAPI + py_webauthn + sqlite3,
#      the Fastify, axum, Django and Flask demos next to each framework alone on the same routes
#      (its floor).
#   5. pg-bench.sh: HTTP sign-in and registration pairs on PostgreSQL (plaintext and TLS) next to
#      SQLite, one and two Express instances (not pinned), and the statements and round trips per
#      operation (roundtrips.mjs). --quick: PostgreSQL plaintext, one instance, and the counts.
# Servers and in-process benches run under `taskset -c 0`, the load generator under `taskset -c 1`.
#
# Usage: bash bench/run.sh [--quick]
#   --quick: each bench runs a second or two (CI smoke run: keeps the scripts from rotting; the
#            numbers are not measurements).
# Installs what it needs (idempotent, stamped): the release Node binding, bench/node_modules
# (npm ci, exact pins), bench/.venv (pip, exact pins, plus kavach_passkeys built from bindings/python).
# Environment: BENCH_DB_DIR (HTTP databases; /dev/shm), BENCH_SKIP (space-separated subset of
# "criterion node python http postgres" to skip).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
started=$SECONDS
quick=0
[ "${1:-}" = "--quick" ] && quick=1
skip=" ${BENCH_SKIP:-} "
log() { echo "# $*" >&2; }
for tool in node npm python3 cargo taskset; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 cores: server and load generator will share one"
hash_of() { (cd "$root" && find "$@" -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

# ---- install -------------------------------------------------------------------------------------
log "building the release Node binding"
bash "$root/bindings/node/scripts/build.sh" >/dev/null 2>"$here/.build-node.log" || { cat "$here/.build-node.log" >&2; exit 1; }
if [ ! -d "$root/examples/express/node_modules/express" ]; then
  (cd "$root/examples/express" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d "$root/examples/fastify/node_modules/fastify" ]; then
  (cd "$root/examples/fastify" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ "$skip" != *" http "* ]]; then
  log "building the axum demo and the axum floor (release)"
  (cd "$root" && cargo build --release --quiet -p kavach-axum-demo -p axum-bare) >&2
fi
stamp="$here/node_modules/.kavach-bench.sha256"
want="$(sha256sum "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "npm ci (bench/package-lock.json)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
py="$here/.venv/bin/python"
if [ ! -x "$py" ]; then python3 -m venv "$here/.venv"; fi
stamp="$here/.venv/.kavach-bench-requirements"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -r bench/requirements.txt"
  "$py" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi
stamp="$here/.venv/.kavach-passkeys-sources"
want="$(hash_of core/src core/Cargo.toml bindings/python/src bindings/python/python bindings/python/Cargo.toml bindings/python/pyproject.toml Cargo.lock)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install bindings/python (release build)"
  "$py" -m pip install --quiet --disable-pip-version-check "$root/bindings/python"
  echo "$want" > "$stamp"
fi
mkdir -p "$here/.data"
[ -f "$here/.data/fixtures.json" ] || node "$here/gen-fixtures.mjs" 256
log "installed in $((SECONDS - started)) s"

# ---- run -----------------------------------------------------------------------------------------
if [ $quick = 1 ]; then secs=1; http_secs=2; dbdirs=/dev/shm; export BENCH_QUICK=1
else secs=5; http_secs=10; dbdirs="/dev/shm:$here/.data"; fi
[ -d /dev/shm ] || dbdirs="$here/.data"
echo "kavach benchmarks: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "node $(node --version), $("$py" --version), $(rustc --version | cut -d' ' -f1-2)"

if [[ "$skip" != *" criterion "* ]]; then
  echo; echo "== Criterion (kavach-core, CPU time of one thread, taskset -c 0)"
  # Criterion's bencher format: one line per bench, "test NAME ... bench: N ns/iter (+/- M)".
  (cd "$root" && taskset -c 0 cargo bench --quiet -p kavach-core --bench signin -- --output-format bencher 2>/dev/null) \
    | awk '$1 == "test" { ns = $5; gsub(",", "", ns); printf "%-30s %10.1f us   %9.0f/s\n", $2, ns / 1000, 1e9 / ns }'
fi
if [[ "$skip" != *" node "* ]]; then
  echo; echo "== Node: kavachos vs @simplewebauthn/server 14 (+ better-sqlite3 12), taskset -c 0"
  (cd "$here" && BENCH_DB_DIRS="$dbdirs" taskset -c 0 node node-bench.mjs --seconds $secs --json .data/node.json)
fi
if [[ "$skip" != *" python "* ]]; then
  echo; echo "== Python: kavach_passkeys vs py_webauthn 3 (+ sqlite3), taskset -c 0"
  (cd "$here" && BENCH_DB_DIRS="$dbdirs" taskset -c 0 "$py" py-bench.py --seconds $secs --json .data/python.json)
fi
if [[ "$skip" != *" http "* ]]; then
  echo; echo "== HTTP sign-in pairs (options + verify), 16 clients, server taskset -c 0, load taskset -c 1"
  bash "$here/http-bench.sh" $http_secs "$here/.data"
fi
if [[ "$skip" != *" postgres "* ]]; then
  echo; echo "== PostgreSQL and SQLite: HTTP sign-in and registration pairs, 16 clients, nothing pinned"
  bash "$here/pg-bench.sh" $http_secs "$here/.data" $([ $quick = 1 ] && echo --quick)
fi
echo; echo "run.sh: done in $((SECONDS - started)) s"
