#!/usr/bin/env bash
# Builds libonsite_ffi for this machine and generates the Kotlin, Swift and
# Python bindings from it (UniFFI reads the library's metadata, so the
# library must keep its symbols: the dev profile does).
#
#   bindings/generate.sh        -> target/bindings/{lib,kotlin,swift,python}
#
# Build the library on its own (-p onsite-ffi): a workspace-wide build would
# turn on uniffi's `cli` feature (needed by uniffi-bindgen) in the library too.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -p onsite-ffi --locked
cargo build -p onsite-uniffi-bindgen --locked

case "$(uname -s)" in
    Darwin) lib=target/debug/libonsite_ffi.dylib ;;
    *) lib=target/debug/libonsite_ffi.so ;;
esac
out=target/bindings
rm -rf "$out"
mkdir -p "$out/lib" "$out/gen" "$out/kotlin" "$out/swift" "$out/python/onsite"
cp "$lib" "$out/lib/"
target/debug/uniffi-bindgen generate "$lib" \
    --language kotlin --language swift --language python \
    --out-dir "$out/gen" --no-format >/dev/null

cp -r "$out/gen/uniffi" "$out/kotlin/"
cp "$out"/gen/*.swift "$out"/gen/*.h "$out"/gen/*.modulemap "$out/swift/"
cp "$out"/gen/*.py "$out/python/onsite/"
cp bindings/python/onsite/*.py "$out/python/onsite/"
cp "$lib" "$out/python/onsite/"
rm -rf "$out/gen"
echo "bindings in $out (library: $lib)"
