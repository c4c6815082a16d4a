//! OpenAPI definitions (`DefinitionBody` / `DefinitionUri`): routes, integrations, authorizers,
//! gateway responses, validators and models from the document.

use std::path::PathBuf;

use lambdagate_model::{IntegrationType, RouteKey};

use super::{FUNCTION, load, warnings};
use crate::{LoadOptions, load_str};

const REST_BODY: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: "2.0"
        info: {title: t, version: "1"}
        securityDefinitions:
          Cognito:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs:
                - arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc
          ApiKey:
            type: apiKey
            name: x-api-key
            in: header
        x-amazon-apigateway-gateway-responses:
          UNAUTHORIZED:
            statusCode: 401
            responseParameters:
              gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
            responseTemplates:
              application/json: '{"message": $context.error.messageString}'
        x-amazon-apigateway-binary-media-types: [image/png]
        paths:
          /items/{id}:
            get:
              parameters:
                - {name: id, in: path, required: true, type: string}
                - {name: verbose, in: query, type: string}
              security:
                - Cognito: [email]
                  ApiKey: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
          /health:
            get:
              responses:
                "200":
                  description: ok
                  headers:
                    X-Mock: {type: string}
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                passthroughBehavior: when_no_templates
                responses:
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.X-Mock: "'yes'"
                    responseTemplates:
                      application/json: '{"ok": true}'
                  '5\d{2}':
                    statusCode: "500"
"#;

const REST_EVENT: &str = "      Events:\n        Other:\n          Type: Api\n          Properties:\n            RestApiId: !Ref MyApi\n            Path: /other\n            Method: get\n";

#[test]
fn openapi_rest_body_with_proxy_mock_cognito_and_gateway_responses() {
    use lambdagate_model::{AuthorizationType, AuthorizerKind, PassthroughBehavior};
    let app = load(&format!("{REST_BODY}{FUNCTION}{REST_EVENT}")).unwrap();
    let api = &app.apis[0];
    let keys: Vec<String> = api.routes.iter().map(|r| r.key.to_string()).collect();
    // The document's routes first, then the event's.
    assert_eq!(keys, ["GET /items/{id}", "GET /health", "GET /other"]);

    let item = &api.routes[0];
    assert_eq!(item.integration.kind, IntegrationType::AwsProxy);
    assert_eq!(item.integration.function(), Some("Fn"));
    assert_eq!(
        item.auth.authorization_type,
        AuthorizationType::CognitoUserPools
    );
    assert_eq!(item.auth.authorizer.as_deref(), Some("Cognito"));
    assert_eq!(item.auth.scopes, ["email"]);
    assert!(item.api_key_required);
    assert_eq!(item.request_parameters.len(), 2);
    assert!(item.request_parameters[0].required);
    assert!(!item.request_parameters[1].required);
    assert_eq!(item.source.line, 34);

    let health = &api.routes[1];
    assert_eq!(health.integration.kind, IntegrationType::Mock);
    assert_eq!(
        health.integration.passthrough_behavior,
        PassthroughBehavior::WhenNoTemplates
    );
    assert_eq!(health.integration.request_templates.len(), 1);
    let responses = &health.integration.integration_responses;
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].selection_pattern, None);
    assert_eq!(responses[0].status_code, 200);
    assert_eq!(
        responses[0].response_parameters,
        [(
            "method.response.header.X-Mock".to_string(),
            "'yes'".to_string()
        )]
    );
    assert_eq!(responses[1].selection_pattern.as_deref(), Some("5\\d{2}"));
    assert_eq!(responses[1].status_code, 500);
    assert_eq!(health.auth.authorization_type, AuthorizationType::None);
    assert_eq!(health.method_responses.len(), 1);
    assert_eq!(health.method_responses[0].status_code, 200);
    assert_eq!(
        health.method_responses[0].headers,
        [("X-Mock".to_string(), false)]
    );

    let AuthorizerKind::CognitoUserPools { provider_arns } = &api.authorizers[0].kind else {
        panic!("{:?}", api.authorizers);
    };
    assert_eq!(provider_arns.len(), 1);
    assert_eq!(
        api.authorizers[0].identity_sources,
        ["method.request.header.Authorization"]
    );
    assert_eq!(api.gateway_responses.len(), 1);
    assert_eq!(api.gateway_responses[0].status_code, Some(401));
    assert_eq!(
        api.gateway_responses[0].response_parameters[0].0,
        "gatewayresponse.header.Access-Control-Allow-Origin"
    );
    assert_eq!(api.binary_media_types, ["image/png"]);
}

