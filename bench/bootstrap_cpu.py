#!/usr/bin/env python3
"""CPU per invocation of our Python or Node.js bootstrap, without the gateway, wrk or a machine's noise.

Plays the gateway's side of the frames protocol (runtime_api/frames.rs) on a Unix socket:
starts runtimes/python/bootstrap.py (or runtimes/node/bootstrap.mjs, with the options Lambda
gives node at 128 MB) on bench/functions' hello handler, hands it one HTTP API v2 event at a
time, waits for each answer, and reads the bootstrap's CPU from /proc/<pid>/stat around the
run. One invocation at a time, so every invocation includes the bootstrap's sleep and wake-up,
as under load.

    python3 bench/bootstrap_cpu.py                   # the bootstrap, 30,000 invocations
    python3 bench/bootstrap_cpu.py --bare            # the floor: a loop that only polls, reads and answers
    python3 bench/bootstrap_cpu.py --profile OUT     # the bootstrap under cProfile, stats written to OUT
    python3 bench/bootstrap_cpu.py --node            # the Node.js bootstrap
    python3 bench/bootstrap_cpu.py --node --gc       # and V8's minor collections: bytes allocated per
                                                     # invocation, bytes surviving each, pauses
    python3 bench/bootstrap_cpu.py --bootstrap FILE  # another copy of the script (git show REV:...)
    python3 bench/bootstrap_cpu.py --event FILE      # another event (a JSON file), e.g. the REST one
                                                     # the gateway builds: the bench's Rust hello
                                                     # answers `?echo=1` with it in its "event" field

The difference between the two first lines is what the bootstrap's Python code costs per
invocation; see "Gateway CPU per request" and "Node's minor collections" in docs/design-notes.md.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BOOTSTRAP = os.path.join(HERE, "..", "runtimes", "python", "bootstrap.py")
HANDLER_DIR = os.path.join(HERE, "functions", "python")
NODE_BOOTSTRAP = os.path.join(HERE, "..", "runtimes", "node", "bootstrap.mjs")
NODE_HANDLER_DIR = os.path.join(HERE, "functions", "node")
# What lambdagate starts node with for a 128 MB function (instance/launch.rs, node_options).
NODE_OPTIONS = [
    "--expose-gc",
    "--max-http-header-size",
    "81920",
    "--max-semi-space-size=6",
    "--max-old-space-size=116",
]

# The same loop as the bootstrap's, minus everything Lambda asks of it: poll, read, answer
# with a fixed response frame followed by the next poll.
BARE = r"""
import os, select, socket
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ.pop("LAMBDAGATE_RUNTIME_SOCKET"))
p = select.poll()
p.register(s, select.POLLIN)
s.sendall(b"N\x00\x00\x00\x00")
answer = b"R" + (64).to_bytes(4, "little") + b"\x00" + b"x" * 63 + b"N\x00\x00\x00\x00"
while True:
    p.poll()
    if not s.recv(65536):
        break
    s.sendall(answer)
"""

EVENT = {
    "version": "2.0",
    "routeKey": "GET /python",
    "rawPath": "/python",
    "rawQueryString": "",
    "headers": {
        "host": "127.0.0.1:8080",
        "user-agent": "wrk",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-port": "8080",
        "x-forwarded-proto": "http",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "1234567890",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {
            "method": "GET",
            "path": "/python",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "wrk",
        },
        "requestId": "abcdefghijklmno=",
        "routeKey": "GET /python",
        "stage": "$default",
        "time": "01/Dec/2026:07:30:00 +0000",
        "timeEpoch": 1764574200000,
    },
    "isBase64Encoded": False,
}


def event_frame(n, body):
    """A `V` frame as the gateway writes it: headers JSON with its length, then the body."""
    headers = json.dumps(
        {
            "lambda-runtime-aws-request-id": "29543689-edc7-470b-b681-%012d" % n,
            "lambda-runtime-deadline-ms": str(int(time.time() * 1000) + 600000),
            "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "lambda-runtime-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            "content-type": "application/json",
        }
    ).encode()
    payload = len(headers).to_bytes(4, "little") + headers + body
    return b"V" + len(payload).to_bytes(4, "little") + payload


class Frames:
    """Reads whole frames from the runtime's connection."""

    def __init__(self, conn):
        self.conn = conn
        self.buf = b""

    def read(self):
        while len(self.buf) < 5:
            self._fill()
        end = 5 + int.from_bytes(self.buf[1:5], "little")
        while len(self.buf) < end:
            self._fill()
        frame, self.buf = self.buf[:end], self.buf[end:]
        return frame

    def _fill(self):
        chunk = self.conn.recv(65536)
        if not chunk:
            raise SystemExit("the bootstrap closed its connection")
        self.buf += chunk

    def answer(self):
        """The next response or error frame (the `N` behind each one is skipped)."""
        while True:
            frame = self.read()
            if frame[:1] != b"N":
                return frame


