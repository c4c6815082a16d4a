//! What an authorizer established about the caller, and how callers are authenticated.

use std::sync::Arc;

use lambdagate_auth::jwt::JwtVerifier;
use lambdagate_auth::sigv4::{Credentials, IamIdentity};
use serde_json::{Map, Value};

use crate::clock::SystemClock;

/// The caller as the route's authorizer saw it; read by proxy events
/// (`requestContext.authorizer`), `$context.authorizer.*` and the API key stage.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// A Lambda authorizer's answer.
    Lambda {
        /// `principalId` (REST, and HTTP API IAM-policy answers).
        principal_id: Option<String>,
        /// `context`, with JSON types as the function returned them.
        context: Map<String, Value>,
        /// `usageIdentifierKey`: the API key when `apiKeySource` is `AUTHORIZER`.
        usage_identifier_key: Option<String>,
        /// How long the authorizer took, in milliseconds (0 for a cached answer).
        latency_ms: u64,
    },
    /// A JWT authorizer's verified token (HTTP API).
    Jwt {
        /// The token's claims.
        claims: Map<String, Value>,
        /// The token's scopes (`scope` / `scp`), when it has any.
        scopes: Option<Vec<String>>,
    },
    /// A Cognito user pool authorizer's verified token (REST).
    Cognito {
        /// The token's claims.
        claims: Map<String, Value>,
        /// The token's scopes, when the route asks for scopes (access-token mode).
        scopes: Option<Vec<String>>,
    },
    /// A SigV4-signed request's signer (`AWS_IAM`).
    Iam(IamIdentity),
}

/// How callers are authenticated: set once from the command line.
#[derive(Clone)]
pub struct AuthSettings {
    /// `--disable-authorizer`: every authorizer is skipped (said at startup).
    pub disabled: bool,
    /// Verifies bearer tokens for JWT and Cognito authorizers.
    pub jwt: Arc<JwtVerifier>,
    /// The credentials whose SigV4 signatures `AWS_IAM` routes accept.
    pub iam_credentials: Vec<Credentials>,
    /// `--source-vpce`: resource policies see requests as arriving through this VPC endpoint
    /// (`aws:SourceVpce`); without it they come through none, as from the internet.
    pub source_vpce: Option<String>,
    /// `--source-vpc`: likewise, the VPC (`aws:SourceVpc`).
    pub source_vpc: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            disabled: false,
            jwt: Arc::new(JwtVerifier::new(Arc::new(SystemClock), None)),
            iam_credentials: Vec::new(),
            source_vpce: None,
            source_vpc: None,
        }
    }
}