#[test]
fn openapi_event_on_a_documented_method_leaves_the_documents_route() {
    // SAM leaves a document it did not write alone (REST) and keeps the document's
    // integration (HTTP APIs): the event only grants permission, and the document's route is
    // the one served.
    let event = REST_EVENT.replace("/other", "/health");
    let text = format!("{REST_BODY}{FUNCTION}{event}");
    let app = load(&text).unwrap_or_else(|e| panic!("{e:#?}"));
    let health: Vec<_> = app.apis[0]
        .routes
        .iter()
        .filter(|r| r.key.to_string() == "GET /health")
        .collect();
    assert_eq!(health.len(), 1);
    assert_eq!(health[0].integration.kind, IntegrationType::Mock);
    let warnings = warnings(&text);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`GET /health` is already defined by API `MyApi` itself")),
        "{warnings:#?}"
    );
}

#[test]
fn openapi_http_body_with_jwt_and_default_route() {
    use lambdagate_model::{AuthorizationType, AuthorizerKind, PayloadFormat};
    let text = format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  MyHttp:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: {{title: t, version: "1"}}
        x-amazon-apigateway-cors:
          allowOrigins: ["https://a.example"]
          allowMethods: [get]
          maxAge: 600
        components:
          securitySchemes:
            Jwt:
              type: oauth2
              x-amazon-apigateway-authorizer:
                type: jwt
                identitySource: "$request.header.Authorization"
                jwtConfiguration:
                  issuer: https://issuer.example.com
                  audience: [aud1]
        security:
          - Jwt: [read]
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: "1.0"
                timeoutInMillis: 5000
                uri: !GetAtt Fn.Arn
          $default:
            x-amazon-apigateway-any-method:
              security: []
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                payloadFormatVersion: "2.0"
                uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${{stageVariables.fn}}/invocations
{FUNCTION}"#
    );
    let app = load(&text).unwrap();
    let api = &app.apis[0];
    assert_eq!(api.routes.len(), 2);
    let items = &api.routes[0];
    assert_eq!(items.key.to_string(), "GET /items");
    assert_eq!(items.integration.function(), Some("Fn"));
    assert_eq!(items.integration.payload_format, PayloadFormat::V1);
    assert_eq!(items.integration.timeout_ms, Some(5000));
    assert_eq!(items.auth.authorization_type, AuthorizationType::Jwt);
    assert_eq!(items.auth.authorizer.as_deref(), Some("Jwt"));
    assert_eq!(items.auth.scopes, ["read"]);
    let default = &api.routes[1];
    assert_eq!(default.key, RouteKey::Default);
    assert_eq!(default.integration.function(), Some("${stageVariables.fn}"));
    assert_eq!(default.integration.payload_format, PayloadFormat::V2);
    assert_eq!(default.auth.authorization_type, AuthorizationType::None);
    let AuthorizerKind::Jwt { issuer, audience } = &api.authorizers[0].kind else {
        panic!("{:?}", api.authorizers);
    };
    assert_eq!(issuer, "https://issuer.example.com");
    assert_eq!(audience, &["aud1".to_string()]);
    assert_eq!(
        api.authorizers[0].identity_sources,
        ["$request.header.Authorization"]
    );
    let Some(lambdagate_model::Cors::Http(cors)) = &api.cors else {
        panic!("{:?}", api.cors);
    };
    assert_eq!(cors.allow_origins, ["https://a.example"]);
    assert_eq!(cors.allow_methods, ["GET"]);
    assert_eq!(cors.max_age, Some(600));
}

