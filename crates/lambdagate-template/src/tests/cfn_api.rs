//! Raw CloudFormation APIs (`AWS::ApiGateway::*`, `AWS::ApiGatewayV2::*`), Lambda aliases and
//! versions, and CDK output: the model loaded from the fixtures the end-to-end tests serve,
//! and the diagnostics for what a deploy would reject.

use std::path::{Path, PathBuf};

use lambdagate_model::{
    ApiKeySource, Application, AuthorizationType, AuthorizerKind, ConnectionType, ContentHandling,
    IntegrationTarget, IntegrationType, LambdaAuthorizerType, ParameterLocation,
    PassthroughBehavior, PayloadFormat, QuotaPeriod, Route, RouteKey,
};

use super::{env_value, line_of, strict_errors, warnings};
use crate::{LoadOptions, Severity, load_str};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}

fn options(strict: bool) -> LoadOptions {
    LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict,
        ..LoadOptions::default()
    }
}

/// Loads `text` as the file `path` (serving), returning the application and its warnings.
fn load_at(text: &str, path: &Path) -> (Application, Vec<String>) {
    let loaded = load_str(text, path, &options(false)).unwrap_or_else(|e| {
        panic!(
            "{:#?}",
            e.iter().map(ToString::to_string).collect::<Vec<_>>()
        )
    });
    let warnings = loaded
        .warnings
        .iter()
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect();
    (loaded.application, warnings)
}

fn load_fixture(path: &str) -> (Application, Vec<String>, String) {
    let file = fixture(path);
    let text = std::fs::read_to_string(&file).unwrap();
    let (app, warnings) = load_at(&text, &file);
    (app, warnings, text)
}

fn route<'a>(app: &'a Application, api: &str, method: &str, path: &str) -> &'a Route {
    let key = RouteKey::MethodPath {
        method: method.into(),
        path: path.into(),
    };
    app.api(api)
        .unwrap_or_else(|| panic!("no API {api}"))
        .routes
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no route {key} on {api}"))
}

fn function(target: &IntegrationTarget) -> &str {
    match target {
        IntegrationTarget::Function(f) => f,
        other => panic!("not a function: {other:?}"),
    }
}

