//! [`GatewayError`]: why the gateway answered itself, as one of AWS's gateway-response types
//! with its message, and each type's default status, message and `x-amzn-ErrorType`.

use std::borrow::Cow;

use lambdagate_model::{ApiKind, ResponseType};

/// Why the gateway answered itself: an AWS gateway-response type and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// The gateway-response type (`$context.error.responseType`).
    pub kind: ResponseType,
    /// The REST status when the API does not customize it.
    pub(crate) status: u16,
    /// The HTTP API status.
    pub(crate) http_status: u16,
    /// `$context.error.message`; `None` renders as `null`.
    pub(crate) message: Option<Cow<'static, str>>,
    /// REST `x-amzn-ErrorType`.
    pub(crate) error_type: Option<&'static str>,
    /// Integration-side errors keep AWS's `{"message": "…"}` (with a space) when not customized.
    pub(crate) integration_side: bool,
    /// IAM's refusals (a resource policy's) are `{"Message":"…"}` when not customized.
    pub(crate) capitalized: bool,
    /// Whether the API's gateway responses may change it (AWS does not let 413 be customized,
    /// and an unknown stage is answered before any API is known).
    pub(crate) customizable: bool,
    /// What went wrong, for the access log; never sent to the client.
    pub detail: Option<String>,
    /// Headers the answer carries besides the usual ones (`www-authenticate` of JWT
    /// authorizers).
    pub(crate) headers: Vec<(&'static str, String)>,
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

pub(crate) fn http_message(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Request Entity Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
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
            capitalized: false,
            customizable: true,
            detail: None,
            headers: Vec::new(),
        }
    }

    /// Replaces the message (`$context.error.message`).
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> GatewayError {
        self.message = Some(message.into());
        self
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> GatewayError {
        self.headers.push((name, value.into()));
        self
    }

    /// Answers `{"Message":…}` rather than `{"message":…}` when nothing customizes it, as IAM's
    /// refusals read on AWS.
    pub(crate) fn with_capitalized_message_key(mut self) -> GatewayError {
        self.capitalized = true;
        self
    }

    /// Sets the status HTTP APIs answer with.
    pub(crate) fn with_http_status(mut self, status: u16) -> GatewayError {
        self.http_status = status;
        self
    }

    /// Sets REST's `x-amzn-ErrorType`.
    pub(crate) fn with_error_type(mut self, error_type: &'static str) -> GatewayError {
        self.error_type = Some(error_type);
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

    /// The header values add up to more than API Gateway's limit (10 240 bytes).
    pub fn headers_too_large() -> GatewayError {
        GatewayError {
            status: 431,
            http_status: 431,
            error_type: None,
            customizable: false,
            ..GatewayError::new(ResponseType::Default4xx)
                .with_message("HTTP header is larger than 10240 bytes.")
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

    /// The body when no template of the API applies: REST's default template
    /// `{"message":$context.error.messageString}`, except that integration-side errors nothing
    /// customizes keep AWS's `{"message": "…"}` with a space (spec §2.1); HTTP APIs answer the
    /// status's reason phrase.
    pub fn builtin_body(&self, kind: ApiKind, customized: bool) -> String {
        match kind {
            ApiKind::Rest if self.integration_side && !customized => {
                format!(r#"{{"message": {}}}"#, self.message_string())
            }
            ApiKind::Rest if self.capitalized && !customized => {
                format!(r#"{{"Message":{}}}"#, self.message_string())
            }
            ApiKind::Rest => format!(r#"{{"message":{}}}"#, self.message_string()),
            ApiKind::Http => format!(r#"{{"message":"{}"}}"#, http_message(self.http_status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_byte_exact() {
        // Content-Length values observed on AWS (spec §2.1).
        let rest = |e: &GatewayError| e.builtin_body(ApiKind::Rest, false);
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
            GatewayError::function_error("x").builtin_body(ApiKind::Http, false),
            r#"{"message":"Internal Server Error"}"#
        );
        assert_eq!(
            rest(&GatewayError::new(
                ResponseType::AuthorizerConfigurationError
            )),
            r#"{"message":null}"#
        );
    }
}
