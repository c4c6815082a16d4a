"""lambdagate Python runtime bootstrap.

Runs one Lambda function instance: loads the handler named by ``_HANDLER`` from
``LAMBDA_TASK_ROOT`` and serves invocations from the Lambda Runtime API at
``AWS_LAMBDA_RUNTIME_API`` (plain ``host:port``) until the process is stopped.

It behaves like the official AWS Python runtime client (awslambdaric): the same
handler resolution, context object, JSON rules, error documents, error types and
messages, and log line formats. It is a single file using only the standard
library (Python 3.8+), because lambdagate ships it inside its binary.
"""

import decimal
import importlib
import json
import logging
import math
import os
import select
import socket
import sys
import time
import traceback

_API_PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
# Lambda joins the lines of one error record with CR so the platform keeps it as
# one log event, and turns leading spaces of trace lines into no-break spaces.
_ERROR_LINE_JOIN = "\r"
_ERROR_INDENT = "\u00a0"
_XRAY_CAUSE_LIMIT = 1024 * 1024
_THIS_FILE = os.path.abspath(__file__)

# Lambda prints a paragraph about runtime updates here; locally only its first sentence
# helps, and a paragraph before every init error buries the error.
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the "
    "function code.\r"
)


class FaultException(Exception):
    """A runtime-level failure with a Lambda ``Runtime.*`` error type."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        Exception.__init__(self, msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


# ---------------------------------------------------------------------------
# JSON marshalling
# ---------------------------------------------------------------------------


class Marshaller(object):
    """JSON encoding with the official client's rules.

    Decimals are written as their exact text (not via float), NaN decimals as
    NaN, and non-finite floats are allowed. Non-ASCII text is escaped except on
    the python3.12+ runtimes, where the official client stopped escaping it.
    """

    def __init__(self, ensure_ascii):
        self._raw = []
        # A marker no real string contains: a NUL plus a per-process nonce.
        self._marker = "\x00lambdagate-decimal-%x-" % (
            int.from_bytes(os.urandom(6), "big"),
        )
        self._encoder = json.JSONEncoder(
            ensure_ascii=ensure_ascii, allow_nan=True, default=self._default
        )

    def _default(self, obj):
        if isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return math.nan
            self._raw.append(str(obj))
            return "%s%d\x00" % (self._marker, len(self._raw) - 1)
        raise TypeError(
            "Object of type %s is not JSON serializable" % obj.__class__.__name__
        )

    def encode(self, obj):
        """Serialise ``obj`` to a JSON string."""
        self._raw = []
        try:
            text = self._encoder.encode(obj)
        finally:
            raw, self._raw = self._raw, []
        if raw:
            text = self._splice_decimals(text, raw)
        return text

    def _splice_decimals(self, text, raw):
        import re

        # The encoder escapes NUL as \u0000, so each decimal appears as a quoted
        # placeholder string; swap it for the decimal's exact digits.
        escaped = json.dumps(self._marker)[1:-1]
        pattern = re.compile('"' + re.escape(escaped) + r"(\d+)\\u0000\"")
        return pattern.sub(lambda m: raw[int(m.group(1))], text)


_scan_json = json.JSONDecoder().scan_once


def _loads(data):
    """``json.loads(data)`` for bytes: the same value, or the same error, sooner.

    ``json.loads`` first guesses the bytes' encoding (UTF-8, -16 or -32) and
    matches whitespace with a regular expression at both ends; for a small event
    that costs as much as the parse. A UTF-8 document with nothing around it,
    which is what the gateway sends, goes straight to the same C scanner; any
    other input (a BOM, UTF-16, surrogates, whitespace, extra data, an error)
    takes ``json.loads`` itself, so results and messages are unchanged.
    """
    try:
        text = data.decode("utf-8")
        value, end = _scan_json(text, 0)
    except Exception:
        return json.loads(data)
    if end != len(text):
        return json.loads(data)
    return value


def _runtime_escapes_ascii():
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if env.startswith(prefix):
        minor = env[len(prefix) :]
        if minor.isdigit() and int(minor) >= 12:
            return False
    return True


# ---------------------------------------------------------------------------
# Runtime API client: one persistent HTTP/1.1 connection, no per-call imports
# ---------------------------------------------------------------------------


class RuntimeApiError(Exception):
    """The Runtime API answered with an unexpected status or went away."""


class _Stopping(RuntimeApiError):
    """The gateway is stopping the instance: the runtime exits without a word, as
    Lambda's runtimes are ended without one."""