#[test]
fn openapi_definition_uri_fixture() {
    let template = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/openapi-rest/template.yaml");
    let loaded = crate::load(&template, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:?}", e.iter().map(|d| d.to_string()).collect::<Vec<_>>()));
    // The event's route is served as `sam local` serves it, with a word that a deploy has none.
    let [warning] = loaded.warnings.as_slice() else {
        panic!("{:?}", loaded.warnings);
    };
    assert!(
        warning
            .message
            .contains("`POST /items` is not in API `ItemsApi`'s definition")
            && warning.message.contains("a deploy has no such route"),
        "{warning}"
    );
    let api = &loaded.application.apis[0];
    let keys: Vec<String> = api.routes.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(keys, ["GET /items/{id}", "GET /ping", "POST /items"]);
    // The document names the function by its FunctionName; routes use the logical id.
    assert_eq!(api.routes[0].integration.function(), Some("ItemsFunction"));
    assert_eq!(api.routes[0].operation_name.as_deref(), Some("getItem"));
    assert!(api.routes[0].source.file.ends_with("openapi.yaml"));
    assert_eq!(api.routes[0].source.line, 12);
    assert_eq!(api.routes[1].integration.kind, IntegrationType::Mock);
    assert_eq!(api.gateway_responses[0].status_code, Some(404));
}

#[test]
fn openapi_method_without_integration_is_warned_and_not_served() {
    let body = REST_BODY.replace(
        "          /health:\n            get:\n",
        "          /bare:\n            post:\n              summary: nothing\n          /health:\n            get:\n",
    );
    let text = format!("{body}{FUNCTION}");
    let warnings = warnings(&text);
    assert!(
        warnings.iter().any(|w| w.starts_with("46:13: ")
            && w.contains("`POST /bare` has no x-amazon-apigateway-integration")),
        "{warnings:?}"
    );
    let app = load(&text).unwrap();
    assert!(
        app.apis[0]
            .routes
            .iter()
            .all(|r| r.key.to_string() != "POST /bare")
    );
}

#[test]
fn openapi_unknown_gateway_response_type_is_an_error() {
    let body = REST_BODY.replace("          UNAUTHORIZED:\n", "          NOT_A_TYPE:\n");
    let errors = load(&format!("{body}{FUNCTION}")).unwrap_err();
    assert!(
        errors.iter().any(|e| e.starts_with("25:11: ")
            && e.contains("`NOT_A_TYPE` is not a gateway response type")),
        "{errors:?}"
    );
}

#[test]
fn openapi_unloaded_extension_is_warned() {
    let body = REST_BODY.replace(
        "        x-amazon-apigateway-binary-media-types",
        "        x-amazon-apigateway-tag-value: x\n        x-amazon-apigateway-binary-media-types",
    );
    let warnings = warnings(&format!("{body}{FUNCTION}"));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("x-amazon-apigateway-tag-value is not served yet")),
        "{warnings:?}"
    );
}

#[test]
fn openapi_resource_policy_is_loaded() {
    let policy = "        x-amazon-apigateway-policy:\n          Version: '2012-10-17'\n          \
        Statement:\n            - Effect: Deny\n              Principal: '*'\n              \
        Action: execute-api:Invoke\n              Resource: execute-api:/*\n";
    let body = REST_BODY.replace(
        "        x-amazon-apigateway-binary-media-types",
        &format!("{policy}        x-amazon-apigateway-binary-media-types"),
    );
    let app = load(&format!("{body}{FUNCTION}")).unwrap();
    let api = &app.apis[0];
    assert_eq!(api.resource_policy.len(), 1);
    assert_eq!(api.resource_policy[0]["Effect"], "Deny");
    assert_eq!(api.resource_policy[0]["Resource"], "execute-api:/*");
    let bad = REST_BODY.replace(
        "        x-amazon-apigateway-binary-media-types",
        "        x-amazon-apigateway-policy: {}\n        x-amazon-apigateway-binary-media-types",
    );
    let errors = load(&format!("{bad}{FUNCTION}")).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("the policy needs a Statement")),
        "{errors:?}"
    );
}

