//! SAM resources: functions with `Globals`, explicit and implicit APIs, their events' request
//! parameters and models, CORS, and API Gateway resources not loaded.

use lambdagate_model::IntegrationType;

use super::{
    FUNCTION, assert_error, line_of, load, load_ok, path, rest_api, strict_errors, warnings,
};
use crate::{LoadOptions, load_str};

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

#[test]
fn api_gateway_resources_not_loaded_are_warned_about() {
    let extra = "  Link:\n    Type: AWS::ApiGateway::VpcLink\n    Properties:\n      Name: link\n      TargetArns: [arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/y]\n  Account:\n    Type: AWS::ApiGateway::Account\n    Properties:\n      CloudWatchRoleArn: arn:aws:iam::123456789012:role/x\n";
    let warnings = warnings(&rest_api("", "", extra));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("AWS::ApiGateway::VpcLink is not served yet"),
        "{warnings:?}"
    );
}

#[test]
fn rest_cors_without_allow_origin_allows_every_origin() {
    // SAM's default for a Cors map that leaves AllowOrigin out.
    let app = load_ok(&rest_api("      Cors:\n        MaxAge: 5\n", "", ""));
    match &app.apis[0].cors {
        Some(lambdagate_model::Cors::Rest(cors)) => assert_eq!(cors.allow_origin, "*"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn references_to_what_sams_transform_adds_resolve() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      FunctionUrlConfig:\n        AuthType: NONE\n      \
         AutoPublishAlias: live\n      Events:\n        Nightly:\n          Type: Schedule\n          Properties:\n            \
         Schedule: rate(1 day)\n        Jobs:\n          Type: SQS\n          Properties:\n            Queue: arn:aws:sqs:eu-west-1:123456789012:q\n  \
         Machine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition: {{}}\n      Events:\n        Tick:\n          \
         Type: Schedule\n          Properties:\n            Schedule: rate(1 hour)\n  \
         Graph:\n    Type: AWS::Serverless::GraphQLApi\n    Properties:\n      SchemaInline: 'type Query {{ a: String }}'\n      Auth:\n        \
         Type: API_KEY\n      ApiKeys:\n        MyKey:\n          Description: k\n\
         Outputs:\n  Url:\n    Value: !GetAtt FnUrl.FunctionUrl\n  Alias:\n    Value: !Ref FnAliaslive\n  \
         Rule:\n    Value: !GetAtt FnNightly.Arn\n  Mapping:\n    Value: !Ref FnJobs\n  Role:\n    Value: !GetAtt MachineRole.Arn\n  \
         TickRole:\n    Value: !GetAtt MachineTickRole.Arn\n  Key:\n    Value: !GetAtt GraphMyKey.ApiKey\n"
    );
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: true,
        ..LoadOptions::default()
    };
    let loaded = load_str(&text, &path(), &options).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(
        loaded
            .warnings
            .iter()
            .all(|w| !w.message.contains("not a resource")),
        "{:#?}",
        loaded.warnings
    );
    // Without the companion, the same reference is still refused.
    let wrong = text.replace("!GetAtt FnUrl.FunctionUrl", "!GetAtt FnUrls.FunctionUrl");
    let errors = strict_errors(&wrong);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`FnUrls` is not a resource")),
        "{errors:?}"
    );
}

#[test]
fn a_durable_function_is_said_not_to_be_served() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      DurableConfig:\n        ExecutionTimeout: 900\n"
    );
    let warnings = warnings(&text);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("DurableConfig (a durable function) is not served")),
        "{warnings:?}"
    );
}

#[test]
fn logging_config_is_read_and_checked() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      LoggingConfig:\n        LogFormat: JSON\n        \
         ApplicationLogLevel: WARN\n        LogGroup: /my/group\n"
    );
    let app = load(&text).unwrap();
    let logging = &app.functions[0].logging;
    assert_eq!(logging.log_format.as_deref(), Some("JSON"));
    assert_eq!(logging.application_log_level.as_deref(), Some("WARN"));
    assert_eq!(logging.log_group.as_deref(), Some("/my/group"));
    assert_eq!(logging.system_log_level, None);
    assert!(logging.platform_info_lines());
    let bad = text.replace("LogFormat: JSON", "LogFormat: Yaml");
    assert_error(
        &load(&bad).unwrap_err(),
        "LoggingConfig: LogFormat `Yaml` is not one of Text, JSON",
    );

    let quiet = text.replace("LogGroup", "SystemLogLevel: WARN\n        LogGroup");
    let app = load(&quiet).unwrap();
    assert_eq!(
        app.functions[0].logging.system_log_level.as_deref(),
        Some("WARN")
    );
    assert!(!app.functions[0].logging.platform_info_lines());

    // Levels with Text logs: a deploy is refused; served, they are ignored with a warning.
    let text_levels = quiet.replace("LogFormat: JSON", "LogFormat: Text");
    let errors = strict_errors(&text_levels);
    assert!(
        errors.iter().any(|e| e
            .contains("ApplicationLogLevel is not supported when LogFormat is set to \"Text\"")),
        "{errors:?}"
    );
    let warned = warnings(&text_levels);
    assert!(
        warned.iter().any(|w| w.contains(
            "ApplicationLogLevel only filters JSON logs (LogFormat: JSON); with LogFormat: Text Lambda refuses it"
        )),
        "{warned:?}"
    );
    let app = load(&text_levels).unwrap();
    let logging = &app.functions[0].logging;
    assert_eq!(
        (
            logging.application_log_level.as_deref(),
            logging.system_log_level.as_deref()
        ),
        (None, None)
    );
    assert!(logging.platform_info_lines());

    let debug = text.replace("LogGroup", "SystemLogLevel: DEBUG\n        LogGroup");
    assert!(
        warnings(&debug)
            .iter()
            .any(|w| w.contains("SystemLogLevel DEBUG: lambdagate writes the INFO platform lines")),
    );
}

