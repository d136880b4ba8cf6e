#!/usr/bin/env bash
# Regenerates the committed include/kavach.h from ffi/src (the kavach-ffi-header tool: cbindgen,
# pinned in ffi/header/Cargo.toml). Run it after changing an exported function or its doc comment,
# and commit the result.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
(cd "$root" && cargo run --quiet -p kavach-ffi-header -- "$root/include/kavach.h")
echo "wrote include/kavach.h"
