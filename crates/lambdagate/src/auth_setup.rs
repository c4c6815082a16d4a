//! How `start-api` authenticates callers: the local token key it trusts and the credentials
//! whose SigV4 signatures `AWS_IAM` routes accept.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use clap::Args;
use lambdagate_auth::jwt::{self, JwtSettings, JwtVerifier};
use lambdagate_auth::local::{self, LocalIssuer};
use lambdagate_auth::sigv4::Credentials;
use lambdagate_gateway::{AuthSettings, SystemClock};

/// Caller authentication flags of `start-api`.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Trust only identity providers' own keys for JWT and Cognito authorizers, not the tokens
    /// `lambdagate token` mints (set this when serving behind a real identity provider).
    #[arg(long = "no-local-tokens")]
    pub no_local_tokens: bool,
    /// Credentials whose SigV4 signatures AWS_IAM routes accept, as
    /// ACCESS_KEY:SECRET[:ACCOUNT[:SESSION_TOKEN]] (repeatable). Default: the environment's
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    #[arg(long = "iam-credentials", value_name = "KEY:SECRET[:ACCOUNT[:TOKEN]]")]
    pub iam_credentials: Vec<String>,
    /// A PEM file of CA certificates trusted, besides the system's, when fetching https issuers'
    /// keys (an identity provider behind a private CA); repeatable.
    #[arg(long = "issuer-ca-file", value_name = "PEM")]
    pub issuer_ca_files: Vec<std::path::PathBuf>,
    /// Resource policies see every request as arriving through this VPC endpoint
    /// (`aws:SourceVpce`), as a private API's callers do; by default through none.
    #[arg(long = "source-vpce", value_name = "VPCE_ID")]
    pub source_vpce: Option<String>,
    /// Likewise for the VPC (`aws:SourceVpc`).
    #[arg(long = "source-vpc", value_name = "VPC_ID")]
    pub source_vpc: Option<String>,
}

/// The gateway's authentication settings from the flags; `account_id` is the template's
/// account, used for credentials that name none.
pub fn settings(args: &AuthArgs, disabled: bool, account_id: &str) -> anyhow::Result<AuthSettings> {
    let local = if args.no_local_tokens {
        None
    } else {
        Some(Arc::new(local_issuer()?))
    };
    let mut iam_credentials = args
        .iam_credentials
        .iter()
        .map(|text| parse_credentials(text, account_id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if iam_credentials.is_empty()
        && let Some(creds) = environment_credentials(account_id)
    {
        iam_credentials.push(creds);
    }
    let mut jwt_settings = JwtSettings::default();
    for path in &args.issuer_ca_files {
        let pem =
            std::fs::read(path).with_context(|| format!("--issuer-ca-file {}", path.display()))?;
        jwt::check_root_certificates(&pem)
            .map_err(|e| anyhow!("--issuer-ca-file {}: {e}", path.display()))?;
        jwt_settings.extra_root_certificates.push(pem);
    }
    Ok(AuthSettings {
        disabled,
        jwt: Arc::new(JwtVerifier::with_settings(
            Arc::new(SystemClock),
            local,
            jwt_settings,
        )),
        iam_credentials,
        source_vpce: args.source_vpce.clone(),
        source_vpc: args.source_vpc.clone(),
    })
}

/// The key `lambdagate token` signs with, from the state folder (created on first use).
pub fn local_issuer() -> anyhow::Result<LocalIssuer> {
    let dir = local::default_state_dir().ok_or_else(|| {
        anyhow!("no state folder for the token signing key: set LAMBDAGATE_STATE_DIR or HOME")
    })?;
    LocalIssuer::load_or_create(&dir).context("the local token signing key")
}

/// `ACCESS_KEY:SECRET[:ACCOUNT[:SESSION_TOKEN]]`.
fn parse_credentials(text: &str, default_account: &str) -> anyhow::Result<Credentials> {
    let mut parts = text.splitn(4, ':');
    let (Some(key), Some(secret)) = (parts.next(), parts.next()) else {
        return Err(anyhow!(
            "--iam-credentials `{}`: expected ACCESS_KEY:SECRET[:ACCOUNT[:SESSION_TOKEN]]",
            redact(text)
        ));
    };
    if key.is_empty() || secret.is_empty() {
        return Err(anyhow!(
            "--iam-credentials `{}`: the access key and secret must not be empty",
            redact(text)
        ));
    }
    let account = parts
        .next()
        .filter(|a| !a.is_empty())
        .unwrap_or(default_account);
    if !account.bytes().all(|b| b.is_ascii_digit()) || account.len() != 12 {
        return Err(anyhow!(
            "--iam-credentials: the account `{account}` is not a 12-digit AWS account id"
        ));
    }
    let token = parts.next().filter(|t| !t.is_empty());
    Ok(credentials(key, secret, token, account))
}

fn environment_credentials(account_id: &str) -> Option<Credentials> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let key = var("AWS_ACCESS_KEY_ID")?;
    let secret = var("AWS_SECRET_ACCESS_KEY")?;
    let token = var("AWS_SESSION_TOKEN");
    Some(credentials(&key, &secret, token.as_deref(), account_id))
}

fn credentials(key: &str, secret: &str, token: Option<&str>, account: &str) -> Credentials {
    Credentials {
        access_key_id: key.to_string(),
        secret_access_key: secret.to_string(),
        session_token: token.map(str::to_string),
        account_id: account.to_string(),
        // There is no IAM here to name the user: the access key stands for it.
        user_arn: format!("arn:aws:iam::{account}:user/{key}"),
    }
}

/// A credentials argument without its secret, for error messages.
fn redact(text: &str) -> String {
    match text.split_once(':') {
        Some((key, _)) => format!("{key}:…"),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse_with_defaults() {
        let c = parse_credentials("AKIA1:se/cr+et", "123456789012").unwrap();
        assert_eq!(c.access_key_id, "AKIA1");
        assert_eq!(c.secret_access_key, "se/cr+et");
        assert_eq!(c.account_id, "123456789012");
        assert_eq!(c.session_token, None);
        assert_eq!(c.user_arn, "arn:aws:iam::123456789012:user/AKIA1");
        let c = parse_credentials("ASIA2:s:210987654321:tok/en==", "123456789012").unwrap();
        assert_eq!(c.account_id, "210987654321");
        assert_eq!(c.session_token.as_deref(), Some("tok/en=="));
        let c = parse_credentials("ASIA2:s::tok", "123456789012").unwrap();
        assert_eq!(c.account_id, "123456789012");
        assert_eq!(c.session_token.as_deref(), Some("tok"));
    }

    #[test]
    fn bad_credentials_are_refused_without_echoing_the_secret() {
        let e = parse_credentials("AKIA1", "123456789012").unwrap_err();
        assert!(e.to_string().contains("expected ACCESS_KEY:SECRET"));
        let e = parse_credentials("AKIA1:secret:12ab", "123456789012").unwrap_err();
        assert!(!e.to_string().contains("secret:"), "{e}");
        assert!(parse_credentials(":secret", "123456789012").is_err());
    }
}
