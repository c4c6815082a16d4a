//! Gateway responses: every way the gateway answers instead of the integration.
//!
//! A stage that cannot go on returns a [`GatewayError`]: one of AWS's gateway-response types
//! ([`ResponseType`]) with the message that travels with it. [`render`] is the one place that
//! turns it into an answer, for every stage and for the server's own early answers (413, 414):
//! status, body, request ids, `x-amzn-ErrorType` (REST), the API's customized gateway responses
//! (REST: status override, templates with `$context` values, header parameters) and, for HTTP
//! APIs with a `CorsConfiguration`, CORS headers.

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use lambdagate_model::{ApiKind, GatewayResponse};

pub use lambdagate_model::ResponseType;

use crate::context::RequestContext;
use crate::pipeline::Reply;

/// Why the gateway answered itself: an AWS gateway-response type and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// The gateway-response type (`$context.error.responseType`).
    pub kind: ResponseType,
    /// The REST status when the API does not customize it.
    status: u16,
    /// The HTTP API status.
    http_status: u16,
    /// `$context.error.message`; `None` renders as `null`.
    message: Option<Cow<'static, str>>,
    /// REST `x-amzn-ErrorType`.
    error_type: Option<&'static str>,
    /// Integration-side errors keep AWS's `{"message": "…"}` (with a space) when not customized.
    integration_side: bool,
    /// Whether the API's gateway responses may change it (AWS does not let 413 be customized,
    /// and an unknown stage is answered before any API is known).
    customizable: bool,
    /// What went wrong, for the access log; never sent to the client.
    pub detail: Option<String>,
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.detail, &self.message) {
            (Some(detail), _) => f.write_str(detail),
            (None, Some(message)) => f.write_str(message),
            (None, None) => f.write_str(self.kind.as_str()),
        }
    }
}

impl std::error::Error for GatewayError {}

/// REST's default status, message and `x-amzn-ErrorType` per type (spec §4).
fn rest_default(kind: ResponseType) -> (u16, Option<&'static str>, Option<&'static str>) {
    use ResponseType as T;
    match kind {
        T::AccessDenied => (
            403,
            Some("User is not authorized to access this resource"),
            Some("AccessDeniedException"),
        ),
        T::ApiConfigurationError => (
            500,
            Some("Internal server error"),
            Some("InternalServerErrorException"),
        ),
        T::AuthorizerConfigurationError => (500, None, Some("AuthorizerConfigurationException")),
        T::AuthorizerFailure => (
            500,
            Some("Internal server error"),
            Some("AuthorizerFailureException"),
        ),
        T::BadRequestParameters | T::BadRequestBody => {
            (400, Some("Bad request"), Some("BadRequestException"))
        }
        T::Default4xx => (400, Some("Bad request"), None),
        T::Default5xx => (500, Some("Internal server error"), None),
        T::ExpiredToken => (
            403,
            Some("The security token included in the request is expired"),
            Some("ExpiredTokenException"),
        ),
        T::IntegrationFailure => (
            504,
            Some("Internal server error"),
            Some("InternalServerErrorException"),
        ),
        T::IntegrationTimeout => (
            504,
            Some("Endpoint request timed out"),
            Some("InternalServerErrorException"),
        ),
        T::InvalidApiKey => (403, Some("Forbidden"), Some("ForbiddenException")),
        T::InvalidSignature => (
            403,
            Some("The request signature we calculated does not match the signature you provided."),
            Some("InvalidSignatureException"),
        ),
        T::MissingAuthenticationToken => (
            403,
            Some("Missing Authentication Token"),
            Some("MissingAuthenticationTokenException"),
        ),
        T::QuotaExceeded => (429, Some("Limit Exceeded"), Some("LimitExceededException")),
        // AWS does not document the 413 body (spec Appendix B, point 6): this follows the
        // status line's wording, the closest thing to a recorded answer there is.
        T::RequestTooLarge => (413, Some("Request Too Long"), None),
        T::ResourceNotFound => (404, Some("Not Found"), None),
        T::Throttled => (
            429,
            Some("Too Many Requests"),
            Some("TooManyRequestsException"),
        ),
        T::Unauthorized => (401, Some("Unauthorized"), Some("UnauthorizedException")),
        T::UnsupportedMediaType => (
            415,
            Some("Unsupported Media Type"),
            Some("BadRequestException"),
        ),
        T::WafFiltered => (403, Some("Forbidden"), None),
    }
}

