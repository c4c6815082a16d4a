//! Function logs: every line an instance prints, tagged with its function and request id, plus
//! the START / END / REPORT lines Lambda adds, kept in a bounded ring per function and handed to
//! an optional sink (the binary prints them).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// The function's standard output.
    Stdout,
    /// The function's standard error.
    Stderr,
    /// A line Lambda itself writes (START, END, REPORT, timeouts, crashes).
    Platform,
}

/// One log line of one function.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// When the line was read.
    pub time: SystemTime,
    /// The function's name.
    pub function: Arc<str>,
    /// The invocation the line belongs to, when known.
    pub request_id: Option<Arc<str>>,
    /// Where it came from.
    pub stream: LogStream,
    /// The text, without the trailing newline.
    pub text: String,
}

/// Receives every log line as it is produced (for example to print it).
#[derive(Clone)]
pub struct LogSink(Arc<dyn Fn(&LogLine) + Send + Sync>);

impl LogSink {
    /// A sink calling `f` for every line. `f` runs on the service's tasks: keep it quick.
    pub fn new(f: impl Fn(&LogLine) + Send + Sync + 'static) -> LogSink {
        LogSink(Arc::new(f))
    }

    /// A sink printing `[function] [request id] text` lines to standard error (through the
    /// [`crate::output`] thread, so printing never blocks an invocation).
    pub fn stderr() -> LogSink {
        LogSink::new(|line| {
            // Three lines of this per invocation at least (START, END, REPORT): built in one
            // allocation, straight into the text that is written.
            let prefix = |text: &mut String| {
                text.push('[');
                text.push_str(&line.function);
                text.push_str("] ");
                if let Some(id) = &line.request_id {
                    text.push('[');
                    text.push_str(id);
                    text.push_str("] ");
                }
            };
            let mut text = String::with_capacity(line.function.len() + 48 + line.text.len());
            // Runtimes join a multi-line record (a traceback) with \r so that it stays one log
            // event; a terminal would print the parts over each other, so each gets a line.
            for part in line.text.split('\r').filter(|part| !part.is_empty()) {
                if !text.is_empty() {
                    text.push('\n');
                }
                prefix(&mut text);
                text.push_str(part);
            }
            if text.is_empty() {
                prefix(&mut text);
            }
            crate::output::line(text);
        })
    }

    pub(crate) fn emit(&self, line: &LogLine) {
        (self.0)(line)
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSink")
    }
}

/// Lambda's limit on one log line: a longer line is split into pieces of this many bytes (as
/// CloudWatch Logs caps an event at 256 KB).
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Bytes of text a function's ring keeps by default, whatever its line count.
pub const DEFAULT_RING_BYTES: usize = 4 * 1024 * 1024;

/// The last lines of one function, bounded in lines and in bytes, shared by its instances.
#[derive(Debug)]
pub struct LogRing {
    function: Arc<str>,
    capacity: usize,
    byte_budget: usize,
    lines: Mutex<Lines>,
    sink: Option<LogSink>,
}

#[derive(Debug, Default)]
struct Lines {
    lines: VecDeque<LogLine>,
    /// The text bytes of `lines`.
    bytes: usize,
}

impl LogRing {
    /// A ring keeping the last `capacity` lines of `function`, at most `byte_budget` bytes of
    /// text (the newest line is always kept).
    pub fn new(
        function: Arc<str>,
        capacity: usize,
        byte_budget: usize,
        sink: Option<LogSink>,
    ) -> LogRing {
        LogRing {
            function,
            capacity: capacity.max(1),
            byte_budget,
            lines: Mutex::new(Lines {
                lines: VecDeque::with_capacity(capacity.clamp(1, 1024)),
                bytes: 0,
            }),
            sink,
        }
    }

    /// Records one line.
    pub fn push(&self, request_id: Option<Arc<str>>, stream: LogStream, text: String) {
        let line = LogLine {
            time: SystemTime::now(),
            function: self.function.clone(),
            request_id,
            stream,
            text,
        };
        if let Some(sink) = &self.sink {
            sink.emit(&line);
        }
        let mut ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        ring.bytes += line.text.len();
        ring.lines.push_back(line);
        while ring.lines.len() > self.capacity
            || (ring.lines.len() > 1 && ring.bytes > self.byte_budget)
        {
            if let Some(old) = ring.lines.pop_front() {
                ring.bytes -= old.text.len();
            }
        }
    }

    /// The lines kept, oldest first.
    pub fn recent(&self) -> Vec<LogLine> {
        let ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        ring.lines.iter().cloned().collect()
    }

    /// The kept lines of one invocation, oldest first, joined with newlines (as CloudWatch
    /// shows one log stream), for `X-Amz-Log-Type: Tail`.
    pub fn text_of(&self, request_id: &str) -> String {
        let ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for line in ring
            .lines
            .iter()
            .filter(|l| l.request_id.as_deref() == Some(request_id))
        {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }
}

/// The last `limit` bytes of `text` (Lambda's log tail is the last 4 KB).
pub fn tail_bytes(text: &str, limit: usize) -> &[u8] {
    let bytes = text.as_bytes();
    &bytes[bytes.len().saturating_sub(limit)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_filters_by_request() {
        let ring = LogRing::new("f".into(), 3, 1 << 20, None);
        let a: Arc<str> = "a".into();
        for i in 0..5 {
            ring.push(Some(a.clone()), LogStream::Stdout, format!("line {i}"));
        }
        let recent = ring.recent();
        assert_eq!(recent.len(), 3);
        assert_eq!(recent[0].text, "line 2");
        ring.push(Some("b".into()), LogStream::Stdout, "other".into());
        assert_eq!(ring.text_of("a"), "line 3\nline 4\n");
        assert_eq!(ring.text_of("b"), "other\n");
    }

    #[test]
    fn ring_keeps_to_its_byte_budget() {
        let ring = LogRing::new("f".into(), 100, 10, None);
        for i in 0..5 {
            ring.push(None, LogStream::Stdout, format!("abcd{i}"));
        }
        let kept: Vec<String> = ring.recent().into_iter().map(|l| l.text).collect();
        assert_eq!(kept, vec!["abcd3", "abcd4"]);
        // A line over the budget on its own is still kept, alone.
        ring.push(None, LogStream::Stdout, "x".repeat(50));
        assert_eq!(ring.recent().len(), 1);
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail_bytes("abcdef", 4), b"cdef");
        assert_eq!(tail_bytes("ab", 4), b"ab");
    }

    #[test]
    fn sink_sees_lines() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let ring = LogRing::new(
            "f".into(),
            10,
            1 << 20,
            Some(LogSink::new(move |l| {
                seen2.lock().unwrap().push(l.text.clone())
            })),
        );
        ring.push(None, LogStream::Platform, "START".into());
        assert_eq!(*seen.lock().unwrap(), vec!["START".to_string()]);
    }
}
