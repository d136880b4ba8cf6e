#!/usr/bin/env bash
# Builds the native module of `kavachos` from source: `cargo build --release -p kavach-node` in
# the workspace's target directory (target/release, the one build that every binding, example and
# script shares), copied to native/kavach.<platform>.node, where the package's loader looks first.
# Cargo prints each crate as it compiles it. From a clean target this compiles every dependency
# once (about 3 min on 2 cores); after any other release build of the workspace (the Go, C, Rust
# or FastAPI example) it only compiles the binding itself.
#
# Needs cargo and node; not npm or @napi-rs/cli. The napi CLI regenerates the committed loader
# and typings (native/index.js, native/index.d.ts): scripts/package.sh runs it for the packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "node not found: install Node.js 20.17 or newer" >&2; exit 1; }

echo "# building kavach-node (cargo build --release -p kavach-node)" >&2
(cd "$root" && cargo build --release -p kavach-node)

release="${CARGO_TARGET_DIR:-$root/target}/release"
case "$(uname -s)" in
  Darwin) library="$release/libkavach_node.dylib" ;;
  *) library="$release/libkavach_node.so" ;;
esac
platform="$(node "$here/lib/platform.cjs")"
destination="$here/native/kavach.$platform.node"
# Copy, then rename over the old file: a running process keeps the module it mapped.
cp "$library" "$destination.tmp"
mv -f "$destination.tmp" "$destination"
echo "# wrote ${destination#"$root"/}" >&2
