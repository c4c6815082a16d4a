#!/usr/bin/env bash
# Whether the function pool grows under full load: start-api on the bench app, a warm-up on the Python
# route, then ROUNDS rounds of wrk -c16 on the four Python and Node routes in turn; prints each run's p99
# (with "(+N)" when N instances started during that run: "Init Duration" lines; the Node routes' first
# run starts their burst) and req/s, the cold starts after the warm-up and the instances at the end. See "Function instances" in docs/design-notes.md.
#
# Usage: bench/pool_growth.sh [LAMBDAGATE_BINARY] [ROUNDS]   (default target/release/lambdagate, 4 rounds)
# Needs wrk; listens on 127.0.0.1 only; stops what it starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/release/lambdagate}"
ROUNDS="${2:-4}"
. "$ROOT/bench/serve_app.sh"
serve_bench_app "$BIN"
wrk -t2 -c16 -d8s "http://127.0.0.1:$port/python" >/dev/null
inits=$(grep -c 'Init Duration' "$LOG" || true)
p99s="" rates=""
for _ in $(seq "$ROUNDS"); do
    for path in /python /Prod/python /node /Prod/node; do
        before=$(grep -c 'Init Duration' "$LOG" || true)
        out=$(wrk -t2 -c16 -d4s --latency "http://127.0.0.1:$port$path")
        started=$(($(grep -c 'Init Duration' "$LOG" || true) - before))
        mark=""
        if ((started > 0)); then mark="(+$started)"; fi
        p99s="$p99s $(awk '/ 99%/ {print $2}' <<<"$out")$mark"
        rates="$rates $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    done
done
echo "cold starts after the warm-up: $(($(grep -c 'Init Duration' "$LOG" || true) - inits)), instances at the end: $(pgrep -P "$pid" | wc -l)"
echo "p99:  $p99s"
echo "req/s:$rates"
