#!/usr/bin/env bash
# Type-checks the Rust code of the mobile library for Android (arm64) and iOS
# (arm64). There is no NDK or Xcode here: Debian's clang and the glibc arm64
# headers stand in for the target C toolchain so the bundled SQLite compiles.
# This proves the Rust type-checks for the targets; it is not a real build.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null || ! command -v llvm-ar >/dev/null || [ ! -d /usr/aarch64-linux-gnu/include ]; then
    apt-get update -qq && apt-get install -y -qq clang llvm libc6-dev-arm64-cross >/dev/null
fi
installed=$(rustup target list --installed)
for t in aarch64-linux-android aarch64-apple-ios; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
inc=/usr/aarch64-linux-gnu/include

echo "check: aarch64-linux-android"
CC_aarch64_linux_android=clang AR_aarch64_linux_android=llvm-ar \
CFLAGS_aarch64_linux_android="--target=aarch64-linux-android -isystem $inc" \
    cargo check -p onsite-ffi --locked --target aarch64-linux-android --quiet

echo "check: aarch64-apple-ios"
sdk="${ONSITE_CACHE:-$HOME/.cache/onsite}/stand-in-ios-sdk"
mkdir -p "$sdk/usr"
[ -e "$sdk/usr/include" ] || ln -s "$inc" "$sdk/usr/include"
SDKROOT="$sdk" CC_aarch64_apple_ios=clang AR_aarch64_apple_ios=llvm-ar \
CFLAGS_aarch64_apple_ios="--target=aarch64-linux-gnu -isystem $inc" \
    cargo check -p onsite-ffi --locked --target aarch64-apple-ios --quiet
echo "cross-check: ok"
