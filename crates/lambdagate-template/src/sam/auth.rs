//! SAM `Auth`: an API's authorizers and defaults, an event's own `Auth`, and the usage plan
//! SAM generates from `Auth.UsagePlan`.

use std::collections::HashMap;

use lambdagate_model::{
    Api, ApiKey, ApiKind, AuthorizationType, Authorizer, AuthorizerKind, Function,
    LambdaAuthorizerType, MethodAuth, PayloadFormat, Quota, QuotaPeriod, SourceLocation, Throttle,
    UsagePlan, UsagePlanStage,
};

use crate::diag::{Diags, R, Reported};
use crate::node::{Node, Pos, Value};
use crate::props;

/// What an API's `Auth` says about its routes, applied when events are read.
#[derive(Debug, Clone, Default)]
pub struct ApiAuth {
    /// `DefaultAuthorizer` (an authorizer name or `AWS_IAM`).
    pub default_authorizer: Option<String>,
    /// `ApiKeyRequired`: every route needs a key unless its event says otherwise.
    pub api_key_required: bool,
    /// `DefaultAuthorizationScopes`.
    pub default_scopes: Vec<String>,
    /// `AddDefaultAuthorizerToCorsPreflight` (SAM's default: true).
    pub preflight_authorizer: bool,
    /// `AddApiKeyRequiredToCorsPreflight` (SAM's default: true).
    pub preflight_api_key: bool,
    /// Scopes an authorizer gives routes that name none (`AuthorizationScopes` on a Cognito or
    /// JWT authorizer).
    pub authorizer_scopes: HashMap<String, Vec<String>>,
    /// HTTP API `EnableIamAuthorizer`.
    pub iam: bool,
    /// REST `ResourcePolicy`, which SAM writes into the policy for every event of the API
    /// that has none of its own.
    pub resource_policy: Option<Node>,
}

/// `Auth` keys of an API that are loaded (the rest are warned about).
const API_AUTH_KEYS: &[&str] = &[
    "Authorizers",
    "DefaultAuthorizer",
    "ApiKeyRequired",
    "DefaultAuthorizationScopes",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
    "UsagePlan",
    "EnableIamAuthorizer",
    "ResourcePolicy",
];

