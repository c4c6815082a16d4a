//! The HTTP server over real sockets: HTTP/1.1 and h2c, limits, bad input, shutdown.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambdagate_gateway::server::{AccessLog, ServerConfig, serve};
use lambdagate_model::*;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Running {
    base: String,
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    log: Arc<Mutex<Vec<String>>>,
}

async fn start(behaviour: Behaviour) -> Running {
    let app = application(
        vec![function("Echo", 3)],
        vec![api(
            "HttpApi",
            ApiKind::Http,
            "$default",
            vec![lambda_route("ANY", "/{proxy+}", "Echo", PayloadFormat::V2)],
        )],
    );
    let gw = Arc::new(gateway(&app, true, behaviour));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let access: AccessLog = Arc::new(move |r| {
        sink.lock()
            .unwrap()
            .push(format!("{} {} {}", r.method, r.target, r.status));
    });
    let config = ServerConfig {
        shutdown_grace: Duration::from_secs(2),
        ..ServerConfig::default()
    };
    let task = tokio::spawn(serve(listener, gw, config, access, async {
        let _ = rx.await;
    }));
    Running {
        base: format!("http://{addr}"),
        addr,
        stop: Some(tx),
        task,
        log,
    }
}

impl Running {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("server stops")
            .unwrap();
    }
}

#[tokio::test]
async fn http1_and_h2c_keep_alive() {
    let server = start(Behaviour::Echo).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .get(format!("{}/a/b?x=1", server.base))
            .header("X-Custom", "v")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("apigw-requestid"));
        let event: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(event["rawPath"], "/a/b");
        assert_eq!(event["headers"]["x-custom"], "v");
        assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(
            event["headers"]["x-forwarded-port"],
            server.addr.port().to_string()
        );
    }
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2.get(format!("{}/h2", server.base)).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let event: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(event["rawPath"], "/h2");
    assert!(
        event["headers"]["host"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(server.log.lock().unwrap().len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let server = start(Behaviour::Echo).await;
    let client = reqwest::Client::new();
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let r = client
        .post(format!("{}/upload", server.base))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Exactly at the limit is fine.
    let ok = vec![b'a'; 10 * 1024 * 1024];
    let r = client
        .post(format!("{}/upload", server.base))
        .header("content-type", "text/plain")
        .body(ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.stop().await;
}

async fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn bad_input_never_takes_the_server_down() {
    let server = start(Behaviour::Echo).await;
    let garbage = raw_exchange(server.addr, b"\x00\x01 NOT HTTP\r\n\r\n").await;
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );
    let mut huge = b"GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    huge.extend(vec![b'a'; 100 * 1024]);
    huge.extend(b"\r\n\r\n");
    let reply = raw_exchange(server.addr, &huge).await;
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 431"),
        "{reply}"
    );
    let long_url = format!(
        "GET /{} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "u".repeat(11_000)
    );
    let reply = raw_exchange(server.addr, long_url.as_bytes()).await;
    assert!(reply.starts_with("HTTP/1.1 414"), "{reply}");
    // A client that disconnects halfway through its body.
    {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .unwrap();
    }
    // Invalid percent-encoding is passed through, not rejected.
    let reply = raw_exchange(
        server.addr,
        b"GET /a%zz?q=%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    // Still serving.
    let r = reqwest::get(format!("{}/after", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn garbage_from_a_function_is_a_500_and_the_server_goes_on() {
    let server = start(Behaviour::Raw("\u{0}\u{1}garbage")).await;
    for _ in 0..2 {
        let r = reqwest::get(format!("{}/x", server.base)).await.unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"message":"Internal Server Error"}"#
        );
    }
    server.stop().await;
}
