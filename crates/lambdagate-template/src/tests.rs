//! Loader tests over small templates: every intrinsic, and one test per diagnostic.

use std::path::PathBuf;

use lambdagate_model::{Application, IntegrationType, RouteKey};

use crate::{LoadOptions, Severity, load_str};

/// A path inside this crate, so `CodeUri: src` names a folder that exists.
fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("template.yaml")
}

fn load_with(text: &str, overrides: &[(&str, &str)]) -> Result<Application, Vec<String>> {
    let options = LoadOptions {
        parameter_overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: false,
    };
    load_str(text, &path(), &options)
        .map(|l| l.application)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
                .collect()
        })
}

fn load(text: &str) -> Result<Application, Vec<String>> {
    load_with(text, &[])
}

const FUNCTION: &str = "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n";

/// A template whose function has `V: {expr}` in its environment.
fn with_env(head: &str, expr: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\n{head}Resources:\n{FUNCTION}      Environment:\n        Variables:\n          V: {expr}\n{extra}"
    )
}

fn env_value(head: &str, expr: &str, extra: &str) -> String {
    let app = load(&with_env(head, expr, extra)).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
    app.functions[0].environment["V"].clone()
}

fn env_errors(head: &str, expr: &str, extra: &str) -> Vec<String> {
    load(&with_env(head, expr, extra)).expect_err(expr)
}

const TABLE: &str =
    "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: items\n";
const PARAMS: &str = "Parameters:\n  Stage:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n  Ids:\n    Type: CommaDelimitedList\n    Default: a,b,c\n";

#[test]
fn ref_in_short_and_long_form() {
    assert_eq!(env_value("", "!Ref Table", TABLE), "items");
    assert_eq!(env_value("", "{Ref: Table}", TABLE), "items");
    assert_eq!(env_value(PARAMS, "!Ref Stage", ""), "dev");
    assert_eq!(env_value("", "!Ref AWS::Region", ""), "eu-west-1");
    assert_eq!(env_value("", "!Ref AWS::AccountId", ""), "123456789012");
    assert_eq!(env_value("", "!Ref AWS::StackName", ""), "stack");
    assert_eq!(env_value("", "!Ref AWS::Partition", ""), "aws");
    assert_eq!(env_value("", "!Ref AWS::URLSuffix", ""), "amazonaws.com");
    assert_eq!(env_value("", "!Ref Fn", ""), "Fn");
}

#[test]
fn get_att_forms() {
    let arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/items";
    assert_eq!(env_value("", "!GetAtt Table.Arn", TABLE), arn);
    assert_eq!(env_value("", "{'Fn::GetAtt': [Table, Arn]}", TABLE), arn);
    assert_eq!(
        env_value("", "!GetAtt Fn.Arn", ""),
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn"
    );
}

#[test]
fn sub_forms() {
    assert_eq!(
        env_value(PARAMS, "!Sub '${Stage}-${Table}-${AWS::Region}'", TABLE),
        "dev-items-eu-west-1"
    );
    assert_eq!(
        env_value("", "!Sub '${Table.Arn}'", TABLE),
        "arn:aws:dynamodb:eu-west-1:123456789012:table/items"
    );
    assert_eq!(env_value("", "!Sub '${!Literal}'", ""), "${Literal}");
    assert_eq!(
        env_value(
            "",
            "{'Fn::Sub': ['${A}-${B}', {A: x, B: !Ref Table}]}",
            TABLE
        ),
        "x-items"
    );
}

#[test]
fn join_select_split() {
    assert_eq!(env_value(PARAMS, "!Join [':', !Ref Ids]", ""), "a:b:c");
    assert_eq!(
        env_value("", "!Join ['', [a, !Ref Table]]", TABLE),
        "aitems"
    );
    assert_eq!(env_value(PARAMS, "!Select [1, !Ref Ids]", ""), "b");
    assert_eq!(env_value("", "!Select [2, !Split [',', 'x,y,z']]", ""), "z");
    assert_eq!(env_value("", "{'Fn::Select': ['0', [q]]}", ""), "q");
}