class _ClosedBeforeResponse(Exception):
    """The server closed the connection before sending any of its answer."""


def _path_segment(value):
    if value.replace("-", "").isalnum() and value.isascii():
        return value
    out = []
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch.isascii() and (ch.isalnum() or ch in "-._~"):
            out.append(ch)
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


class RuntimeClient(object):
    """Minimal HTTP/1.1 client for the Lambda Runtime API.

    A hand-written client keeps the per-invocation cost to one socket write and
    two reads; http.client parses headers with the email package, which costs
    more than the whole rest of a warm invocation.

    The result of an invocation and the poll for the next one go out together
    (HTTP/1.1 pipelining): the server answers them in order, and the pair costs
    one write here and one read there instead of two round trips (measured on
    the benchmark's Python hello at 16 connections: 139 -> 118 us of CPU per
    request over all processes, gateway included).
    """

    def __init__(self, address):
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit() or "/" in address:
            raise ValueError(
                "AWS_LAMBDA_RUNTIME_API must be host:port, got %r" % address
            )
        self.host = host[1:-1] if host.startswith("[") else host
        self.port = int(port)
        self.sock = None
        self.buf = b""
        # True while a GET /invocation/next went out behind the last POST and its
        # answer is still to be read.
        self.next_sent = False
        host_line = "Host: %s\r\nUser-Agent: lambdagate-python/%d.%d\r\n" % (
            address,
            sys.version_info[0],
            sys.version_info[1],
        )
        self.host_line = host_line
        self.next_request = (
            "GET %s/invocation/next HTTP/1.1\r\n%s\r\n" % (_API_PREFIX, host_line)
        ).encode("latin-1")

    def _connect(self):
        sock = socket.create_connection((self.host, self.port))
        # Without TCP_NODELAY, Nagle + delayed ACK add tens of ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = b""

    def _close(self):
        sock, self.sock = self.sock, None
        self.buf = b""
        self.next_sent = False
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _exchange(self, parts):
        # One retry on a fresh connection if the kept-alive one turned out to be
        # closed by the server before it answered (idle timeouts).
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            try:
                for part in parts:
                    self.sock.sendall(part)
                return self._read_response()
            except (_ClosedBeforeResponse, BrokenPipeError, ConnectionResetError):
                self._close()
                if attempt:
                    raise RuntimeApiError("Runtime API closed the connection")
            except OSError:
                self._close()
                raise

    def _read_response(self):
        sock = self.sock
        buf = self.buf
        received = bool(buf)
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            chunk = sock.recv(65536)
            if not chunk:
                if received:
                    self._close()
                    raise RuntimeApiError("Runtime API closed the connection")
                raise _ClosedBeforeResponse()
            received = True
            buf += chunk
            end = buf.find(b"\r\n\r\n", max(0, len(buf) - len(chunk) - 3))
        lines = buf[:end].decode("latin-1").split("\r\n")
        rest = buf[end + 4 :]
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            self._close()
            raise RuntimeApiError("bad status line from Runtime API: %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        if length is not None:
            body, rest = self._read_exact(rest, int(length))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, rest = self._read_chunked(rest)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body, rest = self._read_to_eof(rest), b""
            self._close()
        self.buf = rest
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def _read_exact(self, have, n):
        if len(have) < n:
            parts = [have]
            count = len(have)
            while count < n:
                chunk = self.sock.recv(max(65536, n - count))
                if not chunk:
                    self._close()
                    raise RuntimeApiError("Runtime API closed the connection")
                parts.append(chunk)
                count += len(chunk)
            have = b"".join(parts)
        if len(have) == n:
            return have, b""
        return have[:n], have[n:]

    def _read_line(self, have):
        while True:
            i = have.find(b"\r\n")
            if i >= 0:
                return have[:i], have[i + 2 :]
            chunk = self.sock.recv(65536)
            if not chunk:
                self._close()
                raise RuntimeApiError("Runtime API closed the connection")
            have += chunk

    def _read_chunked(self, have):
        parts = []
        while True:
            line, have = self._read_line(have)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Skip trailers up to the empty line.
                while True:
                    line, have = self._read_line(have)
                    if not line:
                        return b"".join(parts), have
            data, have = self._read_exact(have, size + 2)
            parts.append(data[:size])

    def _read_to_eof(self, have):
        parts = [have]
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)

    def next_invocation(self):
        """Long-poll the next event: returns (headers, body bytes)."""
        answer = None
        if self.next_sent:
            self.next_sent = False
            try:
                answer = self._read_response()
            except (_ClosedBeforeResponse, ConnectionResetError):
                # Closed before answering the pipelined poll: poll again.
                self._close()
        if answer is None:
            answer = self._exchange((self.next_request,))
        status, headers, body = answer
        if status == 410:
            raise _Stopping("the instance is stopping")
        if status != 200:
            raise RuntimeApiError(
                "Failed to get next invocation: HTTP %d %r" % (status, body[:200])
            )
        return headers, body

    def _post(self, path, body, content_type, extra_headers="", then_next=False):
        if then_next:
            # lambdagate then holds this answer until the next event is ready, and
            # both arrive in one read.
            extra_headers += "Lambdagate-Next-Follows: 1\r\n"
        head = (
            "POST %s%s HTTP/1.1\r\n%sContent-Type: %s\r\n%sContent-Length: %d\r\n\r\n"
            % (
                _API_PREFIX,
                path,
                self.host_line,
                content_type,
                extra_headers,
                len(body),
            )
        ).encode("latin-1")
        # Small bodies go out in one write; large ones are not copied.
        if len(body) < 262144:
            parts = (head + body + self.next_request,) if then_next else (head + body,)
        else:
            parts = (head, body, self.next_request) if then_next else (head, body)
        status, _, answer = self._exchange(parts)
        # The poll is answered later on this connection, unless the server closed it.
        self.next_sent = then_next and self.sock is not None
        return status, answer

    def post_response(self, request_id, body, content_type):
        """Report an invocation's result (body is bytes); the poll for the next
        event goes out with it, and next_invocation() reads its answer."""
        path = "/invocation/%s/response" % _path_segment(request_id)
        status, answer = self._post(path, body, content_type, then_next=True)
        if status >= 300:
            _warn_runtime_api("response", request_id, status, answer)

    def post_error(self, request_id, error_json, error_type, xray_json):
        """Report an invocation's failure (error_json is str), polling for the
        next event with it as post_response does."""
        path = "/invocation/%s/error" % _path_segment(request_id)
        status, answer = self._post(
            path,
            error_json.encode("utf-8"),
            "application/json",
            _error_headers(error_type, xray_json),
            then_next=True,
        )
        if status >= 300:
            _warn_runtime_api("error", request_id, status, answer)

    def post_init_error(self, error_json, error_type):
        """Report a failure to initialise the function."""
        status, answer = self._post(
            "/init/error",
            error_json.encode("utf-8"),
            "application/json",
            _error_headers(error_type, None),
        )
        if status >= 300:
            _warn_runtime_api("init error", "", status, answer)


