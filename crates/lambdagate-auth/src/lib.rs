//! Who is calling: the checks behind JWT, Cognito user pool and IAM authorizers.
//!
//! - [`jwt`]: bearer tokens verified against an OIDC issuer's published keys (discovery document
//!   and JWKS fetched over HTTP, cached), and against the local signing key of [`local`].
//! - [`local`]: the key `lambdagate token` signs with, kept in lambdagate's state folder.
//! - [`sigv4`]: AWS Signature Version 4 on incoming requests, verified by signing again.
//!
//! The gateway's `authorize` stage decides what each answer means for the request; this crate
//! only says whether a credential is genuine and what it claims.

mod algorithm;
mod b64;
pub mod jwt;
pub mod local;
pub mod sigv4;

/// The issuer of a Cognito user pool's tokens, from the pool's ARN
/// (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID` →
/// `https://cognito-idp.REGION.amazonaws.com/POOL_ID`); `None` when it is not a pool ARN.
pub fn cognito_issuer(pool_arn: &str) -> Option<String> {
    let parts: Vec<&str> = pool_arn.splitn(6, ':').collect();
    let [_, partition, "cognito-idp", region, _, resource] = parts[..] else {
        return None;
    };
    let pool = resource.strip_prefix("userpool/")?;
    if region.is_empty() || pool.is_empty() || pool.contains('/') {
        return None;
    }
    let suffix = if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Some(format!("https://cognito-idp.{region}.{suffix}/{pool}"))
}

/// An error with its causes, joined by `: `. HTTP clients' own messages omit why a request
/// failed (refused, certificate, timeout); this is what lambdagate's outgoing calls (issuers'
/// keys, HTTP and AWS integrations, resource creation) report.
pub fn error_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::cognito_issuer;

    #[test]
    fn cognito_issuers_come_from_pool_arns() {
        assert_eq!(
            cognito_issuer("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc")
                .as_deref(),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc")
        );
        assert_eq!(
            cognito_issuer("arn:aws-cn:cognito-idp:cn-north-1:1:userpool/cn-north-1_x").as_deref(),
            Some("https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x")
        );
        assert_eq!(cognito_issuer("arn:aws:iam::1:role/x"), None);
        assert_eq!(cognito_issuer("not an arn"), None);
    }
}
