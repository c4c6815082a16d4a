//! REST `AWS` integrations with an AWS service other than Lambda (`arn:aws:apigateway:REGION:
//! SERVICE:action/ACTION` or `…:path/PATH`): the request template makes the service request's
//! body, request parameters add headers and query parameters, the request is signed with SigV4
//! and sent to the local endpoint named by `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`
//! (the SDKs' convention), and the service's answer selects an integration response by its
//! status code, as for `HTTP` integrations (spec §10).
//!
//! Each API request sends exactly one request to the service: no queue-url lookups, no STS (an
//! integration `credentials` role is accepted and not assumed).

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use lambdagate_auth::sigv4::{self, Credentials, SignedRequest};
use lambdagate_model::{Integration as ModelIntegration, IntegrationTarget};

use super::http_client::{self, SendError};
use super::http_proxy::RESPONSE_LIMIT;
use super::mapping::{RawAnswer, RequestMapping, ResponseMapping, Selector};
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::responses::error::GatewayError;

/// What an AWS service integration URI names after the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceCall {
    /// `action/NAME`: an API action of the service.
    Action(String),
    /// `path/PATH`: a path on the service's endpoint.
    Path(String),
}

/// An `arn:aws:apigateway:REGION:SERVICE:…` integration URI, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUri {
    /// The region.
    pub region: String,
    /// The service (its endpoint prefix: `sqs`, `dynamodb`, `states`, …).
    pub service: String,
    /// The action or path.
    pub call: ServiceCall,
}

impl ServiceUri {
    /// Parses an AWS service integration URI; `Err` says why it is not one.
    pub fn parse(uri: &str) -> Result<ServiceUri, String> {
        let bad = || format!("the integration uri `{uri}` is not an AWS service uri");
        let rest = uri.strip_prefix("arn:aws:apigateway:").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, ':');
        let (Some(region), Some(service), Some(call)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        // A service may carry a subdomain (`subdomain.service`); the service is the last label.
        let service = service.rsplit('.').next().unwrap_or(service);
        if region.is_empty() || service.is_empty() {
            return Err(bad());
        }
        let call = if let Some(action) = call.strip_prefix("action/") {
            // `action/NAME&Param=value` carries extra query parameters; only the name is kept
            // as the action, the rest goes to the query string.
            ServiceCall::Action(action.to_string())
        } else if let Some(path) = call.strip_prefix("path/") {
            ServiceCall::Path(path.to_string())
        } else {
            return Err(bad());
        };
        if matches!(&call, ServiceCall::Action(a) if a.is_empty()) {
            return Err(bad());
        }
        Ok(ServiceUri {
            region: region.to_string(),
            service: service.to_string(),
            call,
        })
    }
}

/// The `X-Amz-Target` prefix and JSON content type of the JSON-protocol services API Gateway
/// integrations commonly call; other services take query (form) requests.
pub(super) fn json_protocol(service: &str) -> Option<(&'static str, &'static str)> {
    match service {
        "dynamodb" => Some(("DynamoDB_20120810", "application/x-amz-json-1.0")),
        "states" => Some(("AWSStepFunctions", "application/x-amz-json-1.0")),
        "events" => Some(("AWSEvents", "application/x-amz-json-1.1")),
        "kinesis" => Some(("Kinesis_20131202", "application/x-amz-json-1.1")),
        _ => None,
    }
}

/// The `AWS_ENDPOINT_URL_<ID>` suffix the SDKs use for a service's endpoint prefix.
pub(super) fn endpoint_env_id(service: &str) -> String {
    match service {
        "states" => "SFN".to_string(),
        "events" => "EVENTBRIDGE".to_string(),
        other => other.to_ascii_uppercase().replace(['-', '.'], "_"),
    }
}

/// The endpoint for `service`: `AWS_ENDPOINT_URL_<ID>`, else `AWS_ENDPOINT_URL`.
pub(super) fn endpoint_for(service: &str, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    var(&format!("AWS_ENDPOINT_URL_{}", endpoint_env_id(service)))
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty())
}

pub(super) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The endpoint `--aws-endpoint` names, set once at startup.
static DEFAULT_ENDPOINT: OnceLock<String> = OnceLock::new();

