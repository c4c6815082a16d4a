//! JWT verification against an issuer's keys (RS256/384/512 only, as API Gateway).

use std::sync::Arc;

use lambdagate_state::Clock;
use serde_json::{Map, Value};

use crate::local::LocalIssuer;

/// What a token must show to be accepted.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The `iss` claim, exactly.
    pub issuer: &'a str,
    /// Accepted `aud` (or, for access tokens without `aud`, `client_id`) values; empty accepts
    /// any audience (Cognito user pool authorizers of REST APIs do not check it).
    pub audiences: &'a [String],
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// `alg` is not one API Gateway accepts (`none`, HMAC, EC, …).
    #[error("the token's algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    /// No key with the token's `kid` at the issuer (after one refetch).
    #[error("no key {0:?} at the issuer")]
    UnknownKey(Option<String>),
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` differs.
    #[error("the token's issuer is not the expected one")]
    WrongIssuer,
    /// Neither `aud` nor `client_id` is accepted.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// The issuer's discovery document or keys could not be fetched or read.
    #[error("the issuer's keys could not be fetched: {0}")]
    IssuerUnavailable(String),
}

/// Verifies tokens, fetching and caching each issuer's keys.
pub struct JwtVerifier {
    #[allow(dead_code)]
    clock: Arc<dyn Clock>,
    #[allow(dead_code)]
    local: Option<Arc<LocalIssuer>>,
}

impl JwtVerifier {
    /// A verifier reading time from `clock` that also trusts `local`'s key for every issuer
    /// (`None` with `--no-local-tokens`).
    pub fn new(clock: Arc<dyn Clock>, local: Option<Arc<LocalIssuer>>) -> Self {
        JwtVerifier { clock, local }
    }

    /// The token's verified claims.
    pub async fn verify(
        &self,
        _token: &str,
        _expected: &Expected<'_>,
    ) -> Result<Map<String, Value>, JwtError> {
        Err(JwtError::Malformed)
    }
}
