//! Events and answers compared field by field with data recorded on AWS (`../shared/conformance`).

mod support;

use lambdagate_model::{ApiKind, PayloadFormat};
use serde_json::Value;
use support::*;

/// The REST app of LocalStack's `test_lambda_aws_proxy_integration`: stage `stage`,
/// `ANY /{proxy+}` and `GET /hardcoded` on one echo function.
fn recorded_rest_app() -> lambdagate_model::Application {
    application(
        vec![function("Echo", 3)],
        vec![api(
            "RestApi",
            ApiKind::Rest,
            "stage",
            vec![
                lambda_route("ANY", "/{proxy+}", "Echo", PayloadFormat::V1),
                lambda_route("GET", "/hardcoded", "Echo", PayloadFormat::V1),
            ],
        )],
    )
}

const CLIENT_HEADERS: &[(&str, &str)] = &[
    ("Host", "abc123defg.execute-api.us-east-1.amazonaws.com"),
    ("User-Agent", "python-requests/testing"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
    ("tEsT-HEADeR", "aValUE"),
    ("aUThorization", "random-value"),
];

#[tokio::test]
async fn rest_proxy_events_match_recorded_aws_events() {
    let recorded = fixture("rest-recorded/test_apigateway_lambda.snapshot.json");
    let recorded = &recorded["tests/aws/services/apigateway/test_apigateway_lambda.py::test_lambda_aws_proxy_integration"]
        ["recorded-content"];
    let gw = gateway(&recorded_rest_app(), true, Behaviour::Echo);
    let params = "dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com\
                  &plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar\
                  &zhash=abort/";
    let cases = [
        (
            "invocation-payload-without-trailing-slash",
            "GET",
            "/stage/proxy-value".to_string(),
        ),
        (
            "invocation-payload-with-trailing-slash",
            "GET",
            "/stage/proxy-value/".to_string(),
        ),
        (
            "invocation-payload-with-double-slash",
            "GET",
            "/stage/proxy-value//double-slash".to_string(),
        ),
        (
            "invocation-payload-with-prepended-slash-to-stage",
            "GET",
            "//stage/proxy-value".to_string(),
        ),
        (
            "invocation-payload-with-prepended-slash",
            "GET",
            "/stage//proxy-value".to_string(),
        ),
        (
            "invocation-payload-without-trailing-slash-and-query-params",
            "GET",
            "/stage/proxy-value?urlparam=test".to_string(),
        ),
        (
            "invocation-payload-with-trailing-slash-and-query-params",
            "GET",
            "/stage/proxy-value/?urlparam=test".to_string(),
        ),
        (
            "invocation-payload-with-path-encoded-email",
            "GET",
            "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"
                .to_string(),
        ),
        (
            "invocation-payload-with-params-encoding",
            "GET",
            format!("/stage/proxy-value/api?{params}"),
        ),
        (
            "invocation-payload-with-params-encoding-multi",
            "POST",
            "/stage/proxy-value?category=electronics&category=books&price=10&price=20&price=30"
                .to_string(),
        ),
        (
            "invocation-hardcoded",
            "GET",
            "/stage//hardcoded".to_string(),
        ),
    ];
    for (name, method, target) in cases {
        let expected = &recorded[name];
        let body = if method == "POST" {
            r#"{"message": "hello world"}"#
        } else {
            ""
        };
        let mut headers = CLIENT_HEADERS.to_vec();
        if method == "POST" {
            // This case of the recorded test sent no custom header.
            headers.retain(|(n, _)| *n != "tEsT-HEADeR");
            headers.push(("Content-Type", "application/json"));
            headers.push(("Content-Length", "26"));
        }
        let reply = gw.handle(request(method, &target, &headers, body)).await;
        let event: Value = echoed(&reply);
        assert_eq!(keys(&event), keys(expected), "{name}: top-level keys");
        for field in [
            "resource",
            "path",
            "httpMethod",
            "pathParameters",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "stageVariables",
            "isBase64Encoded",
        ] {
            assert_eq!(event[field], expected[field], "{name}: {field}");
        }
        if method == "GET" {
            assert_eq!(event["body"], Value::Null, "{name}: body");
        } else {
            // The recorder parsed the JSON body; compare parsed.
            let sent: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
            assert_eq!(sent, expected["body"], "{name}: body");
        }
        // Header names: ours must be a subset of AWS's (CloudFront adds more), with the same
        // casing, and every client header AWS passed must be there.
        let ours = keys(&event["headers"]);
        let theirs = keys(&expected["headers"]);
        assert!(
            ours.is_subset(&theirs),
            "{name}: extra headers {:?}",
            ours.difference(&theirs)
        );
        for h in [
            "Accept",
            "Accept-Encoding",
            "Authorization",
            "Host",
            "User-Agent",
            "X-Amzn-Trace-Id",
            "X-Forwarded-For",
            "X-Forwarded-Port",
            "X-Forwarded-Proto",
        ] {
            assert!(ours.contains(h), "{name}: missing header {h}");
        }
        assert_eq!(ours.contains("tEsT-HEADeR"), theirs.contains("tEsT-HEADeR"));
        assert_eq!(
            keys(&event["multiValueHeaders"]),
            ours,
            "{name}: multiValueHeaders"
        );
        assert_eq!(
            event["headers"]["tEsT-HEADeR"],
            expected["headers"]["tEsT-HEADeR"]
        );
        assert_eq!(event["headers"]["Authorization"], "random-value");
        assert_eq!(
            event["multiValueHeaders"]["Accept"],
            serde_json::json!(["*/*"])
        );
        let ctx = &event["requestContext"];
        let exp = &expected["requestContext"];
        assert_eq!(keys(ctx), keys(exp), "{name}: requestContext keys");
        assert_eq!(
            keys(&ctx["identity"]),
            keys(&exp["identity"]),
            "{name}: identity keys"
        );
        for field in ["httpMethod", "path", "protocol", "resourcePath", "stage"] {
            assert_eq!(ctx[field], exp[field], "{name}: requestContext.{field}");
        }
        assert_eq!(ctx["identity"]["sourceIp"], "203.0.113.7");
        assert_eq!(ctx["identity"]["userAgent"], exp["identity"]["userAgent"]);
        assert_eq!(ctx["identity"]["caller"], Value::Null);
        assert!(ctx["requestTimeEpoch"].is_u64());
        assert_eq!(ctx["requestId"].as_str().unwrap().len(), 36);
        assert_eq!(ctx["extendedRequestId"].as_str().unwrap().len(), 16);
        assert_eq!(ctx["domainPrefix"], "abc123defg");
        // The trace id the function got is the one in the event and in the response header.
        let trace = event["headers"]["X-Amzn-Trace-Id"].as_str().unwrap();
        assert_eq!(header(&reply, "x-trace-seen"), Some(trace));
        assert_eq!(header(&reply, "X-Amzn-Trace-Id"), Some(trace));
        assert_eq!(
            header(&reply, "x-amzn-RequestId"),
            ctx["requestId"].as_str()
        );
    }
}

#[tokio::test]
async fn rest_routing_errors_match_recorded_answers() {
    let recorded = fixture("rest-recorded/test_apigateway_common.snapshot.json");
    let recorded = &recorded["tests/aws/services/apigateway/test_apigateway_common.py::TestApigatewayRouting::test_routing_not_found"]
        ["recorded-content"];
    let app = application(
        vec![function("Echo", 3)],
        vec![api(
            "RestApi",
            ApiKind::Rest,
            "dev",
            vec![lambda_route(
                "GET",
                "/existing-route",
                "Echo",
                PayloadFormat::V1,
            )],
        )],
    );
    let gw = gateway(
        &app,
        true,
        Behaviour::Raw(r#"{"statusCode":200,"body":"{\"message\":\"exists\"}"}"#),
    );
    let ok = gw
        .handle(request("GET", "/dev/existing-route", &[], ""))
        .await;
    assert_eq!(ok.status, 200);
    let body: Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!(body["message"], recorded["working-route"]["message"]);
    for (name, method, path) in [
        ("not-found", "GET", "/dev/random-route"),
        ("wrong-method", "POST", "/dev/existing-route"),
    ] {
        let reply = gw.handle(request(method, path, &[], "")).await;
        assert_eq!(reply.status, 403, "{name}");
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body, recorded[name]["content"], "{name}");
        assert_eq!(
            header(&reply, "x-amzn-ErrorType"),
            recorded[name]["errorType"].as_str()
        );
    }
    // An unknown stage.
    let reply = gw
        .handle(request("GET", "/prod/existing-route", &[], ""))
        .await;
    assert_eq!(
        (reply.status, &reply.body[..]),
        (403, &br#"{"message":"Forbidden"}"#[..])
    );
}

#[tokio::test]
async fn rest_proxy_response_validation_matches_recorded_answers() {
    let recorded = fixture("rest-recorded/test_apigateway_lambda.snapshot.json");
    let recorded = &recorded["tests/aws/services/apigateway/test_apigateway_lambda.py::test_aws_proxy_response_payload_format_validation"]
        ["recorded-content"];
    let app = application(
        vec![function("Echo", 3)],
        vec![api(
            "RestApi",
            ApiKind::Rest,
            "test",
            vec![lambda_route("ANY", "/test", "Echo", PayloadFormat::V1)],
        )],
    );
    let cases: [(&str, &'static str, u16); 13] = [
        ("invoke-api-no-body", r#"{"statusCode": 200}"#, 200),
        (
            "invoke-api-with-headers",
            r#"{"statusCode": 200, "headers": {"test-header": "value", "header-bool": true}}"#,
            200,
        ),
        (
            "invoke-api-with-headers-null",
            r#"{"statusCode": 200, "headers": null}"#,
            200,
        ),
        (
            "invoke-api-wrong-format",
            r#"{"statusCode": 200, "wrongValue": "value"}"#,
            502,
        ),
        (
            "invoke-api-b64-encoded-true",
            r#"{"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": true}"#,
            200,
        ),
        (
            "invoke-api-b64-encoded-false",
            r#"{"statusCode": 200, "body": "dGVzdC1kYXRh"}"#,
            200,
        ),
        (
            "invoke-api-multi-headers-valid",
            r#"{"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}}"#,
            200,
        ),
        (
            "invoke-api-multi-headers-overwrite",
            r#"{"statusCode": 200, "multiValueHeaders": {"test-multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}}"#,
            200,
        ),
        (
            "invoke-api-multi-headers-overwrite-casing",
            r#"{"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}}"#,
            200,
        ),
        (
            "invoke-api-multi-headers-invalid",
            r#"{"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}}"#,
            502,
        ),
        (
            "invoke-api-invalid-status-code",
            r#"{"statusCode": "test"}"#,
            502,
        ),
        (
            "invoke-api-status-code-str",
            r#"{"statusCode": "201"}"#,
            201,
        ),
        ("invoke-api-just-string", r#""justAString""#, 502),
    ];
    for (name, answer, status) in cases {
        let gw = gateway(&app, true, Behaviour::Raw(answer));
        let reply = gw
            .handle(request(
                "POST",
                "/test/test",
                &[("User-Agent", "python/test")],
                "{}",
            ))
            .await;
        assert_eq!(reply.status, status, "{name}");
        let expected = &recorded[name];
        match &expected["content"] {
            Value::String(s) => assert_eq!(String::from_utf8_lossy(&reply.body), *s, "{name}"),
            other => assert_eq!(
                serde_json::from_slice::<Value>(&reply.body).unwrap(),
                *other,
                "{name}"
            ),
        }
        if let Some(headers) = expected["headers"].as_object() {
            for (h, v) in headers {
                let ours: Vec<&str> = reply
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(h))
                    .map(|(_, v)| v.as_str())
                    .collect();
                match h.as_str() {
                    // Set by the HTTP layer or CloudFront, not by the pipeline.
                    "Connection" | "Content-Length" | "Date" | "Via" | "X-Cache"
                    | "X-Amz-Cf-Id" | "X-Amz-Cf-Pop" => {}
                    "X-Amzn-Trace-Id" | "x-amz-apigw-id" | "x-amzn-RequestId" => {
                        assert_eq!(ours.len(), 1, "{name}: {h}")
                    }
                    // The recorder's client joined repeated headers with ", ".
                    _ => {
                        assert_eq!(ours.join(", "), v.as_str().unwrap(), "{name}: {h}");
                        assert!(
                            reply.headers.iter().any(|(n, _)| n == h),
                            "{name}: casing of {h}"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn http_api_v2_event_matches_captured_event() {
    let expected = fixture("lambda-events/example-apigw-v2-request-no-authorizer.json");
    let app = application(
        vec![function("Echo", 3)],
        vec![api(
            "HttpApi",
            ApiKind::Http,
            "$default",
            vec![lambda_route("ANY", "$default", "Echo", PayloadFormat::V2)],
        )],
    );
    let gw = gateway(&app, true, Behaviour::Echo);
    let reply = gw
        .handle(request(
            "GET",
            "/",
            &[
                ("Host", "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"),
                ("User-Agent", "curl/7.58.0"),
                // curl sends no Content-Length on a GET; the captured event has one.
                ("Accept", "*/*"),
            ],
            "",
        ))
        .await;
    let event = echoed(&reply);
    assert_eq!(keys(&event), keys(&expected));
    for field in [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "isBase64Encoded",
    ] {
        assert_eq!(event[field], expected[field], "{field}");
    }
    assert_eq!(keys(&event["headers"]), keys(&expected["headers"]));
    assert_eq!(event["headers"]["content-length"], "0");
    let mut expected_ctx = keys(&expected["requestContext"]);
    expected_ctx.remove("authentication"); // mutual TLS only
    assert_eq!(keys(&event["requestContext"]), expected_ctx);
    assert_eq!(
        keys(&event["requestContext"]["http"]),
        keys(&expected["requestContext"]["http"])
    );
    for field in ["routeKey", "stage", "domainName", "domainPrefix"] {
        assert_eq!(
            event["requestContext"][field], expected["requestContext"][field],
            "{field}"
        );
    }
    let request_id = event["requestContext"]["requestId"].as_str().unwrap();
    assert_eq!(
        request_id.len(),
        expected["requestContext"]["requestId"]
            .as_str()
            .unwrap()
            .len()
    );
    assert_eq!(header(&reply, "apigw-requestid"), Some(request_id));
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "203.0.113.7");
    assert_eq!(event["requestContext"]["http"]["userAgent"], "curl/7.58.0");
}