/// Sets the endpoint `--aws-endpoint` names: it wins over `AWS_ENDPOINT_URL` (not over a
/// service's own `AWS_ENDPOINT_URL_<SERVICE>`), as for the app's own resources. Read when
/// integrations compile, so set it before the first compile; `false` when already set.
pub fn set_default_endpoint(url: &str) -> bool {
    DEFAULT_ENDPOINT.set(url.to_string()).is_ok()
}

/// The environment, with `--aws-endpoint` in place of `AWS_ENDPOINT_URL` when given.
pub(super) fn settings(name: &str) -> Option<String> {
    match DEFAULT_ENDPOINT.get() {
        Some(url) if name == "AWS_ENDPOINT_URL" => Some(url.clone()),
        _ => env_var(name),
    }
}

/// Percent-encodes a query component as SigV4's canonical form expects (unreserved kept).
pub(super) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A REST `AWS` integration with a service other than Lambda, compiled.
#[derive(Debug, Clone)]
pub struct AwsService {
    uri: ServiceUri,
    method: String,
    /// `scheme://authority` of the local endpoint; `None` when nothing names one.
    endpoint: Option<String>,
    credentials: Credentials,
    timeout: Duration,
    request: RequestMapping,
    responses: ResponseMapping,
}

impl AwsService {
    /// Compiles the integration, reading the endpoint and credentials from the environment;
    /// notes (no endpoint) are pushed to `warnings`.
    pub fn compile(
        integration: &ModelIntegration,
        method_statuses: &[u16],
        timeout: Duration,
        warnings: &mut Vec<String>,
    ) -> Result<AwsService, String> {
        Self::compile_with(integration, method_statuses, timeout, &settings, warnings)
    }

