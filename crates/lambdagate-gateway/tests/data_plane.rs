//! The data plane's features over a model built in Rust: customized gateway responses, several
//! stages per API, canary releases, custom domains and stage-variable functions.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use lambdagate_gateway::{
    Addressing, CompileError, CompiledApp, FnBackend, Gateway, ManualClock, Reply, Snapshot,
};
use lambdagate_lambda::{Invocation, InvocationResult, Outcome};
use lambdagate_model::*;
use serde_json::Value;
use support::*;

/// A gateway whose functions echo `{function, event}`; `fail` makes `Broken` fail.
fn echo_gateway(app: &Application, seed: u64) -> Gateway {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    let backend = FnBackend(|function: String, invocation: Invocation| async move {
        let outcome = if function == "Broken" {
            Outcome::Error {
                error_type: "Unhandled".into(),
                payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
            }
        } else {
            let event: Value = serde_json::from_slice(&invocation.payload).unwrap();
            let body = serde_json::json!({"function": function, "event": event}).to_string();
            Outcome::Response(Bytes::from(
                serde_json::json!({"statusCode": 200, "body": body}).to_string(),
            ))
        };
        Ok(InvocationResult {
            request_id: "r".into(),
            outcome,
        })
    });
    Gateway::with_clock(
        Snapshot::new(compiled, Some(seed)),
        Arc::new(backend),
        Arc::new(ManualClock::at(1_700_000_000_000)),
    )
}

fn body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&reply.body)))
}

fn gateway_response(
    kind: ResponseType,
    status: Option<u16>,
    parameters: &[(&str, &str)],
    template: Option<&str>,
) -> GatewayResponse {
    GatewayResponse {
        response_type: kind,
        status_code: status,
        response_parameters: parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        response_templates: template
            .map(|t| vec![("application/json".to_string(), t.to_string())])
            .unwrap_or_default(),
        source: SourceLocation::default(),
    }
}

fn rest_app(responses: Vec<GatewayResponse>) -> Application {
    let mut api = api(
        "RestApi",
        ApiKind::Rest,
        "Prod",
        vec![
            lambda_route("GET", "/items/{id}", "Echo", PayloadFormat::V1),
            lambda_route("GET", "/broken", "Broken", PayloadFormat::V1),
        ],
    );
    api.gateway_responses = responses;
    api.stages[0]
        .variables
        .insert("greeting".into(), "hi".into());
    application(vec![function("Echo", 3), function("Broken", 3)], vec![api])
}