class FrameClient(object):
    """The Runtime API in lambdagate's frames, on the Unix socket it gives this
    instance (LAMBDAGATE_RUNTIME_SOCKET): the operations of RuntimeClient without
    HTTP. Each frame is a kind byte, a 4-byte little-endian length and the
    payload; see runtime_api/frames.rs in lambdagate for the layout.

    It waits for data with poll(), not in a blocking recv: a Unix socket wakes a
    reader blocked in recv each time the other end consumes what it sent (write
    space), a needless wake-up of both processes per invocation; poll() is woken
    for input only.
    """

    NEXT = b"N\x00\x00\x00\x00"

    def __init__(self, path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.buf = b""
        self.next_sent = False
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)

    def _recv(self, size):
        self.poller.poll()
        chunk = self.sock.recv(size)
        if not chunk:
            raise RuntimeApiError("Runtime API closed the connection")
        return chunk

    def _read_frame(self):
        buf = self.buf
        while len(buf) < 5:
            buf += self._recv(65536)
        end = 5 + int.from_bytes(buf[1:5], "little")
        if len(buf) < end:
            parts = [buf]
            have = len(buf)
            while have < end:
                chunk = self._recv(max(65536, end - have))
                parts.append(chunk)
                have += len(chunk)
            buf = b"".join(parts)
        self.buf = buf[end:]
        return buf[0], buf[5:end]

    def next_invocation(self):
        """Long-poll the next event: returns (headers, body bytes). The gateway
        may have sent it already, while the last invocation ran (an event sent
        ahead): it is then in self.buf and no wait is needed."""
        if not self.next_sent:
            self.sock.sendall(self.NEXT)
        self.next_sent = False
        kind, payload = self._read_frame()
        if kind == 0x58:  # X: the instance is stopping
            raise _Stopping("the instance is stopping")
        if kind != 0x56 or len(payload) < 4:  # V: an event
            raise RuntimeApiError("unexpected frame %r from the Runtime API" % kind)
        end = 4 + int.from_bytes(payload[:4], "little")
        return _loads(payload[4:end]), payload[end:]

    def _answer(self, kind, request_id, error_type, body, then_next):
        # Without a next poll behind it, wait for the acknowledgement (the caller
        # may exit next, and must know the answer was taken).
        ack = not then_next
        rid = request_id.encode("utf-8")
        etype = error_type.encode("utf-8")
        size = 5 + len(rid) + len(etype) + len(body)
        head = b"".join(
            (
                kind,
                size.to_bytes(4, "little"),
                b"\x01" if ack else b"\x00",
                len(rid).to_bytes(2, "little"),
                rid,
                len(etype).to_bytes(2, "little"),
                etype,
            )
        )
        tail = self.NEXT if then_next else b""
        # Small bodies go out in one write; large ones are not copied.
        if len(body) < 262144:
            self.sock.sendall(head + body + tail)
        else:
            self.sock.sendall(head)
            self.sock.sendall(body)
            if tail:
                self.sock.sendall(tail)
        self.next_sent = then_next
        if not ack:
            return 202, b""
        kind, payload = self._read_frame()
        # An event sent ahead before the acknowledgement is void: the gateway
        # took it back when it saw this answer.
        while kind == 0x56:
            kind, payload = self._read_frame()
        if kind != 0x41 or len(payload) < 2:  # A: the acknowledgement
            raise RuntimeApiError("unexpected frame %r from the Runtime API" % kind)
        return int.from_bytes(payload[:2], "little"), payload[2:]

    def post_response(self, request_id, body, content_type):
        """Report an invocation's result (body is bytes); the poll for the next
        event goes out with it."""
        self._answer(b"R", request_id, "", body, True)

    def post_error(self, request_id, error_json, error_type, xray_json):
        """Report an invocation's failure (error_json is str), polling for the
        next event with it."""
        self._answer(
            b"E",
            request_id,
            _header_value(error_type or ""),
            error_json.encode("utf-8"),
            True,
        )

    def post_init_error(self, error_json, error_type):
        """Report a failure to initialise the function."""
        status, answer = self._answer(
            b"I", "", _header_value(error_type or ""), error_json.encode("utf-8"), False
        )
        if status >= 300:
            _warn_runtime_api("init error", "", status, answer)


