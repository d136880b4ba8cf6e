#!/usr/bin/env bash
# The C ABI's tests: builds libkavach, checks the committed header, runs the Rust unit tests
# (panic boundary, result codes), compiles the C test with AddressSanitizer + UBSan and runs it,
# compiles and runs the C ceremony example (register + sign-in, real signatures) and compiles the
# C demo server, all with -Wall -Wextra -Werror -pedantic; then the linkage checks (SONAME,
# static library, pkg-config).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="$root/target" # cgo and these scripts link from target/release
release="$root/target/release"
out="$root/target/ffi-tests"
mkdir -p "$out"
cc="${CC:-cc}"
strict=(-std=c11 -Wall -Wextra -Werror -pedantic -I"$root/include")
step() { printf '\n# %s\n' "$*"; }

step "build libkavach (release) and the software authenticator"
started=$SECONDS
cargo build --release -p kavach-ffi
cargo build --release -p kavach-ffi --example soft-authenticator
echo "built in $((SECONDS - started)) s: $(ls "$release"/libkavach.so "$release"/libkavach.a | tr '\n' ' ')"

step "header is up to date"
bash "$root/ffi/scripts/check-header.sh"

step "clippy + fmt"
cargo clippy --quiet -p kavach-ffi --all-targets -- -D warnings
cargo fmt -p kavach-ffi --check

step "Rust unit tests (panic boundary, result codes, pointer checks)"
cargo test --quiet -p kavach-ffi

step "C test under AddressSanitizer + UBSan (errors, ownership, 16 threads)"
"$cc" "${strict[@]}" -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
  "$root/ffi/tests/c/test_kavach.c" -L"$release" -lkavach -Wl,-rpath,"$release" -lpthread -o "$out/test_kavach"
db="$(mktemp -d)"
trap 'rm -rf "$db"' EXIT
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/test_kavach" "$db" "$root/tests/fixtures/stateless-algorithms.json"

step "C test of operations under AddressSanitizer + UBSan (events, metrics, log callback, users.*, activity)"
"$cc" "${strict[@]}" -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
  "$root/ffi/tests/c/test_operations.c" -L"$release" -lkavach -Wl,-rpath,"$release" -lpthread -o "$out/test_operations"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/test_operations" "$release/examples/soft-authenticator" "$db"

step "C example: register + sign-in through kavach_handle (real signatures)"
"$cc" "${strict[@]}" "$root/examples/c/ceremony.c" -L"$release" -lkavach -Wl,-rpath,"$release" -o "$out/ceremony"
"$out/ceremony" "$release/examples/soft-authenticator" "file:$db/ceremony.db"

step "C demo server compiles (the browser suite runs it: E2E_SERVER_CMD=examples/c/run.sh)"
"$cc" "${strict[@]}" "$root/examples/c/server.c" -L"$release" -lkavach -Wl,-rpath,"$release" -lpthread \
  -o "$out/kavach-c-server"

step "linkage: SONAME, static library, pkg-config"
soname="$(objdump -p "$release/libkavach.so" | awk '/SONAME/ {print $2}')"
[ "$soname" = "libkavach.so" ] || { echo "SONAME is '$soname'" >&2; exit 1; }
echo "SONAME $soname"
"$cc" "${strict[@]}" "$root/examples/c/ceremony.c" "$release/libkavach.a" -lpthread -ldl -lm -o "$out/ceremony-static"
"$out/ceremony-static" "$release/examples/soft-authenticator" ":memory:" > /dev/null
echo "static link: ceremony OK"
pc="$(bash "$root/ffi/scripts/pkg-config.sh")"
if command -v pkg-config >/dev/null; then
  # shellcheck disable=SC2046
  "$cc" "${strict[@]}" "$root/examples/c/ceremony.c" $(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs kavach) \
    -o "$out/ceremony-pc"
  "$out/ceremony-pc" "$release/examples/soft-authenticator" > /dev/null
  echo "pkg-config link: ceremony OK"
fi

if command -v "${CXX:-c++}" >/dev/null; then
  printf '#include "kavach.h"\nint main() { kavach_result r = KAVACH_OK; return (int)r; }\n' > "$out/header.cpp"
  "${CXX:-c++}" -std=c++17 -Wall -Wextra -Werror -pedantic -I"$root/include" "$out/header.cpp" -o "$out/header-cpp"
  echo "the header compiles as C++"
fi

printf '\nffi: all tests passed\n'
