#!/usr/bin/env bash
# Regenerates include/kavach.h (the kavach-ffi-header tool: cbindgen, pinned in
# ffi/header/Cargo.toml) into a temporary file and fails if the committed header differs: the
# header must always match ffi/src.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && cargo run --quiet -p kavach-ffi-header -- "$tmp/kavach.h")
if ! diff -u "$root/include/kavach.h" "$tmp/kavach.h"; then
  echo "include/kavach.h is stale: run ffi/scripts/gen-header.sh and commit it" >&2
  exit 1
fi
echo "include/kavach.h matches ffi/src"
