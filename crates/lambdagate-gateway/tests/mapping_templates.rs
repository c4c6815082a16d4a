//! Mapping templates in the pipeline: Lambda custom integrations and mocks reproducing the
//! recorded AWS answers in `rest-recorded/` (`test_apigateway_lambda`,
//! `test_apigateway_integrations`, `test_apigateway_common`), with our own templates.

mod support;

use std::sync::Arc;

use bytes::Bytes;
use lambdagate_gateway::{Addressing, CompiledApp, FnBackend, Gateway, Reply};
use lambdagate_lambda::{Invocation, InvocationResult, Outcome};
use lambdagate_model::*;
use serde_json::{Value, json};
use support::*;

/// `Echo` answers its payload; `Select` fails with the payload's `message` unless it is `Pass`.
fn gateway_for(app: &Application) -> Gateway {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    let backend = FnBackend(|function: String, invocation: Invocation| async move {
        let payload: Value = serde_json::from_slice(&invocation.payload).unwrap();
        let outcome = match function.as_str() {
            "Select" => match payload["message"].as_str() {
                Some("Pass") | None => Outcome::Response(Bytes::from_static(b"\"Pass\"")),
                Some(message) => Outcome::Error {
                    error_type: "Unhandled".into(),
                    payload: Bytes::from(
                        json!({"errorMessage": message, "errorType": "Exception", "requestId": "r", "stackTrace": ["  File \"/var/task/app.py\", line 7, in handler\n"]})
                            .to_string(),
                    ),
                },
            },
            _ => Outcome::Response(Bytes::from(payload.to_string())),
        };
        Ok(InvocationResult {
            request_id: "r".into(),
            outcome,
        })
    });
    Gateway::new(compiled, Arc::new(backend))
}

fn response(status: u16, pattern: Option<&str>, templates: &[(&str, &str)]) -> IntegrationResponse {
    IntegrationResponse {
        status_code: status,
        selection_pattern: pattern.map(str::to_string),
        response_parameters: Vec::new(),
        response_templates: templates
            .iter()
            .map(|(c, t)| (c.to_string(), t.to_string()))
            .collect(),
        content_handling: None,
    }
}

fn custom_route(method: &str, path: &str, function: &str, integration: Integration) -> Route {
    Route {
        integration: Integration {
            kind: IntegrationType::Aws,
            target: IntegrationTarget::Function(function.into()),
            http_method: Some("POST".into()),
            ..integration
        },
        ..lambda_route(method, path, function, PayloadFormat::V1)
    }
}

fn mock_route(method: &str, path: &str, integration: Integration) -> Route {
    Route {
        integration: Integration {
            kind: IntegrationType::Mock,
            target: IntegrationTarget::None,
            ..integration
        },
        ..lambda_route(method, path, "Echo", PayloadFormat::V1)
    }
}

fn templates(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(c, t)| (c.to_string(), t.to_string()))
        .collect()
}

fn app(routes: Vec<Route>) -> Application {
    application(
        vec![function("Echo", 3), function("Select", 3)],
        vec![api("RestApi", ApiKind::Rest, "Prod", routes)],
    )
}

fn text(reply: &Reply) -> &str {
    std::str::from_utf8(&reply.body).unwrap()
}

fn json_body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", text(reply)))
}

fn recorded(file: &str, test: &str) -> Value {
    let all = fixture(&format!("rest-recorded/{file}.snapshot.json"));
    let key = all
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.ends_with(&format!("::{test}")))
        .unwrap_or_else(|| panic!("no recording {test}"))
        .clone();
    all[key]["recorded-content"].clone()
}