#[test]
fn raw_rest_api_resource_tree_methods_and_integrations() {
    let (app, warnings, text) = load_fixture("cfn-rest/template.yaml");
    assert!(
        warnings.is_empty(),
        "a complete raw REST API loads without warnings: {warnings:#?}"
    );
    let api = app.api("ItemsApi").unwrap();
    assert_eq!(api.name.as_deref(), Some("items"));
    assert_eq!(api.binary_media_types, ["image/png"]);
    assert_eq!(api.api_key_source, ApiKeySource::Header);
    let keys: Vec<String> = api.routes.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            "GET /items",
            "GET /items/{id}",
            "POST /items",
            "DELETE /items/{id}",
            "GET /",
            "ANY /{proxy+}",
            "OPTIONS /items"
        ]
    );

    // Lambda proxy by the function's ARN, and by its alias (lands on the function).
    let list = route(&app, "ItemsApi", "GET", "/items");
    assert_eq!(list.integration.kind, IntegrationType::AwsProxy);
    assert_eq!(function(&list.integration.target), "ItemsFunction");
    assert_eq!(list.integration.timeout_ms, Some(10000));
    assert!(list.api_key_required);
    assert_eq!(
        list.request_parameters[0].location,
        ParameterLocation::QueryString
    );
    assert_eq!(list.request_parameters[0].name, "limit");
    assert!(!list.request_parameters[0].required);
    assert_eq!(list.event_id, "ListItems");
    assert_eq!(list.source.line as usize, line_of(&text, "  ListItems:"));

    let get = route(&app, "ItemsApi", "GET", "/items/{id}");
    assert_eq!(function(&get.integration.target), "ItemsFunction");
    assert_eq!(get.auth.authorization_type, AuthorizationType::Custom);
    assert_eq!(get.auth.authorizer.as_deref(), Some("token"));
    assert!(get.request_parameters[0].required);

    // A Lambda custom integration written with the function's literal name.
    let create = route(&app, "ItemsApi", "POST", "/items");
    let i = &create.integration;
    assert_eq!(i.kind, IntegrationType::Aws);
    assert_eq!(function(&i.target), "ItemsFunction");
    assert_eq!(i.http_method.as_deref(), Some("POST"));
    assert_eq!(i.passthrough_behavior, PassthroughBehavior::Never);
    assert_eq!(i.content_handling, Some(ContentHandling::ConvertToText));
    assert_eq!(
        i.request_templates,
        [(
            "application/json".to_string(),
            r#"{"name": $input.json('$.name')}"#.to_string()
        )]
    );
    assert_eq!(i.integration_responses.len(), 2);
    assert_eq!(i.integration_responses[0].status_code, 201);
    assert_eq!(i.integration_responses[0].selection_pattern, None);
    assert_eq!(
        i.integration_responses[1].selection_pattern.as_deref(),
        Some(".*invalid.*")
    );
    assert_eq!(
        i.integration_responses[1].response_parameters,
        [(
            "method.response.header.X-Error".to_string(),
            "'invalid'".to_string()
        )]
    );
    assert_eq!(
        create.auth.authorization_type,
        AuthorizationType::CognitoUserPools
    );
    assert_eq!(create.auth.authorizer.as_deref(), Some("cognito"));
    assert_eq!(create.auth.scopes, ["items/write"]);
    assert_eq!(
        create.request_models,
        [("application/json".to_string(), "Item".to_string())]
    );
    assert_eq!(create.request_validator.as_deref(), Some("body-only"));
    assert_eq!(create.operation_name.as_deref(), Some("CreateItem"));
    assert_eq!(create.method_responses.len(), 2);
    assert_eq!(
        create.method_responses[0].models,
        [("application/json".to_string(), "Empty".to_string())]
    );
    assert_eq!(
        create.method_responses[1].headers,
        [("X-Error".to_string(), true)]
    );

    let delete = route(&app, "ItemsApi", "DELETE", "/items/{id}");
    assert_eq!(delete.integration.kind, IntegrationType::Http);
    assert_eq!(
        delete.integration.target,
        IntegrationTarget::Uri("https://backend.example.com/items/{id}".into())
    );
    assert_eq!(
        delete.integration.request_parameters,
        [(
            "integration.request.path.id".to_string(),
            "method.request.path.id".to_string()
        )]
    );
    assert_eq!(delete.auth.authorization_type, AuthorizationType::AwsIam);

    let root = route(&app, "ItemsApi", "GET", "/");
    assert_eq!(root.integration.kind, IntegrationType::Mock);
    assert_eq!(root.integration.target, IntegrationTarget::None);
    assert_eq!(
        root.integration.integration_responses[0].response_templates,
        [(
            "application/json".to_string(),
            r#"{"service": "items"}"#.to_string()
        )]
    );

    let proxy = route(&app, "ItemsApi", "ANY", "/{proxy+}");
    assert_eq!(proxy.integration.kind, IntegrationType::HttpProxy);
    assert_eq!(proxy.integration.http_method.as_deref(), Some("ANY"));
    assert_eq!(proxy.integration.connection, ConnectionType::Internet);
}

