//! `start-api` end to end with real Python and Node functions (`tests/fixtures/gateway/e2e.yaml`):
//! routing of both API kinds, payload 1.0 and 2.0, error answers, function and integration
//! timeouts, binary payloads, CORS, the 10 MB limit, and crashing functions.
//!
//! One server serves every scenario (they run concurrently), so that its start and the functions'
//! cold starts are paid once.

mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use support::Server;

const TEMPLATE: &str = "tests/fixtures/gateway/e2e.yaml";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\xff";
const REST_ERROR: &str = r#"{"message": "Internal server error"}"#;
const HTTP_ERROR: &str = r#"{"message":"Internal Server Error"}"#;

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    /// The server's output so far, kept for a 5xx: what the function logged says why.
    server_output: String,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("{}: not JSON: {}", self.status, self.text()))
    }

    /// The event an echo answered with.
    fn event(&self) -> Value {
        assert_eq!(
            self.status,
            200,
            "{}\n--- server output:\n{}",
            self.text(),
            self.server_output
        );
        self.json()["event"].clone()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }
}

struct Client<'a> {
    server: &'a Server,
    http: reqwest::Client,
}

impl Client<'_> {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.server.url(path)).body(body);
        for (n, v) in headers {
            request = request.header(*n, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        Answer {
            status,
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
            server_output: if status >= 500 {
                self.server.printed()
            } else {
                String::new()
            },
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &[], Vec::new()).await
    }
}

