#!/usr/bin/env bash
# HTTP sign-in pairs, loopback only: each server pinned to core 0 (`taskset -c 0`), the load
# generator (load.mjs, 16 clients) to core 1. Servers, in order:
#   kavach Express demo (examples/express/server.js)  vs  peers/express-swa.mjs, and the same demo
#     with the audit log and metrics off (kavach-express-ops-off: what operating costs)
#   peers/express-bare.mjs: Express 5 alone on the same routes (no WebAuthn, no database), the
#     floor under both Express rows on this machine
#   kavach FastAPI example (examples/fastapi/app.py)  vs  peers/fastapi_pywebauthn.py
#   kavach Fastify demo (examples/fastify/server.js)  next to  peers/fastify-bare.mjs (Fastify 5
#     alone on the same routes: the adapter's cost is the difference)
#   kavach axum demo (examples/axum, release build)  next to  peers/axum-bare (axum alone)
#   kavach Django example (examples/django, waitress)  vs  peers/django_bare.py (its floor)
#   kavach Flask example (examples/flask, waitress)  vs  peers/flask_bare.py (its floor)
# Usage: bash http-bench.sh SECONDS OUT_DIR   (run.sh calls it after installing everything)
# Environment: BENCH_DB_DIR (default /dev/shm: fsync free, CPU cost only), BENCH_CLIENTS (16),
# CARGO_TARGET_DIR (where run.sh's release build of the Rust servers is), BENCH_HTTP_SERVERS (a
# space-separated subset of the labels below, e.g. "kavach-axum axum-bare"; default: all).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
seconds="${1:-10}"
out="${2:-$here/.data}"
clients="${BENCH_CLIENTS:-16}"
dbroot="${BENCH_DB_DIR:-/dev/shm}"
[ -d "$dbroot" ] || dbroot="$(mktemp -d)"
db="$(mktemp -d "$dbroot/kavach-http-bench.XXXXXX")"
py="$here/.venv/bin/python"
release="${CARGO_TARGET_DIR:-$root/target}/release"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$db"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { echo "http-bench: server exited early" >&2; return 1; }
    sleep 0.05
  done
  echo "http-bench: port $1 never opened" >&2
  return 1
}

# run NAME PORT DIR CMD...: starts CMD (env already set by the caller) in DIR on core 0, loads it.
run() {
  local name="$1" port="$2" dir="$3"
  shift 3
  if [ -n "${BENCH_HTTP_SERVERS:-}" ] && [[ " $BENCH_HTTP_SERVERS " != *" $name "* ]]; then return 0; fi
  (cd "$dir" && exec taskset -c 0 "$@") >"$db/$name.log" 2>&1 &
  server_pid=$!
  wait_port "$port"
  taskset -c 1 node "$here/load.mjs" --port "$port" --clients "$clients" --seconds "$seconds" \
    --pid "$server_pid" --label "$name" --json "$out/http-$name.json" || { cat "$db/$name.log" >&2; return 1; }
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

export KAVACH_SECRET="bench-secret-bench-secret-bench-secret!!"
PORT=3101 DATABASE_URL="file:$db/kavach-express.db" run kavach-express 3101 "$root/examples/express" node server.js
# Issue 19's cost: the same demo with the audit log and metrics off (its event handler stays).
PORT=3110 DATABASE_URL="file:$db/kavach-express-off.db" \
  KAVACH_OPTIONS_JSON='{"audit":{"enabled":false},"metrics":{"enabled":false}}' \
  run kavach-express-ops-off 3110 "$root/examples/express" node server.js
PORT=3102 DATABASE="$db/peer-express.db" run express-simplewebauthn 3102 "$here/peers" node express-swa.mjs
PORT=3105 run express-bare 3105 "$here/peers" node express-bare.mjs
PORT=3103 DATABASE_URL="file:$db/kavach-fastapi.db" run kavach-fastapi 3103 "$root/examples/fastapi" \
  "$py" -m uvicorn app:app --host 127.0.0.1 --port 3103 --no-access-log
PORT=3104 DATABASE="$db/peer-fastapi.db" run fastapi-pywebauthn 3104 "$here/peers" \
  "$py" -m uvicorn fastapi_pywebauthn:app --host 127.0.0.1 --port 3104 --no-access-log
PORT=3106 DATABASE_URL="file:$db/kavach-fastify.db" run kavach-fastify 3106 "$root/examples/fastify" node server.js
PORT=3107 run fastify-bare 3107 "$here/peers" node fastify-bare.mjs
PORT=3108 DATABASE_URL="file:$db/kavach-axum.db" run kavach-axum 3108 "$root/examples/axum" "$release/kavach-axum-demo"
PORT=3109 run axum-bare 3109 "$here/peers" "$release/axum-bare"
# The WSGI examples and their floors: the same server (waitress, 8 threads) and the same routes.
PORT=3121 DATABASE_URL="file:$db/kavach-django.db" run kavach-django 3121 "$root/examples/django" "$py" serve.py
PORT=3122 run django-bare 3122 "$here/peers" "$py" django_bare.py
PORT=3123 DATABASE_URL="file:$db/kavach-flask.db" run kavach-flask 3123 "$root/examples/flask" "$py" app.py
PORT=3124 run flask-bare 3124 "$here/peers" "$py" flask_bare.py