#[test]
fn raw_rest_api_authorizers_models_validators_stage_keys_and_plans() {
    let (app, _, _) = load_fixture("cfn-rest/template.yaml");
    let api = app.api("ItemsApi").unwrap();
    let token = api.authorizer("token").unwrap();
    match &token.kind {
        AuthorizerKind::Lambda {
            function,
            authorizer_type,
            ..
        } => {
            assert_eq!(function, "AuthFunction");
            assert_eq!(*authorizer_type, LambdaAuthorizerType::Token);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        token.identity_sources,
        ["method.request.header.Authorization"]
    );
    assert_eq!(
        token.identity_validation_expression.as_deref(),
        Some("^Bearer .+$")
    );
    assert_eq!(token.result_ttl_secs, 60);
    match &api.authorizer("cognito").unwrap().kind {
        AuthorizerKind::CognitoUserPools { provider_arns } => {
            assert!(
                provider_arns[0].starts_with("arn:aws:cognito-idp:eu-west-1:"),
                "{provider_arns:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api.authorizer("cognito").unwrap().result_ttl_secs, 300);

    assert_eq!(api.models.len(), 1);
    assert_eq!(api.models[0].name, "Item");
    assert_eq!(api.models[0].schema["required"][0], "name");
    assert_eq!(api.request_validators.len(), 1);
    assert!(api.request_validators[0].validate_body);
    assert!(!api.request_validators[0].validate_parameters);

    // The Deployment has no StageName: the Stage resource is the only stage.
    assert_eq!(api.stages.len(), 1);
    assert_eq!(api.stages[0].name, "prod");
    assert_eq!(api.stages[0].deployment.as_deref(), Some("Deployment"));
    assert_eq!(api.stages[0].variables["table"], "items");

    assert_eq!(app.api_keys.len(), 1);
    let key = &app.api_keys[0];
    assert_eq!(key.logical_id, "ItemsKey");
    assert_eq!(key.value.as_deref(), Some("local-items-key-0123456789"));
    assert!(key.enabled);
    assert_eq!(
        key.stage_keys,
        [("ItemsApi".to_string(), "prod".to_string())]
    );
    assert_eq!(app.usage_plans.len(), 1);
    let plan = &app.usage_plans[0];
    assert_eq!(plan.name.as_deref(), Some("items-plan"));
    assert_eq!(plan.keys, ["ItemsKey"]);
    assert_eq!(plan.api_stages[0].api, "ItemsApi");
    assert_eq!(plan.api_stages[0].stage, "prod");
    assert_eq!(plan.api_stages[0].throttle[0].0, "/items/GET");
    assert_eq!(plan.api_stages[0].throttle[0].1.burst_limit, Some(5));
    assert_eq!(plan.throttle.unwrap().rate_limit, Some(50.0));
    let quota = plan.quota.unwrap();
    assert_eq!((quota.limit, quota.period), (1000, QuotaPeriod::Day));

    // Functions, with the alias, version, permission, role and log group accepted.
    let names: Vec<&str> = app
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(names, ["ItemsFunction", "AuthFunction"]);
}

#[test]
fn raw_http_api_routes_integrations_authorizers_stage_and_quick_create() {
    let (app, warnings, _) = load_fixture("cfn-http/template.yaml");
    assert!(warnings.is_empty(), "{warnings:#?}");
    let api = app.api("HttpApi").unwrap();
    assert_eq!(api.name.as_deref(), Some("hello"));
    match &api.cors {
        Some(lambdagate_model::Cors::Http(cors)) => {
            assert_eq!(cors.allow_origins, ["https://app.example"]);
            assert_eq!(cors.max_age, Some(600));
        }
        other => panic!("{other:?}"),
    }
    let hello = route(&app, "HttpApi", "GET", "/hello/{name}");
    assert_eq!(hello.integration.kind, IntegrationType::AwsProxy);
    assert_eq!(function(&hello.integration.target), "HelloFunction");
    assert_eq!(hello.integration.payload_format, PayloadFormat::V2);
    assert_eq!(hello.integration.timeout_ms, Some(5000));
    let legacy = route(&app, "HttpApi", "POST", "/legacy");
    assert_eq!(function(&legacy.integration.target), "HelloFunction");
    assert_eq!(legacy.integration.payload_format, PayloadFormat::V1);

    let secure = route(&app, "HttpApi", "GET", "/secure");
    assert_eq!(secure.auth.authorization_type, AuthorizationType::Jwt);
    assert_eq!(secure.auth.authorizer.as_deref(), Some("jwt"));
    assert_eq!(secure.auth.scopes, ["hello/read"]);
    match &api.authorizer("jwt").unwrap().kind {
        AuthorizerKind::Jwt { issuer, audience } => {
            assert_eq!(issuer, "https://issuer.example.com");
            assert_eq!(audience, &["hello-client"]);
        }
        other => panic!("{other:?}"),
    }
    let token = route(&app, "HttpApi", "GET", "/token");
    assert_eq!(token.auth.authorization_type, AuthorizationType::Custom);
    let authorizer = api.authorizer("token").unwrap();
    match &authorizer.kind {
        AuthorizerKind::Lambda {
            function,
            authorizer_type,
            payload_format,
            simple_responses,
            ..
        } => {
            assert_eq!(function, "AuthorizerFunction");
            assert_eq!(*authorizer_type, LambdaAuthorizerType::Request);
            assert_eq!(*payload_format, PayloadFormat::V2);
            assert!(simple_responses);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(authorizer.identity_sources, ["$request.header.X-Token"]);
    assert_eq!(authorizer.result_ttl_secs, 30);

    let status = route(&app, "HttpApi", "GET", "/status");
    assert_eq!(status.integration.kind, IntegrationType::HttpProxy);
    assert_eq!(status.integration.http_method.as_deref(), Some("GET"));
    assert_eq!(
        status.integration.request_parameters,
        [(
            "overwrite:header.x-from".to_string(),
            "lambdagate".to_string()
        )]
    );
    let mapping = &status.integration.response_parameters[0];
    assert_eq!(mapping.status_code, 200);
    assert_eq!(
        mapping.parameters,
        [("append:header.x-checked".to_string(), "yes".to_string())]
    );

    assert_eq!(api.stages.len(), 1);
    assert_eq!(api.stages[0].name, "v1");
    assert!(api.stages[0].auto_deploy);
    assert_eq!(api.stages[0].variables["color"], "blue");

    // Quick create: the route to the target and the automatically deployed `$default` stage.
    let quick = app.api("QuickApi").unwrap();
    assert_eq!(quick.routes.len(), 1);
    let r = &quick.routes[0];
    assert_eq!(r.key.to_string(), "ANY /quick/{proxy+}");
    assert_eq!(r.integration.kind, IntegrationType::AwsProxy);
    assert_eq!(r.integration.payload_format, PayloadFormat::V2);
    assert_eq!(function(&r.integration.target), "HelloFunction");
    assert_eq!(quick.stages.len(), 1);
    assert_eq!(quick.stages[0].name, "$default");
    assert!(quick.stages[0].auto_deploy);
    // ApiGatewayManagedOverrides change what quick create made.
    assert_eq!(r.integration.timeout_ms, Some(8000));
    assert_eq!(r.operation_name.as_deref(), Some("QuickAny"));
    assert_eq!(quick.stages[0].variables["mode"], "quick");
    let setting = &quick.stages[0].method_settings[0];
    assert_eq!(setting.throttle.burst_limit, Some(10));
    assert_eq!(setting.throttle.rate_limit, Some(5.0));
}

const CDK: &str = "cdk-app/cdk.out/ItemsStack.template.json";

#[test]
fn cdk_stack_with_assets_joins_and_bootstrap_version() {
    let (app, warnings, _) = load_fixture(CDK);
    // The bootstrap version's SSM parameter is CDK's own (`[cdk:skip]`): no word about it.
    assert!(warnings.is_empty(), "{warnings:#?}");
    let items = app.function("ItemsFunction8A3C5D21").unwrap();
    assert!(
        items.code_dir.ends_with(
            "cdk.out/asset.5f8e7a2c9d1b4e6f3a0c8b7d2e9f1a4c6b3d8e0f7a2c5b9d1e4f6a8c0b3d7e2f"
        ),
        "{}",
        items.code_dir.display()
    );
    // The layer's content is an asset too.
    assert_eq!(items.layers.len(), 1);
    assert!(
        items.layers[0].ends_with(
            "cdk.out/asset.b7d1e5a9c3f7b1d5e9a3c7f1b5d9e3a7c1f5b9d3e7a1c5f9b3d7e1a5c9f3b7d1"
        ),
        "{:?}",
        items.layers
    );
    // `Fn::Select` over `Fn::Split` of the table's ARN: its name.
    let table = &items.environment["TABLE_NAME"];
    assert!(table.starts_with("stack-ItemsTableA1B2C3D4-"), "{table}");
    let rest = app.api("ItemsApiE5B5F4D8").unwrap();
    assert_eq!(rest.stages[0].name, "prod");
    let keys: Vec<String> = rest.routes.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(keys, ["ANY /{proxy+}", "ANY /", "GET /admin"]);
    for r in &rest.routes {
        assert_eq!(function(&r.integration.target), "ItemsFunction8A3C5D21");
    }
    // CDK's authorizer URI takes partition and region from the function's ARN with
    // `Fn::Select` / `Fn::Split`, and still lands on the function.
    let admin = &rest.routes[2];
    assert_eq!(admin.auth.authorization_type, AuthorizationType::Custom);
    let name = admin.auth.authorizer.as_deref().unwrap();
    assert_eq!(name, "ItemsStackAdminAuthorizer4D1E7B2A");
    match &rest.authorizer(name).unwrap().kind {
        AuthorizerKind::Lambda { function, .. } => assert_eq!(function, "AuthFunction7E2D1C9B"),
        other => panic!("{other:?}"),
    }
    // `ApiDefinition.fromAsset`: the OpenAPI document is a local asset.
    let docs = app.api("DocsApi3E7A9C1B").unwrap();
    assert_eq!(docs.stages[0].name, "v1");
    assert_eq!(docs.routes[0].key.to_string(), "GET /about");
    assert_eq!(docs.routes[0].integration.kind, IntegrationType::Mock);
    let http = app.api("HelloHttpApi6F2D2E43").unwrap();
    assert_eq!(http.stages[0].name, "$default");
    assert_eq!(
        function(&http.routes[0].integration.target),
        "HelloFunctionD909AE8C"
    );
}

#[test]
fn cdk_asset_that_does_not_exist_leaves_out_only_its_function() {
    let file = fixture(CDK);
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"asset.9c2e4a6b", "\"asset.gone9c2e4a6b");
    let line = line_of(&text, "asset.gone");
    let (app, warnings) = load_at(&text, &file);
    let missing: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("asset.gone"))
        .collect();
    assert_eq!(missing.len(), 1, "{warnings:#?}");
    assert!(missing[0].starts_with(&format!("{line}:")), "{missing:?}");
    assert!(missing[0].contains("does not exist"), "{missing:?}");
    assert!(missing[0].contains("not served"), "{missing:?}");
    assert!(app.function("HelloFunctionD909AE8C").is_none());
    assert!(app.unavailable_function("HelloFunctionD909AE8C").is_some());
    assert!(app.function("ItemsFunction8A3C5D21").is_some());
    assert_eq!(app.api("ItemsApiE5B5F4D8").unwrap().routes.len(), 3);

    let errors = load_str(&text, &file, &options(true)).expect_err("validate refuses");
    let errors: Vec<_> = errors
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].location.line as usize, line);
}

/// A raw REST API with one function and the methods `methods` (YAML at the resource level).
fn rest_with(methods: &str) -> String {
    format!(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Code: src\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: api\n  Items:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !GetAtt Api.RootResourceId\n      PathPart: items\n  Good:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: GET\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations\n{methods}"
    )
}

#[test]
fn a_method_whose_resource_id_names_nothing_is_left_out_when_serving() {
    let text = rest_with(
        "  Bad:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Nothing\n      HttpMethod: POST\n      AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n  Literal:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: abc123\n      HttpMethod: PUT\n      AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n",
    );
    let warned = warnings(&text);
    let line = line_of(&text, "ResourceId: !Ref Nothing");
    let bad: Vec<&String> = warned.iter().filter(|w| w.contains("Nothing")).collect();
    assert_eq!(bad.len(), 1, "{warned:#?}");
    assert!(bad[0].starts_with(&format!("{line}:")), "{bad:?}");
    assert!(bad[0].contains("resource `Bad` is not served"), "{bad:?}");
    let literal = line_of(&text, "ResourceId: abc123");
    assert!(
        warned.iter().any(|w| w.starts_with(&format!("{literal}:"))
            && w.contains("ResourceId `abc123` names no AWS::ApiGateway::Resource")
            && w.contains("method `Literal` is not served")),
        "{warned:#?}"
    );
    let app = super::load_ok(&text);
    let keys: Vec<String> = app.apis[0]
        .routes
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["GET /items"]);

    let errors = strict_errors(&text);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!("{literal}:"))
            || errors[1].starts_with(&format!("{literal}:"))
    );
    assert!(errors.iter().any(|e| e.starts_with(&format!("{line}:"))));
}

