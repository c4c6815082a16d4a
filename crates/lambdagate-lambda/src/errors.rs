//! The error payloads Lambda itself writes when a function times out, crashes, cannot start or
//! answers too much, and the small helpers they need (request ids, timestamps).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::Outcome;
use lambdagate_model::aws::civil_from_days;

/// Error type of an invocation that ran past its timeout.
pub const TIMED_OUT: &str = "Sandbox.Timedout";
/// Error type of a runtime process that exited.
pub const EXIT_ERROR: &str = "Runtime.ExitError";
/// Error type of a runtime that could not be started at all.
pub const INVALID_ENTRYPOINT: &str = "Runtime.InvalidEntrypoint";
/// Error type of an invocation whose instance went over its MemorySize.
pub const OUT_OF_MEMORY: &str = "Runtime.OutOfMemory";
/// Error type of a response over the payload limit.
pub const RESPONSE_TOO_LARGE: &str = "Function.ResponseSizeTooLarge";

/// Lambda's limit on a synchronous response (6 MB plus the small allowance RIE also grants).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;
/// Lambda's limit on a synchronous request payload.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;

/// A new request id in UUID v4 form, as Lambda generates them.
pub fn new_request_id() -> String {
    lambdagate_model::aws::uuid_v4()
}

fn error_json(error_type: &str, message: &str) -> Bytes {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    Bytes::from(body.to_string())
}

/// The answer to an invocation that ran past `timeout`, as Lambda gives it today.
pub fn timed_out(request_id: &str, timeout: Duration) -> Outcome {
    Outcome::Error {
        error_type: TIMED_OUT.to_string(),
        payload: error_json(
            TIMED_OUT,
            &format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        ),
    }
}

/// The log line Lambda writes for a timeout.
pub fn timed_out_log_line(request_id: &str, timeout: Duration) -> String {
    format!(
        "{} {request_id} Task timed out after {:.2} seconds",
        iso_time(SystemTime::now()),
        timeout.as_secs_f64()
    )
}

/// How an exit status reads in Lambda's messages: `exit status 1`, `signal: killed`.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(9) => "signal: killed".to_string(),
        Some(15) => "signal: terminated".to_string(),
        Some(11) => "signal: segmentation fault".to_string(),
        Some(6) => "signal: aborted".to_string(),
        Some(n) => format!("signal: {n}"),
        None => "exit status unknown".to_string(),
    }
}

/// The answer to an invocation whose instance went over its MemorySize: Lambda kills the
/// runtime, which reads as an exit by SIGKILL.
pub fn out_of_memory(request_id: &str) -> Outcome {
    Outcome::Error {
        error_type: OUT_OF_MEMORY.to_string(),
        payload: error_json(
            OUT_OF_MEMORY,
            &format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed"),
        ),
    }
}

/// The answer to an invocation whose runtime process exited (`exit` as from [`describe_exit`]).
pub fn exited(request_id: &str, exit: &str) -> Outcome {
    Outcome::Error {
        error_type: EXIT_ERROR.to_string(),
        payload: error_json(
            EXIT_ERROR,
            &format!("RequestId: {request_id} Error: Runtime exited with error: {exit}"),
        ),
    }
}

/// The answer when the runtime could not be started (missing bootstrap or interpreter).
pub fn invalid_entrypoint(request_id: &str, why: &str) -> Outcome {
    Outcome::Error {
        error_type: INVALID_ENTRYPOINT.to_string(),
        payload: error_json(
            INVALID_ENTRYPOINT,
            &format!("RequestId: {request_id} Error: {why}"),
        ),
    }
}

/// The answer when the function's response is over the limit.
pub fn response_too_large() -> Outcome {
    Outcome::Error {
        error_type: RESPONSE_TOO_LARGE.to_string(),
        payload: error_json(
            RESPONSE_TOO_LARGE,
            &format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            ),
        ),
    }
}

/// `2024-05-01T12:34:56.789Z`.
pub fn iso_time(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// `2024/05/01`, as log stream names start.
pub fn date_path(time: SystemTime) -> String {
    let days = (time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}/{m:02}/{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_v4() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn iso_times() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso_time(t), "2023-11-14T22:13:20.123Z");
        assert_eq!(date_path(t), "2023/11/14");
        assert_eq!(iso_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn timeout_payload_matches_lambda() {
        let Outcome::Error {
            error_type,
            payload,
        } = timed_out("abc", Duration::from_secs(3))
        else {
            panic!("not an error")
        };
        assert_eq!(error_type, "Sandbox.Timedout");
        let v: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            v["errorMessage"],
            "RequestId: abc Error: Task timed out after 3.00 seconds"
        );
    }
}
