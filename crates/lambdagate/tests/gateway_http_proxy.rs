//! `HTTP_PROXY` integrations end to end: the real binary serving `tests/fixtures/http-proxy` in
//! front of a real local HTTP/1.1 backend this test starts (echoing what it received, and also
//! slow, dropping, garbage-answering and oversized endpoints), REST and HTTP API, public and
//! private (`--vpc-link`) targets.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use support::{Server, repo_root};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A local backend: its port and how many connections it accepted.
struct Backend {
    port: u16,
    connections: Arc<AtomicUsize>,
}

async fn start_backend() -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(socket));
        }
    });
    Backend { port, connections }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Serves HTTP/1.1 requests on one connection (keep-alive) until the peer closes it.
async fn serve(mut socket: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let method = request_line.next().unwrap_or("").to_string();
        let target = request_line.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
        buf.drain(..head_end + length);
        let path = target.split('?').next().unwrap_or("");
        match path {
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            "/drop" => return,
            "/garbage" => {
                let _ = socket.write_all(b"this is not HTTP\r\n\r\n").await;
                return;
            }
            "/midbody" => {
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten!!")
                    .await;
                return;
            }
            "/big" => {
                let size = 11 * 1024 * 1024;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..size / chunk.len() {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                return;
            }
            _ => {}
        }
        let echo = serde_json::json!({
            "method": method,
            "target": target,
            "headers": headers,
            "body": body,
        })
        .to_string();
        let status = if path.ends_with("/status/404") {
            "404 Not Found"
        } else {
            "200 OK"
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             x-amzn-RequestId: backend-request-id\r\nServer: tiny-backend\r\nVia: 1.1 hop\r\n\
             X-Backend: yes\r\nX-Drop: 1\r\n\r\n{echo}",
            echo.len()
        );
        if socket.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

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

    /// The header the backend received (first of that name, case-insensitive).
    fn received(&self, name: &str) -> Option<String> {
        self.json()["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_string())
    }

    fn received_all(&self, name: &str) -> Vec<String> {
        self.json()["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_string())
            .collect()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let r = request.send().await.unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

/// The fixture with the backend's address filled in, written where the server can read it.
fn template_for(backend: u16, down: u16) -> String {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/http-proxy/template.yaml"))
        .unwrap()
        .replace("__BACKEND__", &format!("127.0.0.1:{backend}"))
        .replace("__DOWN_PORT__", &down.to_string());
    write_temp(&format!("http-proxy-{backend}"), "template.yaml", &text)
}

/// Writes `text` to `name` in a folder of this test process named after `dir`; returns its path.
fn write_temp(dir: &str, name: &str, text: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{dir}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Starts `start-api` on `template` (port 0, no watching) with `extra` arguments and `env`, on
/// a blocking thread: starting waits until the server listens.
async fn start_api(template: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut args: Vec<String> = ["start-api", "-t", template, "-p", "0", "--no-watch"]
        .map(String::from)
        .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::start_in(&repo_root(), &args, &env)
    })
    .await
    .unwrap()
}

/// Stops the servers in order, on a blocking thread: dropping one waits for its process.
async fn stop(servers: Vec<Server>) {
    tokio::task::spawn_blocking(move || drop(servers))
        .await
        .unwrap();
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_rest_and_http_api() {
    let backend = start_backend().await;
    let down = closed_port().await;
    let template = template_for(backend.port, down);
    let link = format!("rest-link=http://127.0.0.1:{}", backend.port);
    let alb = format!("http-link=http://127.0.0.1:{}", backend.port);
    let server = start_api(&template, &["--vpc-link", &link, "--vpc-link", &alb], &[]).await;
    let printed = server.printed();
    assert!(!printed.contains("does not serve"), "{printed}");
    assert!(
        printed.contains("srv-nolink (VPC link nolink) is not mapped"),
        "{printed}"
    );
    assert!(
        printed.contains("nothing maps the path parameter {nothing}"),
        "{printed}"
    );
    // Only the two routes meant to warn do.
    assert_eq!(printed.matches("warning:").count(), 2, "{printed}");
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // REST: method, path variables, query, headers and body passed; parameters mapped.
    let a = send(
        c.post(server.url("/dev/echo/a/b%20c?who=ada"))
            .header("X-Custom", "1")
            .header("Keep-Alive", "timeout=5")
            .header("Proxy-Authorization", "secret")
            .header("X-Forwarded-For", "10.1.2.3")
            .body("hello"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let echo = a.json();
    assert_eq!(echo["method"], "POST");
    assert_eq!(
        echo["target"],
        format!(
            "/backend/a/b%20c?who=ada&mapped=127.0.0.1%3A{}",
            backend.port
        )
    );
    assert_eq!(echo["body"], "hello");
    assert_eq!(
        a.received("host"),
        Some(format!("127.0.0.1:{}", backend.port))
    );
    assert_eq!(a.received("x-custom").as_deref(), Some("1"));
    assert_eq!(a.received("x-static").as_deref(), Some("fixed"));
    assert_eq!(a.received("x-who").as_deref(), Some("ada"));
    assert_eq!(a.received("x-stage").as_deref(), Some("dev"));
    assert_eq!(a.received("keep-alive"), None);
    assert_eq!(a.received("proxy-authorization"), None);
    assert_eq!(
        a.received("x-forwarded-for").as_deref(),
        Some("10.1.2.3, 127.0.0.1")
    );
    assert_eq!(a.received("x-forwarded-proto").as_deref(), Some("http"));
    assert!(a.received("x-forwarded-port").is_some());
    assert!(a.received("x-amzn-apigateway-api-id").is_some());
    let trace = a.received("x-amzn-trace-id").unwrap();
    assert!(trace.starts_with("Root=1-"), "{trace}");
    // The answer: the backend's status, headers and body, with REST's remapping.
    assert_eq!(a.header("x-backend"), Some("yes"));
    assert_eq!(
        a.header("x-amzn-remapped-x-amzn-requestid"),
        Some("backend-request-id")
    );
    assert_ne!(a.header("x-amzn-requestid"), Some("backend-request-id"));
    assert!(a.header("x-amzn-requestid").is_some());
    assert_eq!(a.header("x-amzn-remapped-server"), Some("tiny-backend"));
    assert!(a.header("x-amzn-remapped-content-length").is_some());
    assert_eq!(a.header("via"), None);
    assert_eq!(a.header("x-amzn-trace-id"), Some(trace.as_str()));

    // Keep-alive: sequential calls reuse the pooled connection.
    let before = backend.connections.load(Ordering::SeqCst);
    for _ in 0..5 {
        let a = send(c.get(server.url("/dev/echo/again"))).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let opened = backend.connections.load(Ordering::SeqCst) - before;
    assert!(opened < 5, "{opened} connections for 5 sequential calls");

    // A fixed backend method, and the URI's own query kept ahead of the client's.
    let a = send(c.post(server.url("/dev/post?x=2")).body("{}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["method"], "PUT");
    assert_eq!(a.json()["target"], "/backend/put-here?fixed=1&x=2");

    // Failures: AWS's answers, and the server keeps serving.
    let a = send(c.get(server.url("/dev/slow"))).await;
    assert_eq!(a.status, 504, "{}", a.body);
    assert_eq!(a.body, r#"{"message": "Endpoint request timed out"}"#);
    for path in [
        "/dev/drop",
        "/dev/garbage",
        "/dev/midbody",
        "/dev/big",
        "/dev/down",
    ] {
        let a = send(c.get(server.url(path))).await;
        assert_eq!(a.status, 502, "{path}: {}", a.body);
        assert_eq!(a.body, r#"{"message": "Internal server error"}"#, "{path}");
    }

    // A mapped header value that is not a valid header value: 500, as API Gateway answers.
    let a = send(c.get(server.url("/dev/echo/x?who=a%0Ab"))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert_eq!(a.body, r#"{"message": "Internal server error"}"#);
    // A URI placeholder nothing fills: 500.
    let a = send(c.get(server.url("/dev/unresolved"))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert_eq!(a.body, r#"{"message": "Internal server error"}"#);

    // A private integration: the VPC link's target served by the mapped local URL.
    let a = send(c.get(server.url("/dev/private/7?z=1"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["target"], "/items/7?z=1");

    // REST `HTTP` (non-proxy): only mapped parameters go to the backend, the body through the
    // request template; the backend's status selects the integration response.
    let a = send(
        c.post(server.url("/dev/custom/5?q=hi&other=x"))
            .header("Content-Type", "application/json")
            .header("X-Client", "c")
            .body(r#"{"a": 1}"#),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("x-backend"), Some("yes"));
    assert_eq!(a.header("x-amzn-remapped-server"), None);
    let mapped = a.json();
    assert_eq!(mapped["mapped"], true);
    let echo = &mapped["echo"];
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["target"], "/backend/custom/5?q=hi");
    let sent: Value = serde_json::from_str(echo["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent, serde_json::json!({"wrapped": {"a": 1}, "id": "5"}));
    let received = |name: &str| {
        echo["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_string())
    };
    assert_eq!(received("x-mapped").as_deref(), Some("m"));
    assert_eq!(received("x-client"), None);
    assert!(
        received("user-agent")
            .unwrap()
            .starts_with("AmazonAPIGateway_"),
        "{echo}"
    );
    assert_eq!(received("accept").as_deref(), Some("application/json"));
    let a = send(c.get(server.url("/dev/custom404"))).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(a.json(), serde_json::json!({"missing": true}));
    // A non-proxy response may not set WWW-Authenticate as it is (spec §10.6).
    assert_eq!(a.header("www-authenticate"), None);
    assert_eq!(
        a.header("x-amzn-remapped-www-authenticate"),
        Some("Basic realm=items")
    );

    // HTTP API: parameter mapping on headers and query, response mapping per status.
    let a = send(
        c.get(server.url("/h/x/y?q=1&secret=s&keep=k"))
            .header("x-in", "v")
            .header("x-remove-me", "gone")
            .header("x-forwarded-for", "10.0.0.1"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let echo = a.json();
    assert_eq!(echo["target"], "/backend/x/y?q=1&keep=k&extra=1");
    assert_eq!(a.received("x-appended").as_deref(), Some("v"));
    assert_eq!(a.received("x-over").as_deref(), Some("static-x/y-GET"));
    assert_eq!(a.received("x-remove-me"), None);
    assert_eq!(a.received("x-forwarded-for"), None);
    let forwarded = a.received("forwarded").unwrap();
    assert!(
        forwarded.contains("for=10.0.0.1") && forwarded.contains("for=127.0.0.1"),
        "{forwarded}"
    );
    assert!(a.received("x-amzn-trace-id").is_some());
    assert_eq!(
        a.received("host"),
        Some(format!("127.0.0.1:{}", backend.port))
    );
    assert_eq!(a.header("x-resp"), Some("yes"));
    assert_eq!(a.header("x-drop"), None);
    assert!(a.header("apigw-requestid").is_some());
    // `append` adds a header line next to the client's own.
    let a = send(
        c.get(server.url("/h/z"))
            .header("x-appended", "mine")
            .header("x-in", "v"),
    )
    .await;
    assert_eq!(a.received_all("x-appended"), vec!["mine", "v"]);

    let a = send(c.get(server.url("/h/status/404"))).await;
    assert_eq!(a.status, 410, "{}", a.body);
    assert_eq!(a.header("x-was"), Some("404"));

    let a = send(c.get(server.url("/hpath/42"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["target"], "/rewritten/42");

    let a = send(c.get(server.url("/hslow"))).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body, r#"{"message":"Service Unavailable"}"#);
    let a = send(c.get(server.url("/hdrop"))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert_eq!(a.body, r#"{"message":"Internal Server Error"}"#);

    // HTTP API private integration by load balancer ARN: the request path is forwarded.
    let a = send(c.delete(server.url("/lb/a/b?z=1"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["method"], "DELETE");
    assert_eq!(a.json()["target"], "/lb/a/b?z=1");

    // An unmapped private target: 500.
    let a = send(c.get(server.url("/unmapped"))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert_eq!(a.body, r#"{"message":"Internal Server Error"}"#);

    // Still serving after every failure.
    let a = send(c.get(server.url("/dev/echo/last"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    stop(vec![server]).await;
}

/// An HTTP API whose GET /tls is an `HTTP_PROXY` (payload 1.0) to `uri`.
fn tls_proxy_template(uri: &str) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        info: {{title: tls, version: "1"}}
        paths:
          /tls:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                payloadFormatVersion: "1.0"
                uri: {uri}
"#
    )
}

/// An `HTTP_PROXY` to an `https` backend that does not speak TLS fails its handshake: 500,
/// not a hang or a crash (and the client is built with rustls at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_https_backend_fails_cleanly() {
    // A plain-TCP listener that answers TLS with garbage stands for an untrusted backend.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let template = write_temp(
        &format!("https-proxy-{port}"),
        "template.yaml",
        &tls_proxy_template(&format!("https://127.0.0.1:{port}/x")),
    );
    let server = start_api(&template, &[], &[]).await;
    let a = send(reqwest::Client::new().get(server.url("/tls"))).await;
    assert_eq!(a.status, 500, "{}", a.body);
    stop(vec![server]).await;
}

/// An `HTTP_PROXY` to an `https` backend: a second lambdagate serving HTTPS with a certificate
/// from the test CA, trusted through `SSL_CERT_FILE` (which the platform roots honour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_backend_with_trusted_certificate() {
    let fixtures = repo_root().join("crates/lambdagate-auth/tests/fixtures");
    let backend_template = write_temp(
        "https-backend",
        "backend.yaml",
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Backend:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      DefinitionBody:
        openapi: 3.0.1
        info: {title: backend, version: "1"}
        paths:
          /hello:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"over": "tls"}'
"#,
    );
    let (cert, key) = (
        fixtures.join("issuer-cert.pem"),
        fixtures.join("issuer-key.pem"),
    );
    let backend = start_api(
        &backend_template,
        &[
            "--ssl-cert-file",
            cert.to_str().unwrap(),
            "--ssl-key-file",
            key.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let port = backend.base_url.rsplit(':').next().unwrap().to_string();
    let proxy_template = write_temp(
        "https-backend",
        "proxy.yaml",
        &tls_proxy_template(&format!("https://localhost:{port}/dev/hello")),
    );
    let ca = fixtures.join("test-ca.pem").to_str().unwrap().to_string();
    let proxy = start_api(&proxy_template, &[], &[("SSL_CERT_FILE", &ca)]).await;
    let a = send(reqwest::Client::new().get(proxy.url("/tls"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), serde_json::json!({"over": "tls"}));
    stop(vec![proxy, backend]).await;
}

/// Private integrations from plain CloudFormation (REST `AWS::ApiGateway::Method` and HTTP API
/// `AWS::ApiGatewayV2::Integration`), their VPC link targets mapped with `--vpc-link`: one by
/// link id, one by the Cloud Map service ARN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_integrations_from_cloudformation() {
    let backend = start_backend().await;
    let nlb = format!("nlb-link=http://127.0.0.1:{}", backend.port);
    let cloud_map = format!(
        "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-items=http://127.0.0.1:{}",
        backend.port
    );
    let server = start_api(
        "tests/fixtures/http-proxy/cloudformation.yaml",
        &["--vpc-link", &nlb, "--vpc-link", &cloud_map],
        &[],
    )
    .await;
    let printed = server.printed();
    assert!(!printed.contains("not mapped"), "{printed}");
    let c = reqwest::Client::new();

    let a = send(c.patch(server.url("/v1/things/1?x=y")).body("b")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["method"], "PATCH");
    assert_eq!(a.json()["target"], "/api/things/1?x=y");
    assert_eq!(a.json()["body"], "b");
    assert_eq!(a.received("x-via-link").as_deref(), Some("nlb"));

    let a = send(c.get(server.url("/svc/items/9"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["target"], "/svc/items/9");
    assert_eq!(a.received("x-from").as_deref(), Some("lambdagate"));
    assert_eq!(a.header("x-checked"), Some("yes"));
    stop(vec![server]).await;
}

#[tokio::test]
async fn a_rest_http_integration_applies_its_content_handling() {
    let backend = start_backend().await;
    let down = closed_port().await;
    let template = template_for(backend.port, down);
    let server = start_api(&template, &[], &[]).await;
    let c = reqwest::Client::new();
    // A binary media type with CONVERT_TO_TEXT reaches the backend base64-encoded, as on AWS
    // for every non-proxy integration.
    let bytes = vec![0u8, 159, 146, 150, 255];
    let r = send(
        c.post(server.url("/dev/convert"))
            .header("content-type", "application/octet-stream")
            .body(bytes.clone()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    use base64::Engine;
    let sent = base64::engine::general_purpose::STANDARD.encode(&bytes);
    assert_eq!(r.json()["body"], sent, "{}", r.body);
    // Text is passed as it came.
    let r = send(
        c.post(server.url("/dev/convert"))
            .header("content-type", "text/plain")
            .body("plain words"),
    )
    .await;
    assert_eq!(r.json()["body"], "plain words", "{}", r.body);
    stop(vec![server]).await;
}