#[test]
fn an_integration_without_uri_is_reported_where_it_is_written() {
    let text = rest_with(
        "  NoUri:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: POST\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n  NoIntegration:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: DELETE\n",
    );
    let warned = warnings(&text);
    let at = line_of(&text, "  NoUri:") + 8;
    assert!(
        warned.iter().any(|w| w.starts_with(&format!("{at}:"))
            && w.contains("needs a uri")
            && w.contains("method `NoUri` is not served")),
        "{warned:#?}"
    );
    let none = line_of(&text, "  NoIntegration:");
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with(&format!("{none}:")) && w.contains("has no Integration")),
        "{warned:#?}"
    );
    let app = super::load_ok(&text);
    assert_eq!(app.apis[0].routes.len(), 1);
    assert_eq!(strict_errors(&text).len(), 2);
}

#[test]
fn resource_tree_mistakes_and_websocket_apis() {
    let text = rest_with(
        "  Loop1:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !Ref Loop2\n      PathPart: a\n  Loop2:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !Ref Loop1\n      PathPart: b\n  Greedy:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !Ref Items\n      PathPart: \"{rest+}\"\n  UnderGreedy:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !Ref Greedy\n      PathPart: c\n  BadPart:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !Ref Items\n      PathPart: a/b\n  Socket:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: chat\n      ProtocolType: WEBSOCKET\n      RouteSelectionExpression: $request.body.action\n  Connect:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Socket\n      RouteKey: $connect\n  SocketStage:\n    Type: AWS::ApiGatewayV2::Stage\n    Properties:\n      ApiId: !Ref Socket\n      StageName: live\n",
    );
    let warned = warnings(&text);
    let circular: Vec<&String> = warned
        .iter()
        .filter(|w| w.contains("ParentId chain is circular"))
        .collect();
    assert_eq!(circular.len(), 1, "{warned:#?}");
    assert!(
        circular[0].contains("Loop1 -> Loop2 -> Loop1"),
        "{circular:?}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("its parent `Greedy` is a greedy {rest+} resource")),
        "{warned:#?}"
    );
    assert!(
        warned.iter().any(|w| w.contains("PathPart `a/b`")),
        "{warned:#?}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("WebSocket APIs are not served")),
        "{warned:#?}"
    );
    // Its route and stage say nothing more.
    assert!(
        !warned
            .iter()
            .any(|w| w.contains("Connect") || w.contains("SocketStage")),
        "{warned:#?}"
    );
    let app = super::load_ok(&text);
    assert_eq!(app.apis.len(), 1, "the WebSocket API is left out");
}

