#!/usr/bin/env bash
# The one test command: formatting, lints, every test of every crate.
# Installs what it needs (idempotent, fast when already there) and ends with
# a summary line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "Rust is required (https://rustup.rs); rust-toolchain.toml pins the version"

step "toolchain (pinned in rust-toolchain.toml)"
# rustup installs the pinned toolchain and its components on first use.
rustc --version || fail "could not install the pinned Rust toolchain"
if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest (once)"
    cargo install cargo-nextest --locked || echo "cargo-nextest unavailable: falling back to cargo test"
fi

status=0
step "cargo fmt --check"
cargo fmt --all -- --check || status=1

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings || status=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0
count() { # sums "N passed" / "N failed" from cargo test and nextest summaries
    local p f
    p=$(grep -E '(test result:|Summary \[).*passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
    f=$(grep -E '(test result:|Summary \[).*(failed|passed)' "$log" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)); failed=$((failed + f))
}

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast --profile ci 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    count
    : >"$log"
    step "doc tests"
    cargo test --workspace --locked --doc 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    count
else
    cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    count
fi

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "error: no test ran" >&2
    status=1
fi
printf '\n'
echo "tests: $passed passed, $failed failed"
exit "$status"
