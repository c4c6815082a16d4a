"""A small stand-in for the Lambda Runtime API, for trying and timing bootstraps.

Starts one function instance (python3 bootstrap.py or node bootstrap.mjs) with
Lambda's environment, hands it events, and prints what the runtime answered as
JSON. With --bench it sends the same event N times and reports the per-invoke
round trip measured at the server (from writing the /next answer to having read
the /response request).

    python3 runtimes/dev/fake_runtime_api.py --runtime python \
        --code tests/fixtures/functions/python/hello --handler app.handler \
        --event '{"a":1}' [--event ...] [--bench 20000] [--timeout-ms 3000]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BOOTSTRAPS = {
    "python": ["python3", os.environ.get("PY_BOOTSTRAP", os.path.join(HERE, "..", "python", "bootstrap.py"))],
    "node": ["node", os.environ.get("NODE_BOOTSTRAP", os.path.join(HERE, "..", "node", "bootstrap.mjs"))],
}


class Conn(object):
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            rest += chunk
        self.buf = rest[n:]
        return method, path, headers, rest[:n]

    def send(self, status, body=b"", headers=None):
        head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall(head.encode("latin-1") + b"\r\n" + body)


class Server(object):
    def __init__(self, events, timeout_ms, bench, close_after_answer=False):
        self.close_after_answer = close_after_answer
        self.first_next = None
        self.events = list(events)
        self.timeout_ms = timeout_ms
        self.bench = bench
        self.results = []
        self.latencies = []
        self.sent_at = {}
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            sock, _ = self.listener.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            threading.Thread(target=self.serve, args=(Conn(sock),), daemon=True).start()

    def next_event(self):
        with self.lock:
            if not self.events:
                return None
            return self.events.pop(0)

    def serve(self, conn):
        while True:
            req = conn.read_request()
            t = time.perf_counter()
            if req is None:
                return
            method, path, headers, body = req
            if path.endswith("/invocation/next"):
                if self.first_next is None:
                    self.first_next = time.perf_counter()
                event = self.next_event()
                if event is None:
                    self.done.set()
                    return  # leave the long poll hanging; we are finishing
                rid = str(uuid.uuid4())
                deadline = int(time.time() * 1000) + self.timeout_ms
                hdrs = {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": rid,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:fake",
                    "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                }
                hdrs.update(event.get("headers", {}))
                payload = event["body"].encode("utf-8")
                self.sent_at[rid] = time.perf_counter()
                conn.send(200, payload, hdrs)
            else:
                if self.bench:
                    rid = path.split("/")[4]
                    self.latencies.append(t - self.sent_at.pop(rid, t))
                else:
                    self.results.append(
                        {
                            "path": path,
                            "error_type": headers.get("lambda-runtime-function-error-type"),
                            "content_type": headers.get("content-type"),
                            "body": body.decode("utf-8", "replace"),
                        }
                    )
                conn.send(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
                if self.close_after_answer:
                    # Simulate an idle-timeout close without a Connection header.
                    conn.sock.close()
                    return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", choices=sorted(BOOTSTRAPS), required=True)
    ap.add_argument("--code", required=True)
    ap.add_argument("--handler", required=True)
    ap.add_argument("--event", action="append", default=[])
    ap.add_argument("--header", action="append", default=[], help="Name: value for every event")
    ap.add_argument("--bench", type=int, default=0)
    ap.add_argument("--timeout-ms", type=int, default=3000)
    ap.add_argument("--env", action="append", default=[], help="NAME=value")
    ap.add_argument("--close", action="store_true", help="close the connection after each /response")
    args = ap.parse_args()

    extra = dict(h.split(": ", 1) for h in args.header)
    bodies = args.event or ["{}"]
    if args.bench:
        bodies = bodies[:1] * args.bench
    events = [{"body": b, "headers": extra} for b in bodies]
    server = Server(events, args.timeout_ms, args.bench, args.close)
    code = os.path.abspath(args.code)
    env = dict(os.environ)
    env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % server.port,
            "_HANDLER": args.handler,
            "LAMBDA_TASK_ROOT": code,
            "AWS_LAMBDA_FUNCTION_NAME": "fake",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fake",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef",
            "AWS_REGION": "us-east-1",
            "TZ": "UTC",
        }
    )
    env.update(dict(e.split("=", 1) for e in args.env))
    start = time.perf_counter()
    proc = subprocess.Popen(BOOTSTRAPS[args.runtime], cwd=code, env=env)
    while not server.done.is_set() and proc.poll() is None:
        server.done.wait(0.05)
    elapsed = time.perf_counter() - start
    exit_code = proc.poll()
    if exit_code is None:
        proc.kill()
        proc.wait()
    out = {"exit_code": exit_code, "connections": server.connections}
    if server.first_next is not None:
        # Spawn to the first /next request: interpreter start + handler load.
        out["init_ms"] = round((server.first_next - start) * 1000, 1)
    if args.bench:
        lat = sorted(server.latencies)
        n = len(lat)
        if n:
            out.update(
                invokes=n,
                wall_s=round(elapsed, 3),
                p50_us=round(lat[n // 2] * 1e6, 1),
                p90_us=round(lat[int(n * 0.90)] * 1e6, 1),
                p99_us=round(lat[int(n * 0.99)] * 1e6, 1),
                mean_us=round(sum(lat) / n * 1e6, 1),
            )
    else:
        out["results"] = server.results
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
