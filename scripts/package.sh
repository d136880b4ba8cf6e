#!/usr/bin/env bash
# Builds the installable packages into dist/ (or the directory given as $1), for Linux x86-64 with
# glibc 2.28 or newer (manylinux_2_28), from a Linux x86-64 host:
#
#   kavachos-<v>.tgz                   npm: the main package (JavaScript, types, loader), with an
#                                      optional dependency on its platform package
#   kavachos-linux-x64-gnu-<v>.tgz     npm: the prebuilt native module (napi-rs's platform-package
#                                      convention: another platform is another entry in
#                                      bindings/node/npm/ and package.json's napi.targets)
#   kavach_passkeys-<v>-cp310-abi3-manylinux_2_28_x86_64.whl
#                                      PyPI: one wheel for CPython 3.10 and newer (abi3), checked by
#                                      auditwheel
#   libkavach-<v>-linux-x86_64-gnu.tar.gz
#                                      C: lib/libkavach.so, lib/libkavach.a, include/kavach.h,
#                                      lib/pkgconfig/kavach.pc (relocatable); the Go package links
#                                      it through pkg-config
#   SHA256SUMS, BUILDINFO.txt          checksums; versions, glibc floors and sizes
#
# How: one release build per package for the target x86_64-unknown-linux-gnu, compiled and linked
# by zig (PyPI `ziglang`, pinned in scripts/package/requirements.txt) against glibc 2.28, with the
# same compiler settings for all three so that they share one build of the dependencies (in
# target/package/cargo: a different C compiler and linker than the host build in target/release). The napi
# CLI builds the Node module (and regenerates bindings/node/native/index.js and index.d.ts, which
# must equal the committed ones); maturin builds the wheel; cargo builds libkavach. Every binary's
# newest glibc symbol is checked against 2.28. Takes about 6 min from a clean target on 2 cores,
# about 1 min when only kavach's own crates changed. tests/install/run.sh installs each artifact
# with no Rust toolchain on PATH and runs a real ceremony through it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
triple=x86_64-unknown-linux-gnu
glibc=2.28
work="$root/target/package"
# The packages' own target directory. zig is also the linker of build scripts and proc macros
# (the host is the same triple), so sharing target/ with the host build would make each rebuild
# the other's dependencies every time; here the release build for glibc 2.28 is kept apart.
export CARGO_TARGET_DIR="$work/cargo"
release="$CARGO_TARGET_DIR/$triple/release"
version="$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)"
started=$SECONDS
step() { printf '\n== package: %s\n' "$*" >&2; step_started=$SECONDS; }
done_step() { echo "# $1: $((SECONDS - step_started)) s" >&2; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { echo "package.sh builds on Linux x86-64 only" >&2; exit 1; }
for tool in cargo node npm python3 objdump strip; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool not found" >&2; exit 1; }
done

step "tools: maturin, zig, auditwheel (target/package/venv, scripts/package/requirements.txt)"
venv="$work/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements"
want="$(sha256sum scripts/package/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/package/requirements.txt
  echo "$want" > "$stamp"
fi
zig_version="$("$venv/bin/python" -m ziglang version)"
echo "# maturin $("$venv/bin/maturin" --version | cut -d' ' -f2), zig $zig_version" >&2
if [ ! -x bindings/node/node_modules/.bin/napi ] || [ bindings/node/package-lock.json -nt bindings/node/node_modules ]; then
  (cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
fi
done_step tools

# zig as C compiler, archiver and linker for the target, through maturin's wrapper (the one
# `maturin build --zig` uses: it translates the flags cc-rs and rustc pass). The same paths and
# flags for every build below, so cargo reuses one build of the dependencies.
zig_dir="$work/zig"
mkdir -p "$zig_dir"
wrapper() { # name, maturin zig subcommand, extra arguments
  printf '#!/bin/sh\nexec "%s" zig %s -- %s "$@"\n' "$venv/bin/maturin" "$2" "$3" > "$zig_dir/$1.tmp"
  chmod +x "$zig_dir/$1.tmp"
  if ! cmp -s "$zig_dir/$1.tmp" "$zig_dir/$1"; then mv "$zig_dir/$1.tmp" "$zig_dir/$1"; else rm "$zig_dir/$1.tmp"; fi
}
wrapper cc cc "-fno-sanitize=all -target x86_64-linux-gnu.$glibc"
wrapper c++ c++ "-fno-sanitize=all -target x86_64-linux-gnu.$glibc"
wrapper ar ar ""
wrapper ranlib ranlib ""
export CC_x86_64_unknown_linux_gnu="$zig_dir/cc" CXX_x86_64_unknown_linux_gnu="$zig_dir/c++"
export AR_x86_64_unknown_linux_gnu="$zig_dir/ar" RANLIB_x86_64_unknown_linux_gnu="$zig_dir/ranlib"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$zig_dir/cc"
export CARGO_ZIGBUILD_ZIG_COMMAND="$venv/bin/python" CARGO_ZIGBUILD_ZIG_COMMAND_ARGS="-m ziglang"

# The newest glibc symbol version a binary needs.
glibc_floor() { objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1; }
check_floor() { # binary, label
  local floor
  floor="$(glibc_floor "$1")"
  if [ "$(printf '%s\n%s\n' "$floor" "$glibc" | sort -V | tail -n1)" != "$glibc" ]; then
    echo "$2 needs glibc $floor, newer than $glibc" >&2
    exit 1
  fi
  echo "# $2: needs glibc $floor or newer" >&2
  echo "$floor"
}

step "libkavach (cargo build --release --target $triple -p kavach-ffi)"
cargo build --release --target "$triple" -p kavach-ffi
ffi_floor="$(check_floor "$release/libkavach.so" libkavach.so)"
done_step libkavach

step "Node native module (napi build --platform --release --target $triple)"
node_out="$work/node"
rm -rf "$node_out"
mkdir -p "$node_out"
(cd bindings/node && npx --no-install napi build --platform --release --target "$triple" \
  --output-dir "$node_out" --js index.js --dts index.d.ts)
for generated in index.js index.d.ts; do
  if ! diff -u "bindings/node/native/$generated" "$node_out/$generated" >&2; then
    echo "bindings/node/native/$generated is stale: copy $node_out/$generated over it and commit it" >&2
    exit 1
  fi
done
node_binary="$node_out/kavach.linux-x64-gnu.node"
node_floor="$(check_floor "$node_binary" kavach.linux-x64-gnu.node)"
done_step "Node native module"

step "Python wheel (maturin build --release --target $triple --compatibility manylinux_2_28)"
wheels="$work/wheels"
rm -rf "$wheels"
"$venv/bin/maturin" build --release --target "$triple" --compatibility "manylinux_${glibc/./_}" \
  --manifest-path bindings/python/Cargo.toml --out "$wheels"
wheel="$(ls "$wheels"/*.whl)"
mkdir -p "$work/wheel-contents"
rm -rf "$work/wheel-contents"/*
"$venv/bin/python" -m zipfile -e "$wheel" "$work/wheel-contents"
python_floor="$(check_floor "$(ls "$work"/wheel-contents/kavach_passkeys/_native*.so)" "the wheel's _native module")"
audit="$("$venv/bin/auditwheel" show "$wheel")"
echo "$audit" >&2
grep -q "manylinux_${glibc/./_}_x86_64" <<< "$audit" || { echo "auditwheel: not manylinux_${glibc/./_}" >&2; exit 1; }
done_step "Python wheel"

step "assembling $out"
rm -f "$out"/kavachos-*.tgz "$out"/kavach_passkeys-*.whl "$out"/libkavach-*.tar.gz "$out"/SHA256SUMS "$out"/BUILDINFO.txt

# npm: the platform package (bindings/node/npm/linux-x64-gnu) with the module ...
stage="$work/npm"
rm -rf "$stage"
mkdir -p "$stage/platform" "$stage/main/native"
cp bindings/node/npm/linux-x64-gnu/package.json bindings/node/npm/linux-x64-gnu/README.md "$stage/platform/"
cp "$node_binary" "$stage/platform/"
cp LICENSE-MIT LICENSE-APACHE "$stage/platform/"
# ... and the main package, which names it as an optional dependency (napi-rs's prepublish step).
cp -R bindings/node/lib "$stage/main/"
cp bindings/node/package.json bindings/node/README.md LICENSE-MIT LICENSE-APACHE "$stage/main/"
cp bindings/node/native/index.js bindings/node/native/index.d.ts "$stage/main/native/"
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const key of ["scripts", "devDependencies", "overrides"]) delete pkg[key];
  pkg.optionalDependencies = { "kavachos-linux-x64-gnu": pkg.version };
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$stage/main/package.json"
(cd "$stage/platform" && npm pack --silent --pack-destination "$out" >/dev/null)
(cd "$stage/main" && npm pack --silent --pack-destination "$out" >/dev/null)

cp "$wheel" "$out/"

# libkavach: relocatable (kavach.pc finds itself through ${pcfiledir}).
name="libkavach-$version-linux-x86_64-gnu"
tree="$work/$name"
rm -rf "$tree"
mkdir -p "$tree/lib/pkgconfig" "$tree/include"
cp "$release/libkavach.so" "$release/libkavach.a" "$tree/lib/"
# The archive keeps the compiler's debug sections (the .so is stripped by cargo): drop them.
strip --strip-debug "$tree/lib/libkavach.a"
cp include/kavach.h "$tree/include/"
bash ffi/scripts/pkg-config.sh '${pcfiledir}/../..' > "$tree/lib/pkgconfig/kavach.pc"
cp LICENSE-MIT LICENSE-APACHE "$tree/"
cat > "$tree/README.md" <<EOF
# libkavach $version (Linux x86-64, glibc $glibc or newer)

The C API of kavach, a passkey (WebAuthn) server library: \`include/kavach.h\` documents every
function. Link with pkg-config, wherever this directory lives:

    export PKG_CONFIG_PATH="\$PWD/lib/pkgconfig"
    cc app.c \$(pkg-config --cflags --libs kavach)             # shared, with an rpath to lib/
    cc app.c \$(pkg-config --cflags kavach) lib/libkavach.a \$(pkg-config --libs-only-l --static kavach | sed 's/-lkavach//')

The Go package (bindings/go in the kavach repository) links this library through the same
pkg-config file. Licensed MIT OR Apache-2.0.
EOF
tar -C "$work" -czf "$out/$name.tar.gz" "$name"

(cd "$out" && sha256sum -- *.tgz *.whl *.tar.gz > SHA256SUMS)
{
  echo "kavach $version, built $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/package.sh"
  echo "rustc: $(rustc --version)"
  echo "zig: $zig_version (PyPI ziglang), linking against glibc $glibc; maturin $("$venv/bin/maturin" --version | cut -d' ' -f2)"
  echo "glibc floor (newest GLIBC_ symbol needed): kavach.linux-x64-gnu.node $node_floor, _native (wheel) $python_floor, libkavach.so $ffi_floor"
  echo
  (cd "$out" && for f in *.tgz *.whl *.tar.gz; do printf '%8s KiB  %s\n' "$(($(stat -c %s "$f") / 1024))" "$f"; done)
} > "$out/BUILDINFO.txt"
done_step assembling
cat "$out/BUILDINFO.txt"
echo "# scripts/package.sh: $((SECONDS - started)) s" >&2
