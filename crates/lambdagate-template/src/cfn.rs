//! Raw CloudFormation API Gateway resources that attach to an API of the template: stages,
//! deployments that create a stage, gateway responses, custom domains and their mappings.
//!
//! A resource names its API by `RestApiId` / `ApiId`, which resolves to what `Ref` of the API
//! yields (the API id, see `refs.rs`); a logical id is accepted too. A resource naming an API
//! that is not in the template is a warning: the API lives elsewhere and nothing here serves it.

use lambdagate_model::{Api, ApiKind, ApiMapping, Stage};

use crate::diag::{Diags, R};
use crate::domains::{self, Domains};
use crate::eval::Resource;
use crate::node::{Node, Pos};
use crate::{props, settings};

/// Properties that only matter to a deployment in AWS; accepted without a word.
const DEPLOY_ONLY: &[&str] = &["Tags", "ClientCertificateId", "DocumentationVersion"];

/// Warns about every property of `props` that is neither loaded (`loaded`) nor meaningless
/// locally ([`DEPLOY_ONLY`]), so no setting is dropped silently.
pub fn warn_unloaded(d: &mut Diags, props: &Node, loaded: &[&str], owner: &str) {
    for (key, _) in props.as_map().unwrap_or_default() {
        let name = key.name.as_str();
        if !loaded.contains(&name) && !DEPLOY_ONLY.contains(&name) {
            d.warn(
                key.pos,
                format!("{owner}: {name} is not served yet; requests are answered without it"),
            );
        }
    }
}

/// Properties of `AWS::ApiGateway::Stage` that are loaded.
const REST_STAGE_KEYS: &[&str] = &[
    "RestApiId",
    "StageName",
    "DeploymentId",
    "Description",
    "Variables",
    "MethodSettings",
    "AccessLogSetting",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "TracingEnabled",
    "CanarySetting",
];

/// Properties of `AWS::ApiGatewayV2::Stage` that are loaded.
const HTTP_STAGE_KEYS: &[&str] = &[
    "ApiId",
    "StageName",
    "DeploymentId",
    "Description",
    "StageVariables",
    "DefaultRouteSettings",
    "RouteSettings",
    "AccessLogSettings",
    "AutoDeploy",
];

/// `StageDescription` keys of `AWS::ApiGateway::Deployment` that are loaded: the stage
/// properties, and method settings written flat (they apply to every method).
const STAGE_DESCRIPTION_KEYS: &[&str] = &[
    "Description",
    "Variables",
    "MethodSettings",
    "AccessLogSetting",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "TracingEnabled",
    "CanarySetting",
    "ThrottlingBurstLimit",
    "ThrottlingRateLimit",
    "CachingEnabled",
    "CacheTtlInSeconds",
    "CacheDataEncrypted",
    "DataTraceEnabled",
    "LoggingLevel",
    "MetricsEnabled",
];

/// The API a resource attaches to. `Ok(None)` when it names an API outside the template
/// (warned); an error when the property is missing or names an API of the other kind.
pub fn api_index(
    d: &mut Diags,
    apis: &[Api],
    props: &Node,
    key: &str,
    kind: Option<ApiKind>,
    owner: &str,
    pos: Pos,
) -> R<Option<usize>> {
    let Some(id) = props::text(d, props, key, owner)? else {
        return Err(d.error(pos, format!("{owner} needs {key} (use !Ref MyApi)")));
    };
    let at = props.get(key).map_or(pos, |n| n.pos);
    match apis
        .iter()
        .position(|a| a.api_id == id || a.logical_id == id)
    {
        Some(i) if kind.is_some_and(|k| k != apis[i].kind) => Err(d.error(
            at,
            format!(
                "{owner}: {key} names API `{}`, which is a{} API; this resource belongs to a{} API",
                apis[i].logical_id,
                article(apis[i].kind),
                kind.map_or("", article)
            ),
        )),
        Some(i) => Ok(Some(i)),
        None => {
            d.warn(
                at,
                format!(
                    "{owner}: {key} `{id}` is not an API of this template, so nothing here \
                     serves it"
                ),
            );
            Ok(None)
        }
    }
}

fn article(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => " REST",
        ApiKind::Http => "n HTTP",
    }
}

