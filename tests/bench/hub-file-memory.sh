#!/usr/bin/env bash
# The hub's memory while a 20 MiB attachment goes up and comes down over
# real HTTP: a separate `onsite serve` process on SQLite, a rep's tablet
# that attaches the file offline and uploads it with `device sync`, the
# office's device that prefetches it with its own sync. The hub's peak
# resident memory (VmHWM, from /proc) is read after an ordinary sync (the
# baseline), after the upload and after the download.
#
#   tests/bench/hub-file-memory.sh        (ONSITE_BENCH_PROFILE=dev for a debug build,
#                                          ONSITE_BENCH_MIB=49 for another file size)
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=${ONSITE_BENCH_PROFILE:-server}
cargo build --profile "$profile" -p onsite-cli --locked >/dev/null 2>&1
dir=$profile
[ "$profile" = dev ] && dir=debug
bin=$PWD/target/$dir/onsite
work=$(mktemp -d)
hub=
trap '[ -n "$hub" ] && kill "$hub" 2>/dev/null; rm -rf "$work"' EXIT
token() { grep -o 'ost_[A-Za-z0-9_-]*' | head -1; }
db="sqlite:$work/hub.sqlite"
admin=$("$bin" admin bootstrap --database "$db" --person backoffice | token)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --database "$db" --quiet &
hub=$!
url="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
export ONSITE_HUB=$url ONSITE_TOKEN=$admin
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$hub/status"; }

office_token=$("$bin" admin device issue --person backoffice --role admin --label office | token)
"$bin" device register --db "$work/office.sqlite" --hub "$url" --token "$office_token" >/dev/null
account=$("$bin" account create --db "$work/office.sqlite" --name "Müller Maschinenbau" --legal-form GmbH \
    --street "Hauptstraße 1" --postal-code 80331 --city München --rep rep-1)
"$bin" device sync --db "$work/office.sqlite" >/dev/null
"$bin" admin assign --rep rep-1 "$account" >/dev/null
tablet_token=$("$bin" admin device issue --person rep-1 --role rep --label tablet | token)
"$bin" device register --db "$work/tablet.sqlite" --hub "$url" --token "$tablet_token" >/dev/null
quote=$("$bin" quote create --db "$work/tablet.sqlite" --account "$account" --rep rep-1)
"$bin" device sync --db "$work/tablet.sqlite" >/dev/null
"$bin" device sync --db "$work/office.sqlite" >/dev/null
base=$(kb VmHWM)
echo "hub after ordinary syncs: peak RSS $base KiB (now $(kb VmRSS) KiB)"

{ printf '%%PDF-1.7\n'; head -c $((${ONSITE_BENCH_MIB:-20} * 1048576)) /dev/urandom; } >"$work/drawing.pdf"
size=$(stat -c %s "$work/drawing.pdf")
"$bin" file attach --db "$work/tablet.sqlite" --quote "$quote" "$work/drawing.pdf" >/dev/null
start=$(date +%s.%N)
"$bin" device sync --db "$work/tablet.sqlite" >"$work/up.txt"
up=$(echo "$(date +%s.%N) - $start" | bc)
after_up=$(kb VmHWM)
start=$(date +%s.%N)
"$bin" device sync --db "$work/office.sqlite" >"$work/down.txt"
down=$(echo "$(date +%s.%N) - $start" | bc)
after_down=$(kb VmHWM)
grep -h "files" "$work/up.txt" "$work/down.txt" | sed 's/^/  /'
awk -v s="$size" -v u="$up" -v d="$down" -v b="$base" -v au="$after_up" -v ad="$after_down" 'BEGIN {
    printf "file: %d bytes (%.1f MiB)\n", s, s / 1048576
    printf "upload (tablet sync, docs and file): %.2f s, %.1f MB/s; hub peak RSS %d KiB (+%d KiB)\n", u, s / u / 1e6, au, au - b
    printf "download (office sync, prefetch): %.2f s, %.1f MB/s; hub peak RSS %d KiB (+%d KiB over the baseline)\n", d, s / d / 1e6, ad, ad - b
}'