#[test]
fn openapi_method_without_integration_served_by_an_event() {
    // SAM puts the event's integration on a documented method that has none.
    let body = REST_BODY.replace(
        "          /health:\n            get:\n",
        "          /other:\n            get:\n              summary: from the event\n              security:\n                - Cognito: []\n              parameters:\n                - {name: q, in: query, required: true, type: string}\n          /health:\n            get:\n",
    );
    let text = format!("{body}{FUNCTION}{REST_EVENT}");
    let warnings = warnings(&text);
    assert!(
        !warnings.iter().any(|w| w.contains("GET /other")),
        "{warnings:?}"
    );
    let app = load(&text).unwrap();
    let other: Vec<_> = app.apis[0]
        .routes
        .iter()
        .filter(|r| r.key.to_string() == "GET /other")
        .collect();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].integration.function(), Some("Fn"));
    // The document's settings of the method stay, as SAM keeps them.
    assert_eq!(other[0].auth.authorizer.as_deref(), Some("Cognito"));
    assert_eq!(other[0].request_parameters.len(), 1);
    assert!(other[0].request_parameters[0].required);
}

#[test]
fn openapi_sam_default_authorizer_covers_methods_without_security() {
    use lambdagate_model::AuthorizationType;
    let body = REST_BODY.replace(
        "      StageName: prod\n",
        "      StageName: prod\n      Auth:\n        DefaultAuthorizer: Lam\n        Authorizers:\n          Lam:\n            FunctionArn: !GetAtt Fn.Arn\n",
    );
    let app = load(&format!("{body}{FUNCTION}")).unwrap();
    let api = &app.apis[0];
    let item = &api.routes[0];
    assert_eq!(item.auth.authorizer.as_deref(), Some("Cognito"));
    let health = &api.routes[1];
    assert_eq!(health.auth.authorization_type, AuthorizationType::Custom);
    assert_eq!(health.auth.authorizer.as_deref(), Some("Lam"));
}

