// lambdagate Node.js runtime bootstrap.
//
// Runs one Lambda function instance: loads the handler named by _HANDLER from
// LAMBDA_TASK_ROOT (CommonJS or ES module) and serves invocations from the Lambda
// Runtime API at AWS_LAMBDA_RUNTIME_API (plain host:port) until it is stopped.
//
// It behaves like the official AWS Node.js runtime client (aws-lambda-ric): the
// same handler resolution, async/callback semantics (including
// callbackWaitsForEmptyEventLoop), context object, error documents, error types
// and messages, and console line format. It is a single file using only Node's
// standard library, because lambdagate ships it inside its binary.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const USER_AGENT = `lambdagate-node/${process.versions.node}`;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

function runtimeError(name) {
  const cls = class extends Error {};
  Object.defineProperty(cls, 'name', { value: name });
  cls.prototype.name = `Runtime.${name}`;
  return cls;
}

const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
const MalformedStreamingHandler = runtimeError('MalformedStreamingHandler');
const InvalidStreamingOperation = runtimeError('InvalidStreamingOperation');

class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
NodeJsExit.prototype.name = 'Runtime.NodeJsExit';

class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

function isErrorLike(obj) {
  return Boolean(
    obj &&
      typeof obj.name === 'string' &&
      typeof obj.message === 'string' &&
      typeof obj.stack === 'string' &&
      obj.name &&
      obj.message &&
      obj.stack,
  );
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

/** The error document posted to the Runtime API (Node's shape: `trace`). */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function withEnumerableProperties(value) {
  if (value instanceof Error) {
    const out = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
    return out;
  }
  return value;
}

function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

// ---------------------------------------------------------------------------
// Console: Lambda's log line format
// ---------------------------------------------------------------------------

let currentRequestId;
let currentTenantId;

const LEVELS = {
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  ERROR: 5,
  FATAL: 6,
};

function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function formatJson(level, message, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (currentTenantId !== undefined && currentTenantId !== null) record.tenantId = currentTenantId;
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(message, ...params);
  for (const param of [message, ...params]) {
    if (param instanceof Error) {
      record.errorType = param?.constructor?.name ?? 'UnknownError';
      record.errorMessage = param.message;
      record.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(record);
}

function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const minimum = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const stdout = process.stdout;
  const writer = (level) => {
    if (LEVELS[level] < minimum && level !== 'FATAL') return () => {};
    if (json) {
      return (message, ...params) => {
        stdout.write(formatJson(level, message, params).replace(/\n/g, '\r') + '\n');
      };
    }
    return (message, ...params) => {
      // One record per line: embedded newlines become CR, as Lambda does.
      const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(message, ...params)}`;
      stdout.write(line.replace(/\n/g, '\r') + '\n');
    };
  };
  console.trace = writer('TRACE');
  console.debug = writer('DEBUG');
  console.info = writer('INFO');
  console.log = console.info;
  console.warn = writer('WARN');
  console.error = writer('ERROR');
  console.fatal = writer('FATAL');
  return json
    ? (_message, err) => console.error(intoError(err))
    : (message, err) => console.error(message, toFormatted(intoError(err)));
}

const logError = patchConsole();

// An invocation sent ahead may begin before lambdagate has taken the answer to
// the one before; its first output on each stream then carries the instance's
// mark in front (a NUL, the token, a colon, the request id, a NUL), so that
// lambdagate logs it after that invocation's START rather than as the previous
// one's. The token is ours alone: the function's code does not see it in its
// environment.
const outputMark = process.env.LAMBDAGATE_OUTPUT_MARK ? `\0${process.env.LAMBDAGATE_OUTPUT_MARK}:` : null;
delete process.env.LAMBDAGATE_OUTPUT_MARK;
// The mark each stream's next output carries, or null.
const pendingMark = { stdout: null, stderr: null };

function markOutput(stream, name) {
  const write = stream.write;
  stream.write = function (chunk, ...rest) {
    const mark = pendingMark[name];
    if (mark !== null && chunk !== undefined && chunk !== null && chunk.length > 0) {
      pendingMark[name] = null;
      if (typeof chunk === 'string' && (rest.length === 0 || typeof rest[0] === 'function')) {
        return write.call(this, mark + chunk, ...rest);
      }
      write.call(this, mark);
    }
    return write.call(this, chunk, ...rest);
  };
}

if (outputMark !== null) {
  markOutput(process.stdout, 'stdout');
  markOutput(process.stderr, 'stderr');
}

/** Whether this invocation's first output is marked: it was sent ahead. */
function markAhead(headers, id) {
  const mark = outputMark !== null && headers['lambdagate-timeout-ms'] !== undefined ? `${outputMark}${id}\0` : null;
  pendingMark.stdout = mark;
  pendingMark.stderr = mark;
}

// ---------------------------------------------------------------------------
// Runtime API client: one persistent keep-alive socket, TCP_NODELAY
// ---------------------------------------------------------------------------

function parseHead(buf, end) {
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = parseInt(lines[0].split(' ', 3)[1], 10);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

/**
 * Incremental parser for one HTTP/1.1 response (Content-Length, chunked, or
 * until close). feed() returns the parsed response once complete, else null.
 */
class ResponseParser {
  constructor() {
    this.buf = null;
    this.head = null;
    this.need = -1;
    this.chunked = false;
    this.untilClose = false;
  }

  feed(data) {
    this.buf = this.buf === null ? data : Buffer.concat([this.buf, data]);
    if (this.head === null) {
      const end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0) return null;
      this.head = parseHead(this.buf, end);
      this.buf = this.buf.subarray(end + 4);
      const { status, headers } = this.head;
      if (headers['content-length'] !== undefined) {
        this.need = parseInt(headers['content-length'], 10);
      } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        this.chunked = true;
      } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        this.need = 0;
      } else {
        this.untilClose = true;
      }
    }
    if (this.chunked) return this.feedChunked();
    if (this.untilClose) return null;
    if (this.buf.length < this.need) return null;
    const body = this.buf.subarray(0, this.need);
    const rest = this.buf.subarray(this.need);
    return { ...this.head, body, rest };
  }

  feedChunked() {
    const parts = [];
    let pos = 0;
    const buf = this.buf;
    for (;;) {
      const eol = buf.indexOf('\r\n', pos, 'latin1');
      if (eol < 0) return null;
      const size = parseInt(buf.toString('latin1', pos, eol).split(';')[0].trim() || '0', 16);
      if (size === 0) {
        let p = eol + 2;
        for (;;) {
          const e = buf.indexOf('\r\n', p, 'latin1');
          if (e < 0) return null;
          if (e === p) {
            return { ...this.head, body: Buffer.concat(parts), rest: buf.subarray(e + 2) };
          }
          p = e + 2;
        }
      }
      if (buf.length < eol + 2 + size + 2) return null;
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      pos = eol + 2 + size + 2;
    }
  }

  finishAtClose() {
    if (this.head !== null && this.untilClose) {
      return { ...this.head, body: this.buf, rest: Buffer.alloc(0) };
    }
    return null;
  }
}

class RuntimeClient {
  constructor(hostPort) {
    const colon = hostPort.lastIndexOf(':');
    const port = parseInt(hostPort.slice(colon + 1), 10);
    if (colon <= 0 || !(port > 0) || hostPort.includes('/')) {
      throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got '${hostPort}'`);
    }
    let host = hostPort.slice(0, colon);
    if (host.startsWith('[')) host = host.slice(1, -1);
    this.host = host;
    this.port = port;
    this.hostLines = `Host: ${hostPort}\r\nUser-Agent: ${USER_AGENT}\r\n`;
    this.nextRequest = Buffer.from(
      `GET ${API_PREFIX}/invocation/next HTTP/1.1\r\n${this.hostLines}\r\n`,
      'latin1',
    );
    this.sock = null;
    this.pending = null;
    this.leftover = null;
    // The answer to a poll pipelined behind the last response, while awaited.
    this.prefetchedNext = null;
  }

  connect() {
    const sock = net.connect({ host: this.host, port: this.port, noDelay: true });
    sock.setNoDelay(true);
    sock.on('data', (data) => this.onData(sock, data));
    sock.on('error', (err) => this.onClose(sock, err));
    sock.on('close', () => this.onClose(sock, null));
    this.sock = sock;
    this.leftover = null;
    return sock;
  }

  onData(sock, data) {
    const pending = this.pending;
    if (sock !== this.sock || pending === null) return;
    pending.received = true;
    const res = pending.parser.feed(data);
    if (res === null) return;
    const following = pending.following;
    this.pending = null;
    this.leftover = res.rest.length ? res.rest : null;
    if ((res.headers.connection ?? '').toLowerCase() === 'close') {
      this.drop();
      // The server will not answer what was pipelined behind: ask again.
      if (following !== null) this.send(following);
    } else if (following !== null) {
      // Its answer comes next on this connection (maybe already in `rest`).
      following.parser = new ResponseParser();
      following.received = false;
      this.pending = following;
      const extra = this.leftover;
      this.leftover = null;
      if (extra !== null) this.onData(sock, extra);
    } else {
      // Idle: do not keep the event loop alive (callbackWaitsForEmptyEventLoop
      // relies on 'beforeExit' firing while the handler's own work drains).
      sock.unref();
    }
    pending.resolve(res);
  }

  onClose(sock, err) {
    if (sock !== this.sock) return;
    this.sock = null;
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    const done = pending.parser.finishAtClose();
    if (done !== null) {
      pending.resolve(done);
    } else if (!pending.received && !pending.retried) {
      // The kept-alive connection was closed before the server answered
      // (idle timeout): send the request again on a fresh connection.
      pending.retried = true;
      this.send(pending);
    } else {
      const why = err ?? new Error('Runtime API closed the connection');
      pending.reject(why);
      if (pending.following !== null) pending.following.reject(why);
    }
  }

  drop() {
    const sock = this.sock;
    this.sock = null;
    if (sock !== null) sock.destroy();
  }

  send(pending) {
    const sock = this.sock === null || this.sock.destroyed ? this.connect() : this.sock;
    sock.ref();
    pending.parser = new ResponseParser();
    pending.received = false;
    this.pending = pending;
    const parts = pending.following === null ? pending.parts : [...pending.parts, ...pending.following.parts];
    if (parts.length > 1 && parts.every((p) => p.length < 65536)) sock.write(Buffer.concat(parts));
    else for (const part of parts) sock.write(part);
    if (this.leftover !== null) {
      const extra = this.leftover;
      this.leftover = null;
      this.onData(sock, extra);
    }
  }

  /**
   * Send one request; resolves with { status, headers, body }. With `thenNext`,
   * the poll for the next event goes out right behind it on the same
   * connection (HTTP/1.1 pipelining) and nextInvocation() takes its answer:
   * one write for both instead of two round trips.
   */
  request(parts, thenNext = false) {
    return new Promise((resolve, reject) => {
      const pending = { parts, resolve, reject, retried: false, following: null };
      if (this.pending === null) {
        if (thenNext) {
          const following = { parts: [this.nextRequest], retried: false, following: null };
          this.prefetchedNext = new Promise((res, rej) => {
            following.resolve = res;
            following.reject = rej;
          });
          // Rejections surface when nextInvocation() awaits it.
          this.prefetchedNext.catch(() => {});
          pending.following = following;
        }
        this.send(pending);
      } else {
        // The main connection is busy (a long poll): use a one-off connection.
        oneOffRequest(this.host, this.port, parts).then(resolve, reject);
      }
    });
  }

  async nextInvocation() {
    const prefetched = this.prefetchedNext;
    this.prefetchedNext = null;
    const res = await (prefetched ?? this.request([this.nextRequest]));
    if (res.status === 410) process.exit(0); // stopping, as the frame `X` says
    if (res.status !== 200) {
      throw new Error(`Failed to get next invocation: HTTP ${res.status} ${res.body.toString('utf8', 0, 200)}`);
    }
    return res;
  }

  post(pathSuffix, body, contentType, extraHeaders, callback, thenNext = false) {
    const payload = Buffer.from(body, 'utf8');
    // lambdagate then holds this answer until the next event is ready, and both
    // arrive in one read.
    if (thenNext) extraHeaders += 'Lambdagate-Next-Follows: 1\r\n';
    const head = Buffer.from(
      `POST ${API_PREFIX}${pathSuffix} HTTP/1.1\r\n${this.hostLines}Content-Type: ${contentType}\r\n${extraHeaders}Content-Length: ${payload.length}\r\n\r\n`,
      'latin1',
    );
    const parts = payload.length < 262144 ? [Buffer.concat([head, payload])] : [head, payload];
    this.request(parts, thenNext).then(
      (res) => {
        if (res.status >= 300) {
          process.stderr.write(
            `lambdagate-node: Runtime API refused ${pathSuffix}: HTTP ${res.status} ${res.body.toString('utf8', 0, 300)}\n`,
          );
        }
        if (callback) callback();
      },
      (err) => fatal(err),
    );
  }

  /**
   * Report an invocation's result; `callback` runs once it is accepted. With
   * `thenNext`, the poll for the next event goes out with it (see request()).
   */
  postInvocationResponse(response, id, callback, thenNext = false) {
    const body = serialize(response);
    this.post(`/invocation/${encodeURIComponent(id)}/response`, body, 'application/json', '', callback, thenNext);
  }

  /** Report an invocation's failure; `callback` and `thenNext` as for a result. */
  postInvocationError(error, id, callback, thenNext = false) {
    const doc = toRapidResponse(error);
    this.post(
      `/invocation/${encodeURIComponent(id)}/error`,
      serialize(doc),
      'application/json',
      errorTypeHeader(doc.errorType),
      callback,
      thenNext,
    );
  }

  /** Report a failure to initialise the function. */
  postInitError(error, callback) {
    const doc = toRapidResponse(error);
    this.post('/init/error', serialize(doc), 'application/json', errorTypeHeader(doc.errorType), callback);
  }
}

