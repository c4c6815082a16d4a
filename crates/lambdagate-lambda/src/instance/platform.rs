//! Lambda's own lines for one invocation: START, END and REPORT, as Lambda writes them in text
//! logs. They are INFO-level platform events, so a function whose JSON logs are filtered at
//! `SystemLogLevel: WARN` gets none of them (its timeout, crash and init-failure lines are
//! written elsewhere and stay).

use std::sync::Arc;
use std::time::Duration;

use crate::Outcome;
use crate::logs::{LogRing, LogStream};
use crate::output::push_millis;

/// `START RequestId: … Version: $LATEST`.
pub(super) fn start(logs: &LogRing, request_id: &Arc<str>) {
    let mut line = String::with_capacity(40 + request_id.len());
    line.push_str("START RequestId: ");
    line.push_str(request_id);
    line.push_str(" Version: $LATEST");
    logs.push(Some(request_id.clone()), LogStream::Platform, line);
}

/// What REPORT says of one invocation.
pub(super) struct Report<'a> {
    pub request_id: &'a Arc<str>,
    pub duration: Duration,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    /// The instance's init, on its first invocation.
    pub init: Option<Duration>,
    /// `timeout` or `error` when the invocation did not answer normally.
    pub status: Option<&'a str>,
    pub outcome: &'a Outcome,
}

/// `END RequestId: …`, then the REPORT line.
pub(super) fn end_and_report(logs: &LogRing, report: &Report<'_>) {
    let id = report.request_id;
    let mut end = String::with_capacity(16 + id.len());
    end.push_str("END RequestId: ");
    end.push_str(id);
    logs.push(Some(id.clone()), LogStream::Platform, end);
    // Built by pushes rather than `format!`: two lines on every invocation.
    let mut digits = itoa::Buffer::new();
    let mut line = String::with_capacity(160 + id.len());
    line.push_str("REPORT RequestId: ");
    line.push_str(id);
    line.push_str("\tDuration: ");
    push_millis(&mut line, report.duration, 2);
    line.push_str(" ms\tBilled Duration: ");
    // Whole milliseconds, rounded up, at least one (Lambda bills by the millisecond).
    let billed = report.duration.as_nanos().div_ceil(1_000_000).max(1);
    line.push_str(digits.format(billed));
    line.push_str(" ms\tMemory Size: ");
    line.push_str(digits.format(report.memory_size_mb));
    line.push_str(" MB\tMax Memory Used: ");
    line.push_str(digits.format(report.max_memory_used_mb));
    line.push_str(" MB\t");
    if let Some(init) = report.init {
        line.push_str("Init Duration: ");
        push_millis(&mut line, init, 2);
        line.push_str(" ms\t");
    }
    if let Some(status) = report.status {
        line.push_str(&format!("Status: {status}\t"));
        if let (Outcome::Error { error_type, .. }, "error") = (report.outcome, status) {
            line.push_str(&format!("Error Type: {error_type}\t"));
        }
    }
    logs.push(Some(id.clone()), LogStream::Platform, line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_and_report_lines_read_as_lambda_writes_them() {
        let ring = LogRing::new("f".into(), 16, 1 << 20, None);
        let id: Arc<str> = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
        let outcome = Outcome::Error {
            error_type: "Runtime.ExitError".into(),
            payload: bytes::Bytes::new(),
        };
        start(&ring, &id);
        end_and_report(
            &ring,
            &Report {
                request_id: &id,
                duration: Duration::from_micros(2_004_567),
                memory_size_mb: 128,
                max_memory_used_mb: 41,
                init: Some(Duration::from_micros(117_306)),
                status: Some("error"),
                outcome: &outcome,
            },
        );
        end_and_report(
            &ring,
            &Report {
                request_id: &id,
                duration: Duration::from_micros(230),
                memory_size_mb: 1024,
                max_memory_used_mb: 7,
                init: None,
                status: None,
                outcome: &Outcome::Response(bytes::Bytes::new()),
            },
        );
        let lines: Vec<String> = ring.recent().into_iter().map(|l| l.text).collect();
        assert_eq!(
            lines,
            [
                "START RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd Version: $LATEST",
                "END RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 2004.57 ms\t\
                 Billed Duration: 2005 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\t\
                 Init Duration: 117.31 ms\tStatus: error\tError Type: Runtime.ExitError\t",
                "END RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 0.23 ms\t\
                 Billed Duration: 1 ms\tMemory Size: 1024 MB\tMax Memory Used: 7 MB\t",
            ]
        );
    }
}
