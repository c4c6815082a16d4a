//! The Runtime API as length-prefixed frames on a Unix socket, spoken by our own Python and
//! Node bootstraps only (official runtime clients keep HTTP on TCP, [`super::http`]).
//!
//! The operations are the Runtime API's, with the same meaning and the same checks; only the
//! wire differs. HTTP cost the gateway a request parse, a response encode and the header maps
//! of two exchanges per invocation, and cost each bootstrap an HTTP parser in its own
//! language; a frame is a kind byte, a length and the fields. See "The Runtime API of our own
//! bootstraps: frames on a Unix socket" in docs/design-notes.md.
//!
//! Every frame is `[kind: u8][length: u32 LE][payload: length bytes]`.
//!
//! From the runtime:
//! - `N`: next (`GET /invocation/next`), no payload; answered with `V` or `X`.
//! - `R`: response (`POST /invocation/{id}/response`),
//! - `E`: error (`POST /invocation/{id}/error`),
//! - `I`: init error (`POST /init/error`): `[flags: u8][id length: u16 LE][id][error type length:
//!   u16 LE][error type][body: the rest]` (no id for `I`, no type for `R`). With flag bit 0 the
//!   runtime waits for an `A` (it is about to exit and must know the answer was taken, as the
//!   HTTP 202 tells it); without it an `N` follows and the event is the acknowledgement.
//!
//! To the runtime:
//! - `V`: an event: `[headers length: u32 LE][headers: a JSON object of the Runtime API's
//!   lower-case header names and values][body: the rest]`. Each `N` is answered by exactly one
//!   `V` or `X`, but `V`s may come before their `N`s (events sent ahead while the runtime runs
//!   an invocation, a few at most): the runtime keeps them in order and takes each as the
//!   answer to its next `N`. Such an event has `lambdagate-timeout-ms` (its Timeout) instead
//!   of a deadline. A runtime that waits for an `A` skips every `V` before it: the gateway
//!   takes those events back when an answer asks for an acknowledgement (the runtime is about
//!   to exit).
//! - `X`: the instance is stopping (`410`): the runtime exits.
//! - `A`: the acknowledgement asked for: `[status: u16 LE][message: the rest]`, 202 or the
//!   status HTTP would have answered (400 unknown invocation, 413 too large).

use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::connection::Connection;
#[cfg(test)]
use super::environment::{EventDeadline, TIMEOUT_HEADER};
use super::environment::{ExecutionEnvironment, NextEvent};
use crate::{Outcome, errors};

/// The largest frame taken whole: a response at Lambda's limit plus its id and error type.
/// A larger one fails its invocation (413) and is skipped without being held.
const MAX_FRAME: usize = errors::MAX_RESPONSE_BYTES + 64 * 1024;