#[test]
fn conditions_and_if() {
    let head = format!(
        "{PARAMS}Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n  NotProd: !Not [!Condition IsProd]\n  Both: !And [!Condition NotProd, {{Condition: NotProd}}]\n  Either: !Or [!Condition IsProd, !Equals [a, a]]\n"
    );
    assert_eq!(env_value(&head, "!If [IsProd, p, d]", ""), "d");
    assert_eq!(env_value(&head, "!If [Both, yes, no]", ""), "yes");
    assert_eq!(env_value(&head, "!If [Either, yes, no]", ""), "yes");
    let app = load_with(
        &with_env(&head, "!If [IsProd, p, d]", ""),
        &[("Stage", "prod")],
    )
    .unwrap();
    assert_eq!(app.functions[0].environment["V"], "p");
}

#[test]
fn if_with_no_value_drops_the_key() {
    let head = "Conditions:\n  Off: !Equals [a, b]\n";
    let app = load(&with_env(head, "!If [Off, x, !Ref AWS::NoValue]", "")).unwrap();
    assert!(!app.functions[0].environment.contains_key("V"));
}

#[test]
fn resource_condition_false_drops_it() {
    let text = format!(
        "Conditions:\n  Off: !Equals [a, b]\nResources:\n{FUNCTION}  Other:\n    Type: AWS::Serverless::Function\n    Condition: Off\n    Properties:\n      CodeUri: src\n      Handler: a.b\n      Runtime: python3.12\n"
    );
    let app = load(&text).unwrap();
    assert_eq!(app.functions.len(), 1);
}

#[test]
fn find_in_map_base64_cidr_azs_import() {
    let head = "Mappings:\n  Sizes:\n    eu-west-1:\n      Mem: 512\n";
    assert_eq!(
        env_value(head, "!FindInMap [Sizes, !Ref AWS::Region, Mem]", ""),
        "512"
    );
    assert_eq!(env_value("", "!Base64 hello", ""), "aGVsbG8=");
    assert_eq!(
        env_value("", "!Select [1, !Cidr ['10.0.0.0/16', 2, 8]]", ""),
        "10.0.1.0/24"
    );
    assert_eq!(env_value("", "!Select [0, !GetAZs '']", ""), "eu-west-1a");
    assert_eq!(env_value("", "!ImportValue shared-url", ""), "shared-url");
}

#[test]
fn json_templates_load() {
    let text = r#"{
  "Resources": {
    "Fn": {
      "Type": "AWS::Serverless::Function",
      "Properties": {"CodeUri": "src", "Handler": "a.b", "Runtime": "nodejs20.x",
        "Environment": {"Variables": {"V": {"Fn::Sub": "${AWS::Region}"}}},
        "Events": {"E": {"Type": "HttpApi"}}}
    }
  }
}"#;
    let app = load(text).unwrap();
    assert_eq!(app.functions[0].environment["V"], "eu-west-1");
    assert_eq!(app.apis[0].logical_id, "ServerlessHttpApi");
    assert_eq!(app.apis[0].stages[0].name, "$default");
    assert_eq!(app.apis[0].routes[0].key, RouteKey::Default);
}

#[test]
fn globals_apply_to_functions_and_implicit_apis() {
    let text = format!(
        "Globals:\n  Function:\n    Timeout: 10\n    Environment:\n      Variables:\n        G: g\n  Api:\n    BinaryMediaTypes: ['image~1png']\n    Cors: \"'*'\"\nResources:\n{FUNCTION}      Timeout: 20\n      Events:\n        Any:\n          Type: Api\n          Properties: {{Path: '/{{proxy+}}', Method: any}}\n"
    );
    let app = load(&text).unwrap();
    let f = &app.functions[0];
    assert_eq!((f.timeout_secs, f.memory_mb), (20, 128));
    assert_eq!(f.environment["G"], "g");
    let api = &app.apis[0];
    assert_eq!(api.stages[0].name, "Prod");
    assert_eq!(api.binary_media_types, ["image/png"]);
    assert_eq!(api.routes.len(), 2);
    let mock = &api.routes[1].integration;
    assert_eq!(
        mock.kind,
        IntegrationType::Mock,
        "expected the CORS preflight mock"
    );
    let headers = &mock.integration_responses[0].response_parameters;
    assert!(headers.contains(&(
        "method.response.header.Access-Control-Allow-Methods".to_string(),
        "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'".to_string()
    )));
    assert!(headers.contains(&(
        "method.response.header.Access-Control-Allow-Origin".to_string(),
        "'*'".to_string()
    )));
}

