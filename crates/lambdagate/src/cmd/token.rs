//! `lambdagate token`: a signed JWT for one of the template's JWT or Cognito authorizers (or
//! for any issuer), printed alone on stdout so `curl -H "Authorization: Bearer $(lambdagate
//! token ...)"` works. `start-api` trusts its signing key unless started with
//! `--no-local-tokens`.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use lambdagate_auth::local::MintRequest;
use lambdagate_model::{Application, AuthorizerKind};
use serde_json::{Map, Value};

use crate::cli::TokenArgs;

/// Mints and prints the token.
pub fn run(args: TokenArgs) -> anyhow::Result<ExitCode> {
    if args.print_jwks {
        let issuer = crate::auth_setup::local_issuer()?;
        println!("{}", serde_json::to_string_pretty(&issuer.jwks())?);
        return Ok(ExitCode::SUCCESS);
    }
    let (issuer, audience) = match (&args.issuer, &args.authorizer) {
        (Some(issuer), None) => (issuer.clone(), args.audience.clone()),
        _ => {
            let app = crate::load::application(&args.template)?;
            let (issuer, audience) = target(&app, args.authorizer.as_deref())?;
            (
                args.issuer.clone().unwrap_or(issuer),
                args.audience.clone().or(audience),
            )
        }
    };
    let request = MintRequest {
        issuer,
        audience,
        subject: args.sub.clone(),
        scopes: args
            .scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_string)
            .collect(),
        groups: args
            .groups
            .iter()
            .flat_map(|g| g.split(','))
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
        claims: claims(&args.claims)?,
        expires_in: args.expires_in,
    };
    let issuer = crate::auth_setup::local_issuer()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!("{}", issuer.mint(&request, now));
    Ok(ExitCode::SUCCESS)
}

/// The issuer and audience of the named authorizer (or the template's only token authorizer).
fn target(app: &Application, name: Option<&str>) -> anyhow::Result<(String, Option<String>)> {
    let mut found: Vec<(String, String, Option<String>)> = Vec::new();
    for api in &app.apis {
        for authorizer in &api.authorizers {
            if name.is_some_and(|n| n != authorizer.name) {
                continue;
            }
            let (issuer, audience) = match &authorizer.kind {
                AuthorizerKind::Jwt { issuer, audience } => {
                    (issuer.clone(), audience.first().cloned())
                }
                AuthorizerKind::CognitoUserPools { provider_arns } => {
                    let arn = provider_arns.first().map(String::as_str).unwrap_or("");
                    let issuer = lambdagate_auth::cognito_issuer(arn).ok_or_else(|| {
                        anyhow!(
                            "authorizer {} of API {}: `{arn}` is not a Cognito user pool ARN",
                            authorizer.name,
                            api.logical_id
                        )
                    })?;
                    // REST Cognito authorizers do not check the audience: none unless asked.
                    (issuer, None)
                }
                _ if name.is_some() => {
                    return Err(anyhow!(
                        "authorizer {} of API {} is not a JWT or Cognito authorizer: \
                         it does not take tokens lambdagate can mint",
                        authorizer.name,
                        api.logical_id
                    ));
                }
                _ => continue,
            };
            if !found.iter().any(|(_, i, a)| *i == issuer && *a == audience) {
                found.push((
                    format!("{} (API {})", authorizer.name, api.logical_id),
                    issuer,
                    audience,
                ));
            }
        }
    }
    match found.len() {
        1 => {
            let (_, issuer, audience) = found.remove(0);
            Ok((issuer, audience))
        }
        0 => Err(match name {
            Some(name) => anyhow!("the template has no authorizer named {name}"),
            None => anyhow!(
                "the template has no JWT or Cognito authorizer: name an issuer with --issuer"
            ),
        }),
        _ => Err(anyhow!(
            "{} authorizers match, with different issuers or audiences: {}; name one, or pass \
             --issuer/--audience",
            found.len(),
            found
                .iter()
                .map(|(n, i, _)| format!("{n} -> {i}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `--claim K=V` values; V as JSON when it parses, else a string.
fn claims(values: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut claims = Map::new();
    for item in values {
        let (key, value) = item
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| anyhow!("--claim `{item}`: expected KEY=VALUE"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        claims.insert(key.to_string(), value);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_values_are_json_when_they_parse() {
        let c = claims(&[
            "n=1".into(),
            "ok=true".into(),
            "list=[\"a\"]".into(),
            "name=alice".into(),
            "eq=a=b".into(),
            "empty=".into(),
        ])
        .unwrap();
        assert_eq!(c["n"], 1);
        assert_eq!(c["ok"], true);
        assert_eq!(c["list"], serde_json::json!(["a"]));
        assert_eq!(c["name"], "alice");
        assert_eq!(c["eq"], "a=b");
        assert_eq!(c["empty"], "");
        assert!(claims(&["novalue".into()]).is_err());
        assert!(claims(&["=x".into()]).is_err());
    }
}
