//! Sets the shared library's SONAME. The C header is generated apart, by the kavach-ffi-header
//! tool (`ffi/scripts/gen-header.sh`), and committed.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkavach.so");
}