// ---- one test per diagnostic ----

fn assert_error(errors: &[String], needle: &str) {
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error containing `{needle}` in {errors:#?}"
    );
}

#[test]
fn yaml_syntax_error() {
    let errors = load("Resources:\n  A: b\n    c: d: e\n").unwrap_err();
    assert_error(&errors, "3:");
    assert_error(&errors, "YAML syntax error");
}

#[test]
fn unknown_intrinsic_and_tag() {
    assert_error(
        &env_errors("", "{'Fn::Nope': x}", ""),
        "unknown intrinsic function `Fn::Nope`",
    );
    assert_error(&env_errors("", "!Nope x", ""), "unknown tag !Nope");
}

#[test]
fn wrong_argument_shape() {
    assert_error(
        &env_errors("", "!Join [x]", ""),
        "Fn::Join expects [delimiter, [values]]",
    );
    assert_error(&env_errors("", "!Select [5, [a]]", ""), "out of range");
    assert_error(&env_errors("", "!If [a, b]", ""), "Fn::If expects");
}

#[test]
fn ref_to_missing_parameter_or_resource() {
    let errors = env_errors("", "!Ref Missing", "");
    assert_error(&errors, "11:14: Ref to `Missing`");
    assert_error(
        &env_errors("", "!GetAtt Nope.Arn", ""),
        "`Nope` is not a resource",
    );
    assert_error(&env_errors("", "!Sub '${Gone}'", ""), "Ref to `Gone`");
}

#[test]
fn circular_references() {
    let extra = "  A:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${B}-x'\n  B:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Ref A\n";
    assert_error(
        &env_errors("", "!Ref A", extra),
        "circular reference: A -> B -> A",
    );
    let head = "Conditions:\n  C1: !Not [!Condition C2]\n  C2: !Not [!Condition C1]\n";
    assert_error(
        &env_errors(head, "!If [C1, a, b]", ""),
        "circular reference",
    );
}

#[test]
fn parameter_overrides_checked() {
    let text = with_env(PARAMS, "x", "");
    assert_error(
        &load_with(&text, &[("Nope", "1")]).unwrap_err(),
        "`Nope` is not a parameter",
    );
    assert_error(
        &load_with(&text, &[("Stage", "qa")]).unwrap_err(),
        "not one of its AllowedValues (dev, prod)",
    );
    let number = "Parameters:\n  N:\n    Type: Number\n    Default: x\n";
    assert_error(&env_errors(number, "y", ""), "is not a number");
}

