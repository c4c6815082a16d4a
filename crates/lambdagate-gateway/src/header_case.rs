//! The client's header-name casing on HTTP/1.1 connections.
//!
//! REST APIs pass header names to functions as the client wrote them, but hyper lower-cases names
//! while parsing. [`CaseRecordingStream`] wraps an accepted socket and watches the bytes on their
//! way to hyper: it parses each request head (and only the head) to record its header names, and
//! follows the message framing (`Content-Length`, chunked bodies with extensions and trailers,
//! no body) to find the next head. HTTP/1.1 requests on a connection reach the service strictly in
//! order, pipelined ones included, so the service takes the front of the connection's
//! [`HeadQueue`] for each request and pairs those names with the values hyper parsed.
//!
//! Body bytes are skipped by counting, never copied; head bytes are copied only when a head
//! arrives split over several reads, and never beyond the head limit. Whatever the recorder cannot
//! follow (an `Upgrade` or `CONNECT`, a parse error, a head over the limit, an HTTP/2 preface) ends
//! recording for the connection: later requests fall back to hyper's lower-case names, and the
//! bytes still reach hyper untouched, so no connection hyper would accept is ever broken.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use http::{HeaderMap, Request, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Most header lines in one head (hyper's default limit; more is a 431 there).
const MAX_HEADERS: usize = 100;
/// Most recorded heads waiting for their requests. hyper reads no further ahead than its buffer,
/// which bounds the queue already; this is a backstop; past it recording stops rather than grow.
const MAX_QUEUED: usize = 4096;
/// A head buffer this large is released once its head is done, not kept for the next one.
const KEEP_BUFFER: usize = 16 * 1024;

/// A request's headers in the order and casing the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHeaders(pub Vec<(String, String)>);

/// The header names of the request heads recorded on one connection, oldest first.
#[derive(Debug, Default)]
pub struct HeadQueue {
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    heads: VecDeque<Vec<String>>,
    /// No more heads are accepted (the recorder stopped, or the queue fell out of step).
    closed: bool,
}

impl HeadQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // The state stays consistent whatever a panicking holder did: every update is one call.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a recorded head; `false` when recording must stop instead.
    fn push(&self, names: Vec<String>) -> bool {
        let mut state = self.lock();
        if state.closed || state.heads.len() >= MAX_QUEUED {
            // Heads already queued still belong to the requests hyper will deliver next.
            state.closed = true;
            return false;
        }
        state.heads.push_back(names);
        true
    }

    /// The header names recorded for the next request hyper delivers, if any.
    pub fn next(&self) -> Option<Vec<String>> {
        self.lock().heads.pop_front()
    }

    /// Stops recording and forgets what was recorded.
    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.heads.clear();
    }

    /// The client's headers for `request`, the next request hyper delivered on this connection.
    ///
    /// `None` for HTTP/2 (names are lower-case on the wire), when nothing was recorded, or when
    /// the recorded head does not match what hyper parsed; the last case also ends recording,
    /// since the queue can no longer be trusted to be in step.
    pub fn client_headers<B>(&self, request: &Request<B>) -> Option<ClientHeaders> {
        if request.version() > Version::HTTP_11 {
            return None;
        }
        let names = self.next()?;
        let paired = pair_names(names, request.headers());
        if paired.is_none() {
            tracing::debug!("recorded header names do not match the parsed request");
            self.close();
        }
        paired.map(ClientHeaders)
    }
}

/// Pairs the names of a head, in wire order, with the values hyper parsed from it.
///
/// hyper drops a few lines (a repeated `Content-Length`, one next to `Transfer-Encoding`): a name
/// without a value left is skipped. `None` when the two disagree otherwise.
pub fn pair_names(names: Vec<String>, headers: &HeaderMap) -> Option<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let earlier = names[..i]
            .iter()
            .filter(|n| n.eq_ignore_ascii_case(name))
            .count();
        if let Some(value) = headers.get_all(name.as_str()).iter().nth(earlier) {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            out.push((name.clone(), value));
        }
    }
    (out.len() == headers.len()).then_some(out)
}

/// Where the recorder is in the connection's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Before or inside a request head (the bytes so far are buffered).
    Head,
    /// Inside a body with this many bytes left.
    Sized(u64),
    /// Inside a chunked body.
    Chunked(Chunk),
    /// Recording has ended for this connection.
    Stopped,
}

/// Positions in a chunked body (RFC 9112 §7.1), as strict as hyper's decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting the first hex digit of a chunk size.
    Start,
    /// Inside the chunk size.
    Size(u64),
    /// Spaces after the size.
    SizeSpace(u64),
    /// Inside chunk extensions (`;name=value`), up to CR.
    Extension(u64),
    /// Expecting LF after the size line.
    SizeLf(u64),
    /// Inside chunk data with this many bytes left.
    Data(u64),
    /// Expecting CR after chunk data.
    DataCr,
    /// Expecting LF after chunk data.
    DataLf,
    /// At the start of a trailer line or of the final empty line.
    LineStart,
    /// Inside a trailer line.
    Trailer,
    /// Expecting LF after a trailer line.
    TrailerLf,
    /// Expecting the final LF.
    EndLf,
    /// The body is complete.
    Done,
}

