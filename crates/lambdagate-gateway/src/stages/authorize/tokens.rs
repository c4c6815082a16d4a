//! JWT authorizers (HTTP API) and Cognito user pool authorizers (REST): the token read from the
//! identity source, verified by `lambdagate-auth`, scopes checked, and AWS's answers.

use lambdagate_auth::jwt::{Expected, JwtError};
use lambdagate_model::ResponseType;
use serde_json::{Map, Value};

use super::lambda::{identity_value, unauthorized};
use crate::authorization::{AuthSettings, Authorization};
use crate::compile::authorizers::CompiledAuthorizer;
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// The token's scopes: `scope` (space-separated) or `scp` (a list or a string).
pub fn token_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let split = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => split(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// `error_description` of an HTTP API's `www-authenticate` for a refused token. Only the
/// audience wording is documented by AWS (spec §5.6); the others follow it.
fn description(error: &JwtError) -> String {
    match error {
        JwtError::Malformed => "the token is not a valid JWT".into(),
        JwtError::UnsupportedAlgorithm(alg) => format!("signing method {alg} is invalid"),
        JwtError::UnknownKey(_) => "the token's signing key was not found".into(),
        JwtError::BadSignature => "the token's signature is invalid".into(),
        JwtError::Expired => "the token has expired".into(),
        JwtError::NotYetValid => "the token is not valid yet".into(),
        JwtError::WrongIssuer => "the token does not have a valid issuer".into(),
        JwtError::WrongAudience => "the token does not have a valid audience".into(),
        JwtError::IssuerUnavailable(_) => "the issuer's signing keys could not be fetched".into(),
    }
}

/// A value for a quoted `www-authenticate` parameter.
fn quoted(text: &str) -> String {
    text.replace(['"', '\\'], "")
}

/// An HTTP API JWT authorizer.
pub async fn jwt(
    cx: &RequestContext<'_>,
    authorizer: &CompiledAuthorizer,
    issuer: &str,
    audiences: &[String],
    scopes: &[String],
    auth: &AuthSettings,
) -> Result<Authorization, GatewayError> {
    let scope_param = quoted(&scopes.join(" "));
    let Some(value) = authorizer
        .identity_sources
        .first()
        .and_then(|s| identity_value(cx, s))
    else {
        return Err(
            unauthorized("no token in the JWT authorizer's identity source")
                .with_header("www-authenticate", "Bearer"),
        );
    };
    // `Bearer <token>` or the bare token (spec §5.6).
    let token = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value.trim(),
    };
    let expected = Expected { issuer, audiences };
    let claims = match auth.jwt.verify(token, &expected).await {
        Ok(claims) => claims,
        Err(error) => {
            return Err(unauthorized(format!("JWT refused: {error}")).with_header(
                "www-authenticate",
                format!(
                    "Bearer scope=\"{scope_param}\" error=\"invalid_token\" error_description=\"{}\"",
                    quoted(&description(&error))
                ),
            ));
        }
    };
    let has = token_scopes(&claims);
    if !scopes.is_empty() && !scopes.iter().any(|s| has.contains(s)) {
        return Err(GatewayError::new(ResponseType::AccessDenied)
            .with_message("Forbidden")
            .with_detail("the token has none of the route's authorization scopes")
            .with_header(
                "www-authenticate",
                format!(
                    "Bearer scope=\"{scope_param}\" error=\"insufficient_scope\" \
                     error_description=\"the token does not have the required scopes\""
                ),
            ));
    }
    Ok(Authorization::Jwt {
        claims,
        scopes: (!scopes.is_empty()).then_some(has),
    })
}

/// A REST Cognito user pool authorizer: the header's value as is, verified against each pool's
/// issuer (audience unchecked, as AWS); with method scopes the token must carry one (access
/// token), without them it must be an ID token (spec §5.7). Every refusal is 401.
pub async fn cognito(
    cx: &RequestContext<'_>,
    authorizer: &CompiledAuthorizer,
    issuers: &[String],
    scopes: &[String],
    auth: &AuthSettings,
) -> Result<Authorization, GatewayError> {
    let Some(token) = authorizer
        .identity_sources
        .first()
        .and_then(|s| identity_value(cx, s))
    else {
        return Err(unauthorized("no token in the Cognito authorizer's header"));
    };
    let mut last = None;
    let mut verified = None;
    for issuer in issuers {
        let expected = Expected {
            issuer,
            audiences: &[],
        };
        match auth.jwt.verify(&token, &expected).await {
            Ok(claims) => {
                verified = Some(claims);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(claims) = verified else {
        return Err(unauthorized(match last {
            Some(e) => format!("Cognito token refused: {e}"),
            None => "the Cognito authorizer has no user pool".to_string(),
        }));
    };
    let token_use = claims.get("token_use").and_then(Value::as_str);
    if scopes.is_empty() {
        if token_use == Some("access") {
            return Err(unauthorized(
                "an access token on a method without authorization scopes (an ID token is needed)",
            ));
        }
        if let Some(re) = &authorizer.validation {
            let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
            if !re.is_match(aud) {
                return Err(unauthorized(
                    "the token's aud does not match the token validation expression",
                ));
            }
        }
        return Ok(Authorization::Cognito {
            claims,
            scopes: None,
        });
    }
    let has = token_scopes(&claims);
    if !scopes.iter().any(|s| has.contains(s)) {
        return Err(unauthorized(
            "the token has none of the method's authorization scopes",
        ));
    }
    Ok(Authorization::Cognito {
        claims,
        scopes: Some(has),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_from_scope_or_scp() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            token_scopes(&claims(json!({"scope": "read  write"}))),
            ["read", "write"]
        );
        assert_eq!(
            token_scopes(&claims(json!({"scp": ["a", "b"]}))),
            ["a", "b"]
        );
        assert_eq!(token_scopes(&claims(json!({"scp": "a b"}))), ["a", "b"]);
        assert!(token_scopes(&claims(json!({"sub": "x"}))).is_empty());
    }
}
