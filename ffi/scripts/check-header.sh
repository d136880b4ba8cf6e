#!/usr/bin/env bash
# Regenerates include/kavach.h (cbindgen, pinned in ffi/Cargo.toml) into a temporary file and
# fails if the committed header differs: the header must always match ffi/src.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && KAVACH_HEADER_OUT="$tmp/kavach.h" cargo build --release --quiet -p kavach-ffi)
if ! diff -u "$root/include/kavach.h" "$tmp/kavach.h"; then
  echo "include/kavach.h is stale: run ffi/scripts/gen-header.sh and commit it" >&2
  exit 1
fi
echo "include/kavach.h matches ffi/src"