/// Adds `stage` to `api`; a name given twice on one API is an error at both places.
pub fn add_stage(d: &mut Diags, api: &mut Api, stage: Stage) {
    // Quick create's own `$default` stage (made where the API is declared) and a `$default`
    // stage the template declares too, as SAM's output does: the declared one's settings are
    // the stage's, as `sam local` serves it.
    if stage.name == "$default"
        && api.kind == ApiKind::Http
        && let Some(made) = api
            .stages
            .iter_mut()
            .find(|s| s.name == "$default" && s.source == api.source)
    {
        *made = stage;
        return;
    }
    if let Some(existing) = api.stage(&stage.name) {
        let existing = existing.source.clone();
        let message = |other: &lambdagate_model::SourceLocation| {
            format!(
                "API `{}`: stage `{}` is declared twice: also at {other}",
                api.logical_id, stage.name
            )
        };
        d.error(
            Pos {
                line: stage.source.line,
                column: stage.source.column,
            },
            message(&existing),
        );
        d.error(
            Pos {
                line: existing.line,
                column: existing.column,
            },
            message(&stage.source),
        );
        return;
    }
    api.stages.push(stage);
}

/// Attaches every raw resource of `resources` (included ones with resolved properties) to the
/// APIs, and gathers domains and mappings.
pub fn attach(
    d: &mut Diags,
    resources: &[(&Resource, &Node)],
    apis: &mut [Api],
    domains: &mut Domains,
) {
    for &(resource, props) in resources {
        let owner = format!("resource `{}`", resource.logical_id);
        let _: R<()> = match resource.kind.as_str() {
            "AWS::ApiGateway::Stage" => stage(d, resource, props, ApiKind::Rest, &owner, apis),
            "AWS::ApiGatewayV2::Stage" => stage(d, resource, props, ApiKind::Http, &owner, apis),
            "AWS::ApiGateway::Deployment" => deployment(d, resource, props, &owner, apis),
            "AWS::ApiGateway::GatewayResponse" => {
                gateway_response(d, resource, props, &owner, apis)
            }
            "AWS::ApiGateway::DomainName" | "AWS::ApiGatewayV2::DomainName" => {
                match props::text(d, props, "DomainName", &owner) {
                    Ok(Some(name)) => {
                        domains.declare(&name, d.location(resource.pos));
                        Ok(())
                    }
                    Ok(None) => Err(d.error(resource.pos, format!("{owner} needs a DomainName"))),
                    Err(e) => Err(e),
                }
            }
            "AWS::ApiGateway::BasePathMapping" => {
                mapping(d, resource, props, ApiKind::Rest, &owner, apis, domains)
            }
            "AWS::ApiGatewayV2::ApiMapping" => {
                mapping(d, resource, props, ApiKind::Http, &owner, apis, domains)
            }
            // Resources that shape nothing a local client can observe.
            "AWS::ApiGateway::Account"
            | "AWS::ApiGateway::ClientCertificate"
            | "AWS::ApiGateway::DocumentationPart"
            | "AWS::ApiGateway::DocumentationVersion" => Ok(()),
            // Loaded by `cfn_rest.rs`, `cfn_http.rs` and `cfn_usage.rs`.
            kind if crate::cfn_rest::LOADED.contains(&kind) => Ok(()),
            // Every other API Gateway resource would change what clients get: say so once
            // rather than serve as if it were not there.
            kind if kind.starts_with("AWS::ApiGateway::")
                || kind.starts_with("AWS::ApiGatewayV2::") =>
            {
                d.warn(
                    resource.pos,
                    format!("{owner}: {kind} is not served yet; requests are answered without it"),
                );
                Ok(())
            }
            _ => Ok(()),
        };
    }
}

fn stage(
    d: &mut Diags,
    resource: &Resource,
    props: &Node,
    kind: ApiKind,
    owner: &str,
    apis: &mut [Api],
) -> R<()> {
    let (id_key, loaded) = match kind {
        ApiKind::Rest => ("RestApiId", REST_STAGE_KEYS),
        ApiKind::Http => ("ApiId", HTTP_STAGE_KEYS),
    };
    let index = api_index(d, apis, props, id_key, Some(kind), owner, resource.pos);
    let name = props::text(d, props, "StageName", owner);
    let deployment = props::text(d, props, "DeploymentId", owner);
    let description = props::text(d, props, "Description", owner);
    let (Some(index), Some(name)) = (index?, name?) else {
        if props.get("StageName").is_none() {
            return Err(d.error(resource.pos, format!("{owner} needs a StageName")));
        }
        return Ok(());
    };
    let mut stage = Stage::named(name, d.location(resource.pos));
    stage.deployment = deployment?;
    stage.description = description?;
    settings::fill_stage(d, props, kind, owner, &mut stage)?;
    warn_unloaded(d, props, loaded, owner);
    add_stage(d, &mut apis[index], stage);
    Ok(())
}

