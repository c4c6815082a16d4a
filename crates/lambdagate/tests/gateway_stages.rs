//! Stages, canary, custom domains and customized gateway responses, end to end: the real binary
//! serving `tests/fixtures/stages-domains` with a real Python function.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Server, repo_root};

const TEMPLATE: &str = "tests/fixtures/stages-domains/template.yaml";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get(c: &reqwest::Client, url: String, host: Option<&str>) -> (u16, Value) {
    let mut request = c.get(url);
    if let Some(host) = host {
        request = request.header("Host", host);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

#[tokio::test]
async fn stages_canary_domains_and_gateway_responses() {
    let server = Server::start_in(
        &repo_root(),
        &["start-api", "-t", TEMPLATE, "-p", "0"],
        &[("LAMBDAGATE_CANARY_SEED", "7")],
    );
    let printed = server.printed();
    assert!(printed.contains("/dev/items/{id}"), "{printed}");
    assert!(printed.contains("api.example.test/shop/v1"), "{printed}");
    let c = client();

    // A second REST stage (AWS::ApiGateway::Stage) with its own variables.
    let (status, body) = get(&c, server.url("/dev/items/1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["stage"], "dev");
    assert_eq!(body["stageVariables"]["flavour"], "dev");
    assert_eq!(body["path"], "/items/1");

    // An HTTP API's $default stage at the root and its named stage under /v1.
    let (_, body) = get(&c, server.url("/events"), None).await;
    assert_eq!(body["stage"], "$default");
    assert_eq!(body["stageVariables"]["flavour"], "http-default");
    let (_, body) = get(&c, server.url("/v1/events"), None).await;
    assert_eq!(body["stage"], "v1");
    assert_eq!(body["stageVariables"]["flavour"], "http-v1");

    // The prod stage's 25% canary, with the seed fixed: 200 requests, canary share within
    // five standard deviations (sd ~ 6.1) of 50.
    let mut canary = 0;
    for _ in 0..200 {
        let (status, body) = get(&c, server.url("/prod/items/2"), None).await;
        assert_eq!(status, 200);
        match body["stageVariables"]["flavour"].as_str() {
            Some("canary") => canary += 1,
            Some("stable") => {}
            other => panic!("unexpected flavour {other:?}"),
        }
    }
    assert!(
        (20..=80).contains(&canary),
        "{canary} of 200 went to the canary"
    );

    // Custom domain, by Host: two-segment base paths to two stages, one to the HTTP API.
    let host = Some("api.example.test");
    let (status, body) = get(&c, server.url("/shop/dev/items/5"), host).await;
    assert_eq!(status, 200);
    assert_eq!(body["stage"], "dev");
    assert_eq!(body["path"], "/shop/dev/items/5");
    let (_, body) = get(&c, server.url("/shop/v1/items/5"), host).await;
    assert_eq!(body["stage"], "prod");
    let (_, body) = get(&c, server.url("/events/events"), host).await;
    assert_eq!(body["stage"], "v1");
    // No mapping covers the path: 403 Forbidden, as a domain without a match answers.
    let (status, body) = get(&c, server.url("/elsewhere"), host).await;
    assert_eq!(status, 403);
    assert_eq!(body["message"], "Forbidden");

    // Customized gateway responses: status override, header, template with $context values.
    let r = c.get(server.url("/prod/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-gateway"], "lambdagate");
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"error": "no route", "message": "Missing Authentication Token"}"#
    );
    // A crashing function: 502 kept, body from the customized DEFAULT_5XX.
    let r = c.get(server.url("/prod/boom")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"error": "server", "message": "Internal server error"}"#
    );
}

#[tokio::test]
async fn routes_from_an_openapi_definition_uri() {
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/openapi-rest/template.yaml",
        "-p",
        "0",
    ]);
    let c = client();
    // aws_proxy integration from the document, to the function named by its ARN.
    let r = c.get(server.url("/dev/items/42")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["id"], "42", "{body}");
    // The document's operationId is the event's requestContext.operationName.
    assert_eq!(body["operation"], "getItem", "{body}");
    // A mock from the document.
    let r = c.get(server.url("/dev/ping")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"pong": true}"#);
    // A route a function event adds to the document.
    let r = c
        .post(server.url("/dev/items"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["operation"], Value::Null, "{body}");
    // The document's customized gateway response.
    let r = c.get(server.url("/dev/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), r#"{"message": "no such route"}"#);
}
