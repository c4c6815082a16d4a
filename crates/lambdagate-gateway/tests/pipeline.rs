//! The pipeline end to end in process: routing across APIs, both payload versions, errors,
//! timeouts, binary bodies, HTTP API CORS. Functions are in-process stand-ins.

mod support;

use base64::Engine;
use lambdagate_gateway::{Addressing, CompileError, CompiledApp};
use lambdagate_model::*;
use serde_json::Value;
use support::*;

fn http_app(format: PayloadFormat) -> Application {
    application(
        vec![function("Echo", 3)],
        vec![api(
            "HttpApi",
            ApiKind::Http,
            "$default",
            vec![
                lambda_route("GET", "/items/{id}", "Echo", format),
                lambda_route("ANY", "/files/{proxy+}", "Echo", format),
            ],
        )],
    )
}

#[tokio::test]
async fn v2_event_fields() {
    let gw = gateway(&http_app(PayloadFormat::V2), true, Behaviour::Echo);
    let reply = gw
        .handle(request(
            "GET",
            "/items/a%20b?x=1&x=2&y=%2B",
            &[
                ("Host", "localhost:3000"),
                ("X-Multi", "v1"),
                ("x-multi", "v2"),
                ("Cookie", "a=1; b=2"),
                ("Cookie", "c=3"),
            ],
            "",
        ))
        .await;
    let event = echoed(&reply);
    assert_eq!(event["routeKey"], "GET /items/{id}");
    assert_eq!(event["rawPath"], "/items/a%20b");
    assert_eq!(event["rawQueryString"], "x=1&x=2&y=%2B");
    assert_eq!(event["queryStringParameters"]["x"], "1,2");
    assert_eq!(event["queryStringParameters"]["y"], "+");
    assert_eq!(event["pathParameters"]["id"], "a b");
    assert_eq!(event["headers"]["x-multi"], "v1,v2");
    assert_eq!(event["headers"].get("cookie"), None);
    assert_eq!(event["cookies"], serde_json::json!(["a=1", "b=2", "c=3"]));
    assert_eq!(event.get("body"), None);
    assert_eq!(event.get("stageVariables"), None);
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(event["requestContext"]["domainPrefix"], "localhost");
    assert_eq!(event["isBase64Encoded"], false);
}

#[tokio::test]
async fn v2_binary_and_text_bodies() {
    let gw = gateway(&http_app(PayloadFormat::V2), true, Behaviour::Echo);
    let reply = gw
        .handle(request(
            "POST",
            "/files/a/b",
            &[("content-type", "application/octet-stream")],
            "\u{1}\u{2}",
        ))
        .await;
    let event = echoed(&reply);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AQI=");
    assert_eq!(event["pathParameters"]["proxy"], "a/b");
    let reply = gw
        .handle(request(
            "POST",
            "/files/x",
            &[("content-type", "application/json")],
            r#"{"a":1}"#,
        ))
        .await;
    let event = echoed(&reply);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["body"], r#"{"a":1}"#);
    // Missing Content-Type: base64 on HTTP APIs.
    let event = echoed(&gw.handle(request("POST", "/files/x", &[], "hi")).await);
    assert_eq!(event["body"], "aGk=");
}

#[tokio::test]
async fn http_api_payload_1_0() {
    let gw = gateway(&http_app(PayloadFormat::V1), true, Behaviour::Echo);
    let event = echoed(
        &gw.handle(request("GET", "/items/7?q=1", &[("X-Up", "A")], ""))
            .await,
    );
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["headers"]["x-up"], "A");
    assert_eq!(
        event["multiValueQueryStringParameters"]["q"],
        serde_json::json!(["1"])
    );
    assert_eq!(event["requestContext"]["authorizer"]["claims"], Value::Null);
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(event["requestContext"]["resourceId"], Value::Null);
}