#[test]
fn ssm_parameter_uses_default_and_warns() {
    let head =
        "Parameters:\n  P:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /app/url\n";
    let loaded = load_str(
        &with_env(head, "!Ref P", ""),
        &path(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(loaded.application.functions[0].environment["V"], "/app/url");
    assert!(loaded.warnings[0].message.contains("SSM"));
}

#[test]
fn missing_handler_runtime_and_code() {
    let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Runtime: python3.12\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nowhere\n      Handler: a.b\n";
    let errors = load(text).unwrap_err();
    assert_error(&errors, "2:3: function `F` has no Handler");
    assert_error(&errors, "7:3: function `G` has no Runtime");
    assert_error(
        &errors,
        "10:16: function `G`: CodeUri `nowhere` does not exist",
    );
    let s3 = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s3://b/k.zip\n      Handler: a.b\n      Runtime: python3.12\n";
    assert_error(&load(s3).unwrap_err(), "is in S3");
}

#[test]
fn unsupported_runtime_warns_and_the_rest_is_served() {
    let other = "  Java:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: target/app.jar\n      Handler: app.Handler::handleRequest\n      Runtime: java21\n      Events:\n        Put:\n          Type: Api\n          Properties: {RestApiId: !Ref MyApi, Path: /items, Method: put}\n";
    let text = rest_api("", "", other);
    let app = load_ok(&text);
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.functions[0].logical_id, "Fn");
    let routes = &app.apis[0].routes;
    assert_eq!(routes.len(), 2);
    assert_eq!(
        routes[0].integration.function(),
        Some("Fn"),
        "the python function is served"
    );
    // The route still names the function; the gateway answers AWS's 500 for it.
    assert_eq!(routes[1].integration.function(), Some("Java"));
    assert_eq!(app.unavailable_functions[0].logical_id, "Java");
    assert_eq!(app.unavailable_functions[0].runtime, "java21");
    let at = format!("{}:16: ", line_of(&text, "java21"));
    assert!(
        warnings(&text).iter().any(|w| w.starts_with(&at)
            && w.contains("runtime `java21` is not supported; supported runtimes: python3.8")),
        "{:#?}",
        warnings(&text)
    );
    // A deploy accepts the runtime, so validate does not fail on it either.
    let options = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    assert!(load_str(&text, &path(), &options).is_ok());
}

#[test]
fn package_type_image_needs_a_container_engine() {
    let errors = load(&format!("Resources:\n{FUNCTION}      PackageType: Image\n")).unwrap_err();
    assert_error(&errors, "needs a container engine");
}

#[test]
fn duplicate_routes_reported_at_both_places() {
    let events = "      Events:\n        A:\n          Type: Api\n          Properties: {Path: /x, Method: get}\n        B:\n          Type: Api\n          Properties: {Path: /x, Method: GET}\n";
    let errors = load(&format!("Resources:\n{FUNCTION}{events}")).unwrap_err();
    assert_error(&errors, "9:9: duplicate route `GET /x`");
    assert_error(&errors, "12:9: duplicate route `GET /x`");
}

#[test]
fn independent_errors_are_all_reported() {
    let text = format!(
        "Resources:\n{FUNCTION}      Environment:\n        Variables:\n          A: !Ref Nope1\n          B: !Ref Nope2\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: a.b\n      Runtime: python3.12\n      Timeout: 5000\n"
    );
    let errors = load_with(&text, &[("X", "1")]).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_error(&errors, "Timeout must be a whole number from 1 to 900");
}

#[test]
fn an_unresolvable_property_does_not_hide_other_errors_of_the_same_resource() {
    let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nope\n      Runtime: python3.12\n      Environment:\n        Variables:\n          X: !Ref Missing\n";
    let errors = load(text).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_error(&errors, "2:3: function `F` has no Handler");
    assert_error(&errors, "CodeUri `nope` does not exist");
    assert_error(&errors, "Ref to `Missing`");
}

/// A template with the REST API `MyApi` (stage `prod`) whose further properties are `props`
/// (YAML lines indented by 6), a function `Fn` with the event `Get` (`GET /items`, with the
/// event properties `event`, indented by 12) on it, and the resources `extra`.
fn rest_api(props: &str, event: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n{props}{FUNCTION}      Events:\n        Get:\n          Type: Api\n          Properties:\n            RestApiId: !Ref MyApi\n            Path: /items\n            Method: get\n{event}{extra}"
    )
}

/// Like [`rest_api`] for the HTTP API `MyHttp` (no StageName: `$default`).
fn http_api(props: &str, event: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyHttp:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Description: http\n{props}{FUNCTION}      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref MyHttp\n            Path: /items\n            Method: get\n{event}{extra}"
    )
}

fn load_ok(text: &str) -> Application {
    load(text).unwrap_or_else(|e| panic!("{e:#?}\n{text}"))
}