/// The HTTP API's status for a type; its body is always the status's reason phrase.
fn http_status(kind: ResponseType) -> u16 {
    use ResponseType as T;
    match kind {
        T::MissingAuthenticationToken | T::ResourceNotFound => 404,
        T::IntegrationTimeout => 503,
        T::Unauthorized => 401,
        T::AccessDenied | T::InvalidApiKey | T::WafFiltered | T::ExpiredToken => 403,
        T::InvalidSignature => 403,
        T::Throttled | T::QuotaExceeded => 429,
        T::BadRequestBody | T::BadRequestParameters | T::Default4xx => 400,
        T::UnsupportedMediaType => 415,
        T::RequestTooLarge => 413,
        T::ApiConfigurationError
        | T::AuthorizerConfigurationError
        | T::AuthorizerFailure
        | T::IntegrationFailure
        | T::Default5xx => 500,
    }
}

fn http_message(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Request Entity Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    }
}

impl GatewayError {
    /// An error of `kind` with AWS's default status and message.
    pub fn new(kind: ResponseType) -> GatewayError {
        let (status, message, error_type) = rest_default(kind);
        GatewayError {
            kind,
            status,
            http_status: http_status(kind),
            message: message.map(Cow::Borrowed),
            error_type,
            integration_side: false,
            customizable: true,
            detail: None,
        }
    }

    /// Replaces the message (`$context.error.message`).
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> GatewayError {
        self.message = Some(message.into());
        self
    }

    /// Adds what went wrong, for the access log.
    pub fn with_detail(mut self, detail: impl Into<String>) -> GatewayError {
        self.detail = Some(detail.into());
        self
    }

    /// No REST resource or method matches (REST answers 403, HTTP APIs 404).
    pub fn missing_route() -> GatewayError {
        GatewayError::new(ResponseType::MissingAuthenticationToken)
    }

    /// A REST request for a stage that does not exist: `403 Forbidden`, answered before any API
    /// is known, so no gateway response applies.
    pub fn unknown_stage() -> GatewayError {
        GatewayError {
            error_type: Some("ForbiddenException"),
            http_status: 404,
            customizable: false,
            ..GatewayError::new(ResponseType::MissingAuthenticationToken).with_message("Forbidden")
        }
    }

    /// The function failed, or answered something that is not a proxy response: REST 502.
    pub fn function_error(detail: impl Into<String>) -> GatewayError {
        GatewayError {
            status: 502,
            integration_side: true,
            ..GatewayError::new(ResponseType::IntegrationFailure).with_detail(detail)
        }
    }

    /// Lambda refused the invocation (throttled, or not found): REST 500.
    pub fn invocation_refused(detail: impl Into<String>) -> GatewayError {
        GatewayError {
            status: 500,
            integration_side: true,
            ..GatewayError::new(ResponseType::IntegrationFailure).with_detail(detail)
        }
    }

    /// An API configuration error (an undecodable base64 body, an unresolvable integration).
    pub fn api_configuration(detail: impl Into<String>) -> GatewayError {
        GatewayError {
            integration_side: true,
            ..GatewayError::new(ResponseType::ApiConfigurationError).with_detail(detail)
        }
    }

    /// No answer within the integration timeout.
    pub fn integration_timeout(detail: impl Into<String>) -> GatewayError {
        GatewayError {
            integration_side: true,
            ..GatewayError::new(ResponseType::IntegrationTimeout).with_detail(detail)
        }
    }

    /// The body is over the payload limit (AWS does not let 413 be customized).
    pub fn request_too_large() -> GatewayError {
        GatewayError {
            customizable: false,
            ..GatewayError::new(ResponseType::RequestTooLarge)
        }
    }

    /// The URL is over the limit.
    pub fn uri_too_long() -> GatewayError {
        GatewayError {
            status: 414,
            http_status: 414,
            error_type: None,
            customizable: false,
            ..GatewayError::new(ResponseType::Default4xx).with_message("Request URI too long")
        }
    }

