#!/usr/bin/env bash
# A throwaway PostgreSQL server for kavach's tests and demo, on a free loopback port.
#
#   scripts/postgres.sh start   initialise (first time) and start it; prints the URL
#   scripts/postgres.sh url     prints the URL of the running server
#   scripts/postgres.sh pause   stops the server but keeps its data and port (`start` resumes it)
#   scripts/postgres.sh stop    stops it and deletes everything it made
#   scripts/postgres.sh status  exit 0 if it is running
#
# With KAVACH_PG_TLS=1 when the cluster is first made, the server is TLS-only over TCP (hostssl
# lines only; the Unix socket stays plaintext), with a certificate for DNS:localhost only, issued
# by a throwaway CA in $KAVACH_PG_DIR/tls/ca.pem; the URL is then
# postgres://...@localhost:<port>/kavach?sslmode=verify-full&sslrootcert=<dir>/tls/ca.pem, and
# $KAVACH_PG_DIR/tls/other-ca.pem is a second CA that issued nothing (for "unknown CA" tests).
#
# The cluster lives in $KAVACH_PG_DIR (default: $TMPDIR/kavach-postgres), owned by the `postgres`
# user when run as root (PostgreSQL refuses to run as root). Installs PostgreSQL with apt when it is
# missing (Debian/Ubuntu). Safe to re-run: `start` on a running server just prints its URL.
# Tuned for tests, not for keeping data: fsync is off.
set -euo pipefail

dir="${KAVACH_PG_DIR:-${TMPDIR:-/tmp}/kavach-postgres}"
user=kavach
password=kavach-test-password
database=kavach

die() { echo "postgres.sh: $*" >&2; exit 1; }

bin_dir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null; then found=$(dirname "$(readlink -f "$(command -v pg_ctl)")"); fi
  echo "$found"
}

install_postgres() {
  [ -n "$(bin_dir)" ] && [ -x "$(bin_dir)/initdb" ] && return 0
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is not available"
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed: run as root, or apt-get install postgresql"
  echo "postgres.sh: installing PostgreSQL with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  [ -x "$(bin_dir)/initdb" ] || die "apt-get installed postgresql but initdb was not found"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$dir/data/PG_VERSION" ] && as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

url() {
  [ -f "$dir/port" ] || die "no server in $dir: run scripts/postgres.sh start"
  if [ -f "$dir/tls/ca.pem" ]; then
    echo "postgres://$user:$password@localhost:$(cat "$dir/port")/$database?sslmode=verify-full&sslrootcert=$dir/tls/ca.pem"
  else
    echo "postgres://$user:$password@127.0.0.1:$(cat "$dir/port")/$database"
  fi
}

# A throwaway CA and a server certificate for DNS:localhost only (no IP address: connecting to
# 127.0.0.1 with verify-full is a wrong host name), plus a second CA that issued nothing.
make_certificates() {
  local tls="$dir/tls" ca
  command -v openssl >/dev/null || die "KAVACH_PG_TLS needs openssl"
  mkdir -p "$tls"
  for ca in ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=kavach test $ca" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$tls/$ca.key" -out "$tls/$ca.pem" 2>/dev/null || die "openssl could not make the $ca"
  done
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null || die "openssl could not make the server key"
  printf '%s\n' 'subjectAltName=DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 30 \
    -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null || die "openssl could not sign the server certificate"
  rm -f "$tls/ca.key" "$tls/other-ca.key" "$tls/server.csr" "$tls/server.ext" "$tls/ca.srl"
  chmod 755 "$tls"
  chmod 644 "$tls/ca.pem" "$tls/other-ca.pem" "$tls/server.pem"
  chmod 600 "$tls/server.key"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$tls"; fi
  printf '%s\n' "ssl = on" "ssl_cert_file = '$tls/server.pem'" "ssl_key_file = '$tls/server.key'" \
    >>"$dir/data/postgresql.conf"
  # TCP only with TLS; the socket (this script's own psql and createdb) stays plaintext.
  printf '%s\n' 'local   all all              trust' 'hostssl all all 127.0.0.1/32 scram-sha-256' \
    'hostssl all all ::1/128      scram-sha-256' >"$dir/data/pg_hba.conf"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

init_cluster() {
  local bin
  bin=$(bin_dir)
  rm -rf "$dir"
  mkdir -p "$dir/data" "$dir/socket"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
    rm -rf "$dir"
    die "the postgres user cannot reach $(dirname "$dir") (PostgreSQL does not run as root): choose a KAVACH_PG_DIR under /tmp"
  fi
  chmod 700 "$dir"
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"
  cat >>"$dir/data/postgresql.conf" <<EOF
# kavach test server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/socket'
max_connections = 300
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  if [ "${KAVACH_PG_TLS:-}" = 1 ]; then make_certificates; fi
}

start() {
  local bin port tries
  install_postgres
  bin=$(bin_dir)
  if running; then url; return 0; fi
  [ -f "$dir/data/PG_VERSION" ] || init_cluster
  for tries in 1 2 3 4 5 6 7 8; do
    if [ -f "$dir/port" ] && [ "$tries" -eq 1 ]; then
      port=$(cat "$dir/port") # resume on the same port (outage tests rely on it)
    else
      port=$((20000 + RANDOM % 40000))
      port_free "$port" || continue
    fi
    echo "$port" >"$dir/port"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/port"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 30 start >/dev/null 2>&1; then
      as_owner "$bin/psql" -h "$dir/socket" -p "$port" -U "$user" -d postgres -qAt \
        -c "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep 1 >/dev/null \
        || as_owner "$bin/createdb" -h "$dir/socket" -p "$port" -U "$user" "$database"
      url
      return 0
    fi
  done
  tail -n 20 "$dir/server.log" >&2 || true
  die "could not start PostgreSQL (see $dir/server.log)"
}

pause() {
  running || return 0
  as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

stop() {
  if [ -n "$(bin_dir)" ] && running; then
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  url) running || die "not running (scripts/postgres.sh start)"; url ;;
  pause) pause ;;
  stop) stop ;;
  status) running ;;
  *) echo "usage: $0 start|url|pause|stop|status" >&2; exit 2 ;;
esac
