#!/usr/bin/env bash
# Installs libkavach (.so with its SONAME, .a), kavach.h and kavach.pc under PREFIX
# (default /usr/local). Build first: cargo build --release -p kavach-ffi.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="${1:-/usr/local}"
release="${CARGO_TARGET_DIR:-$root/target}/release"
install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 0755 "$release/libkavach.so" "$prefix/lib/libkavach.so"
install -m 0644 "$release/libkavach.a" "$prefix/lib/libkavach.a"
install -m 0644 "$root/include/kavach.h" "$prefix/include/kavach.h"
"$root/ffi/scripts/pkg-config.sh" "$prefix" > "$prefix/lib/pkgconfig/kavach.pc"
echo "installed under $prefix: pkg-config --cflags --libs kavach (PKG_CONFIG_PATH=$prefix/lib/pkgconfig)"
