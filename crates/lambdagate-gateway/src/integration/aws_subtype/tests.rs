use super::*;

fn subtype_of(
    name: &str,
    parameters: &[(&str, &str)],
) -> Result<(AwsSubtype, Vec<String>), String> {
    let mut integration = ModelIntegration::mock();
    integration.kind = lambdagate_model::IntegrationType::AwsProxy;
    integration.subtype = Some(name.to_string());
    integration.request_parameters = parameters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut warnings = Vec::new();
    let var = |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:1".to_string());
    AwsSubtype::compile_with(&integration, Duration::from_secs(30), &var, &mut warnings)
        .map(|s| (s, warnings))
}

/// The request `name` makes with `parameters`, all static.
fn request_of(name: &str, parameters: &[(&str, &str)]) -> Result<ServiceRequest, BadParameter> {
    let (compiled, _) = subtype_of(name, parameters).unwrap();
    let values: Vec<(Param, String)> = compiled
        .parameters
        .iter()
        .map(|(p, v)| (*p, v.eval(&|_| None).unwrap()))
        .collect();
    build(&compiled.subtype, &values)
}

/// A form body's pairs, decoded.
fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            let decode = |s: &str| {
                let bytes = s.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8(out).unwrap()
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const QUEUE: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";

#[test]
fn subtypes_compile_with_their_parameters() {
    let (sqs, w) = subtype_of(
        "SQS-SendMessage",
        &[
            ("QueueUrl", QUEUE),
            ("MessageBody", "$request.body"),
            ("Bogus", "x"),
        ],
    )
    .unwrap();
    assert_eq!(sqs.subtype.service, "sqs");
    assert_eq!(sqs.parameters.len(), 2);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("`Bogus`"), "{w:?}");
    let (sfn, w) = subtype_of(
        "StepFunctions-StartExecution",
        &[
            ("StateMachineArn", "arn:sm"),
            ("Input", "$request.body"),
            ("Region", "eu-west-1"),
        ],
    )
    .unwrap();
    assert_eq!(sfn.subtype.service, "states");
    assert_eq!(
        sfn.parameters
            .iter()
            .map(|(p, _)| p.key)
            .collect::<Vec<_>>(),
        ["stateMachineArn", "input"]
    );
    assert!(sfn.region.is_some());
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn unknown_subtypes_and_missing_required_parameters_are_refused() {
    assert!(subtype_of("AppConfig-Nothing", &[]).is_err());
    let why = subtype_of("SQS-SendMessage", &[("MessageBody", "x")]).unwrap_err();
    assert!(why.ends_with("needs the parameter QueueUrl"), "{why}");
    let why = subtype_of("Kinesis-PutRecord", &[("Data", "eA==")]).unwrap_err();
    assert!(
        why.ends_with("needs the parameters StreamName, PartitionKey"),
        "{why}"
    );
    let why = subtype_of(
        "AppConfig-GetConfiguration",
        &[
            ("Application", "a"),
            ("Environment", "e"),
            ("Configuration", "c"),
        ],
    )
    .unwrap_err();
    assert!(why.ends_with("needs the parameter ClientId"), "{why}");
    // Region is never required.
    assert!(subtype_of("SQS-PurgeQueue", &[("QueueUrl", QUEUE)]).is_ok());
}

#[test]
fn a_queue_url_names_the_path() {
    assert_eq!(
        url_path("https://sqs.us-east-1.amazonaws.com/123456789012/orders"),
        "/123456789012/orders"
    );
    assert_eq!(url_path("http://127.0.0.1:5000"), "/");
}

#[test]
fn send_message_attributes_become_query_entries() {
    let request = request_of(
        "SQS-SendMessage",
        &[
            ("QueueUrl", QUEUE),
            ("MessageBody", "hello & bye"),
            (
                "MessageAttributes",
                r#"{"color": {"DataType": "String", "StringValue": "red"},
                    "count": {"DataType": "Number", "StringValue": 3},
                    "blob": {"DataType": "Binary", "BinaryValue": "AAE="}}"#,
            ),
            (
                "MessageSystemAttributes",
                r#"{"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-a-b"}}"#,
            ),
            ("DelaySeconds", "5"),
        ],
    )
    .unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/123456789012/orders");
    assert!(request.query.is_empty());
    assert_eq!(
        form(&request.body),
        pairs(&[
            ("Action", "SendMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", QUEUE),
            ("MessageBody", "hello & bye"),
            ("MessageAttribute.1.Name", "blob"),
            ("MessageAttribute.1.Value.DataType", "Binary"),
            ("MessageAttribute.1.Value.BinaryValue", "AAE="),
            ("MessageAttribute.2.Name", "color"),
            ("MessageAttribute.2.Value.DataType", "String"),
            ("MessageAttribute.2.Value.StringValue", "red"),
            ("MessageAttribute.3.Name", "count"),
            ("MessageAttribute.3.Value.DataType", "Number"),
            ("MessageAttribute.3.Value.StringValue", "3"),
            ("MessageSystemAttribute.1.Name", "AWSTraceHeader"),
            ("MessageSystemAttribute.1.Value.DataType", "String"),
            ("MessageSystemAttribute.1.Value.StringValue", "Root=1-a-b"),
            ("DelaySeconds", "5"),
        ])
    );
    assert_eq!(
        request.headers,
        pairs(&[("content-type", "application/x-www-form-urlencoded")])
    );
}

