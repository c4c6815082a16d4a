//! Authorizers end to end (`tests/fixtures/gateway/auth.yaml`): real Python and Node authorizer
//! functions behind `start-api` — REST TOKEN (allow, deny, `Unauthorized`, crash, bad output,
//! validation expression, the result cache, a function timing out), REST REQUEST (header + query
//! string), HTTP API authorizers with simple responses (payload 2.0) and IAM policies (payload
//! 1.0), the seed application's Cognito default authorizer without a token, and
//! `--disable-authorizer`. The events the authorizers receive (passed back through
//! `context.event`) and the proxy events' `requestContext.authorizer` are compared with AWS's
//! recorded events field by field.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Server;
use support::recorded::{fixture, keys};

const TEMPLATE: &str = "tests/fixtures/gateway/auth.yaml";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn event(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.body);
        &self.body["event"]
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The event the authorizer received, as it passed it on in its context.
    fn authorizer_event(&self, lambda_v2: bool) -> Value {
        let authorizer = &self.event()["requestContext"]["authorizer"];
        let text = if lambda_v2 {
            &authorizer["lambda"]["event"]
        } else {
            &authorizer["event"]
        };
        serde_json::from_str(text.as_str().expect("context.event")).unwrap()
    }
}

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut request = client.get(server.url(path));
    for (n, v) in headers {
        request = request.header(*n, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        headers,
        body,
    }
}

fn refused(a: &Answer, status: u16, message: Value, error_type: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body, json!({"message": message}));
    assert_eq!(a.header("x-amzn-errortype"), Some(error_type));
}