/**
 * The Runtime API in lambdagate's frames, on the Unix socket it gives this
 * instance (LAMBDAGATE_RUNTIME_SOCKET): the operations of RuntimeClient without
 * HTTP. Each frame is a kind byte, a 4-byte little-endian length and the
 * payload; see runtime_api/frames.rs in lambdagate for the layout. Streaming
 * handlers keep the HTTP client, which their response stream needs.
 */
class FrameClient {
  /**
   * Connects; resolves null when the socket is gone or refused. `http` is the
   * HTTP client on the TCP address, for answers sent while this connection
   * waits for an event.
   */
  static connect(path, http) {
    return new Promise((resolve) => {
      const sock = net.connect({ path });
      const failed = () => resolve(null);
      sock.once('error', failed);
      sock.once('connect', () => {
        sock.removeListener('error', failed);
        resolve(new FrameClient(sock, http));
      });
    });
  }

  constructor(sock, http) {
    this.sock = sock;
    this.http = http;
    this.chunks = [];
    this.have = 0;
    // The frames the gateway owes us, in the order it sends them.
    this.waiters = [];
    // Frames that came before anyone waited for them: an event sent ahead while
    // the last invocation ran, the answer to the next poll.
    this.inbox = [];
    // Waiting for an acknowledgement (this process may exit next): an event
    // sent ahead before it is void, the gateway took it back.
    this.voidEvents = false;
    this.closed = null;
    // The answer to a next pipelined behind the last result, while awaited.
    this.prefetchedNext = null;
    sock.on('data', (data) => this.onData(data));
    sock.on('error', (err) => this.onClose(err));
    sock.on('close', () => this.onClose(null));
    // Idle: do not keep the event loop alive (callbackWaitsForEmptyEventLoop
    // relies on 'beforeExit' firing while the handler's own work drains).
    sock.unref();
  }

