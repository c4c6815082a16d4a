//! `generate-event`: sample events of the services that invoke functions, for `invoke -e -`,
//! as `sam local generate-event` prints them: the same services, event names and options
//! (with their defaults), shaped as the services send them.
//!
//! The events are written here from the shapes AWS documents and sends (the API Gateway ones
//! as lambdagate itself builds them for a request; a test compares the two), with fixed sample
//! values so that the same command prints the same event. Where `sam`'s samples differ from
//! what AWS sends, AWS wins: a text `--body` arrives as text with `isBase64Encoded: false` (sam
//! prints it base64-encoded), path parameters follow `--resource` and `--path`, and absent maps
//! are `null`.

mod api;
mod md5;
mod sources;

use std::collections::HashMap;

use serde_json::Value;

/// One event `generate-event` prints.
pub struct Kind {
    /// The service, as `sam` names it (`apigateway`, `s3`).
    pub service: &'static str,
    /// The event (`aws-proxy`, `put`).
    pub event: &'static str,
    /// One line on what it is.
    pub help: &'static str,
    /// Its options and their defaults.
    pub options: &'static [(&'static str, &'static str)],
    build: fn(&Values) -> Result<Value, String>,
}

impl Kind {
    /// The event with `given` options (names without their dashes), the others at their
    /// defaults. An option the event does not have is an error that lists the ones it has.
    pub fn generate(&self, given: &[(String, String)]) -> Result<Value, String> {
        let mut values: HashMap<&'static str, String> = self
            .options
            .iter()
            .map(|(name, default)| (*name, default.to_string()))
            .collect();
        for (name, value) in given {
            let Some((known, _)) = self.options.iter().find(|(n, _)| n == name) else {
                return Err(format!(
                    "`{} {}` has no option --{name}; its options: {}",
                    self.service,
                    self.event,
                    self.option_list()
                ));
            };
            values.insert(known, value.clone());
        }
        (self.build)(&Values(values))
    }

