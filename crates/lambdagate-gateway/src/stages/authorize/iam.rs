//! `AWS_IAM`: the request's SigV4 signature verified against the configured credentials, and
//! AWS's 403 answers for unsigned or badly signed requests.

use lambdagate_auth::sigv4::{self, SigV4Error, SignedRequest};
use lambdagate_model::ResponseType;

use crate::authorization::{AuthSettings, Authorization};
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// What AWS answers for a refused signature: REST's message and `x-amzn-ErrorType`; HTTP APIs
/// answer `403 {"message":"Forbidden"}` for all of them.
pub fn refusal(error: &SigV4Error) -> GatewayError {
    let detail = format!("SigV4: {error}");
    let error = match error {
        SigV4Error::MissingAuthenticationToken => {
            GatewayError::new(ResponseType::MissingAuthenticationToken)
        }
        SigV4Error::IncompleteSignature(message) => {
            GatewayError::new(ResponseType::InvalidSignature)
                .with_message(message.clone())
                .with_error_type("IncompleteSignatureException")
        }
        SigV4Error::UnknownAccessKey => GatewayError::new(ResponseType::InvalidSignature)
            .with_message(error.to_string())
            .with_error_type("UnrecognizedClientException"),
        SigV4Error::InvalidSignature(message) | SigV4Error::Expired(message) => {
            GatewayError::new(ResponseType::InvalidSignature).with_message(message.clone())
        }
    };
    // MISSING_AUTHENTICATION_TOKEN is 404 on HTTP APIs only for unknown routes.
    error.with_http_status(403).with_detail(detail)
}

/// Verifies the request's signature.
pub fn run(
    cx: &RequestContext<'_>,
    auth: &AuthSettings,
    now_ms: u64,
) -> Result<Authorization, GatewayError> {
    let request = SignedRequest {
        method: &cx.request.method,
        raw_path: &cx.request.raw_path,
        raw_query: cx.request.raw_query.as_deref().unwrap_or(""),
        headers: &cx.request.headers,
        body: &cx.request.body,
    };
    sigv4::verify(&request, &auth.iam_credentials, now_ms)
        .map(Authorization::Iam)
        .map_err(|e| refusal(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdagate_model::ApiKind;

    #[test]
    fn refusals_as_aws_answers_them() {
        let missing = refusal(&SigV4Error::MissingAuthenticationToken);
        assert_eq!(missing.status(ApiKind::Rest), 403);
        assert_eq!(missing.status(ApiKind::Http), 403);
        assert_eq!(
            missing.builtin_body(ApiKind::Rest, false),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            missing.builtin_body(ApiKind::Http, false),
            r#"{"message":"Forbidden"}"#
        );
        let bad = refusal(&SigV4Error::InvalidSignature("mismatch".into()));
        assert_eq!(bad.kind, ResponseType::InvalidSignature);
        assert_eq!(
            bad.builtin_body(ApiKind::Rest, false),
            r#"{"message":"mismatch"}"#
        );
        let unknown = refusal(&SigV4Error::UnknownAccessKey);
        assert_eq!(unknown.error_type, Some("UnrecognizedClientException"));
        assert_eq!(unknown.status(ApiKind::Rest), 403);
    }
}
