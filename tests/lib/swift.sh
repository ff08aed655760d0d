#!/usr/bin/env bash
# Runs the Swift package's XCTest tests (ios/) against the library built for
# this machine. Uses a native `swift` if there is one, else Swift 6 from
# Debian trixie in a chroot cached outside the repository (tests/lib/swift-chroot.sh).
# Needs bindings/generate.sh first.
set -euo pipefail
cd "$(dirname "$0")/../.."
gen=target/bindings/swift

# Lay the generated sources into the package (ignored by git).
mkdir -p ios/Sources/Onsite/Generated
cp "$gen/onsite.swift" "$gen/onsite_core.swift" ios/Sources/Onsite/Generated/
for m in onsiteFFI onsite_coreFFI; do
    mkdir -p "ios/Sources/$m"
    cp "$gen/$m.h" "ios/Sources/$m/$m.h"
    cp "$gen/$m.modulemap" "ios/Sources/$m/module.modulemap"
done

bin="${ONSITE_BIN:-$PWD/target/debug/onsite}"
if command -v swift >/dev/null 2>&1; then
    (cd ios && ONSITE_LIB_DIR="$PWD/../target/bindings/lib" ONSITE_BIN="$bin" swift test)
    exit
fi

root=$(bash tests/lib/swift-chroot.sh)
work="$root/onsite"
mkdir -p "$work/lib"
cp target/bindings/lib/libonsite_ffi.so "$work/lib/"
# The hub the HTTP tests start (a real `onsite serve` on loopback).
mkdir -p "$work/bin" && cp "$bin" "$work/bin/onsite"
# Keep the package's .build between runs: copy sources, not the build folder.
mkdir -p "$work/ios"
rm -rf "$work/ios/Sources" "$work/ios/Tests"
cp -r ios/Package.swift ios/Sources ios/Tests "$work/ios/"
# Test data the tests read by path relative to the repository root.
rm -rf "$work/tests" && mkdir -p "$work/tests" && cp -r tests/data "$work/tests/"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" /bin/sh -c 'cd /onsite/ios && ONSITE_LIB_DIR=/onsite/lib ONSITE_BIN=/onsite/bin/onsite swift test 2>&1'
