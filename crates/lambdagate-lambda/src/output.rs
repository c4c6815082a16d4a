//! Standard error, written off the request path.
//!
//! Every request produces log lines (the access log, START / END / REPORT, the function's own
//! output). Writing each with a blocking `eprintln!` from an async worker costs a syscall on the
//! hot path and stalls the worker whenever the reader of our stderr is slow. Instead, lines are
//! appended to a shared buffer that one thread writes out.
//!
//! The writer is woken only when it is asleep for good (nothing written for a while). After it
//! writes a batch it sleeps a short, fixed time and looks again, so under steady load senders
//! never wake it: the cost per line is a lock and a push, and the writer makes a few hundred
//! `write`s a second whatever the request rate. (Measured at c=16 before this design, when every
//! send could wake the writer: about one futex wake-up, one context switch and one `write` per
//! request.) A line waits at most one pause before it is written, and a quiet server writes the
//! first line at once. When stderr is slow and the buffer is full, senders wait, exactly as a
//! slow stderr would have made them, so nothing is dropped.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// Appends `duration` in milliseconds with `decimals` digits after the point (at most 6),
/// rounded half up: what `format!("{:.2}", secs * 1000.0)` prints, without the float
/// formatter, which takes a few thousand instructions per call. The REPORT line and the
/// access line need one each per request.
pub fn push_millis(out: &mut String, duration: Duration, decimals: u32) {
    let decimals = decimals.min(6);
    let unit = 10u128.pow(6 - decimals); // nanoseconds per last digit
    let scaled = (duration.as_nanos() + unit / 2) / unit;
    let scale = 10u128.pow(decimals);
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(scaled / scale));
    if decimals > 0 {
        out.push('.');
        let fraction = digits.format(scaled % scale);
        for _ in fraction.len()..decimals as usize {
            out.push('0');
        }
        out.push_str(fraction);
    }
}

/// Lines buffered before senders wait for the writer.
const CAPACITY: usize = 16 * 1024;

/// Bytes buffered before senders wait for the writer: a function printing long lines (up to
/// the 256 KB a log line may have) must not fill memory while stderr is slow.
const CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// How long the writer lets lines gather after writing a batch.
const PAUSE: Duration = Duration::from_millis(2);

#[derive(Default)]
struct State {
    lines: Vec<String>,
    /// The bytes of `lines`.
    bytes: usize,
    /// The writer waits on `wake` (rather than sleeping through a pause): a sender must notify.
    asleep: bool,
    /// Flush requests: bumped by `flush`, copied to `flushed` once written.
    requested: u64,
    flushed: u64,
}

struct Output {
    state: Mutex<State>,
    /// Notifies the writer: a line arrived while it was asleep, or a flush was requested.
    wake: Condvar,
    /// Notifies senders: the buffer has room again, or a flush finished.
    written: Condvar,
}

impl Output {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The shared buffer, or `None` when the writer thread could not be started.
fn output() -> Option<&'static Output> {
    static OUTPUT: OnceLock<Option<&'static Output>> = OnceLock::new();
    *OUTPUT.get_or_init(|| {
        let output: &'static Output = Box::leak(Box::new(Output {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            written: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("lambdagate-stderr".into())
            .spawn(move || write_loop(output))
            .ok()
            .map(|_| output)
    })
}

fn write_loop(output: &'static Output) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    let mut batch = Vec::new();
    loop {
        let flush_mark;
        {
            let mut state = output.lock();
            while state.lines.is_empty() && state.requested == state.flushed {
                state.asleep = true;
                state = output
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.asleep = false;
            std::mem::swap(&mut batch, &mut state.lines);
            state.bytes = 0;
            flush_mark = state.requested;
        }
        // Senders blocked on a full buffer may go on.
        output.written.notify_all();
        for line in batch.drain(..) {
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
        {
            let mut state = output.lock();
            if flush_mark != state.flushed {
                state.flushed = flush_mark;
                drop(state);
                output.written.notify_all();
            }
        }
        // Let the next lines gather: senders see `asleep == false` and do not wake us.
        std::thread::sleep(PAUSE);
    }
}

/// Writes one line (without its newline) to standard error, in order with every other line
/// written through this function.
pub fn line(text: String) {
    let Some(output) = output() else {
        eprintln!("{text}");
        return;
    };
    let mut state = output.lock();
    // A line longer than the byte budget still goes once the buffer is empty.
    while state.lines.len() >= CAPACITY
        || (!state.lines.is_empty() && state.bytes + text.len() > CAPACITY_BYTES)
    {
        state = output
            .written
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
    state.bytes += text.len();
    state.lines.push(text);
    if state.asleep {
        state.asleep = false;
        drop(state);
        output.wake.notify_one();
    }
}

/// Waits until every line written so far has reached standard error (call before exiting).
pub fn flush() {
    let Some(output) = output() else {
        return;
    };
    let mut state = output.lock();
    state.requested += 1;
    let mark = state.requested;
    state.asleep = false;
    output.wake.notify_one();
    while state.flushed < mark {
        state = output
            .written
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn millis_print_as_the_float_formatter_prints_them() {
        let push = |d: Duration, decimals| {
            let mut out = String::new();
            super::push_millis(&mut out, d, decimals);
            out
        };
        // Values off the rounding ties, where the float formatter and integer rounding agree.
        let mut nanos: u64 = 1;
        while nanos < 10_000_000_000_000 {
            for n in [nanos, nanos * 3 + 1, nanos * 7 + 3] {
                let d = Duration::from_nanos(n);
                let ms = d.as_secs_f64() * 1000.0;
                if n % 10_000 != 5_000 {
                    assert_eq!(push(d, 2), format!("{ms:.2}"), "{n} ns");
                }
                if n % 100_000 != 50_000 {
                    assert_eq!(push(d, 1), format!("{ms:.1}"), "{n} ns");
                }
                assert_eq!(
                    push(d, 0),
                    format!("{}", (n + 500_000) / 1_000_000),
                    "{n} ns"
                );
            }
            nanos = nanos * 3 + 17;
        }
        assert_eq!(push(Duration::ZERO, 2), "0.00");
        assert_eq!(push(Duration::from_micros(1_234_995), 2), "1235.00");
        assert_eq!(push(Duration::from_micros(50), 1), "0.1");
        assert_eq!(push(Duration::from_micros(49), 1), "0.0");
    }

    #[test]
    fn lines_and_flush_do_not_block_or_lose_order() {
        for i in 0..1000 {
            super::line(format!("output test line {i}"));
        }
        super::flush();
        super::flush();
    }
}
