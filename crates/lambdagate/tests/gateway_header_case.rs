//! `start-api` end to end: a real Python function behind a REST API sees request header names in
//! the client's casing (spec §1.1 "Header-name casing"); an HTTP API sees them lower-cased.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::Server;

const TEMPLATE: &str = "tests/fixtures/gateway/template.yaml";

/// Sends one raw HTTP/1.1 request (closing the connection) and returns the event the echo
/// function received.
fn event_for(server: &Server, target: &str) -> serde_json::Value {
    let addr = server.base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "POST {target} HTTP/1.1\r\nhost: {addr}\r\ntEsT-HEADeR: x\r\n\
         Content-Type: application/json\r\nx-lower: y\r\nContent-Length: 2\r\n\
         Connection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let echoed: serde_json::Value = serde_json::from_str(body).unwrap();
    echoed["event"].clone()
}

fn names(map: &serde_json::Value) -> Vec<&str> {
    map.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn functions_see_the_clients_header_names() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);

    let event = event_for(&server, "/Prod/casing");
    for map in [&event["headers"], &event["multiValueHeaders"]] {
        let names = names(map);
        for name in ["Host", "tEsT-HEADeR", "Content-Type", "x-lower"] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert!(!names.contains(&"test-header"), "{names:?}");
    }
    assert_eq!(event["headers"]["tEsT-HEADeR"], "x");
    assert_eq!(
        event["multiValueHeaders"]["Content-Type"][0],
        "application/json"
    );

    // HTTP APIs lower-case every name, whatever the payload format.
    let event = event_for(&server, "/v1/casing");
    let names = names(&event["headers"]);
    assert!(names.contains(&"test-header"), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.bytes().any(|b| b.is_ascii_uppercase())),
        "{names:?}"
    );
}
