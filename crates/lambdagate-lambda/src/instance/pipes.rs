//! Reading an instance's output pipes: the [`OutputPipe`] of its standard output and error, the
//! task that forwards their lines to the function's log as they arrive, and the bounded drain
//! `finish` runs before END.
//!
//! With events sent ahead (see "Events ahead" in docs/design-notes.md), a runtime may begin an
//! invocation before the gateway has taken its answer to the one before, so the new
//! invocation's first output can reach a pipe before its START. Our bootstraps then put a mark
//! in front of that invocation's first output on each stream: a NUL, the instance's token, a
//! colon, the request id, a NUL. What follows a mark waits here until that invocation's START
//! is written.
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

/// The variable that gives our bootstraps their instance's mark token; they remove it from
/// their environment before the function's code loads.
pub(crate) const MARK_ENV: &str = "LAMBDAGATE_OUTPUT_MARK";

/// A new instance's mark token: its own, and known to no other function.
pub(super) fn new_mark_token() -> String {
    format!(
        "lambdagate-begin-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

/// The read end of an instance's standard output or error. Its task forwards lines as they
/// arrive; `finish` also drains it before writing END, so that what a function printed before
/// answering always comes before its END / REPORT lines (and is in a log tail). Reads are
/// bounded chunks and a line is at most [`MAX_LINE_BYTES`]: a longer one is split, as Lambda
/// does, so a handler printing 50 MB on one line holds at most a chunk and a line here.
pub(super) struct OutputPipe {
    fd: tokio::net::unix::pipe::Receiver,
    kind: LogStream,
    /// How the begin marks our bootstraps write start (NUL, token, colon), when the runtime is
    /// one of them.
    mark: Option<Box<[u8]>>,
    state: Mutex<PipeState>,
}

#[derive(Default)]
struct PipeState {
    /// The line begun and not ended yet.
    partial: Vec<u8>,
    /// The end of the last read when it could be the start of a mark.
    carry: Vec<u8>,
    /// Output after marks, waiting for their invocations' START: per invocation (its request
    /// id), in order.
    held: std::collections::VecDeque<(Vec<u8>, Vec<u8>)>,
    /// The write end is closed: nothing more will come.
    eof: bool,
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
    /// The pipe `fd`; `mark_token` when the runtime marks the output of events sent ahead.
    pub(super) fn new(
        fd: std::os::fd::OwnedFd,
        kind: LogStream,
        mark_token: Option<&str>,
    ) -> std::io::Result<OutputPipe> {
        Ok(OutputPipe {
            fd: tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?,
            kind,
            mark: mark_token.map(|token| {
                let mut mark = Vec::with_capacity(token.len() + 2);
                mark.push(0);
                mark.extend_from_slice(token.as_bytes());
                mark.push(b':');
                mark.into_boxed_slice()
            }),
            state: Mutex::new(PipeState::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PipeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The output held for the invocation `request_id` goes to the log (its START is written);
    /// with `None`, all that is held (the events ahead were taken back, or the instance is
    /// gone).
    pub(super) fn release<P: InstancePool>(
        &self,
        instance: &Instance<P>,
        request_id: Option<&str>,
    ) {
        let mut state = self.lock();
        let state = &mut *state;
        while let Some((id, _)) = state.held.front() {
            if request_id.is_some_and(|r| r.as_bytes() != id.as_slice()) {
                break;
            }
            let Some((_, output)) = state.held.pop_front() else {
                break;
            };
            self.lines(instance, &mut state.partial, &output);
            // Output held behind this invocation's began after all of its own.
            if !state.held.is_empty() || state.eof {
                self.end_line(instance, &mut state.partial);
            }
            if request_id.is_some() {
                break;
            }
        }
    }

    /// Reads what is there (at most `chunks` reads) and logs each complete line. `now`: read
    /// the pipe even if the reactor has not reported it readable yet. An invocation sent ahead
    /// can print and answer before the gateway's reactor has looked again (its answer is read
    /// in one go with the one before), so its output is in the pipe but not yet known to be.
    pub(super) fn drain<P: InstancePool>(
        &self,
        instance: &Instance<P>,
        chunks: usize,
        now: bool,
    ) -> Drained {
        thread_local! {
            // Reused: `finish` drains on every invocation, mostly finding nothing.
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUF.with(|buf| match buf.try_borrow_mut() {
            Ok(mut buf) => {
                buf.resize(CHUNK, 0);
                self.drain_with(instance, chunks, now, &mut buf)
            }
            Err(_) => self.drain_with(instance, chunks, now, &mut vec![0u8; CHUNK]),
        })
    }

    fn drain_with<P: InstancePool>(
        &self,
        instance: &Instance<P>,
        chunks: usize,
        now: bool,
        buf: &mut [u8],
    ) -> Drained {
        let mut state = self.lock();
        for _ in 0..chunks {
            let read = if now {
                nix::unistd::read(&self.fd, buf).map_err(std::io::Error::from)
            } else {
                self.fd.try_read(buf)
            };
            let n = match read {
                Ok(0) => {
                    let state = &mut *state;
                    state.eof = true;
                    let carry = std::mem::take(&mut state.carry);
                    self.route(instance, state, &carry);
                    // Held output waits for its START even now (the runtime may have exited
                    // in the invocation sent ahead, before the gateway took the answer
                    // before it); `release` logs it and the last partial line.
                    if state.held.is_empty() {
                        self.end_line(instance, &mut state.partial);
                    }
                    return Drained::Eof;
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Drained::Empty,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Drained::Eof,
            };
            self.take(instance, &mut state, &buf[..n]);
        }
        Drained::More
    }

    /// Takes what was read: up to a mark, for the invocation that is running; after one, for
    /// the invocation sent ahead (held until its START, if that is not written yet).
    fn take<P: InstancePool>(&self, instance: &Instance<P>, state: &mut PipeState, read: &[u8]) {
        let Some(mark) = self.mark.as_deref() else {
            self.lines(instance, &mut state.partial, read);
            return;
        };
        let joined;
        let mut data = read;
        if !state.carry.is_empty() {
            let mut carry = std::mem::take(&mut state.carry);
            carry.extend_from_slice(read);
            joined = carry;
            data = &joined;
        }
        loop {
            match find_mark(data, mark) {
                Found::Mark { at, id, end } => {
                    self.route(instance, state, &data[..at]);
                    let marked = &data[id..end];
                    if state.held.is_empty() {
                        // What came before the mark was the previous invocation's, to its end.
                        self.end_line(instance, &mut state.partial);
                        // Its START is written once it is the instance's last request id
                        // (`begin` sets that after writing START); until then its output
                        // waits, and `release` logs it after START.
                        let started = instance
                            .lock()
                            .last_request_id
                            .as_deref()
                            .is_some_and(|last| last.as_bytes() == marked);
                        if !started {
                            state.held.push_back((marked.to_vec(), Vec::new()));
                        }
                    } else {
                        // Behind output that waits already: this one waits too.
                        state.held.push_back((marked.to_vec(), Vec::new()));
                    }
                    data = &data[end + 1..];
                }
                Found::Cut(at) => {
                    self.route(instance, state, &data[..at]);
                    state.carry.extend_from_slice(&data[at..]);
                    return;
                }
                Found::Nothing => {
                    self.route(instance, state, data);
                    return;
                }
            }
        }
    }

    /// The invocation running has answered and its output is read to the end: a line it began
    /// and did not end (a write without a newline) is logged now, as its own line before END,
    /// as Lambda logs it, instead of waiting for the next invocation's output or the instance's
    /// exit. Not while output of an invocation sent ahead is held, or a mark is cut by a read.
    pub(super) fn end_invocation<P: InstancePool>(&self, instance: &Instance<P>) {
        let mut state = self.lock();
        let state = &mut *state;
        if state.held.is_empty() && state.carry.is_empty() {
            self.end_line(instance, &mut state.partial);
        }
    }

    /// Output to hold, or to log as lines now.
    fn route<P: InstancePool>(&self, instance: &Instance<P>, state: &mut PipeState, data: &[u8]) {
        match state.held.back_mut() {
            Some((_, held)) => held.extend_from_slice(data),
            None => self.lines(instance, &mut state.partial, data),
        }
    }

    /// Logs each complete line of `data`, after the line begun in `partial`.
    fn lines<P: InstancePool>(&self, instance: &Instance<P>, partial: &mut Vec<u8>, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            let room = MAX_LINE_BYTES - partial.len();
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) if end <= room => {
                    partial.extend_from_slice(&rest[..end]);
                    rest = &rest[end + 1..];
                    let line = std::mem::take(partial);
                    self.emit(instance, &line);
                }
                _ if rest.len() >= room => {
                    // A line over the limit: its first MAX_LINE_BYTES are one line.
                    partial.extend_from_slice(&rest[..room]);
                    rest = &rest[room..];
                    let line = std::mem::take(partial);
                    self.emit(instance, &line);
                }
                _ => {
                    partial.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
    }

    /// Logs the line begun in `partial`, if any: nothing more of it will come.
    fn end_line<P: InstancePool>(&self, instance: &Instance<P>, partial: &mut Vec<u8>) {
        if !partial.is_empty() {
            let line = std::mem::take(partial);
            self.emit(instance, &line);
        }
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

/// A request id in a mark is at most this long (a Runtime API header value; ours are 36).
const MAX_MARKED_ID: usize = 256;

/// What [`find_mark`] found.
#[derive(Debug, PartialEq)]
enum Found {
    /// A whole mark from `at`; the request id is `id..end`, the closing NUL at `end`.
    Mark { at: usize, id: usize, end: usize },
    /// What starts at this offset may be a mark the read cut: it waits for the next read.
    Cut(usize),
    /// No mark.
    Nothing,
}

/// Finds the first mark in `data`: `mark` (NUL, token, colon), a request id, a NUL. A mark
/// starts with a NUL, which ordinary output rarely has.
fn find_mark(data: &[u8], mark: &[u8]) -> Found {
    let mut from = 0;
    while let Some(nul) = data[from..].iter().position(|&b| b == 0) {
        let at = from + nul;
        let rest = &data[at..];
        if rest.len() < mark.len() {
            if mark.starts_with(rest) {
                return Found::Cut(at);
            }
        } else if rest.starts_with(mark) {
            let id = at + mark.len();
            let limit = (id + MAX_MARKED_ID + 1).min(data.len());
            match data[id..limit].iter().position(|&b| b == 0) {
                Some(n) => {
                    return Found::Mark {
                        at,
                        id,
                        end: id + n,
                    };
                }
                None if limit == data.len() => return Found::Cut(at),
                // Too long for a request id: ordinary output after all.
                None => {}
            }
        }
        from = at + 1;
    }
    Found::Nothing
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
        match pipe.drain(&instance, TASK_CHUNKS, false) {
            Drained::Eof => return,
            Drained::Empty => {}
            Drained::More => tokio::task::yield_now().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Found, MAX_MARKED_ID, find_mark};

    const MARK: &[u8] = b"\0lambdagate-begin-0123:";

    #[test]
    fn marks_are_found_with_their_request_id() {
        let data = b"end of one\n\0lambdagate-begin-0123:rid-2\0next\n";
        let Found::Mark { at, id, end } = find_mark(data, MARK) else {
            panic!("no mark")
        };
        assert_eq!(&data[..at], b"end of one\n");
        assert_eq!(&data[id..end], b"rid-2");
        assert_eq!(&data[end + 1..], b"next\n");
    }

    #[test]
    fn a_mark_cut_by_a_read_waits_for_the_rest() {
        let whole = b"out\n\0lambdagate-begin-0123:rid-2\0";
        for cut in 5..whole.len() {
            assert_eq!(
                find_mark(&whole[..cut], MARK),
                Found::Cut(4),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn nuls_in_ordinary_output_are_not_marks() {
        assert_eq!(find_mark(b"a\0b\0c\n", MARK), Found::Nothing);
        assert_eq!(
            find_mark(b"\0lambdagate-begin-9999:x\0\n", MARK),
            Found::Nothing,
            "another token"
        );
        let mut long = MARK.to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_MARKED_ID + 10));
        long.extend_from_slice(b"\0\n");
        assert_eq!(find_mark(&long, MARK), Found::Nothing, "too long for an id");
        // A NUL that ends what was read may begin a mark: it waits for the next read.
        assert_eq!(find_mark(b"ab\0", MARK), Found::Cut(2));
    }
}
