//! Golden tests: the seed templates under tests/fixtures load into the expected model.

use std::path::PathBuf;

use lambdagate_model::{
    ApiKind, Application, AuthorizationType, AuthorizerKind, Cors, IntegrationType, PayloadFormat,
    ResponseType, api_id_for,
};
use lambdagate_template::{LoadOptions, load};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join("template.yaml")
}

fn load_fixture(name: &str, overrides: &[(&str, &str)]) -> Application {
    let options = LoadOptions {
        parameter_overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    match load(&fixture(name), &options) {
        Ok(loaded) => {
            // Settings not served yet are reported, not dropped; nothing else may warn.
            let unexpected: Vec<_> = loaded
                .warnings
                .iter()
                .filter(|w| !w.message.contains("is not served yet"))
                .collect();
            assert!(unexpected.is_empty(), "{unexpected:?}");
            loaded.application
        }
        Err(diagnostics) => panic!("{name}: {diagnostics:#?}"),
    }
}

fn keys(app: &Application, api: usize) -> Vec<(String, String)> {
    app.apis[api]
        .routes
        .iter()
        .map(|r| {
            let target = r.integration.function().unwrap_or("mock").to_string();
            (r.key.to_string(), target)
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn seed_000_http_api_with_node_functions() {
    let app = load_fixture("seed-000", &[]);
    assert_eq!(app.stack_name, "seed-000");
    assert_eq!(app.region, "us-east-1");
    assert_eq!(app.apis.len(), 1);
    let api = &app.apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.kind, api.implicit),
        ("HttpApi", ApiKind::Http, false)
    );
    assert_eq!(api.api_id, api_id_for("HttpApi"));
    assert_eq!(api.stages[0].name, "prod");
    let Some(Cors::Http(cors)) = &api.cors else {
        panic!("expected HTTP CORS")
    };
    assert_eq!(cors.allow_origins, ["*"]);
    assert_eq!(cors.allow_methods, ["GET", "POST", "DELETE"]);
    assert_eq!(cors.allow_headers, ["*"]);
    assert_eq!(
        keys(&app, 0),
        pairs(&[
            ("GET /items/{id}", "GetItemFunction"),
            ("POST /items", "CreateItemFunction")
        ])
    );
    assert_eq!(api.routes[0].integration.kind, IntegrationType::AwsProxy);
    assert_eq!(api.routes[0].integration.payload_format, PayloadFormat::V2);

    assert_eq!(app.functions.len(), 2);
    let get = app.function("GetItemFunction").unwrap();
    assert_eq!(get.runtime, "nodejs20.x");
    assert_eq!(get.handler.as_deref(), Some("src/handlers/get.handler"));
    assert_eq!((get.timeout_secs, get.memory_mb), (30, 256));
    assert_eq!(
        get.code_dir,
        fixture("seed-000")
            .parent()
            .unwrap()
            .canonicalize()
            .unwrap()
    );
    let table = &get.environment["TABLE_NAME"];
    assert!(table.starts_with("seed-000-ItemsTable-"), "{table}");
    assert_eq!(
        &app.function("CreateItemFunction").unwrap().environment["TABLE_NAME"],
        table
    );
    assert_eq!(
        get.arn,
        "arn:aws:lambda:us-east-1:123456789012:function:GetItemFunction"
    );
}

#[test]
fn seed_001_implicit_rest_api_with_python() {
    let app = load_fixture("seed-001", &[]);
    assert_eq!(app.apis.len(), 1);
    let api = &app.apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.kind, api.implicit),
        ("ServerlessRestApi", ApiKind::Rest, true)
    );
    assert_eq!(api.stages[0].name, "Prod");
    assert_eq!(
        keys(&app, 0),
        pairs(&[
            ("GET /items", "ItemsApi"),
            ("POST /items", "ItemsApi"),
            ("GET /items/{id}", "ItemsApi"),
            ("DELETE /items/{id}", "ItemsApi"),
        ])
    );
    let f = &app.functions[0];
    assert_eq!(
        (f.runtime.as_str(), f.handler.as_deref()),
        ("python3.12", Some("app.lambda_handler"))
    );
    assert!(f.code_dir.join("app.py").is_file());
    assert_eq!(api.routes[2].event_id, "GetItem");
    assert_eq!(api.routes[2].source.line, 25);
}

