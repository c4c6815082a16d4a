//! Reading an instance's output pipes: the [`OutputPipe`] of its standard output and error, the
//! task that forwards their lines to the function's log as they arrive, and the bounded drain
//! `finish` runs before END.
//!
//! Separate from the instance's life because it is about bytes and lines (chunk budgets, long
//! lines split as Lambda splits them); it needs of an instance only its pool's log and the
//! request id the lines belong to.

use std::sync::{Arc, Mutex};

use super::{Instance, InstancePool};
use crate::logs::{LogStream, MAX_LINE_BYTES};

/// Bytes read from a pipe at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks the forwarding task reads before it lets other tasks run.
const TASK_CHUNKS: usize = 16;
/// Chunks `finish` reads at most before END: what the function printed before it answered is
/// in the pipe by then; a function that keeps printing must not hold its answer back.
pub(super) const FINISH_CHUNKS: usize = 64;

/// The read end of an instance's standard output or error. Its task forwards lines as they
/// arrive; `finish` also drains it before writing END, so that what a function printed before
/// answering always comes before its END / REPORT lines (and is in a log tail). Reads are
/// bounded chunks and a line is at most [`MAX_LINE_BYTES`]: a longer one is split, as Lambda
/// does, so a handler printing 50 MB on one line holds at most a chunk and a line here.
pub(super) struct OutputPipe {
    fd: tokio::net::unix::pipe::Receiver,
    kind: LogStream,
    /// The line begun and not ended yet.
    partial: Mutex<Vec<u8>>,
}

pub(super) enum Drained {
    /// Nothing more to read for now.
    Empty,
    /// Stopped after the chunk budget with more to read.
    More,
    /// The write end is closed.
    Eof,
}

impl OutputPipe {
    pub(super) fn new(fd: std::os::fd::OwnedFd, kind: LogStream) -> std::io::Result<OutputPipe> {
        Ok(OutputPipe {
            fd: tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?,
            kind,
            partial: Mutex::new(Vec::new()),
        })
    }

    /// Reads what is there (at most `chunks` reads) and logs each complete line.
    pub(super) fn drain<P: InstancePool>(&self, instance: &Instance<P>, chunks: usize) -> Drained {
        thread_local! {
            // Reused: `finish` drains on every invocation, mostly finding nothing.
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUF.with(|buf| match buf.try_borrow_mut() {
            Ok(mut buf) => {
                buf.resize(CHUNK, 0);
                self.drain_with(instance, chunks, &mut buf)
            }
            Err(_) => self.drain_with(instance, chunks, &mut vec![0u8; CHUNK]),
        })
    }

    fn drain_with<P: InstancePool>(
        &self,
        instance: &Instance<P>,
        chunks: usize,
        buf: &mut [u8],
    ) -> Drained {
        let mut partial = self.partial.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..chunks {
            let n = match self.fd.try_read(buf) {
                Ok(0) => {
                    if !partial.is_empty() {
                        let line = std::mem::take(&mut *partial);
                        self.emit(instance, &line);
                    }
                    return Drained::Eof;
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Drained::Empty,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Drained::Eof,
            };
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                let room = MAX_LINE_BYTES - partial.len();
                match rest.iter().position(|&b| b == b'\n') {
                    Some(end) if end <= room => {
                        partial.extend_from_slice(&rest[..end]);
                        rest = &rest[end + 1..];
                        let line = std::mem::take(&mut *partial);
                        self.emit(instance, &line);
                    }
                    _ if rest.len() >= room => {
                        // A line over the limit: its first MAX_LINE_BYTES are one line.
                        partial.extend_from_slice(&rest[..room]);
                        rest = &rest[room..];
                        let line = std::mem::take(&mut *partial);
                        self.emit(instance, &line);
                    }
                    _ => {
                        partial.extend_from_slice(rest);
                        rest = &[];
                    }
                }
            }
        }
        Drained::More
    }

    fn emit<P: InstancePool>(&self, instance: &Instance<P>, line: &[u8]) {
        let Some(pool) = instance.pool.upgrade() else {
            return;
        };
        let mut line = line;
        while let [head @ .., b'\r'] = line {
            line = head;
        }
        let request_id = instance.lock().last_request_id.clone();
        pool.logs().push(
            request_id,
            self.kind,
            String::from_utf8_lossy(line).into_owned(),
        );
    }
}

pub(super) async fn forward_output<P: InstancePool>(
    pipe: Arc<OutputPipe>,
    instance: Arc<Instance<P>>,
) {
    loop {
        // `try_read` clears the readiness when it finds nothing.
        if pipe.fd.readable().await.is_err() {
            return;
        }
        match pipe.drain(&instance, TASK_CHUNKS) {
            Drained::Eof => return,
            Drained::Empty => {}
            Drained::More => tokio::task::yield_now().await,
        }
    }
}
