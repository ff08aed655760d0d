#!/usr/bin/env bash
# The newcomer's first command, measured cold: a new target directory
# (crates already downloaded), then the time until `onsite demo` prints its
# first line, for the profiles given (default: the README's, `dev`, and the
# previous one, `server`). Also the test command's wall time is measured by
# running it on a clean clone (see BENCHMARKS.md); this script only builds.
#
#   tests/bench/first-build.sh [profile ...]
#
# Prints one line per profile: build seconds, seconds to the demo's first
# line, the demo's own total, and the binary's size.
set -euo pipefail
cd "$(dirname "$0")/../.."
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(dev server)
cargo fetch --locked >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for profile in "${profiles[@]}"; do
    target="$work/target-$profile"
    out="$work/demo-$profile"
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$target" cargo build --locked --profile "$profile" --bin onsite -q
    built=$(date +%s.%N)
    dir=$profile
    [ "$profile" = dev ] && dir=debug
    bin="$target/$dir/onsite"
    # the first line of the demo, then the rest
    "$bin" demo --out "$out" >"$work/demo-$profile.txt" 2>&1 &
    pid=$!
    while [ ! -s "$work/demo-$profile.txt" ]; do sleep 0.05; done
    first=$(date +%s.%N)
    wait "$pid"
    total=$(grep -oE 'Done in [0-9]+ ms' "$work/demo-$profile.txt" | grep -oE '[0-9]+')
    size=$(stat -c %s "$bin")
    awk -v p="$profile" -v s="$start" -v b="$built" -v f="$first" -v t="$total" -v z="$size" 'BEGIN {
        printf "%-8s build %6.1f s   first demo line after %6.1f s   demo %5.1f s   binary %5.1f MB\n",
            p, b - s, f - s, t / 1000, z / 1e6 }'
done
