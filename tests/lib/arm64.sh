#!/usr/bin/env bash
# Builds the core's tests for real arm64 Linux (aarch64-unknown-linux-gnu)
# with Debian's cross compiler and runs them under qemu-aarch64 (user-mode
# emulation, Debian's qemu-user): the SQLite C code, Automerge, the PDF code
# and the core's own code execute as arm64 instructions, which the
# type-check of cross-check.sh does not prove.
#
# Prints cargo's usual "test result:" lines and ends with a line
# "arm64: N passed, N failed" (a build that fails counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/../.."

target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e "$sysroot/lib/libc.so.6" ] && [ -d "$sysroot/include" ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
        || { echo "error: could not install ${need[*]}" >&2; echo "arm64: 0 passed, 1 failed"; exit 1; }
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target" \
    || { echo "error: could not add the Rust target $target" >&2; echo "arm64: 0 passed, 1 failed"; exit 1; }

# Debian's cross toolchain links the Rust code and compiles the bundled
# SQLite; qemu runs the test binaries, with the arm64 glibc and libgcc_s
# of libc6-arm64-cross as their root for the dynamic loader.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $sysroot"

# The core's unit tests (store, encryption, pricing, documents, sync, …) and
# its integration tests (the `scenarios` binary), all but one:
# `encryption_in_place_survives_kill_9` runs the test binary itself as a
# child (std::env::current_exe()). Under qemu-user that is the arm64 binary,
# which the host kernel cannot execute without a binfmt_misc handler for
# arm64 (none on CI machines; registering one needs the host's root): the
# child exits 127 and the test fails. The same encryption code runs in the
# other encryption tests.
skip=(--skip encryption::encryption_in_place_survives_kill_9)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
cargo test -p onsite-core --target "$target" --locked --no-run --lib --test scenarios 2>&1 | tee "$log"
build=${PIPESTATUS[0]}
built=$(date +%s)
echo "arm64: test build took $((built - started)) s"
if [ "$build" -ne 0 ]; then
    echo "error: the arm64 test build failed" >&2
    echo "arm64: 0 passed, 1 failed"
    exit 1
fi

cargo test -p onsite-core --target "$target" --locked --no-fail-fast --lib --test scenarios \
    -- "${skip[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "arm64: tests under qemu took $(($(date +%s) - built)) s"

# Only cargo's unindented summary lines (a failing test's captured output
# may repeat an inner one, indented).
passed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # a test binary that crashed prints no summary of its own
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "error: no test ran" >&2
    failed=1
fi

# The shipping mobile library, built for arm64 as for the phones (fat LTO;
# about 45 s after a change to the core, 8 to 9 minutes from nothing), and
# its stripped size. ONSITE_ARM64_RELEASE=0 leaves it out.
if [ "${ONSITE_ARM64_RELEASE:-1}" != 0 ]; then
    if cargo build -p onsite-ffi --release --locked --target "$target" --quiet; then
        lib="${CARGO_TARGET_DIR:-target}/$target/release/libonsite_ffi.so"
        echo "arm64: libonsite_ffi.so (release, stripped) $(stat -c %s "$lib") bytes"
    else
        echo "error: the arm64 release build of the mobile library failed" >&2
        failed=$((failed + 1))
    fi
fi
echo "arm64: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