def _header_value(value):
    # Header values must stay on one line and in Latin-1.
    value = value.replace("\r", " ").replace("\n", " ")
    return value.encode("latin-1", "replace").decode("latin-1")


def _error_headers(error_type, xray_json):
    headers = ""
    if error_type:
        headers += "%s: %s\r\n" % (_ERROR_TYPE_HEADER, _header_value(error_type))
    if xray_json and len(xray_json) < _XRAY_CAUSE_LIMIT:
        headers += "%s: %s\r\n" % (_XRAY_CAUSE_HEADER, _header_value(xray_json))
    return headers


def _warn_runtime_api(what, request_id, status, answer):
    sys.stderr.write(
        "lambdagate-python: Runtime API refused the %s for %s: HTTP %d %s\n"
        % (what, request_id or "init", status, answer[:300].decode("utf-8", "replace"))
    )


# ---------------------------------------------------------------------------
# Context object
# ---------------------------------------------------------------------------


class CognitoIdentity(object):
    """Amazon Cognito identity of the caller (mobile SDK invocations)."""

    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client(object):
    """Client application data from a mobile SDK invocation."""

    __slots__ = [
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    ]

    def __repr__(self):
        return (
            "Client([installation_id=%s,app_title=%s,app_version_name=%s,"
            "app_version_code=%s,app_package_name=%s])"
            % tuple(getattr(self, f) for f in self.__slots__)
        )


class ClientContext(object):
    """Client context passed by the invoker (X-Amz-Client-Context)."""

    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (
            self.custom,
            self.env,
            self.client,
        )


def _object_from_dict(cls, data):
    if data is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, data.get(field) if isinstance(data, dict) else None)
    return obj


def _environ_parts(environ):
    """``os.environ``'s own mapping of encoded names to encoded values and its
    four codecs (encodekey, encodevalue, decodevalue), or None for a mapping
    that is not an ``os._Environ``. The context's variables and the trace id
    use them to skip what ``os.environ`` does on each access.
    """
    data = getattr(environ, "_data", None)
    codecs = tuple(
        getattr(environ, name, None) for name in ("encodekey", "encodevalue", "decodevalue")
    )
    if not isinstance(data, dict) or None in codecs:
        return None
    return (data,) + codecs


