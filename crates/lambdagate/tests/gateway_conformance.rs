//! Conformance through the real binary: each applicable recorded API Gateway proxy request event
//! of `../shared/conformance` is turned back into the HTTP request that produced it, sent through
//! `lambdagate start-api` to a real Python echo function, and the event the function received is
//! compared field by field with the recording.
//!
//! Left out, and why:
//! - events with an authorizer (`*custom-auth*`, `*-jwt-authorizer*`, `*-lambda-authorizer*`,
//!   `*-iam*`, `example-apigw-request.json`, `*-restapi-openapi-request.json`,
//!   `apigw-request.json`, `example-apigw-request-catch-all.json`,
//!   `example-apigw-request-multi-value-parameters.json`, `example-apigw-v2-request-multi-value-
//!   parameters.json`, `apigw_v2_proxy_request*.json` but the minimal one,
//!   `apigw_request_path_with_space.json`): their `requestContext.authorizer` comes from an
//!   authorizer, which is another task's stage of the pipeline;
//! - WebSocket events: not an HTTP request;
//! - `example-apigw-console-test-request.json`: the console's Test button invokes without a
//!   stage or an HTTP request (`test-invoke-stage`);
//! - `apigw_no_host.json`: HTTP/1.1 requires a `Host` header, so no client can send it;
//! - SAM-generated events (`*-sam-*`, `apigw_v2_sam_local.json`): `sam local`'s quirks, not AWS;
//! - `lambda_function_url_request.json`: a function URL, not API Gateway.

mod support;

use serde_json::Value;
use support::Server;
use support::raw_http::{RawResponse, send};
use support::recorded::{Rule, differences, extra_keys, fixture};

const TEMPLATE: &str = "tests/fixtures/gateway/conformance.yaml";

/// REST payload 1.0 fixtures (stage as in `conformance.yaml`).
const REST_FIXTURES: &[&str] = &[
    "lambda-events/example-apigw-console-request.json",
    "lambda-http/apigw_multi_value_proxy_request.json",
    "lambda-http/apigw_proxy_request.json",
];

/// HTTP API payload 2.0 fixtures (route `$default` of the HTTP API).
const V2_FIXTURES: &[&str] = &[
    "lambda-events/example-apigw-v2-request-no-authorizer.json",
    "aws-lambda-go/apigw-v2-request-no-authorizer.json",
    "lambda-http/apigw_v2_proxy_request_minimal.json",
];

