#!/usr/bin/env bash
# CPU per request of the gateway process alone, as docs/design-notes.md measures it: start-api on
# the bench app, a warm-up, then wrk at 16 connections while utime+stime of the gateway process
# are read from /proc/<pid>/stat before and after. Prints µs of gateway CPU per request per route.
#
# Usage: bench/gateway_cpu.sh [LAMBDAGATE_BINARY] [APP_DIR]   (defaults: target/release, a copy of
# bench/ with the Rust hello built). Needs wrk. Listens on 127.0.0.1 only; stops what it starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/release/lambdagate}"
APP="${2:-}"
DURATION="${CPU_DURATION:-4}"
. "$ROOT/bench/serve_app.sh"
serve_bench_app "$BIN" "$APP"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
for path in /python /Prod/python /rust /Prod/rust /node /Prod/node; do
    url="http://127.0.0.1:$port$path"
    wrk -t2 -c16 -d3s "$url" >/dev/null 2>&1
    before=$(cpu)
    out=$(wrk -t2 -c16 -d"${DURATION}s" "$url")
    after=$(cpu)
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    awk -v b="$before" -v a="$after" -v n="$requests" -v t="$ticks" -v p="$path" -v r="$rps" \
        'BEGIN { printf "%-14s %10s req/s  gateway %6.1f us CPU/request\n", p, r, (a - b) / t * 1e6 / n }'
done