_CONTEXT_VARIABLES = (
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
)


def _context_reader(environ):
    """A function returning the context's five variables as ``environ.get``
    would, now: a handler that changes one sees it in its next context.

    Five ``os.environ.get`` calls encode five names and decode five values on
    every invocation, more than half of the context's cost; this looks up the
    encoded names in the mapping's own data and decodes again only values that
    were replaced.
    """
    def each(mapping):
        return tuple(mapping.get(name) for name in _CONTEXT_VARIABLES)

    parts = _environ_parts(environ)
    if parts is None:
        return lambda: each(environ)
    data, encodekey, _, decodevalue = parts
    keys = tuple(encodekey(name) for name in _CONTEXT_VARIABLES)
    get = data.get
    seen = [None, None]  # the raw values last read and their decoded form

    def read():
        if os.environ is not environ:  # replaced wholesale (a test's patch)
            return each(os.environ)
        raw = tuple(map(get, keys))
        if raw != seen[0]:
            seen[0] = raw
            seen[1] = tuple(None if v is None else decodevalue(v) for v in raw)
        return seen[1]

    return read


_context_environment = _context_reader(os.environ)


class LambdaContext(object):
    """The ``context`` argument: invocation, function and environment facts."""

    def __init__(
        self,
        invoke_id,
        client_context,
        cognito_identity,
        epoch_deadline_time_in_ms,
        invoked_function_arn=None,
        tenant_id=None,
    ):
        self.aws_request_id = invoke_id
        # Read from the environment on each invocation, as the official client
        # does; memory_limit_in_mb is a string there too.
        (
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
        ) = _context_environment()
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = _object_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _object_from_dict(
                Client, self.client_context.client
            )
        self.identity = _object_from_dict(CognitoIdentity, {})
        if cognito_identity is not None and isinstance(cognito_identity, dict):
            self.identity.cognito_identity_id = cognito_identity.get(
                "cognitoIdentityId"
            )
            self.identity.cognito_identity_pool_id = cognito_identity.get(
                "cognitoIdentityPoolId"
            )
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the invocation times out (never negative)."""
        delta = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta if delta > 0 else 0

    def log(self, msg):
        """Write ``msg`` to the function log as is."""
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s,tenant_id=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR,
            "Unable to parse %s JSON: %s" % (name, e),
        )


# ---------------------------------------------------------------------------
# Handler loading
# ---------------------------------------------------------------------------


# What a Lambda Python runtime has besides the standard library and the function's own code
# and layers: the AWS SDK and its dependencies (in /var/runtime), pip and setuptools; and what a
# debugger started with --debug-args loads on its own.
_LAMBDA_PROVIDED = frozenset(
    (
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "dateutil",
        "urllib3",
        "six",
        "awslambdaric",
        "pip",
        "setuptools",
        "pkg_resources",
        "_distutils_hack",
        "debugpy",
        "pydevd",
        "_pydevd_bundle",
        "_pydev_bundle",
        "_pydevd_frame_eval",
        "pydevd_plugins",
    )
)


class _HostPackageFinder(object):
    """The path finder, saying once per top-level module when one is found in the
    site-packages of the interpreter that runs the function here. Lambda's
    interpreter has none of those packages: an import that works here only
    because a package is installed on this machine fails there with
    Runtime.ImportModuleError. The import itself is left as it is."""

    def __init__(self, finder, host_dirs):
        self._finder = finder
        self._host_dirs = host_dirs
        self._said = set()

    def __getattr__(self, name):
        # invalidate_caches, find_distributions (importlib.metadata), ...
        return getattr(self._finder, name)

    def find_spec(self, name, path=None, target=None):
        spec = self._finder.find_spec(name, path, target)
        if (
            spec is None
            or path is not None
            or name in self._said
            or name in _LAMBDA_PROVIDED
        ):
            return spec
        where = spec.origin if spec.has_location else None
        if where is None and spec.submodule_search_locations:
            where = next(iter(spec.submodule_search_locations), None)
        if where:
            folder = self._host_dir_of(where)
            if folder is not None:
                self._said.add(name)
                # A host package's own imports come with it, and the SDK's optional
                # ones (botocore tries certifi) fail quietly on Lambda: only an import
                # in the function's code (or a layer's) is worth a word.
                if self._asked_by_the_function():
                    sys.stderr.write(
                        "lambdagate: warning: module '%s' was imported from %s, the packages of "
                        "the Python that runs this function here; Lambda does not have them, so "
                        "there this import fails unless '%s' is deployed with the function "
                        "(requirements.txt and sam build) or in a layer\n" % (name, folder, name)
                    )
        return spec

    def _host_dir_of(self, path):
        if not path:
            return None
        path = os.path.realpath(path)
        for folder in self._host_dirs:
            if path.startswith(folder + os.sep):
                return folder
        return None

    def _asked_by_the_function(self):
        """Whether the code asking for the import (the first frame outside the
        import machinery, importlib.import_module included, and this file) is
        neither a host package nor one Lambda provides."""
        machinery = os.path.dirname(importlib.__file__) + os.sep
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if (
                not name.startswith("<")
                and name != _THIS_FILE
                and not name.startswith(machinery)
            ):
                module = frame.f_globals.get("__name__") or ""
                return (
                    module.split(".")[0] not in _LAMBDA_PROVIDED
                    and self._host_dir_of(name) is None
                )
            frame = frame.f_back
        return False


def _watch_host_packages(own_paths):
    """Puts _HostPackageFinder in place of the path finder, for the site-packages
    folders of this interpreter that are not among `own_paths` (the function's code,
    its layers, lambdagate's copy of the SDK) and hold none of them. A virtualenv
    inside the code folder is still the host's: Lambda puts the code folder on the
    path, not the site-packages folder inside it."""
    try:
        import site
        import importlib.machinery

        folders = list(site.getsitepackages())
        if site.ENABLE_USER_SITE:
            folders.append(site.getusersitepackages())
    except Exception:
        return
    own = [os.path.realpath(p) for p in own_paths if p]
    host = []
    for folder in folders:
        folder = os.path.realpath(folder)
        if not any(folder == mine or mine.startswith(folder + os.sep) for mine in own):
            host.append(folder)
    if not host:
        return
    finder = importlib.machinery.PathFinder
    for i, entry in enumerate(sys.meta_path):
        if entry is finder:
            sys.meta_path[i] = _HostPackageFinder(finder, tuple(host))
            return


def get_handler(handler):
    """Import the handler's module and return the handler function."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(
            FaultException.MALFORMED_HANDLER_NAME,
            "Bad handler '%s': %s" % (handler, e),
        )
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module %s as a handler module" % modname,
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '%s': %s" % (modname, e),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '%s': %s" % (modname, e),
            trace,
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND,
            "Handler '%s' missing on module '%s'" % (fname, modname),
        )


