#!/usr/bin/env bash
# Times the field-day demo and the hub's approval page: runs `onsite demo`
# (release build) three times, then serves the hub database it left and
# measures the revision-2 approval page, its PDF download and an invalid
# link against /health as the baseline, over keep-alive HTTP on loopback.
# Usage: tests/bench/approval-page.sh   (results go to stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --profile server -p onsite-cli --locked >/dev/null 2>&1
bin=target/server/onsite
work=$(mktemp -d)
trap 'kill "$hub" 2>/dev/null || true; rm -rf "$work"' EXIT
for i in 1 2 3; do
    /usr/bin/time -f "demo run $i: wall %e s, max RSS %M KB" "$bin" demo --out "$work/demo" >"$work/out.txt" 2>"$work/time.txt"
    tail -1 "$work/time.txt"
done
link=$(grep "the approval link for revision 2:" "$work/out.txt" | sed 's/.*revision 2: //')
path="/${link#http://*/}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --database "sqlite:$work/demo/hub.sqlite" --quiet &
hub=$!
sleep 1
python3 - "$port" "$path" <<'PY'
import http.client, statistics, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
def bench(p, n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", p)
        r = c.getresponse()
        body = r.read()
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return r.status, len(body), statistics.median(ts), ts[int(len(ts) * 0.99) - 1]
base = None
for name, p, n in [("/health (baseline)", "/health", 500), ("approval page", path, 500),
                   ("PDF download", path + "/quote.pdf", 200), ("invalid link", "/a/garbage", 500)]:
    status, size, med, p99 = bench(p, n)
    base = base or med
    print(f"| {name} | {status} | {size:,} | {med:.2f} | {p99:.2f} | {med / base:.1f}x |")
PY
