//! Lambda's own lines for one invocation: START, END and REPORT, as Lambda writes them in text
//! logs. They are INFO-level platform events, so a function whose JSON logs are filtered at
//! `SystemLogLevel: WARN` gets none of them (its timeout, crash and init-failure lines are
//! written elsewhere and stay).

use std::sync::Arc;
use std::time::Duration;

use crate::Outcome;
use crate::logs::{LogRing, LogStream};

/// `START RequestId: … Version: $LATEST`.
pub(super) fn start(logs: &LogRing, request_id: &Arc<str>) {
    logs.push(
        Some(request_id.clone()),
        LogStream::Platform,
        format!("START RequestId: {request_id} Version: $LATEST"),
    );
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
    logs.push(
        Some(id.clone()),
        LogStream::Platform,
        format!("END RequestId: {id}"),
    );
    let ms = report.duration.as_secs_f64() * 1000.0;
    let mut line = format!(
        "REPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        ms.ceil().max(1.0) as u64,
        report.memory_size_mb,
        report.max_memory_used_mb
    );
    if let Some(init) = report.init {
        line.push_str(&format!(
            "Init Duration: {:.2} ms\t",
            init.as_secs_f64() * 1000.0
        ));
    }
    if let Some(status) = report.status {
        line.push_str(&format!("Status: {status}\t"));
        if let (Outcome::Error { error_type, .. }, "error") = (report.outcome, status) {
            line.push_str(&format!("Error Type: {error_type}\t"));
        }
    }
    logs.push(Some(id.clone()), LogStream::Platform, line);
}