#[test]
fn openapi_definition_uri_errors_name_the_file() {
    // A folder of its own per process, so parallel runs do not share files.
    let dir = std::env::temp_dir().join(format!("lambdagate-openapi-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("api.yaml"),
        "swagger: \"2.0\"\nx-amazon-apigateway-gateway-responses:\n  NOPE:\n    statusCode: 400\npaths: {}\n",
    )
    .unwrap();
    let template = |uri: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      DefinitionUri: {uri}\n"
        )
    };
    let errors = |uri: &str| -> Vec<String> {
        load_str(
            &template(uri),
            &dir.join("template.yaml"),
            &LoadOptions::default(),
        )
        .expect_err(uri)
        .iter()
        .map(|d| d.to_string())
        .collect()
    };
    let found = errors("api.yaml");
    assert!(
        found.iter().any(|e| e.contains("api.yaml:3:3: error")
            && e.contains("`NOPE` is not a gateway response type")),
        "{found:?}"
    );
    let found = errors("missing.yaml");
    assert!(
        found
            .iter()
            .any(|e| e.contains("template.yaml:7:22") && e.contains("cannot be read")),
        "{found:?}"
    );
    let found = errors("s3://bucket/api.yaml");
    assert!(found.iter().any(|e| e.contains("is in S3")), "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openapi_validators_models_and_outside_functions() {
    let text = format!(
        r##"Transform: AWS::Serverless-2016-10-31
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: "2.0"
        x-amazon-apigateway-request-validators:
          all: {{validateRequestBody: true, validateRequestParameters: true}}
          params: {{validateRequestParameters: true}}
        x-amazon-apigateway-request-validator: all
        definitions:
          Item:
            type: object
            required: [name]
        parameters:
          Trace: {{in: header, name: X-Trace, required: true, type: string}}
        paths:
          /items:
            post:
              x-amazon-apigateway-request-validator: params
              parameters:
                - {{in: body, name: body, required: true, schema: {{$ref: "#/definitions/Item"}}}}
                - {{$ref: "#/parameters/Trace"}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:elsewhere/invocations
{FUNCTION}"##
    );
    let app = load(&text).unwrap();
    let api = &app.apis[0];
    assert_eq!(api.request_validators.len(), 2);
    assert!(api.request_validators[0].validate_body);
    assert_eq!(api.default_validator.as_deref(), Some("all"));
    assert_eq!(api.models[0].name, "Item");
    let route = &api.routes[0];
    assert_eq!(route.request_validator.as_deref(), Some("params"));
    assert_eq!(
        route.request_models,
        [("application/json".to_string(), "Item".to_string())]
    );
    assert_eq!(route.request_parameters.len(), 1);
    assert_eq!(route.request_parameters[0].name, "X-Trace");
    assert_eq!(route.integration.function(), Some("elsewhere"));
    let warnings = warnings(&text);
    assert!(
        warnings.iter().any(|w| w.starts_with("21:13: ")
            && w.contains("function `elsewhere`, which is not a function of this template")),
        "{warnings:?}"
    );
}

#[test]
fn openapi_lambda_token_authorizer() {
    use lambdagate_model::{AuthorizationType, AuthorizerKind, LambdaAuthorizerType};
    let text = format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: "2.0"
        securityDefinitions:
          Token:
            type: apiKey
            name: X-Token
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
              authorizerResultTtlInSeconds: 60
              identityValidationExpression: "^Bearer .+$"
        security:
          - Token: []
        paths:
          /secret:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
{FUNCTION}"#
    );
    let app = load(&text).unwrap();
    let api = &app.apis[0];
    let authorizer = &api.authorizers[0];
    let AuthorizerKind::Lambda {
        function,
        authorizer_type,
        ..
    } = &authorizer.kind
    else {
        panic!("{authorizer:?}");
    };
    assert_eq!(function, "Fn");
    assert_eq!(*authorizer_type, LambdaAuthorizerType::Token);
    assert_eq!(
        authorizer.identity_sources,
        ["method.request.header.X-Token"]
    );
    assert_eq!(authorizer.result_ttl_secs, 60);
    assert_eq!(
        authorizer.identity_validation_expression.as_deref(),
        Some("^Bearer .+$")
    );
    // The document's top-level security applies to methods without their own.
    let route = &api.routes[0];
    assert_eq!(route.auth.authorization_type, AuthorizationType::Custom);
    assert_eq!(route.auth.authorizer.as_deref(), Some("Token"));
}

#[test]
fn a_definition_uri_in_a_subfolder_is_a_source_of_the_application() {
    use super::nested::{FN, load_file, scratch};
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyApi:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: api/openapi.yaml\n{FN}"
    );
    let openapi = "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /items:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        payloadFormatVersion: '2.0'\n        uri: arn:aws:lambda:eu-west-1:123456789012:function:Fn\n";
    let dir = scratch(
        "openapi-uri-source",
        &[("template.yaml", &template), ("api/openapi.yaml", openapi)],
    );
    let loaded = load_file(&dir.join("template.yaml"), true)
        .unwrap_or_else(|d| panic!("{:#?}", super::nested::lines(&d)));
    assert_eq!(loaded.application.apis[0].routes.len(), 1);
    assert_eq!(
        loaded.application.sources,
        [crate::props::absolute(&dir.join("api/openapi.yaml"))]
    );
}

#[test]
fn a_method_that_cannot_be_read_is_left_out_when_serving() {
    // SAM CLI's own HTTP API test template has an `aws_proxy` integration without a `uri`:
    // `sam local` serves the rest of the document.
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyHttp:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody:\n        openapi: '3.0'\n        info: {title: t, version: '1'}\n        paths:\n          /good:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                payloadFormatVersion: '2.0'\n                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n          /bad:\n            post:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n";
    let app = load(text).unwrap_or_else(|e| panic!("{e:#?}"));
    let keys: Vec<String> = app.apis[0]
        .routes
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["GET /good"]);
    let warned = warnings(text);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("needs a uri") && w.contains("`POST /bad` is not served")),
        "{warned:#?}"
    );
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    let errors = load_str(text, &super::path(), &strict).unwrap_err();
    assert!(
        errors.iter().any(|e| e.message.contains("needs a uri")),
        "{errors:#?}"
    );
}
