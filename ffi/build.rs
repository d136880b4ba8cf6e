//! Sets the shared library's SONAME and generates the C header with cbindgen (pinned in
//! Cargo.toml) into `$KAVACH_HEADER_OUT`, or into `$OUT_DIR/kavach.h` when that is unset, so that
//! an ordinary build never rewrites the committed `include/kavach.h` behind a check's back.
//! `scripts/gen-header.sh` writes `include/kavach.h`; `scripts/check-header.sh` regenerates into
//! a temporary file and fails if the committed header differs.

use std::path::PathBuf;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkavach.so");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=KAVACH_HEADER_OUT");

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml is valid");
    let bindings = cbindgen::generate_with_config(&crate_dir, config).expect("cbindgen can parse ffi/src");
    let out = match std::env::var_os("KAVACH_HEADER_OUT") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("kavach.h"),
    };
    // Writes only when the content changed, so an unchanged header keeps its timestamp.
    bindings.write_to_file(out);
}
