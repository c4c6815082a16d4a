//! AWS Signature Version 4 on incoming requests (`AWS_IAM` authorization).
//!
//! Verified by computing the signature again with the secret of the credentials the request
//! names, as AWS does.

/// Credentials the gateway accepts signatures from.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret.
    pub secret_access_key: String,
    /// The session token, when the credentials are temporary.
    pub session_token: Option<String>,
    /// The account the key belongs to (`$context.identity.accountId`).
    pub account_id: String,
    /// The IAM user's ARN (`$context.identity.userArn`).
    pub user_arn: String,
}

/// A request as signed: what the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path as sent (percent-encoding kept).
    pub raw_path: &'a str,
    /// The query string without `?`.
    pub raw_query: &'a str,
    /// Headers as received.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamIdentity {
    /// `accessKey`.
    pub access_key: String,
    /// `accountId`.
    pub account_id: String,
    /// `caller`.
    pub caller: String,
    /// `user`.
    pub user: String,
    /// `userArn`.
    pub user_arn: String,
}

/// Why a signature was refused; each is answered with AWS's 403 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header or `X-Amz-*` query parameters (`MissingAuthenticationToken`).
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// The `Authorization` header is not a complete SigV4 header (`IncompleteSignatureException`).
    #[error("{0}")]
    IncompleteSignature(String),
    /// The access key is not one of the configured credentials (`UnrecognizedClientException`).
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// The signature does not match (`InvalidSignatureException`).
    #[error("{0}")]
    InvalidSignature(String),
    /// The signing date is too far from now (`InvalidSignatureException`, "Signature expired").
    #[error("{0}")]
    Expired(String),
}

/// The signer of `request`, when its signature is valid for one of `credentials` at `now_ms`.
pub fn verify(
    _request: &SignedRequest<'_>,
    _credentials: &[Credentials],
    _now_ms: u64,
) -> Result<IamIdentity, SigV4Error> {
    Err(SigV4Error::MissingAuthenticationToken)
}
