#!/usr/bin/env bash
# Ensures a Debian trixie chroot with Swift 6 (package swiftlang) in the
# machine's cache, outside the repository; built once per machine (about
# 2 minutes and 3 GB), then reused. Prints the chroot's path.
# Used only where no native `swift` exists (Debian 12 has none).
set -euo pipefail
root="${ONSITE_CACHE:-$HOME/.cache/onsite}/trixie-swift"
if [ -x "$root/usr/bin/swift" ] && [ -f "$root/.onsite-ready" ]; then
    echo "$root"
    exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq >&2; apt-get install -y -qq debootstrap >&2; }
mkdir -p "$(dirname "$root")"
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase trixie "$root" >&2
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq swiftlang >/dev/null && apt-get clean' >&2
touch "$root/.onsite-ready"
echo "$root"