#[tokio::test]
async fn customized_gateway_responses() {
    let template = r#"{"type":"$context.error.responseType","message":$context.error.messageString,"path":"$context.path","method":"$context.httpMethod","stage":"$context.stage","id":"$context.requestId","greeting":"$stageVariables.greeting"}"#;
    let app = rest_app(vec![
        gateway_response(
            ResponseType::MissingAuthenticationToken,
            Some(404),
            &[
                ("gatewayresponse.header.Access-Control-Allow-Origin", "'*'"),
                (
                    "gatewayresponse.header.X-Asked",
                    "method.request.header.X-Ask",
                ),
                (
                    "gatewayresponse.header.X-Query",
                    "method.request.querystring.q",
                ),
            ],
            Some(template),
        ),
        gateway_response(
            ResponseType::Default5xx,
            None,
            &[("gatewayresponse.header.X-Failed", "'yes'")],
            Some(r#"{"oops":$context.error.messageString}"#),
        ),
    ]);
    let gw = echo_gateway(&app, 1);

    // An unknown route: MISSING_AUTHENTICATION_TOKEN with status, template and headers.
    let reply = gw
        .handle(request(
            "POST",
            "/Prod/nowhere?q=v",
            &[("X-Ask", "please")],
            "",
        ))
        .await;
    assert_eq!(reply.status, 404);
    let json = body(&reply);
    assert_eq!(json["type"], "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(json["message"], "Missing Authentication Token");
    assert_eq!(json["path"], "/Prod/nowhere");
    assert_eq!(json["method"], "POST");
    assert_eq!(json["stage"], "Prod");
    assert_eq!(json["id"], reply.request_id.as_str());
    assert_eq!(json["greeting"], "hi");
    assert_eq!(header(&reply, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&reply, "x-asked"), Some("please"));
    assert_eq!(header(&reply, "x-query"), Some("v"));
    assert_eq!(
        header(&reply, "x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );

    // A function error falls back to the customized DEFAULT_5XX and keeps its 502.
    let reply = gw.handle(request("GET", "/Prod/broken", &[], "")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(&reply.body[..], br#"{"oops":"Internal server error"}"#);
    assert_eq!(header(&reply, "x-failed"), Some("yes"));

    // The unknown stage is not the API's: no gateway response applies.
    let reply = gw.handle(request("GET", "/Nope/items/1", &[], "")).await;
    assert_eq!(reply.status, 403);
    assert_eq!(&reply.body[..], br#"{"message":"Forbidden"}"#);
}

#[tokio::test]
async fn default_4xx_status_applies_to_types_not_customized() {
    let app = rest_app(vec![gateway_response(
        ResponseType::Default4xx,
        Some(418),
        &[],
        None,
    )]);
    let gw = echo_gateway(&app, 1);
    let reply = gw.handle(request("GET", "/Prod/nowhere", &[], "")).await;
    assert_eq!(reply.status, 418);
    // No template of its own: AWS's default template with the type's message.
    assert_eq!(
        &reply.body[..],
        br#"{"message":"Missing Authentication Token"}"#
    );
    // 5xx answers are not touched by DEFAULT_4XX.
    let reply = gw.handle(request("GET", "/Prod/broken", &[], "")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(&reply.body[..], br#"{"message": "Internal server error"}"#);
}

#[test]
fn bad_gateway_response_parameters_are_refused_at_load() {
    let app = rest_app(vec![gateway_response(
        ResponseType::Unauthorized,
        None,
        &[("gatewayresponse.header.X", "integration.response.body")],
        None,
    )]);
    let error = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap_err();
    assert!(matches!(error, CompileError::GatewayResponse(_)), "{error}");
    assert!(error.to_string().contains("UNAUTHORIZED"), "{error}");
}

fn stage(name: &str, variables: &[(&str, &str)]) -> Stage {
    Stage {
        variables: variables
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Stage::named(name, SourceLocation::default())
    }
}

#[tokio::test]
async fn every_stage_is_served_with_its_own_variables() {
    let mut app = rest_app(Vec::new());
    app.apis[0].stages = vec![
        stage("Prod", &[("env", "prod")]),
        stage("dev", &[("env", "dev")]),
    ];
    let mut http = api(
        "HttpApi",
        ApiKind::Http,
        "$default",
        vec![lambda_route("GET", "/things", "Echo", PayloadFormat::V2)],
    );
    http.stages.push(stage("beta", &[("env", "beta")]));
    app.apis.push(http);
    let gw = echo_gateway(&app, 1);
    for (path, env, stage) in [
        ("/Prod/items/1", "prod", "Prod"),
        ("/dev/items/1", "dev", "dev"),
    ] {
        let json = body(&gw.handle(request("GET", path, &[], "")).await);
        assert_eq!(json["event"]["stageVariables"]["env"], env);
        assert_eq!(json["event"]["requestContext"]["stage"], stage);
        assert_eq!(json["event"]["path"], "/items/1");
    }
    let json = body(&gw.handle(request("GET", "/things", &[], "")).await);
    assert_eq!(json["event"]["requestContext"]["stage"], "$default");
    assert!(json["event"].get("stageVariables").is_none());
    let json = body(&gw.handle(request("GET", "/beta/things", &[], "")).await);
    assert_eq!(json["event"]["requestContext"]["stage"], "beta");
    assert_eq!(json["event"]["stageVariables"]["env"], "beta");
    assert_eq!(json["event"]["rawPath"], "/beta/things");
}

fn canary_app(percent: f64) -> Application {
    let mut app = rest_app(Vec::new());
    app.apis[0].stages[0].canary = Some(CanarySettings {
        percent_traffic: percent,
        deployment: None,
        stage_variable_overrides: [("greeting".to_string(), "canary".to_string())]
            .into_iter()
            .collect(),
        use_stage_cache: false,
        source: SourceLocation::default(),
    });
    app
}

async fn canary_share(percent: f64, requests: usize, seed: u64) -> usize {
    let gw = echo_gateway(&canary_app(percent), seed);
    let mut canary = 0;
    let mut deployments = std::collections::HashSet::new();
    for _ in 0..requests {
        let json = body(&gw.handle(request("GET", "/Prod/items/1", &[], "")).await);
        let greeting = json["event"]["stageVariables"]["greeting"]
            .as_str()
            .unwrap();
        deployments.insert((
            greeting.to_string(),
            json["event"]["requestContext"]["deploymentId"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
        if greeting == "canary" {
            canary += 1;
        }
    }
    // The canary runs its own deployment: each variant has one deployment id, and they differ.
    let ids: std::collections::HashSet<_> = deployments.iter().map(|(_, d)| d).collect();
    assert_eq!(ids.len(), deployments.len());
    canary
}

#[tokio::test]
async fn canary_splits_traffic_exactly_at_the_ends_and_fairly_between() {
    assert_eq!(canary_share(0.0, 200, 3).await, 0);
    assert_eq!(canary_share(100.0, 200, 3).await, 200);
    // 400 requests at 50%: the standard deviation is 10, so 150..=250 is five of them.
    let half = canary_share(50.0, 400, 3).await;
    assert!((150..=250).contains(&half), "{half} of 400");
    // The same seed gives the same split.
    assert_eq!(canary_share(50.0, 400, 3).await, half);
}

#[tokio::test]
async fn custom_domains_route_by_host_and_base_path() {
    let mut app = rest_app(Vec::new());
    let http = api(
        "HttpApi",
        ApiKind::Http,
        "$default",
        vec![lambda_route("GET", "/things", "Echo", PayloadFormat::V2)],
    );
    app.apis.push(http);
    let mapping = |api: &str, stage: &str, base: &str| ApiMapping {
        api: api.into(),
        stage: stage.into(),
        base_path: base.into(),
        source: SourceLocation::default(),
    };
    app.domains = vec![
        DomainName {
            domain_name: "api.example.com".into(),
            mappings: vec![
                mapping("RestApi", "Prod", "orders/v1"),
                mapping("HttpApi", "$default", ""),
            ],
            source: SourceLocation::default(),
        },
        DomainName {
            domain_name: "rest.example.com".into(),
            mappings: vec![mapping("RestApi", "Prod", "")],
            source: SourceLocation::default(),
        },
    ];
    let gw = echo_gateway(&app, 1);
    let host = |h: &'static str| [("Host", h)];

    // Two-segment base path to the REST API; the event keeps the path as sent.
    let reply = gw
        .handle(request(
            "GET",
            "/orders/v1/items/7",
            &host("API.example.com:3000"),
            "",
        ))
        .await;
    let json = body(&reply);
    assert_eq!(json["function"], "Echo");
    assert_eq!(json["event"]["resource"], "/items/{id}");
    assert_eq!(json["event"]["pathParameters"]["id"], "7");
    assert_eq!(json["event"]["requestContext"]["stage"], "Prod");
    assert_eq!(
        json["event"]["requestContext"]["domainName"],
        "API.example.com:3000"
    );

    // Anything else on that domain goes to the root mapping (the HTTP API).
    let json = body(
        &gw.handle(request("GET", "/things", &host("api.example.com"), ""))
            .await,
    );
    assert_eq!(json["event"]["routeKey"], "GET /things");
    let reply = gw
        .handle(request("GET", "/orders/v2/x", &host("api.example.com"), ""))
        .await;
    assert_eq!(reply.status, 404);

    // A root mapping of a REST API: no stage in the path.
    let json = body(
        &gw.handle(request("GET", "/items/9", &host("rest.example.com"), ""))
            .await,
    );
    assert_eq!(json["event"]["pathParameters"]["id"], "9");
    // The plain address still needs the stage: without it the path belongs to the HTTP API's
    // $default stage at the root, which has no such route.
    let reply = gw.handle(request("GET", "/items/9", &[], "")).await;
    assert_eq!(reply.status, 404);
}

#[test]
fn a_base_path_mapped_twice_or_to_a_missing_stage_is_refused() {
    let mut app = rest_app(Vec::new());
    let mapping = |stage: &str, base: &str| ApiMapping {
        api: "RestApi".into(),
        stage: stage.into(),
        base_path: base.into(),
        source: SourceLocation::default(),
    };
    app.domains = vec![DomainName {
        domain_name: "api.example.com".into(),
        mappings: vec![mapping("Prod", "v1"), mapping("Prod", "/v1/")],
        source: SourceLocation::default(),
    }];
    let error = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap_err();
    assert!(error.to_string().contains("mapped twice"), "{error}");
    app.domains[0].mappings = vec![mapping("Beta", "v1")];
    let error = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap_err();
    assert!(error.to_string().contains("stage `Beta`"), "{error}");
}

#[tokio::test]
async fn stage_variables_select_the_function() {
    let mut app = rest_app(Vec::new());
    app.functions.push(Function {
        function_name: "echo-dev".into(),
        ..function("EchoDev", 3)
    });
    app.apis[0].routes.push(lambda_route(
        "GET",
        "/dyn",
        "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}",
        PayloadFormat::V1,
    ));
    app.apis[0].stages = vec![
        stage("Prod", &[("fn", "Echo")]),
        stage("dev", &[("fn", "echo-dev")]),
        stage("broken", &[("fn", "missing")]),
    ];
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    assert!(
        compiled
            .warnings()
            .iter()
            .any(|w| w.contains("stage broken") && w.contains("function:missing`")),
        "{:?}",
        compiled.warnings()
    );
    let gw = echo_gateway(&app, 1);
    let json = body(&gw.handle(request("GET", "/Prod/dyn", &[], "")).await);
    assert_eq!(json["function"], "Echo");
    let reply = gw.handle(request("GET", "/dev/dyn", &[], "")).await;
    assert_eq!(reply.function.as_deref(), Some("EchoDev"));
    let reply = gw.handle(request("GET", "/broken/dyn", &[], "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(&reply.body[..], br#"{"message": "Internal server error"}"#);
}

#[tokio::test]
async fn http_api_errors_carry_cors_headers() {
    let mut http = api(
        "HttpApi",
        ApiKind::Http,
        "$default",
        vec![lambda_route("GET", "/broken", "Broken", PayloadFormat::V2)],
    );
    http.cors = Some(Cors::Http(HttpCors {
        allow_origins: vec!["https://app.example".into()],
        allow_methods: vec!["GET".into()],
        ..HttpCors::default()
    }));
    let app = application(vec![function("Broken", 3)], vec![http]);
    let gw = echo_gateway(&app, 1);
    let origin = [("Origin", "https://app.example")];
    for path in ["/broken", "/nowhere"] {
        let reply = gw.handle(request("GET", path, &origin, "")).await;
        assert!(reply.status == 500 || reply.status == 404);
        assert_eq!(
            header(&reply, "access-control-allow-origin"),
            Some("https://app.example"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_function_that_cannot_run_here_answers_as_lambda_refusing_it() {
    let mut app = rest_app(vec![gateway_response(
        ResponseType::Default5xx,
        None,
        &[],
        Some(r#"{"oops":$context.error.messageString}"#),
    )]);
    app.apis[0]
        .routes
        .push(lambda_route("GET", "/java", "Java", PayloadFormat::V1));
    app.unavailable_functions.push(UnavailableFunction {
        logical_id: "Java".into(),
        function_name: "Java".into(),
        runtime: "java21".into(),
        source: SourceLocation::default(),
    });
    let gw = echo_gateway(&app, 1);
    let reply = gw.handle(request("GET", "/Prod/java", &[], "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(&reply.body[..], br#"{"oops":"Internal server error"}"#);
    assert!(reply.detail.unwrap().contains("java21"));
    // A function the template does not have at all: the rest is served, this route answers
    // the same 500, and a warning says why.
    app.unavailable_functions.clear();
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    assert!(
        compiled
            .warnings()
            .iter()
            .any(|w| w.contains("invokes function `Java`, which the template does not have")),
        "{:?}",
        compiled.warnings()
    );
    let gw = echo_gateway(&app, 1);
    let reply = gw.handle(request("GET", "/Prod/java", &[], "")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(&reply.body[..], br#"{"oops":"Internal server error"}"#);
}

#[test]
fn api_settings_not_applied_are_warned_about() {
    let mut app = rest_app(Vec::new());
    app.apis[0].minimum_compression_size = Some(1024);
    app.apis[0].disable_execute_api_endpoint = true;
    app.apis[0].routes[0].api_key_required = true;
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    let warnings = compiled.warnings().join("\n");
    for needle in ["MinimumCompressionSize", "DisableExecuteApiEndpoint"] {
        assert!(warnings.contains(needle), "{needle} not in {warnings}");
    }
    // Required API keys are enforced now, so they are not warned about.
    assert!(!warnings.contains("API key"), "{warnings}");
}
