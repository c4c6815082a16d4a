//! Header-name casing over a real socket: REST proxy events carry the names as the client wrote
//! them (spec §1.1 "Header-name casing"), HTTP APIs lower-case them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use lambdagate_gateway::server::{AccessLog, ServerConfig, serve};
use lambdagate_model::*;
use serde_json::Value;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// A REST API (stage `Prod`) and an HTTP API, both on an echo function.
async fn start() -> Running {
    let app = application(
        vec![function("Echo", 3)],
        vec![
            api(
                "RestApi",
                ApiKind::Rest,
                "Prod",
                vec![lambda_route("ANY", "/{proxy+}", "Echo", PayloadFormat::V1)],
            ),
            api(
                "HttpApi",
                ApiKind::Http,
                "$default",
                vec![lambda_route(
                    "ANY",
                    "/http/{proxy+}",
                    "Echo",
                    PayloadFormat::V2,
                )],
            ),
        ],
    );
    let gw = Arc::new(gateway(&app, true, Behaviour::Echo));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let access: AccessLog = Arc::new(|_| {});
    let task = tokio::spawn(serve(
        listener,
        gw,
        ServerConfig::default(),
        access,
        async {
            let _ = stopped.await;
        },
    ));
    Running { addr, stop, task }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("server stops")
            .unwrap();
    }
}

/// Sends `bytes` on one connection and returns the events echoed in each response, in order,
/// until the server closes the connection.
async fn events_for(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<Value> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let mut events = Vec::new();
    let mut rest = &out[..];
    while !rest.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head) = response.parse(rest).unwrap() else {
            panic!("partial response: {}", String::from_utf8_lossy(rest));
        };
        assert_eq!(
            response.code,
            Some(200),
            "{}",
            String::from_utf8_lossy(rest)
        );
        let length: usize = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
            .unwrap();
        let body: Value = serde_json::from_slice(&rest[head..head + length]).unwrap();
        events.push(body);
        rest = &rest[head + length..];
    }
    events
}

/// The names in an event's `headers` and `multiValueHeaders`, checked to agree.
fn header_names(event: &Value) -> Vec<String> {
    let names: Vec<String> = event["headers"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let multi: Vec<String> = event["multiValueHeaders"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(names, multi);
    names
}

/// The client's names, then the four the gateway adds.
fn expected(client: &[&str]) -> Vec<String> {
    client
        .iter()
        .chain(&[
            "X-Amzn-Trace-Id",
            "X-Forwarded-For",
            "X-Forwarded-Port",
            "X-Forwarded-Proto",
        ])
        .map(|n| n.to_string())
        .collect()
}

#[tokio::test]
async fn rest_events_keep_the_clients_header_names() {
    let server = start().await;
    let events = events_for(
        server.addr,
        b"POST /Prod/echo HTTP/1.1\r\nhost: a.example\r\ntEsT-HEADeR: x\r\n\
Content-Type: application/json\r\nx-lower: y\r\nContent-Length: 2\r\n\
Connection: close\r\n\r\n{}",
    )
    .await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        header_names(event),
        expected(&["Host", "tEsT-HEADeR", "Content-Type", "x-lower"])
    );
    assert_eq!(event["headers"]["tEsT-HEADeR"], "x");
    assert_eq!(event["headers"]["Content-Type"], "application/json");
    assert_eq!(event["headers"]["x-lower"], "y");
    assert_eq!(
        event["multiValueHeaders"]["tEsT-HEADeR"],
        serde_json::json!(["x"])
    );
    assert_eq!(event["body"], "{}");
    server.stop().await;
}

#[tokio::test]
async fn pipelined_requests_each_keep_their_own_names() {
    let server = start().await;
    // Three requests in one write: a sized body, a chunked body with an extension and trailers
    // (repeated and interleaved names keep their order), and an HTTP API request.
    let events = events_for(
        server.addr,
        b"PUT /Prod/one HTTP/1.1\r\nHost: a\r\nX-First: 1\r\nContent-Length: 5\r\n\r\nhello\
POST /Prod/two HTTP/1.1\r\nHost: a\r\nX-Multi: a\r\nTransfer-Encoding: chunked\r\n\
content-TYPE: text/plain\r\nx-multi: b\r\n\r\n\
3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n\
GET /http/three HTTP/1.1\r\nHost: a\r\nX-Third: 3\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(events.len(), 3);
    assert_eq!(header_names(&events[0]), expected(&["Host", "X-First"]));
    assert_eq!(events[0]["body"], "hello");
    assert_eq!(
        header_names(&events[1]),
        expected(&["Host", "X-Multi", "content-TYPE"])
    );
    assert_eq!(
        events[1]["multiValueHeaders"]["X-Multi"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(events[1]["body"], "abcde");
    // HTTP APIs lower-case every name.
    let names: Vec<&String> = events[2]["headers"].as_object().unwrap().keys().collect();
    assert!(names.contains(&&"x-third".to_string()), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.chars().all(|c| !c.is_ascii_uppercase()))
    );
    server.stop().await;
}

#[tokio::test]
async fn expect_continue_and_h2c_still_work() {
    let server = start().await;
    // The client waits for 100 Continue before sending its body, as curl does.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /Prod/wait HTTP/1.1\r\nHost: a\r\nX-Before: 1\r\nExpect: 100-continue\r\n\
Content-Length: 3\r\n\r\n",
        )
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream
        .write_all(
            b"abcGET /Prod/after HTTP/1.1\r\nHost: a\r\nX-After: 2\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains(r#""X-Before":"1""#), "{text}");
    assert!(text.contains(r#""X-After":"2""#), "{text}");
    // HTTP/2 (prior knowledge) is untouched by recording: names arrive lower-case.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2
        .get(format!("http://{}/Prod/h2", server.addr))
        .header("X-Custom", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let event: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(event["headers"]["x-custom"], "v");
    server.stop().await;
}
