#!/usr/bin/env bash
# Regenerates the committed include/kavach.h from ffi/src (cbindgen, pinned in ffi/Cargo.toml).
# Run it after changing an exported function or its doc comment, and commit the result.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
(cd "$root" && KAVACH_HEADER_OUT="$root/include/kavach.h" cargo build --release --quiet -p kavach-ffi)
echo "wrote include/kavach.h"