    fn compile_with(
        integration: &ModelIntegration,
        method_statuses: &[u16],
        timeout: Duration,
        var: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Result<AwsService, String> {
        let IntegrationTarget::Uri(uri) = &integration.target else {
            return Err("the AWS integration has no uri".to_string());
        };
        let uri = ServiceUri::parse(uri)?;
        let endpoint = endpoint_for(&uri.service, var);
        if endpoint.is_none() {
            warnings.push(format!(
                "the {} service integration has no local endpoint (set AWS_ENDPOINT_URL or \
                 AWS_ENDPOINT_URL_{}); calls would go to real AWS, so the route answers 500",
                uri.service,
                endpoint_env_id(&uri.service)
            ));
        }
        let method = integration
            .http_method
            .clone()
            .filter(|m| !m.eq_ignore_ascii_case("ANY"))
            .unwrap_or_else(|| "POST".to_string())
            .to_ascii_uppercase();
        Ok(AwsService {
            uri,
            method,
            endpoint,
            credentials: signing_credentials(var),
            timeout,
            request: RequestMapping::compile(integration)?,
            responses: ResponseMapping::compile(
                &integration.integration_responses,
                method_statuses,
            )?,
        })
    }

    /// What the route table shows for it.
    pub fn describe(&self) -> String {
        let call = match &self.uri.call {
            ServiceCall::Action(a) => format!("action/{a}"),
            ServiceCall::Path(p) => format!("path/{p}"),
        };
        format!(
            "{} {}:{call} (AWS, {})",
            self.method,
            self.uri.service,
            self.endpoint.as_deref().unwrap_or("no endpoint")
        )
    }

    /// The path and query string of the service request, and whether the action goes in an
    /// `X-Amz-Target` header (JSON services).
    fn target(&self, mapped_query: &[(String, String)]) -> (String, Vec<(String, String)>) {
        let mut query: Vec<(String, String)> = Vec::new();
        let path = match &self.uri.call {
            ServiceCall::Path(p) => {
                let (path, q) = p.split_once('?').unwrap_or((p, ""));
                query.extend(pairs(q));
                format!("/{}", path.trim_start_matches('/'))
            }
            ServiceCall::Action(a) => {
                let (name, extra) = a.split_once('&').unwrap_or((a, ""));
                if json_protocol(&self.uri.service).is_none() {
                    query.push(("Action".to_string(), name.to_string()));
                }
                query.extend(pairs(extra));
                "/".to_string()
            }
        };
        query.extend(mapped_query.iter().cloned());
        (path, query)
    }
}

/// `a=1&b=2` as pairs (already-encoded values kept as written, decoded later by the service).
/// The keys AWS integrations sign with: the environment's, else the same dummy keys functions
/// get. An integration's `credentials` role is not assumed (no STS call).
pub(super) fn signing_credentials(var: &dyn Fn(&str) -> Option<String>) -> Credentials {
    let local = || "lambdagate-local".to_string();
    Credentials {
        access_key_id: var("AWS_ACCESS_KEY_ID").unwrap_or_else(local),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(local),
        session_token: var("AWS_SESSION_TOKEN"),
        account_id: String::new(),
        user_arn: String::new(),
    }
}

/// The answer of an AWS integration whose service has no local endpoint: lambdagate never calls
/// real AWS (the startup warning said so).
pub(super) fn no_endpoint(service: &str) -> GatewayError {
    GatewayError::api_configuration(format!(
        "no local endpoint for the {service} service (AWS_ENDPOINT_URL)"
    ))
}

pub(super) fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

impl Integration for AwsService {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        let Some(endpoint) = &self.endpoint else {
            return Err(no_endpoint(&self.uri.service));
        };
        let (parameters, body, overrides) =
            self.request.transform(cx, r.binary_media_types, true)?;
        let (path, query) = self.target(&parameters.query);
        // `{name}` in a `path/` URI is filled from `integration.request.path.name` (or a
        // template's path override), `${stageVariables.x}` from the stage.
        let path = super::http_proxy::fill_uri(
            &path,
            &|name| cx.stage_variable(name).map(str::to_string),
            &|name| {
                overrides
                    .request_path
                    .iter()
                    .chain(parameters.path.iter())
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| encode(v))
            },
        )
        .map_err(GatewayError::api_configuration)?;
        let mut headers: Vec<(String, String)> = Vec::new();
        let set = |headers: &mut Vec<(String, String)>, name: &str, value: String| {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.to_ascii_lowercase(), value));
        };
        match (json_protocol(&self.uri.service), &self.uri.call) {
            (Some((prefix, content_type)), ServiceCall::Action(a)) => {
                let name = a.split_once('&').map_or(a.as_str(), |(n, _)| n);
                set(&mut headers, "x-amz-target", format!("{prefix}.{name}"));
                set(&mut headers, "content-type", content_type.to_string());
            }
            (None, _) if !body.is_empty() => {
                set(
                    &mut headers,
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                );
            }
            _ => {}
        }
        // Mapped headers (and a template's `$context.requestOverride.header`) win over the
        // defaults, as they do on API Gateway.
        for (name, value) in parameters
            .headers
            .iter()
            .chain(overrides.request_headers.iter())
        {
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            set(&mut headers, name, value.clone());
        }
        let response = send_signed(
            &Signing {
                endpoint,
                credentials: &self.credentials,
                region: &self.uri.region,
                service: &self.uri.service,
                timeout: self.timeout,
            },
            &self.method,
            &path,
            &query,
            headers,
            body,
            r.time.epoch_ms,
        )
        .await?;
        self.responses.respond(
            cx,
            Selector::Status(&response.status.to_string()),
            RawAnswer {
                body: &response.body,
                headers: &response.headers,
            },
            &overrides,
            true,
        )
    }
}

/// Where and as whom a service request is signed and sent.
pub(super) struct Signing<'a> {
    pub(super) endpoint: &'a str,
    pub(super) credentials: &'a Credentials,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
    pub(super) timeout: Duration,
}

