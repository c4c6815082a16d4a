//! HTTP API first-class AWS integrations (`AWS_PROXY` with an `IntegrationSubtype`: SQS,
//! Step Functions, EventBridge): the route's `RequestParameters` become the service request,
//! signed and sent as [`super::aws_service`] sends REST service integrations.

use std::time::Duration;

use bytes::Bytes;
use lambdagate_model::Integration as ModelIntegration;

use lambdagate_auth::sigv4::Credentials;

use super::aws_service::{Signing, encode, endpoint_env_id, endpoint_for, send_signed, settings};
use super::http_params;
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::responses::error::GatewayError;

/// How a first-class integration's parameters become the service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// A query (form) request: `Action=…&Version=…&Param=…`, sent to the queue's path.
    Sqs(&'static str),
    /// A JSON request with `X-Amz-Target: PREFIX.ACTION`; parameters become the body's keys.
    Json {
        target: &'static str,
        content_type: &'static str,
        /// Whether the keys are wrapped as EventBridge's `{"Entries": [{…}]}`.
        entries: bool,
    },
}

/// The parameters a subtype takes: `RequestParameters` name and request key.
type Parameters = &'static [(&'static str, &'static str)];

/// An HTTP API first-class integration's subtype: its service, action, protocol and the
/// parameters it takes (`RequestParameters` name → request key).
fn subtype(name: &str) -> Option<(&'static str, Protocol, Parameters)> {
    const SFN: &str = "application/x-amz-json-1.0";
    let json = |target, content_type, entries| Protocol::Json {
        target,
        content_type,
        entries,
    };
    Some(match name {
        "SQS-SendMessage" => (
            "sqs",
            Protocol::Sqs("SendMessage"),
            &[
                ("MessageBody", "MessageBody"),
                ("DelaySeconds", "DelaySeconds"),
                ("MessageDeduplicationId", "MessageDeduplicationId"),
                ("MessageGroupId", "MessageGroupId"),
            ],
        ),
        "SQS-ReceiveMessage" => (
            "sqs",
            Protocol::Sqs("ReceiveMessage"),
            &[
                ("MaxNumberOfMessages", "MaxNumberOfMessages"),
                ("VisibilityTimeout", "VisibilityTimeout"),
                ("WaitTimeSeconds", "WaitTimeSeconds"),
                ("ReceiveRequestAttemptId", "ReceiveRequestAttemptId"),
            ],
        ),
        "SQS-DeleteMessage" => (
            "sqs",
            Protocol::Sqs("DeleteMessage"),
            &[("ReceiptHandle", "ReceiptHandle")],
        ),
        "SQS-PurgeQueue" => ("sqs", Protocol::Sqs("PurgeQueue"), &[]),
        "StepFunctions-StartExecution" => (
            "states",
            json("AWSStepFunctions.StartExecution", SFN, false),
            &[
                ("StateMachineArn", "stateMachineArn"),
                ("Name", "name"),
                ("Input", "input"),
                ("TraceHeader", "traceHeader"),
            ],
        ),
        "StepFunctions-StartSyncExecution" => (
            "states",
            json("AWSStepFunctions.StartSyncExecution", SFN, false),
            &[
                ("StateMachineArn", "stateMachineArn"),
                ("Name", "name"),
                ("Input", "input"),
                ("TraceHeader", "traceHeader"),
            ],
        ),
        "StepFunctions-StopExecution" => (
            "states",
            json("AWSStepFunctions.StopExecution", SFN, false),
            &[
                ("ExecutionArn", "executionArn"),
                ("Cause", "cause"),
                ("Error", "error"),
            ],
        ),
        "EventBridge-PutEvents" => (
            "events",
            json("AWSEvents.PutEvents", "application/x-amz-json-1.1", true),
            &[
                ("Detail", "Detail"),
                ("DetailType", "DetailType"),
                ("Source", "Source"),
                ("Time", "Time"),
                ("EventBusName", "EventBusName"),
                ("TraceHeader", "TraceHeader"),
            ],
        ),
        _ => return None,
    })
}

