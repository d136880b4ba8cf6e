#!/usr/bin/env bash
# Builds and runs kavach's fuzz targets (fuzz/, cargo-fuzz + libFuzzer).
#   scripts/fuzz.sh [seconds-per-target] [target...]    default: 30 s, every target
#   scripts/fuzz.sh --list                              the targets
#   scripts/fuzz.sh --seeds                             regenerate fuzz/seeds/ (conformance vectors + generated ceremonies)
# Only the stable toolchain is needed: cargo-fuzz's nightly flags are enabled with RUSTC_BOOTSTRAP=1.
# cargo-fuzz is installed with `cargo install cargo-fuzz --locked` if missing (about 35 s here).
# Environment: FUZZ_JOBS (parallel targets, default 1), FUZZ_SANITIZER (default none: the code is
# safe Rust, so address sanitizer costs speed and finds nothing the invariants do not; set
# `address` to use it), FUZZ_ARGS (extra libFuzzer flags).
# Findings: fuzz/artifacts/<target>/crash-*; replay one with
#   fuzz/target/x86_64-unknown-linux-gnu/release/<target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
TARGETS=(router assertion verify_response cose_key attestation config)

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
if [ "${1:-}" = "--seeds" ]; then
  conformance="${KAVACH_CONFORMANCE_DIR:-$PWD/../../shared/conformance}"
  cargo run --release --example make_seeds -- "$conformance" seeds
  exit 0
fi

seconds="${1:-30}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

echo "== building fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build -O -a -s "$sanitizer"

triple="$(rustc -vV | sed -n 's/^host: //p')"
mkdir -p target/fuzz-logs
run_one() {
  local target="$1" log="target/fuzz-logs/$1.log"
  mkdir -p "corpus/$target" "seeds/$target" "artifacts/$target"
  # New inputs go to corpus/<target> (not committed); seeds/<target> is read only.
  # The binary built above is run directly (no rebuild per target).
  if "target/$triple/release/$target" "corpus/$target" "seeds/$target" \
      -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1; then
    printf '%-16s ok    %s\n' "$target" "$(grep -E '^(#[0-9]+\s+DONE|Done [0-9]+ runs)' "$log" | tail -1)"
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" | tr '\n' ' ' | sed 's/^/                       /'
    echo
  else
    printf '%-16s FAILED (log: fuzz/%s)\n' "$target" "$log"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|assert' "$log" | sed -n 1,20p
    return 1
  fi
}

echo "== running ${#targets[@]} target(s), ${seconds}s each, ${jobs} at a time"
failed=0
if [ "$jobs" -le 1 ]; then
  for target in "${targets[@]}"; do run_one "$target" || failed=1; done
else
  pids=()
  for target in "${targets[@]}"; do
    run_one "$target" & pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
fi
[ "$failed" -eq 0 ] || { echo "fuzzing found a failure: see fuzz/artifacts/" >&2; exit 1; }
echo "== fuzzing: no findings"