#[tokio::test]
async fn http_api_errors() {
    let app = http_app(PayloadFormat::V2);
    let gw = gateway(&app, true, Behaviour::Echo);
    let reply = gw.handle(request("GET", "/nothing", &[], "")).await;
    assert_eq!(
        (reply.status, &reply.body[..]),
        (404, &br#"{"message":"Not Found"}"#[..])
    );
    assert!(header(&reply, "apigw-requestid").is_some());
    assert_eq!(header(&reply, "x-amzn-ErrorType"), None);

    let gw = gateway(&app, true, Behaviour::Fail);
    let reply = gw.handle(request("GET", "/items/1", &[], "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(&reply.body[..], br#"{"message":"Internal Server Error"}"#);

    let gw = gateway(&app, true, Behaviour::Raw("not json"));
    assert_eq!(
        gw.handle(request("GET", "/items/1", &[], "")).await.status,
        500
    );

    let gw = gateway(&app, true, Behaviour::Throttle);
    assert_eq!(
        gw.handle(request("GET", "/items/1", &[], "")).await.status,
        500
    );

    // Inferred response.
    let gw = gateway(&app, true, Behaviour::Raw(r#"{"hello":"world"}"#));
    let reply = gw.handle(request("GET", "/items/1", &[], "")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], br#"{"hello":"world"}"#);
    assert_eq!(header(&reply, "content-type"), Some("application/json"));
}

fn route_timeout(app: &Application, route: usize) -> std::time::Duration {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    match &compiled.apis[0].routes[route].integration {
        lambdagate_gateway::integration::CompiledIntegration::LambdaProxy(l) => l.timeout,
        other => panic!("{other:?}"),
    }
}

#[test]
fn integration_timeouts_are_capped_per_api_kind() {
    let mut app = http_app(PayloadFormat::V2);
    app.functions[0].timeout_secs = 900;
    assert_eq!(route_timeout(&app, 0).as_secs(), 30);
    let mut rest = rest_app(vec![lambda_route(
        "GET",
        "/slow",
        "Echo",
        PayloadFormat::V1,
    )]);
    rest.functions[0].timeout_secs = 900;
    assert_eq!(route_timeout(&rest, 0).as_secs(), 29);
    // A short function Timeout is the function service's business (a function error), not
    // the gateway's integration timeout.
    rest.functions[0].timeout_secs = 5;
    assert_eq!(route_timeout(&rest, 0).as_secs(), 29);
    rest.apis[0].routes[0].integration.timeout_ms = Some(1500);
    assert_eq!(route_timeout(&rest, 0).as_millis(), 1500);
}

fn with_timeout(mut app: Application, ms: u32) -> Application {
    for route in &mut app.apis[0].routes {
        if route.integration.kind == IntegrationType::AwsProxy {
            route.integration.timeout_ms = Some(ms);
        }
    }
    app
}

#[tokio::test]
async fn integration_timeouts() {
    let gw = gateway(
        &with_timeout(http_app(PayloadFormat::V2), 200),
        true,
        Behaviour::Hang,
    );
    let started = std::time::Instant::now();
    let reply = gw.handle(request("GET", "/items/1", &[], "")).await;
    assert_eq!(
        (reply.status, &reply.body[..]),
        (503, &br#"{"message":"Service Unavailable"}"#[..])
    );
    assert!(started.elapsed().as_millis() >= 200);

    let rest = rest_app(vec![lambda_route(
        "GET",
        "/slow",
        "Echo",
        PayloadFormat::V1,
    )]);
    let gw = gateway(&with_timeout(rest, 200), true, Behaviour::Hang);
    let reply = gw.handle(request("GET", "/Prod/slow", &[], "")).await;
    assert_eq!(reply.status, 504);
    assert_eq!(
        &reply.body[..],
        br#"{"message": "Endpoint request timed out"}"#
    );
}

fn rest_app(routes: Vec<Route>) -> Application {
    application(
        vec![function("Echo", 3)],
        vec![api("RestApi", ApiKind::Rest, "Prod", routes)],
    )
}

#[tokio::test]
async fn rest_errors_binary_and_mock() {
    let mut app = rest_app(vec![
        lambda_route("ANY", "/{proxy+}", "Echo", PayloadFormat::V1),
        Route {
            integration: Integration {
                integration_responses: vec![IntegrationResponse {
                    status_code: 200,
                    selection_pattern: None,
                    response_parameters: vec![(
                        "method.response.header.Access-Control-Allow-Origin".into(),
                        "'*'".into(),
                    )],
                    response_templates: Vec::new(),
                    content_handling: None,
                }],
                ..Integration::mock()
            },
            ..lambda_route("OPTIONS", "/{proxy+}", "Echo", PayloadFormat::V1)
        },
    ]);
    app.apis[0].binary_media_types = vec!["image/*".into()];
    app.apis[0].stages[0]
        .variables
        .insert("env".into(), "test".into());
    let gw = gateway(&app, true, Behaviour::Echo);
    let event = echoed(
        &gw.handle(request(
            "POST",
            "/Prod/img",
            &[("Content-Type", "image/png")],
            "\u{1}",
        ))
        .await,
    );
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AQ==");
    assert_eq!(event["stageVariables"]["env"], "test");
    let event = echoed(
        &gw.handle(request(
            "POST",
            "/Prod/img",
            &[("Content-Type", "text/plain")],
            "x",
        ))
        .await,
    );
    assert_eq!(event["isBase64Encoded"], false);

    let reply = gw.handle(request("OPTIONS", "/Prod/any", &[], "")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some("*"));
    assert!(header(&reply, "x-amzn-RequestId").is_some());

    let gw = gateway(&app, true, Behaviour::Fail);
    let reply = gw.handle(request("GET", "/Prod/x", &[], "")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(&reply.body[..], br#"{"message": "Internal server error"}"#);
    assert_eq!(
        header(&reply, "x-amzn-ErrorType"),
        Some("InternalServerErrorException")
    );

    // Base64 bodies are decoded only when Accept matches a binary media type.
    let gw = gateway(
        &app,
        true,
        Behaviour::Raw(
            r#"{"statusCode":200,"body":"AQI=","isBase64Encoded":true,"headers":{"Content-Type":"image/png"}}"#,
        ),
    );
    let reply = gw
        .handle(request("GET", "/Prod/x", &[("Accept", "image/png")], ""))
        .await;
    assert_eq!(&reply.body[..], &[1u8, 2][..]);
    let reply = gw
        .handle(request(
            "GET",
            "/Prod/x",
            &[("Accept", "text/html, image/png")],
            "",
        ))
        .await;
    assert_eq!(&reply.body[..], b"AQI=");

    let gw = gateway(&app, true, Behaviour::Throttle);
    assert_eq!(
        gw.handle(request("GET", "/Prod/x", &[], "")).await.status,
        500
    );

    // Remapped response headers.
    let gw = gateway(
        &app,
        true,
        Behaviour::Raw(r#"{"statusCode":200,"headers":{"Server":"mine","Date":"x"}}"#),
    );
    let reply = gw.handle(request("GET", "/Prod/x", &[], "")).await;
    assert_eq!(header(&reply, "x-amzn-Remapped-Server"), Some("mine"));
    assert_eq!(header(&reply, "Server"), None);
}

fn cors_app() -> Application {
    let mut app = http_app(PayloadFormat::V2);
    app.apis[0].cors = Some(Cors::Http(HttpCors {
        allow_origins: vec!["https://app.example".into()],
        allow_methods: vec!["GET".into(), "POST".into()],
        allow_headers: vec!["content-type".into()],
        expose_headers: vec![],
        max_age: Some(600),
        allow_credentials: false,
    }));
    app
}

#[tokio::test]
async fn http_api_cors() {
    let gw = gateway(
        &cors_app(),
        true,
        Behaviour::Raw(
            r#"{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://backend"}}"#,
        ),
    );
    // Preflight on a path with no OPTIONS route: answered by the gateway.
    let reply = gw
        .handle(request(
            "OPTIONS",
            "/items/1",
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
            "",
        ))
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.function, None);
    assert_eq!(
        header(&reply, "access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(header(&reply, "access-control-max-age"), Some("600"));
    // Disallowed origin: no CORS headers.
    let reply = gw
        .handle(request(
            "OPTIONS",
            "/items/1",
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
            "",
        ))
        .await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    // Actual request: the backend's CORS headers are replaced by the configuration's.
    let reply = gw
        .handle(request(
            "GET",
            "/items/1",
            &[("Origin", "https://app.example")],
            "",
        ))
        .await;
    let origins: Vec<_> = reply
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
        .collect();
    assert_eq!(origins.len(), 1);
    assert_eq!(origins[0].1, "https://app.example");
    let reply = gw.handle(request("GET", "/items/1", &[], "")).await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
}

fn two_apis() -> Application {
    application(
        vec![function("Echo", 3)],
        vec![
            api(
                "Rest",
                ApiKind::Rest,
                "Prod",
                vec![lambda_route("GET", "/hello", "Echo", PayloadFormat::V1)],
            ),
            api(
                "Http",
                ApiKind::Http,
                "$default",
                vec![
                    lambda_route("GET", "/hello", "Echo", PayloadFormat::V2),
                    lambda_route("ANY", "$default", "Echo", PayloadFormat::V2),
                ],
            ),
        ],
    )
}

#[tokio::test]
async fn several_apis_on_one_port() {
    let gw = gateway(&two_apis(), true, Behaviour::Echo);
    let rest = echoed(&gw.handle(request("GET", "/Prod/hello", &[], "")).await);
    assert_eq!(rest["path"], "/hello");
    assert_eq!(rest["requestContext"]["stage"], "Prod");
    let http = echoed(&gw.handle(request("GET", "/hello", &[], "")).await);
    assert_eq!(http["routeKey"], "GET /hello");
    // Unmatched at the root: the HTTP API's $default route.
    let fallback = echoed(&gw.handle(request("DELETE", "/x/y", &[], "")).await);
    assert_eq!(fallback["routeKey"], "$default");
    assert_eq!(fallback["rawPath"], "/x/y");
    // Unmatched under the REST stage: REST's answer.
    let reply = gw.handle(request("GET", "/Prod/nope", &[], "")).await;
    assert_eq!(reply.status, 403);
    // Host-based addressing selects one API whatever the path.
    let reply = gw
        .handle(request(
            "GET",
            "/Prod/hello",
            &[("Host", "REST.localhost:1234")],
            "",
        ))
        .await;
    assert_eq!(echoed(&reply)["resource"], "/hello");
    let reply = gw
        .handle(request("GET", "/hello", &[("Host", "rest.localhost")], ""))
        .await;
    assert_eq!(reply.status, 403);
    let reply = gw
        .handle(request("GET", "/hello", &[("Host", "http.localhost")], ""))
        .await;
    assert_eq!(echoed(&reply)["routeKey"], "GET /hello");
}

#[tokio::test]
async fn a_path_two_apis_claim_goes_to_the_first_and_the_other_answers_by_host_name() {
    let compiled = CompiledApp::compile(
        &two_apis(),
        Addressing {
            stage_prefix: false,
        },
    )
    .unwrap();
    let warning = compiled
        .warnings()
        .iter()
        .find(|w| w.contains("claimed by both"))
        .expect("a warning about the shared path");
    assert!(
        warning.contains("GET /hello")
            && warning.contains("Rest (")
            && warning.contains("http://http.localhost:PORT/hello")
            && warning.contains("--stage-prefix"),
        "{warning}"
    );
    // The route table lists the address once, for the API that has it.
    let rows = compiled.route_rows();
    let hello: Vec<_> = rows.iter().filter(|r| r.path == "/hello").collect();
    assert_eq!(hello.len(), 1);
    assert_eq!(hello[0].api, "Rest");
    let gw = gateway(&two_apis(), false, Behaviour::Echo);
    let flat = echoed(&gw.handle(request("GET", "/hello", &[], "")).await);
    assert_eq!(flat["resource"], "/hello", "the REST API's event: {flat}");
    let by_host = echoed(
        &gw.handle(request("GET", "/hello", &[("Host", "http.localhost")], ""))
            .await,
    );
    assert_eq!(by_host["routeKey"], "GET /hello");
    assert!(CompiledApp::compile(&two_apis(), Addressing { stage_prefix: true }).is_ok());
}

#[test]
fn a_path_one_api_claims_twice_is_refused() {
    let app = application(
        vec![function("Echo", 3)],
        vec![api(
            "Rest",
            ApiKind::Rest,
            "Prod",
            vec![
                lambda_route("GET", "/items/{id}", "Echo", PayloadFormat::V1),
                lambda_route("GET", "/items/{name}", "Echo", PayloadFormat::V1),
            ],
        )],
    );
    let err = CompiledApp::compile(
        &app,
        Addressing {
            stage_prefix: false,
        },
    )
    .unwrap_err();
    let CompileError::Conflict { first, second, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        first.starts_with("Rest") && second.starts_with("Rest"),
        "{err}"
    );
}

#[tokio::test]
async fn no_stage_prefix_serves_rest_at_the_root() {
    let app = rest_app(vec![lambda_route(
        "GET",
        "/hello",
        "Echo",
        PayloadFormat::V1,
    )]);
    let gw = gateway(&app, false, Behaviour::Echo);
    let event = echoed(&gw.handle(request("GET", "/hello", &[], "")).await);
    assert_eq!(event["path"], "/hello");
    assert_eq!(event["requestContext"]["stage"], "Prod");
    let reply = gw.handle(request("GET", "/Prod/hello", &[], "")).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        header(&reply, "x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
}

#[test]
fn base64_engine_is_standard() {
    // Events carry standard (not URL-safe) base64, as AWS sends.
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode([0xfb, 0xff]),
        "+/8="
    );
}