#[test]
fn deployment_stage_name_creates_the_stage_and_no_stage_leaves_it_to_the_gateway() {
    let with_deployment = rest_with(
        "  Deployment:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: Good\n    Properties:\n      RestApiId: !Ref Api\n      StageName: v1\n",
    );
    let app = super::load_ok(&with_deployment);
    assert_eq!(app.apis[0].stages.len(), 1);
    assert_eq!(app.apis[0].stages[0].name, "v1");
    assert_eq!(
        app.apis[0].stages[0].deployment.as_deref(),
        Some("Deployment")
    );
    // No deployment or stage: the gateway serves the API under its default stage name.
    let app = super::load_ok(&rest_with(""));
    assert!(app.apis[0].stages.is_empty());
    assert_eq!(app.apis[0].routes.len(), 1);
}

#[test]
fn aliases_and_versions_resolve_to_their_function() {
    let alias = "  Live:\n    Type: AWS::Lambda::Alias\n    Properties:\n      FunctionName: !Ref Fn\n      FunctionVersion: !GetAtt Version.Version\n      Name: live\n  Version:\n    Type: AWS::Lambda::Version\n    Properties:\n      FunctionName: !GetAtt Fn.Arn\n";
    assert_eq!(
        env_value("", "!Ref Live", alias),
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn:live"
    );
    assert_eq!(
        env_value("", "!Ref Version", alias),
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn:1"
    );
    assert_eq!(env_value("", "!GetAtt Version.Version", alias), "1");
    assert_eq!(
        env_value("", "!GetAtt Version.FunctionArn", alias),
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn"
    );
}

