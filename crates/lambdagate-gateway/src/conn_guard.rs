//! Connection deadlines and the few HTTP/1 answers given below hyper.
//!
//! [`GuardedStream`] wraps an accepted socket (plain or TLS) under everything else, so every read
//! hyper makes goes through it, including hyper-util's HTTP/1-or-HTTP/2 detection read. It keeps
//! one deadline per connection, set from the connection's phase ([`Guard`]):
//!
//! - from accept until the first request reaches the service: the header-read timeout, so a client
//!   that connects and never sends a byte is closed (hyper's own header timer starts at the first
//!   byte, and the version detection read has none);
//! - between requests (keep-alive): the idle timeout, then, once a byte of the next request
//!   arrives, the header-read timeout again;
//! - while requests are being served: none (the body timeout is the service's, per request, and
//!   the integration timeout bounds the rest).
//!
//! A read that is still waiting when the deadline passes fails with `TimedOut`, and hyper closes
//! the connection. Two HTTP/1 details hyper does not let its user change are handled here too: a
//! request line far over API Gateway's URL limit is answered 414 (hyper would say 431 once its
//! buffer fills), and a response to an HTTP/1.0 request starts with `HTTP/1.1` (a server answers
//! with the highest version it supports, RFC 9110 §6.2; hyper echoes 1.0).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A request line longer than this is answered 414 here, before hyper's buffer fills. Shorter
/// ones over API Gateway's URL limit reach the pipeline, which answers 414 with the API's headers.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;
/// How much of a refused request is read and dropped after the 414, so that the client reads the
/// answer instead of a reset while it is still writing.
const REJECT_DRAIN: usize = 1024 * 1024;
/// The 414 for a request line over [`MAX_REQUEST_LINE`]; same body as the pipeline's 414.
const URI_TOO_LONG: &[u8] = b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n\
content-length: 34\r\nconnection: close\r\n\r\n{\"message\":\"Request URI too long\"}";

/// The time limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accept (or from the first byte of a later request) until its head is read.
    pub header: Duration,
    /// From the end of a response until the next request's first byte.
    pub keep_alive: Duration,
}

/// What a connection is doing, which decides its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request head (from accept, or after the first byte of a later request).
    Head,
    /// Between requests.
    Idle,
    /// Requests are with the service.
    Busy,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    deadline: Option<Instant>,
    /// The task waiting on a read, woken when the deadline moves.
    waker: Option<Waker>,
    in_flight: usize,
    /// Responses still to be written whose request was HTTP/1.0.
    http10_pending: usize,
    /// The connection speaks HTTP/2: no request lines to watch, and bytes between requests
    /// (pings, window updates) do not start a head.
    http2: bool,
}

/// The shared side of a [`GuardedStream`]: the service reports requests here.
#[derive(Debug)]
pub struct Guard {
    timeouts: Timeouts,
    state: Mutex<State>,
}

impl Guard {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a few assignments: a panicking holder leaves nothing half-done.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_deadline(state: &mut State, deadline: Option<Instant>) {
        state.deadline = deadline;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// A request reached the service: no connection deadline until it is answered.
    pub fn request_started(&self, http10: bool) {
        let mut state = self.lock();
        state.in_flight += 1;
        state.phase = Phase::Busy;
        if http10 {
            state.http10_pending += 1;
        }
        Self::set_deadline(&mut state, None);
    }

    /// A request was answered; the last one starts the keep-alive idle time.
    pub fn request_finished(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.phase = Phase::Idle;
            let deadline = Instant::now() + self.timeouts.keep_alive;
            Self::set_deadline(&mut state, Some(deadline));
        }
    }

    /// A guard that ends its [`Guard::request_started`] when dropped, answered or cancelled.
    pub fn in_flight(self: &Arc<Self>, http10: bool) -> InFlight {
        self.request_started(http10);
        InFlight(self.clone())
    }
}