def minor_collections(trace, invocations):
    """A summary of V8's `--trace-gc-nvp` lines for scavenges (gc=s)."""
    count = allocated = survived = 0
    pauses = []
    for line in trace.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("gc") != "s":
            continue
        count += 1
        allocated += int(fields.get("allocated", 0))
        survived += int(fields.get("new_space_survived", 0))
        pauses.append(float(fields.get("pause", 0)))
    if count == 0:
        return "minor collections: none"
    return (
        "minor collections: %d, %.0f bytes allocated per invocation, %.0f bytes surviving each, "
        "pause %.2f ms on average, %.2f ms at most"
        % (count, allocated / invocations, survived / count, sum(pauses) / count, max(pauses))
    )


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=30000, help="measured invocations")
    parser.add_argument("--bare", action="store_true", help="measure the bare loop instead")
    parser.add_argument("--profile", metavar="OUT", help="run the bootstrap under cProfile")
    parser.add_argument("--node", action="store_true", help="the Node.js bootstrap instead")
    parser.add_argument(
        "--bootstrap", metavar="FILE", help="this bootstrap script instead (an older one, to compare)"
    )
    parser.add_argument(
        "--event", metavar="FILE", help="this event (a JSON file) instead of the HTTP API one"
    )
    parser.add_argument(
        "--gc", action="store_true", help="with --node: V8's minor collections during the run"
    )
    args = parser.parse_args()
    if args.node and (args.bare or args.profile):
        parser.error("--bare and --profile are for the Python bootstrap")
    if args.gc and not args.node:
        parser.error("--gc needs --node")
    if args.bootstrap:
        args.bootstrap = os.path.abspath(args.bootstrap)  # the bootstrap runs in the handler's folder

    work = tempfile.mkdtemp(prefix="lambdagate-bootstrap-cpu-")
    path = os.path.join(work, "runtime.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)
    env = dict(
        os.environ,
        LAMBDAGATE_RUNTIME_SOCKET=path,
        _HANDLER="handler.handler",
        LAMBDA_TASK_ROOT=HANDLER_DIR,
        AWS_LAMBDA_FUNCTION_NAME="PythonHello",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
    )
    cwd = HANDLER_DIR
    gc_log = None
    if args.node:
        cwd = NODE_HANDLER_DIR
        env.update(
            LAMBDA_TASK_ROOT=cwd,
            AWS_LAMBDA_FUNCTION_NAME="NodeHello",
            AWS_EXECUTION_ENV="AWS_Lambda_nodejs20.x",
        )
        trace = ["--trace-gc-nvp"] if args.gc else []
        command = ["node", *NODE_OPTIONS, *trace, args.bootstrap or NODE_BOOTSTRAP]
        if args.gc:
            # V8 prints one line per collection on standard output; a file, so a full pipe
            # never stalls the bootstrap.
            gc_log = open(os.path.join(work, "gc.log"), "w+")
    elif args.bare:
        command = [sys.executable, "-c", BARE]
    elif args.profile:
        command = [sys.executable, "-m", "cProfile", "-o", args.profile, args.bootstrap or BOOTSTRAP]
    else:
        command = [sys.executable, args.bootstrap or BOOTSTRAP]
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=gc_log)
    try:
        listener.settimeout(30)
        conn, _ = listener.accept()
        frames = Frames(conn)
        if frames.read()[:1] != b"N":
            raise SystemExit("the bootstrap did not ask for an event first")
        if args.event:
            with open(args.event, "rb") as f:
                body = json.dumps(json.load(f), separators=(",", ":")).encode()
        else:
            body = json.dumps(EVENT).encode()
        events = [event_frame(n, body) for n in range(args.n)]
        for n in range(min(2000, args.n)):  # warm-up
            conn.sendall(events[n])
            frames.answer()
        gc_from = os.path.getsize(gc_log.name) if gc_log else 0
        before, started = cpu_seconds(child.pid), time.perf_counter()
        for frame in events:
            conn.sendall(frame)
            last = frames.answer()
        used, elapsed = cpu_seconds(child.pid) - before, time.perf_counter() - started
        gc_to = os.path.getsize(gc_log.name) if gc_log else 0
        if not args.bare and b'"statusCode": 200' not in last and b'"statusCode":200' not in last:
            raise SystemExit("unexpected answer: %r" % last[:120])
        print(
            "%s: %.1f us CPU per invocation, %.1f us per round trip (%d invocations)"
            % (
                "bare loop" if args.bare else "bootstrap",
                used / args.n * 1e6,
                elapsed / args.n * 1e6,
                args.n,
            )
        )
        if gc_log:
            gc_log.seek(gc_from)
            print(minor_collections(gc_log.read(gc_to - gc_from), args.n))
        conn.close()
        child.wait(timeout=10)
    finally:
        if gc_log:
            gc_log.close()
            os.unlink(gc_log.name)
        if child.poll() is None:
            child.kill()
            child.wait()
        listener.close()
        os.unlink(path)
        os.rmdir(work)


if __name__ == "__main__":
    main()