# ---------------------------------------------------------------------------
# Errors and logs
# ---------------------------------------------------------------------------


def make_error(error_message, error_type, stack_trace, invoke_id=None):
    """The error document Lambda returns for a failed init or invocation."""
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb):
    frames = [
        (f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)
    ]
    # Drop the leading frames that belong to this bootstrap.
    for i, frame in enumerate(frames):
        if frame[0] != _THIS_FILE and "/bootstrap.py" not in frame[0]:
            return frames[i:]
    return frames


def _xray_cause(error_type, message, frames):
    return {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "message": message,
                "type": error_type,
                "stack": [
                    {"label": f[2], "path": f[0], "line": f[1]} for f in frames
                ],
            }
        ],
        "paths": list(set(f[0] for f in frames)),
    }


def _indent(line):
    count = len(line) - len(line.lstrip(" "))
    return _ERROR_INDENT * count + line[count:]


def log_error(error_result):
    """Print an error record the way the Lambda Python runtime does."""
    text = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        text += " " + error_type
    message = error_result.get("errorMessage")
    if message:
        if error_type:
            text += ":"
        text += " " + message
    lines = [text]
    stack = error_result.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            if element == "":
                lines.append("")
            else:
                lines.extend(_indent(line) for line in element.splitlines())
    sys.stdout.write(_ERROR_LINE_JOIN.join(lines) + "\n")


class _Unbuffered(object):
    """Flush after every write so logs appear while the function runs.

    An invocation sent ahead may begin before lambdagate has taken the answer
    to the one before; its first output then carries the instance's mark in
    front (pending_mark, naming the invocation), so that lambdagate logs it
    after that invocation's START rather than as the previous one's."""

    def __init__(self, stream):
        self.stream = stream
        self.pending_mark = None

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, msg):
        if self.pending_mark is not None and msg:
            self.stream.write(self.pending_mark)
            self.pending_mark = None
        n = self.stream.write(msg)
        self.stream.flush()
        return n

    def writelines(self, msgs):
        if self.pending_mark is not None:
            self.stream.write(self.pending_mark)
            self.pending_mark = None
        self.stream.writelines(msgs)
        self.stream.flush()


