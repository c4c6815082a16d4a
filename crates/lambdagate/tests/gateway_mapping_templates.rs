//! Mapping templates end to end: the real binary serving `tests/fixtures/mapping-templates`
//! with a real Python and a real Node function behind Lambda custom integrations, and a mock.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Server, repo_root};

const TEMPLATE: &str = "tests/fixtures/mapping-templates/template.yaml";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(c: &reqwest::Client, request: reqwest::RequestBuilder) -> Answer {
    let _ = c;
    let r = request.send().await.unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn lambda_custom_integrations_and_mocks() {
    let server = Server::start_in(&repo_root(), &["start-api", "-t", TEMPLATE, "-p", "0"], &[]);
    let printed = server.printed();
    assert!(!printed.contains("does not serve"), "{printed}");
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        c.post(server.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string())
    };

    // Python: request template → payload, response template and a header from the body.
    let a = send(
        &c,
        post(
            "/dev/py/Ada",
            json!({"action": "greet", "tags": ["a", "b"]}),
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.json(),
        json!({"message": "Hello, Ada!", "tags": ["A", "B"], "count": 2})
    );
    assert_eq!(a.header("x-greeting"), Some("Hello, Ada!"));
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert!(a.header("x-amzn-requestid").is_some());

    // Error messages select 400, 404 and (any other) 500.
    let a = send(&c, post("/dev/py/Bob", json!({"action": "bad"}))).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.json(), json!({"error": "Bad request: cannot greet Bob"}));
    let a = send(&c, post("/dev/py/Cy", json!({"action": "missing"}))).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(a.json(), json!({"missing": "Cy"}));
    let a = send(&c, post("/dev/py/Di", json!({"action": "other"}))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert_eq!(a.json(), json!({"failed": true}));

    // passthroughBehavior NEVER: a content type without a template is refused.
    let a = send(
        &c,
        c.post(server.url("/dev/py/Ed"))
            .header("Content-Type", "text/plain")
            .body("hi"),
    )
    .await;
    assert_eq!(a.status, 415);
    assert_eq!(a.body, r#"{"message":"Unsupported Media Type"}"#);

    // Node, without templates: the body passes through both ways; an error is matched.
    let a = send(&c, post("/dev/node", json!({"x": 1}))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), json!({"runtime": "node", "received": {"x": 1}}));
    let a = send(&c, post("/dev/node", json!({"fail": "on purpose"}))).await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(
        a.json(),
        json!({"nodeError": "node failure: on purpose", "type": "Error"})
    );

    // The mock: the request template's statusCode selects among several responses.
    let a = send(&c, c.get(server.url("/dev/mock"))).await;
    assert_eq!((a.status, a.json()), (200, json!({"mock": "ok"})));
    assert_eq!(a.header("x-mock"), Some("yes"));
    let a = send(&c, c.get(server.url("/dev/mock?code=404"))).await;
    assert_eq!((a.status, a.json()), (404, json!({"mock": "not here"})));
    let a = send(&c, c.get(server.url("/dev/mock?code=418"))).await;
    assert_eq!(
        (a.status, a.json()),
        (418, json!({"mock": "teapot", "code": "418"}))
    );
}

/// A template that does not parse fails `validate` (AWS refuses to deploy it) with where it
/// breaks; `start-api` warns and serves the route as 500.
#[tokio::test]
async fn broken_templates_fail_validate_and_answer_500() {
    let dir = std::env::temp_dir().join(format!("lambdagate-vtl-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = r##"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      DefinitionBody:
        swagger: "2.0"
        info: {title: broken, version: "1"}
        paths:
          /m:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: "{\"statusCode\": 200}\n#foreach($x in [1])"
                responses:
                  default:
                    statusCode: "200"
"##;
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let out = support::run(&dir, &["validate", "-t", "template.yaml"], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("line 2, column 1: #foreach without #end"),
        "{stdout}"
    );

    let server = Server::start_in(&dir, &["start-api", "-t", "template.yaml", "-p", "0"], &[]);
    assert!(
        server.printed().contains("#foreach without #end"),
        "{}",
        server.printed()
    );
    let r = reqwest::get(server.url("/dev/m")).await.unwrap();
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Added latency of a Lambda custom integration (two templates) against the proxy integration
/// of the same Python function (run with `--ignored --nocapture`; prints medians, asserts none).
#[tokio::test]
#[ignore = "prints a measurement"]
async fn custom_integration_latency_against_proxy() {
    let server = Server::start_in(&repo_root(), &["start-api", "-t", TEMPLATE, "-p", "0"], &[]);
    let c = reqwest::Client::new();
    let mut medians = Vec::new();
    for (path, body) in [
        ("/dev/py-proxy", json!({})),
        ("/dev/py/Ada", json!({"action": "greet", "tags": ["a"]})),
    ] {
        let mut samples = Vec::new();
        for i in 0..220 {
            let start = std::time::Instant::now();
            let r = c
                .post(server.url(path))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.bytes().await.unwrap();
            // The first requests warm the function up.
            if i >= 20 {
                samples.push(start.elapsed());
            }
        }
        samples.sort();
        medians.push(samples[samples.len() / 2]);
    }
    println!(
        "median: proxy {:.0} µs, custom {:.0} µs, added {:.0} µs",
        medians[0].as_secs_f64() * 1e6,
        medians[1].as_secs_f64() * 1e6,
        (medians[1].as_secs_f64() - medians[0].as_secs_f64()) * 1e6
    );
}