    /// The status this error is answered with when nothing customizes it.
    pub fn status(&self, kind: ApiKind) -> u16 {
        match kind {
            ApiKind::Rest => self.status,
            ApiKind::Http => self.http_status,
        }
    }

    /// `$context.error.message`.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// `$context.error.messageString`: the message as a JSON string, or `null`.
    pub fn message_string(&self) -> String {
        match &self.message {
            Some(m) => serde_json::Value::from(m.as_ref()).to_string(),
            None => "null".to_string(),
        }
    }
}

/// Where a gateway response header's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ParamSource {
    Static(String),
    Header(String),
    QueryString(String),
    Path(String),
    StageVariable(String),
    Context(String),
}

/// A piece of a gateway response template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Context(String),
    StageVariable(String),
}

/// A customized gateway response, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Custom {
    status: Option<u16>,
    headers: Vec<(String, ParamSource)>,
    templates: Vec<(String, Vec<Piece>)>,
}

/// An API's customized gateway responses, by type.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponses {
    by_type: Vec<(lambdagate_model::ResponseType, Custom)>,
}

/// Why a gateway response cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: gateway response {response_type}: {message}")]
pub struct GatewayResponseError {
    /// Where it is defined.
    pub location: String,
    /// Its type.
    pub response_type: ResponseType,
    /// What is wrong.
    pub message: String,
}

impl GatewayResponses {
    /// Compiles an API's customized gateway responses.
    pub fn compile(
        responses: &[GatewayResponse],
    ) -> Result<GatewayResponses, GatewayResponseError> {
        let mut by_type = Vec::with_capacity(responses.len());
        for response in responses {
            let fail = |message: String| GatewayResponseError {
                location: response.source.to_string(),
                response_type: response.response_type,
                message,
            };
            let mut headers = Vec::new();
            for (key, value) in &response.response_parameters {
                let Some(name) = key.strip_prefix("gatewayresponse.header.") else {
                    // Path and query-string parameters shape nothing a client receives.
                    continue;
                };
                headers.push((name.to_string(), parse_source(value).map_err(fail)?));
            }
            let mut templates = Vec::new();
            for (content_type, text) in &response.response_templates {
                templates.push((content_type.clone(), parse_template(text).map_err(fail)?));
            }
            by_type.push((
                response.response_type,
                Custom {
                    status: response.status_code,
                    headers,
                    templates,
                },
            ));
        }
        Ok(GatewayResponses { by_type })
    }

    fn get(&self, kind: ResponseType) -> Option<&Custom> {
        self.by_type
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c)
    }

    /// Whether the API customizes any response.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

fn parse_source(value: &str) -> Result<ParamSource, String> {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Ok(ParamSource::Static(inner.to_string()));
    }
    type Make = fn(String) -> ParamSource;
    let sources: [(&str, Make); 5] = [
        ("method.request.header.", ParamSource::Header),
        ("method.request.querystring.", ParamSource::QueryString),
        ("method.request.path.", ParamSource::Path),
        ("stageVariables.", ParamSource::StageVariable),
        ("context.", ParamSource::Context),
    ];
    for (prefix, make) in sources {
        if let Some(name) = value.strip_prefix(prefix)
            && !name.is_empty()
        {
            return Ok(make(name.to_string()));
        }
    }
    Err(format!(
        "`{value}` is not a response parameter value: use a quoted static value ('…'), \
         method.request.header|querystring|path.NAME, stageVariables.NAME or context.NAME"
    ))
}

/// Splits a template into text and `$context.x` / `${context.x}` / `$stageVariables.x` pieces.
/// Gateway response templates are plain substitution, not VTL (spec §4).
fn parse_template(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (formal, body) = match after.strip_prefix('{') {
            Some(inner) => (true, inner),
            None => (false, after),
        };
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(body.len());
        // A trailing dot ends a sentence, not a name.
        let name = body[..name_len].trim_end_matches('.');
        let piece = if let Some(n) = name.strip_prefix("context.") {
            Some(Piece::Context(n.to_string()))
        } else {
            name.strip_prefix("stageVariables.")
                .map(|n| Piece::StageVariable(n.to_string()))
        };
        let consumed = match (piece, formal) {
            (Some(piece), true) => {
                if !body[name.len()..].starts_with('}') {
                    return Err(format!(
                        "`${{{name}` is not closed with `}}` in the response template"
                    ));
                }
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(piece);
                1 + 1 + name.len() + 1
            }
            (Some(piece), false) if !name.ends_with('.') && !name.is_empty() => {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(piece);
                1 + name.len()
            }
            _ => {
                literal.push('$');
                1
            }
        };
        rest = &rest[at + consumed..];
    }
    literal.push_str(rest);
    pieces.push(Piece::Text(literal));
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    Ok(pieces)
}