_current_request_id = ""
# How the mark in front of the first output of an invocation sent ahead starts
# (see _Unbuffered): a NUL, the token in LAMBDAGATE_OUTPUT_MARK, a colon; the
# request id and a NUL follow.
_output_mark = None
_current_tenant_id = None


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        record.tenant_id = _current_tenant_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


# A LogRecord's own attributes: anything else on a record came from `extra=` and is logged.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "aws_request_id", "tenant_id"}

_JSON_LEVELS = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class _JsonFormatter(logging.Formatter):
    """Lambda's JSON log records (`LoggingConfig.LogFormat: JSON`): timestamp, level, message,
    logger and request id, the exception's type, message and stack, the code's location for
    errors, and the record's `extra` fields; one line each."""

    def format(self, record):
        exc = record.exc_info
        fields = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": _JSON_LEVELS.get(record.levelname, record.levelname),
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None),
        }
        if exc and exc[0] is not None:
            fields["errorType"] = exc[0].__name__
            fields["errorMessage"] = str(exc[1])
            fields["stackTrace"] = traceback.format_tb(exc[2])
        if record.levelno >= logging.ERROR:
            fields["location"] = "%s:%s:%s" % (
                record.pathname,
                record.funcName,
                record.lineno,
            )
        tenant = getattr(record, "tenant_id", None)
        if tenant is not None:
            fields["tenantId"] = tenant
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in fields:
                fields[key] = value
        fields = {k: v for k, v in fields.items() if v is not None}
        return json.dumps(fields, default=str, ensure_ascii=False) + "\n"


def setup_logging():
    """Install the root log handler with Lambda's text format, or its JSON records when the
    function's `LoggingConfig` asks for them (`AWS_LAMBDA_LOG_FORMAT=JSON`)."""
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL"):
        level = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(
            level, level
        )
        root.setLevel(level)
    root.addHandler(handler)


# ---------------------------------------------------------------------------
# The invocation loop
# ---------------------------------------------------------------------------


def _trace_id_setter(environ):
    """How each invocation publishes its trace id as os.environ["_X_AMZN_TRACE_ID"].

    Assigning to os.environ also calls the C library's setenv, and glibc keeps
    every distinct string ever set for the life of the process: with a new
    trace id per invocation that leaked about 140 bytes an invocation (70 MB per
    500,000) in a long-lived instance. The id is kept in os.environ's own
    mapping instead, where Python code (the X-Ray SDK, os.getenv) reads it;
    only child processes started without an explicit env miss it.
    """
    name = "_X_AMZN_TRACE_ID"
    parts = _environ_parts(environ)
    if parts is None:

        def set_through_libc(trace_id):
            if trace_id is not None:
                environ[name] = trace_id
            elif name in environ:
                del environ[name]

        return set_through_libc
    data, encodekey, encodevalue, _ = parts
    key = encodekey(name)
    # A value inherited from our own environment would otherwise shadow ours
    # in the C library's copy; drop it there once.
    if name in environ:
        del environ[name]

    def set_trace_id(trace_id):
        if trace_id is not None:
            data[key] = encodevalue(trace_id)
        else:
            data.pop(key, None)

    return set_trace_id


def _init_error(client, marshaller, error_result):
    logging.warning(_UNHANDLED_WARNING)
    log_error(error_result)
    try:
        client.post_init_error(marshaller.encode(error_result), error_result["errorType"])
    except (OSError, RuntimeApiError) as e:
        sys.stderr.write("lambdagate-python: could not report init error: %s\n" % e)
    sys.exit(1)


def _fault_result(exc_info):
    etype, value, tb = exc_info
    frames = _user_frames(tb)
    return make_error(str(value), etype.__name__, traceback.format_list(frames))


