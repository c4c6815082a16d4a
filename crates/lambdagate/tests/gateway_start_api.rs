//! `start-api` end to end: the real binary, a real template, real sockets. These cases are
//! answered by the gateway itself (routing errors, CORS, limits, addressing, startup errors).

mod support;

use std::time::Duration;

use support::{Scratch, Server, repo_root};

const TEMPLATE: &str = "tests/fixtures/gateway/template.yaml";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn route_table_errors_cors_and_limits() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let printed = server.printed();
    assert!(printed.contains("/Prod/items/{id}"), "{printed}");
    assert!(printed.contains("NodeHello"), "{printed}");
    let c = client();

    // REST: no method (ANY covers the seven standard methods only), wrong stage.
    let propfind = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
    let r = c
        .request(propfind.clone(), server.url("/Prod/items/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    assert!(r.headers().contains_key("x-amzn-requestid"));
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    let r = c.get(server.url("/Beta/items/1")).send().await.unwrap();
    assert_eq!(
        r.status(),
        404,
        "unknown first segment falls to the HTTP API at the root"
    );

    // HTTP API: no route.
    let r = c.delete(server.url("/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("apigw-requestid"));
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Not Found"}"#);

    // REST CORS as SAM expands it: an OPTIONS mock.
    let r = c
        .request(reqwest::Method::OPTIONS, server.url("/Prod/items/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        r.headers()["access-control-allow-headers"],
        "Content-Type,X-Api-Key"
    );

    // HTTP API CORS preflight, answered by the gateway.
    let r = c
        .request(reqwest::Method::OPTIONS, server.url("/items/1"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(r.headers()["access-control-max-age"], "600");
    let r = c
        .request(reqwest::Method::OPTIONS, server.url("/items/1"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));

    // 413 over 10 MB.
    let r = c
        .post(server.url("/items"))
        .body(vec![b'x'; 10 * 1024 * 1024 + 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // One log line per request with method, path, status and request id.
    let printed = server.printed();
    assert!(printed.contains("DELETE /nothing 404"), "{printed}");
}

#[tokio::test]
async fn local_start_api_serves_a_shared_address_from_the_first_api_and_the_other_by_host() {
    // Without stage prefixes the REST and HTTP APIs both claim GET /items/{id}: on AWS they are
    // two hosts, so both are served, the first at the shared address.
    let server = Server::start(&["local", "start-api", "-t", TEMPLATE, "-p", "0"]);
    let printed = server.printed();
    assert!(
        printed.contains("claimed by both")
            && printed.contains("RestApi")
            && printed.contains("HttpApi")
            && printed.contains("--stage-prefix"),
        "{printed}"
    );
    let c = client();
    let r = c.get(server.url("/items/1")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().contains_key("x-amzn-requestid"),
        "REST answers the shared address"
    );
    let r = c
        .get(server.url("/items/1"))
        .header("Host", "httpapi.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().contains_key("apigw-requestid"),
        "the HTTP API by its host name"
    );
}

#[tokio::test]
async fn local_start_api_with_stage_prefix_and_host_addressing() {
    let server = Server::start(&[
        "local",
        "start-api",
        "--stage-prefix",
        "-t",
        TEMPLATE,
        "-p",
        "0",
    ]);
    let c = client();
    // Host-based addressing selects the REST API whatever else serves the root.
    let propfind = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
    let r = c
        .request(propfind, server.url("/Prod/items/1"))
        .header("Host", "restapi.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .get(server.url("/nothing"))
        .header("Host", "RestApi.localhost:9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Forbidden"}"#);
}

#[test]
fn sigterm_stops_the_server() {
    let mut server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let status = server.terminate(Duration::from_secs(15)).expect("exits");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn bootstraps_fall_back_to_tcp_without_a_unix_socket() {
    // Under a temporary folder this long no Unix socket path fits: the Python and Node
    // bootstraps get none and talk to the Runtime API over TCP, as any runtime client does.
    let scratch = Scratch::new("long-tmpdir");
    let long = scratch.0.join("t".repeat(110));
    std::fs::create_dir_all(&long).unwrap();
    let server = Server::start_in(
        &repo_root(),
        &["start-api", "-t", TEMPLATE, "-p", "0"],
        &[("TMPDIR", long.to_str().unwrap())],
    );
    let c = client();
    for path in ["/Prod/items/7", "/items/7", "/hello"] {
        let r = c.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}: {}", server.printed());
    }
}