/// Marks one request as being served while alive.
#[derive(Debug)]
pub struct InFlight(Arc<Guard>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// Refusing a request line that is too long: the answer, then a bounded drain.
#[derive(Debug)]
enum Refusal {
    Writing(usize),
    Flushing,
    Closing,
    Draining(usize),
}

/// A socket with the connection's deadlines (see the module documentation).
#[derive(Debug)]
pub struct GuardedStream<S> {
    inner: S,
    guard: Arc<Guard>,
    sleep: Pin<Box<Sleep>>,
    /// Bytes of the current request line seen so far, while its end has not been seen.
    line: Option<usize>,
    /// Whether the first bytes of the connection have been looked at.
    started: bool,
    refusal: Option<Refusal>,
    /// Bytes until the minor-version digit of an `HTTP/1.0` status line being written.
    version_digit_in: Option<usize>,
}

impl<S> GuardedStream<S> {
    /// Wraps `inner`, accepted at `accepted_at` (the header timeout runs from then, TLS
    /// handshake included); `http2` when TLS already chose HTTP/2.
    pub fn new(
        inner: S,
        timeouts: Timeouts,
        accepted_at: Instant,
        http2: bool,
    ) -> (Self, Arc<Guard>) {
        let deadline = accepted_at + timeouts.header;
        let guard = Arc::new(Guard {
            timeouts,
            state: Mutex::new(State {
                phase: Phase::Head,
                deadline: Some(deadline),
                waker: None,
                in_flight: 0,
                http10_pending: 0,
                http2,
            }),
        });
        let stream = GuardedStream {
            inner,
            guard: guard.clone(),
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            line: Some(0),
            started: false,
            refusal: None,
            version_digit_in: None,
        };
        (stream, guard)
    }

    /// Looks at bytes read; `true` when the request must be refused as too long.
    fn observe(&mut self, data: &[u8]) -> bool {
        if data.is_empty() {
            return false;
        }
        let mut state = self.guard.lock();
        if !self.started {
            self.started = true;
            // The HTTP/2 connection preface (RFC 9113 §3.4) starts with this.
            if b"PRI * HTTP/2.0".starts_with(&data[..data.len().min(14)]) {
                state.http2 = true;
            }
        }
        if state.http2 {
            self.line = None;
            return false;
        }
        if state.phase == Phase::Idle {
            // The first byte of the next request: its head must arrive in time.
            state.phase = Phase::Head;
            self.line = Some(0);
            let deadline = Instant::now() + self.guard.timeouts.header;
            Guard::set_deadline(&mut state, Some(deadline));
        }
        if state.phase != Phase::Head {
            return false;
        }
        let Some(seen) = self.line else {
            return false;
        };
        // Blank lines before a request line are allowed (RFC 9112 §2.2) and end nothing.
        let rest = if seen == 0 {
            let start = data
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(data.len());
            &data[start..]
        } else {
            data
        };
        if rest.contains(&b'\n') {
            self.line = None;
            return false;
        }
        let seen = seen + rest.len();
        self.line = Some(seen);
        seen > MAX_REQUEST_LINE
    }

    /// Polls the deadline; `Ready` when it has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = {
            let mut state = self.guard.lock();
            state.waker = Some(cx.waker().clone());
            state.deadline
        };
        let Some(deadline) = deadline else {
            return Poll::Pending;
        };
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection deadline passed")
}

