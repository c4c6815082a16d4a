//! Lambda's bundled SDKs end to end: Node handlers (ES module and CommonJS) import
//! `@aws-sdk/client-sts` and a Python handler imports boto3, none of them packaging it.
//! The first run installs the package into lambdagate's cache (this needs the package
//! registries); later runs find it there.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Server, repo_root};

#[tokio::test]
async fn handlers_import_the_sdks_lambda_carries() {
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/bundled-sdk/template.yaml",
            "-p",
            "0",
            "--no-watch",
        ],
        &[],
    );
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for (path, key, expected) in [
        ("/esm", "client", "function"),
        ("/esm", "command", "function"),
        ("/cjs", "client", "function"),
    ] {
        let r = c.get(server.url(path)).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}\n{}", server.printed());
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body[key], expected, "{path}: {text}");
    }
    let r = c.get(server.url("/py")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", server.printed());
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(body["boto3"].as_str().is_some_and(|v| v.starts_with('1')));
}
