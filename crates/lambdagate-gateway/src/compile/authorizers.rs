//! Authorizers, compiled once per API: identity sources parsed, the TOKEN validation expression
//! compiled, the Lambda authorizer's function resolved, Cognito issuers derived from the pool
//! ARNs, and each route's authorization pointing at its authorizer by index.

use std::time::Duration;

use lambdagate_model::{
    Api, ApiKind, Application, AuthorizationType, Authorizer, AuthorizerKind, LambdaAuthorizerType,
    PayloadFormat, Route,
};
use regex::Regex;

use crate::backend::FunctionHandle;

/// Where an identity source's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A request header (names compare case-insensitively).
    Header(String),
    /// A query-string parameter (case-sensitive).
    QueryString(String),
    /// A stage variable.
    StageVariable(String),
    /// A `$context` variable.
    Context(String),
}

/// Builds an identity source from its name.
type Make = fn(String) -> IdentitySource;

impl IdentitySource {
    /// Parses AWS's spellings: REST `method.request.header.X`, `method.request.querystring.X`,
    /// `stageVariables.X`, `context.X`; HTTP APIs the same with `$request.` / `$stageVariables.`
    /// / `$context.`.
    pub fn parse(text: &str) -> Option<IdentitySource> {
        let text = text.trim();
        let rules: [(&str, Make); 8] = [
            ("method.request.header.", IdentitySource::Header),
            ("method.request.querystring.", IdentitySource::QueryString),
            ("stageVariables.", IdentitySource::StageVariable),
            ("context.", IdentitySource::Context),
            ("$request.header.", IdentitySource::Header),
            ("$request.querystring.", IdentitySource::QueryString),
            ("$stageVariables.", IdentitySource::StageVariable),
            ("$context.", IdentitySource::Context),
        ];
        rules.iter().find_map(|(prefix, make)| {
            text.strip_prefix(prefix)
                .filter(|name| !name.is_empty())
                .map(|name| make(name.to_string()))
        })
    }
}

/// A Lambda authorizer's function.
#[derive(Debug, Clone)]
pub enum AuthorizerFunction {
    /// A function of the template.
    Fixed(FunctionHandle),
    /// One that cannot be invoked here (said at startup); requests answer 500.
    Unresolved(String),
}

/// What an authorizer checks.
#[derive(Debug, Clone)]
pub enum CompiledAuthorizerKind {
    /// A Lambda authorizer.
    Lambda {
        /// The function.
        function: AuthorizerFunction,
        /// TOKEN or REQUEST.
        authorizer_type: LambdaAuthorizerType,
        /// The event format (REST: 1.0).
        payload: PayloadFormat,
        /// HTTP API `EnableSimpleResponses`.
        simple_responses: bool,
    },
    /// An HTTP API JWT authorizer.
    Jwt {
        /// `iss`.
        issuer: String,
        /// Accepted audiences.
        audiences: Vec<String>,
    },
    /// A REST Cognito user pool authorizer.
    Cognito {
        /// One issuer per pool ARN.
        issuers: Vec<String>,
    },
}

/// One authorizer of an API, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledAuthorizer {
    /// Its name.
    pub name: String,
    /// What it checks.
    pub kind: CompiledAuthorizerKind,
    /// Identity sources in order.
    pub identity_sources: Vec<IdentitySource>,
    /// TOKEN `IdentityValidationExpression` (Cognito: applied to `aud`), anchored.
    pub validation: Option<Regex>,
    /// How long a Lambda authorizer's answer is reused (zero: never).
    pub ttl: Duration,
}

/// How a route is authorized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RouteAuth {
    /// Open.
    #[default]
    None,
    /// SigV4 (`AWS_IAM`).
    Iam,
    /// The API's authorizer at this index, with the route's `AuthorizationScopes`.
    Authorizer {
        /// Index in [`super::ApiRuntime::authorizers`].
        index: usize,
        /// Scopes a token must carry one of (JWT, Cognito).
        scopes: Vec<String>,
    },
}

