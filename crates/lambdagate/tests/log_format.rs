//! `--log-format json`: lambdagate's own log lines (access log, function output, START / END /
//! REPORT) are one JSON object each, for log shippers.

mod support;

use std::time::{Duration, Instant};

use support::Server;

#[test]
fn json_log_format_writes_one_object_per_line() {
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/gateway/template.yaml",
        "-p",
        "0",
        "--log-format",
        "json",
    ]);
    let url = server.url("/hello");
    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
    })
    .join()
    .unwrap();
    assert_eq!(body, "hello");

    // The access log line is written after the response: wait for it (bounded).
    let deadline = Instant::now() + Duration::from_secs(10);
    let records = loop {
        let records: Vec<serde_json::Value> = server
            .printed()
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("every JSON log line parses"))
            .collect();
        if records.iter().any(|r| r["type"] == "request") || Instant::now() > deadline {
            break records;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let request = records
        .iter()
        .find(|r| r["type"] == "request")
        .expect("an access log record");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/hello");
    assert_eq!(request["status"], 200);
    assert_eq!(request["function"], "NodeHello");
    let report = records
        .iter()
        .find(|r| r["type"] == "function" && r["message"].as_str().unwrap().starts_with("REPORT"))
        .expect("a REPORT record");
    assert_eq!(report["function"], "NodeHello");
    assert_eq!(report["stream"], "platform");
    assert!(report["requestId"].is_string());
    assert!(report["time"].as_str().unwrap().ends_with('Z'));
}