/// Signs a request to the service (SigV4, header form) and sends it through the shared client;
/// exactly one request per call.
pub(super) async fn send_signed(
    to: &Signing<'_>,
    method: &str,
    path: &str,
    query: &[(String, String)],
    mut headers: Vec<(String, String)>,
    body: Bytes,
    now_ms: u64,
) -> Result<http_client::BackendResponse, GatewayError> {
    let endpoint = to.endpoint;
    let raw_query = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let host = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
    headers.insert(0, ("host".to_string(), host));
    let signed = sigv4::sign(
        &SignedRequest {
            method,
            raw_path: path,
            raw_query: &raw_query,
            headers: &headers,
            body: &body,
        },
        to.credentials,
        to.region,
        to.service,
        now_ms,
    );
    let url = if raw_query.is_empty() {
        format!("{endpoint}{path}")
    } else {
        format!("{endpoint}{path}?{raw_query}")
    };
    let mut builder = http::Request::builder().method(method).uri(&url);
    for (name, value) in headers.iter().chain(signed.iter()) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder
        .body(Full::new(body))
        .map_err(|e| GatewayError::api_configuration(format!("{url}: {e}")))?;
    let client = http_client::shared().map_err(GatewayError::api_configuration)?;
    match client.send(request, to.timeout, RESPONSE_LIMIT).await {
        Ok(response) => Ok(response),
        Err(e @ SendError::Timeout(_)) => {
            Err(GatewayError::integration_timeout(format!("{url}: {e}")))
        }
        Err(e) => Err(GatewayError::api_configuration(format!("{url}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_and_path_uris_parse() {
        assert_eq!(
            ServiceUri::parse("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem").unwrap(),
            ServiceUri {
                region: "us-east-1".into(),
                service: "dynamodb".into(),
                call: ServiceCall::Action("PutItem".into()),
            }
        );
        assert_eq!(
            ServiceUri::parse("arn:aws:apigateway:eu-west-1:sqs:path/123456789012/MyQueue")
                .unwrap(),
            ServiceUri {
                region: "eu-west-1".into(),
                service: "sqs".into(),
                call: ServiceCall::Path("123456789012/MyQueue".into()),
            }
        );
        assert_eq!(
            ServiceUri::parse("arn:aws:apigateway:us-east-1:mybucket.s3:path/key")
                .unwrap()
                .service,
            "s3"
        );
    }

    #[test]
    fn other_uris_are_refused() {
        for uri in [
            "http://example.com/x",
            "arn:aws:apigateway:us-east-1:sqs",
            "arn:aws:apigateway:us-east-1:sqs:other/x",
            "arn:aws:apigateway::sqs:action/SendMessage",
            "arn:aws:apigateway:us-east-1:dynamodb:action/",
        ] {
            assert!(ServiceUri::parse(uri).is_err(), "{uri}");
        }
    }

    fn compiled(uri: &str, env: &[(&str, &str)]) -> (AwsService, Vec<String>) {
        let mut integration = ModelIntegration::mock();
        integration.kind = lambdagate_model::IntegrationType::Aws;
        integration.target = IntegrationTarget::Uri(uri.to_string());
        integration.http_method = Some("POST".into());
        let mut warnings = Vec::new();
        let var = |name: &str| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let service = AwsService::compile_with(
            &integration,
            &[200],
            Duration::from_secs(29),
            &var,
            &mut warnings,
        )
        .unwrap();
        (service, warnings)
    }

    #[test]
    fn the_service_endpoint_wins_over_the_general_one() {
        let env = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1/"),
            ("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:2"),
        ];
        let (states, w) = compiled(
            "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            &env,
        );
        assert_eq!(states.endpoint.as_deref(), Some("http://127.0.0.1:2"));
        assert!(w.is_empty());
        let (sqs, _) = compiled("arn:aws:apigateway:us-east-1:sqs:path/1/q", &env);
        assert_eq!(sqs.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(sqs.credentials.access_key_id, "lambdagate-local");
    }

    #[test]
    fn no_endpoint_is_a_warning() {
        let (service, w) = compiled("arn:aws:apigateway:us-east-1:sqs:path/1/q", &[]);
        assert!(service.endpoint.is_none());
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("real AWS"), "{w:?}");
    }

    #[test]
    fn query_services_get_the_action_in_the_query_json_ones_in_a_header() {
        let env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:1")];
        let (sns, _) = compiled("arn:aws:apigateway:us-east-1:sns:action/Publish", &env);
        let (path, query) = sns.target(&[("TopicArn".into(), "arn:x".into())]);
        assert_eq!(path, "/");
        assert_eq!(
            query,
            vec![
                ("Action".to_string(), "Publish".to_string()),
                ("TopicArn".to_string(), "arn:x".to_string())
            ]
        );
        let (ddb, _) = compiled("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", &env);
        assert_eq!(ddb.target(&[]), ("/".to_string(), Vec::new()));
        let (sqs, _) = compiled("arn:aws:apigateway:us-east-1:sqs:path/123/MyQueue", &env);
        assert_eq!(sqs.target(&[]), ("/123/MyQueue".to_string(), Vec::new()));
    }
}