/// A frame from the runtime.
#[derive(Debug, PartialEq)]
enum FromRuntime {
    Next,
    Answer {
        kind: AnswerKind,
        ack: bool,
        request_id: String,
        error_type: String,
        body: Bytes,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AnswerKind {
    Response,
    Error,
    InitError,
}

/// Why a connection is closed: the runtime broke the protocol or the socket failed.
#[derive(Debug)]
enum Broken {
    Io,
    Protocol(&'static str),
}

impl From<std::io::Error> for Broken {
    fn from(_: std::io::Error) -> Self {
        Broken::Io
    }
}

/// Serves one runtime's connection until it closes or breaks the protocol. `io` counts what
/// is written and notes resets in `conn`, as the HTTP connection does.
pub(crate) async fn serve<E, S>(instance: Arc<E>, conn: Arc<Connection>, mut io: S)
where
    E: ExecutionEnvironment,
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut out = BytesMut::with_capacity(16 * 1024);
    // False once a write failed: frames are still read (see the `N` case), none is written.
    let mut writable = true;
    loop {
        let frame = match read_frame(&mut io, &mut buf, &instance).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(Broken::Io) => return,
            Err(Broken::Protocol(why)) => {
                tracing::warn!("closed a runtime's frame connection: {why}");
                return;
            }
        };
        // A large answer's allocation would otherwise stay with an idle instance.
        if buf.is_empty() && buf.capacity() > 256 * 1024 {
            buf = BytesMut::with_capacity(16 * 1024);
        }
        match frame {
            FromRuntime::Next => {
                out.clear();
                // The event sent ahead is this poll's answer; it is with the runtime already.
                let stop = if instance.begin_ahead(&conn) {
                    false
                } else if !writable {
                    return;
                } else {
                    match instance.next(&conn).await {
                        Some(event) => {
                            encode_event(&mut out, event);
                            false
                        }
                        None => {
                            put_frame(&mut out, b'X', &[]);
                            true
                        }
                    }
                };
                while writable
                    && !stop
                    && let Some(ahead) = instance.take_ahead(&conn)
                {
                    encode_event(&mut out, ahead);
                }
                if writable && !out.is_empty() && io.write_all(&out).await.is_err() {
                    // The runtime is gone, or going. What it sent before still counts (an
                    // answer, then the poll that begins an event it had ahead), so frames are
                    // read to the end; nothing more is sent.
                    writable = false;
                }
                if stop {
                    return;
                }
                // An event can be megabytes; do not keep that much for every idle instance.
                if out.capacity() > 256 * 1024 {
                    out = BytesMut::with_capacity(16 * 1024);
                }
            }
            FromRuntime::Answer {
                kind,
                ack,
                request_id,
                error_type,
                body,
            } => {
                if ack {
                    instance.withdraw_ahead();
                }
                let (status, message) = answer(&*instance, kind, &request_id, error_type, body);
                if ack && writable {
                    out.clear();
                    let mut payload = Vec::with_capacity(2 + message.len());
                    payload.extend_from_slice(&status.to_le_bytes());
                    payload.extend_from_slice(message.as_bytes());
                    put_frame(&mut out, b'A', &payload);
                    if io.write_all(&out).await.is_err() {
                        writable = false;
                    }
                } else if status != 202 {
                    tracing::warn!("a runtime's answer was refused ({status}): {message}");
                }
            }
        }
    }
}

/// Takes an answer as the HTTP Runtime API does: the status and message it would answer.
fn answer<E: ExecutionEnvironment>(
    instance: &E,
    kind: AnswerKind,
    request_id: &str,
    error_type: String,
    body: Bytes,
) -> (u16, String) {
    let outcome = match kind {
        AnswerKind::InitError => {
            instance.init_error(nonempty_type(error_type), body);
            return (202, String::new());
        }
        AnswerKind::Response => Outcome::Response(body),
        AnswerKind::Error => Outcome::Error {
            error_type: nonempty_type(error_type),
            payload: body,
        },
    };
    match instance.complete(request_id, outcome) {
        Ok(()) => (202, String::new()),
        Err(()) => (
            400,
            format!("Invalid request ID: {request_id} is not the invocation in progress"),
        ),
    }
}

/// `Lambda-Runtime-Function-Error-Type`, else `Unhandled` (as over HTTP).
fn nonempty_type(error_type: String) -> String {
    if error_type.is_empty() {
        "Unhandled".to_string()
    } else {
        error_type
    }
}

/// Reads the next whole frame; `None` at a clean end of the connection. A frame over
/// [`MAX_FRAME`] fails its invocation as too large and is skipped.
async fn read_frame<E, S>(
    io: &mut S,
    buf: &mut BytesMut,
    instance: &Arc<E>,
) -> Result<Option<FromRuntime>, Broken>
where
    E: ExecutionEnvironment,
    S: AsyncRead + Unpin,
{
    loop {
        if buf.len() >= 5 {
            let length = u32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            if length > MAX_FRAME {
                skip_too_large(io, buf, length, &**instance).await?;
                continue;
            }
            if buf.len() >= 5 + length {
                let kind = buf[0];
                buf.advance(5);
                let payload = buf.split_to(length).freeze();
                return parse(kind, payload).map(Some);
            }
            buf.reserve(5 + length - buf.len());
        } else if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        if io.read_buf(buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(Broken::Protocol("the connection ended inside a frame"))
            };
        }
    }
}

/// Parses one frame's payload.
fn parse(kind: u8, mut payload: Bytes) -> Result<FromRuntime, Broken> {
    let kind = match kind {
        b'N' => return Ok(FromRuntime::Next),
        b'R' => AnswerKind::Response,
        b'E' => AnswerKind::Error,
        b'I' => AnswerKind::InitError,
        _ => return Err(Broken::Protocol("unknown frame kind")),
    };
    if payload.is_empty() {
        return Err(Broken::Protocol("an answer without its flags"));
    }
    let ack = payload.get_u8() & 1 == 1;
    let request_id = take_str(&mut payload)?;
    let error_type = take_str(&mut payload)?;
    Ok(FromRuntime::Answer {
        kind,
        ack,
        request_id,
        error_type,
        body: payload,
    })
}