  onData(data) {
    this.chunks.push(data);
    this.have += data.length;
    while (this.have >= 5) {
      let head = this.chunks[0];
      if (head.length < 5) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const end = 5 + head.readUInt32LE(1);
      if (this.have < end) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks);
      const rest = all.subarray(end);
      this.chunks = rest.length ? [rest] : [];
      this.have = rest.length;
      const frame = { kind: all[0], payload: all.subarray(5, end) };
      if (frame.kind === 0x56 && this.voidEvents) continue;
      if (frame.kind === 0x41) this.voidEvents = false;
      const waiter = this.waiters.shift();
      if (this.waiters.length === 0) this.sock.unref();
      if (waiter) waiter.resolve(frame);
      else this.inbox.push(frame);
    }
  }

  onClose(err) {
    if (this.closed !== null) return;
    this.closed = err ?? new Error('Runtime API closed the connection');
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.closed);
  }

  /** The next frame the gateway sends; keeps the process alive until it comes. */
  expect() {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve, reject) => {
      if (this.closed !== null) {
        reject(this.closed);
        return;
      }
      this.waiters.push({ resolve, reject });
      this.sock.ref();
    });
  }

  async nextInvocation() {
    let frame = this.prefetchedNext;
    this.prefetchedNext = null;
    if (frame === null) {
      frame = this.expect();
      this.sock.write(NEXT_FRAME);
    }
    const { kind, payload } = await frame;
    // The gateway is stopping the instance: exit without a word, as Lambda ends its runtimes.
    if (kind === 0x58) process.exit(0);
    if (kind !== 0x56 || payload.length < 4) throw new Error(`unexpected frame ${kind} from the Runtime API`);
    const end = 4 + payload.readUInt32LE(0);
    return { status: 200, headers: JSON.parse(payload.toString('utf8', 4, end)), body: payload.subarray(end) };
  }

  /**
   * Sends a result or an error. With `thenNext` the next poll goes out with it
   * and nextInvocation() takes its answer; without, the gateway acknowledges it
   * (the caller may exit next) and `callback` runs once it has.
   */
  answer(kind, id, errorType, body, callback, thenNext) {
    // The usual answer goes out as one buffer in one write, its fields encoded in place
    // (a buffer per field and their concatenation were a fifth of what an invocation
    // allocated, see "Node's minor collections" in docs/design-notes.md). A body of 256 KiB
    // or more is written from its own buffer rather than copied.
    const payload = typeof body === 'string' ? null : Buffer.from(body, 'utf8');
    const idLength = Buffer.byteLength(id, 'utf8');
    const typeLength = Buffer.byteLength(errorType, 'latin1');
    const bodyLength = payload === null ? Buffer.byteLength(body, 'utf8') : payload.length;
    const headLength = 10 + idLength + typeLength;
    const whole = bodyLength < 262144;
    const next = thenNext ? NEXT_FRAME.length : 0;
    const frame = Buffer.allocUnsafe(whole ? headLength + bodyLength + next : headLength);
    frame[0] = kind;
    frame.writeUInt32LE(5 + idLength + typeLength + bodyLength, 1);
    frame[5] = thenNext ? 0 : 1;
    frame.writeUInt16LE(idLength, 6);
    frame.write(id, 8, 'utf8');
    frame.writeUInt16LE(typeLength, 8 + idLength);
    frame.write(errorType, 10 + idLength, 'latin1');
    if (whole) {
      if (payload === null) frame.write(body, headLength, 'utf8');
      else payload.copy(frame, headLength);
      if (thenNext) NEXT_FRAME.copy(frame, headLength + bodyLength);
    }
    let acked = null;
    if (thenNext) {
      this.prefetchedNext = this.expect();
      // Rejections surface when nextInvocation() awaits it.
      this.prefetchedNext.catch(ignore);
    } else {
      this.inbox = this.inbox.filter((queued) => queued.kind !== 0x56);
      this.voidEvents = true;
      acked = this.expect();
    }
    this.sock.write(frame);
    if (!whole) {
      this.sock.write(payload ?? Buffer.from(body, 'utf8'));
      if (thenNext) this.sock.write(NEXT_FRAME);
    }
    if (acked === null) {
      if (callback) callback();
      return;
    }
    acked.then(
      ({ kind: answered, payload: ack }) => {
        const status = answered === 0x41 && ack.length >= 2 ? ack.readUInt16LE(0) : 0;
        if (status !== 202) {
          process.stderr.write(
            `lambdagate-node: Runtime API refused an answer: ${status} ${ack.toString('utf8', 2, 302)}\n`,
          );
        }
        if (callback) callback();
      },
      (err) => fatal(err),
    );
  }

  /**
   * Whether this connection waits for an event. The gateway reads nothing more
   * from it until the event is sent, so an answer that comes now (an uncaught
   * exception after the last result, before the runtime exits) goes over HTTP,
   * as the HTTP client sends it on a second connection while its own waits.
   */
  waiting() {
    return this.waiters.length > 0;
  }

  postInvocationResponse(response, id, callback, thenNext = false) {
    if (this.waiting()) return this.http.postInvocationResponse(response, id, callback);
    this.answer(0x52, id, '', serialize(response), callback, thenNext);
  }

  postInvocationError(error, id, callback, thenNext = false) {
    if (this.waiting()) return this.http.postInvocationError(error, id, callback);
    const doc = toRapidResponse(error);
    this.answer(0x45, id, frameErrorType(doc.errorType), serialize(doc), callback, thenNext);
  }

  postInitError(error, callback) {
    if (this.waiting()) return this.http.postInitError(error, callback);
    const doc = toRapidResponse(error);
    this.answer(0x49, '', frameErrorType(doc.errorType), serialize(doc), callback, false);
  }
}