#[test]
fn raw_apis_from_an_openapi_body_and_a_local_body_file() {
    let text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Code: src\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body:\n        swagger: \"2.0\"\n        info: {title: t, version: \"1\"}\n        paths:\n          /items:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n  Stage:\n    Type: AWS::ApiGateway::Deployment\n    Properties:\n      RestApiId: !Ref Api\n      StageName: dev\n  Http:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      BodyS3Location: ../../tests/fixtures/openapi-http.yaml\n";
    let dir = std::env::temp_dir().join(format!("lambdagate-body-{}", std::process::id()));
    let tests = dir.join("a/b");
    std::fs::create_dir_all(tests.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("tests/fixtures")).unwrap();
    std::fs::write(
        dir.join("tests/fixtures/openapi-http.yaml"),
        "openapi: 3.0.1\ninfo: {title: h, version: \"1\"}\npaths:\n  /hello:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: arn:aws:lambda:us-east-1:111111111111:function:Fn\n        payloadFormatVersion: \"2.0\"\n",
    )
    .unwrap();
    std::fs::write(
        tests.join("src/app.py"),
        "def handler(e, c):\n    return {}\n",
    )
    .unwrap();
    let (app, warnings) = load_at(text, &tests.join("template.yaml"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    let rest = app.api("Api").unwrap();
    assert_eq!(rest.stages[0].name, "dev");
    assert_eq!(rest.routes[0].key.to_string(), "GET /items");
    assert_eq!(function(&rest.routes[0].integration.target), "Fn");
    let http = app.api("Http").unwrap();
    assert_eq!(http.kind, lambdagate_model::ApiKind::Http);
    assert_eq!(http.routes[0].key.to_string(), "GET /hello");
    // A literal ARN in another account and region still names the template's function.
    assert_eq!(function(&http.routes[0].integration.target), "Fn");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn raw_methods_on_a_sam_api_and_routes_to_a_function_that_cannot_run() {
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      Events:\n        Get:\n          Type: Api\n          Properties: {RestApiId: !Ref Api, Path: /items, Method: get}\n  Java:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: java-fn\n      Runtime: java21\n      Handler: app.Handler\n      Code: src\n  Extra:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !GetAtt Api.RootResourceId\n      HttpMethod: POST\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Java.Arn}/invocations\n";
    let app = super::load_ok(text);
    let api = app.api("Api").unwrap();
    let keys: Vec<String> = api.routes.iter().map(|r| r.key.to_string()).collect();
    // Raw methods are attached with the API, before function events add theirs.
    assert_eq!(keys, ["POST /", "GET /items"]);
    assert_eq!(function(&api.routes[1].integration.target), "Fn");
    // The route keeps naming the function that cannot run, by logical id.
    assert_eq!(function(&api.routes[0].integration.target), "Java");
    assert!(app.unavailable_function("Java").is_some());
    let warned = warnings(text);
    assert!(
        !warned
            .iter()
            .any(|w| w.contains("not a function of this template")),
        "{warned:#?}"
    );
}

#[test]
fn http_route_and_usage_plan_mistakes() {
    let text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      Code: src\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: api\n      ProtocolType: HTTP\n  Lambda:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties:\n      ApiId: !Ref Api\n      IntegrationType: AWS_PROXY\n      IntegrationUri: !GetAtt Fn.Arn\n      PayloadFormatVersion: \"2.0\"\n  Good:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: GET /good\n      Target: !Sub integrations/${Lambda}\n  Untargeted:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: GET /later\n  Mistargeted:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: GET /bad\n      Target: integrations/nope\n  BadKey:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: get/items\n      Target: !Sub integrations/${Lambda}\n  Greedy:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref Api\n      RouteKey: GET /{all+}/more\n      Target: !Sub integrations/${Lambda}\n  PlanKey:\n    Type: AWS::ApiGateway::UsagePlanKey\n    Properties:\n      KeyId: missing-key\n      KeyType: API_KEY\n      UsagePlanId: missing-plan\n";
    let warned = warnings(text);
    let at = |needle: &str| format!("{}:", line_of(text, needle));
    assert!(
        warned.iter().any(|w| w.starts_with(&at("  Untargeted:"))
            && w.contains("has no Target")
            && !w.contains("validate")),
        "{warned:#?}"
    );
    // A warning on the line of `needle` that says `says`.
    let warned_at = |needle: &str, says: &str| {
        warned
            .iter()
            .any(|w| w.starts_with(&at(needle)) && w.contains(says))
    };
    assert!(
        warned_at("Target: integrations/nope", "integration `nope`"),
        "{warned:#?}"
    );
    assert!(
        warned_at(
            "RouteKey: get/items",
            "must be `$default` or `METHOD /path`"
        ),
        "{warned:#?}"
    );
    assert!(
        warned_at("KeyId: missing-key", "not an AWS::ApiGateway::ApiKey"),
        "{warned:#?}"
    );
    let app = super::load_ok(text);
    let keys: Vec<String> = app.apis[0]
        .routes
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["GET /good"]);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with(&at("RouteKey: GET /{all+}/more"))),
        "{warned:#?}"
    );
    // A route without a target deploys; the others do not.
    let errors = strict_errors(text);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn resources_named_by_their_id_attributes() {
    let text = rest_with(
        "  ByAttribute:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !GetAtt Api.RestApiId\n      ResourceId: !GetAtt Items.ResourceId\n      HttpMethod: DELETE\n      AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n",
    );
    let app = super::load_ok(&text);
    let keys: Vec<String> = app.apis[0]
        .routes
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["GET /items", "DELETE /items"]);
}

