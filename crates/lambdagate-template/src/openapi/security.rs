//! Security: the document's security schemes (`securityDefinitions` /
//! `components.securitySchemes`) with their `x-amazon-apigateway-authorizer`s, and each
//! method's authorization from its `security`.

use lambdagate_model::{
    Api, ApiKind, AuthorizationType, Authorizer, AuthorizerKind, LambdaAuthorizerType, MethodAuth,
    PayloadFormat,
};

use super::Context;
use super::integration::lambda_function;
use crate::diag::{Diags, R, Reported};
use crate::node::Node;
use crate::props;

/// `x-amazon-apigateway-authorizer` keys this module loads.
const AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "jwtConfiguration",
    "authorizerPayloadFormatVersion",
    "enableSimpleResponses",
];
/// What a security scheme of the document stands for.
#[derive(Debug, Clone)]
pub(super) enum Scheme {
    /// An authorizer added to the API, with its authorization type.
    Authorizer(AuthorizationType),
    /// `apiKey` in the `x-api-key` header: the method needs an API key.
    ApiKey,
    /// `x-amazon-apigateway-authtype: awsSigv4`: IAM authorization.
    Iam,
    /// Anything else, already warned about; naming it protects nothing here.
    Unserved,
}
/// Security schemes, with the authorizers they define added to the API.
pub(super) fn security_schemes(
    d: &mut Diags,
    doc: &Node,
    v3: bool,
    api: &mut Api,
    owner: &str,
) -> R<Vec<(String, Scheme)>> {
    let (node, where_) = if v3 {
        (
            doc.get("components").and_then(|c| c.get("securitySchemes")),
            "components.securitySchemes",
        )
    } else {
        (doc.get("securityDefinitions"), "securityDefinitions")
    };
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let owner = format!("{owner}: {where_}");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of scheme names"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, scheme) in entries {
        let owner = format!("{owner}: `{}`", key.name);
        let text = |field: &str| scheme.get(field).and_then(Node::as_str).map(str::to_string);
        let scheme_type = text("type").unwrap_or_default();
        let auth_type = text("x-amazon-apigateway-authtype").unwrap_or_default();
        let found = if let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") {
            match authorizer_of(d, &key.name, scheme, authorizer, api.kind, &owner) {
                Ok(a) => {
                    // SAM writes its `Auth.Authorizers` over the document's schemes of the
                    // same name, so an authorizer SAM defined stays.
                    let a = match api.authorizer(&a.name) {
                        Some(existing) => existing.clone(),
                        None => {
                            api.authorizers.push(a.clone());
                            a
                        }
                    };
                    let t = match &a.kind {
                        AuthorizerKind::Lambda { .. } => AuthorizationType::Custom,
                        AuthorizerKind::CognitoUserPools { .. } => {
                            AuthorizationType::CognitoUserPools
                        }
                        AuthorizerKind::Jwt { .. } => AuthorizationType::Jwt,
                        AuthorizerKind::Iam => AuthorizationType::AwsIam,
                    };
                    Scheme::Authorizer(t)
                }
                Err(Reported) => {
                    failed = true;
                    continue;
                }
            }
        } else if auth_type.eq_ignore_ascii_case("awsSigv4") {
            Scheme::Iam
        } else if scheme_type == "apiKey"
            && text("in").as_deref() == Some("header")
            && text("name").is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
        {
            Scheme::ApiKey
        } else {
            d.warn(
                key.pos,
                format!("{owner}: a security scheme without x-amazon-apigateway-authorizer is not served; methods that name it are open"),
            );
            Scheme::Unserved
        };
        out.push((key.name.clone(), found));
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// `x-amazon-apigateway-authorizer` of the scheme `name` (raw CloudFormation authorizers are
/// put in this shape first, see `cfn_shape.rs`).
pub(crate) fn authorizer_of(
    d: &mut Diags,
    name: &str,
    scheme: &Node,
    node: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<Authorizer> {
    let owner = format!("{owner}: x-amazon-apigateway-authorizer");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping with a type")));
    }
    crate::cfn::warn_unloaded(d, node, AUTHORIZER_KEYS, &owner);
    let authorizer_type = props::text(d, node, "type", &owner)?.unwrap_or_default();
    // AWS writes identity sources comma-separated in one string; a list is read too.
    let sources: Vec<String> = props::strings(d, node, "identitySource", &owner)?
        .unwrap_or_default()
        .iter()
        .flat_map(|s| s.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    // A TOKEN or Cognito authorizer reads the header the scheme names when no source is given.
    let header_source = || {
        let header = scheme
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("Authorization");
        vec![format!("method.request.header.{header}")]
    };
    let ttl = props::number(d, node, "authorizerResultTtlInSeconds", &owner, 0..=3600)?;
    let validation = props::text(d, node, "identityValidationExpression", &owner)?;
    let credentials = props::text(d, node, "authorizerCredentials", &owner)?;
    let lambda = |d: &mut Diags, t: LambdaAuthorizerType| -> R<AuthorizerKind> {
        let Some(uri) = props::text(d, node, "authorizerUri", &owner)? else {
            return Err(d.error(
                node.pos,
                format!("{owner}: a Lambda authorizer needs an authorizerUri"),
            ));
        };
        let payload_format = match (
            kind,
            props::text(d, node, "authorizerPayloadFormatVersion", &owner)?.as_deref(),
        ) {
            (ApiKind::Http, Some("2.0")) => PayloadFormat::V2,
            _ => PayloadFormat::V1,
        };
        Ok(AuthorizerKind::Lambda {
            function: lambda_function(&uri).unwrap_or(uri),
            authorizer_type: t,
            payload_format,
            simple_responses: props::boolean(d, node, "enableSimpleResponses", &owner)?
                .unwrap_or(false),
            credentials: credentials.clone(),
        })
    };
    let (authorizer_kind, identity_sources) = match authorizer_type.to_ascii_lowercase().as_str() {
        "token" => {
            let sources = if sources.is_empty() {
                header_source()
            } else {
                sources
            };
            (lambda(d, LambdaAuthorizerType::Token)?, sources)
        }
        "request" => (lambda(d, LambdaAuthorizerType::Request)?, sources),
        "cognito_user_pools" => {
            let arns = props::strings(d, node, "providerARNs", &owner)?.unwrap_or_default();
            let sources = if sources.is_empty() {
                header_source()
            } else {
                sources
            };
            (
                AuthorizerKind::CognitoUserPools {
                    provider_arns: arns,
                },
                sources,
            )
        }
        "jwt" => {
            let Some(config) = node.get("jwtConfiguration") else {
                return Err(d.error(
                    node.pos,
                    format!("{owner}: a jwt authorizer needs a jwtConfiguration"),
                ));
            };
            let issuer = props::text(d, config, "issuer", &owner)?;
            let audience = props::strings(d, config, "audience", &owner)?.unwrap_or_default();
            let Some(issuer) = issuer else {
                return Err(d.error(
                    config.pos,
                    format!("{owner}: jwtConfiguration needs an issuer"),
                ));
            };
            let sources = if sources.is_empty() {
                vec!["$request.header.Authorization".to_string()]
            } else {
                sources
            };
            (AuthorizerKind::Jwt { issuer, audience }, sources)
        }
        other => {
            return Err(d.error(
                node.get("type").map_or(node.pos, |n| n.pos),
                format!(
                    "{owner}: type `{other}` must be token, request, cognito_user_pools or jwt"
                ),
            ));
        }
    };
    // REST caches for 300 seconds by default; an HTTP API without identity sources cannot
    // key a cache, so it does not cache.
    let default_ttl = match (kind, identity_sources.is_empty()) {
        (ApiKind::Http, true) => 0,
        (ApiKind::Http, false) if matches!(authorizer_kind, AuthorizerKind::Jwt { .. }) => 0,
        _ => 300,
    };
    Ok(Authorizer {
        name: name.to_string(),
        kind: authorizer_kind,
        identity_sources,
        identity_validation_expression: validation,
        result_ttl_secs: ttl.unwrap_or(default_ttl),
        source: d.location(node.pos),
    })
}

/// The method's authorization from its `security` (or the document's), and whether it needs
/// an API key.
pub(super) fn method_auth(
    d: &mut Diags,
    cx: &Context<'_>,
    op: &Node,
    owner: &str,
) -> R<(MethodAuth, bool)> {
    let mut auth = MethodAuth::default();
    if let Some(node) = op.get("x-amazon-apigateway-auth") {
        match node.get("type").and_then(Node::as_str) {
            Some(t) if t.eq_ignore_ascii_case("aws_iam") => {
                auth.authorization_type = AuthorizationType::AwsIam
            }
            Some(t) if t.eq_ignore_ascii_case("none") => {}
            _ => {
                return Err(d.error(
                    node.pos,
                    format!("{owner}: x-amazon-apigateway-auth needs type AWS_IAM or NONE"),
                ));
            }
        }
    }
    let Some(security) = op.get("security").or(cx.default_security) else {
        return Ok((auth, false));
    };
    let Some(requirements) = security.as_seq() else {
        return Err(d.error(
            security.pos,
            format!("{owner}: security must be a list of requirements"),
        ));
    };
    let mut api_key = false;
    for requirement in requirements {
        for (key, scopes) in requirement.as_map().unwrap_or_default() {
            let Some((_, scheme)) = cx.schemes.iter().find(|(n, _)| *n == key.name) else {
                let names: Vec<&str> = cx.schemes.iter().map(|(n, _)| n.as_str()).collect();
                return Err(d.error(
                    key.pos,
                    format!(
                        "{owner}: security scheme `{}` is not defined (defined: {})",
                        key.name,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            };
            match scheme {
                Scheme::ApiKey => api_key = true,
                Scheme::Unserved => {}
                Scheme::Iam => auth.authorization_type = AuthorizationType::AwsIam,
                Scheme::Authorizer(t) => {
                    if let Some(existing) = &auth.authorizer
                        && *existing != key.name
                    {
                        d.warn(
                            key.pos,
                            format!("{owner}: a method has one authorizer; `{existing}` is used, `{}` is not", key.name),
                        );
                        continue;
                    }
                    auth.authorization_type = *t;
                    auth.authorizer = Some(key.name.clone());
                    auth.scopes = scopes
                        .as_seq()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect();
                }
            }
        }
    }
    Ok((auth, api_key))
}
