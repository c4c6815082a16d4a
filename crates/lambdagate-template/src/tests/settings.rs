//! API settings: gateway responses, stages and canaries, method and route settings, custom
//! domains and base path mappings, and raw `AWS::ApiGateway` stages and deployments.

use super::{assert_error, http_api, load, load_ok, rest_api, warnings};

#[test]
fn sam_gateway_responses_use_aws_keys() {
    let props = "      GatewayResponses:\n        UNAUTHORIZED:\n          StatusCode: 401\n          ResponseParameters:\n            Headers:\n              WWW-Authenticate: \"'Bearer'\"\n            QueryStrings:\n              q: \"'v'\"\n            Paths:\n              p: \"'w'\"\n          ResponseTemplates:\n            application/json: '{\"m\": $context.error.messageString}'\n        DEFAULT_4XX:\n          StatusCode: '418'\n        MISSING_AUTHENTICATION_TOKEN: {}\n";
    let text = rest_api(props, "", "");
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    let responses = &app.apis[0].gateway_responses;
    assert_eq!(responses.len(), 3);
    let unauthorized = &responses[0];
    assert_eq!(
        unauthorized.response_type,
        lambdagate_model::ResponseType::Unauthorized
    );
    assert_eq!(unauthorized.status_code, Some(401));
    assert_eq!(
        unauthorized.response_parameters,
        [
            ("gatewayresponse.header.WWW-Authenticate", "'Bearer'"),
            ("gatewayresponse.path.p", "'w'"),
            ("gatewayresponse.querystring.q", "'v'"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(
        unauthorized.response_templates,
        [(
            "application/json".to_string(),
            "{\"m\": $context.error.messageString}".to_string()
        )]
    );
    assert_eq!(responses[1].status_code, Some(418));
    assert_eq!(responses[2].status_code, None);
    assert_eq!(unauthorized.source.line, 8);
}

#[test]
fn unknown_gateway_response_type_lists_valid_ones() {
    let props = "      GatewayResponses:\n        NOT_A_TYPE:\n          StatusCode: 400\n        THROTTLED:\n          StatusCode: 99\n";
    let errors = load(&rest_api(props, "", "")).unwrap_err();
    assert_error(
        &errors,
        "8:9: API `MyApi`: GatewayResponses: `NOT_A_TYPE` is not a gateway response type; valid types are ACCESS_DENIED, API_CONFIGURATION_ERROR",
    );
    assert_error(&errors, "WAF_FILTERED");
    assert_error(
        &errors,
        "11:23: API `MyApi`: GatewayResponses: THROTTLED: StatusCode must be an HTTP status",
    );
}

#[test]
fn rest_stage_settings_load() {
    let props = "      Description: items api\n      MinimumCompressionSize: 1024\n      ApiKeySourceType: AUTHORIZER\n      DisableExecuteApiEndpoint: true\n      TracingEnabled: true\n      CacheClusterEnabled: true\n      CacheClusterSize: '1.6'\n      Variables:\n        fn: items\n      AccessLogSetting:\n        DestinationArn: arn:aws:logs:eu-west-1:123456789012:log-group:x\n        Format: $context.requestId\n      MethodSettings:\n        - ResourcePath: /~1items\n          HttpMethod: get\n          ThrottlingBurstLimit: 10\n          ThrottlingRateLimit: 2.5\n          CachingEnabled: true\n          CacheTtlInSeconds: 60\n          LoggingLevel: INFO\n          MetricsEnabled: true\n        - ResourcePath: /*\n          HttpMethod: '*'\n          DataTraceEnabled: false\n      Models:\n        Item:\n          type: object\n          required: [id]\n      CanarySetting:\n        PercentTraffic: 12.5\n        StageVariableOverrides:\n          fn: items-canary\n        UseStageCache: true\n";
    let text = rest_api(props, "", "");
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    let api = &app.apis[0];
    assert_eq!(api.description.as_deref(), Some("items api"));
    assert_eq!(api.minimum_compression_size, Some(1024));
    assert_eq!(
        api.api_key_source,
        lambdagate_model::ApiKeySource::Authorizer
    );
    assert!(api.disable_execute_api_endpoint);
    assert_eq!(api.models[0].name, "Item");
    assert_eq!(api.models[0].schema["required"][0], "id");
    let stage = &api.stages[0];
    assert!(stage.tracing_enabled);
    assert_eq!(stage.cache_cluster.as_ref().unwrap().size, "1.6");
    assert_eq!(stage.variables["fn"], "items");
    let log = stage.access_log.as_ref().unwrap();
    assert_eq!(log.format.as_deref(), Some("$context.requestId"));
    let first = &stage.method_settings[0];
    assert_eq!(
        (first.resource_path.as_str(), first.http_method.as_str()),
        ("/items", "GET")
    );
    assert_eq!(first.throttle.burst_limit, Some(10));
    assert_eq!(first.throttle.rate_limit, Some(2.5));
    assert!(first.caching_enabled);
    assert_eq!(first.cache_ttl_secs, Some(60));
    assert_eq!(first.other, ["LoggingLevel", "MetricsEnabled"]);
    assert_eq!(stage.method_settings[1].resource_path, "/*");
    assert_eq!(stage.method_settings[1].other, ["DataTraceEnabled"]);
    let canary = stage.canary.as_ref().unwrap();
    assert_eq!(canary.percent_traffic, 12.5);
    assert_eq!(canary.stage_variable_overrides["fn"], "items-canary");
    assert!(canary.use_stage_cache);
}

#[test]
fn canary_percent_outside_0_to_100_is_an_error() {
    let props = "      CanarySetting:\n        PercentTraffic: 150\n";
    let errors = load(&rest_api(props, "", "")).unwrap_err();
    assert_error(
        &errors,
        "8:25: API `MyApi`: CanarySetting: PercentTraffic is 150, which is outside 0 to 100",
    );
}

#[test]
fn unknown_method_setting_is_an_error() {
    let props = "      MethodSettings:\n        - ResourcePath: /*\n          Throttle: 5\n";
    let errors = load(&rest_api(props, "", "")).unwrap_err();
    assert_error(
        &errors,
        "9:11: API `MyApi`: MethodSettings: unknown property `Throttle`",
    );
}

#[test]
fn http_route_settings_load() {
    let props = "      StageVariables:\n        v: '1'\n      DefaultRouteSettings:\n        ThrottlingBurstLimit: 100\n        ThrottlingRateLimit: 50\n      RouteSettings:\n        GET /items:\n          ThrottlingBurstLimit: 5\n          DetailedMetricsEnabled: true\n        $default:\n          ThrottlingRateLimit: 1\n      AccessLogSettings:\n        Format: $context.requestId\n";
    let text = http_api(props, "", "");
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    let api = &app.apis[0];
    assert_eq!(api.description.as_deref(), Some("http"));
    let stage = &api.stages[0];
    assert_eq!(stage.name, "$default");
    assert_eq!(stage.variables["v"], "1");
    let settings: Vec<(&str, &str, Option<u32>)> = stage
        .method_settings
        .iter()
        .map(|s| {
            (
                s.resource_path.as_str(),
                s.http_method.as_str(),
                s.throttle.burst_limit,
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            ("/*", "*", Some(100)),
            ("/items", "GET", Some(5)),
            ("$default", "*", None)
        ]
    );
    assert_eq!(stage.method_settings[1].other, ["DetailedMetricsEnabled"]);
    assert!(stage.access_log.is_some());
}

#[test]
fn http_event_route_settings_go_on_the_stage() {
    let event = "            RouteSettings:\n              ThrottlingBurstLimit: 3\n";
    let app = load_ok(&http_api("", event, ""));
    let setting = &app.apis[0].stages[0].method_settings[0];
    assert_eq!(
        (
            setting.resource_path.as_str(),
            setting.http_method.as_str(),
            setting.throttle.burst_limit
        ),
        ("/items", "GET", Some(3))
    );
}

#[test]
fn sam_domain_maps_base_paths_to_the_sam_stage() {
    let props = "      Domain:\n        DomainName: API.example.com\n        CertificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/x\n        BasePath: [/, /orders/v1/]\n";
    let extra = "  Other:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Domain:\n        DomainName: api.example.com\n        BasePath: other\n";
    let text = rest_api(props, "", extra);
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    assert_eq!(app.domains.len(), 1);
    let mappings: Vec<(&str, &str, &str)> = app.domains[0]
        .mappings
        .iter()
        .map(|m| (m.base_path.as_str(), m.api.as_str(), m.stage.as_str()))
        .collect();
    assert_eq!(
        mappings,
        [
            ("", "MyApi", "prod"),
            ("orders/v1", "MyApi", "prod"),
            ("other", "Other", "$default")
        ]
    );
}

#[test]
fn base_path_mapped_twice_is_an_error_at_both_places() {
    let props = "      Domain:\n        DomainName: api.example.com\n        BasePath: /v1\n";
    let extra = "  Mapping:\n    Type: AWS::ApiGateway::BasePathMapping\n    Properties:\n      DomainName: api.example.com\n      RestApiId: !Ref MyApi\n      Stage: !Ref MyApi.Stage\n      BasePath: v1/\n";
    let errors = load(&rest_api(props, "", extra)).unwrap_err();
    assert_error(
        &errors,
        "9:19: domain `api.example.com`: base path `v1` is mapped twice: also at",
    );
    assert_error(
        &errors,
        "23:3: domain `api.example.com`: base path `v1` is mapped twice",
    );
}

#[test]
fn stage_declared_twice_is_an_error_at_both_places() {
    let extra = "  Again:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: !Ref MyApi\n      StageName: prod\n      DeploymentId: d\n";
    let errors = load(&rest_api("", "", extra)).unwrap_err();
    assert_error(
        &errors,
        "3:3: API `MyApi`: stage `prod` is declared twice: also at",
    );
    assert_error(&errors, "20:3: API `MyApi`: stage `prod` is declared twice");
}

#[test]
fn raw_stages_deployments_responses_and_mappings_attach() {
    let extra = "  Dev:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: !Ref MyApi\n      StageName: dev\n      Variables: {v: dev}\n      MethodSettings:\n        - ResourcePath: /*\n          HttpMethod: '*'\n          ThrottlingRateLimit: 3\n  Deploy:\n    Type: AWS::ApiGateway::Deployment\n    Properties:\n      RestApiId: !Ref MyApi\n      StageName: qa\n      StageDescription:\n        ThrottlingBurstLimit: 7\n        Variables: {v: qa}\n  Unauthorized:\n    Type: AWS::ApiGateway::GatewayResponse\n    Properties:\n      RestApiId: !Ref MyApi\n      ResponseType: UNAUTHORIZED\n      StatusCode: '401'\n      ResponseParameters:\n        gatewayresponse.header.WWW-Authenticate: \"'Basic'\"\n  Domain:\n    Type: AWS::ApiGateway::DomainName\n    Properties:\n      DomainName: api.example.com\n  Root:\n    Type: AWS::ApiGateway::BasePathMapping\n    Properties:\n      DomainName: !Ref Domain\n      RestApiId: !Ref MyApi\n      Stage: !Ref Dev\n      BasePath: (none)\n  Elsewhere:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: abcdef1234\n      StageName: x\n";
    let text = rest_api("", "", extra);
    let app = load_ok(&text);
    let api = &app.apis[0];
    let stages: Vec<(&str, &str)> = api
        .stages
        .iter()
        .skip(1)
        .map(|s| (s.name.as_str(), s.variables["v"].as_str()))
        .collect();
    assert_eq!(stages, [("dev", "dev"), ("qa", "qa")]);
    assert_eq!(
        api.stages[1].method_settings[0].throttle.rate_limit,
        Some(3.0)
    );
    assert_eq!(
        api.stages[2].method_settings[0].throttle.burst_limit,
        Some(7)
    );
    assert_eq!(api.stages[2].deployment.as_deref(), Some("Deploy"));
    assert_eq!(api.gateway_responses[0].status_code, Some(401));
    assert_eq!(
        api.gateway_responses[0].response_parameters[0].0,
        "gatewayresponse.header.WWW-Authenticate"
    );
    let mapping = &app.domains[0].mappings[0];
    assert_eq!(
        (mapping.base_path.as_str(), mapping.stage.as_str()),
        ("", "dev")
    );
    let warnings = warnings(&text);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("RestApiId `abcdef1234` is not an API of this template"),
        "{warnings:?}"
    );
}

#[test]
fn mapping_to_a_missing_stage_is_an_error() {
    let extra = "  Mapping:\n    Type: AWS::ApiGatewayV2::ApiMapping\n    Properties:\n      DomainName: api.example.com\n      ApiId: !Ref MyApi\n      Stage: beta\n";
    let errors = load(&rest_api("", "", extra)).unwrap_err();
    assert_error(
        &errors,
        "20:3: domain `api.example.com`: the mapping names stage `beta` of API `MyApi`, which has no such stage (its stages: prod)",
    );
}