/// Turns a gateway error into the answer the API gives (the one renderer).
pub fn render(cx: &RequestContext<'_>, error: &GatewayError) -> Reply {
    let kind = cx.api.map_or(ApiKind::Http, |a| a.kind);
    let mut headers: Vec<(String, String)> = Vec::with_capacity(5);
    let (status, body) = match kind {
        ApiKind::Rest => {
            let customs = cx.api.map(|a| &a.gateway_responses);
            let default_status = error.status;
            let (specific, fallback) = match customs {
                Some(c) if error.customizable => (
                    c.get(error.kind),
                    c.get(ResponseType::default_for_status(default_status)),
                ),
                _ => (None, None),
            };
            let custom = specific.or(fallback);
            let status = specific
                .and_then(|c| c.status)
                .or_else(|| fallback.and_then(|c| c.status))
                .unwrap_or(default_status);
            let template = custom.and_then(|c| choose_template(&c.templates, cx));
            let (content_type, body) = match template {
                Some((content_type, pieces)) => {
                    (content_type.as_str(), substitute(pieces, cx, error))
                }
                None if error.integration_side && custom.is_none() => (
                    "application/json",
                    format!(r#"{{"message": {}}}"#, error.message_string()),
                ),
                None => (
                    "application/json",
                    format!(r#"{{"message":{}}}"#, error.message_string()),
                ),
            };
            headers.push(("Content-Type".into(), content_type.to_string()));
            headers.push(("x-amzn-RequestId".into(), cx.ids.request_id.clone()));
            headers.push(("x-amz-apigw-id".into(), cx.ids.extended.clone()));
            if let Some(error_type) = error.error_type {
                headers.push(("x-amzn-ErrorType".into(), error_type.into()));
            }
            for (name, source) in custom.map_or(&[][..], |c| &c.headers) {
                if let Some(value) = parameter(source, cx) {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                    headers.push((name.clone(), value.into_owned()));
                }
            }
            (status, body)
        }
        ApiKind::Http => {
            let status = error.http_status;
            headers.push(("Content-Type".into(), "application/json".into()));
            if let Some(cors) = cx.api.and_then(|a| a.cors.as_ref()) {
                headers.extend(
                    cors.actual(&cx.request)
                        .into_iter()
                        .map(|(n, v)| (n.into(), v)),
                );
            }
            headers.push(("apigw-requestid".into(), cx.ids.request_id.clone()));
            (
                status,
                format!(r#"{{"message":"{}"}}"#, http_message(status)),
            )
        }
    };
    Reply {
        status,
        headers,
        body: Bytes::from(body),
        function: cx.function_name(),
        request_id: cx.ids.request_id.clone(),
        detail: Some(error.to_string()),
    }
}

/// The template for the client's `Accept`, else `application/json`, else the first.
fn choose_template<'c>(
    templates: &'c [(String, Vec<Piece>)],
    cx: &RequestContext<'_>,
) -> Option<&'c (String, Vec<Piece>)> {
    let accept = cx.request.header("accept").unwrap_or("");
    templates
        .iter()
        .find(|(ct, _)| {
            accept.split(',').any(|a| {
                a.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(ct)
            })
        })
        .or_else(|| templates.iter().find(|(ct, _)| ct == "application/json"))
        .or_else(|| templates.first())
}

fn substitute(pieces: &[Piece], cx: &RequestContext<'_>, error: &GatewayError) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Context(name) => {
                if let Some(value) = error_variable(name, error).or_else(|| cx.context_value(name))
                {
                    out.push_str(&value);
                }
            }
            Piece::StageVariable(name) => {
                if let Some(value) = cx.stage_variable(name) {
                    out.push_str(value);
                }
            }
        }
    }
    out
}