#[test]
fn an_authorization_type_that_does_not_fit_its_authorizer() {
    let text = rest_with(
        "  Pool:\n    Type: AWS::ApiGateway::Authorizer\n    Properties:\n      Name: pool\n      RestApiId: !Ref Api\n      Type: COGNITO_USER_POOLS\n      ProviderARNs: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc]\n  Wrong:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: POST\n      AuthorizationType: CUSTOM\n      AuthorizerId: !Ref Pool\n      Integration:\n        Type: MOCK\n",
    );
    let errors = strict_errors(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!("{}:", line_of(&text, "AuthorizerId: !Ref Pool")))
            && errors[0].contains(
                "AuthorizationType CUSTOM does not fit authorizer `pool`, which is a \
                 COGNITO_USER_POOLS authorizer"
            ),
        "{errors:#?}"
    );
}

#[test]
fn a_mistake_in_a_raw_api_body_leaves_out_only_its_part_when_serving() {
    let text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Code: src\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body:\n        swagger: \"2.0\"\n        info: {title: t, version: \"1\"}\n        paths:\n          /good:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n          /bad:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n";
    let warned = warnings(text);
    let at = line_of(text, "          /bad:") + 3;
    assert!(
        warned.iter().any(|w| w.starts_with(&format!("{at}:"))
            && w.contains("needs a uri")
            && w.contains("`GET /bad` is not served")),
        "{warned:#?}"
    );
    let app = super::load_ok(text);
    let keys: Vec<String> = app.apis[0]
        .routes
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["GET /good"]);
    assert_eq!(strict_errors(text).len(), 1);
}

