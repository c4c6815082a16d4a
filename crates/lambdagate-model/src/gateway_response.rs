//! Gateway responses: the answers API Gateway gives itself instead of the integration, by
//! AWS's response types, and their customizations (REST).

use std::fmt;

use serde::Serialize;

use crate::SourceLocation;

macro_rules! response_types {
    ($($variant:ident => $name:literal, $status:expr;)*) => {
        /// API Gateway's gateway-response types.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ResponseType {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
        }

        impl ResponseType {
            /// Every type, in AWS's alphabetical order.
            pub const ALL: &'static [ResponseType] = &[$(ResponseType::$variant),*];

            /// AWS's spelling (`MISSING_AUTHENTICATION_TOKEN`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ResponseType::$variant => $name,)*
                }
            }

            /// The default status code; `None` for `DEFAULT_4XX` / `DEFAULT_5XX`.
            pub fn default_status(self) -> Option<u16> {
                match self {
                    $(ResponseType::$variant => $status,)*
                }
            }
        }
    };
}

response_types! {
    AccessDenied => "ACCESS_DENIED", Some(403);
    ApiConfigurationError => "API_CONFIGURATION_ERROR", Some(500);
    AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR", Some(500);
    AuthorizerFailure => "AUTHORIZER_FAILURE", Some(500);
    BadRequestParameters => "BAD_REQUEST_PARAMETERS", Some(400);
    BadRequestBody => "BAD_REQUEST_BODY", Some(400);
    Default4xx => "DEFAULT_4XX", None;
    Default5xx => "DEFAULT_5XX", None;
    ExpiredToken => "EXPIRED_TOKEN", Some(403);
    IntegrationFailure => "INTEGRATION_FAILURE", Some(504);
    IntegrationTimeout => "INTEGRATION_TIMEOUT", Some(504);
    InvalidApiKey => "INVALID_API_KEY", Some(403);
    InvalidSignature => "INVALID_SIGNATURE", Some(403);
    MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN", Some(403);
    QuotaExceeded => "QUOTA_EXCEEDED", Some(429);
    RequestTooLarge => "REQUEST_TOO_LARGE", Some(413);
    ResourceNotFound => "RESOURCE_NOT_FOUND", Some(404);
    Throttled => "THROTTLED", Some(429);
    Unauthorized => "UNAUTHORIZED", Some(401);
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", Some(415);
    WafFiltered => "WAF_FILTERED", Some(403);
}

impl ResponseType {
    /// Parses AWS's spelling (exact, as a deploy requires).
    pub fn parse(text: &str) -> Option<ResponseType> {
        ResponseType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == text)
    }

    /// The `DEFAULT_4XX` / `DEFAULT_5XX` type a status falls back to.
    pub fn default_for_status(status: u16) -> ResponseType {
        if status >= 500 {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        }
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customized gateway response (`AWS::ApiGateway::GatewayResponse`, SAM `GatewayResponses`,
/// `x-amazon-apigateway-gateway-responses`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayResponse {
    /// The type it customizes.
    pub response_type: ResponseType,
    /// `StatusCode`, when it overrides the type's.
    pub status_code: Option<u16>,
    /// `ResponseParameters`: `gatewayresponse.header.Name` → `'static'`,
    /// `method.request.header.X`, `method.request.querystring.X`, `method.request.path.X`,
    /// `stageVariables.X` or `context.X`.
    pub response_parameters: Vec<(String, String)>,
    /// `ResponseTemplates` by content type; `$context.*`, `$stageVariables.*` and
    /// `method.request.*` are substituted.
    pub response_templates: Vec<(String, String)>,
    /// Where it is defined.
    pub source: SourceLocation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        assert_eq!(ResponseType::ALL.len(), 21);
        for t in ResponseType::ALL {
            assert_eq!(ResponseType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(ResponseType::parse("NOPE"), None);
        assert_eq!(ResponseType::Unauthorized.default_status(), Some(401));
        assert_eq!(ResponseType::Default4xx.default_status(), None);
    }
}