/// The issuer of a Cognito user pool, from its ARN
/// (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`).
pub fn cognito_issuer(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("cognito-idp"), Some(region), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let pool = resource.strip_prefix("userpool/")?;
    (!region.is_empty() && !pool.is_empty())
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

/// Compiles an API's authorizers; what cannot be enforced as written is warned about.
pub(super) fn compile_authorizers(
    app: &Application,
    api: &Api,
    warnings: &mut Vec<String>,
) -> Vec<CompiledAuthorizer> {
    api.authorizers
        .iter()
        .filter_map(|a| compile_one(app, api, a, warnings))
        .collect()
}

/// A TOKEN authorizer's `IdentityValidationExpression`, which the whole token must match.
/// An empty one is none: that is how a template leaves it out through a parameter
/// (`!Ref ValidationString` with `Default: ""`), and as a pattern it would refuse every token.
fn validation_expression(
    expr: Option<&str>,
    owner: &str,
    warnings: &mut Vec<String>,
) -> Option<Regex> {
    let expr = expr.filter(|e| !e.is_empty())?;
    match Regex::new(&format!("^(?:{expr})$")) {
        Ok(re) => Some(re),
        Err(e) => {
            warnings.push(format!(
                "{owner}: IdentityValidationExpression `{expr}` is not a valid regular \
                 expression ({e}); it is not applied"
            ));
            None
        }
    }
}

fn compile_one(
    app: &Application,
    api: &Api,
    authorizer: &Authorizer,
    warnings: &mut Vec<String>,
) -> Option<CompiledAuthorizer> {
    let owner = format!(
        "{}: authorizer `{}` of API {}",
        authorizer.source, authorizer.name, api.logical_id
    );
    let mut identity_sources = Vec::new();
    for text in &authorizer.identity_sources {
        // A comma-separated list is what `AWS::ApiGateway::Authorizer` holds.
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match IdentitySource::parse(part) {
                Some(source) => identity_sources.push(source),
                None => warnings.push(format!(
                    "{owner}: identity source `{part}` is not one API Gateway knows \
                     (method.request.header.X, method.request.querystring.X, stageVariables.X, \
                     context.X, or the $request. forms of HTTP APIs); it is ignored"
                )),
            }
        }
    }
    let validation = validation_expression(
        authorizer.identity_validation_expression.as_deref(),
        &owner,
        warnings,
    );
    let kind = match &authorizer.kind {
        AuthorizerKind::Lambda {
            function,
            authorizer_type,
            payload_format,
            simple_responses,
            credentials,
        } => {
            if let Some(role) = credentials {
                // Read and not enforced: said, never dropped silently.
                warnings.push(format!(
                    "{owner}: its invoke role ({role}) is accepted and not assumed; lambdagate \
                     invokes the authorizer itself, so the role's permissions are not enforced"
                ));
            }
            let resolved = match app.function_index(function) {
                Some(index) => AuthorizerFunction::Fixed(FunctionHandle {
                    index,
                    name: app.functions[index].logical_id.as_str().into(),
                }),
                None => {
                    let why = match app.unavailable_function(function) {
                        Some(f) => format!(
                            "its function {} uses runtime `{}`, which lambdagate cannot run",
                            f.logical_id, f.runtime
                        ),
                        None => {
                            format!("its function `{function}` is not a function of the template")
                        }
                    };
                    warnings.push(format!(
                        "{owner}: {why}; requests it authorizes answer 500 \
                         (AUTHORIZER_CONFIGURATION_ERROR), as API Gateway does when it cannot \
                         invoke an authorizer"
                    ));
                    AuthorizerFunction::Unresolved(why)
                }
            };
            CompiledAuthorizerKind::Lambda {
                function: resolved,
                authorizer_type: *authorizer_type,
                payload: match api.kind {
                    ApiKind::Rest => PayloadFormat::V1,
                    ApiKind::Http => *payload_format,
                },
                simple_responses: *simple_responses && api.kind == ApiKind::Http,
            }
        }
        AuthorizerKind::Jwt { issuer, audience } => CompiledAuthorizerKind::Jwt {
            issuer: issuer.clone(),
            audiences: audience.clone(),
        },
        AuthorizerKind::CognitoUserPools { provider_arns } => {
            let mut issuers = Vec::new();
            for arn in provider_arns {
                match cognito_issuer(arn) {
                    Some(issuer) => issuers.push(issuer),
                    None => warnings.push(format!(
                        "{owner}: `{arn}` is not a Cognito user pool ARN \
                         (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID); no token of it \
                         is accepted"
                    )),
                }
            }
            CompiledAuthorizerKind::Cognito { issuers }
        }
        // Routes name `AWS_IAM` directly; nothing to compile.
        AuthorizerKind::Iam => return None,
    };
    // AWS caps the TTL at an hour.
    let ttl = Duration::from_secs(u64::from(authorizer.result_ttl_secs.min(3600)));
    Some(CompiledAuthorizer {
        name: authorizer.name.clone(),
        kind,
        identity_sources,
        validation,
        ttl,
    })
}