#[test]
fn seed_004_rest_api_with_globals_cors_and_parameters() {
    let app = load_fixture("seed-004", &[]);
    let api = &app.apis[0];
    assert_eq!(api.name.as_deref(), Some("user-api-dev"));
    assert_eq!(api.stages[0].name, "dev");
    let Some(Cors::Rest(cors)) = &api.cors else {
        panic!("expected REST CORS")
    };
    assert_eq!(cors.allow_origin, "*");
    assert_eq!(cors.allow_methods.as_deref(), Some("*"));
    assert_eq!(
        keys(&app, 0),
        pairs(&[
            ("GET /users/{userId}", "GetUserFunction"),
            ("POST /users", "CreateUserFunction"),
            ("GET /users", "ListUsersFunction"),
            ("OPTIONS /users/{userId}", "mock"),
            ("OPTIONS /users", "mock"),
        ])
    );
    let mock = &api.routes[4].integration;
    assert_eq!(mock.kind, IntegrationType::Mock);
    let response = &mock.integration_responses[0];
    assert_eq!(response.status_code, 200);
    assert_eq!(
        response.response_parameters,
        pairs(&[
            ("method.response.header.Access-Control-Allow-Origin", "'*'"),
            ("method.response.header.Access-Control-Allow-Methods", "'*'"),
            (
                "method.response.header.Access-Control-Allow-Headers",
                "'Content-Type,Authorization'"
            ),
        ])
    );
    // Auth: the Cognito authorizer, typed, and the default authorizer on every route
    // (preflights too: SAM's AddDefaultAuthorizerToCorsPreflight defaults to true).
    let cognito = api.authorizer("CognitoAuthorizer").unwrap();
    let AuthorizerKind::CognitoUserPools { provider_arns } = &cognito.kind else {
        panic!("expected a Cognito authorizer: {cognito:?}")
    };
    assert_eq!(provider_arns.len(), 1);
    assert!(
        provider_arns[0]
            .starts_with("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_"),
        "{provider_arns:?}"
    );
    assert_eq!(
        cognito.identity_sources,
        ["method.request.header.Authorization"]
    );
    assert_eq!(cognito.result_ttl_secs, 300);
    assert!(api.routes.iter().all(|r| r.auth.authorization_type
        == AuthorizationType::CognitoUserPools
        && r.auth.authorizer.as_deref() == Some("CognitoAuthorizer")));
    let get = app.function("GetUserFunction").unwrap();
    assert_eq!(get.function_name, "get-user-dev");
    assert_eq!(
        app.function("get-user-dev").unwrap().logical_id,
        "GetUserFunction"
    );
    assert_eq!(get.environment["TABLE_NAME"], "users-dev");
    assert_eq!(get.environment["LOG_LEVEL"], "INFO");
    assert_eq!(get.runtime, "nodejs18.x");

    let prod = load_fixture("seed-004", &[("Environment", "prod")]);
    assert_eq!(prod.apis[0].stages[0].name, "prod");
    assert_eq!(
        prod.function("GetUserFunction").unwrap().environment["TABLE_NAME"],
        "users-prod"
    );
}

/// `sam build` writes `.aws-sam/build/template.yaml` with each function's code copied into a
/// folder named for it, and CodeUri rewritten relative to the build folder.
#[test]
fn sam_build_output_loads_with_code_folders_relative_to_it() {
    let project = std::env::temp_dir().join(format!("lambdagate-sam-build-{}", std::process::id()));
    let build = project.join("my-app/.aws-sam/build");
    std::fs::create_dir_all(build.join("ItemsFunction")).unwrap();
    std::fs::write(
        build.join("ItemsFunction/app.py"),
        "def handler(e, c):\n    return {}\n",
    )
    .unwrap();
    std::fs::write(
        build.join("template.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n\
         Resources:\n  ItemsFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
         CodeUri: ItemsFunction\n      Handler: app.handler\n      Runtime: python3.12\n      \
         Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /items\n            Method: get\n",
    )
    .unwrap();
    let loaded = load(&build.join("template.yaml"), &LoadOptions::default()).unwrap();
    let app = loaded.application;
    assert_eq!(app.stack_name, "my-app");
    assert_eq!(app.functions[0].code_dir, build.join("ItemsFunction"));
    assert_eq!(app.apis[0].stages[0].name, "Prod");
    let _ = std::fs::remove_dir_all(&project);
}

#[test]
fn stages_domains_rest_and_http_stages_with_one_domain() {
    let app = load_fixture("stages-domains", &[]);
    let items = app.api("ItemsApi").unwrap();
    let stages: Vec<(&str, &str)> = items
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.variables["flavour"].as_str()))
        .collect();
    assert_eq!(stages, [("prod", "stable"), ("dev", "dev")]);
    assert_eq!(
        items.stages[1].deployment.as_deref(),
        Some("ItemsApiDeployment")
    );
    let canary = items.stages[0].canary.as_ref().unwrap();
    assert_eq!(canary.percent_traffic, 25.0);
    assert_eq!(canary.stage_variable_overrides["flavour"], "canary");
    let responses: Vec<(ResponseType, Option<u16>)> = items
        .gateway_responses
        .iter()
        .map(|r| (r.response_type, r.status_code))
        .collect();
    assert_eq!(
        responses,
        [
            (ResponseType::MissingAuthenticationToken, Some(404)),
            (ResponseType::Default5xx, None)
        ]
    );
    assert_eq!(
        items.gateway_responses[0].response_parameters,
        pairs(&[("gatewayresponse.header.X-Gateway", "'lambdagate'")])
    );

    let events = app.api("EventsApi").unwrap();
    let names: Vec<&str> = events.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["$default", "v1"]);
    assert!(events.stages[1].auto_deploy);
    assert_eq!(events.stages[1].variables["flavour"], "http-v1");

    assert_eq!(app.domains.len(), 1);
    let domain = &app.domains[0];
    assert_eq!(domain.domain_name, "api.example.test");
    let mappings: Vec<(&str, &str, &str)> = domain
        .mappings
        .iter()
        .map(|m| (m.base_path.as_str(), m.api.as_str(), m.stage.as_str()))
        .collect();
    assert_eq!(
        mappings,
        [
            ("shop/dev", "ItemsApi", "dev"),
            ("events", "EventsApi", "v1"),
            ("shop/v1", "ItemsApi", "prod"),
        ]
    );
}
