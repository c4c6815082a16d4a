#!/usr/bin/env python3
"""Prints bench/run.sh's table: req/s, p50, p99 per target, the ratios, and the issue's targets.

Usage: report.py RESULTS_TSV STARTUP_LINE COMMIT DURATION [WARMUP WARMUP_FIRST]
RESULTS_TSV rows: name, connections, requests, duration_us, p50_us, p99_us, errors, and (newer runs)
server_us, children_us: CPU per request of the server process and of the processes under it, steal
(the host's share of the cores during the row, in %) and attempts (how many times the row was
measured because of steal; the row kept is the attempt with the least).
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import time


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            name, conns, requests, duration, p50, p99, errors = fields[:7]
            server, children = (float(v) for v in fields[7:9]) if len(fields) >= 9 else (None, None)
            steal = float(fields[9]) if len(fields) >= 10 else None
            attempts = int(fields[10]) if len(fields) >= 11 else 1
            rows[(name, int(conns))] = {
                "rps": int(requests) / (int(duration) / 1e6),
                "p50": int(p50) / 1000,
                "p99": int(p99) / 1000,
                "errors": int(errors),
                "server_us": server,
                "children_us": children,
                "steal": steal,
                "attempts": attempts,
            }
    return rows


# The features group's rows and what each adds to a plain REST Lambda proxy request.
FEATURE_ROWS = {
    "lambdagate authorizer cached": "TOKEN authorizer, policy from the cache",
    "lambdagate authorizer ttl-0": "TOKEN authorizer invoked on every request",
    "lambdagate validated post": "required header and JSON body model",
    "lambdagate python vtl": "custom integration, request and response templates",
    "lambdagate mock vtl": "MOCK integration with a response template, no function",
}


def peer_of(name):
    """The serverless-offline row measuring the same runtime and API kind, if any."""
    match = re.match(r"lambdagate (node|python) (http-api|rest)$", name)
    return f"sls-offline {match.group(1)} {match.group(2)}" if match else None


def split_pairs(rows):
    """Takes the pairs group's rows ("pair N lambdagate node rest", "pair N sls-offline node rest")
    out of `rows`; returns {(route, conns): [(round, ours, theirs), ...]} for the rounds that have
    both sides."""
    pairs = {}
    for (name, conns) in list(rows):
        match = re.match(r"pair (\d+) (lambdagate|sls-offline) (.+)$", name)
        if not match:
            continue
        row = rows.pop((name, conns))
        round_, side, route = int(match.group(1)), match.group(2), match.group(3)
        pairs.setdefault((route, conns), {}).setdefault(round_, {})[side] = row
    return {
        key: [(r, sides["lambdagate"], sides["sls-offline"])
              for r, sides in sorted(rounds.items())
              if "lambdagate" in sides and "sls-offline" in sides]
        for key, rounds in pairs.items()
    }


def steal_of(ours, theirs):
    """The host's steal during both sides of a round, as " (steal 3/12 %)", when recorded, with
    the attempts of a side measured again because of it."""
    if ours["steal"] is None or theirs["steal"] is None:
        return ""
    again = ""
    if ours["attempts"] > 1 or theirs["attempts"] > 1:
        again = f", attempts {ours['attempts']}/{theirs['attempts']}"
    return f" (steal {ours['steal']:.0f}/{theirs['steal']:.0f} %{again})"


def attempts_of(row):
    """", 2 attempts" for a row measured again because of steal."""
    return f", {row['attempts']} attempts" if row["attempts"] > 1 else ""


def main():
    results, startup, commit, duration = sys.argv[1:5]
    warmup, warmup_first = sys.argv[5:7] if len(sys.argv) >= 7 else ("2", "8")
    rows = load(results)
    pairs = split_pairs(rows)
    conns_levels = sorted({c for _, c in rows})
    out = []
    say = out.append

    say(f"lambdagate benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}")
    try:
        with open("/proc/loadavg") as f:
            load_avg = f.read().split()[:3]
    except OSError:
        load_avg = ["?"]
    say(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()},"
        f" load average at the end {' '.join(load_avg)} (other work on the machine skews the numbers)"
    )
    say(
        "tools: "
        + ", ".join(
            [
                version(["wrk", "--version"]).split(" Copyright")[0],
                version(["nginx", "-v"]),
                "node " + version(["node", "--version"]),
                version(["python3", "--version"]),
            ]
        )
    )
    say(
        f"wrk: {duration} s per row after a warm-up at the highest count ({warmup_first} s for a"
        f" function's first target, else {warmup} s) and 1 s at the row's count;"
        " 1 thread at c=1, 2 at c=16"
    )
    say("")
    say(
        "cpu us/req: CPU per request of the server process (the gateway; serverless-offline's node with"
        " its in-process Node handlers; nginx's master) and of the processes under it (function"
        " instances; serverless-offline's Python processes; nginx's workers)"
    )
    say(
        "steal %: the share of the cores the VM's host ran something else during the row"
        " (/proc/stat); above a few percent, req/s and p99 say as much about the host as about the target;"
        " a row at the highest count with more is measured again (up to BENCH_STEAL_RETRIES times) and the"
        " attempt with the least steal is kept, its attempts in the last column"
    )
    say("")
    header = (
        f"{'target':<31} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
        f"  {'vs sls-offline':>14} {'vs nginx':>8}  {'cpu us/req: server':>18} {'children':>8}"
        f" {'steal %':>8} {'tries':>5}"
    )
    say(header)
    say("-" * len(header))
    for conns in conns_levels:
        nginx = rows.get(("nginx return-200", conns))
        for (name, c), row in rows.items():
            if c != conns:
                continue
            peer = rows.get((peer_of(name), conns)) if peer_of(name) else None
            vs_peer = f"{row['rps'] / peer['rps']:.1f}x" if peer else ""
            vs_nginx = (
                f"{row['rps'] / nginx['rps']:.2f}x"
                if nginx and name.startswith("lambdagate")
                else ""
            )
            server = "" if row["server_us"] is None else f"{row['server_us']:.1f}"
            children = "" if row["children_us"] is None else f"{row['children_us']:.1f}"
            steal = "" if row["steal"] is None else f"{row['steal']:.1f}"
            tries = str(row["attempts"]) if row["attempts"] > 1 else ""
            say(
                f"{name:<31} {c:>5} {row['rps']:>9.0f} {row['p50']:>8.2f} {row['p99']:>8.2f}"
                f" {row['errors']:>6}  {vs_peer:>14} {vs_nginx:>8}  {server:>18} {children:>8}"
                f" {steal:>8} {tries:>5}"
            )
        say("")

    checks = []

    def check(label, ok, detail):
        checks.append(f"  [{'ok' if ok else 'MISSED'}] {label}: {detail}")

    top = max(conns_levels) if conns_levels else 16
    for (name, c), row in rows.items():
        if c == top and (name.startswith("lambdagate") or name.startswith("invoke")):
            steal = "" if row["steal"] is None else f" (steal {row['steal']:.0f} %{attempts_of(row)})"
            check(f"p99 <= 5 ms, {name} c={c}", row["p99"] <= 5.0, f"{row['p99']:.2f} ms{steal}")
    if pairs:
        say(f"lambdagate / serverless-offline measured in turn (pairs group), req/s per round and ratio:")
        for (route, conns), rounds in sorted(pairs.items()):
            ratios = [ours["rps"] / theirs["rps"] for _, ours, theirs in rounds]
            each = ", ".join(
                f"{ours['rps']:.0f}/{theirs['rps']:.0f} = {ours['rps'] / theirs['rps']:.1f}x"
                + steal_of(ours, theirs)
                for _, ours, theirs in rounds
            )
            median = statistics.median(ratios) if ratios else float("nan")
            say(f"  {route:<16} c={conns:<3} {each}; median {median:.1f}x")
        say("")
    for runtime, goal in (("node", 10.0), ("python", 5.0)):
        for kind in ("http-api", "rest"):
            rounds = pairs.get((f"{runtime} {kind}", top))
            if rounds:
                ratios = [ours["rps"] / theirs["rps"] for _, ours, theirs in rounds]
                median = statistics.median(ratios)
                check(
                    f"{runtime} {kind} >= {goal:g}x serverless-offline req/s",
                    median >= goal,
                    f"{median:.1f}x (median of {len(rounds)} rounds measured in turn;"
                    f" {min(ratios):.1f}x-{max(ratios):.1f}x)",
                )
                continue
            ours = rows.get((f"lambdagate {runtime} {kind}", top))
            peer = rows.get((f"sls-offline {runtime} {kind}", top))
            if ours and peer:
                ratio = ours["rps"] / peer["rps"]
                check(
                    f"{runtime} {kind} >= {goal:g}x serverless-offline req/s",
                    ratio >= goal,
                    f"{ratio:.1f}x ({ours['rps']:.0f} vs {peer['rps']:.0f})",
                )
    nginx = rows.get(("nginx return-200", top))
    for kind in ("http-api", "rest"):
        ours = rows.get((f"lambdagate rust {kind}", top))
        if ours and nginx:
            ratio = ours["rps"] / nginx["rps"]
            check(
                f"rust {kind} >= 0.4x nginx req/s",
                ratio >= 0.4,
                f"{ratio:.2f}x ({ours['rps']:.0f} vs {nginx['rps']:.0f})",
            )
    for runtime in ("rust", "node", "python"):
        direct = rows.get((f"invoke {runtime}", top))
        for kind in ("http-api", "rest"):
            ours = rows.get((f"lambdagate {runtime} {kind}", top))
            if ours and direct:
                ratio = ours["p50"] / direct["p50"]
                check(
                    f"gateway p50 <= 1.2x direct invoke, {runtime} {kind}",
                    ratio <= 1.2,
                    f"{ratio:.2f}x ({ours['p50']:.2f} vs {direct['p50']:.2f} ms)",
                )
    # The features rows (bench/features.yaml) against the plain route of the same server (the
    # same REST Python hello): what each feature adds to the gateway's CPU per request, and to
    # the latency.
    plain = rows.get(("lambdagate features plain", top))
    features = [
        (name, row)
        for (name, c), row in rows.items()
        if c == top and name in FEATURE_ROWS and row["server_us"] is not None
    ]
    if plain and plain["server_us"] is not None and features:
        say(f"gateway features (c={top}), against the plain route of the same server"
            f" ({plain['server_us']:.1f} us gateway CPU, p50 {plain['p50']:.2f} ms):")
        for name, row in features:
            say(
                f"  {name[len('lambdagate '):]:<20} gateway {row['server_us'] - plain['server_us']:+7.1f} us/request,"
                f" p50 {row['p50'] - plain['p50']:+.2f} ms  ({FEATURE_ROWS[name]})"
            )
        say("")
    match = re.search(r"ready_ms=([\d.]+) cold_ms=([\d.]+) warm_ms=([\d.]+)", startup or "")
    if match:
        ready, cold, warm = (float(g) for g in match.groups())
        rss = re.search(r"idle_rss_mb=([\d.]+)", startup or "")
        rss = float(rss.group(1)) if rss else None
        say(
            f"start-up (examples/items-python, median of 5): ready {ready:.1f} ms,"
            f" first request (cold) {cold:.1f} ms, second request {warm:.2f} ms"
            + (f", gateway idle RSS {rss:.1f} MB" if rss is not None else "")
        )
        check("start-api ready < 300 ms", ready < 300, f"{ready:.1f} ms")
        check("cold first request < 200 ms", cold < 200, f"{cold:.1f} ms")
        if rss is not None:
            check("gateway idle RSS <= 30 MB", rss <= 30, f"{rss:.1f} MB")
        say("")
    if checks:
        say(f"targets (c={top}):")
        if nginx:
            # The floor under every p99 line: the same round trip with no gateway and no function.
            # On a shared VM it is the host's jitter, and it moves from run to run.
            steal = "" if nginx["steal"] is None else f", steal {nginx['steal']:.0f} %"
            say(
                f"  (the machine's own p99 in this run: nginx return-200 at c={top},"
                f" {nginx['p99']:.2f} ms{steal})"
            )
        out.extend(checks)
    print("\n".join(out))


if __name__ == "__main__":
    main()