#[tokio::test]
async fn lambda_custom_integration_passes_and_maps_bodies() {
    let recorded_plain = recorded("test_apigateway_lambda", "test_lambda_aws_integration");
    let recorded_template = recorded(
        "test_apigateway_lambda",
        "test_lambda_aws_integration_with_request_template",
    );
    let plain = Integration {
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let with_template = Integration {
        request_templates: templates(&[(
            "application/json",
            r##"{"param1": "$input.params('param1')"}"##,
        )]),
        integration_responses: vec![response(200, Some(""), &[])],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![
        custom_route("POST", "/plain", "Echo", plain),
        custom_route("GET", "/templated", "Echo", with_template),
    ]));
    // No template: the body is the payload, the function's answer the body.
    let reply = gw
        .handle(request("POST", "/Prod/plain", &[], r##"{"message": "hello world"}"##))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(json_body(&reply), recorded_plain["lambda-aws-integration"]);
    assert_eq!(header(&reply, "content-type"), Some("application/json"));
    assert!(header(&reply, "x-amzn-RequestId").is_some());
    assert!(header(&reply, "X-Amzn-Trace-Id").is_some());
    for target in ["/Prod/templated?param1=foobar", "/Prod/templated?param1=other&param1=foobar"] {
        let reply = gw.handle(request("GET", target, &[], "")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            json_body(&reply),
            recorded_template["lambda-aws-integration-1"]
        );
    }
}

#[tokio::test]
async fn lambda_errors_select_responses_by_error_message() {
    let recorded = recorded("test_apigateway_lambda", "test_lambda_selection_patterns");
    let integration = Integration {
        request_templates: templates(&[("application/json", r##"{"message": "$input.params('m')"}"##)]),
        integration_responses: vec![
            response(200, None, &[]),
            response(405, Some(".*four hundred.*"), &[]),
            response(502, Some(".+"), &[]),
            // Status codes are never matched for Lambda: this one never selects.
            response(504, Some("200"), &[]),
        ],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![custom_route("GET", "/select", "Select", integration)]));
    let reply = gw.handle(request("GET", "/Prod/select?m=Pass", &[], "")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(json_body(&reply), recorded["lambda-selection-pattern-200"]);
    let reply = gw
        .handle(request(
            "GET",
            "/Prod/select?m=Error:+Raising+four+hundred+from+within+the+Lambda+function",
            &[],
            "",
        ))
        .await;
    assert_eq!(reply.status, 405);
    let body = json_body(&reply);
    assert_eq!(body["errorMessage"], recorded["lambda-selection-pattern-400"]["errorMessage"]);
    assert_eq!(body["errorType"], "Exception");
    let reply = gw
        .handle(request(
            "GET",
            "/Prod/select?m=Error:+Raising+five+hundred+from+within+the+Lambda+function",
            &[],
            "",
        ))
        .await;
    assert_eq!(reply.status, 502);
    assert_eq!(
        json_body(&reply)["errorMessage"],
        recorded["lambda-selection-pattern-500"]["errorMessage"]
    );
}

#[tokio::test]
async fn errors_without_a_matching_pattern_or_default() {
    // Only patterns, none matching: API Gateway answers 500 (API configuration error).
    let integration = Integration {
        request_templates: templates(&[("application/json", r##"{"message": "$input.params('m')"}"##)]),
        integration_responses: vec![response(400, Some("bad.*"), &[])],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![custom_route("GET", "/e", "Select", integration)]));
    let reply = gw.handle(request("GET", "/Prod/e?m=other", &[], "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(text(&reply), r##"{"message": "Internal server error"}"##);
    let reply = gw.handle(request("GET", "/Prod/e?m=bad+input", &[], "")).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn response_templates_override_the_status() {
    let recorded = recorded(
        "test_apigateway_lambda",
        "test_lambda_aws_integration_response_with_mapping_templates",
    );
    let template = r##"#set($body = $input.path('$'))
#if($body.body == "customerror")
#set($context.responseOverride.status = 400)
#else
#set($context.responseOverride.status = 202)
#end
$input.json('$')"##;
    let integration = Integration {
        integration_responses: vec![response(200, None, &[("application/json", template)])],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![custom_route("POST", "/r", "Echo", integration)]));
    for (sent, key) in [("noerror", "response-template-202"), ("customerror", "response-template-400")] {
        let reply = gw
            .handle(request(
                "POST",
                "/Prod/r",
                &[("Content-Type", "application/json")],
                &json!({"statusCode": 200, "body": sent}).to_string(),
            ))
            .await;
        assert_eq!(u64::from(reply.status), recorded[key]["statusCode"].as_u64().unwrap());
        assert_eq!(json_body(&reply), recorded[key]["body"]);
    }
}

#[tokio::test]
async fn passthrough_behaviours_and_415() {
    let with = |behavior, templated: bool| Integration {
        passthrough_behavior: behavior,
        request_templates: if templated {
            templates(&[("application/json", r##"{"wrapped": $input.json('$')}"##)])
        } else {
            Vec::new()
        },
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![
        custom_route("POST", "/match", "Echo", with(PassthroughBehavior::WhenNoMatch, true)),
        custom_route("POST", "/templates", "Echo", with(PassthroughBehavior::WhenNoTemplates, true)),
        custom_route("POST", "/none", "Echo", with(PassthroughBehavior::WhenNoTemplates, false)),
        custom_route("POST", "/never", "Echo", with(PassthroughBehavior::Never, false)),
    ]));
    let send = |path: &'static str, ct: &'static str| {
        gw.handle(request("POST", path, &[("Content-Type", ct)], r##"{"a":1}"##))
    };
    // A matching template transforms (charset parameters do not matter).
    let reply = send("/Prod/match", "application/json; charset=UTF-8").await;
    assert_eq!(json_body(&reply), json!({"wrapped": {"a": 1}}));
    let reply = send("/Prod/match", "text/plain").await;
    assert_eq!(json_body(&reply), json!({"a": 1}));
    for path in ["/Prod/templates", "/Prod/never"] {
        let reply = send(path, "text/plain").await;
        assert_eq!(reply.status, 415, "{path}");
        assert_eq!(text(&reply), r##"{"message":"Unsupported Media Type"}"##);
    }
    let reply = send("/Prod/none", "text/plain").await;
    assert_eq!(json_body(&reply), json!({"a": 1}));
}

#[tokio::test]
async fn mocks_select_by_status_and_carry_overrides() {
    let map_assign = recorded("test_apigateway_integrations", "test_integration_mock_with_vtl_map_assignation");
    let overrides = recorded(
        "test_apigateway_integrations",
        "test_integration_mock_with_response_override_in_request_template[True]",
    );
    let request_paths = recorded(
        "test_apigateway_integrations",
        "test_integration_mock_with_request_overrides_in_response_template",
    );
    let several = Integration {
        request_templates: templates(&[(
            "application/json",
            r##"#if($input.params('fail') == "yes"){"statusCode": 404}#else{statusCode: 200}#end"##,
        )]),
        integration_responses: vec![
            IntegrationResponse {
                response_parameters: vec![
                    ("method.response.header.X-Static".into(), "'static'".into()),
                    ("method.response.header.X-Stage".into(), "stageVariables.v".into()),
                ],
                ..response(200, None, &[("application/json", r##"{"id": 42, "statusCode": 200}"##)])
            },
            response(404, Some("404"), &[("application/json", r##"{"message": "not found: $input.params('fail')"}"##)]),
        ],
        ..Integration::mock()
    };
    let map = Integration {
        request_templates: templates(&[("application/json", r##"{"statusCode": 200}"##)]),
        integration_responses: vec![response(
            200,
            None,
            &[(
                "application/json",
                r##"#set($m = {"foo": "bar"})
#set($m.put2 = "putBar")
#set($nested = {"inner": {}})
#set($nested.inner.foo = "nestedFoo")
{"value": "$m.foo", "value2": "$m.put2", "value3": "$nested.inner.foo"}"##,
            )],
        )],
        ..Integration::mock()
    };
    let override_status = |with_template: bool| Integration {
        request_templates: templates(&[(
            "application/json",
            r##"{"statusCode": 200}
#set($context.responseOverride.status = 444)
#set($context.responseOverride.header.foo = "bar")"##,
        )]),
        integration_responses: vec![response(
            200,
            None,
            if with_template {
                &[(
                    "application/json",
                    r##"{"custom": "is also passed around", "fooHeader": "$context.responseOverride.header.foo", "statusOverride": "$context.responseOverride.status"}"##,
                )]
            } else {
                &[]
            },
        )],
        ..Integration::mock()
    };
    let paths = Integration {
        request_templates: templates(&[(
            "application/json",
            r##"#set($context.requestOverride.path.which = $input.params('which'))
{"statusCode": 200}"##,
        )]),
        integration_responses: vec![response(
            200,
            None,
            &[(
                "application/json",
                r##"#set($p = $context.requestOverride.path.which)
#if($p == "path1")
{"response": "path was path one"}
#elseif($p == "path2")
{"response": "path was path two"}
#else
{"response": "this is the else clause"}
#end"##,
            )],
        )],
        ..Integration::mock()
    };
    let mut app = app(vec![
        mock_route("GET", "/several", several),
        mock_route("GET", "/map", map),
        mock_route("GET", "/override", override_status(true)),
        mock_route("GET", "/override-bare", override_status(false)),
        mock_route("GET", "/paths/{which}", paths),
    ]);
    app.apis[0].stages[0].variables.insert("v".into(), "stage-value".into());
    let gw = gateway_for(&app);
    let reply = gw.handle(request("GET", "/Prod/several", &[], "")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(json_body(&reply), json!({"id": 42, "statusCode": 200}));
    assert_eq!(header(&reply, "X-Static"), Some("static"));
    assert_eq!(header(&reply, "X-Stage"), Some("stage-value"));
    let reply = gw.handle(request("GET", "/Prod/several?fail=yes", &[], "")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(json_body(&reply), json!({"message": "not found: yes"}));

    let reply = gw.handle(request("GET", "/Prod/map", &[], "")).await;
    assert_eq!(u64::from(reply.status), map_assign["response"]["status_code"].as_u64().unwrap());
    assert_eq!(json_body(&reply), map_assign["response"]["body"]);

    let reply = gw.handle(request("GET", "/Prod/override", &[], "")).await;
    assert_eq!(reply.status, 444);
    assert_eq!(json_body(&reply), overrides["response"]["body"]);
    assert_eq!(header(&reply, "foo"), Some("bar"));
    let reply = gw.handle(request("GET", "/Prod/override-bare", &[], "")).await;
    assert_eq!(reply.status, 444);
    assert_eq!(text(&reply), "");

    for (path, key) in [("path1", "invoke-path1"), ("path2", "invoke-path2"), ("other", "invoke-path-else")] {
        let reply = gw.handle(request("GET", &format!("/Prod/paths/{path}"), &[], "")).await;
        assert_eq!(json_body(&reply), request_paths[key], "{path}");
    }
}

#[tokio::test]
async fn input_path_prints_maps_java_style_and_lists_as_json() {
    let recorded = recorded("test_apigateway_common", "test_input_path_template_formatting");
    let template = r##"$input.path('$.body')"##;
    // The function echoes the payload; the response template prints `$input.path('$.body')`.
    let echo = |t: &str| Integration {
        integration_responses: vec![response(200, None, &[("application/json", t)])],
        ..Integration::mock()
    };
    let empties = r##"{"body": $input.path('$.body'), "nested": $input.path('$.body.nested'), "isNull": "#if($input.path('$.body') == $null)true#{else}false#end", "isEmptyString": "#if($input.path('$.body') == "")true#{else}false#end"}"##;
    let gw = gateway_for(&app(vec![
        custom_route("POST", "/print", "Echo", echo(template)),
        custom_route("POST", "/empties", "Echo", echo(empties)),
    ]));
    for (body, key) in [
        (json!({"foo": "bar"}), "dict-response"),
        (json!([{"foo": "bar"}]), "json-list"),
        (json!({"foo": [{"nested": "bar"}]}), "dict-with-nested-list"),
        (json!({"bigger": "dict", "to": "test", "with": "separators"}), "bigger-dict"),
    ] {
        let reply = gw
            .handle(request("POST", "/Prod/print", &[], &json!({"body": body}).to_string()))
            .await;
        assert_eq!(text(&reply), recorded[key].as_str().unwrap(), "{key}");
    }
    for (body, key) in [
        (json!({}), "empty-body"),
        (json!({"body": []}), "nested-empty-list"),
        (json!({"body": null}), "nested-null-list"),
    ] {
        let reply = gw
            .handle(request("POST", "/Prod/empties", &[], &body.to_string()))
            .await;
        assert_eq!(text(&reply), recorded[key].as_str().unwrap(), "{key}");
    }
}

#[tokio::test]
async fn util_and_request_parameters() {
    let recorded = recorded("test_apigateway_common", "test_input_body_formatting");
    let url = Integration {
        request_templates: templates(&[(
            "application/json",
            r##"{"encoded": "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$!input.body.missing", "raw": "$util.escapeJavaScript($input.body)", "b64": "$util.base64Encode('hi')", "header": "$input.params('X-Thing')", "ctx": "$context.httpMethod $context.resourcePath $context.stage", "parsed": "$util.parseJson('{"k": "v"}').k"}"##,
        )]),
        request_parameters: vec![(
            "integration.request.header.X-Amz-Invocation-Type".into(),
            "method.request.header.X-Invoke".into(),
        )],
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let gw = gateway_for(&app(vec![custom_route("POST", "/util", "Echo", url)]));
    for (sent, key) in [
        ("", "empty-body"),
        (r##"{"some": "value"}"##, "json-body"),
        ("some raw data", "str-body"),
    ] {
        let reply = gw
            .handle(request("POST", "/Prod/util", &[("X-Thing", "thing")], sent))
            .await;
        let body = json_body(&reply);
        let expected = recorded["response-url-encode"][key].as_str().unwrap();
        let expected = expected.trim_start_matches("b'").trim_end_matches('\'');
        assert_eq!(body["encoded"], expected, "{key}");
        assert_eq!(body["b64"], "aGk=");
        assert_eq!(body["header"], "thing");
        assert_eq!(body["ctx"], "POST /util Prod");
        assert_eq!(body["parsed"], "v");
    }
    // An `Event` invocation answers at once with the default response and an empty body.
    let reply = gw
        .handle(request("POST", "/Prod/util", &[("X-Invoke", "Event")], "{}"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(text(&reply), "");
}

#[tokio::test]
async fn broken_templates_are_reported_and_answer_500() {
    let broken = Integration {
        request_templates: templates(&[("application/json", "#if($x\n{}")]),
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let bad_pattern = Integration {
        integration_responses: vec![response(200, None, &[]), response(400, Some("(unclosed"), &[])],
        ..Integration::mock()
    };
    let endless = Integration {
        request_templates: templates(&[(
            "application/json",
            "#foreach($i in [1..1001])#end{\"statusCode\": 200}",
        )]),
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let invalid_payload = Integration {
        request_templates: templates(&[("application/json", "not json")]),
        integration_responses: vec![response(200, None, &[])],
        ..Integration::mock()
    };
    let app = app(vec![
        custom_route("GET", "/broken", "Echo", broken),
        mock_route("GET", "/pattern", bad_pattern),
        mock_route("GET", "/endless", endless),
        custom_route("GET", "/invalid", "Echo", invalid_payload),
    ]);
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    let warnings = compiled.warnings().join("\n");
    assert!(warnings.contains("line 2, column 1"), "{warnings}");
    assert!(warnings.contains("(unclosed"), "{warnings}");
    let gw = gateway_for(&app);
    for path in ["/Prod/broken", "/Prod/pattern", "/Prod/endless", "/Prod/invalid"] {
        let reply = gw.handle(request("GET", path, &[], "")).await;
        assert_eq!(reply.status, 500, "{path}");
        assert_eq!(text(&reply), r##"{"message": "Internal server error"}"##, "{path}");
    }
}
