#!/usr/bin/env bash
# Proof under a real load balancer (issue 18; driver.mjs says what is checked). HAProxy from apt,
# one throwaway PostgreSQL (scripts/postgres.sh, its own directory), two passes:
#   1. three Express instances;   2. Express + FastAPI + Go on the same database.
# Each pass: 16 clients for LB_SECONDS (45) with a SIGKILL every 5 s and one PostgreSQL restart.
# Logs and summaries in target/load-balancer/. Exit status 1 when any check fails.
#
#   tests/load-balancer/run.sh              both passes
#   LB_PASSES=express tests/load-balancer/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${LB_SECONDS:-45}"
passes="${LB_PASSES:-express mix}"

if ! command -v haproxy >/dev/null; then
  command -v apt-get >/dev/null || { echo "load-balancer: haproxy is missing and apt-get is not available" >&2; exit 1; }
  echo "load-balancer: installing haproxy with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq haproxy >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; }
fi
haproxy -v | sed -n 1p  # sed reads to the end: `head` can close the pipe early and, under pipefail, fail the run with SIGPIPE (141)

export KAVACH_PG_DIR="${TMPDIR:-/tmp}/kavach-postgres-load-balancer"
bash scripts/postgres.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
url=$(bash scripts/postgres.sh start)
psql="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
[ -x "$psql" ] || psql=psql

logs="$root/target/load-balancer"
rm -rf "$logs"
mkdir -p "$logs"
for pass in $passes; do
  started=$SECONDS
  node tests/load-balancer/driver.mjs --pass "$pass" --database-url "$url" --seconds "$seconds" --psql "$psql" \
    --log-dir "$logs"
  echo "load-balancer $pass: pass took $((SECONDS - started)) s"
done