/// An HTTP API first-class AWS service integration (`AWS_PROXY` with an `IntegrationSubtype`),
/// compiled.
#[derive(Debug, Clone)]
pub struct AwsSubtype {
    name: String,
    service: &'static str,
    protocol: Protocol,
    /// `RequestParameters` the subtype takes: request key and value.
    parameters: Vec<(&'static str, http_params::Value)>,
    /// `QueueUrl` (SQS), whose path names the queue.
    queue_url: Option<http_params::Value>,
    /// `Region`, else the environment's region.
    region: Option<http_params::Value>,
    default_region: String,
    endpoint: Option<String>,
    credentials: Credentials,
    timeout: Duration,
}

impl AwsSubtype {
    /// Compiles the integration, reading the endpoint and credentials from the environment;
    /// `Err` when the subtype is not one lambdagate serves. Unknown parameters and a missing
    /// endpoint are pushed to `warnings`.
    pub fn compile(
        integration: &ModelIntegration,
        timeout: Duration,
        warnings: &mut Vec<String>,
    ) -> Result<AwsSubtype, String> {
        Self::compile_with(integration, timeout, &settings, warnings)
    }

    fn compile_with(
        integration: &ModelIntegration,
        timeout: Duration,
        var: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Result<AwsSubtype, String> {
        let name = integration.subtype.clone().unwrap_or_default();
        let Some((service, protocol, known)) = subtype(&name) else {
            return Err(format!(
                "the integration subtype `{name}` is not served by lambdagate"
            ));
        };
        let mut parameters = Vec::new();
        let mut queue_url = None;
        let mut region = None;
        for (key, value) in &integration.request_parameters {
            let value = http_params::Value::parse(value);
            match key.as_str() {
                "QueueUrl" if matches!(protocol, Protocol::Sqs(_)) => queue_url = Some(value),
                "Region" => region = Some(value),
                other => match known.iter().find(|(p, _)| *p == other) {
                    Some((_, request_key)) => parameters.push((*request_key, value)),
                    None => warnings.push(format!(
                        "the {name} integration does not take the parameter `{other}`; it is \
                         ignored"
                    )),
                },
            }
        }
        if matches!(protocol, Protocol::Sqs(_)) && queue_url.is_none() {
            return Err(format!("the {name} integration needs a QueueUrl parameter"));
        }
        let endpoint = endpoint_for(service, var);
        if endpoint.is_none() {
            warnings.push(format!(
                "the {service} service integration has no local endpoint (set \
                 AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_{}); calls would go to real AWS, so the \
                 route answers 500",
                endpoint_env_id(service)
            ));
        }
        let local = "lambdagate-local".to_string();
        Ok(AwsSubtype {
            name,
            service,
            protocol,
            parameters,
            queue_url,
            region,
            default_region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string()),
            endpoint,
            credentials: Credentials {
                access_key_id: var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| local.clone()),
                secret_access_key: var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| local.clone()),
                session_token: var("AWS_SESSION_TOKEN"),
                account_id: String::new(),
                user_arn: String::new(),
            },
            timeout,
        })
    }

    /// What the route table shows for it.
    pub fn describe(&self) -> String {
        format!(
            "{} (AWS, {})",
            self.name,
            self.endpoint.as_deref().unwrap_or("no endpoint")
        )
    }
}

/// The path of a queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` → `/ACCOUNT/NAME`).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].split('?').next().unwrap_or("/").to_string(),
        None => "/".to_string(),
    }
}