/// Warnings of a template that loads.
fn warnings(text: &str) -> Vec<String> {
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        ..LoadOptions::default()
    };
    load_str(text, &path(), &options)
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .warnings
        .iter()
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect()
}

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
fn resource_policy_is_still_warned_about() {
    let props = "      Auth:\n        ResourcePolicy:\n          IpRangeWhitelist: [10.0.0.0/8]\n";
    let warnings = warnings(&rest_api(props, "", ""));
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("ResourcePolicy is not served yet"),
        "{warnings:?}"
    );
}

#[test]
fn request_parameters_model_and_validator() {
    let props = "      Models:\n        Item: {type: object}\n";
    let event = "            RequestParameters:\n              - method.request.header.X-Id\n              - method.request.querystring.q:\n                  Required: true\n                  Caching: true\n            RequestModel:\n              Model: Item\n              ValidateBody: true\n              ValidateParameters: true\n";
    let text = rest_api(props, event, "");
    let app = load_ok(&text);
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
    let api = &app.apis[0];
    let route = &api.routes[0];
    let params: Vec<(&str, &str, bool, bool)> = route
        .request_parameters
        .iter()
        .map(|p| (p.location.as_str(), p.name.as_str(), p.required, p.caching))
        .collect();
    assert_eq!(
        params,
        [
            ("header", "X-Id", false, false),
            ("querystring", "q", true, true)
        ]
    );
    assert_eq!(
        route.request_models,
        [("application/json".to_string(), "Item".to_string())]
    );
    assert_eq!(route.request_validator.as_deref(), Some("body-and-params"));
    assert_eq!(api.request_validators[0].name, "body-and-params");

    let event = "            RequestModel:\n              Model: Nope\n            RequestParameters: [method.request.body.x]\n";
    let errors = load(&rest_api(props, event, "")).unwrap_err();
    assert_error(
        &errors,
        "model `Nope` is not one of API `MyApi`'s Models (Item)",
    );
    assert_error(
        &errors,
        "`method.request.body.x` must be method.request.header.NAME",
    );
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
fn api_gateway_resources_not_loaded_are_warned_about() {
    let extra = "  Key:\n    Type: AWS::ApiGateway::ApiKey\n    Properties:\n      Enabled: true\n  Account:\n    Type: AWS::ApiGateway::Account\n    Properties:\n      CloudWatchRoleArn: arn:aws:iam::123456789012:role/x\n";
    let warnings = warnings(&rest_api("", "", extra));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("AWS::ApiGateway::ApiKey is not served yet"),
        "{warnings:?}"
    );
}

// ---- tolerant loading: only what serving depends on refuses a template ----

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in {text}"))
        + 1
}

/// Errors of a template loaded as `lambdagate validate` loads it (as a deploy would check it).
fn strict_errors(text: &str) -> Vec<String> {
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: true,
        ..LoadOptions::default()
    };
    load_str(text, &path(), &options)
        .map(|_| ())
        .expect_err("strict load should fail")
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect()
}

#[test]
fn references_nothing_served_needs_only_warn_when_serving() {
    let props = "      DefinitionBody:\n        x-target: !Sub '${WhatFunction.Arn}'\n";
    let extra = "  Sg:\n    Type: AWS::EC2::SecurityGroup\n    DependsOn: NoSuch\n    Properties:\n      GroupDescription: sg\n      VpcId: !Ref MissingVpc\nOutputs:\n  Out:\n    Value: !GetAtt Gone.Arn\n  NoValueOut:\n    Description: d\n";
    let text = rest_api(props, "", extra).replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      VpcConfig:\n        SecurityGroupIds: [!Ref OtherSg]\n",
    );
    let app = load_ok(&text);
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.apis[0].routes.len(), 1);
    let warned = warnings(&text);
    for (needle, message) in [
        (
            "x-target",
            "GetAtt WhatFunction.Arn: `WhatFunction` is not a resource",
        ),
        ("MissingVpc", "Ref to `MissingVpc`"),
        ("OtherSg", "Ref to `OtherSg`"),
        ("Gone.Arn", "GetAtt Gone.Arn"),
        ("NoSuch", "DependsOn `NoSuch`, which is not a resource"),
        ("NoValueOut", "output `NoValueOut` needs a Value"),
    ] {
        let at = format!("{}:", line_of(&text, needle));
        assert!(
            warned
                .iter()
                .any(|w| w.starts_with(&at) && w.contains(message) && w.contains("validate")),
            "no warning `{message}` at line {at} in {warned:#?}"
        );
    }
    // `validate` still reports each as the error a deploy would make of it.
    let errors = strict_errors(&text);
    assert_error(
        &errors,
        &format!("{}:14: Ref to `MissingVpc`", line_of(&text, "MissingVpc")),
    );
    assert_error(&errors, "`WhatFunction` is not a resource");
    assert_error(&errors, "Ref to `OtherSg`");
    assert_error(&errors, "GetAtt Gone.Arn");
    assert_error(&errors, "DependsOn `NoSuch`");
    assert_error(&errors, "output `NoValueOut` needs a Value");
}

