#!/usr/bin/env bash
# The demo: a full passkey registration and sign-in through kavach, on SQLite, printed step by step.
# (The browser demo with a web page arrives with the Node package: examples/express.)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
exec cargo run --quiet --locked -p kavach-walkthrough
