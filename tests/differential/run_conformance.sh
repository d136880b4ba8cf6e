#!/usr/bin/env bash
# Run both peers on the shared conformance vectors and compare with their recorded crossCheck.
# Usage: tests/differential/run_conformance.sh [CONFORMANCE_DIR]   (after setup.sh)
set -euo pipefail
cd "$(dirname "$0")"
root="${1:-/work/shared/conformance}"
out="$(mktemp -d)"
python3 conformance_to_cases.py "$root" > "$out/cases.jsonl"
.venv/bin/python py_verify.py "$out/cases.jsonl" > "$out/py.jsonl"
node swa_verify.mjs "$out/cases.jsonl" > "$out/swa.jsonl"
python3 compare_crosscheck.py "$out/py.jsonl" "$out/swa.jsonl" "$root"
echo "(verdicts kept in $out)" >&2
