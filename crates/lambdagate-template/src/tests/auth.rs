//! API `Auth`: REST and HTTP authorizers, default authorizers, API keys and usage plans, and
//! resource policies.

use lambdagate_model::RouteKey;

use super::{assert_error, http_api, load, load_ok, rest_api, warnings};

#[test]
fn rest_auth_authorizers_defaults_and_usage_plan() {
    let props = "      Cors: \"'*'\"\n      Auth:\n        DefaultAuthorizer: Token\n        ApiKeyRequired: true\n        Authorizers:\n          Token:\n            FunctionArn: !GetAtt Fn.Arn\n            Identity:\n              Header: X-Token\n              ReauthorizeEvery: 60\n              ValidationExpression: ^Bearer .+$\n          Request:\n            FunctionArn: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}\n            FunctionPayloadType: REQUEST\n            Identity:\n              Headers: [X-A]\n              QueryStrings: [q]\n              StageVariables: [s]\n              Context: [identity.sourceIp]\n          Pool:\n            UserPoolArn: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/a]\n            AuthorizationScopes: [read]\n        UsagePlan:\n          CreateUsagePlan: PER_API\n          UsagePlanName: plan\n          Quota: {Limit: 100, Period: DAY}\n          Throttle: {BurstLimit: 5, RateLimit: 1}\n";
    let event =
        "            Auth:\n              Authorizer: Pool\n              ApiKeyRequired: false\n";
    let extra = "        Open:\n          Type: Api\n          Properties:\n            RestApiId: !Ref MyApi\n            Path: /open\n            Method: get\n            Auth: {Authorizer: NONE}\n        Default:\n          Type: Api\n          Properties: {RestApiId: !Ref MyApi, Path: /d, Method: post}\n        Iam:\n          Type: Api\n          Properties: {RestApiId: !Ref MyApi, Path: /iam, Method: put, Auth: {Authorizer: AWS_IAM}}\n";
    let text = rest_api(props, event, extra);
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    let api = &app.apis[0];
    let token = api.authorizer("Token").unwrap();
    assert_eq!(token.identity_sources, ["method.request.header.X-Token"]);
    assert_eq!(token.result_ttl_secs, 60);
    assert_eq!(
        token.identity_validation_expression.as_deref(),
        Some("^Bearer .+$")
    );
    let lambdagate_model::AuthorizerKind::Lambda {
        function,
        authorizer_type,
        ..
    } = &token.kind
    else {
        panic!("{token:?}")
    };
    assert_eq!(
        (function.as_str(), *authorizer_type),
        ("Fn", lambdagate_model::LambdaAuthorizerType::Token)
    );
    let request = api.authorizer("Request").unwrap();
    assert_eq!(
        request.identity_sources,
        [
            "method.request.header.X-A",
            "method.request.querystring.q",
            "stageVariables.s",
            "context.identity.sourceIp"
        ]
    );
    assert_eq!(request.result_ttl_secs, 300);
    assert!(
        matches!(&request.kind, lambdagate_model::AuthorizerKind::Lambda { function, .. } if function == "Fn")
    );
    let auth = |path: &str| {
        let r = api
            .routes
            .iter()
            .find(|r| matches!(&r.key, RouteKey::MethodPath { path: p, method } if p == path && method != "OPTIONS"))
            .unwrap();
        (
            r.auth.authorization_type.as_str(),
            r.auth.authorizer.clone(),
            r.auth.scopes.clone(),
            r.api_key_required,
        )
    };
    assert_eq!(
        auth("/items"),
        (
            "COGNITO_USER_POOLS",
            Some("Pool".into()),
            vec!["read".to_string()],
            false
        )
    );
    assert_eq!(auth("/open"), ("NONE", None, vec![], true));
    assert_eq!(auth("/d"), ("CUSTOM", Some("Token".into()), vec![], true));
    assert_eq!(auth("/iam"), ("AWS_IAM", None, vec![], true));
    let preflight = api
        .routes
        .iter()
        .find(|r| matches!(&r.key, RouteKey::MethodPath { method, .. } if method == "OPTIONS"))
        .unwrap();
    assert_eq!(preflight.auth.authorizer.as_deref(), Some("Token"));
    assert!(preflight.api_key_required);
    assert_eq!(app.api_keys[0].logical_id, "MyApiApiKey");
    assert_eq!(
        app.api_keys[0].stage_keys,
        [("MyApi".to_string(), "prod".to_string())]
    );
    let plan = &app.usage_plans[0];
    assert_eq!(
        (plan.logical_id.as_str(), plan.name.as_deref()),
        ("MyApiUsagePlan", Some("plan"))
    );
    assert_eq!(plan.quota.unwrap().limit, 100);
    assert_eq!(plan.throttle.unwrap().burst_limit, Some(5));
    assert_eq!(plan.keys, ["MyApiApiKey"]);
}

