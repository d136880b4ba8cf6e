#!/usr/bin/env bash
# Writes kavach.pc from ffi/kavach.pc.in. With no argument, for the build tree
# (target/release/pkgconfig/kavach.pc: libdir target/release, includedir include/), so that
#   PKG_CONFIG_PATH=target/release/pkgconfig pkg-config --cflags --libs kavach
# works right after `cargo build --release -p kavach-ffi`. With a PREFIX, for an installation
# (see ffi/scripts/install.sh), printed to stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="$(awk -F'"' '/^version = / { print $2; exit }' "$root/Cargo.toml")"
render() { # prefix libdir includedir
  sed -e "s|@PREFIX@|$1|g" -e "s|@LIBDIR@|$2|g" -e "s|@INCLUDEDIR@|$3|g" -e "s|@VERSION@|$version|g" \
    "$root/ffi/kavach.pc.in"
}
if [ $# -eq 0 ]; then
  target="${CARGO_TARGET_DIR:-$root/target}/release"
  mkdir -p "$target/pkgconfig"
  render "$root" "$target" "$root/include" > "$target/pkgconfig/kavach.pc"
  echo "$target/pkgconfig/kavach.pc"
else
  render "$1" "$1/lib" "$1/include"
fi