/// `application/x-www-form-urlencoded` encoding of one query component.
fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The query string of a REST event (multi-value map when recorded, else the single one).
fn rest_query(event: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(multi) = event["multiValueQueryStringParameters"].as_object() {
        for (k, values) in multi {
            for v in values.as_array().unwrap() {
                parts.push(format!(
                    "{}={}",
                    form_encode(k),
                    form_encode(v.as_str().unwrap())
                ));
            }
        }
    } else if let Some(single) = event["queryStringParameters"].as_object() {
        for (k, v) in single {
            parts.push(format!(
                "{}={}",
                form_encode(k),
                form_encode(v.as_str().unwrap())
            ));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Headers the edge (CloudFront) adds: never sent by a client.
fn edge_only(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("cloudfront-") || lower == "via" || lower == "x-amz-cf-id"
}

/// Headers API Gateway sets itself from the connection: present, values differ here.
fn gateway_set(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("x-forwarded-")
}

/// The client headers of a recorded event, each value in order, names as recorded.
fn client_headers(event: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(multi) = event["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            for v in values.as_array().unwrap() {
                out.push((name.clone(), v.as_str().unwrap().to_string()));
            }
        }
    } else if let Some(single) = event["headers"].as_object() {
        for (name, v) in single {
            out.push((name.clone(), v.as_str().unwrap().to_string()));
        }
    }
    out.retain(|(n, _)| {
        !edge_only(n) && !gateway_set(n) && !n.eq_ignore_ascii_case("content-length")
    });
    out
}

fn body_of(event: &Value) -> Vec<u8> {
    event["body"].as_str().unwrap_or("").as_bytes().to_vec()
}

/// The echo function's answer: `{"event": …, "traceEnv": …}`.
fn echoed(name: &str, reply: &RawResponse) -> Value {
    assert_eq!(
        reply.status,
        200,
        "{name}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    serde_json::from_slice(&reply.body).unwrap()
}

fn header_rule(name: &str) -> Rule {
    if edge_only(name) {
        Rule::Skip
    } else if gateway_set(name) {
        Rule::Present
    } else {
        Rule::Equal
    }
}

fn rest_rule(path: &str, synthetic_identity: bool) -> Rule {
    if let Some(name) = path
        .strip_prefix("headers.")
        .or_else(|| path.strip_prefix("multiValueHeaders."))
    {
        return header_rule(name);
    }
    match path {
        // Generated per API, deployment or request.
        "requestContext.accountId"
        | "requestContext.apiId"
        | "requestContext.deploymentId"
        | "requestContext.extendedRequestId"
        | "requestContext.requestId"
        | "requestContext.requestTime"
        | "requestContext.requestTimeEpoch"
        | "requestContext.resourceId"
        | "requestContext.identity.sourceIp" => Rule::Present,
        // Only on methods that require an API key (spec §1.1).
        "requestContext.identity.apiKey" => Rule::Skip,
        p if synthetic_identity
            && p.starts_with("requestContext.identity.")
            && p != "requestContext.identity.userAgent" =>
        {
            Rule::Present
        }
        _ => Rule::Equal,
    }
}

fn v2_rule(path: &str) -> Rule {
    if let Some(name) = path.strip_prefix("headers.") {
        return header_rule(name);
    }
    match path {
        "requestContext.accountId"
        | "requestContext.apiId"
        | "requestContext.requestId"
        | "requestContext.time"
        | "requestContext.timeEpoch"
        | "requestContext.http.sourceIp" => Rule::Present,
        // Mutual TLS on a custom domain only.
        "requestContext.authentication" => Rule::Skip,
        _ => Rule::Equal,
    }
}

/// Checks what every event shares: the trace id reached the function, the source IP is ours.
fn check_trace(name: &str, answer: &Value, sent: &[(String, String)], problems: &mut Vec<String>) {
    if let Some((_, trace)) = sent
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-trace-id"))
    {
        let env = answer["traceEnv"].as_str().unwrap_or("");
        if !env.starts_with(trace.as_str()) {
            problems.push(format!("{name}: function trace id {env:?}, sent {trace:?}"));
        }
    }
}

#[test]
fn recorded_proxy_request_events_through_the_binary() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let mut problems = Vec::new();

    for name in REST_FIXTURES {
        let recorded = fixture(name);
        let stage = recorded["requestContext"]["stage"].as_str().unwrap();
        let method = recorded["httpMethod"].as_str().unwrap();
        let target = format!(
            "/{stage}{}{}",
            recorded["path"].as_str().unwrap(),
            rest_query(&recorded)
        );
        let headers = client_headers(&recorded);
        let reply = send(
            &server.base_url,
            method,
            &target,
            &headers,
            &body_of(&recorded),
        );
        let answer = echoed(name, &reply);
        let event = &answer["event"];
        // This fixture writes "" where AWS sends null (recorded: spec §1.1).
        let synthetic_identity = recorded["requestContext"]["identity"]["caller"] == "";
        let rule = |p: &str| rest_rule(p, synthetic_identity);
        problems.extend(
            differences(event, &recorded, &rule)
                .into_iter()
                .map(|d| format!("{name}: {d}")),
        );
        for map in ["headers", "multiValueHeaders"] {
            let extra = extra_keys(&event[map], &recorded["headers"], &["X-Amzn-Trace-Id"]);
            if !extra.is_empty() {
                problems.push(format!("{name}: {map} has extra {extra:?}"));
            }
        }
        if event["requestContext"]["identity"]["sourceIp"] != "127.0.0.1" {
            problems.push(format!(
                "{name}: sourceIp {}",
                event["requestContext"]["identity"]["sourceIp"]
            ));
        }
        if event["requestContext"]["path"] != target.split('?').next().unwrap() {
            problems.push(format!(
                "{name}: requestContext.path {}",
                event["requestContext"]["path"]
            ));
        }
        check_trace(name, &answer, &headers, &mut problems);
        let id = event["requestContext"]["requestId"].as_str().unwrap_or("");
        if reply.header("x-amzn-RequestId") != Some(id) || id.len() != 36 {
            problems.push(format!(
                "{name}: x-amzn-RequestId {:?} vs requestId {id:?}",
                reply.header("x-amzn-RequestId")
            ));
        }
    }

    for name in V2_FIXTURES {
        let recorded = fixture(name);
        let method = recorded["requestContext"]["http"]["method"]
            .as_str()
            .unwrap();
        let query = recorded["rawQueryString"].as_str().unwrap();
        let mut target = recorded["rawPath"].as_str().unwrap().to_string();
        if !query.is_empty() {
            target = format!("{target}?{query}");
        }
        let mut headers = client_headers(&recorded);
        if let Some(cookies) = recorded["cookies"].as_array() {
            let pairs: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
            headers.push(("cookie".into(), pairs.join("; ")));
        }
        let reply = send(
            &server.base_url,
            method,
            &target,
            &headers,
            &body_of(&recorded),
        );
        let answer = echoed(name, &reply);
        let event = &answer["event"];
        problems.extend(
            differences(event, &recorded, &v2_rule)
                .into_iter()
                .map(|d| format!("{name}: {d}")),
        );
        let extra = extra_keys(event, &recorded, &[]);
        if !extra.is_empty() {
            problems.push(format!("{name}: event has extra keys {extra:?}"));
        }
        let extra = extra_keys(&event["headers"], &recorded["headers"], &[]);
        if !extra.is_empty() {
            problems.push(format!("{name}: headers has extra {extra:?}"));
        }
        let ctx = &event["requestContext"];
        let mut recorded_ctx = recorded["requestContext"].clone();
        recorded_ctx
            .as_object_mut()
            .unwrap()
            .remove("authentication");
        let extra = extra_keys(ctx, &recorded_ctx, &[]);
        if !extra.is_empty() {
            problems.push(format!("{name}: requestContext has extra {extra:?}"));
        }
        if ctx["http"]["sourceIp"] != "127.0.0.1" {
            problems.push(format!("{name}: sourceIp {}", ctx["http"]["sourceIp"]));
        }
        check_trace(name, &answer, &headers, &mut problems);
        let id = ctx["requestId"].as_str().unwrap_or("");
        if reply.header("apigw-requestid") != Some(id) {
            problems.push(format!(
                "{name}: apigw-requestid {:?} vs requestId {id:?}",
                reply.header("apigw-requestid")
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "differences from the recorded events:\n{}\n--- server output:\n{}",
        problems.join("\n"),
        server.printed()
    );
}

/// The keys of `value` at every depth (`requestContext.identity.sourceIp`), skipping the
/// contents of the maps whose keys are the client's or the stage's (headers, query, path
/// parameters, stage variables).
fn shape(value: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    const CLIENTS: &[&str] = &[
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    ];
    if let Value::Object(map) = value {
        for (key, inner) in map {
            let path = format!("{prefix}{key}");
            out.insert(path.clone());
            if !CLIENTS.contains(&key.as_str()) {
                shape(inner, &format!("{path}."), out);
            }
        }
    }
}

fn shape_of(value: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    shape(value, "", &mut out);
    out
}

#[test]
fn generated_sample_events_have_the_shape_of_the_gateways_own() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let generate = |args: &[&str]| -> Value {
        let out = support::run(&support::repo_root(), args, b"");
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let body = br#"{"test":"body"}"#;
    let json = [("Content-Type".to_string(), "application/json".to_string())];

    let reply = send(
        &server.base_url,
        "POST",
        "/prod/path/to/resource?foo=bar",
        &json,
        body,
    );
    let served = &echoed("REST", &reply)["event"];
    let generated = generate(&[
        "local",
        "generate-event",
        "apigateway",
        "aws-proxy",
        "--stage",
        "prod",
    ]);
    assert_eq!(
        shape_of(&generated),
        shape_of(served),
        "{generated:#}\n{served:#}"
    );
    for key in [
        "path",
        "httpMethod",
        "resource",
        "pathParameters",
        "body",
        "queryStringParameters",
    ] {
        assert_eq!(generated[key], served[key], "{key}");
    }
    for key in ["path", "resourcePath", "stage", "httpMethod"] {
        assert_eq!(
            generated["requestContext"][key], served["requestContext"][key],
            "requestContext.{key}"
        );
    }

    let reply = send(
        &server.base_url,
        "POST",
        "/path/to/resource?foo=bar",
        &json,
        body,
    );
    let served = &echoed("HTTP API", &reply)["event"];
    let generated = generate(&[
        "generate-event",
        "apigateway",
        "http-api-proxy",
        "--querystringparameters",
        r#"{"foo": "bar"}"#,
    ]);
    assert_eq!(
        shape_of(&generated),
        shape_of(served),
        "{generated:#}\n{served:#}"
    );
    for key in [
        "rawPath",
        "rawQueryString",
        "routeKey",
        "body",
        "queryStringParameters",
    ] {
        assert_eq!(generated[key], served[key], "{key}");
    }
}
