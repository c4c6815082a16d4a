# Sourced by bench/gateway_cpu.sh and bench/pool_growth.sh: serves the bench app with one lambdagate.
#
# serve_bench_app BINARY [APP_DIR]: without APP_DIR, brings the release build up to date (only the
# Rust hello when BINARY is not the release build's lambdagate) and copies bench/ (with the Rust
# hello as functions/rust/bootstrap) to a scratch folder; starts `start-api -p 0` on it and waits
# until it listens. Sets WORK (scratch, removed on exit), LOG, pid and port; stops the server (by
# its pid) on exit. Listens on 127.0.0.1 only.
# Where benchmarks put their servers' logs: BENCH_TMPDIR, else /dev/shm where the machine has it,
# else TMPDIR. In memory because at full load lambdagate's log grows by about 8 MB a second, and a
# disk's write-back of it every 30 s (vm.dirty_expire_centisecs) stalled the project's VM for a few
# hundred milliseconds each time, setting the p99 of whichever measurement it fell in.
bench_tmpdir() {
    if [[ -n ${BENCH_TMPDIR:-} ]]; then
        echo "$BENCH_TMPDIR"
    elif [[ -d /dev/shm && -w /dev/shm ]]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}

serve_bench_app() {
    local bin=$1 app=${2:-} root target
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    target="${CARGO_TARGET_DIR:-$root/target}"
    WORK="$(mktemp -d "$(bench_tmpdir)/lambdagate-bench.XXXXXX")"
    LOG="$WORK/log"
    if [[ -z $app ]]; then
        # Up to date (a no-op when it is), so the default binary is never a stale one; another
        # binary (an older build for a before/after pair) needs only the Rust hello.
        local packages=(-p rust-hello)
        if [[ ! -e $bin || $bin -ef $target/release/lambdagate ]]; then packages+=(-p lambdagate); fi
        (cd "$root" && cargo build --release -q "${packages[@]}")
        app="$WORK/app"
        mkdir -p "$app/functions/rust"
        cp -r "$root/bench/template.yaml" "$root/bench/functions" "$app/"
        cp "$target/release/rust-hello" "$app/functions/rust/bootstrap"
    fi
    "$bin" start-api -t "$app/template.yaml" -p 0 >"$LOG" 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$WORK"' EXIT
    for _ in $(seq 100); do grep -q 'Listening on' "$LOG" && break; sleep 0.1; done
    port=$(grep -oE 'Listening on http://[^ ]+' "$LOG" | sed -E 's/.*:([0-9]+).*/\1/')
    [[ -n $port ]] || { cat "$LOG" >&2; echo "bench: lambdagate did not start" >&2; exit 1; }
}
