#!/usr/bin/env bash
# The load benchmark: lambdagate against serverless-offline (what users run today) and nginx
# `return 200` (the ceiling of an HTTP round trip on this machine), plus start-up and cold start.
#
#   bench/run.sh            build, install missing peers, measure, print the table, write bench/results/
#
# Environment: BENCH_DURATION (seconds per measurement, default 4), BENCH_WARMUP (seconds of warm-up per
# target, default 2; BENCH_WARMUP_FIRST, default 8, for the first target of each function),
# BENCH_CONNECTIONS (default "1 16"), BENCH_ONLY (space-separated groups to run, default
# "startup lambdagate features invoke sls pairs nginx"), BENCH_PAIR_ROUNDS (rounds of the pairs group, which
# measures lambdagate and serverless-offline in turn on each ratio's route; default 3), LAMBDAGATE_BENCH_CACHE (where peers are installed, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/lambdagate-bench), CARGO_TARGET_DIR, LAMBDAGATE_BIN (measure this
# lambdagate binary instead of the one just built, e.g. an older build for a before/after pair),
# BENCH_TAG (appended to the result files' names), BENCH_TMPDIR (where the servers' logs go, default
# /dev/shm where it exists: see below), BENCH_STEAL_LIMIT / _RETRIES / _BUDGET and
# BENCH_QUIET_WAIT / _BUDGET (re-measuring rows the host disturbed; see bench/README.md).
#
# Everything listens on 127.0.0.1 only. Every server runs in its own process group and is stopped
# by that group's id when its measurements end, and on exit or Ctrl-C.
set -euo pipefail
set +m  # no job control: each server below is its own process group via setsid, and $! is its id

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
CACHE="${LAMBDAGATE_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdagate-bench}"
DURATION="${BENCH_DURATION:-4}"
WARMUP="${BENCH_WARMUP:-2}"
# A function's first target gets a longer warm-up: fresh Node instances keep speeding up for several
# seconds of load (JIT), and every instance the run will need must have started.
WARMUP_FIRST="${BENCH_WARMUP_FIRST:-8}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 16}"
ONLY="${BENCH_ONLY:-startup lambdagate features invoke sls pairs nginx}"
PAIR_ROUNDS="${BENCH_PAIR_ROUNDS:-3}"
# A row at the highest connection count measured while the host took more than STEAL_LIMIT % of
# the cores (steal) is measured again, up to STEAL_RETRIES more times, and the attempt with the
# least steal is kept; STEAL_BUDGET caps the extra attempts of the whole run. The report says how
# many attempts each row took.
STEAL_LIMIT="${BENCH_STEAL_LIMIT:-3}"
STEAL_RETRIES="${BENCH_STEAL_RETRIES:-2}"
STEAL_BUDGET="${BENCH_STEAL_BUDGET:-40}"
# Before such a row is measured again, wait for the host to calm down: steal comes in stretches of
# minutes, so an attempt made at once usually lands in the same stretch. A 2 s busy loop on every
# core is timed until its steal is at or below STEAL_LIMIT, for at most QUIET_WAIT seconds per
# attempt and QUIET_BUDGET seconds in the whole run.
QUIET_WAIT="${BENCH_QUIET_WAIT:-30}"
QUIET_BUDGET="${BENCH_QUIET_BUDGET:-300}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The cores /proc/stat adds steal over (every online CPU, whatever this shell's affinity).
CORES=$(grep -c '^cpu[0-9]' /proc/stat)
SLS_VERSION="3.40"
OFFLINE_VERSION="13"

# The servers' logs go to files in WORK, in memory where possible (bench_tmpdir says why).
. "$BENCH/serve_app.sh"
WORK=$(mktemp -d "$(bench_tmpdir)/lambdagate-bench.XXXXXX")
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
GROUPS_STARTED=()
declare -A GROUP_LOG=()  # process group id -> its log file

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
wants() { [[ " $ONLY " == *" $1 "* ]]; }

# Stops a process group we started (its leader's pid is the group id): TERM, then KILL after 5 s.
stop_group() {
    local pgid=$1
    kill -TERM -- "-$pgid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 -- "-$pgid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    wait "$pgid" 2>/dev/null || true
}

