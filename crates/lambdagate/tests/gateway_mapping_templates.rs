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
    let a = send(&c, post("/dev/py/Ada", json!({"action": "greet", "tags": ["a", "b"]}))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), json!({"message": "Hello, Ada!", "tags": ["A", "B"], "count": 2}));
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