#[test]
fn attributes_that_are_not_a_json_map_are_a_bad_parameter() {
    for attributes in [
        "color=red",
        r#"["color"]"#,
        r#"{"color": "red"}"#,
        r#"{"color": {"DataType": "String", "StringValue": ["red"]}}"#,
    ] {
        let result = request_of(
            "SQS-SendMessage",
            &[
                ("QueueUrl", QUEUE),
                ("MessageBody", "m"),
                ("MessageAttributes", attributes),
            ],
        );
        assert!(
            matches!(&result, Err(BadParameter(why)) if why.starts_with("MessageAttributes")),
            "{attributes}: {result:?}"
        );
    }
}

#[test]
fn receive_message_name_lists_become_numbered_entries() {
    let request = request_of(
        "SQS-ReceiveMessage",
        &[
            ("QueueUrl", QUEUE),
            ("AttributeNames", "SentTimestamp, SenderId"),
            ("MessageAttributeNames", r#"["All"]"#),
            ("MaxNumberOfMessages", "10"),
        ],
    )
    .unwrap();
    assert_eq!(
        form(&request.body),
        pairs(&[
            ("Action", "ReceiveMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", QUEUE),
            ("AttributeName.1", "SentTimestamp"),
            ("AttributeName.2", "SenderId"),
            ("MessageAttributeName.1", "All"),
            ("MaxNumberOfMessages", "10"),
        ])
    );
    let bad = request_of(
        "SQS-ReceiveMessage",
        &[("QueueUrl", QUEUE), ("MessageAttributeNames", "[1, 2]")],
    );
    assert!(matches!(bad, Err(BadParameter(_))), "{bad:?}");
}

#[test]
fn kinesis_put_record_is_a_json_request_with_data_as_given() {
    let request = request_of(
        "Kinesis-PutRecord",
        &[
            ("StreamName", "clicks"),
            ("Data", "aGVsbG8="),
            ("PartitionKey", "p1"),
            ("ExplicitHashKey", "42"),
            ("SequenceNumberForOrdering", "7"),
        ],
    )
    .unwrap();
    assert_eq!((request.method, request.path.as_str()), ("POST", "/"));
    assert_eq!(
        request.headers,
        pairs(&[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Kinesis_20131202.PutRecord"),
        ])
    );
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "StreamName": "clicks",
            "Data": "aGVsbG8=",
            "PartitionKey": "p1",
            "ExplicitHashKey": "42",
            "SequenceNumberForOrdering": "7",
        })
    );
}

#[test]
fn put_events_wraps_one_entry_with_its_resources() {
    let request = request_of(
        "EventBridge-PutEvents",
        &[
            ("Detail", r#"{"a":1}"#),
            ("DetailType", "t"),
            ("Source", "s"),
            ("Resources", r#"["arn:a", "arn:b"]"#),
        ],
    )
    .unwrap();
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Entries": [{
            "Detail": "{\"a\":1}",
            "DetailType": "t",
            "Source": "s",
            "Resources": ["arn:a", "arn:b"],
        }]})
    );
    assert_eq!(request.headers[1].1, "AWSEvents.PutEvents");
}

#[test]
fn get_configuration_is_a_get_with_its_names_in_the_path() {
    let request = request_of(
        "AppConfig-GetConfiguration",
        &[
            ("Application", "my app"),
            ("Environment", "prod"),
            ("Configuration", "flags/v1"),
            ("ClientId", "client-1"),
            ("ClientConfigurationVersion", "3"),
        ],
    )
    .unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        "/applications/my%20app/environments/prod/configurations/flags%2Fv1"
    );
    assert_eq!(
        request.query,
        pairs(&[
            ("client_id", "client-1"),
            ("client_configuration_version", "3")
        ])
    );
    assert!(request.body.is_empty() && request.headers.is_empty());
    let request = request_of(
        "AppConfig-GetConfiguration",
        &[
            ("Application", "a"),
            ("Environment", "e"),
            ("Configuration", "c"),
            ("ClientId", "x"),
        ],
    )
    .unwrap();
    assert_eq!(request.query, pairs(&[("client_id", "x")]));
}

#[test]
fn step_functions_keys_are_the_apis_own() {
    let request = request_of(
        "StepFunctions-StopExecution",
        &[("ExecutionArn", "arn:x"), ("Cause", "c")],
    )
    .unwrap();
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"executionArn": "arn:x", "cause": "c"})
    );
    assert_eq!(request.headers[1].1, "AWSStepFunctions.StopExecution");
}