async fn rest_token_python(server: &Server) {
    let a = get(server, "/dev/py/42", &[("Authorization", "allow")]).await;
    let event = a.authorizer_event(false);
    // Exactly AWS's TOKEN event.
    let recorded = fixture("lambda-events/example-apigw-custom-auth-request.json");
    assert_eq!(keys(&event), keys(&recorded));
    assert_eq!(event["type"], "TOKEN");
    assert_eq!(event["authorizationToken"], "allow");
    let api_id = a.event()["requestContext"]["apiId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        event["methodArn"],
        format!("arn:aws:execute-api:us-east-1:123456789012:{api_id}/dev/GET/py/42")
    );
    // The proxy event's authorizer: principal and context flat, values as strings.
    let authorizer = &a.event()["requestContext"]["authorizer"];
    let recorded = fixture("lambda-events/example-apigw-request.json");
    assert!(recorded["requestContext"]["authorizer"]["principalId"].is_string());
    assert_eq!(authorizer["principalId"], "alice");
    assert_eq!(authorizer["user"], "alice");
    assert_eq!(authorizer["n"], "1");
    assert_eq!(authorizer["admin"], "true");
    assert!(authorizer["integrationLatency"].is_u64());

    refused(
        &get(server, "/dev/py/42", &[("Authorization", "deny")]).await,
        403,
        json!("User is not authorized to access this resource with an explicit deny"),
        "AccessDeniedException",
    );
    refused(
        &get(server, "/dev/py/42", &[("Authorization", "unauthorized")]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
    for token in ["crash", "garbage"] {
        refused(
            &get(server, "/dev/py/42", &[("Authorization", token)]).await,
            500,
            Value::Null,
            "AuthorizerConfigurationException",
        );
    }
    refused(
        &get(server, "/dev/py/42", &[]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
    // `Auth: {Authorizer: NONE}` opts a route out of the default authorizer.
    let open = get(server, "/dev/open", &[]).await;
    assert!(open.event()["requestContext"].get("authorizer").is_none());
}

async fn rest_token_node(server: &Server) {
    let a = get(server, "/dev/node", &[("X-Token", "allow")]).await;
    let event = a.authorizer_event(false);
    assert_eq!(event["type"], "TOKEN");
    assert_eq!(event["authorizationToken"], "allow");
    assert_eq!(a.event()["requestContext"]["authorizer"]["runtime"], "node");
    assert_eq!(
        a.event()["requestContext"]["authorizer"]["principalId"],
        "node-user"
    );
    refused(
        &get(server, "/dev/node", &[("X-Token", "deny")]).await,
        403,
        json!("User is not authorized to access this resource with an explicit deny"),
        "AccessDeniedException",
    );
    refused(
        &get(server, "/dev/node", &[("X-Token", "unauthorized")]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
    refused(
        &get(server, "/dev/node", &[("X-Token", "crash")]).await,
        500,
        Value::Null,
        "AuthorizerConfigurationException",
    );
    // The validation expression (`[a-z]+`, whole token) is checked before invoking.
    refused(
        &get(server, "/dev/node", &[("X-Token", "Allow1")]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
}

async fn rest_request_python(server: &Server) {
    let a = get(
        server,
        "/dev/request?tenant=acme",
        &[("X-User", "allow-carol")],
    )
    .await;
    let event = a.authorizer_event(false);
    let recorded = fixture("lambda-events/example-apigw-custom-auth-request-type-request.json");
    assert_eq!(keys(&event), keys(&recorded));
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["resource"], "/request");
    assert_eq!(event["path"], "/request");
    assert_eq!(event["httpMethod"], "GET");
    // The client (reqwest) sends header names in lower case; REST keeps them as sent.
    assert_eq!(event["headers"]["x-user"], "allow-carol");
    assert_eq!(event["multiValueHeaders"]["x-user"], json!(["allow-carol"]));
    assert_eq!(event["queryStringParameters"], json!({"tenant": "acme"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"tenant": ["acme"]})
    );
    assert!(
        event["methodArn"]
            .as_str()
            .unwrap()
            .ends_with("/dev/GET/request")
    );
    let recorded_context = &recorded["requestContext"];
    for field in keys(recorded_context) {
        assert!(
            event["requestContext"].get(&field).is_some(),
            "requestContext.{field}"
        );
    }
    assert_eq!(event["requestContext"]["stage"], "dev");
    assert_eq!(event["requestContext"]["resourcePath"], "/request");
    assert_eq!(
        a.event()["requestContext"]["authorizer"]["principalId"],
        "allow-carol"
    );
    // Denied by the function for another tenant; a missing identity source is 401.
    assert_eq!(
        get(
            server,
            "/dev/request?tenant=other",
            &[("X-User", "allow-carol")]
        )
        .await
        .status,
        403
    );
    refused(
        &get(server, "/dev/request", &[("X-User", "allow-carol")]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
}

async fn http_simple_node(server: &Server) {
    let a = get(server, "/simple?q=1", &[("x-user", "yes")]).await;
    let event = a.authorizer_event(true);
    let recorded = fixture("lambda-events/example-apigw-v2-custom-authorizer-v2-request.json");
    for field in keys(&recorded) {
        // No cookies, path parameters or stage variables in this request.
        if !["cookies", "pathParameters", "stageVariables"].contains(&field.as_str()) {
            assert!(event.get(&field).is_some(), "authorizer event .{field}");
        }
    }
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["identitySource"], json!(["yes"]));
    assert_eq!(event["routeKey"], "GET /simple");
    assert_eq!(event["rawPath"], "/simple");
    assert_eq!(event["rawQueryString"], "q=1");
    assert_eq!(event["queryStringParameters"], json!({"q": "1"}));
    assert!(
        event["routeArn"]
            .as_str()
            .unwrap()
            .ends_with("/$default/GET/simple")
    );
    assert_eq!(event["requestContext"]["routeKey"], "GET /simple");
    // `requestContext.authorizer.lambda` keeps the context's JSON types.
    let lambda = &a.event()["requestContext"]["authorizer"]["lambda"];
    let recorded = fixture("lambda-events/example-apigw-v2-request-lambda-authorizer.json");
    assert!(recorded["requestContext"]["authorizer"]["lambda"].is_object());
    assert_eq!(lambda["user"], "bob");
    assert_eq!(lambda["n"], 2);
    assert_eq!(lambda["list"], json!([1, 2]));
    assert_eq!(lambda["nested"], json!({"k": "v"}));

    let no = get(
        server,
        "/simple",
        &[("x-user", "no"), ("Origin", "https://app.example")],
    )
    .await;
    assert_eq!(no.status, 403);
    assert_eq!(no.body, json!({"message": "Forbidden"}));
    assert_eq!(
        no.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let missing = get(server, "/simple", &[]).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body, json!({"message": "Unauthorized"}));
    let crash = get(server, "/simple", &[("x-user", "crash")]).await;
    assert_eq!(crash.status, 500);
    assert_eq!(crash.body, json!({"message": "Internal Server Error"}));
}

async fn rest_cached_python(server: &Server) {
    let authorizer = |a: &Answer| a.event()["requestContext"]["authorizer"].clone();
    let first = authorizer(&get(server, "/dev/cached", &[("Authorization", "t1")]).await);
    let second = authorizer(&get(server, "/dev/cached", &[("Authorization", "t1")]).await);
    // Served from the cache: the function was not called again.
    assert_eq!(first["calls"], second["calls"]);
    assert_eq!(second["integrationLatency"], 0);
    // The cached policy applies to the other method too (API-wide resource).
    let other = authorizer(&get(server, "/dev/cached/other", &[("Authorization", "t1")]).await);
    assert_eq!(other["calls"], first["calls"]);
    // Another token is another call.
    let fresh = authorizer(&get(server, "/dev/cached", &[("Authorization", "t2")]).await);
    assert_ne!(fresh["calls"], first["calls"], "{fresh} {first}");
    // A policy naming one method ARN, cached, denies the others until it expires (AWS's
    // documented pitfall).
    assert_eq!(
        get(server, "/dev/cached", &[("Authorization", "narrow")])
            .await
            .status,
        200
    );
    refused(
        &get(server, "/dev/cached/other", &[("Authorization", "narrow")]).await,
        403,
        json!("User is not authorized to access this resource"),
        "AccessDeniedException",
    );
}

async fn rest_authorizer_timing_out(server: &Server) {
    // The authorizer function outlives its own Timeout: a function error, so AWS's 500.
    refused(
        &get(server, "/dev/slow", &[("Authorization", "sleep")]).await,
        500,
        Value::Null,
        "AuthorizerConfigurationException",
    );
    // The same function answers the next request.
    assert_eq!(
        get(server, "/dev/slow", &[("Authorization", "allow")])
            .await
            .status,
        200
    );
}

async fn http_v1_python(server: &Server) {
    let a = get(server, "/v1", &[("x-user", "allow")]).await;
    let event = a.authorizer_event(false);
    let recorded = fixture("lambda-events/example-apigw-v2-custom-authorizer-v1-request.json");
    for field in keys(&recorded) {
        // No path parameters or stage variables here.
        if !["pathParameters", "stageVariables"].contains(&field.as_str()) {
            assert!(event.get(&field).is_some(), "authorizer event .{field}");
        }
    }
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["identitySource"], "allow");
    assert_eq!(event["authorizationToken"], "allow");
    assert!(
        event["methodArn"]
            .as_str()
            .unwrap()
            .ends_with("/$default/GET/v1")
    );
    assert!(event.get("body").is_none());
    // The proxy event (1.0): the authorizer's principal and context, flat.
    let authorizer = &a.event()["requestContext"]["authorizer"];
    assert_eq!(authorizer["principalId"], "dave");
    assert_eq!(authorizer["user"], "dave");
    let denied = get(server, "/v1", &[("x-user", "nope")]).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body, json!({"message": "Forbidden"}));
}

async fn seed_cognito_without_token(server: &Server) {
    refused(
        &get(server, "/Prod/me", &[]).await,
        401,
        json!("Unauthorized"),
        "UnauthorizedException",
    );
}

#[tokio::test]
async fn authorizers_with_real_functions() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    assert!(
        !server.printed().contains("does not enforce"),
        "{}",
        server.printed()
    );
    tokio::join!(
        rest_token_python(&server),
        rest_token_node(&server),
        rest_request_python(&server),
        http_simple_node(&server),
        seed_cognito_without_token(&server),
        rest_cached_python(&server),
        rest_authorizer_timing_out(&server),
        http_v1_python(&server),
    );
}

#[tokio::test]
async fn disable_authorizer_turns_them_off() {
    let server = Server::start(&[
        "start-api",
        "-t",
        TEMPLATE,
        "-p",
        "0",
        "--disable-authorizer",
    ]);
    let a = get(&server, "/Prod/me", &[]).await;
    assert!(a.event()["requestContext"].get("authorizer").is_none());
    assert_eq!(get(&server, "/dev/py/1", &[]).await.status, 200);
    // Said at startup (checked once the output has surely been read).
    assert!(
        server.printed().contains("--disable-authorizer"),
        "{}",
        server.printed()
    );
}