/// A `u16`-length-prefixed UTF-8 string.
fn take_str(payload: &mut Bytes) -> Result<String, Broken> {
    if payload.len() < 2 {
        return Err(Broken::Protocol("a truncated field"));
    }
    let n = payload.get_u16_le() as usize;
    if payload.len() < n {
        return Err(Broken::Protocol("a truncated field"));
    }
    let field = payload.split_to(n);
    String::from_utf8(field.to_vec()).map_err(|_| Broken::Protocol("a field is not UTF-8"))
}

/// A frame too large to take: its invocation (named in the first bytes) gets Lambda's
/// too-large error, as a 413 over HTTP does, and the rest is read and dropped.
async fn skip_too_large<E, S>(
    io: &mut S,
    buf: &mut BytesMut,
    length: usize,
    instance: &E,
) -> Result<(), Broken>
where
    E: ExecutionEnvironment,
    S: AsyncRead + Unpin,
{
    // Kind, length, flags, id length and the id (at most 64 KiB) come first.
    let head = 5 + 1 + 2;
    while buf.len() < head {
        if io.read_buf(buf).await? == 0 {
            return Err(Broken::Protocol("the connection ended inside a frame"));
        }
    }
    let kind = buf[0];
    let id_len = u16::from_le_bytes([buf[6], buf[7]]) as usize;
    while buf.len() < head + id_len {
        if io.read_buf(buf).await? == 0 {
            return Err(Broken::Protocol("the connection ended inside a frame"));
        }
    }
    let id = String::from_utf8_lossy(&buf[head..head + id_len]).into_owned();
    if matches!(kind, b'R' | b'E') {
        let _ = instance.complete(&id, errors::response_too_large());
    }
    // Drop the frame: what is buffered of it, then the rest as it arrives.
    let mut left = 5 + length;
    let buffered = left.min(buf.len());
    buf.advance(buffered);
    left -= buffered;
    while left > 0 {
        buf.clear();
        let n = io.read_buf(buf).await?;
        if n == 0 {
            return Err(Broken::Protocol("the connection ended inside a frame"));
        }
        let dropped = n.min(left);
        buf.advance(dropped);
        left -= dropped;
    }
    Ok(())
}

fn put_frame(out: &mut BytesMut, kind: u8, payload: &[u8]) {
    out.reserve(5 + payload.len());
    out.put_u8(kind);
    out.put_u32_le(payload.len() as u32);
    out.put_slice(payload);
}

/// A `V` frame: the headers `GET /next` would carry, as JSON, then the event.
fn encode_event(out: &mut BytesMut, event: NextEvent) {
    let payload = &event.invocation.payload;
    out.reserve(5 + 4 + 512 + payload.len());
    out.put_u8(b'V');
    let lengths_at = out.len();
    out.put_u64_le(0); // the frame's and the headers' lengths, filled in below
    // The headers go straight into the frame as a JSON object: no map or strings built first.
    let headers_at = out.len();
    out.put_u8(b'{');
    event.each_header(|name, value| {
        if out.len() > headers_at + 1 {
            out.put_u8(b',');
        }
        // The names are the Runtime API's own, lower-case letters and dashes: nothing to escape.
        debug_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        out.put_u8(b'"');
        out.put_slice(name.as_bytes());
        out.put_slice(b"\":");
        put_json_str(out, value);
    });
    out.put_u8(b'}');
    let headers_len = out.len() - headers_at;
    out.put_slice(payload);
    let frame_len = out.len() - lengths_at - 4;
    out[lengths_at..lengths_at + 4].copy_from_slice(&(frame_len as u32).to_le_bytes());
    out[lengths_at + 4..lengths_at + 8].copy_from_slice(&(headers_len as u32).to_le_bytes());
}