    /// `--name` for each option, for messages.
    pub fn option_list(&self) -> String {
        if self.options.is_empty() {
            return "none".to_string();
        }
        self.options
            .iter()
            .map(|(name, _)| format!("--{name}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An event's option values, every option present.
pub struct Values(HashMap<&'static str, String>);

impl Values {
    /// The value of `name`, one of the event's options.
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` from the event's options.
    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.get("partition"),
            self.get("region"),
            self.get("account-id")
        )
    }
}

/// Every event `generate-event` knows, by service.
pub const KINDS: &[Kind] = &[
    api::AWS_PROXY,
    api::HTTP_API_PROXY,
    api::AUTHORIZER,
    api::REQUEST_AUTHORIZER,
    api::ALB_REQUEST,
    sources::S3_PUT,
    sources::S3_DELETE,
    sources::SQS_RECEIVE_MESSAGE,
    sources::SNS_NOTIFICATION,
    sources::DYNAMODB_UPDATE,
    sources::SCHEDULED_EVENT,
    sources::KINESIS_GET_RECORDS,
    sources::STEPFUNCTIONS_ERROR,
    sources::CLOUDFORMATION_CREATE_REQUEST,
];

/// The services, in order, each once.
pub fn services() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for kind in KINDS {
        if !out.contains(&kind.service) {
            out.push(kind.service);
        }
    }
    out
}

/// The events of `service`.
pub fn events(service: &str) -> Vec<&'static Kind> {
    KINDS.iter().filter(|k| k.service == service).collect()
}

/// The fixed time of every sample event: 2023-11-14T22:13:20Z.
const EPOCH_SECONDS: u64 = 1_700_000_000;
/// The same instant as ISO 8601, as S3, SNS and EventBridge write it.
const ISO_TIME: &str = "2023-11-14T22:13:20.000Z";

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(service: &str, event: &str, given: &[(&str, &str)]) -> Value {
        let kind = KINDS
            .iter()
            .find(|k| k.service == service && k.event == event)
            .unwrap();
        let given: Vec<(String, String)> = given
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        kind.generate(&given).unwrap()
    }

    #[test]
    fn every_event_generates_with_its_defaults() {
        for kind in KINDS {
            let event = kind.generate(&[]).unwrap();
            assert!(event.is_object(), "{} {}", kind.service, kind.event);
        }
    }

    #[test]
    fn an_unknown_option_names_the_events_options() {
        let kind = &KINDS[0];
        let err = kind
            .generate(&[("nope".to_string(), "1".to_string())])
            .unwrap_err();
        assert!(
            err.contains("no option --nope") && err.contains("--method"),
            "{err}"
        );
    }

    #[test]
    fn a_rest_proxy_event_takes_the_options_as_api_gateway_would_send_them() {
        let event = generate(
            "apigateway",
            "aws-proxy",
            &[
                ("method", "GET"),
                ("path", "items/42"),
                ("resource", "/items/{id}"),
                ("body", ""),
                (
                    "querystringparameters",
                    r#"{"documentId": "1044", "versionId": "v_1"}"#,
                ),
                ("stage", "dev"),
            ],
        );
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(event["path"], "/items/42");
        assert_eq!(event["resource"], "/items/{id}");
        assert_eq!(event["pathParameters"], serde_json::json!({"id": "42"}));
        assert_eq!(event["body"], Value::Null);
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["queryStringParameters"]["documentId"], "1044");
        assert_eq!(
            event["multiValueQueryStringParameters"]["versionId"],
            serde_json::json!(["v_1"])
        );
        assert_eq!(event["requestContext"]["path"], "/dev/items/42");
        assert_eq!(event["requestContext"]["resourcePath"], "/items/{id}");
        assert_eq!(event["requestContext"]["stage"], "dev");
        // The defaults: a POST with a JSON body to a greedy proxy resource.
        let event = generate("apigateway", "aws-proxy", &[]);
        assert_eq!(event["httpMethod"], "POST");
        assert_eq!(event["body"], r#"{"test":"body"}"#);
        assert_eq!(event["path"], "/path/to/resource");
        assert_eq!(
            event["pathParameters"],
            serde_json::json!({"proxy": "path/to/resource"})
        );
        assert_eq!(
            event["queryStringParameters"],
            serde_json::json!({"foo": "bar"})
        );
    }

    #[test]
    fn an_http_api_event_has_the_version_2_shape() {
        let event = generate(
            "apigateway",
            "http-api-proxy",
            &[("method", "PUT"), ("path", "/a/b"), ("body", "x")],
        );
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["rawPath"], "/a/b");
        assert_eq!(event["requestContext"]["http"]["method"], "PUT");
        assert_eq!(event["requestContext"]["http"]["path"], "/a/b");
        assert_eq!(event["body"], "x");
        assert!(event.get("multiValueHeaders").is_none());
    }

    #[test]
    fn authorizer_events_name_the_method_arn() {
        let event = generate(
            "apigateway",
            "authorizer",
            &[
                ("region", "eu-west-1"),
                ("method", "GET"),
                ("resource", "pets/{id}"),
            ],
        );
        assert_eq!(event["type"], "TOKEN");
        assert_eq!(
            event["methodArn"],
            "arn:aws:execute-api:eu-west-1:123456789012:example/prod/GET/pets/{id}"
        );
        let event = generate("apigateway", "request-authorizer", &[]);
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(
            event["methodArn"],
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request"
        );
    }

    #[test]
    fn source_events_carry_their_options() {
        let s3 = generate("s3", "put", &[("bucket", "b"), ("key", "a b/c+d.txt")]);
        assert_eq!(s3["Records"][0]["s3"]["bucket"]["name"], "b");
        assert_eq!(s3["Records"][0]["s3"]["bucket"]["arn"], "arn:aws:s3:::b");
        // Keys arrive URL-encoded, spaces as `+`, as S3 sends them.
        assert_eq!(s3["Records"][0]["s3"]["object"]["key"], "a+b/c%2Bd.txt");
        assert_eq!(s3["Records"][0]["eventName"], "ObjectCreated:Put");
        let sqs = generate(
            "sqs",
            "receive-message",
            &[("body", "hello"), ("queue-name", "q")],
        );
        assert_eq!(sqs["Records"][0]["body"], "hello");
        assert_eq!(
            sqs["Records"][0]["md5OfBody"],
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(
            sqs["Records"][0]["eventSourceARN"],
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
        let kinesis = generate("kinesis", "get-records", &[("data", "hi")]);
        assert_eq!(kinesis["Records"][0]["kinesis"]["data"], "aGk=");
        let sns = generate("sns", "notification", &[("message", "m"), ("topic", "t")]);
        assert_eq!(sns["Records"][0]["Sns"]["Message"], "m");
        assert_eq!(
            sns["Records"][0]["Sns"]["TopicArn"],
            "arn:aws:sns:us-east-1:123456789012:t"
        );
        let scheduled = generate("cloudwatch", "scheduled-event", &[("rule", "r")]);
        assert_eq!(
            scheduled["resources"][0],
            "arn:aws:events:us-east-1:123456789012:rule/r"
        );
        let error = generate("stepfunctions", "error", &[("error", "E")]);
        assert_eq!(error["Error"], "E");
    }

    #[test]
    fn a_query_that_is_not_a_json_object_is_refused() {
        let kind = KINDS.iter().find(|k| k.event == "aws-proxy").unwrap();
        let err = kind
            .generate(&[("querystringparameters".to_string(), "a=b".to_string())])
            .unwrap_err();
        assert!(err.contains("--querystringparameters"), "{err}");
    }
}
