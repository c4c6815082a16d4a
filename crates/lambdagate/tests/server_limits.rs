//! `start-api` end to end against bad or slow clients (issue 14, items 1, 6, 11, 12): raw TCP
//! clients against the real binary. Every wait is bounded generously, only to turn a hang into a
//! failure; nothing asserts how fast the server was.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use support::Server;

const TEMPLATE: &str = "tests/fixtures/gateway/template.yaml";
/// Longer than any timeout the tests set, far shorter than "forever".
const HANG: Duration = Duration::from_secs(60);

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["start-api", "-t", TEMPLATE, "-p", "0", "--no-watch"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.base_url.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(HANG)).unwrap();
    stream
}

/// Reads until the server closes the connection; panics when it is still open after [`HANG`].
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!(
                "the connection is still open ({e}); read so far: {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
}

/// Reads one response head (up to the blank line).
fn read_head(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => out.push(byte[0]),
            other => panic!(
                "no complete response head ({other:?}): {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn a_connection_that_sends_nothing_is_closed_by_the_header_timeout() {
    let server = start(&["--header-timeout", "1"]);
    let mut silent = connect(&server);
    assert!(read_until_closed(&mut silent).is_empty());
    // A connection that sent half a head is closed too.
    let mut partial = connect(&server);
    partial
        .write_all(b"GET /Prod/items/1 HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(read_until_closed(&mut partial).is_empty());
    // And the server still answers.
    let response = support::raw_http::send(&server.base_url, "GET", "/Prod/items/1", &[], b"");
    assert_eq!(response.status, 200);
}

#[test]
fn many_silent_connections_do_not_stop_new_requests() {
    // 300 silent connections against a limit of 256 descriptors: without a header timeout they
    // would hold every descriptor and the next request would wait for ever.
    let binary = env!("CARGO_BIN_EXE_lambdagate");
    let script = format!(
        "ulimit -n 256 && exec {binary} start-api -t {TEMPLATE} -p 0 --no-watch --header-timeout 1"
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", &script])
        .current_dir(support::repo_root());
    let server = Server::start_command(command);
    let addr = server.base_url.trim_start_matches("http://").to_string();
    let mut silent = Vec::new();
    for _ in 0..300 {
        match TcpStream::connect(&addr) {
            Ok(stream) => silent.push(stream),
            Err(_) => break,
        }
    }
    let response = support::raw_http::send(&server.base_url, "GET", "/Prod/items/1", &[], b"");
    assert_eq!(response.status, 200);
    drop(silent);
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let server = start(&["--keep-alive-timeout", "1"]);
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /Prod/items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Whatever body followed, the connection then ends.
    read_until_closed(&mut stream);
}

#[test]
fn a_slow_body_is_answered_408_and_closed() {
    let server = start(&["--body-timeout", "1"]);
    let mut stream = connect(&server);
    stream
        .write_all(b"POST /Prod/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    // A byte at a time, slower than anyone would send a body, until the server gives up.
    let give_up = Instant::now() + HANG;
    let mut closed = false;
    while Instant::now() < give_up {
        if stream.write_all(b"a").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        stream.set_nonblocking(true).unwrap();
        let mut probe = [0u8; 1];
        let answered =
            !matches!(stream.peek(&mut probe), Err(e) if e.kind() == ErrorKind::WouldBlock);
        stream.set_nonblocking(false).unwrap();
        if answered {
            closed = true;
            break;
        }
    }
    assert!(closed, "a slow body was still being read after {HANG:?}");
    let answer = read_until_closed(&mut stream);
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[test]
fn a_declared_oversized_body_gets_413_before_it_is_sent() {
    let server = start(&[]);
    let mut stream = connect(&server);
    stream
        .write_all(b"POST /Prod/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11000000\r\n\r\n")
        .unwrap();
    // Nothing of the body is sent: the answer must not wait for it.
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[test]
fn headers_over_10_kb_get_431() {
    let server = start(&[]);
    for size in [11 * 1024, 60 * 1024] {
        let big = "a".repeat(size);
        let response = support::raw_http::send(
            &server.base_url,
            "GET",
            "/Prod/items/1",
            &[("X-Big".to_string(), big)],
            b"",
        );
        assert_eq!(response.status, 431, "{size} bytes of header");
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            body["message"], "HTTP header is larger than 10240 bytes.",
            "{size} bytes of header"
        );
    }
    // Just under the limit is served.
    let response = support::raw_http::send(
        &server.base_url,
        "GET",
        "/Prod/items/1",
        &[("X-Big".to_string(), "a".repeat(9 * 1024))],
        b"",
    );
    assert_eq!(response.status, 200);
}

#[test]
fn long_urls_get_414() {
    let server = start(&[]);
    for size in [12 * 1024, 100 * 1024] {
        let target = format!("/Prod/{}", "a".repeat(size));
        let response = support::raw_http::send(&server.base_url, "GET", &target, &[], b"");
        assert_eq!(response.status, 414, "a {size}-byte URL");
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["message"], "Request URI too long");
    }
    let response = support::raw_http::send(&server.base_url, "GET", "/Prod/items/1", &[], b"");
    assert_eq!(response.status, 200);
}

#[test]
fn an_http_1_0_request_is_answered_with_an_http_1_1_status_line() {
    let server = start(&[]);
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /Prod/items/1 HTTP/1.0\r\nHost: x\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut stream);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // Body text is not touched.
    assert!(text.contains("\"path\""), "{text}");
}

fn signal(server: &Server, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_during_a_request_says_so_at_once_and_a_second_one_exits() {
    let mut server = start(&["--body-timeout", "300"]);
    // A request in progress: its head is in, its body never comes. The `100 Continue` says the
    // server is reading the body, so the graceful shutdown will wait for this request.
    let mut stream = connect(&server);
    stream
        .write_all(
            b"POST /Prod/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\
              Expect: 100-continue\r\n\r\n",
        )
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 100"), "{head}");
    signal(&server, "INT");
    let give_up = Instant::now() + HANG;
    while !server.printed().contains("Shutting down") {
        assert!(
            Instant::now() < give_up,
            "no shutdown line: {}",
            server.printed()
        );
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server exited before saying it was shutting down: {}",
            server.printed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Still finishing the request when the line came: the line did not wait for it.
    signal(&server, "INT");
    let give_up = Instant::now() + HANG;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < give_up, "a second Ctrl-C did not end it");
        std::thread::sleep(Duration::from_millis(20));
    };
    // 130: ended by the second signal, not by a finished graceful shutdown.
    assert_eq!(status.code(), Some(130), "{}", server.printed());
    drop(stream);
}