#[test]
fn http_auth_jwt_and_lambda_authorizers() {
    let props = "      Auth:\n        DefaultAuthorizer: Jwt\n        Authorizers:\n          Jwt:\n            JwtConfiguration:\n              issuer: https://issuer.example.com\n              audience: [a, b]\n            AuthorizationScopes: [s1]\n          Lam:\n            FunctionArn: !GetAtt Fn.Arn\n            AuthorizerPayloadFormatVersion: '2.0'\n            EnableSimpleResponses: true\n            Identity:\n              Headers: [Authorization]\n              ReauthorizeEvery: 0\n";
    let extra = "        Other:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref MyHttp\n            Path: /other\n            Method: get\n            Auth: {Authorizer: Lam}\n";
    let text = http_api(props, "", extra);
    let app = load_ok(&text);
    let api = &app.apis[0];
    let jwt = api.authorizer("Jwt").unwrap();
    assert_eq!(jwt.identity_sources, ["$request.header.Authorization"]);
    assert_eq!(
        jwt.kind,
        lambdagate_model::AuthorizerKind::Jwt {
            issuer: "https://issuer.example.com".into(),
            audience: vec!["a".into(), "b".into()]
        }
    );
    let lam = api.authorizer("Lam").unwrap();
    assert_eq!(lam.identity_sources, ["$request.header.Authorization"]);
    assert_eq!(lam.result_ttl_secs, 0);
    assert!(matches!(
        &lam.kind,
        lambdagate_model::AuthorizerKind::Lambda {
            simple_responses: true,
            payload_format: lambdagate_model::PayloadFormat::V2,
            ..
        }
    ));
    assert_eq!(api.routes[0].auth.authorization_type.as_str(), "JWT");
    assert_eq!(api.routes[0].auth.scopes, ["s1"]);
    assert_eq!(api.routes[1].auth.authorization_type.as_str(), "CUSTOM");
}

#[test]
fn unknown_authorizer_is_an_error() {
    let props = "      Auth:\n        Authorizers:\n          Pool:\n            UserPoolArn: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/a\n";
    let event = "            Auth:\n              Authorizer: Nope\n";
    let errors = load(&rest_api(props, event, "")).unwrap_err();
    assert_error(
        &errors,
        "25:27: function `Fn`, event `Get` (API `MyApi`): authorizer `Nope` is not defined on the API (its authorizers: Pool; or NONE, AWS_IAM)",
    );
    let props = "      Auth:\n        DefaultAuthorizer: Missing\n";
    let errors = load(&rest_api(props, "", "")).unwrap_err();
    assert_error(
        &errors,
        "API `MyApi`: Auth: authorizer `Missing` is not defined on the API (its authorizers: none",
    );
}

#[test]
fn resource_policies_are_written_as_sam_writes_them() {
    let props = "      Auth:\n        ResourcePolicy:\n          IpRangeWhitelist: [10.0.0.0/8]\n          \
        SourceVpcBlacklist: [vpce-1, vpc-2]\n          CustomStatements:\n            - Effect: Deny\n              \
        Principal: '*'\n              Action: execute-api:Invoke\n              Resource: execute-api:/*/DELETE/*\n";
    let event = "            Auth:\n              ResourcePolicy:\n                AwsAccountWhitelist: ['111122223333']\n";
    let app = load(&rest_api(props, event, "")).unwrap();
    assert!(warnings(&rest_api(props, event, "")).is_empty());
    let policy = &app.apis[0].resource_policy;
    let resource = serde_json::json!(["execute-api:/prod/GET/items"]);
    // The event's own: the account may invoke its route.
    assert_eq!(policy[0]["Effect"], "Allow");
    assert_eq!(
        policy[0]["Principal"],
        serde_json::json!({"AWS": ["111122223333"]})
    );
    assert_eq!(policy[0]["Resource"], resource);
    // The API's: an allow, and a deny outside the address ranges; the VPC lists by prefix.
    assert_eq!(policy[1]["Effect"], "Allow");
    assert_eq!(
        policy[2]["Condition"],
        serde_json::json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}})
    );
    assert_eq!(
        policy[3]["Condition"],
        serde_json::json!({"StringEquals": {"aws:SourceVpc": ["vpc-2"], "aws:SourceVpce": ["vpce-1"]}})
    );
    // The allow the two lists share is written once; the custom statement as written.
    assert_eq!(policy.len(), 5, "{policy:#?}");
    assert_eq!(policy[4]["Resource"], "execute-api:/*/DELETE/*");

    let http = "      Auth:\n        ResourcePolicy:\n          IpRangeWhitelist: [10.0.0.0/8]\n";
    let warnings = warnings(&http_api(http, "", ""));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("ResourcePolicy is for REST APIs")),
        "{warnings:?}"
    );
}

#[test]
fn an_unquoted_authorizer_payload_format_version_is_read_as_written() {
    // `2.0` unquoted is a YAML number; the deployed template carries it as "2.0".
    for (written, expected) in [
        ("2.0", lambdagate_model::PayloadFormat::V2),
        ("1.0", lambdagate_model::PayloadFormat::V1),
    ] {
        let props = format!(
            "      Auth:\n        Authorizers:\n          Lam:\n            FunctionArn: !GetAtt Fn.Arn\n            AuthorizerPayloadFormatVersion: {written}\n"
        );
        let app = load_ok(&http_api(&props, "", ""));
        let lam = app.apis[0].authorizer("Lam").unwrap();
        assert!(
            matches!(&lam.kind, lambdagate_model::AuthorizerKind::Lambda { payload_format, .. } if *payload_format == expected),
            "{written}: {:?}",
            lam.kind
        );
    }
    // Quoted, "2" is not a version API Gateway takes.
    let props = "      Auth:\n        Authorizers:\n          Lam:\n            FunctionArn: !GetAtt Fn.Arn\n            AuthorizerPayloadFormatVersion: '2'\n";
    assert_error(
        &load(&http_api(props, "", "")).unwrap_err(),
        "AuthorizerPayloadFormatVersion must be \"1.0\" or \"2.0\", not `2`",
    );
}
