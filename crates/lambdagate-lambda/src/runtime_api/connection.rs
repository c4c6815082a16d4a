//! One runtime's connection: a duplicate of its socket to ask the kernel about it, and the
//! count of what was written to it.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncWrite};

/// One runtime's connection, as far as telling whether the runtime saw an event goes: a
/// runtime killed just as an event was handed to it never read it, and that invocation goes to
/// another instance instead of failing (see "Never hand an event to a dead runtime" in
/// docs/design-notes.md).
pub(crate) struct Connection {
    /// A duplicate of the socket (close-on-exec), to ask the kernel about it.
    fd: OwnedFd,
    /// Bytes written to the runtime so far.
    written: AtomicU64,
    /// A read or write failed with a reset: the runtime closed with data it had not read.
    reset: AtomicBool,
}

impl Connection {
    /// Watches the runtime socket `fd` (a duplicate of it).
    pub(crate) fn new(fd: OwnedFd) -> Arc<Self> {
        Arc::new(Connection {
            fd,
            written: AtomicU64::new(0),
            reset: AtomicBool::new(false),
        })
    }

    /// Bytes written to the runtime so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// Whether the runtime has closed its end (it exited): nothing written now will be read.
    pub fn peer_gone(&self) -> bool {
        use nix::sys::socket::{MsgFlags, recv};
        let mut byte = [0u8; 1];
        match recv(
            self.fd.as_raw_fd(),
            &mut byte,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(0) => true,
            Ok(_) => false,
            Err(nix::errno::Errno::EAGAIN) => false,
            Err(_) => true,
        }
    }

    /// Whether the runtime closed the connection with bytes it had not read (the kernel
    /// answered with a reset): what was last written never reached it.
    pub fn reset(&self) -> bool {
        if self.reset.load(Ordering::Acquire) {
            return true;
        }
        let pending =
            nix::sys::socket::getsockopt(&self.fd, nix::sys::socket::sockopt::SocketError);
        let reset = matches!(pending, Ok(e) if e == nix::errno::Errno::ECONNRESET as i32
            || e == nix::errno::Errno::EPIPE as i32);
        reset || self.reset.load(Ordering::Acquire)
    }
}

/// The socket of a runtime's connection, counting what is written and noting resets.
pub(crate) struct Watched<S> {
    inner: S,
    conn: Arc<Connection>,
}

impl<S> Watched<S> {
    /// `inner`, reporting to `conn`.
    pub(crate) fn new(inner: S, conn: Arc<Connection>) -> Self {
        Self { inner, conn }
    }

    fn note<T>(&self, result: &std::io::Result<T>) {
        if let Err(e) = result
            && matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        {
            self.conn.reset.store(true, Ordering::Release);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(result) = &polled {
            self.note(result);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Watched<S> {
    fn count(&self, polled: &std::task::Poll<std::io::Result<usize>>) {
        if let std::task::Poll::Ready(result) = polled {
            if let Ok(n) = result {
                self.conn.written.fetch_add(*n as u64, Ordering::AcqRel);
            }
            self.note(result);
        }
    }
}
