//! The documentation's Rust snippets as doctests: `cargo test -p kavach-docs` (part of
//! `cargo test --workspace`) compiles and runs every ```rust block of these files. The other
//! languages' blocks are run by scripts/snippets.mjs.

#[doc = include_str!("../../../README.md")]
pub struct Readme;

#[doc = include_str!("../../../docs/host-api.md")]
pub struct HostApi;

#[doc = include_str!("../../../docs/axum.md")]
pub struct Axum;
