#!/usr/bin/env bash
# Builds OnsiteFFI.xcframework and the Swift sources for the package, on a
# Mac with Xcode and Rust. Run from anywhere; output lands in ios/.
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   ios/build-xcframework.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
cd "$root"

# 1. Swift sources and headers, generated from a host build (UniFFI reads the
#    API from the library's metadata).
bash bindings/generate.sh
gen=target/bindings/swift
mkdir -p "$here/Sources/Onsite/Generated"
cp "$gen/onsite.swift" "$gen/onsite_core.swift" "$here/Sources/Onsite/Generated/"

# 2. Static libraries: device, and simulator (arm64 + x86_64 joined with lipo).
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
    cargo build -p onsite-ffi --release --locked --target "$t"
done
sim=target/ios-sim-universal
mkdir -p "$sim"
lipo -create \
    target/aarch64-apple-ios-sim/release/libonsite_ffi.a \
    target/x86_64-apple-ios/release/libonsite_ffi.a \
    -output "$sim/libonsite_ffi.a"

# 3. One headers folder with both C headers and one module map declaring the
#    two modules the generated Swift imports (onsiteFFI, onsite_coreFFI).
headers=target/ios-headers
rm -rf "$headers" && mkdir -p "$headers"
cp "$gen/onsiteFFI.h" "$gen/onsite_coreFFI.h" "$headers/"
cat "$gen/onsiteFFI.modulemap" "$gen/onsite_coreFFI.modulemap" > "$headers/module.modulemap"

# 4. The xcframework the package's binaryTarget points at.
rm -rf "$here/OnsiteFFI.xcframework"
xcodebuild -create-xcframework \
    -library target/aarch64-apple-ios/release/libonsite_ffi.a -headers "$headers" \
    -library "$sim/libonsite_ffi.a" -headers "$headers" \
    -output "$here/OnsiteFFI.xcframework"
echo "built $here/OnsiteFFI.xcframework"