async fn rest_routing(c: &Client<'_>) {
    let e = c.get("/dev/items/42?a=1&a=2").await.event();
    assert_eq!(e["resource"], "/items/{id}");
    assert_eq!(e["path"], "/items/42");
    assert_eq!(e["pathParameters"]["id"], "42");
    assert_eq!(
        e["multiValueQueryStringParameters"]["a"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(e["queryStringParameters"]["a"], "2");
    assert_eq!(e["stageVariables"]["env"], "e2e");
    assert_eq!(e["requestContext"]["stage"], "dev");
    assert_eq!(e["requestContext"]["path"], "/dev/items/42");
    // Node on REST: payload 1.0 without `version`.
    let a = c.get("/dev/items").await;
    let e = a.event();
    assert_eq!(a.json()["runtime"], "node");
    assert_eq!(e["resource"], "/items");
    assert!(e.get("version").is_none());
    assert!(a.header("x-amzn-requestid").is_some());
    assert!(a.header("x-amz-apigw-id").is_some());
    assert!(a.header("x-amzn-trace-id").is_some());
    // ANY on a greedy resource; greedy values are raw.
    let a = c
        .send("DELETE", "/dev/files/a/b%20c/", &[], Vec::new())
        .await;
    let e = a.event();
    assert_eq!(e["httpMethod"], "DELETE");
    assert_eq!(e["pathParameters"]["proxy"], "a/b%20c");
    assert_eq!(e["path"], "/files/a/b%20c/");
    // LocalStack's AWS-validated cases: not a first descent, and method-aware fallback.
    let route = |a: Answer| a.event()["resource"].as_str().unwrap().to_string();
    assert_eq!(route(c.get("/routing/part1").await), "/part1");
    assert_eq!(
        route(c.get("/routing/part1/hardcoded-value").await),
        "/part1/hardcoded-value"
    );
    assert_eq!(
        route(c.get("/routing/part1/random-value").await),
        "/{param+}"
    );
    assert_eq!(
        route(c.send("OPTIONS", "/routing/test", &[], Vec::new()).await),
        "/{param+}"
    );
    assert_eq!(
        route(c.send("POST", "/routing/test", &[], Vec::new()).await),
        "/test"
    );
    // Unknown route and unknown method: 403 Missing Authentication Token.
    for (method, path) in [("GET", "/dev/nothing"), ("PUT", "/dev/items/1")] {
        let a = c.send(method, path, &[], Vec::new()).await;
        assert_eq!(a.status, 403, "{method} {path}");
        assert_eq!(a.text(), r#"{"message":"Missing Authentication Token"}"#);
        assert_eq!(
            a.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
    }
}

async fn http_routing_and_payloads(c: &Client<'_>) {
    // The DG's worked example of route priority.
    let key = |a: Answer| a.event()["routeKey"].as_str().unwrap().to_string();
    assert_eq!(key(c.get("/pets/dog/1").await), "GET /pets/dog/1");
    assert_eq!(key(c.get("/pets/dog/2").await), "GET /pets/dog/{id}");
    assert_eq!(key(c.get("/pets/cat/1").await), "GET /pets/{proxy+}");
    assert_eq!(
        key(c.send("POST", "/test/5", &[], Vec::new()).await),
        "$default"
    );
    // Payload 2.0 (Node): cookies split out, joined duplicates, decoded path variables,
    // response cookies to Set-Cookie.
    let a = c
        .send(
            "GET",
            "/pets/dog/a%20b?x=1&x=2",
            &[
                ("Cookie", "c1=v1; c2=v2"),
                ("X-Dup", "one"),
                ("x-dup", "two"),
            ],
            Vec::new(),
        )
        .await;
    let e = a.event();
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["rawPath"], "/pets/dog/a%20b");
    assert_eq!(e["rawQueryString"], "x=1&x=2");
    assert_eq!(e["queryStringParameters"]["x"], "1,2");
    assert_eq!(e["pathParameters"]["id"], "a b");
    assert_eq!(e["cookies"], serde_json::json!(["c1=v1", "c2=v2"]));
    assert!(e["headers"].get("cookie").is_none());
    assert_eq!(e["headers"]["x-dup"], "one,two");
    assert_eq!(e["requestContext"]["stage"], "$default");
    assert_eq!(
        a.all("set-cookie"),
        vec!["session=abc; Path=/", "theme=dark"]
    );
    assert_eq!(
        a.header("apigw-requestid"),
        e["requestContext"]["requestId"].as_str()
    );
    assert!(a.header("x-amzn-requestid").is_none());
    // Payload 2.0 (Python) and inferred responses (Node).
    let a = c.send("PUT", "/py/x/y", &[], Vec::new()).await;
    assert_eq!(a.json()["runtime"], "python");
    assert_eq!(a.event()["routeKey"], "ANY /py/{proxy+}");
    let a = c.get("/echo?do=inferred").await;
    assert_eq!(
        (a.status, a.text()),
        (200, r#"{"hello":"world"}"#.to_string())
    );
    assert_eq!(a.header("content-type"), Some("application/json"));
    let a = c.get("/echo?do=string").await;
    assert_eq!((a.status, a.text()), (200, "just a string".to_string()));
    // Payload 1.0 on an HTTP API: version "1.0", lower-case headers, multi-value maps.
    let a = c
        .send("GET", "/v1/a?q=1&q=2", &[("X-Mixed-Case", "v")], Vec::new())
        .await;
    let e = a.event();
    assert_eq!(e["version"], "1.0");
    assert_eq!(e["resource"], "/v1/{proxy+}");
    assert_eq!(e["headers"]["x-mixed-case"], "v");
    assert_eq!(
        e["multiValueQueryStringParameters"]["q"],
        serde_json::json!(["1", "2"])
    );
    // Payload 1.0 responses: multiValueHeaders honoured, status from the function.
    let a = c.get("/v1/a?do=multi").await;
    assert_eq!(a.status, 201);
    assert_eq!(a.all("set-cookie"), vec!["a=1", "b=2"]);
    // (An HTTP API without a `$default` route answers 404: gateway_start_api.rs.)
}

async fn function_errors(c: &Client<'_>) {
    for (path, status, body) in [
        // Python and Node raising.
        ("/dev/items/1?do=raise", 502, REST_ERROR),
        ("/dev/items?do=raise", 502, REST_ERROR),
        ("/py/x?do=raise", 500, HTTP_ERROR),
        ("/echo?do=raise", 500, HTTP_ERROR),
        // Malformed proxy responses.
        ("/dev/items/1?do=garbage", 502, REST_ERROR),
        ("/dev/items/1?do=string", 502, REST_ERROR),
        ("/echo?do=garbage", 500, HTTP_ERROR),
        ("/v1/x?do=garbage", 500, HTTP_ERROR),
    ] {
        let a = c.get(path).await;
        assert_eq!((a.status, a.text().as_str()), (status, body), "{path}");
        if status == 502 {
            assert_eq!(
                a.header("x-amzn-errortype"),
                Some("InternalServerErrorException"),
                "{path}"
            );
        } else {
            assert!(a.header("apigw-requestid").is_some(), "{path}");
        }
    }
    // REST response header merge through a real function (recorded union rule).
    let a = c.get("/dev/items/1?do=multi").await;
    assert_eq!(a.status, 201);
    assert_eq!(a.all("x-multi"), vec!["a", "b", "solo"]);
    assert_eq!(a.header("x-single"), Some("one"));
    assert_eq!(a.text(), "multi");
}

async fn timeouts(c: &Client<'_>) {
    // Past the function's own Timeout (3 s): the function service stops it, a function error.
    let a = c.get("/dev/items/1?do=sleep&s=5").await;
    assert_eq!((a.status, a.text().as_str()), (502, REST_ERROR));
    let a = c.get("/echo?do=sleep&s=5").await;
    assert_eq!((a.status, a.text().as_str()), (500, HTTP_ERROR));
    // Past the route's TimeoutInMillis (300 ms) while the function may go on: API Gateway's own.
    let started = Instant::now();
    let a = c.get("/dev/slow?do=sleep&s=2").await;
    assert_eq!(a.status, 504);
    assert_eq!(a.text(), r#"{"message": "Endpoint request timed out"}"#);
    let a2 = c.get("/slow?do=sleep&s=2").await;
    assert_eq!(
        (a2.status, a2.text().as_str()),
        (503, r#"{"message":"Service Unavailable"}"#)
    );
    // The statuses prove the gateway's timeout fired first (the function would have been cut
    // at its own 3 s Timeout with a 502/500); this bound only catches a hang.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // The functions answer again afterwards.
    assert_eq!(c.get("/dev/items/1").await.status, 200);
    assert_eq!(c.get("/echo").await.status, 200);
}

async fn binary(c: &Client<'_>) {
    // REST request: base64 only when Content-Type matches BinaryMediaTypes.
    let e = c
        .send(
            "POST",
            "/dev/upload",
            &[("Content-Type", "image/png")],
            PNG.to_vec(),
        )
        .await
        .event();
    assert_eq!(e["isBase64Encoded"], true);
    assert_eq!(e["body"], "iVBORw0KGgoA/w==");
    let e = c
        .send(
            "POST",
            "/dev/upload",
            &[("Content-Type", "text/plain")],
            b"plain".to_vec(),
        )
        .await
        .event();
    assert_eq!(
        (e["isBase64Encoded"].clone(), e["body"].clone()),
        (Value::Bool(false), Value::from("plain"))
    );
    // REST response: decoded only when the first Accept type matches.
    let a = c
        .send(
            "GET",
            "/dev/items/1?do=binary",
            &[("Accept", "image/png")],
            Vec::new(),
        )
        .await;
    assert_eq!((a.status, a.body.as_slice()), (200, PNG));
    let a = c
        .send(
            "GET",
            "/dev/items/1?do=binary",
            &[("Accept", "application/json, image/png")],
            Vec::new(),
        )
        .await;
    assert_eq!((a.status, a.text().as_str()), (200, "iVBORw0KGgoA/w=="));
    // HTTP API request: text only for text-like types, base64 otherwise (no Content-Type too).
    for (content_type, base64) in [
        (Some("application/json"), false),
        (Some("text/csv"), false),
        (Some("application/octet-stream"), true),
        (Some("application/x-www-form-urlencoded"), true),
        (None, true),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("Content-Type", t))
            .into_iter()
            .collect();
        let e = c
            .send("POST", "/echo", &headers, b"{}".to_vec())
            .await
            .event();
        assert_eq!(e["isBase64Encoded"], base64, "{content_type:?}");
        assert_eq!(
            e["body"],
            if base64 { "e30=" } else { "{}" },
            "{content_type:?}"
        );
    }
    // HTTP API response: isBase64Encoded is always decoded, Python and Node.
    for path in ["/echo?do=binary", "/py/x?do=binary"] {
        let a = c.get(path).await;
        assert_eq!((a.status, a.body.as_slice()), (200, PNG), "{path}");
    }
}

async fn preflight(c: &Client<'_>, origin: &str) -> Answer {
    let headers = [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ];
    c.send("OPTIONS", "/echo", &headers, Vec::new()).await
}

async fn cors(c: &Client<'_>) {
    let a = preflight(c, "https://app.example").await;
    assert_eq!(a.status, 204);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(a.header("access-control-max-age"), Some("600"));
    assert!(
        a.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert_eq!(
        a.header("access-control-allow-headers"),
        Some("content-type")
    );
    let a = preflight(c, "https://evil.example").await;
    assert!(a.header("access-control-allow-origin").is_none());
    // Actual requests: the gateway's CORS headers replace the function's own.
    let a = c
        .send(
            "GET",
            "/echo?do=cors",
            &[("Origin", "https://app.example")],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.all("access-control-allow-origin"),
        vec!["https://app.example"]
    );
    assert_eq!(a.header("access-control-expose-headers"), Some("x-own"));
    assert_eq!(a.header("x-own"), Some("kept"));
    let a = c
        .send(
            "GET",
            "/echo?do=cors",
            &[("Origin", "https://evil.example")],
            Vec::new(),
        )
        .await;
    assert!(a.header("access-control-allow-origin").is_none());
    // Error answers carry CORS headers too.
    let a = c
        .send(
            "GET",
            "/echo?do=raise",
            &[("Origin", "https://app.example")],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 500);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // REST Cors: SAM's OPTIONS mock on every path.
    let a = c.send("OPTIONS", "/dev/items/7", &[], Vec::new()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        a.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        a.header("access-control-allow-headers"),
        Some("Content-Type,X-Api-Key")
    );
    // SAM maps the mock through the response template `{}`.
    assert_eq!(a.text().trim(), "{}");
}

async fn limits_and_crashes(c: &Client<'_>) {
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    for path in ["/echo", "/dev/upload"] {
        let a = c
            .send("POST", path, &[("Content-Type", "text/plain")], big.clone())
            .await;
        assert_eq!(a.status, 413, "{path}");
    }
    // Under the gateway's limit: 5 MB reaches the function; 7 MB passes the gateway but the
    // event is over Lambda's 6 MB invoke limit, an invoke failure (502, spec §2.1).
    for (size, status) in [(5, 200), (7, 502)] {
        let a = c
            .send(
                "POST",
                "/dev/upload",
                &[("Content-Type", "text/plain")],
                vec![b'y'; size * 1000 * 1000],
            )
            .await;
        assert_eq!(a.status, status, "{size} MB");
        if status == 200 {
            assert_eq!(
                a.event()["body"].as_str().unwrap().len(),
                size * 1000 * 1000
            );
        }
    }
    // A function whose process dies mid-invocation: an error answer, then a fresh instance.
    for (path, status) in [("/dev/items/1?do=crash", 502), ("/echo?do=crash", 500)] {
        let a = c.get(path).await;
        assert_eq!(a.status, status, "{path}");
        let ok = if path.starts_with("/dev") {
            "/dev/items/1"
        } else {
            "/echo"
        };
        assert_eq!(c.get(ok).await.status, 200, "after {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_end_to_end_with_python_and_node() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let c = Client {
        server: &server,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };
    tokio::join!(
        rest_routing(&c),
        http_routing_and_payloads(&c),
        function_errors(&c),
        timeouts(&c),
        binary(&c),
        cors(&c),
        limits_and_crashes(&c),
    );
    // Still serving after all of that.
    assert_eq!(
        c.get("/pets/dog/1").await.status,
        200,
        "{}",
        server.printed()
    );
}
