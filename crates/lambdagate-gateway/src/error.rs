//! Gateway responses: every way the gateway itself answers instead of the integration.
//!
//! One enum, whose variants are API Gateway's gateway-response types, and one place
//! ([`GatewayError::render`]) that turns them into status, body and headers for each API kind.

use lambdagate_model::ApiKind;

/// A gateway-generated answer (API Gateway's gateway-response types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// MISSING_AUTHENTICATION_TOKEN: no REST resource/method matches.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// HTTP API: no route and no `$default` route.
    #[error("Not Found")]
    NotFound,
    /// A REST request for a stage that does not exist.
    #[error("Forbidden")]
    UnknownStage,
    /// The function failed or answered something that is not a proxy response.
    #[error("integration failure")]
    IntegrationFailure,
    /// INTEGRATION_TIMEOUT: the function did not answer within the integration timeout.
    #[error("Endpoint request timed out")]
    IntegrationTimeout,
    /// Lambda refused the invocation (throttled, or API Gateway could not call it).
    #[error("Internal server error")]
    InvocationRefused,
    /// API_CONFIGURATION_ERROR (e.g. an undecodable base64 body).
    #[error("Internal server error")]
    ApiConfiguration,
    /// REQUEST_TOO_LARGE: the body is over 10 MB.
    #[error("Request Too Long")]
    RequestTooLarge,
}

/// A rendered gateway response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Status code.
    pub status: u16,
    /// `x-amzn-ErrorType` value, REST only.
    pub error_type: Option<&'static str>,
    /// Body bytes (JSON).
    pub body: &'static str,
}

impl GatewayError {
    /// Status, body and error type as the given API kind answers this error.
    ///
    /// Byte-exact bodies: integration-side 5xx on REST carry a space after the colon; the
    /// gateway-response template output carries none (spec §2.1).
    pub fn render(self, kind: ApiKind) -> Rendered {
        let r = |status, error_type, body| Rendered {
            status,
            error_type,
            body,
        };
        match (kind, self) {
            // REST has no 404: an unknown resource or method is a missing token (spec §3.1).
            (ApiKind::Rest, GatewayError::MissingAuthenticationToken | GatewayError::NotFound) => {
                r(
                    403,
                    Some("MissingAuthenticationTokenException"),
                    r#"{"message":"Missing Authentication Token"}"#,
                )
            }
            (ApiKind::Rest, GatewayError::UnknownStage) => r(
                403,
                Some("ForbiddenException"),
                r#"{"message":"Forbidden"}"#,
            ),
            (ApiKind::Rest, GatewayError::IntegrationFailure) => r(
                502,
                Some("InternalServerErrorException"),
                r#"{"message": "Internal server error"}"#,
            ),
            (ApiKind::Rest, GatewayError::InvocationRefused | GatewayError::ApiConfiguration) => r(
                500,
                Some("InternalServerErrorException"),
                r#"{"message": "Internal server error"}"#,
            ),
            (ApiKind::Rest, GatewayError::IntegrationTimeout) => r(
                504,
                Some("InternalServerErrorException"),
                r#"{"message": "Endpoint request timed out"}"#,
            ),
            // AWS does not document the 413 bodies (spec Appendix B, point 6): these follow the
            // wording of the status line, the closest thing to a recorded answer we have.
            (ApiKind::Rest, GatewayError::RequestTooLarge) => {
                r(413, None, r#"{"message":"Request Too Long"}"#)
            }
            (
                ApiKind::Http,
                GatewayError::NotFound
                | GatewayError::MissingAuthenticationToken
                | GatewayError::UnknownStage,
            ) => r(404, None, r#"{"message":"Not Found"}"#),
            (
                ApiKind::Http,
                GatewayError::IntegrationFailure
                | GatewayError::InvocationRefused
                | GatewayError::ApiConfiguration,
            ) => r(500, None, r#"{"message":"Internal Server Error"}"#),
            (ApiKind::Http, GatewayError::IntegrationTimeout) => {
                r(503, None, r#"{"message":"Service Unavailable"}"#)
            }
            (ApiKind::Http, GatewayError::RequestTooLarge) => {
                r(413, None, r#"{"message":"Request Entity Too Large"}"#)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_byte_exact() {
        // Content-Length values observed on AWS (spec §2.1).
        let rest = |e: GatewayError| e.render(ApiKind::Rest);
        assert_eq!(
            rest(GatewayError::MissingAuthenticationToken).body.len(),
            42
        );
        assert_eq!(rest(GatewayError::IntegrationFailure).body.len(), 36);
        assert_eq!(rest(GatewayError::UnknownStage).body.len(), 23);
        assert_eq!(rest(GatewayError::IntegrationFailure).status, 502);
        let http = |e: GatewayError| e.render(ApiKind::Http);
        assert_eq!(http(GatewayError::NotFound).status, 404);
        assert_eq!(http(GatewayError::IntegrationTimeout).status, 503);
        assert_eq!(
            http(GatewayError::IntegrationFailure).body,
            r#"{"message":"Internal Server Error"}"#
        );
        assert_eq!(http(GatewayError::IntegrationFailure).error_type, None);
    }
}