impl Integration for AwsSubtype {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        let Some(endpoint) = &self.endpoint else {
            return Err(GatewayError::api_configuration(format!(
                "no local endpoint for the {} service (AWS_ENDPOINT_URL)",
                self.service
            )));
        };
        let source = |reference: &str| http_params::request_value(cx, reference);
        let values: Vec<(&str, String)> = self
            .parameters
            .iter()
            .filter_map(|(key, value)| value.eval(&source).map(|v| (*key, v)))
            .collect();
        let region = self
            .region
            .as_ref()
            .and_then(|v| v.eval(&source))
            .unwrap_or_else(|| self.default_region.clone());
        let (path, content_type, target, body) = match self.protocol {
            Protocol::Sqs(action) => {
                let queue_url = self
                    .queue_url
                    .as_ref()
                    .and_then(|v| v.eval(&source))
                    .unwrap_or_default();
                let mut form = vec![
                    ("Action".to_string(), action.to_string()),
                    ("Version".to_string(), "2012-11-05".to_string()),
                    ("QueueUrl".to_string(), queue_url.clone()),
                ];
                form.extend(values.iter().map(|(k, v)| (k.to_string(), v.clone())));
                let body = form
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                (
                    url_path(&queue_url),
                    "application/x-www-form-urlencoded",
                    None,
                    body,
                )
            }
            Protocol::Json {
                target,
                content_type,
                entries,
            } => {
                let object: serde_json::Map<String, serde_json::Value> = values
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                    .collect();
                let document = if entries {
                    serde_json::json!({ "Entries": [object] })
                } else {
                    serde_json::Value::Object(object)
                };
                (
                    "/".to_string(),
                    content_type,
                    Some(target),
                    document.to_string(),
                )
            }
        };
        let mut headers = vec![("content-type".to_string(), content_type.to_string())];
        if let Some(target) = target {
            headers.push(("x-amz-target".to_string(), target.to_string()));
        }
        let response = send_signed(
            &Signing {
                endpoint,
                credentials: &self.credentials,
                region: &region,
                service: self.service,
                timeout: self.timeout,
            },
            "POST",
            &path,
            &[],
            headers,
            Bytes::from(body),
            r.time.epoch_ms,
        )
        .await?;
        // The service's answer is passed on: its status, type and body.
        let headers = response
            .headers
            .iter()
            .filter(|(n, _)| n == "content-type")
            .cloned()
            .collect();
        Ok(IntegrationOutput {
            status: response.status,
            headers,
            body: response.body,
            traced: false,
        })
    }
}

#[cfg(test)]
mod tests {
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
        let var =
            |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:1".to_string());
        AwsSubtype::compile_with(&integration, Duration::from_secs(30), &var, &mut warnings)
            .map(|s| (s, warnings))
    }

    #[test]
    fn subtypes_compile_with_their_parameters() {
        let (sqs, w) = subtype_of(
            "SQS-SendMessage",
            &[
                ("QueueUrl", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("MessageBody", "$request.body"),
                ("Bogus", "x"),
            ],
        )
        .unwrap();
        assert_eq!(sqs.service, "sqs");
        assert_eq!(sqs.parameters.len(), 1);
        assert!(sqs.queue_url.is_some());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`Bogus`"), "{w:?}");
        let (sfn, w) = subtype_of(
            "StepFunctions-StartExecution",
            &[("StateMachineArn", "arn:sm"), ("Input", "$request.body")],
        )
        .unwrap();
        assert_eq!(sfn.service, "states");
        assert_eq!(
            sfn.parameters.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["stateMachineArn", "input"]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn unknown_subtypes_and_a_missing_queue_url_are_refused() {
        assert!(subtype_of("AppConfig-Nothing", &[]).is_err());
        assert!(subtype_of("SQS-SendMessage", &[("MessageBody", "x")]).is_err());
    }

    #[test]
    fn a_queue_url_names_the_path() {
        assert_eq!(
            url_path("https://sqs.us-east-1.amazonaws.com/123456789012/orders"),
            "/123456789012/orders"
        );
        assert_eq!(url_path("http://127.0.0.1:5000"), "/");
    }
}