/// Reads an API's `Auth` into its authorizers and defaults.
pub fn read(
    d: &mut Diags,
    node: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<(Vec<Authorizer>, ApiAuth)> {
    let owner = format!("{owner}: Auth");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    crate::cfn::warn_unloaded(d, node, API_AUTH_KEYS, &owner);
    let mut auth = ApiAuth {
        preflight_authorizer: true,
        preflight_api_key: true,
        ..ApiAuth::default()
    };
    let mut authorizers = Vec::new();
    let mut failed = false;
    if let Some(entries) = props::map(d, node, "Authorizers", &owner)? {
        for (key, value) in entries {
            if key.name == "AWS_IAM" {
                // Declaring AWS_IAM needs no settings; routes name it like any authorizer.
                auth.iam = true;
                continue;
            }
            let result = match kind {
                ApiKind::Rest => rest_authorizer(d, &key.name, value, &owner),
                ApiKind::Http => http_authorizer(d, &key.name, value, &owner),
            };
            match result {
                Ok((authorizer, scopes)) => {
                    if let Some(scopes) = scopes {
                        auth.authorizer_scopes.insert(key.name.clone(), scopes);
                    }
                    authorizers.push(authorizer);
                }
                Err(Reported) => failed = true,
            }
        }
    }
    let default = props::text(d, node, "DefaultAuthorizer", &owner);
    let key_required = props::boolean(d, node, "ApiKeyRequired", &owner);
    let scopes = props::strings(d, node, "DefaultAuthorizationScopes", &owner);
    let preflight = props::boolean(d, node, "AddDefaultAuthorizerToCorsPreflight", &owner);
    let preflight_key = props::boolean(d, node, "AddApiKeyRequiredToCorsPreflight", &owner);
    let iam = props::boolean(d, node, "EnableIamAuthorizer", &owner);
    let (Ok(default), Ok(key_required), Ok(scopes), Ok(preflight), Ok(preflight_key), Ok(iam)) =
        (default, key_required, scopes, preflight, preflight_key, iam)
    else {
        return Err(Reported);
    };
    auth.iam |= iam.unwrap_or(false);
    if let Some(policy) = node.get("ResourcePolicy") {
        if kind == ApiKind::Http {
            d.warn(
                policy.pos,
                format!("{owner}: ResourcePolicy is for REST APIs; HTTP APIs have none, so it is not applied"),
            );
        } else {
            auth.resource_policy = Some(policy.clone());
        }
    }
    if let Some(name) = &default
        && name != "AWS_IAM"
        && !authorizers.iter().any(|a| &a.name == name)
        && !failed
    {
        failed = true;
        d.error(
            node.get("DefaultAuthorizer").map_or(node.pos, |n| n.pos),
            unknown_authorizer(&owner, name, &authorizers),
        );
    }
    auth.default_authorizer = default;
    auth.api_key_required = key_required.unwrap_or(false);
    auth.default_scopes = scopes.unwrap_or_default();
    auth.preflight_authorizer = preflight.unwrap_or(true);
    auth.preflight_api_key = preflight_key.unwrap_or(true);
    if failed {
        Err(Reported)
    } else {
        Ok((authorizers, auth))
    }
}

fn unknown_authorizer(owner: &str, name: &str, authorizers: &[Authorizer]) -> String {
    let names: Vec<&str> = authorizers.iter().map(|a| a.name.as_str()).collect();
    format!(
        "{owner}: authorizer `{name}` is not defined on the API (its authorizers: {}; or NONE, AWS_IAM)",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// The `Identity` mapping of an authorizer, or an empty one.
fn identity<'n>(d: &mut Diags, node: &'n Node, owner: &str) -> R<Option<&'n Node>> {
    match node.get("Identity") {
        None => Ok(None),
        Some(i) if i.as_map().is_some() => Ok(Some(i)),
        Some(i) => Err(d.error(i.pos, format!("{owner}: Identity must be a mapping"))),
    }
}

/// `ReauthorizeEvery` (0 to 3600 seconds).
fn ttl(d: &mut Diags, identity: Option<&Node>, owner: &str, default: u32) -> R<u32> {
    match identity {
        Some(i) => Ok(props::number(d, i, "ReauthorizeEvery", owner, 0..=3600)?.unwrap_or(default)),
        None => Ok(default),
    }
}

/// Identity sources from `Identity` lists (`Headers`, `QueryStrings`, `StageVariables`,
/// `Context`), each written with its prefix as AWS stores it.
fn sources(
    d: &mut Diags,
    identity: &Node,
    prefixes: [(&str, &str); 4],
    owner: &str,
) -> R<Vec<String>> {
    let mut out = Vec::new();
    for (key, prefix) in prefixes {
        for name in props::strings(d, identity, key, owner)?.unwrap_or_default() {
            out.push(format!("{prefix}{name}"));
        }
    }
    Ok(out)
}

/// A REST authorizer: Cognito (`UserPoolArn`) or Lambda (`FunctionArn`, TOKEN or REQUEST).
fn rest_authorizer(
    d: &mut Diags,
    name: &str,
    node: &Node,
    owner: &str,
) -> R<(Authorizer, Option<Vec<String>>)> {
    let owner = format!("{owner}: authorizer `{name}`");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    let identity = identity(d, node, &owner)?;
    let header = match identity {
        Some(i) => props::text(d, i, "Header", &owner)?,
        None => None,
    }
    .unwrap_or_else(|| "Authorization".to_string());
    let validation = match identity {
        Some(i) => props::text(d, i, "ValidationExpression", &owner)?,
        None => None,
    };
    let scopes = props::strings(d, node, "AuthorizationScopes", &owner)?;
    let result_ttl_secs = ttl(d, identity, &owner, 300)?;
    let source = d.location(node.pos);
    let (kind, identity_sources, loaded): (_, _, &[&str]) = if node.get("UserPoolArn").is_some() {
        let arns = props::strings(d, node, "UserPoolArn", &owner)?.unwrap_or_default();
        (
            AuthorizerKind::CognitoUserPools {
                provider_arns: arns,
            },
            vec![format!("method.request.header.{header}")],
            &["UserPoolArn", "Identity", "AuthorizationScopes"],
        )
    } else if node.get("FunctionArn").is_some() {
        let function = props::text(d, node, "FunctionArn", &owner)?.unwrap_or_default();
        let credentials = props::text(d, node, "FunctionInvokeRole", &owner)?;
        let payload = props::text(d, node, "FunctionPayloadType", &owner)?;
        let (authorizer_type, identity_sources) = match payload.as_deref() {
            None | Some("TOKEN") => (
                LambdaAuthorizerType::Token,
                vec![format!("method.request.header.{header}")],
            ),
            Some("REQUEST") => {
                let sources = match identity {
                    Some(i) => sources(
                        d,
                        i,
                        [
                            ("Headers", "method.request.header."),
                            ("QueryStrings", "method.request.querystring."),
                            ("StageVariables", "stageVariables."),
                            ("Context", "context."),
                        ],
                        &owner,
                    )?,
                    None => Vec::new(),
                };
                (LambdaAuthorizerType::Request, sources)
            }
            Some(other) => {
                return Err(d.error(
                    node.get("FunctionPayloadType").map_or(node.pos, |n| n.pos),
                    format!("{owner}: FunctionPayloadType `{other}` must be TOKEN or REQUEST"),
                ));
            }
        };
        (
            AuthorizerKind::Lambda {
                function,
                authorizer_type,
                payload_format: PayloadFormat::V1,
                simple_responses: false,
                credentials,
            },
            identity_sources,
            &[
                "FunctionArn",
                "FunctionInvokeRole",
                "FunctionPayloadType",
                "Identity",
                "AuthorizationScopes",
                "DisableFunctionDefaultPermissions",
            ],
        )
    } else {
        return Err(d.error(
            node.pos,
            format!("{owner} needs UserPoolArn (a Cognito authorizer) or FunctionArn (a Lambda authorizer)"),
        ));
    };
    crate::cfn::warn_unloaded(d, node, loaded, &owner);
    Ok((
        Authorizer {
            name: name.to_string(),
            kind,
            identity_sources,
            identity_validation_expression: validation,
            result_ttl_secs,
            source,
        },
        scopes,
    ))
}

/// An HTTP API authorizer: JWT (`JwtConfiguration`) or Lambda (`FunctionArn`).
fn http_authorizer(
    d: &mut Diags,
    name: &str,
    node: &Node,
    owner: &str,
) -> R<(Authorizer, Option<Vec<String>>)> {
    let owner = format!("{owner}: authorizer `{name}`");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    let source = d.location(node.pos);
    if let Some(jwt) = node.get("JwtConfiguration") {
        crate::cfn::warn_unloaded(
            d,
            node,
            &["JwtConfiguration", "IdentitySource", "AuthorizationScopes"],
            &owner,
        );
        let jwt_owner = format!("{owner}: JwtConfiguration");
        // SAM documents the keys in lower case (AWS's own API); CloudFormation capitalizes them.
        let issuer = match props::text(d, jwt, "issuer", &jwt_owner)? {
            Some(i) => Some(i),
            None => props::text(d, jwt, "Issuer", &jwt_owner)?,
        };
        let audience = match props::strings(d, jwt, "audience", &jwt_owner)? {
            Some(a) => a,
            None => props::strings(d, jwt, "Audience", &jwt_owner)?.unwrap_or_default(),
        };
        let Some(issuer) = issuer else {
            return Err(d.error(jwt.pos, format!("{jwt_owner} needs an issuer")));
        };
        let identity_source = props::text(d, node, "IdentitySource", &owner)?
            .unwrap_or_else(|| "$request.header.Authorization".to_string());
        let scopes = props::strings(d, node, "AuthorizationScopes", &owner)?;
        return Ok((
            Authorizer {
                name: name.to_string(),
                kind: AuthorizerKind::Jwt { issuer, audience },
                identity_sources: vec![identity_source],
                identity_validation_expression: None,
                result_ttl_secs: 0,
                source,
            },
            scopes,
        ));
    }
    if node.get("FunctionArn").is_none() {
        return Err(d.error(
            node.pos,
            format!("{owner} needs JwtConfiguration (a JWT authorizer) or FunctionArn (a Lambda authorizer)"),
        ));
    }
    crate::cfn::warn_unloaded(
        d,
        node,
        &[
            "FunctionArn",
            "FunctionInvokeRole",
            "AuthorizerPayloadFormatVersion",
            "EnableSimpleResponses",
            "Identity",
            "EnableFunctionDefaultPermissions",
        ],
        &owner,
    );
    let function = props::text(d, node, "FunctionArn", &owner)?.unwrap_or_default();
    let credentials = props::text(d, node, "FunctionInvokeRole", &owner)?;
    // An unquoted `2.0` is a YAML number, which the template's JSON carries to API Gateway as
    // "2.0": accepted as a number too.
    let numeric = node
        .get("AuthorizerPayloadFormatVersion")
        .is_some_and(|n| matches!(n.value, Value::Float(_) | Value::Int(_)));
    let payload_format =
        match props::text(d, node, "AuthorizerPayloadFormatVersion", &owner)?.as_deref() {
            Some("1.0") => PayloadFormat::V1,
            Some("2.0") => PayloadFormat::V2,
            Some("1") if numeric => PayloadFormat::V1,
            Some("2") if numeric => PayloadFormat::V2,
            other => {
                return Err(d.error(
                    node.get("AuthorizerPayloadFormatVersion")
                        .map_or(node.pos, |n| n.pos),
                    format!(
                        "{owner}: AuthorizerPayloadFormatVersion must be \"1.0\" or \"2.0\"{}",
                        other.map_or(" (it is required)".to_string(), |o| format!(", not `{o}`"))
                    ),
                ));
            }
        };
    let simple_responses =
        props::boolean(d, node, "EnableSimpleResponses", &owner)?.unwrap_or(false);
    let identity = identity(d, node, &owner)?;
    let identity_sources = match identity {
        Some(i) => sources(
            d,
            i,
            [
                ("Headers", "$request.header."),
                ("QueryStrings", "$request.querystring."),
                ("StageVariables", "$stageVariables."),
                ("Context", "$context."),
            ],
            &owner,
        )?,
        None => Vec::new(),
    };
    // Caching needs an identity source to key on; without one every request is authorized.
    let default_ttl = if identity_sources.is_empty() { 0 } else { 300 };
    let result_ttl_secs = ttl(d, identity, &owner, default_ttl)?;
    Ok((
        Authorizer {
            name: name.to_string(),
            kind: AuthorizerKind::Lambda {
                function,
                authorizer_type: LambdaAuthorizerType::Request,
                payload_format,
                simple_responses,
                credentials,
            },
            identity_sources,
            identity_validation_expression: None,
            result_ttl_secs,
            source,
        },
        None,
    ))
}

/// `Auth` keys of an event that are loaded.
const EVENT_AUTH_KEYS: &[&str] = &[
    "Authorizer",
    "AuthorizationScopes",
    "ApiKeyRequired",
    "ResourcePolicy",
];

/// A route's authorization and whether it needs an API key: the event's `Auth`, else the API's
/// defaults. An authorizer the API does not define is an error.
pub fn route_auth(
    d: &mut Diags,
    api: &Api,
    defaults: Option<&ApiAuth>,
    event_auth: Option<&Node>,
    owner: &str,
    pos: Pos,
) -> R<(MethodAuth, bool)> {
    let empty = ApiAuth::default();
    let defaults = defaults.unwrap_or(&empty);
    let (named, scopes, key_required, at) = match event_auth {
        Some(node) => {
            let owner = format!("{owner}: Auth");
            if node.as_map().is_none() {
                return Err(d.error(node.pos, format!("{owner} must be a mapping")));
            }
            crate::cfn::warn_unloaded(d, node, EVENT_AUTH_KEYS, &owner);
            let named = props::text(d, node, "Authorizer", &owner);
            let scopes = props::strings(d, node, "AuthorizationScopes", &owner);
            let key = props::boolean(d, node, "ApiKeyRequired", &owner);
            let at = node.get("Authorizer").map_or(node.pos, |n| n.pos);
            (named?, scopes?, key?, at)
        }
        None => (None, None, None, pos),
    };
    let key_required = key_required.unwrap_or(defaults.api_key_required);
    let Some(name) = named.or_else(|| defaults.default_authorizer.clone()) else {
        return Ok((MethodAuth::default(), key_required));
    };
    let auth = authorize_with(d, api, defaults, &name, scopes, owner, at)?;
    Ok((auth, key_required))
}

/// The method authorization for the authorizer `name` (or `NONE` / `AWS_IAM`).
pub fn authorize_with(
    d: &mut Diags,
    api: &Api,
    defaults: &ApiAuth,
    name: &str,
    scopes: Option<Vec<String>>,
    owner: &str,
    at: Pos,
) -> R<MethodAuth> {
    let authorization_type = match name {
        "NONE" => return Ok(MethodAuth::default()),
        "AWS_IAM" => {
            return Ok(MethodAuth {
                authorization_type: AuthorizationType::AwsIam,
                authorizer: None,
                scopes: Vec::new(),
            });
        }
        _ => match api.authorizer(name).map(|a| &a.kind) {
            Some(AuthorizerKind::Lambda { .. }) => AuthorizationType::Custom,
            Some(AuthorizerKind::Jwt { .. }) => AuthorizationType::Jwt,
            Some(AuthorizerKind::CognitoUserPools { .. }) => AuthorizationType::CognitoUserPools,
            Some(AuthorizerKind::Iam) => AuthorizationType::AwsIam,
            None => {
                return Err(d.error(
                    at,
                    unknown_authorizer(
                        &format!("{owner} (API `{}`)", api.logical_id),
                        name,
                        &api.authorizers,
                    ),
                ));
            }
        },
    };
    let scopes = scopes
        .or_else(|| defaults.authorizer_scopes.get(name).cloned())
        .unwrap_or_else(|| defaults.default_scopes.clone());
    Ok(MethodAuth {
        authorization_type,
        authorizer: Some(name.to_string()),
        scopes,
    })
}

/// A Lambda authorizer's function as the template wrote it (`!GetAtt Fn.Arn`, `!Ref Fn`, a
/// `!Sub` ARN, or an `AWS::ApiGateway::Authorizer` invocation URI), turned into the logical id
/// of a function of the template when it names one; otherwise left as written.
pub fn function_of(functions: &[Function], written: &str) -> String {
    // `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
    let arn = written
        .split_once("/functions/")
        .map_or(written, |(_, rest)| rest.trim_end_matches("/invocations"));
    let name = match arn.split_once(":function:") {
        // An alias or version after the name (`:function:name:live`) still names the function.
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => arn,
    };
    functions
        .iter()
        .find(|f| f.logical_id == name || f.function_name == name)
        .map_or_else(|| written.to_string(), |f| f.logical_id.clone())
}

/// `Throttle` of a usage plan (`BurstLimit`, `RateLimit`).
pub fn plan_throttle(d: &mut Diags, node: &Node, owner: &str) -> R<Throttle> {
    let owner = format!("{owner}: Throttle");
    let burst = props::number(d, node, "BurstLimit", &owner, 0..=u32::MAX);
    let rate = props::float(d, node, "RateLimit", &owner, 0.0..=f64::MAX);
    Ok(Throttle {
        burst_limit: burst?,
        rate_limit: rate?,
    })
}

/// `Quota` of a usage plan (`Limit`, `Offset`, `Period`).
pub fn plan_quota(d: &mut Diags, node: &Node, owner: &str) -> R<Quota> {
    let owner = format!("{owner}: Quota");
    let limit = props::number(d, node, "Limit", &owner, 0..=u32::MAX);
    let offset = props::number(d, node, "Offset", &owner, 0..=u32::MAX);
    let period = match props::text(d, node, "Period", &owner)?.as_deref() {
        Some("DAY") => QuotaPeriod::Day,
        Some("WEEK") => QuotaPeriod::Week,
        Some("MONTH") => QuotaPeriod::Month,
        _ => {
            return Err(d.error(
                node.get("Period").map_or(node.pos, |n| n.pos),
                format!("{owner}: Period must be DAY, WEEK or MONTH"),
            ));
        }
    };
    let Some(limit) = limit? else {
        return Err(d.error(node.pos, format!("{owner} needs a Limit")));
    };
    Ok(Quota {
        limit: u64::from(limit),
        offset: u64::from(offset?.unwrap_or(0)),
        period,
    })
}

/// SAM's `Auth.UsagePlan`: `PER_API` makes `{Api}ApiKey`, `{Api}UsagePlan`; `SHARED` adds the
/// API's stage to `ServerlessApiKey` / `ServerlessUsagePlan`; `NONE` makes nothing.
pub fn usage_plan(
    d: &mut Diags,
    node: &Node,
    api: &Api,
    keys: &mut Vec<ApiKey>,
    plans: &mut Vec<UsagePlan>,
) -> R<()> {
    let owner = format!("API `{}`: Auth: UsagePlan", api.logical_id);
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    crate::cfn::warn_unloaded(
        d,
        node,
        &[
            "CreateUsagePlan",
            "Quota",
            "Throttle",
            "UsagePlanName",
            "Description",
            "Tags",
        ],
        &owner,
    );
    let prefix = match props::text(d, node, "CreateUsagePlan", &owner)?.as_deref() {
        Some("PER_API") => api.logical_id.clone(),
        Some("SHARED") => "Serverless".to_string(),
        Some("NONE") => return Ok(()),
        _ => {
            return Err(d.error(
                node.get("CreateUsagePlan").map_or(node.pos, |n| n.pos),
                format!("{owner}: CreateUsagePlan must be PER_API, SHARED or NONE"),
            ));
        }
    };
    let throttle = match node.get("Throttle") {
        Some(t) => Some(plan_throttle(d, t, &owner)?),
        None => None,
    };
    let quota = match node.get("Quota") {
        Some(q) => Some(plan_quota(d, q, &owner)?),
        None => None,
    };
    let name = props::text(d, node, "UsagePlanName", &owner)?;
    let Some(stage) = api.stages.first().map(|s| s.name.clone()) else {
        return Ok(());
    };
    let source: SourceLocation = d.location(node.pos);
    let key_id = format!("{prefix}ApiKey");
    let plan_id = format!("{prefix}UsagePlan");
    match keys.iter_mut().find(|k| k.logical_id == key_id) {
        Some(key) => key.stage_keys.push((api.logical_id.clone(), stage.clone())),
        None => keys.push(ApiKey {
            logical_id: key_id.clone(),
            name: None,
            value: None,
            enabled: true,
            stage_keys: vec![(api.logical_id.clone(), stage.clone())],
            source: source.clone(),
        }),
    }
    let plan_stage = UsagePlanStage {
        api: api.logical_id.clone(),
        stage,
        throttle: Vec::new(),
    };
    match plans.iter_mut().find(|p| p.logical_id == plan_id) {
        // A shared plan takes its settings from the first API that declares them.
        Some(plan) => {
            plan.api_stages.push(plan_stage);
            plan.throttle = plan.throttle.or(throttle);
            plan.quota = plan.quota.or(quota);
            plan.name = plan.name.take().or(name);
        }
        None => plans.push(UsagePlan {
            logical_id: plan_id,
            name,
            api_stages: vec![plan_stage],
            throttle,
            quota,
            keys: vec![key_id],
            source,
        }),
    }
    Ok(())
}