const NEXT_FRAME = Buffer.from([0x4e, 0, 0, 0, 0]);

function ignore() {}

/** The error type as the HTTP client's header carries it. */
function frameErrorType(errorType) {
  return errorType ? String(errorType).replace(/[^\x20-\x7e]/g, '?') : '';
}

function errorTypeHeader(errorType) {
  if (!errorType) return '';
  return `${ERROR_TYPE_HEADER}: ${String(errorType).replace(/[^\x20-\x7e]/g, '?')}\r\n`;
}

function oneOffRequest(host, port, parts) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, noDelay: true });
    const parser = new ResponseParser();
    let settled = false;
    sock.on('data', (data) => {
      const res = parser.feed(data);
      if (res !== null && !settled) {
        settled = true;
        sock.destroy();
        resolve(res);
      }
    });
    sock.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    sock.on('close', () => {
      if (!settled) {
        settled = true;
        const res = parser.finishAtClose();
        if (res !== null) resolve(res);
        else reject(new Error('Runtime API closed the connection'));
      }
    });
    for (const part of parts) sock.write(part);
  });
}

function fatal(err) {
  // The Runtime API is gone: the instance is being shut down.
  process.stderr.write(`lambdagate-node: Runtime API unavailable: ${err?.message ?? err}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Handler loading (resolution order of the official client)
// ---------------------------------------------------------------------------

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

class HttpResponseStream {
  /** Wrap a response stream so it starts with an HTTP status/headers prelude. */
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}

function installGlobalAwsLambda() {
  const flag = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (flag === '1' || flag === 'true') return;
  globalThis.awslambda = {
    streamifyResponse: (handler, options) => {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HANDLER_HIGHWATERMARK] = parseInt(options.highWaterMark, 10);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

function tryRequireFile(file, extension) {
  const p = file + (extension || '');
  return fs.existsSync(p) ? require(p) : undefined;
}

async function tryImport(file, extension) {
  const p = file + (extension || '');
  return fs.existsSync(p) ? await import(pathToFileURL(p).href) : undefined;
}

function folderIsTypeModule(folder) {
  // Nearest package.json decides; node_modules or / ends the search.
  if (folder.endsWith('/node_modules')) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pj));
      if (pkg) return pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') return false;
  return folderIsTypeModule(path.resolve(folder, '..'));
}

function isTypeModuleJs(file) {
  const js = file + '.js';
  return fs.existsSync(js) ? folderIsTypeModule(path.resolve(path.dirname(js))) : false;
}

async function loadModule(appRoot, moduleRoot, module) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);
  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) return extensionless;
  const typeModule = isTypeModuleJs(lambdaStylePath);
  if (!typeModule) {
    const cjs = tryRequireFile(lambdaStylePath, '.js');
    if (cjs) return cjs;
  }
  const loaded =
    (typeModule && (await tryImport(lambdaStylePath, '.js'))) ||
    (await tryImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) return loaded;
  // Node-style lookup (e.g. a package in node_modules), relative to the code
  // folder rather than to this file.
  return require(require.resolve(module, { paths: [appRoot, moduleRoot] }));
}

// Lambda's Node.js runtimes carry the AWS SDK for JavaScript v3; lambdagate keeps it in a
// cache folder. CommonJS finds it through NODE_PATH, which ES modules ignore, so `import`
// of an SDK package that the function does not carry itself is resolved from that folder.
function registerBundledSdk() {
  const prefix = process.env.LAMBDAGATE_SDK_NODE_PREFIX;
  const nodeModule = require('node:module');
  if (!prefix || typeof nodeModule.register !== 'function') return;
  const parent = pathToFileURL(path.join(prefix, 'lambdagate-sdk.mjs')).href;
  const hook =
    'export async function resolve(specifier, context, next) {\n' +
    '  try { return await next(specifier, context); } catch (e) {\n' +
    "    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && /^@(aws-sdk|smithy|aws-crypto)\\//.test(specifier)) {\n" +
    `      return next(specifier, { ...context, parentURL: ${JSON.stringify(parent)} });\n` +
    '    }\n' +
    '    throw e;\n' +
    '  }\n' +
    '}\n';
  nodeModule.register('data:text/javascript,' + encodeURIComponent(hook));
}

function reportSyntaxError(e, moduleFile) {
  const stack = typeof e.stack === 'string' ? e.stack : '';
  const head = stack.split('\n');
  const end = head.findIndex((line) => line.startsWith('    at '));
  const report = (end === -1 ? head : head.slice(0, end)).join('\n').trimEnd();
  // CommonJS errors carry Node's report; when it says more than the message, print it.
  if (report && report !== `${e.name}: ${e.message}`) {
    process.stderr.write(`${report}\n`);
    return;
  }
  // ES module errors do not: ask Node to check the handler's file, which prints the same
  // report (only on this error path, so the extra process costs nothing otherwise).
  for (const ext of ['', '.mjs', '.js', '.cjs']) {
    const file = moduleFile + ext;
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) continue;
    const checked = require('node:child_process').spawnSync(process.execPath, ['--check', file], {
      encoding: 'utf8',
      timeout: 10000,
    });
    const lines = (checked.stderr || '').split('\n');
    const stop = lines.findIndex((line) => line.startsWith('    at '));
    const text = (stop === -1 ? lines : lines.slice(0, stop)).join('\n').trimEnd();
    if (text) {
      process.stderr.write(`${text}\n`);
      return;
    }
  }
}

async function loadUserApp(appRoot, moduleRoot, module) {
  installGlobalAwsLambda();
  registerBundledSdk();
  try {
    return await loadModule(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) {
      // Lambda's error document names no file; Node's own report (file:line, the source line
      // and a caret) is what finds the mistake, so it goes to the log first.
      reportSyntaxError(e, path.resolve(appRoot, moduleRoot, module));
      throw new UserCodeSyntaxError(e);
    }
    if (e && e.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
}

/** Resolve `_HANDLER` (e.g. `src/handlers/get.handler`) to the function. */
async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(moduleAndHandler));
  const match = moduleAndHandler.match(/^([^.]*)\.(.*)$/);
  if (!match || match.length !== 3) throw new MalformedHandlerName('Bad handler');
  const app = await loadUserApp(appRoot, moduleRoot, match[1]);
  const fn = match[2].split('.').reduce((nested, key) => nested && nested[key], app);
  if (!fn) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return fn;
}

function handlerMetadata(fn) {
  const mode = fn[HANDLER_STREAMING];
  let streaming = false;
  if (mode !== undefined && mode !== null && mode !== false) {
    if (mode !== STREAM_RESPONSE) {
      throw new MalformedStreamingHandler('Only response streaming is supported.');
    }
    streaming = STREAM_RESPONSE;
  }
  const hwm = parseInt(fn[HANDLER_HIGHWATERMARK], 10);
  return {
    streaming,
    highWaterMark: Number.isNaN(hwm) ? undefined : hwm,
    isAsync: fn.constructor?.name === 'AsyncFunction',
  };
}

// ---------------------------------------------------------------------------
// Invocation: context, callbacks, event-loop semantics
// ---------------------------------------------------------------------------

// 'beforeExit' fires when the event loop has drained; the current invocation
// decides what that means (respond for callbacks, fail a never-settled promise).
let beforeExitListener = () => {};
process.on('beforeExit', () => beforeExitListener());

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

function forwardXRay(headers) {
  traceEnv.set(headers['lambda-runtime-trace-id']);
}

// The context's five variables as process.env last gave them; null once process.env
// is written (see traceEnv).
let contextEnvCache = null;

/**
 * process.env._X_AMZN_TRACE_ID for each invocation, without the C library.
 *
 * Assigning to process.env calls setenv, and glibc keeps every distinct string
 * ever set for the life of the process: with a new trace id per invocation that
 * leaked about 180 bytes an invocation (90 MB per 500,000) in a long-lived
 * instance. So process.env becomes a view of the real environment that keeps
 * this one variable in JavaScript. Code reading process.env and child processes
 * started through child_process (which copy process.env) see it as before;
 * only native code calling getenv misses it.
 *
 * Every write to process.env goes through this view, so it also tells
 * contextEnvironment() when its copy of the context's variables is stale.
 */
const traceEnv = (() => {
  const NAME = '_X_AMZN_TRACE_ID';
  const real = process.env;
  let value;
  delete real[NAME];
  const isTrace = (key) => key === NAME;
  const view = new Proxy(real, {
    get: (target, key) => (isTrace(key) ? value : Reflect.get(target, key)),
    set: (target, key, v) => {
      contextEnvCache = null;
      if (!isTrace(key)) return Reflect.set(target, key, v);
      // process.env turns every value into a string.
      value = `${v}`;
      return true;
    },
    has: (target, key) => (isTrace(key) ? value !== undefined : Reflect.has(target, key)),
    deleteProperty: (target, key) => {
      contextEnvCache = null;
      if (!isTrace(key)) return Reflect.deleteProperty(target, key);
      value = undefined;
      return true;
    },
    ownKeys: (target) => {
      const keys = Reflect.ownKeys(target);
      return value === undefined ? keys : [...keys, NAME];
    },
    getOwnPropertyDescriptor: (target, key) => {
      if (!isTrace(key)) return Reflect.getOwnPropertyDescriptor(target, key);
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty: (target, key, desc) => {
      contextEnvCache = null;
      if (!isTrace(key)) return Reflect.defineProperty(target, key, desc);
      value = `${desc.value}`;
      return true;
    },
  });
  process.env = view;
  return {
    set(trace) {
      value = trace ? `${trace}` : undefined;
    },
  };
})();

const ENV = process.env;

/**
 * The context's variables as process.env holds them now, as the official client
 * reads them for each invocation. Five reads through the view and the C
 * library's environment cost about 3 µs an invocation; the copy is kept until
 * process.env is written, so a handler that changes one sees it next time.
 */
function contextEnvironment() {
  if (contextEnvCache === null) {
    contextEnvCache = {
      functionVersion: ENV.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: ENV.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: ENV.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: ENV.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: ENV.AWS_LAMBDA_LOG_STREAM_NAME,
    };
  }
  return contextEnvCache;
}

/** Fill the user-facing context object from the environment and /next headers. */
function attachEnvironmentData(context, headers) {
  forwardXRay(headers);
  // An event sent ahead carries its Timeout: its clock starts now.
  const timeout = headers['lambdagate-timeout-ms'];
  const deadline = timeout === undefined ? headers['lambda-runtime-deadline-ms'] : Date.now() + Number(timeout);
  const env = contextEnvironment();
  context.functionVersion = env.functionVersion;
  context.functionName = env.functionName;
  context.memoryLimitInMB = env.memoryLimitInMB;
  context.logGroupName = env.logGroupName;
  context.logStreamName = env.logStreamName;
  context.clientContext = parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext');
  context.identity = parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity');
  context.invokedFunctionArn = headers['lambda-runtime-invoked-function-arn'];
  context.awsRequestId = headers['lambda-runtime-aws-request-id'];
  context.tenantId = headers['lambda-runtime-aws-tenant-id'];
  context.getRemainingTimeInMillis = () => deadline - Date.now();
  return context;
}

/**
 * A new context object with `callbackWaitsForEmptyEventLoop` (true), an own enumerable
 * accessor as on Lambda, whose value the object keeps in a private field.
 *
 * Not a literal's `get`/`set`, as the official client writes it: those are two new
 * closures per invocation, and V8 gives every object defined with accessor functions of
 * its own its own hidden class. Hidden classes live in the old generation, so each
 * invocation's closures (and what they hold) stayed reachable from there until the next
 * full collection: a hello function carried about 300 KB through every minor collection,
 * which then took 1.2-1.7 ms instead of 0.3 (see "Node's minor collections" in
 * docs/design-notes.md). With the same two accessor functions every context shares one
 * hidden class; the private field is seen by nothing but them.
 */
class Stamped {
  constructor(target) {
    return target;
  }
}

class WaitFlag extends Stamped {
  #waits = true;

  static of(target) {
    new WaitFlag(target);
    Object.defineProperty(target, 'callbackWaitsForEmptyEventLoop', WAIT_FLAG_PROPERTY);
    return target;
  }

  /** The context that holds the flag: `this`, or a context it inherits from. */
  static holder(object) {
    for (let o = object; o !== null && (typeof o === 'object' || typeof o === 'function'); ) {
      if (#waits in o) return o;
      o = Object.getPrototypeOf(o);
    }
    return null;
  }

  static get(context) {
    return context.#waits;
  }

  static set(context, value) {
    context.#waits = value;
  }
}

const WAIT_FLAG_PROPERTY = {
  get() {
    const context = WaitFlag.holder(this);
    return context === null ? undefined : WaitFlag.get(context);
  },
  set(value) {
    const context = WaitFlag.holder(this);
    if (context !== null) WaitFlag.set(context, value);
  },
  enumerable: true,
  configurable: true,
};

/** callback, context.done/succeed/fail, and callbackWaitsForEmptyEventLoop. */
function buildCallbackContext(client, id, scheduleNext) {
  let completed = false;
  const context = WaitFlag.of({});
  // Every answer here is followed by the next poll (`next` is scheduleNext), so
  // the poll is pipelined with it.
  const postError = (err, next) => {
    logError('Invoke Error', err);
    client.postInvocationError(err, id, next, true);
  };
  const complete = (result, next) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    client.postInvocationResponse(result, id, next, true);
  };
  const callback = (err, result) => {
    beforeExitListener = () => {};
    if (err !== undefined && err !== null) {
      postError(err, scheduleNext);
    } else if (!WaitFlag.get(context)) {
      complete(result, scheduleNext);
    } else {
      beforeExitListener = () => setImmediate(() => complete(result, scheduleNext));
    }
  };
  const done = (err, result) => {
    beforeExitListener = () => {};
    if (err !== undefined && err !== null) postError(err, scheduleNext);
    else complete(result, scheduleNext);
  };
  let finished = false;
  const once = (fn) =>
    function (...args) {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };
  context.succeed = once((result) => done(null, result));
  context.fail = once((err) => (err === undefined || err === null ? done('handled') : done(err, null)));
  context.done = once(done);
  const markCompleted = () => {
    completed = true;
  };
  return [once(callback), context, markCompleted];
}

function isPromise(obj) {
  return obj && obj.then && typeof obj.then === 'function';
}

class Runtime {
  constructor(client, handler, metadata, errorCallbacks) {
    this.client = client;
    this.handler = handler;
    this.metadata = metadata;
    this.errorCallbacks = errorCallbacks;
    this.scheduleNext = () => this.scheduleIteration();
    this.handleOnce = metadata.streaming === STREAM_RESPONSE ? this.handleOnceStreaming : this.handleOnceBuffered;
  }

  scheduleIteration() {
    setImmediate(() => {
      this.handleOnce().then(
        () => {},
        (err) => {
          console.log(`Unexpected Top Level Error: ${err.toString()}`);
          this.errorCallbacks.uncaughtException(err);
        },
      );
    });
  }

  async handleOnceBuffered() {
    const { headers, body } = await this.client.nextInvocation();
    const id = headers['lambda-runtime-aws-request-id'];
    if (!id) throw new Error('invocation id is missing or invalid');
    currentRequestId = id;
    markAhead(headers, id);
    currentTenantId = headers['lambda-runtime-aws-tenant-id'];
    const [callback, context, markCompleted] = buildCallbackContext(this.client, id, this.scheduleNext);
    try {
      this.setErrorCallbacks(id);
      this.setDefaultExitListener(id, markCompleted);
      const result = this.handler(JSON.parse(body.toString('utf8')), attachEnvironmentData(context, headers), callback);
      if (isPromise(result)) {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (err) {
      callback(err);
    }
  }

  async handleOnceStreaming() {
    const { headers, body } = await this.client.nextInvocation();
    const id = headers['lambda-runtime-aws-request-id'];
    if (!id) throw new Error('invocation id is missing or invalid');
    currentRequestId = id;
    markAhead(headers, id);
    currentTenantId = headers['lambda-runtime-aws-tenant-id'];
    const context = WaitFlag.of({});
    const scheduleNext = () => {
      beforeExitListener = () => {};
      if (!WaitFlag.get(context)) this.scheduleIteration();
      else beforeExitListener = () => setImmediate(() => this.scheduleIteration());
    };
    const stream = createResponseStream(this.client, id, this.metadata.highWaterMark);
    try {
      this.setErrorCallbacks(id);
      beforeExitListener = () => this.scheduleIteration();
      const result = this.handler(JSON.parse(body.toString('utf8')), stream, attachEnvironmentData(context, headers));
      if (!isPromise(result)) {
        stream.failWith('Streaming does not support non-async handlers.', scheduleNext);
        return;
      }
      const value = await result;
      if (value !== undefined) console.warn('Streaming handlers ignore return values.');
      await stream.responseDone;
      if (!stream.writableFinished) {
        stream.failWith('Response stream is not finished.', scheduleNext);
        return;
      }
      scheduleNext();
    } catch (err) {
      stream.failWith(err, scheduleNext);
    }
  }

  setErrorCallbacks(id) {
    this.errorCallbacks.uncaughtException = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(129));
    };
    this.errorCallbacks.unhandledRejection = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(128));
    };
  }

  setDefaultExitListener(id, markCompleted) {
    // The event loop drained and the handler never answered.
    beforeExitListener = () => {
      markCompleted();
      if (this.metadata.isAsync) {
        const error = new NodeJsExit();
        logError('Invoke Error', error);
        this.client.postInvocationError(error, id, this.scheduleNext, true);
      } else {
        // A sync handler that never called back answers null, as on Lambda.
        this.client.postInvocationResponse(null, id, this.scheduleNext, true);
      }
    };
  }
}

// ---------------------------------------------------------------------------
// Response streaming (awslambda.streamifyResponse handlers)
// ---------------------------------------------------------------------------

function createResponseStream(client, id, highWaterMark) {
  // Loaded here: only streaming handlers need Node's HTTP client.
  const http = require('node:http');
  const req = http.request({
    host: client.host,
    port: client.port,
    method: 'POST',
    path: `${API_PREFIX}/invocation/${encodeURIComponent(id)}/response`,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      'Content-Type': 'application/octet-stream',
    },
    highWaterMark,
  });
  req.setNoDelay?.(true);
  let firstWrite = true;
  const originalWrite = req.write.bind(req);
  const originalEnd = req.end.bind(req);
  const beforeFirst = () => {
    if (firstWrite) {
      firstWrite = false;
      if (typeof req._onBeforeFirstWrite === 'function') req._onBeforeFirstWrite((chunk) => originalWrite(chunk));
    }
  };
  req.setContentType = (contentType) => {
    if (!firstWrite) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    req.setHeader('Content-Type', contentType);
  };
  req.write = (chunk, encoding, cb) => {
    beforeFirst();
    return originalWrite(chunk, encoding, cb);
  };
  req.end = (chunk, encoding, cb) => {
    beforeFirst();
    return originalEnd(chunk, encoding, cb);
  };
  req.responseDone = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
  req.responseDone.catch(() => {});
  req.failWith = (err, next) => {
    logError('Invoke Error', err);
    const doc = toRapidResponse(err);
    if (!req.writableEnded) {
      beforeFirst();
      req.addTrailers({
        [ERROR_TYPE_HEADER]: doc.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(doc)).toString('base64'),
      });
      originalEnd();
    }
    req.responseDone.then(next, next);
  };
  return req;
}

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

async function main() {
  // Ours alone: the function's code must see Lambda's environment, without it.
  const socketPath = process.env.LAMBDAGATE_RUNTIME_SOCKET;
  delete process.env.LAMBDAGATE_RUNTIME_SOCKET;
  let client;
  try {
    client = new RuntimeClient(process.env.AWS_LAMBDA_RUNTIME_API ?? '');
  } catch (err) {
    process.stderr.write(`lambdagate-node: ${err.message}\n`);
    process.exit(1);
  }
  const errorCallbacks = {
    uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
    unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
  };
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', error);
    errorCallbacks.unhandledRejection(error);
  });

  const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const handlerName = process.env._HANDLER || process.argv[2] || '';
  let handler;
  let metadata;
  try {
    handler = await loadHandler(appRoot, handlerName);
    metadata = handlerMetadata(handler);
  } catch (error) {
    // An init failure is reported the way the official client's top-level
    // await surfaces it: as an uncaught exception (exit status 129).
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
    return;
  }
  // Our Unix socket, unless the handler streams its response (that needs HTTP).
  if (socketPath && metadata.streaming !== STREAM_RESPONSE) {
    client = (await FrameClient.connect(socketPath, client)) ?? client;
  }
  new Runtime(client, handler, metadata, errorCallbacks).scheduleIteration();
}

main();