impl Chunk {
    /// The position after the byte `b` (not for [`Chunk::Data`]); `None` on a framing error.
    fn after(self, b: u8) -> Option<Chunk> {
        use Chunk::*;
        Some(match (self, b) {
            (Start, b) => Size(hex(b)?),
            (Size(n), b) if hex(b).is_some() => Size(n.checked_mul(16)?.checked_add(hex(b)?)?),
            (Size(n) | SizeSpace(n), b' ' | b'\t') => SizeSpace(n),
            (Size(n) | SizeSpace(n), b';') => Extension(n),
            (Size(n) | SizeSpace(n) | Extension(n), b'\r') => SizeLf(n),
            (Extension(_), b'\n') => return None,
            (Extension(n), _) => Extension(n),
            (SizeLf(0), b'\n') => LineStart,
            (SizeLf(n), b'\n') => Data(n),
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => Start,
            (LineStart, b'\r') => EndLf,
            (Trailer, b'\r') => TrailerLf,
            (LineStart | Trailer, _) => Trailer,
            (TrailerLf, b'\n') => LineStart,
            (EndLf, b'\n') => Done,
            _ => return None,
        })
    }
}

fn hex(b: u8) -> Option<u64> {
    (b as char).to_digit(16).map(u64::from)
}

/// Records the header names of each request head in an HTTP/1.x byte stream fed to it in
/// pieces of any size.
#[derive(Debug)]
pub struct HeadRecorder {
    framing: Framing,
    /// The bytes of a head that has not arrived whole yet.
    partial: Vec<u8>,
    /// The largest head recorded; hyper answers 431 beyond its own limit.
    max_head_bytes: usize,
}

/// What a complete head says about the bytes after it.
struct Head {
    len: usize,
    names: Vec<String>,
    next: Framing,
}

enum Parsed {
    Complete(Head),
    Partial,
    Invalid,
}

impl HeadRecorder {
    /// A recorder for heads of at most `max_head_bytes`.
    pub fn new(max_head_bytes: usize) -> Self {
        HeadRecorder {
            framing: Framing::Head,
            partial: Vec::new(),
            max_head_bytes,
        }
    }

    /// Whether recording has ended for good.
    pub fn is_stopped(&self) -> bool {
        self.framing == Framing::Stopped
    }

    /// Takes the next bytes of the stream; `record` gets each completed head's names and
    /// returns `false` to stop recording.
    pub fn feed(&mut self, mut data: &[u8], record: &mut impl FnMut(Vec<String>) -> bool) {
        while !data.is_empty() {
            data = match self.framing {
                Framing::Stopped => return,
                Framing::Head => self.head_bytes(data, record),
                Framing::Sized(left) => {
                    let take = left.min(data.len() as u64);
                    self.framing = match left - take {
                        0 => Framing::Head,
                        left => Framing::Sized(left),
                    };
                    // `take` is at most `data.len()`.
                    &data[take as usize..]
                }
                Framing::Chunked(chunk) => self.chunk_bytes(chunk, data),
            };
        }
    }

    fn stop(&mut self) {
        self.framing = Framing::Stopped;
        self.partial = Vec::new();
    }