cleanup() {
    local pgid
    for pgid in "${GROUPS_STARTED[@]}"; do stop_group "$pgid"; done
    GROUPS_STARTED=()
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in a new session (own process group), output to log file $LOG_FILE; sets STARTED_PID.
start_group() {
    setsid "$@" >"$LOG_FILE" 2>&1 </dev/null &
    STARTED_PID=$!
    GROUPS_STARTED+=("$STARTED_PID")
    GROUP_LOG[$STARTED_PID]=$LOG_FILE
}

stop_started() {
    local pgid=$1 keep=() g
    stop_group "$pgid"
    # The log is in memory (see BENCH_TMPDIR) and can be a few hundred MB: gone with its server.
    if [[ -n ${GROUP_LOG[$pgid]:-} ]]; then rm -f "${GROUP_LOG[$pgid]}"; unset "GROUP_LOG[$pgid]"; fi
    for g in "${GROUPS_STARTED[@]}"; do [[ $g == "$pgid" ]] || keep+=("$g"); done
    GROUPS_STARTED=("${keep[@]+"${keep[@]}"}")
}

# Waits up to $3 seconds for the log $1 to contain the regex $2 (while process $4 lives).
wait_for_line() {
    local log=$1 pattern=$2 limit=$3 pid=$4 deadline=$((SECONDS + $3))
    while ! grep -qE "$pattern" "$log" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "process $pid exited before printing /$pattern/"; }
        ((SECONDS < deadline)) || { cat "$log" >&2; die "no /$pattern/ within ${limit}s"; }
        sleep 0.05
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- peers -----------------------------------------------------------------------------------
INSTALLED=()
APT_UPDATED=0
apt_install() {
    local what=$1 package=$2 runner=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "$what is missing and installing it needs root (apt-get install $package)"
        runner=(sudo)
    fi
    if ((APT_UPDATED == 0)); then "${runner[@]}" apt-get update -qq; APT_UPDATED=1; fi
    say "installing $what (apt package $package)"
    DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq "$package" >/dev/null
    INSTALLED+=("$package (apt)")
}

install_peers() {
    command -v python3 >/dev/null || die "python3 is needed"
    command -v node >/dev/null || die "node is needed"
    command -v wrk >/dev/null || apt_install wrk wrk
    if wants nginx && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
        apt_install nginx nginx-light
    fi
    if wants sls || wants pairs; then
        local peers="$CACHE/peers" have_sls have_offline
        have_sls=$(node -p "require('$peers/node_modules/serverless/package.json').version" 2>/dev/null || true)
        have_offline=$(node -p "require('$peers/node_modules/serverless-offline/package.json').version" 2>/dev/null || true)
        if [[ $have_sls != "$SLS_VERSION".* || $have_offline != "$OFFLINE_VERSION".* ]]; then
            mkdir -p "$peers"
            [[ -f $peers/package.json ]] || echo '{"name":"lambdagate-bench-peers","private":true}' >"$peers/package.json"
            say "installing serverless@$SLS_VERSION and serverless-offline@$OFFLINE_VERSION into $peers"
            (cd "$peers" && npm install --no-audit --no-fund --loglevel=error \
                "serverless@$SLS_VERSION" "serverless-offline@$OFFLINE_VERSION" >&2)
            INSTALLED+=("serverless@$SLS_VERSION + serverless-offline@$OFFLINE_VERSION (npm, in $peers)")
        fi
    fi
    if ((${#INSTALLED[@]})); then
        say "installed: ${INSTALLED[*]}"
    else
        say "peers already installed (cache: $CACHE)"
    fi
}

# --- measuring ---------------------------------------------------------------------------------
# measure NAME URL [LUA] [WARM_SECONDS]: warm up, then wrk at each connection count; appends to $RESULTS
# with the CPU per request of $SERVER_PID and of the processes under it (bench/cpu.py).
# One measurement of URL at CONNS connections after WARM seconds at that count: appends a row to the
# results with the CPU per request of $SERVER_PID and of the processes under it, the host's steal
# and the attempts it took (see STEAL_LIMIT).
measure_at() {
    local name=$1 url=$2 lua=$3 conns=$4 warm=$5 threads attempt=1 best="" best_steal="" most=0 c
    threads=$((conns < 2 ? 1 : 2))
    for c in $CONNECTIONS; do ((c > most)) && most=$c; done
    while :; do
        BENCH_LUA_DIR="$BENCH/wrk" wrk -t"$threads" -c"$conns" -d"${warm}s" -s "$lua" "$url" >/dev/null 2>&1 || true
        measure_once "$name" "$url" "$lua" "$conns" "$threads"
        # Keep the attempt with the least steal (the first of equals).
        if [[ -z $best ]] || awk -v a="$steal_pct" -v b="$best_steal" 'BEGIN { exit !(a < b) }'; then
            best=$ROW best_steal=$steal_pct
        fi
        # Only the rows the targets read (the highest count) are measured again.
        if ((conns < most || attempt > STEAL_RETRIES || STEAL_BUDGET <= 0)) ||
            awk -v a="$best_steal" -v l="$STEAL_LIMIT" 'BEGIN { exit !(a <= l) }'; then
            break
        fi
        STEAL_BUDGET=$((STEAL_BUDGET - 1))
        attempt=$((attempt + 1))
        printf '   (steal %s %% above %s %%: measuring %s again, attempt %s)\n' "$steal_pct" "$STEAL_LIMIT" "$name" "$attempt" >&2
        wait_for_quiet_host
    done
    printf '%s\t%s\n' "$best" "$attempt" >>"$RESULTS"
}

# Waits until a 2 s busy loop on every core sees steal at or below STEAL_LIMIT, within QUIET_WAIT
# seconds and what is left of QUIET_BUDGET; says how long it waited. The servers stay up, idle.
wait_for_quiet_host() {
    local waited=0 before after i pct="" loops
    if ((QUIET_BUDGET <= 0)); then
        printf '   (not waiting for the host: BENCH_QUIET_BUDGET is spent)\n' >&2
        return
    fi
    while ((waited < QUIET_WAIT && QUIET_BUDGET > 0)); do
        read -r _ _ before < <(python3 "$BENCH/cpu.py" $$)
        # Only these loops are waited for: the servers are this shell's children too.
        loops=()
        for ((i = 0; i < CORES; i++)); do
            timeout 2 sh -c 'while :; do :; done' &
            loops+=("$!")
        done
        wait "${loops[@]}" 2>/dev/null || true
        read -r _ _ after < <(python3 "$BENCH/cpu.py" $$)
        waited=$((waited + 2)) QUIET_BUDGET=$((QUIET_BUDGET - 2))
        pct=$(awk -v a="$before" -v b="$after" -v c="$CORES" 'BEGIN { printf "%.1f", 100 * (b - a) / (2e6 * c) }')
        if awk -v a="$pct" -v l="$STEAL_LIMIT" 'BEGIN { exit !(a <= l) }'; then
            break
        fi
    done
    printf '   (waited %s s for the host: steal %s %% in the last 2 s)\n' "$waited" "$pct" >&2
}

# One wrk run of URL: sets ROW (the results row without its attempts column) and steal_pct, and
# prints the row.
measure_once() {
    local name=$1 url=$2 lua=$3 conns=$4 threads=$5 out line
    read -r server_before below_before steal_before < <(python3 "$BENCH/cpu.py" "$SERVER_PID")
    out=$(BENCH_LUA_DIR="$BENCH/wrk" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s -s "$lua" "$url" 2>&1) ||
        die "wrk failed on $url: $out"
    read -r server_after below_after steal_after < <(python3 "$BENCH/cpu.py" "$SERVER_PID")
    line=$(grep '^RESULT ' <<<"$out") || die "no result from wrk on $url: $out"
    read -r _ requests duration p50 p99 non2xx sockerr <<<"$line"
    # CPU per request of the server process and of the processes under it, in µs.
    server_us=$(awk -v a="$server_before" -v b="$server_after" -v n="$requests" 'BEGIN { printf "%.1f", n ? (b - a) / n : 0 }')
    below_us=$(awk -v a="$below_before" -v b="$below_after" -v n="$requests" 'BEGIN { printf "%.1f", n ? (b - a) / n : 0 }')
    # The share of the cores the VM's host took during the run (steal), in percent.
    steal_pct=$(awk -v a="$steal_before" -v b="$steal_after" -v d="$duration" -v c="$CORES" 'BEGIN { printf "%.1f", d ? 100 * (b - a) / (d * c) : 0 }')
    ROW=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$name" "$conns" "$requests" "$duration" "$p50" "$p99" \
        "$((non2xx + sockerr))" "$server_us" "$below_us" "$steal_pct")
    awk -v n="$name" -v c="$conns" -v r="$requests" -v d="$duration" -v a="$p50" -v b="$p99" -v e="$((non2xx + sockerr))" \
        -v s="$server_us" -v f="$below_us" -v t="$steal_pct" \
        'BEGIN { printf "   %-31s c=%-3s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s  cpu/req %s + %s us  steal %s %%\n", n, c, r / (d / 1e6), a / 1e3, b / 1e3, e, s, f, t }' >&2
}

# Measures URL at every count of $CONNECTIONS.
measure() {
    local name=$1 url=$2 lua=${3:-$BENCH/wrk/report.lua} warm=${4:-$WARMUP} conns most=0
    # First at the highest connection count, so every instance that will be needed has started
    # (a cold start is measured separately), then briefly at each count before its measurement.
    for conns in $CONNECTIONS; do ((conns > most)) && most=$conns; done
    BENCH_LUA_DIR="$BENCH/wrk" wrk -t"$((most < 2 ? 1 : 2))" -c"$most" -d"${warm}s" -s "$lua" "$url" >/dev/null 2>&1 || true
    for conns in $CONNECTIONS; do
        measure_at "$name" "$url" "$lua" "$conns" 1
    done
}

# Checks that URL answers 200 with METHOD (default GET) before it is measured.
check_ok() {
    local url=$1 status
    status=$(curl -s -o /dev/null -w '%{http_code}' "${@:2}" "$url") || true
    [[ $status == 200 ]] || die "$url answered $status, expected 200"
}

listening_port() { grep -oE 'Listening on http://[^ ]+' "$1" | head -1 | sed -E 's/.*:([0-9]+).*/\1/'; }

# serve_lambdagate LOG COMMAND TEMPLATE: starts `lambdagate COMMAND -t TEMPLATE -p 0` logging to LOG
# and waits until it listens; sets pid, SERVER_PID (whose CPU `measure` reads) and port.
serve_lambdagate() {
    LOG_FILE=$1
    start_group "$LAMBDAGATE" "$2" -t "$3" -p 0
    pid=$STARTED_PID
    SERVER_PID=$pid
    wait_for_line "$LOG_FILE" 'Listening on http://' 30 "$pid"
    port=$(listening_port "$LOG_FILE")
}

# --- the run -------------------------------------------------------------------------------------
install_peers
command -v curl >/dev/null || apt_install curl curl

LAMBDAGATE="${LAMBDAGATE_BIN:-$TARGET_DIR/release/lambdagate}"
APP="$WORK/app"
if wants startup || wants lambdagate || wants features || wants invoke || wants pairs || wants nginx; then
    say "building release binaries (lambdagate, rust-hello)"
    (cd "$ROOT" && cargo build --release -q -p lambdagate -p rust-hello)
    [[ -x $LAMBDAGATE ]] || die "no $LAMBDAGATE after the build"
    # The app: the committed template and handlers, plus the Rust hello as functions/rust/bootstrap.
    mkdir -p "$APP"
    cp -r "$BENCH/template.yaml" "$BENCH/features.yaml" "$BENCH/functions" "$APP/"
    mkdir -p "$APP/functions/rust"
    cp "$TARGET_DIR/release/rust-hello" "$APP/functions/rust/bootstrap"
fi

STARTUP_LINE=""
if wants startup; then
    say "start-up: start-api on examples/items-python, ready time and first (cold) request"
    STARTUP_LINE=$(python3 "$BENCH/startup.py" "$LAMBDAGATE" "$ROOT/examples/items-python/template.yaml" /Prod/items 5 |
        tee /dev/stderr | grep '^startup ')
fi

if wants lambdagate; then
    say "lambdagate start-api"
    serve_lambdagate "$WORK/lambdagate.log" start-api "$APP/template.yaml"
    for fn in node python rust; do
        check_ok "http://127.0.0.1:$port/$fn"
        check_ok "http://127.0.0.1:$port/Prod/$fn"
    done
    for fn in node python rust; do
        measure "lambdagate $fn http-api" "http://127.0.0.1:$port/$fn" "" "$WARMUP_FIRST"
        measure "lambdagate $fn rest" "http://127.0.0.1:$port/Prod/$fn"
    done
    stop_started "$pid"
fi

if wants features; then
    # The gateway's features in front of the same Python hello (bench/features.yaml): each row's
    # server column against the plain route's is what the feature costs the gateway.
    say "lambdagate start-api, gateway features"
    serve_lambdagate "$WORK/lambdagate-features.log" start-api "$APP/features.yaml"
    base="http://127.0.0.1:$port"
    check_ok "$base/auth/cached" -H 'Authorization: Bearer bench'
    check_ok "$base/auth/uncached" -H 'Authorization: Bearer bench'
    check_ok "$base/auth/validated" -X POST -H 'Content-Type: application/json' -H 'X-Tenant: bench' \
        -d '{"item":"tea","quantity":2}'
    check_ok "$base/vtl/mock"
    check_ok "$base/vtl/python"
    check_ok "$base/auth/plain"
    # The same function on a plain route of the same server, measured first: what the rows below
    # are read against.
    measure "lambdagate features plain" "$base/auth/plain" "" "$WARMUP_FIRST"
    measure "lambdagate authorizer cached" "$base/auth/cached" "$BENCH/wrk/authorized.lua"
    measure "lambdagate authorizer ttl-0" "$base/auth/uncached" "$BENCH/wrk/authorized.lua"
    measure "lambdagate validated post" "$base/auth/validated" "$BENCH/wrk/validated.lua"
    measure "lambdagate python vtl" "$base/vtl/python"
    measure "lambdagate mock vtl" "$base/vtl/mock"
    stop_started "$pid"
fi

if wants invoke; then
    say "lambdagate start-lambda (direct invoke, no gateway)"
    serve_lambdagate "$WORK/start-lambda.log" start-lambda "$APP/template.yaml"
    for fn in Node Python Rust; do
        url="http://127.0.0.1:$port/2015-03-31/functions/${fn}Hello/invocations"
        check_ok "$url" -X POST -d '{}'
        measure "invoke ${fn,,}" "$url" "$BENCH/wrk/invoke.lua" "$WARMUP_FIRST"
    done
    stop_started "$pid"
fi

# Starts serverless-offline serving the bench's Node and Python hellos (HTTP API at /node and /python,
# REST at /dev/node and /dev/python), logging to $1; sets sls_pid and sls_port once it is ready.
start_sls() {
    local dir="$WORK/sls" fn
    if [[ ! -d $dir ]]; then
        mkdir -p "$dir"
        cp -r "$BENCH/functions/node" "$BENCH/functions/python" "$dir/"
        ln -s "$CACHE/peers/node_modules" "$dir/node_modules"
        sls_port=$(free_port)
        local lambda_port ws_port
        lambda_port=$(free_port); ws_port=$(free_port)
        cat >"$dir/serverless.yml" <<EOF
service: lambdagate-bench
frameworkVersion: '3'
provider:
  name: aws
  region: us-east-1
  stage: dev
functions:
  nodeHello:
    handler: node/handler.handler
    runtime: nodejs20.x
    events:
      - httpApi: { path: /node, method: get }
      - http: { path: /node, method: get }
  pythonHello:
    handler: python/handler.handler
    runtime: python3.11
    events:
      - httpApi: { path: /python, method: get }
      - http: { path: /python, method: get }
plugins:
  - serverless-offline
custom:
  serverless-offline:
    host: 127.0.0.1
    httpPort: $sls_port
    lambdaPort: $lambda_port
    websocketPort: $ws_port
EOF
    fi
    LOG_FILE=$1
    cd "$dir"
    start_group env SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DEPRECATION_DISABLE='*' \
        node "$CACHE/peers/node_modules/serverless/bin/serverless.js" offline start
    cd "$ROOT"
    sls_pid=$STARTED_PID
    wait_for_line "$LOG_FILE" 'Server ready' 60 "$sls_pid"
    for fn in node python; do
        check_ok "http://127.0.0.1:$sls_port/$fn"
        check_ok "http://127.0.0.1:$sls_port/dev/$fn"
    done
}

if wants sls; then
    say "serverless-offline $OFFLINE_VERSION (serverless $SLS_VERSION)"
    start_sls "$WORK/sls.log"
    SERVER_PID=$sls_pid
    for fn in node python; do
        measure "sls-offline $fn http-api" "http://127.0.0.1:$sls_port/$fn" "" "$WARMUP_FIRST"
        measure "sls-offline $fn rest" "http://127.0.0.1:$sls_port/dev/$fn"
    done
    stop_started "$sls_pid"
fi

if wants pairs; then
    # The ratios again, with both servers up and measured in turn, route by route, so that the
    # machine's drift over the minutes between the groups above (whole runs move by a quarter on
    # a shared VM) falls on both sides of each ratio alike.
    top=0
    for conns in $CONNECTIONS; do ((conns > top)) && top=$conns; done
    say "lambdagate and serverless-offline in turn: $PAIR_ROUNDS rounds of the Node and Python routes at c=$top"
    serve_lambdagate "$WORK/lambdagate-pairs.log" start-api "$APP/template.yaml"
    lg_pid=$pid
    lg_port=$port
    start_sls "$WORK/sls-pairs.log"
    for fn in node python; do
        for url in "http://127.0.0.1:$lg_port/$fn" "http://127.0.0.1:$sls_port/$fn"; do
            wrk -t2 -c"$top" -d"${WARMUP_FIRST}s" "$url" >/dev/null 2>&1 || true
        done
        for url in "http://127.0.0.1:$lg_port/Prod/$fn" "http://127.0.0.1:$sls_port/dev/$fn"; do
            wrk -t2 -c"$top" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
        done
    done
    for round in $(seq "$PAIR_ROUNDS"); do
        for fn in node python; do
            for kind in http-api rest; do
                if [[ $kind == rest ]]; then ours="/Prod/$fn" theirs="/dev/$fn"; else ours="/$fn" theirs="/$fn"; fi
                SERVER_PID=$lg_pid
                measure_at "pair $round lambdagate $fn $kind" "http://127.0.0.1:$lg_port$ours" "$BENCH/wrk/report.lua" "$top" 1
                SERVER_PID=$sls_pid
                measure_at "pair $round sls-offline $fn $kind" "http://127.0.0.1:$sls_port$theirs" "$BENCH/wrk/report.lua" "$top" 1
            done
        done
    done
    stop_started "$sls_pid"
    stop_started "$lg_pid"
fi

if wants nginx; then
    say "nginx return 200"
    NGX="$WORK/nginx"
    mkdir -p "$NGX/logs"
    port=$(free_port)
    cat >"$NGX/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $NGX/body;
    proxy_temp_path $NGX/proxy;
    fastcgi_temp_path $NGX/fastcgi;
    uwsgi_temp_path $NGX/uwsgi;
    scgi_temp_path $NGX/scgi;
    server {
        listen 127.0.0.1:$port;
        location / { default_type text/plain; return 200 "hello"; }
    }
}
EOF
    NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
    LOG_FILE="$WORK/nginx.log"
    start_group "$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf"
    pid=$STARTED_PID
    SERVER_PID=$pid
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        kill -0 "$pid" 2>/dev/null || { cat "$LOG_FILE" "$NGX/logs/error.log" >&2; die "nginx exited"; }
        sleep 0.05
    done
    check_ok "http://127.0.0.1:$port/"
    measure "nginx return-200" "http://127.0.0.1:$port/" "" "$WARMUP_FIRST"
    nginx_pid=$pid
    if [[ -x $LAMBDAGATE ]]; then
        # The gateway's own overhead on an HTTP backend: HTTP_PROXY integrations (REST and HTTP
        # API) in front of the same nginx, measured in the same run as nginx alone.
        say "lambdagate HTTP_PROXY to nginx"
        mkdir -p "$WORK/proxy"
        cat >"$WORK/proxy/template.yaml" <<EOF
Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        info: {title: bench-proxy-rest, version: "1"}
        paths:
          /hello:
            get:
              x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "http://127.0.0.1:$port/"}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        info: {title: bench-proxy-http, version: "1"}
        paths:
          /hello:
            get:
              x-amazon-apigateway-integration:
                {type: http_proxy, httpMethod: GET, uri: "http://127.0.0.1:$port/", payloadFormatVersion: "1.0"}
EOF
        serve_lambdagate "$WORK/lambdagate-proxy.log" start-api "$WORK/proxy/template.yaml"
        check_ok "http://127.0.0.1:$port/hello"
        check_ok "http://127.0.0.1:$port/Prod/hello"
        measure "lambdagate http-proxy http-api" "http://127.0.0.1:$port/hello" "" "$WARMUP_FIRST"
        measure "lambdagate http-proxy rest" "http://127.0.0.1:$port/Prod/hello"
        stop_started "$pid"
    fi
    stop_started "$nginx_pid"
fi

# --- report --------------------------------------------------------------------------------------
mkdir -p "$BENCH/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)${BENCH_TAG:+-$BENCH_TAG}
OUT="$BENCH/results/$STAMP.txt"
# The raw rows too, so a report can be redone from them: report.py RESULTS.tsv STARTUP COMMIT DURATION.
cp "$RESULTS" "$BENCH/results/$STAMP.tsv"
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n ${LAMBDAGATE_BIN:-} ]] && COMMIT="$COMMIT (scripts), lambdagate binary $LAMBDAGATE_BIN"
python3 "$BENCH/report.py" "$RESULTS" "$STARTUP_LINE" "$COMMIT" \
    "$DURATION" "$WARMUP" "$WARMUP_FIRST" | tee "$OUT"
say "written to ${OUT#"$ROOT"/}"