/// A deployment with `StageName` creates that stage (configured by `StageDescription`).
fn deployment(
    d: &mut Diags,
    resource: &Resource,
    props: &Node,
    owner: &str,
    apis: &mut [Api],
) -> R<()> {
    let index = api_index(
        d,
        apis,
        props,
        "RestApiId",
        Some(ApiKind::Rest),
        owner,
        resource.pos,
    )?;
    warn_unloaded(
        d,
        props,
        &["RestApiId", "StageName", "StageDescription", "Description"],
        owner,
    );
    let (Some(index), Some(name)) = (index, props::text(d, props, "StageName", owner)?) else {
        return Ok(());
    };
    let mut stage = Stage::named(name, d.location(resource.pos));
    stage.deployment = Some(resource.logical_id.clone());
    if let Some(description) = props.get("StageDescription") {
        let owner = format!("{owner}: StageDescription");
        if description.as_map().is_none() {
            return Err(d.error(description.pos, format!("{owner} must be a mapping")));
        }
        stage.description = props::text(d, description, "Description", &owner)?;
        settings::fill_stage(d, description, ApiKind::Rest, &owner, &mut stage)?;
        if let Some(setting) = settings::flat_method_setting(d, description, &owner)? {
            stage.method_settings.insert(0, setting);
        }
        warn_unloaded(d, description, STAGE_DESCRIPTION_KEYS, &owner);
    }
    add_stage(d, &mut apis[index], stage);
    Ok(())
}

fn gateway_response(
    d: &mut Diags,
    resource: &Resource,
    props: &Node,
    owner: &str,
    apis: &mut [Api],
) -> R<()> {
    let index = api_index(
        d,
        apis,
        props,
        "RestApiId",
        Some(ApiKind::Rest),
        owner,
        resource.pos,
    );
    let response = settings::cfn_gateway_response(d, props, resource.pos, owner);
    let (Some(index), response) = (index?, response?) else {
        return Ok(());
    };
    let api = &mut apis[index];
    if let Some(existing) = api
        .gateway_responses
        .iter()
        .position(|r| r.response_type == response.response_type)
    {
        d.warn(
            resource.pos,
            format!(
                "{owner}: API `{}` already customizes {} at {}; this one replaces it",
                api.logical_id, response.response_type, api.gateway_responses[existing].source
            ),
        );
        api.gateway_responses[existing] = response;
    } else {
        api.gateway_responses.push(response);
    }
    Ok(())
}

/// `AWS::ApiGateway::BasePathMapping` (`DomainName`, `RestApiId`, `Stage`, `BasePath`) or
/// `AWS::ApiGatewayV2::ApiMapping` (`DomainName`, `ApiId`, `Stage`, `ApiMappingKey`).
fn mapping(
    d: &mut Diags,
    resource: &Resource,
    props: &Node,
    kind: ApiKind,
    owner: &str,
    apis: &[Api],
    domains: &mut Domains,
) -> R<()> {
    let (id_key, path_key) = match kind {
        ApiKind::Rest => ("RestApiId", "BasePath"),
        ApiKind::Http => ("ApiId", "ApiMappingKey"),
    };
    // A REST API and an HTTP API may share a domain, and an ApiMapping may name either.
    let index = api_index(d, apis, props, id_key, None, owner, resource.pos);
    let domain = props::text(d, props, "DomainName", owner);
    let stage = props::text(d, props, "Stage", owner);
    let path = props::text(d, props, path_key, owner);
    let (index, domain, stage, path) = (index?, domain?, stage?, path?);
    let Some(domain) = domain else {
        return Err(d.error(resource.pos, format!("{owner} needs a DomainName")));
    };
    let Some(index) = index else { return Ok(()) };
    let Some(stage) = stage else {
        // Without a stage, callers name the stage after the base path; not served yet.
        d.warn(
            resource.pos,
            format!("{owner}: a mapping without Stage is not served yet; requests are answered without it"),
        );
        return Ok(());
    };
    domains.map(
        &domain,
        ApiMapping {
            api: apis[index].logical_id.clone(),
            stage,
            base_path: domains::base_path(path.as_deref()),
            source: d.location(resource.pos),
        },
    );
    Ok(())
}