/// A route's authorization against the compiled authorizers.
pub(super) fn route_auth(
    api: &Api,
    route: &Route,
    authorizers: &[CompiledAuthorizer],
    warnings: &mut Vec<String>,
) -> RouteAuth {
    let auth = &route.auth;
    match auth.authorization_type {
        AuthorizationType::None => RouteAuth::None,
        AuthorizationType::AwsIam => RouteAuth::Iam,
        AuthorizationType::Custom
        | AuthorizationType::CognitoUserPools
        | AuthorizationType::Jwt => {
            let name = auth.authorizer.as_deref().unwrap_or("");
            match authorizers.iter().position(|a| a.name == name) {
                Some(index) => RouteAuth::Authorizer {
                    index,
                    scopes: auth.scopes.clone(),
                },
                // The loader refuses unknown names; an authorizer named `AWS_IAM` is SigV4.
                None if api.authorizer(name).map(|a| &a.kind) == Some(&AuthorizerKind::Iam) => {
                    RouteAuth::Iam
                }
                None => {
                    warnings.push(format!(
                        "{}: {} on API {} names authorizer `{name}`, which could not be \
                         compiled; every request to it answers 401",
                        route.source, route.key, api.logical_id
                    ));
                    // Fail closed: an index past the end answers 401 in the stage.
                    RouteAuth::Authorizer {
                        index: usize::MAX,
                        scopes: Vec::new(),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sources_in_both_spellings() {
        use IdentitySource as S;
        assert_eq!(
            IdentitySource::parse("method.request.header.Authorization"),
            Some(S::Header("Authorization".into()))
        );
        assert_eq!(
            IdentitySource::parse("method.request.querystring.token"),
            Some(S::QueryString("token".into()))
        );
        assert_eq!(
            IdentitySource::parse("stageVariables.env"),
            Some(S::StageVariable("env".into()))
        );
        assert_eq!(
            IdentitySource::parse("context.identity.sourceIp"),
            Some(S::Context("identity.sourceIp".into()))
        );
        assert_eq!(
            IdentitySource::parse("$request.header.X-Token"),
            Some(S::Header("X-Token".into()))
        );
        assert_eq!(
            IdentitySource::parse("$request.querystring.q"),
            Some(S::QueryString("q".into()))
        );
        assert_eq!(
            IdentitySource::parse("$stageVariables.v"),
            Some(S::StageVariable("v".into()))
        );
        assert_eq!(
            IdentitySource::parse("$context.routeKey"),
            Some(S::Context("routeKey".into()))
        );
        assert_eq!(IdentitySource::parse("method.request.path.id"), None);
        assert_eq!(IdentitySource::parse("method.request.header."), None);
    }

    #[test]
    fn validation_expressions_match_the_whole_token_and_empty_is_none() {
        let mut warnings = Vec::new();
        let re = validation_expression(Some("^myheader$"), "a", &mut warnings).unwrap();
        assert!(re.is_match("myheader"));
        let re = validation_expression(Some("Bearer .+"), "a", &mut warnings).unwrap();
        assert!(re.is_match("Bearer x") && !re.is_match("xBearer x"));
        assert!(validation_expression(Some(""), "a", &mut warnings).is_none());
        assert!(validation_expression(None, "a", &mut warnings).is_none());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(validation_expression(Some("("), "a", &mut warnings).is_none());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn cognito_issuers_from_pool_arns() {
        assert_eq!(
            cognito_issuer("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC"),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC".into())
        );
        assert_eq!(cognito_issuer("arn:aws:s3:::bucket"), None);
        assert_eq!(
            cognito_issuer("arn:aws:cognito-idp:eu-west-1:1:identitypool/x"),
            None
        );
    }
}
