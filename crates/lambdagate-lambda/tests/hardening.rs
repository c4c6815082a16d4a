//! The function service against functions that misbehave: huge output, memory beyond their
//! MemorySize, children that escape, slow inits, runtimes that reach for other functions'
//! invocations. Each test failed before the matching fix (issue 14).

mod common;

use std::time::{Duration, Instant};

use common::*;
use lambdagate_lambda::ServiceConfig;
use lambdagate_lambda::logs::MAX_LINE_BYTES;

/// This process's resident memory in kB.
fn own_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Waits (polling) until `check` holds; panics after `limit`, which only catches hangs.
async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: still not true after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_50_mb_line_is_split_and_the_log_ring_keeps_to_its_budget() {
    let service = start(vec![script_function("Loud")]).await;
    // Warm up first, so the instance's start does not count.
    response(&call(&service, "Loud", "{}").await);
    let before = own_rss_kb();
    let result = call(&service, "Loud", r#"{"print_bytes": 50000000}"#).await;
    assert_eq!(response(&result)["ok"], true);
    let after = own_rss_kb();
    let lines = service.logs("Loud");
    assert!(
        lines.iter().all(|l| l.text.len() <= MAX_LINE_BYTES),
        "a line over {MAX_LINE_BYTES} bytes was kept"
    );
    let kept: usize = lines.iter().map(|l| l.text.len()).sum();
    assert!(
        kept <= lambdagate_lambda::logs::DEFAULT_RING_BYTES,
        "{kept} bytes kept"
    );
    // The split pieces are all there in the order printed, and END follows them.
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let end = texts
        .iter()
        .position(|t| t.starts_with("END RequestId"))
        .unwrap();
    assert!(texts[end - 1].starts_with('x'), "{:?}", &texts[end - 1][..10]);
    // Before: the 50 MB line was held two or three times over (read buffer, string, ring).
    let grown_mb = after.saturating_sub(before) / 1024;
    assert!(grown_mb < 40, "the gateway grew by {grown_mb} MB");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn printed_lines_come_before_end_and_are_in_the_tail_every_time() {
    let service = start(vec![script_function("Chatty")]).await;
    for _ in 0..40 {
        let result = call(&service, "Chatty", r#"{"print_lines": 3}"#).await;
        response(&result);
        let text = service.log_text("Chatty", &result.request_id);
        let lines: Vec<&str> = text.lines().collect();
        let end = lines
            .iter()
            .position(|l| l.starts_with("END RequestId"))
            .expect("END");
        assert_eq!(
            &lines[1..end],
            &["line 0", "line 1", "line 2"],
            "the function's lines come between START and END: {text}"
        );
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn idle_timeout_does_not_wait_for_the_function_timeout() {
    let mut f = script_function("Idle");
    f.timeout_secs = 120;
    let config = ServiceConfig {
        idle_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let service = start_with(vec![f], config).await;
    response(&call(&service, "Idle", "{}").await);
    // Before: the instance stayed until the 120 s Timeout had passed.
    eventually("the idle instance stopped", Duration::from_secs(60), || {
        service.live_instances("Idle") == 0
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}