#[test]
fn a_stage_that_cannot_resolve_is_left_out_when_serving() {
    let text = rest_with(
        "  Broken:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: !Ref Api\n      StageName: v2\n      DeploymentId: !Ref NoDeployment\n  Deployment:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: Good\n    Properties:\n      RestApiId: !Ref Api\n      StageName: v1\n",
    );
    let warned = warnings(&text);
    assert!(
        warned.iter().any(
            |w| w.starts_with(&format!("{}:", line_of(&text, "!Ref NoDeployment")))
                && w.contains("resource `Broken` is not served")
        ),
        "{warned:#?}"
    );
    let app = super::load_ok(&text);
    let stages: Vec<&str> = app.apis[0].stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["v1"]);
    assert_eq!(strict_errors(&text).len(), 1);
}

#[test]
fn a_sam_event_on_a_raw_apis_own_method_only_grants_permission() {
    // SAM adds nothing to a raw API: the event's function gets permission, the API's own
    // method is what is served.
    let event = "  Handler:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      Events:\n        Get:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /items\n            Method: get\n";
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\n{}",
        rest_with(event)
    );
    let app = super::load_ok(&text);
    let items: Vec<&Route> = app.apis[0]
        .routes
        .iter()
        .filter(|r| r.key.to_string() == "GET /items")
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(function(&items[0].integration.target), "Fn");
    let warned = warnings(&text);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("event `Get`: `GET /items` is already defined by API `Api` itself")),
        "{warned:#?}"
    );
}