impl<S: AsyncRead + AsyncWrite + Unpin> GuardedStream<S> {
    /// Writes the 414, closes the write side and drops a bounded amount of what is still
    /// arriving; ends with an error so that hyper closes the connection without answering.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some(step) = &mut self.refusal else {
                return Poll::Ready(Ok(()));
            };
            match step {
                Refusal::Writing(done) => {
                    let n = match Pin::new(&mut self.inner).poll_write(cx, &URI_TOO_LONG[*done..]) {
                        Poll::Ready(Ok(0)) => {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                        }
                        Poll::Ready(Ok(n)) => n,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return self.pending_or_timeout(cx),
                    };
                    *done += n;
                    if *done == URI_TOO_LONG.len() {
                        self.refusal = Some(Refusal::Flushing);
                    }
                }
                Refusal::Flushing => match Pin::new(&mut self.inner).poll_flush(cx) {
                    Poll::Ready(Ok(())) => self.refusal = Some(Refusal::Closing),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return self.pending_or_timeout(cx),
                },
                Refusal::Closing => match Pin::new(&mut self.inner).poll_shutdown(cx) {
                    Poll::Ready(_) => self.refusal = Some(Refusal::Draining(REJECT_DRAIN)),
                    Poll::Pending => return self.pending_or_timeout(cx),
                },
                Refusal::Draining(left) => {
                    let mut scratch = [0u8; 8192];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
                        Poll::Ready(Ok(())) if !buf.filled().is_empty() && *left > 0 => {
                            *left = left.saturating_sub(buf.filled().len());
                        }
                        Poll::Ready(_) => {
                            return Poll::Ready(Err(io::Error::other("request line too long")));
                        }
                        Poll::Pending => return self.pending_or_timeout(cx),
                    }
                }
            }
        }
    }

    fn pending_or_timeout(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.poll_deadline(cx) {
            Poll::Ready(()) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for GuardedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            return this.poll_refuse(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.observe(&buf.filled()[before..]) {
                    // None of the refused request goes to hyper.
                    buf.set_filled(before);
                    this.refusal = Some(Refusal::Writing(0));
                    return this.poll_refuse(cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.pending_or_timeout(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> GuardedStream<S> {
    /// A response is still being written (a large one to a slow reader): the idle time starts
    /// over, so that it is not cut off by the keep-alive deadline.
    fn wrote(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.guard.lock();
        if state.phase == Phase::Idle {
            state.deadline = Some(Instant::now() + self.guard.timeouts.keep_alive);
        }
    }

    /// Where the `0` of an `HTTP/1.0` status line at the start of `buf` is, when one is due.
    fn start_of_http10_status(&mut self, buf: &[u8]) {
        // hyper writes a head in one piece; a status line split over writes is followed too.
        let probe = &buf[..buf.len().min(9)];
        if self.version_digit_in.is_none() && !probe.is_empty() && b"HTTP/1.0 ".starts_with(probe) {
            let mut state = self.guard.lock();
            if state.http10_pending > 0 {
                state.http10_pending -= 1;
                self.version_digit_in = Some(7);
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.start_of_http10_status(buf);
        let Some(at) = this
            .version_digit_in
            .filter(|&at| buf.get(at) == Some(&b'0'))
        else {
            let n = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
            if let Some(at) = this.version_digit_in {
                // Past the digit without finding a `0` there: not a 1.0 status line after all.
                this.version_digit_in = at.checked_sub(n);
            }
            this.wrote(n);
            return Poll::Ready(Ok(n));
        };
        // Status lines are a few bytes: copying this write once is cheap.
        let mut patched = buf.to_vec();
        patched[at] = b'1';
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, &patched))?;
        this.version_digit_in = if n > at { None } else { Some(at - n) };
        this.wrote(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let pending = self.version_digit_in.is_some() || self.guard.lock().http10_pending > 0;
        if pending {
            // Rare (HTTP/1.0 clients): one slice at a time through the patching path.
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &b[..]);
            return self.poll_write(cx, first);
        }
        let this = self.get_mut();
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        this.wrote(n);
        Poll::Ready(Ok(n))
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
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const TIMEOUTS: Timeouts = Timeouts {
        header: Duration::from_secs(3600),
        keep_alive: Duration::from_secs(3600),
    };

    fn guarded() -> (
        GuardedStream<tokio::io::DuplexStream>,
        Arc<Guard>,
        tokio::io::DuplexStream,
    ) {
        let (server, client) = tokio::io::duplex(256 * 1024);
        let (stream, guard) = GuardedStream::new(server, TIMEOUTS, Instant::now(), false);
        (stream, guard, client)
    }

    #[tokio::test]
    async fn an_http_1_0_status_line_is_rewritten_however_it_is_split() {
        let response = b"HTTP/1.0 200 OK\r\ncontent-length: 13\r\n\r\nHTTP/1.0 body";
        for split in 1..=response.len() {
            let (mut stream, guard, mut client) = guarded();
            guard.request_started(true);
            for piece in response.chunks(split) {
                stream.write_all(piece).await.unwrap();
            }
            guard.request_finished();
            drop(stream);
            let mut seen = Vec::new();
            client.read_to_end(&mut seen).await.unwrap();
            assert_eq!(
                seen, b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHTTP/1.0 body",
                "written {split} bytes at a time"
            );
        }
    }

    #[tokio::test]
    async fn an_http_1_1_request_s_response_is_untouched() {
        let (mut stream, guard, mut client) = guarded();
        guard.request_started(false);
        stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await.unwrap();
        drop(stream);
        let mut seen = Vec::new();
        client.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen, b"HTTP/1.0 200 OK\r\n\r\n");
    }

    #[tokio::test]
    async fn a_request_line_over_the_limit_is_answered_414_and_nothing_reaches_hyper() {
        let (mut stream, _guard, mut client) = guarded();
        let mut line = b"GET /".to_vec();
        line.resize(MAX_REQUEST_LINE + 100, b'a');
        client.write_all(&line).await.unwrap();
        client.shutdown().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut passed = 0;
        let error = loop {
            match stream.read(&mut buf).await {
                Ok(0) => panic!("no refusal"),
                Ok(n) => passed += n,
                Err(e) => break e,
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::Other);
        assert!(passed <= MAX_REQUEST_LINE, "{passed} bytes passed on");
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, URI_TOO_LONG);
    }

    #[tokio::test]
    async fn blank_lines_and_long_heads_with_short_lines_pass() {
        let (mut stream, _guard, mut client) = guarded();
        let mut head = b"\r\n\r\nGET / HTTP/1.1\r\n".to_vec();
        for _ in 0..100 {
            head.extend_from_slice(&[b'x'; 300]);
            head.extend_from_slice(b": y\r\n");
        }
        head.extend_from_slice(b"\r\n");
        client.write_all(&head).await.unwrap();
        client.shutdown().await.unwrap();
        let mut seen = Vec::new();
        stream.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen, head);
    }

    #[tokio::test]
    async fn an_http2_connection_is_not_taken_for_a_long_request_line() {
        let (mut stream, guard, mut client) = guarded();
        let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        client.write_all(&bytes).await.unwrap();
        let mut buf = vec![0u8; 64];
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &bytes[..]);
        // A request, its answer, then binary frames without a line feed between requests.
        guard.request_started(false);
        guard.request_finished();
        bytes = vec![0u8; MAX_REQUEST_LINE * 2];
        client.write_all(&bytes).await.unwrap();
        client.shutdown().await.unwrap();
        let mut seen = Vec::new();
        stream.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen.len(), bytes.len());
    }
}