#[test]
fn a_layer_that_is_not_a_layer_arn_is_an_error_to_validate_and_skipped_when_serving() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      Layers:\n        - <NodeBaseLayer>\n        \
         - arn:aws:lambda:eu-west-1:111111111101:layer:published:3\n"
    );
    let warnings = warnings(&text);
    assert!(
        warnings.iter().any(|w| w.contains(
            "layer `<NodeBaseLayer>` is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION); Lambda refuses it; the function runs without it"
        )),
        "{warnings:?}"
    );
    // A well-formed ARN of a layer published elsewhere is only skipped.
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("layer `arn:aws:lambda:eu-west-1:111111111101:layer:published:3` is not an AWS::Serverless::LayerVersion")),
        "{warnings:?}"
    );
    let errors = strict_errors(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`<NodeBaseLayer>` is not a layer version ARN")),
        "{errors:?}"
    );
}

#[test]
fn settings_and_events_nothing_here_acts_on_are_said() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      FunctionUrlConfig:\n        AuthType: NONE\n      \
         Events:\n        Jobs:\n          Type: SQS\n          Properties:\n            Queue: arn:aws:sqs:eu-west-1:123456789012:q\n        \
         Nightly:\n          Type: Schedule\n          Properties:\n            Schedule: rate(1 day)\n        \
         More:\n          Type: SQS\n          Properties:\n            Queue: arn:aws:sqs:eu-west-1:123456789012:r\n"
    );
    let warnings = warnings(&text);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("FunctionUrlConfig is not served: the function has no URL here")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains(
            "its SQS/Schedule events `Jobs`, `Nightly`, `More` do not invoke it here: lambdagate does not run SQS or Schedule"
        )),
        "{warnings:?}"
    );
}

#[test]
fn a_custom_runtime_built_for_another_architecture_is_said() {
    let other = if std::env::consts::ARCH == "aarch64" {
        "x86_64"
    } else {
        "arm64"
    };
    let function = |runtime: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    \
             Properties:\n      CodeUri: src\n      Handler: bootstrap\n      Runtime: {runtime}\n      \
             Architectures: [{other}]\n"
        )
    };
    let warnings_of = |runtime: &str| warnings(&function(runtime));
    assert!(
        warnings_of("provided.al2023")
            .iter()
            .any(|w| w.contains(&format!("built for {other} and this machine is"))),
        "{:?}",
        warnings_of("provided.al2023")
    );
    // An interpreter runs the code whatever the architecture.
    assert!(
        !warnings_of("python3.12")
            .iter()
            .any(|w| w.contains("this machine is")),
    );
}

/// What `serverless package` and CDK write for a function's non-HTTP events, as raw resources:
/// named in one line, with the function URL and asynchronous settings on lines of their own.
#[test]
fn raw_triggers_of_functions_are_said() {
    let text = "\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Code: { ZipFile: 'def h(e, c): return 1' }
      Handler: index.h
      Runtime: python3.11
      Role: arn:aws:iam::123456789012:role/r
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: { EventSourceArn: !GetAtt Queue.Arn, FunctionName: !Ref Fn }
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{ Arn: !GetAtt Fn.Arn, Id: fn }]
  ToQueue:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: { source: [orders] }
      Targets: [{ Arn: !GetAtt Queue.Arn, Id: q }]
  Topic:
    Type: AWS::SNS::Topic
  Sub:
    Type: AWS::SNS::Subscription
    Properties: { TopicArn: !Ref Topic, Protocol: lambda, Endpoint: !GetAtt Fn.Arn }
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: !GetAtt Fn.Arn }]
  Url:
    Type: AWS::Lambda::Url
    Properties: { AuthType: NONE, TargetFunctionArn: !GetAtt Fn.Arn }
  Async:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: { FunctionName: !Ref Fn, Qualifier: $LATEST, MaximumRetryAttempts: 0 }
";
    let warned = warnings(text);
    let line = line_of(text, "  Mapping:");
    assert!(
        warned.iter().any(|w| w.starts_with(&format!("{line}:3: ")) && w.contains(
            "`Mapping` (AWS::Lambda::EventSourceMapping), `Nightly` (AWS::Events::Rule), `Sub` (AWS::SNS::Subscription), `Uploads` (AWS::S3::Bucket) invoke functions on AWS and do not here"
        )),
        "{warned:#?}"
    );
    assert!(
        !warned.iter().any(|w| w.contains("`ToQueue`")),
        "{warned:#?}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("resource `Url`: AWS::Lambda::Url is not served")),
        "{warned:#?}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("resource `Async`: AWS::Lambda::EventInvokeConfig is not served")),
        "{warned:#?}"
    );
}
