//! Integrations: what API Gateway calls the backend of a route, with everything a definition
//! can say about how a request is mapped to it and its answer mapped back.

use std::fmt;

use serde::Serialize;

/// API Gateway's integration types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IntegrationType {
    /// `AWS_PROXY`: Lambda proxy (and HTTP API AWS service integrations with a subtype).
    AwsProxy,
    /// `AWS`: Lambda custom integration or an AWS service action, with mapping templates.
    Aws,
    /// `HTTP_PROXY`: the request passed through to an HTTP endpoint.
    HttpProxy,
    /// `HTTP`: an HTTP endpoint with mapping templates.
    Http,
    /// `MOCK`: the gateway answers from the integration response.
    Mock,
}

impl IntegrationType {
    /// AWS's spelling (`AWS_PROXY`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationType::AwsProxy => "AWS_PROXY",
            IntegrationType::Aws => "AWS",
            IntegrationType::HttpProxy => "HTTP_PROXY",
            IntegrationType::Http => "HTTP",
            IntegrationType::Mock => "MOCK",
        }
    }

    /// Parses AWS's spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<IntegrationType> {
        [
            IntegrationType::AwsProxy,
            IntegrationType::Aws,
            IntegrationType::HttpProxy,
            IntegrationType::Http,
            IntegrationType::Mock,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for IntegrationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an integration calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IntegrationTarget {
    /// A Lambda function of the application: a logical id, a function name, or a name that
    /// contains `${stageVariables.name}` (resolved per stage when the API is compiled).
    Function(String),
    /// An HTTP endpoint or an AWS service action URI (`arn:aws:apigateway:…`), as written.
    Uri(String),
    /// Nothing (a mock).
    None,
}

/// How a request body without a matching request template is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum PassthroughBehavior {
    /// `WHEN_NO_MATCH` (the default): pass it through unchanged when no template matches.
    #[default]
    WhenNoMatch,
    /// `WHEN_NO_TEMPLATES`: pass through only when the integration has no templates at all;
    /// otherwise 415.
    WhenNoTemplates,
    /// `NEVER`: 415 when no template matches.
    Never,
}

/// Payload conversion between binary and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ContentHandling {
    /// `CONVERT_TO_BINARY`: base64-decode text into bytes.
    ConvertToBinary,
    /// `CONVERT_TO_TEXT`: base64-encode bytes into text.
    ConvertToText,
}

/// How an integration reaches an HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub enum ConnectionType {
    /// Over the internet (the default).
    #[default]
    Internet,
    /// Through a VPC link (`ConnectionId`).
    VpcLink(String),
}

/// One integration response: how an integration's answer becomes the method's response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationResponse {
    /// The method response status this selects.
    pub status_code: u16,
    /// `SelectionPattern`: a regular expression over the error message (Lambda) or status code
    /// (HTTP); `None` for the default response.
    pub selection_pattern: Option<String>,
    /// `ResponseParameters`: `method.response.header.X` → expression (`'static'`,
    /// `integration.response.header.Y`, `integration.response.body.path`).
    pub response_parameters: Vec<(String, String)>,
    /// `ResponseTemplates` by content type.
    pub response_templates: Vec<(String, String)>,
    /// `ContentHandling`.
    pub content_handling: Option<ContentHandling>,
}

/// HTTP API response parameter mapping for one status code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseParameterMapping {
    /// The integration status code it applies to (`200`, `4xx` is not allowed: exact codes).
    pub status_code: u16,
    /// `overwrite:header.x` / `append:header.x` / `remove:header.x` / `overwrite:statuscode`
    /// → value.
    pub parameters: Vec<(String, String)>,
}

/// An integration of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integration {
    /// The integration type.
    pub kind: IntegrationType,
    /// What it calls.
    pub target: IntegrationTarget,
    /// Lambda proxy payload format: REST is always 1.0; HTTP API defaults to 2.0.
    pub payload_format: PayloadFormat,
    /// `TimeoutInMillis`, when set explicitly.
    pub timeout_ms: Option<u32>,
    /// `IntegrationHttpMethod` (the method used towards the backend).
    pub http_method: Option<String>,
    /// `Credentials`: the role API Gateway assumes.
    pub credentials: Option<String>,
    /// `ConnectionType` / `ConnectionId`.
    pub connection: ConnectionType,
    /// HTTP API `IntegrationSubtype` (`SQS-SendMessage`, …).
    pub subtype: Option<String>,
    /// `RequestParameters`: REST `integration.request.X` → expression; HTTP API
    /// `append:header.x` and friends → value.
    pub request_parameters: Vec<(String, String)>,
    /// `RequestTemplates` by content type.
    pub request_templates: Vec<(String, String)>,
    /// `PassthroughBehavior`.
    pub passthrough_behavior: PassthroughBehavior,
    /// `ContentHandling`.
    pub content_handling: Option<ContentHandling>,
    /// `CacheKeyParameters`.
    pub cache_key_parameters: Vec<String>,
    /// REST integration responses, in definition order.
    pub integration_responses: Vec<IntegrationResponse>,
    /// HTTP API `ResponseParameters` per status code.
    pub response_parameters: Vec<ResponseParameterMapping>,
}

impl Integration {
    /// A Lambda proxy integration of `function` (logical id or name).
    pub fn lambda_proxy(
        function: impl Into<String>,
        payload_format: PayloadFormat,
        timeout_ms: Option<u32>,
    ) -> Integration {
        Integration {
            kind: IntegrationType::AwsProxy,
            target: IntegrationTarget::Function(function.into()),
            payload_format,
            timeout_ms,
            http_method: Some("POST".to_string()),
            ..Integration::mock()
        }
    }

    /// A mock integration with no responses yet.
    pub fn mock() -> Integration {
        Integration {
            kind: IntegrationType::Mock,
            target: IntegrationTarget::None,
            payload_format: PayloadFormat::V1,
            timeout_ms: None,
            http_method: None,
            credentials: None,
            connection: ConnectionType::Internet,
            subtype: None,
            request_parameters: Vec::new(),
            request_templates: Vec::new(),
            passthrough_behavior: PassthroughBehavior::WhenNoMatch,
            content_handling: None,
            cache_key_parameters: Vec::new(),
            integration_responses: Vec::new(),
            response_parameters: Vec::new(),
        }
    }

    /// The function a Lambda integration calls, when it calls one.
    pub fn function(&self) -> Option<&str> {
        match &self.target {
            IntegrationTarget::Function(name) => Some(name),
            _ => None,
        }
    }
}

/// The Lambda proxy event and response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PayloadFormat {
    /// Format 1.0: REST APIs, and HTTP APIs that ask for it.
    #[serde(rename = "1.0")]
    V1,
    /// Format 2.0: the HTTP API default.
    #[serde(rename = "2.0")]
    V2,
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayloadFormat::V1 => "1.0",
            PayloadFormat::V2 => "2.0",
        })
    }
}
