#!/usr/bin/env bash
# Cross-implementation check with the JavaScript Automerge (npm
# @automerge/automerge, installed once into ~/.cache/onsite): see
# automerge-interop.cjs. Prints "interop: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${ONSITE_CACHE:-$HOME/.cache/onsite}/automerge-js-3.5.0"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f "$cache/node_modules/@automerge/automerge/package.json" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm install --silent --no-audit --no-fund @automerge/automerge@3.5.0 >/dev/null)
fi
cargo build -q --locked -p onsite-cli --bin onsite
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/debug/onsite demo --out "$work/demo" --products 100 --accounts 3 >/dev/null
node tests/lib/automerge-interop.cjs "$cache/node_modules" "$work" target/debug/onsite
