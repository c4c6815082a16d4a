//! Authorizers and method authorization: who may call a route.

use serde::Serialize;

use crate::SourceLocation;
use crate::integration::PayloadFormat;

/// A method's `AuthorizationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum AuthorizationType {
    /// `NONE`: open.
    #[default]
    None,
    /// `AWS_IAM`: SigV4-signed requests.
    AwsIam,
    /// `CUSTOM`: a Lambda authorizer.
    Custom,
    /// `COGNITO_USER_POOLS`: a Cognito user-pool authorizer (REST).
    CognitoUserPools,
    /// `JWT`: an HTTP API JWT authorizer.
    Jwt,
}

impl AuthorizationType {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::AwsIam => "AWS_IAM",
            AuthorizationType::Custom => "CUSTOM",
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
            AuthorizationType::Jwt => "JWT",
        }
    }

    /// Whether this type calls an authorizer, which the method or route must then name
    /// (`AuthorizerId`): CUSTOM, COGNITO_USER_POOLS and JWT.
    pub fn calls_authorizer(self) -> bool {
        matches!(
            self,
            AuthorizationType::Custom
                | AuthorizationType::CognitoUserPools
                | AuthorizationType::Jwt
        )
    }
}

/// How a route is protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MethodAuth {
    /// The authorization type.
    pub authorization_type: AuthorizationType,
    /// The authorizer's name (an entry of [`crate::Api::authorizers`]), for `CUSTOM`,
    /// `COGNITO_USER_POOLS` and `JWT`.
    pub authorizer: Option<String>,
    /// `AuthorizationScopes` (OAuth scopes a token must carry).
    pub scopes: Vec<String>,
}

/// Where an API key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum ApiKeySource {
    /// `HEADER`: the `x-api-key` header (the default).
    #[default]
    Header,
    /// `AUTHORIZER`: the Lambda authorizer's `usageIdentifierKey`.
    Authorizer,
}

/// What a Lambda authorizer receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LambdaAuthorizerType {
    /// `TOKEN` (REST): one header's value.
    Token,
    /// `REQUEST`: headers, query string, stage variables and context.
    Request,
}

/// The kinds of authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthorizerKind {
    /// A Lambda authorizer.
    Lambda {
        /// The function (logical id, name, or a name with `${stageVariables.x}`).
        function: String,
        /// TOKEN or REQUEST.
        authorizer_type: LambdaAuthorizerType,
        /// HTTP API `AuthorizerPayloadFormatVersion` (REST: always 1.0).
        payload_format: PayloadFormat,
        /// HTTP API `EnableSimpleResponses` (`{"isAuthorized": true}`).
        simple_responses: bool,
        /// `AuthorizerCredentials` / `FunctionInvokeRole`.
        credentials: Option<String>,
    },
    /// An HTTP API JWT authorizer.
    Jwt {
        /// `Issuer`.
        issuer: String,
        /// `Audience`: accepted `aud` (or `client_id`) values.
        audience: Vec<String>,
    },
    /// A REST Cognito user-pool authorizer.
    CognitoUserPools {
        /// `ProviderARNs` / `UserPoolArn`.
        provider_arns: Vec<String>,
    },
    /// `AWS_IAM` (SAM `DefaultAuthorizer: AWS_IAM`): SigV4.
    Iam,
}

/// An authorizer of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorizer {
    /// Its name, as routes reference it.
    pub name: String,
    /// What kind it is.
    pub kind: AuthorizerKind,
    /// Identity sources as AWS writes them (`method.request.header.Authorization`,
    /// `$request.header.Authorization`, `$context.x`, `stageVariables.x`).
    pub identity_sources: Vec<String>,
    /// TOKEN `IdentityValidationExpression`: a regular expression the token must match.
    pub identity_validation_expression: Option<String>,
    /// Result cache TTL in seconds (`AuthorizerResultTtlInSeconds`; REST default 300).
    pub result_ttl_secs: u32,
    /// Where it is defined.
    pub source: SourceLocation,
}