#[test]
fn references_serving_depends_on_still_refuse() {
    // Environment (function), Events and a loaded API property are needed to serve.
    let errors = env_errors("", "!Ref Missing", "");
    assert_error(&errors, "11:14: Ref to `Missing`");
    let text = rest_api("", "", "").replace("RestApiId: !Ref MyApi", "RestApiId: !Ref NoApi");
    let errors = load(&text).unwrap_err();
    assert_error(
        &errors,
        &format!("{}:24: Ref to `NoApi`", line_of(&text, "NoApi")),
    );
    let text = rest_api("      Description: !Ref Nothing\n", "", "");
    let errors = load(&text).unwrap_err();
    assert_error(
        &errors,
        &format!("{}:20: Ref to `Nothing`", line_of(&text, "Nothing")),
    );
}

#[test]
fn rest_cors_allow_credentials_may_be_a_quoted_string() {
    let props = "      Cors:\n        AllowOrigin: \"'https://a.example'\"\n        AllowCredentials: \"'true'\"\n";
    let app = load_ok(&rest_api(props, "", ""));
    match &app.apis[0].cors {
        Some(lambdagate_model::Cors::Rest(cors)) => {
            assert!(cors.allow_credentials);
            assert_eq!(cors.allow_origin, "https://a.example");
        }
        other => panic!("{other:?}"),
    }
    // A value that is neither is one error, where it is written, and no knock-on error about
    // the event's RestApiId.
    let text = rest_api(&props.replace("'true'", "'maybe'"), "", "");
    let errors = load(&text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_error(
        &errors,
        &format!(
            "{}:27: API `MyApi`: Cors: AllowCredentials must be true or false",
            line_of(&text, "maybe")
        ),
    );
}

// ---- AWS::Lambda::Function, inline code and zips ----

#[test]
fn plain_lambda_function_with_inline_code_layers_and_refs() {
    let text = "Resources:\n  Layer:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n      Content: src\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: plain-fn\n      Runtime: python3.12\n      Handler: index.handler\n      Role: !GetAtt SomeRole.Arn\n      Code:\n        ZipFile: |\n          def handler(event, context):\n              return {'statusCode': 200}\n      Environment:\n        Variables:\n          NAME: !Ref Fn\n          ARN: !GetAtt Fn.Arn\n      Timeout: 10\n      MemorySize: 256\n      Layers: [!Ref Layer]\n      ReservedConcurrentExecutions: 2\n      Architectures: [arm64]\n";
    let app = load_ok(text);
    let f = &app.functions[0];
    assert_eq!(f.logical_id, "Fn");
    assert_eq!(f.function_name, "plain-fn");
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:plain-fn";
    assert_eq!(f.arn, arn);
    assert_eq!(f.environment["NAME"], "plain-fn");
    assert_eq!(f.environment["ARN"], arn);
    assert_eq!((f.timeout_secs, f.memory_mb), (10, 256));
    assert_eq!(f.reserved_concurrency, Some(2));
    assert_eq!(f.architectures, vec!["arm64".to_string()]);
    assert_eq!(f.layers, vec![path().parent().unwrap().join("src")]);
    let code = std::fs::read_to_string(f.code_dir.join("index.py")).unwrap();
    assert!(code.contains("def handler(event, context):"), "{code}");
    assert!(!f.code_dir.starts_with(env!("CARGO_MANIFEST_DIR")));
    // The role is not declared, but nothing served needs it: a warning where it is written.
    assert!(
        warnings(text)
            .iter()
            .any(|w| w.starts_with("12:13: GetAtt SomeRole.Arn")),
        "{:#?}",
        warnings(text)
    );
}

#[test]
fn plain_lambda_function_code_as_sam_build_and_cdk_write_it() {
    let src = path().parent().unwrap().join("src");
    let function = |code: &str, metadata: &str| {
        format!(
            "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n{metadata}    Properties:\n      Runtime: nodejs20.x\n      Handler: app.handler\n      Code: {code}\n"
        )
    };
    let app = load_ok(&function("./src", ""));
    assert_eq!(app.functions[0].code_dir, src);
    assert_eq!(app.functions[0].function_name, "Fn");
    let cdk = function(
        "{S3Bucket: !Sub 'cdk-assets-${AWS::AccountId}', S3Key: abc.zip}",
        "    Metadata:\n      aws:asset:path: src\n      aws:asset:property: Code\n",
    );
    assert_eq!(load_ok(&cdk).functions[0].code_dir, src);
    let s3 = function("{S3Bucket: b, S3Key: k.zip}", "");
    assert_error(
        &load(&s3).unwrap_err(),
        "7:13: function `Fn`: Code is in S3",
    );
    let none = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: app.handler\n";
    assert_error(&load(none).unwrap_err(), "2:3: function `Fn` needs Code");
}

#[test]
fn serverless_inline_code_and_zipped_code_uri() {
    let inline = format!(
        "Resources:\n{}",
        FUNCTION
            .replace(
                "      CodeUri: src\n",
                "      InlineCode: \"exports.handler = async () => ({statusCode: 200});\"\n"
            )
            .replace("python3.12", "nodejs20.x")
    );
    let app = load_ok(&inline);
    let js = std::fs::read_to_string(app.functions[0].code_dir.join("index.js")).unwrap();
    assert!(js.starts_with("exports.handler"), "{js}");

    let dir = std::env::temp_dir().join(format!("lambdagate-zip-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    let made = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-c", "app.zip", "app.py"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(made.success());
    let zip = dir.join("app.zip");
    let text = format!(
        "Resources:\n{}",
        FUNCTION.replace("CodeUri: src", &format!("CodeUri: {}", zip.display()))
    );
    let app = load_ok(&text);
    let code_dir = &app.functions[0].code_dir;
    assert!(code_dir.join("app.py").is_file(), "{}", code_dir.display());
    assert!(!code_dir.starts_with(&dir));
    // The same content is unpacked once.
    assert_eq!(&load_ok(&text).functions[0].code_dir, code_dir);

    std::fs::write(dir.join("broken.zip"), "not a zip").unwrap();
    let broken = FUNCTION.replace(
        "CodeUri: src",
        &format!("CodeUri: {}", dir.join("broken.zip").display()),
    );
    let errors = load(&format!("Resources:\n{broken}")).unwrap_err();
    assert_error(&errors, "5:16: function `Fn`: CodeUri");
    assert_error(&errors, "could not be unpacked");
    let _ = std::fs::remove_dir_all(&dir);
}

// OpenAPI definitions (`DefinitionBody`, `DefinitionUri`).

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
fn openapi_event_on_a_documented_method_is_a_duplicate() {
    // SAM refuses an event for a path and method the document already integrates.
    let event = REST_EVENT.replace("/other", "/health");
    let errors = load(&format!("{REST_BODY}{FUNCTION}{event}")).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("duplicate route `GET /health`")),
        "{errors:?}"
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
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
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
        "        x-amazon-apigateway-policy: {}\n        x-amazon-apigateway-binary-media-types",
    );
    let warnings = warnings(&format!("{body}{FUNCTION}"));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("x-amazon-apigateway-policy is not served yet")),
        "{warnings:?}"
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