    fn head_bytes<'d>(
        &mut self,
        data: &'d [u8],
        record: &mut impl FnMut(Vec<String>) -> bool,
    ) -> &'d [u8] {
        if self.partial.is_empty() {
            // Empty lines before a request line are allowed (RFC 9112 §2.2); they are skipped
            // here so a buffered head always starts with its request line.
            let start = data
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(data.len());
            let data = &data[start..];
            if data.is_empty() {
                return data;
            }
            // The common case: the whole head is in this read, parsed where it lies.
            if has_head_end(data, 0) {
                match parse_head(data) {
                    Parsed::Complete(head) => {
                        let rest = &data[head.len..];
                        self.finish(head, record);
                        return rest;
                    }
                    Parsed::Partial => {}
                    Parsed::Invalid => {
                        self.stop();
                        return &[];
                    }
                }
            }
            if data.len() > self.max_head_bytes {
                self.stop();
            } else {
                self.partial.extend_from_slice(data);
            }
            return &[];
        }
        let before = self.partial.len();
        let room = (self.max_head_bytes + 1).saturating_sub(before);
        let take = data.len().min(room);
        self.partial.extend_from_slice(&data[..take]);
        // A head end may straddle the previous read: look back by the length of `\n\r\n`.
        if has_head_end(&self.partial, before.saturating_sub(2)) {
            match parse_head(&self.partial) {
                Parsed::Complete(head) => {
                    let Some(used) = head.len.checked_sub(before) else {
                        self.stop();
                        return &[];
                    };
                    if self.partial.capacity() > KEEP_BUFFER {
                        self.partial = Vec::new();
                    } else {
                        self.partial.clear();
                    }
                    self.finish(head, record);
                    return &data[used..];
                }
                Parsed::Partial => {}
                Parsed::Invalid => {
                    self.stop();
                    return &[];
                }
            }
        }
        if self.partial.len() > self.max_head_bytes {
            self.stop();
        }
        &[]
    }

    fn finish(&mut self, head: Head, record: &mut impl FnMut(Vec<String>) -> bool) {
        self.framing = head.next;
        // However it arrived, a head over the limit is one hyper refuses.
        if head.len > self.max_head_bytes || !record(head.names) {
            self.stop();
        }
    }

    fn chunk_bytes<'d>(&mut self, mut chunk: Chunk, data: &'d [u8]) -> &'d [u8] {
        let mut i = 0;
        while i < data.len() {
            if let Chunk::Data(left) = chunk {
                let take = left.min((data.len() - i) as u64);
                // `take` is at most what is left of `data`.
                i += take as usize;
                chunk = match left - take {
                    0 => Chunk::DataCr,
                    left => Chunk::Data(left),
                };
                continue;
            }
            match chunk.after(data[i]) {
                Some(Chunk::Done) => {
                    self.framing = Framing::Head;
                    return &data[i + 1..];
                }
                Some(next) => chunk = next,
                None => {
                    self.stop();
                    return &[];
                }
            }
            i += 1;
        }
        self.framing = Framing::Chunked(chunk);
        &[]
    }
}

/// Whether `bytes[from..]` holds the end of a head: a line feed followed by an empty line.
fn has_head_end(bytes: &[u8], from: usize) -> bool {
    let mut i = from;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'\n'))
    {
        let lf = i + offset;
        match bytes.get(lf + 1..lf + 3) {
            Some([b'\n', _]) | Some([b'\r', b'\n']) => return true,
            None if bytes.get(lf + 1) == Some(&b'\n') => return true,
            _ => {}
        }
        i = lf + 1;
    }
    false
}

/// Parses a head at the start of `bytes` and works out the framing of what follows, as hyper
/// does (RFC 9112 §6.3).
fn parse_head(bytes: &[u8]) -> Parsed {
    let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut lines);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Invalid,
    };
    let http11 = request.version == Some(1);
    // A CONNECT or an upgrade may turn the connection into something else after this head.
    let mut switches = request.method == Some("CONNECT");
    let mut chunked = None;
    let mut length = None;
    let mut names = Vec::with_capacity(request.headers.len());
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("transfer-encoding") {
            if !http11 {
                return Parsed::Invalid;
            }
            chunked = Some(last_coding_is_chunked(header.value));
        } else if name.eq_ignore_ascii_case("content-length") && chunked.is_none() {
            match (decimal(header.value), length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(earlier)) if n == earlier => {}
                _ => return Parsed::Invalid,
            }
        } else if name.eq_ignore_ascii_case("upgrade") && http11 {
            switches = true;
        }
        names.push(name.to_string());
    }
    let next = if switches {
        Framing::Stopped
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked(Chunk::Start),
            (Some(false), _) => return Parsed::Invalid,
            (None, Some(n)) if n > 0 => Framing::Sized(n),
            (None, _) => Framing::Head,
        }
    };
    Parsed::Complete(Head { len, names, next })
}

fn last_coding_is_chunked(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|v| {
        v.rsplit(',')
            .next()
            .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
    })
}

fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        let digit = (b as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A socket that records the header names of the HTTP/1.x request heads read through it.
#[derive(Debug)]
pub struct CaseRecordingStream<S> {
    inner: S,
    recorder: Option<HeadRecorder>,
    heads: Arc<HeadQueue>,
}

impl<S> CaseRecordingStream<S> {
    /// Wraps `inner`; the queue receives the names of each head of at most `max_head_bytes`.
    pub fn new(inner: S, max_head_bytes: usize) -> (Self, Arc<HeadQueue>) {
        let heads = Arc::new(HeadQueue::default());
        let stream = CaseRecordingStream {
            inner,
            recorder: Some(HeadRecorder::new(max_head_bytes)),
            heads: heads.clone(),
        };
        (stream, heads)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CaseRecordingStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if let Some(recorder) = &mut this.recorder {
            let heads = &this.heads;
            recorder.feed(&buf.filled()[before..], &mut |names| heads.push(names));
            if recorder.is_stopped() {
                this.recorder = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CaseRecordingStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "header_case_tests.rs"]
mod tests;