/// `$context.error.*`.
fn error_variable<'e>(name: &str, error: &'e GatewayError) -> Option<Cow<'e, str>> {
    match name {
        "error.message" => Some(Cow::Borrowed(error.message().unwrap_or(""))),
        "error.messageString" => Some(Cow::Owned(error.message_string())),
        "error.responseType" => Some(Cow::Borrowed(error.kind.as_str())),
        "error.validationErrorString" => Some(Cow::Borrowed("")),
        _ => None,
    }
}

fn parameter<'c>(source: &'c ParamSource, cx: &'c RequestContext<'_>) -> Option<Cow<'c, str>> {
    match source {
        ParamSource::Static(value) => Some(Cow::Borrowed(value)),
        ParamSource::Header(name) => cx.request.header(name).map(Cow::Borrowed),
        ParamSource::QueryString(name) => cx.query_value(name).map(Cow::Owned),
        ParamSource::Path(name) => cx.path_parameter(name).map(Cow::Owned),
        ParamSource::StageVariable(name) => cx.stage_variable(name).map(Cow::Borrowed),
        ParamSource::Context(name) => cx.context_value(name),
    }
}

/// Writes `{"message":…}` bodies for tests and callers that need the built-in text only.
pub fn default_body(kind: ApiKind, error: &GatewayError) -> String {
    let mut out = String::new();
    match kind {
        ApiKind::Rest if error.integration_side => {
            let _ = write!(out, r#"{{"message": {}}}"#, error.message_string());
        }
        ApiKind::Rest => {
            let _ = write!(out, r#"{{"message":{}}}"#, error.message_string());
        }
        ApiKind::Http => {
            let _ = write!(
                out,
                r#"{{"message":"{}"}}"#,
                http_message(error.http_status)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_byte_exact() {
        // Content-Length values observed on AWS (spec §2.1).
        let rest = |e: &GatewayError| default_body(ApiKind::Rest, e);
        assert_eq!(rest(&GatewayError::missing_route()).len(), 42);
        assert_eq!(rest(&GatewayError::function_error("x")).len(), 36);
        assert_eq!(rest(&GatewayError::unknown_stage()).len(), 23);
        assert_eq!(GatewayError::function_error("x").status(ApiKind::Rest), 502);
        assert_eq!(GatewayError::missing_route().status(ApiKind::Http), 404);
        assert_eq!(
            GatewayError::integration_timeout("x").status(ApiKind::Http),
            503
        );
        assert_eq!(
            default_body(ApiKind::Http, &GatewayError::function_error("x")),
            r#"{"message":"Internal Server Error"}"#
        );
        assert_eq!(
            rest(&GatewayError::new(
                ResponseType::AuthorizerConfigurationError
            )),
            r#"{"message":null}"#
        );
    }

    #[test]
    fn templates_split_into_substitutions() {
        let pieces = parse_template(r#"{"m":$context.error.messageString,"id":"${context.requestId}","v":"$stageVariables.v."}"#).unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text(r#"{"m":"#.into()),
                Piece::Context("error.messageString".into()),
                Piece::Text(r#","id":""#.into()),
                Piece::Context("requestId".into()),
                Piece::Text(r#"","v":""#.into()),
                Piece::StageVariable("v".into()),
                Piece::Text(r#"."}"#.into()),
            ]
        );
        assert!(parse_template("${context.requestId").is_err());
        assert_eq!(
            parse_template("costs $5 and $input.body").unwrap(),
            vec![Piece::Text("costs $5 and $input.body".into())]
        );
    }

    #[test]
    fn parameter_sources() {
        assert_eq!(parse_source("'*'"), Ok(ParamSource::Static("*".into())));
        assert_eq!(
            parse_source("method.request.header.Origin"),
            Ok(ParamSource::Header("Origin".into()))
        );
        assert_eq!(
            parse_source("context.requestId"),
            Ok(ParamSource::Context("requestId".into()))
        );
        assert!(parse_source("integration.response.body").is_err());
    }
}
