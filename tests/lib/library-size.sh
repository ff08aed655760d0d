#!/usr/bin/env bash
# Builds the shipping mobile library (release profile: size-optimised, fat
# LTO, stripped) and checks its size against the budget in
# tests/data/library-budget.txt. Prints `library size: N bytes (budget B)`
# and fails if N > B. Linux only (it measures libonsite_ffi.so); a cold
# build takes several minutes, an incremental one seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
budget="$(grep -v '^#' tests/data/library-budget.txt | tr -d '[:space:],_')"
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "tests/data/library-budget.txt: no byte count" >&2; exit 2; }
cargo build -p onsite-ffi --release --locked --quiet
lib="${CARGO_TARGET_DIR:-target}/release/libonsite_ffi.so"
size="$(stat -c %s "$lib")"
echo "library size: $size bytes (budget $budget)"
if [ "$size" -gt "$budget" ]; then
    echo "library-size: over budget by $((size - budget)) bytes (BENCHMARKS.md, \"Size of the mobile library\", lists the levers)" >&2
    exit 1
fi