/// `text` as a JSON string. The headers' values are ids, numbers and ARNs that need no
/// escaping, so those are copied as they are; anything else goes through serde_json.
fn put_json_str(out: &mut BytesMut, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(text.len() + 2);
        out.put_u8(b'"');
        out.put_slice(text.as_bytes());
        out.put_u8(b'"');
    } else {
        // Writing into memory cannot fail.
        let _ = serde_json::to_writer(out.writer(), text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_strings_are_json_strings() {
        for text in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "new\nline",
            "\u{1}",
            "é ✓",
            "\u{7f}",
        ] {
            let mut out = BytesMut::new();
            put_json_str(&mut out, text);
            assert_eq!(&out[..], serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        put_frame(&mut out, kind, payload);
        out.to_vec()
    }

    fn answer_payload(ack: bool, id: &str, error_type: &str, body: &[u8]) -> Vec<u8> {
        let mut p = vec![u8::from(ack)];
        p.extend_from_slice(&(id.len() as u16).to_le_bytes());
        p.extend_from_slice(id.as_bytes());
        p.extend_from_slice(&(error_type.len() as u16).to_le_bytes());
        p.extend_from_slice(error_type.as_bytes());
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn answers_parse_with_their_fields() {
        let payload = answer_payload(true, "abc", "MyError", b"{\"x\":1}");
        let parsed = parse(b'E', Bytes::from(payload)).unwrap();
        assert_eq!(
            parsed,
            FromRuntime::Answer {
                kind: AnswerKind::Error,
                ack: true,
                request_id: "abc".into(),
                error_type: "MyError".into(),
                body: Bytes::from_static(b"{\"x\":1}"),
            }
        );
        assert_eq!(parse(b'N', Bytes::new()).unwrap(), FromRuntime::Next);
    }

    #[test]
    fn broken_frames_are_refused_not_panicked_on() {
        for (kind, payload) in [
            (b'Q', vec![]),
            (b'R', vec![]),
            (b'R', vec![0, 9, 0, b'a']),
            (b'R', vec![0, 1, 0, 0xff, 0, 0]),
            (b'E', vec![0, 0]),
        ] {
            assert!(parse(kind, Bytes::from(payload)).is_err(), "{kind}");
        }
    }

    #[test]
    fn events_carry_their_headers_as_json_then_the_payload() {
        let event = NextEvent {
            request_id: "rid-1".into(),
            deadline: EventDeadline::At(1_700_000_000_123),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            fallback_trace_id: "Root=1-x".into(),
            invocation: crate::Invocation {
                payload: Bytes::from_static(b"{\"k\":\"v\"}"),
                client_context: Some("{\"custom\":{\"a\":\"\\\"\"}}".into()),
                ..Default::default()
            },
        };
        let mut out = BytesMut::new();
        encode_event(&mut out, event);
        assert_eq!(out[0], b'V');
        let length = u32::from_le_bytes(out[1..5].try_into().unwrap()) as usize;
        assert_eq!(length, out.len() - 5);
        let headers_len = u32::from_le_bytes(out[5..9].try_into().unwrap()) as usize;
        let headers: serde_json::Value = serde_json::from_slice(&out[9..9 + headers_len]).unwrap();
        assert_eq!(headers["lambda-runtime-aws-request-id"], "rid-1");
        assert_eq!(headers["lambda-runtime-deadline-ms"], "1700000000123");
        assert_eq!(headers["lambda-runtime-trace-id"], "Root=1-x");
        assert_eq!(
            headers["lambda-runtime-client-context"],
            "{\"custom\":{\"a\":\"\\\"\"}}"
        );
        assert!(headers.get("lambda-runtime-cognito-identity").is_none());
        assert_eq!(&out[9 + headers_len..], b"{\"k\":\"v\"}");
    }

    #[test]
    fn an_event_sent_ahead_carries_its_timeout_not_a_deadline() {
        let event = NextEvent {
            request_id: "rid-2".into(),
            deadline: EventDeadline::After(3_000),
            function_arn: "arn".into(),
            fallback_trace_id: String::new(),
            invocation: crate::Invocation::default(),
        };
        let mut out = BytesMut::new();
        encode_event(&mut out, event);
        let headers_len = u32::from_le_bytes(out[5..9].try_into().unwrap()) as usize;
        let headers: serde_json::Value = serde_json::from_slice(&out[9..9 + headers_len]).unwrap();
        assert_eq!(headers[TIMEOUT_HEADER], "3000");
        assert!(headers.get("lambda-runtime-deadline-ms").is_none());
    }

    #[test]
    fn frames_carry_their_length() {
        let f = frame(b'A', &[202, 0]);
        assert_eq!(f, vec![b'A', 2, 0, 0, 0, 202, 0]);
    }
}