def run(client, handler_name):
    """Load the handler, then serve invocations forever."""
    global _current_request_id, _current_tenant_id
    marshaller = Marshaller(_runtime_escapes_ascii())
    # Header values must be ASCII, so the X-Ray cause is always escaped.
    xray_encoder = json.JSONEncoder(ensure_ascii=True, default=str)

    try:
        setup_logging()
        request_handler = get_handler(handler_name)
    except FaultException as e:
        _init_error(client, marshaller, make_error(e.msg, e.exception_type, e.trace))
    except Exception:
        _init_error(client, marshaller, _fault_result(sys.exc_info()))

    set_trace_id = _trace_id_setter(os.environ)
    streams = [s for s in (sys.stdout, sys.stderr) if isinstance(s, _Unbuffered)]
    encode = marshaller.encode
    loads = _loads
    next_invocation = client.next_invocation
    post_response = client.post_response

    while True:
        headers, body = next_invocation()
        get = headers.get
        invoke_id = get("lambda-runtime-aws-request-id", "")
        _current_request_id = invoke_id
        # An event sent ahead carries its Timeout: its clock starts now.
        ahead = get("lambdagate-timeout-ms")
        mark = None
        if ahead is not None and _output_mark is not None:
            mark = "%s%s\0" % (_output_mark, invoke_id)
        for stream in streams:
            stream.pending_mark = mark
        _current_tenant_id = get("lambda-runtime-aws-tenant-id")
        set_trace_id(get("lambda-runtime-trace-id"))

        error_result = None
        try:
            client_context = get("lambda-runtime-client-context")
            if client_context:
                client_context = _parse_json_header(client_context, "Client Context")
            identity = get("lambda-runtime-cognito-identity")
            if identity:
                identity = _parse_json_header(identity, "Cognito Identity")
            try:
                if ahead is None:
                    deadline = int(get("lambda-runtime-deadline-ms", "0"))
                else:
                    deadline = int(time.time() * 1000) + int(ahead)
            except ValueError:
                deadline = 0
            context = LambdaContext(
                invoke_id,
                client_context or None,
                identity or None,
                deadline,
                get("lambda-runtime-invoked-function-arn"),
                _current_tenant_id,
            )
            content_type = get("content-type")
            if content_type is None or content_type.startswith("application/json"):
                try:
                    event = loads(body)
                except Exception as e:
                    raise FaultException(
                        FaultException.UNMARSHAL_ERROR,
                        "Unable to unmarshal input: %s" % e,
                    )
            else:
                event = body
            result = request_handler(event, context)
            if isinstance(result, bytes):
                payload, result_type = result, "application/unknown"
            else:
                try:
                    payload = encode(result).encode("utf-8")
                except Exception as e:
                    raise FaultException(
                        FaultException.MARSHAL_ERROR,
                        "Unable to marshal response: %s" % e,
                    )
                result_type = "application/json"
        except FaultException as e:
            error_result = make_error(e.msg, e.exception_type, e.trace, invoke_id)
            xray = _xray_cause("LambdaValidationError", e.msg, [])
        except Exception:
            etype, value, tb = sys.exc_info()
            frames = _user_frames(tb)
            error_result = make_error(
                str(value), etype.__name__, traceback.format_list(frames), invoke_id
            )
            xray = _xray_cause(etype.__name__, str(value), frames)
            del tb

        if error_result is None:
            post_response(invoke_id, payload, result_type)
        else:
            log_error(error_result)
            try:
                xray_json = xray_encoder.encode(xray)
            except Exception:
                xray_json = ""
            client.post_error(
                invoke_id, encode(error_result), error_result["errorType"], xray_json
            )


def main():
    """Entry point: read Lambda's environment and run the function."""
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    handler_name = os.environ.get("_HANDLER") or (
        sys.argv[1] if len(sys.argv) > 1 else ""
    )
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API", "")
    # Ours alone: the function's code must see Lambda's environment, without it.
    unix_path = os.environ.pop("LAMBDAGATE_RUNTIME_SOCKET", None)
    global _output_mark
    token = os.environ.pop("LAMBDAGATE_OUTPUT_MARK", None)
    _output_mark = "\0%s:" % token if token else None
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # The function's code folder comes first on the import path (before layers
    # from PYTHONPATH), in place of this script's own folder.
    script_dir = os.path.dirname(_THIS_FILE)
    if sys.path and sys.path[0] in (script_dir, ""):
        sys.path[0] = task_root
    else:
        sys.path.insert(0, task_root)
    _watch_host_packages(
        [task_root] + os.environ.get("PYTHONPATH", "").split(os.pathsep)
    )
    client = None
    if unix_path:
        try:
            client = FrameClient(unix_path)
        except OSError:
            # The socket is gone or refused: the TCP address, as any runtime client.
            client = None
    if client is None:
        try:
            client = RuntimeClient(address)
        except ValueError as e:
            sys.stderr.write("lambdagate-python: %s\n" % e)
            sys.exit(1)
    try:
        run(client, handler_name)
    except _Stopping:
        sys.exit(0)
    except (OSError, RuntimeApiError) as e:
        # The Runtime API is gone: the instance is being shut down.
        sys.stderr.write("lambdagate-python: Runtime API unavailable: %s\n" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
