#!/usr/bin/env bash
# HTTP sign-in and registration pairs on PostgreSQL (local plaintext, and TLS verify-full) next to
# SQLite, with one and with two Express demo instances on the same database, 16 clients on
# loopback, nothing pinned: every process shares the machine's cores (issue 18: "one instance and
# two instances on the two cores"). Then the statements and round trips per operation
# (roundtrips.mjs: log_statement = 'all', and a relay counting turns), without and with
# rateLimit.storage 'database'.
#
# Usage: bash pg-bench.sh SECONDS OUT_DIR [--quick]   (run.sh calls it after installing everything)
#   --quick: PostgreSQL plaintext with one instance only, then the counts (CI smoke run).
# Starts two throwaway PostgreSQL servers (scripts/postgres.sh, own directories) and stops them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
seconds="${1:-10}"
out="${2:-$here/.data}"
quick=0
[ "${3:-}" = "--quick" ] && quick=1
clients="${BENCH_CLIENTS:-16}"
dbroot="${BENCH_DB_DIR:-/dev/shm}"
[ -d "$dbroot" ] || dbroot="$(mktemp -d)"
db="$(mktemp -d "$dbroot/kavach-pg-bench.XXXXXX")"
plain_dir="${TMPDIR:-/tmp}/kavach-postgres-bench"
tls_dir="${TMPDIR:-/tmp}/kavach-postgres-bench-tls"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  KAVACH_PG_DIR="$plain_dir" bash "$root/scripts/postgres.sh" stop >/dev/null 2>&1 || true
  KAVACH_PG_DIR="$tls_dir" bash "$root/scripts/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$db"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "pg-bench: port $1 never opened" >&2
  return 1
}

# start N URL [OPTIONS_JSON]: N Express demos on one database (ports 3201..), pids in $pids.
start() {
  local n="$1" url="$2" options="${3:-}" port i
  pids=()
  for i in $(seq 1 "$n"); do
    port=$((3200 + i))
    (cd "$root/examples/express" && PORT=$port DATABASE_URL="$url" KAVACH_OPTIONS_JSON="$options" exec node server.js) \
      >"$db/server-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 1 "$n"); do wait_port $((3200 + i)); done
}
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}

export KAVACH_SECRET="bench-secret-bench-secret-bench-secret!!"
plain=$(KAVACH_PG_DIR="$plain_dir" bash "$root/scripts/postgres.sh" start)
tls=""
[ $quick = 1 ] || tls=$(KAVACH_PG_DIR="$tls_dir" KAVACH_PG_TLS=1 bash "$root/scripts/postgres.sh" start)
echo "PostgreSQL $(KAVACH_PG_DIR="$plain_dir" bash "$root/scripts/postgres.sh" url >/dev/null && \
  "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version | cut -d' ' -f3) on loopback" \
  "(fsync off, synchronous_commit off: CPU and round trips, not disk); SQLite on $dbroot; load average $(cut -d' ' -f1-3 /proc/loadavg)"

engines="sqlite postgres postgres-tls"
instances="1 2"
if [ $quick = 1 ]; then engines=postgres; instances=1; fi
for engine in $engines; do
  for n in $instances; do
    for mode in signin register; do
      case $engine in
        sqlite) url="file:$db/kavach-$n.db" ;;
        postgres) url="$plain" ;;
        postgres-tls) url="$tls" ;;
      esac
      start "$n" "$url"
      ports=$(seq -s, 3201 $((3200 + n)))
      node "$here/load.mjs" --ports "$ports" --mode "$mode" --clients "$clients" --seconds "$seconds" \
        --pid "$(IFS=,; echo "${pids[*]}")" --label "$engine, $n instance(s), $mode" \
        --json "$out/pg-$engine-$n-$mode.json" || { cat "$db"/server-*.log >&2; exit 1; }
      stop
    done
  done
  [ $quick = 1 ] && continue
  # The shared rate limit (rateLimit.storage 'database') on the sign-in pair, one instance.
  case $engine in
    sqlite) url="file:$db/kavach-rl.db" ;;
    postgres) url="$plain" ;;
    postgres-tls) url="$tls" ;;
  esac
  start 1 "$url" '{"rateLimit":{"window":60,"max":1000000,"storage":"database"}}'
  node "$here/load.mjs" --port 3201 --clients "$clients" --seconds "$seconds" --pid "${pids[0]}" \
    --label "$engine, 1 instance, signin, rateLimit database" --json "$out/pg-$engine-1-signin-rl.json" \
    || { cat "$db"/server-*.log >&2; exit 1; }
  stop
done

echo
echo "== statements and round trips to PostgreSQL per operation (one client, warm connections; roundtrips.mjs)"
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
"$psql" "$plain" -qc "ALTER ROLE kavach SET log_statement = 'all'"
log="$plain_dir/server.log"
node "$here/roundtrips.mjs" --database-url "$plain" --log "$log" --n 20
echo "-- with rateLimit.storage 'database'"
node "$here/roundtrips.mjs" --database-url "$plain" --log "$log" --n 20 \
  --options '{"rateLimit":{"window":60,"max":1000000,"storage":"database"}}'
"$psql" "$plain" -qc "ALTER ROLE kavach RESET log_statement"
