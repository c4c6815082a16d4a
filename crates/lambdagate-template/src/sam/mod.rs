//! The SAM transform: serverless resources into the model's functions and APIs.

mod api;
pub(crate) mod auth;
pub(crate) mod cors;
mod events;
mod function;
pub(crate) mod request;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lambdagate_model::{
    Api, ApiKey, ApiMapping, DomainName, Function, UnavailableFunction, UsagePlan,
};

use crate::diag::{Diags, R, Reported};
use crate::domains::{self, Domains};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;

/// What the transform builds: the parts of an [`lambdagate_model::Application`] a template
/// describes.
#[derive(Debug, Default)]
pub struct Built {
    /// Every function.
    pub functions: Vec<Function>,
    /// Every API with its stages, routes and settings.
    pub apis: Vec<Api>,
    /// Custom domains with their mappings.
    pub domains: Vec<DomainName>,
    /// API keys.
    pub api_keys: Vec<ApiKey>,
    /// Usage plans.
    pub usage_plans: Vec<UsagePlan>,
    /// Functions that cannot run here (their routes answer as AWS does when it cannot invoke).
    pub unavailable: Vec<UnavailableFunction>,
}

/// Builds every function and API of the included resources, and attaches the raw API Gateway
/// resources to them. Problems are reported to the evaluator's diagnostics; what could be
/// built is returned either way.
pub fn transform(ev: &mut Evaluator<'_>, resources: &[Resource], base: &Path) -> Built {
    let mut resolved: Vec<Option<Node>> = Vec::with_capacity(resources.len());
    let mut unresolved: HashMap<String, Vec<String>> = HashMap::new();
    for (idx, resource) in resources.iter().enumerate() {
        ev.tolerant = !crate::serving::reads_kind(&resource.kind);
        let included = ev.is_included(idx).unwrap_or(false);
        ev.tolerant = false;
        resolved.push(if included {
            let mark = ev.diags.mark();
            let (props, failed) = resolve_properties(ev, resource);
            if !failed.is_empty() && crate::cfn_rest::tolerated_kind(&resource.kind) {
                // One raw API part that cannot resolve leaves out only itself when serving.
                let what = format!("resource `{}`", resource.logical_id);
                crate::cfn_rest::tolerate::<()>(ev, mark, Err(Reported), &what);
                None
            } else {
                if !failed.is_empty() {
                    unresolved.insert(resource.logical_id.clone(), failed);
                }
                props
            }
        } else {
            None
        });
    }
    let by_kind = |kind: &'static str| {
        resources
            .iter()
            .zip(&resolved)
            .filter_map(move |(r, p)| Some((r, p.as_ref()?)).filter(|(r, _)| r.kind == kind))
    };

    let mut layers: HashMap<String, PathBuf> = HashMap::new();
    for kind in ["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"] {
        let key = if kind.contains("Serverless") {
            "ContentUri"
        } else {
            "Content"
        };
        for (resource, props) in by_kind(kind) {
            let owner = format!("layer `{}`", resource.logical_id);
            let Some(uri) = props.get(key) else {
                ev.diags.error(
                    resource.pos,
                    format!("{owner} needs {key} (its local folder)"),
                );
                continue;
            };
            // CDK writes the layer's content as an S3 asset with its local folder in Metadata;
            // `serverless package` as an S3 key whose zip lies next to the template.
            let (uri, key) = match crate::cdk::asset_of(resource, key) {
                Some(asset) if uri.as_str().is_none() => (asset, "aws:asset:path"),
                _ => (uri, key),
            };
            let packaged = crate::code::packaged(uri, base).map(|zip| Node::str(zip, uri.pos));
            let uri = packaged.as_ref().unwrap_or(uri);
            // A layer published from S3 (an artifact bucket, another pipeline's output): a
            // deploy takes it and a function runs without its content here, as with a layer
            // named by ARN; `validate` still says it is not local.
            let remote = uri.as_str().is_none_or(|u| u.starts_with("s3://"));
            if remote && !ev.strict {
                ev.diags.warn(
                    uri.pos,
                    format!(
                        "{owner}: {key} is in S3, so its content is not available locally; \
                         functions that use it run without it"
                    ),
                );
                continue;
            }
            let Ok(dir) = props::local_folder(&mut ev.diags, uri, key, &owner, base) else {
                continue;
            };
            if let Ok(Some(arn)) = ev.reference(&resource.logical_id, resource.pos)
                && let Some(arn) = arn.as_str()
            {
                layers.insert(arn.to_string(), dir);
            }
        }
    }

    let mut apis = Vec::new();
    let mut implicit = Vec::new();
    let mut api_auth: HashMap<String, auth::ApiAuth> = HashMap::new();
    // APIs whose own errors are reported: events naming them add no knock-on error.
    let mut failed_apis: Vec<String> = Vec::new();
    let mut definitions: HashMap<String, crate::openapi::Definition> = HashMap::new();
    // REST APIs whose definition the template writes: SAM adds no event to those (unless
    // `MergeDefinitions`), `sam local` serves the events anyway.
    let mut written: Vec<String> = Vec::new();
    for (resource, props) in resources.iter().zip(&resolved) {
        let Some(props) = props else { continue };
        if resource.kind == "AWS::Serverless::Api"
            && (props.get("DefinitionBody").is_some() || props.get("DefinitionUri").is_some())
            && !props
                .get("MergeDefinitions")
                .and_then(Node::scalar_text)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            written.push(resource.logical_id.clone());
        }
        if resource.kind != "AWS::Serverless::Api" && resource.kind != "AWS::Serverless::HttpApi" {
            continue;
        }
        let built = if unresolved.contains_key(&resource.logical_id) {
            // Its own errors are reported; an API built from partial properties would only
            // add knock-on errors.
            Err(Reported)
        } else {
            api::build(ev, resource, props)
        };
        if built.is_err() {
            failed_apis.push(resource.logical_id.clone());
            failed_apis.push(lambdagate_model::api_id_for(&resource.logical_id));
        }
        if let Ok((mut api, auth)) = built {
            // The definition's routes come first: SAM merges events into the document.
            let definition =
                crate::openapi::from_props(&mut ev.diags, props, &mut api, base, ev.strict);
            if let Some(defaults) = &auth {
                definition_auth(
                    &mut ev.diags,
                    &mut api,
                    defaults,
                    &definition.own_security,
                    resource.pos,
                );
            }
            definitions.insert(api.logical_id.clone(), definition);
            if let Some(auth) = auth {
                api_auth.insert(api.logical_id.clone(), auth);
            }
            if api.implicit {
                implicit.push(api);
            } else {
                apis.push(api);
            }
        }
    }
    // Implicit APIs come after the explicit ones, REST before HTTP.
    implicit.sort_by_key(|a| a.kind == lambdagate_model::ApiKind::Http);
    apis.extend(implicit);

    let mut included: Vec<(&Resource, &Node)> = resources
        .iter()
        .zip(&resolved)
        .filter_map(|(r, p)| Some((r, p.as_ref()?)))
        .collect();
    // Raw CloudFormation APIs: every route of theirs names its function by ARN or name.
    let mut raw_apis = crate::cfn_rest::build(ev, &included, base, &mut apis);
    let http = crate::cfn_http::build(ev, &included, base, &mut apis);
    // A WebSocket API is warned about once; its stages and routes are not served either.
    included.retain(|(r, p)| !(r.kind.starts_with("AWS::ApiGatewayV2::") && http.of_websocket(p)));
    raw_apis.extend(http.added);
    let mut domains = Domains::default();
    let mut api_keys = Vec::new();
    let mut usage_plans = Vec::new();
    crate::cfn::attach(&mut ev.diags, &included, &mut apis, &mut domains);
    crate::triggers::warn(&mut ev.diags, &included);
    crate::cfn_usage::build(ev, &included, &apis, &mut api_keys, &mut usage_plans);
    for &(resource, props) in &included {
        if let Some(domain) = props.get("Domain")
            && let Some(api) = apis.iter().find(|a| a.logical_id == resource.logical_id)
        {
            let _ = sam_domain(&mut ev.diags, domain, api, &mut domains);
        }
        if let Some(plan) = props.get("Auth").and_then(|a| a.get("UsagePlan"))
            && let Some(api) = apis.iter().find(|a| a.logical_id == resource.logical_id)
        {
            let _ = auth::usage_plan(&mut ev.diags, plan, api, &mut api_keys, &mut usage_plans);
        }
    }

    // The routes each API has of its own (its document's, or a raw API's methods), before the
    // functions' events add theirs.
    let own_routes: HashMap<String, usize> = apis
        .iter()
        .map(|a| (a.logical_id.clone(), a.routes.len()))
        .collect();
    let mut functions = Vec::new();
    let mut unavailable = Vec::new();
    let function_kinds =
        by_kind("AWS::Serverless::Function").chain(by_kind("AWS::Lambda::Function"));
    for (resource, props) in function_kinds {
        let failed = unresolved
            .get(&resource.logical_id)
            .map_or(&[][..], Vec::as_slice);
        match function::build(ev, resource, props, failed, base, &layers) {
            Ok(Some(function)) => functions.push(function),
            Ok(None) => {
                let text = |key: &str| props.get(key).and_then(Node::as_str).map(str::to_string);
                unavailable.push(UnavailableFunction {
                    logical_id: resource.logical_id.clone(),
                    function_name: text("FunctionName")
                        .unwrap_or_else(|| resource.logical_id.clone()),
                    runtime: if text("PackageType").as_deref() == Some("Image") {
                        "container image".to_string()
                    } else {
                        text("Runtime").unwrap_or_default()
                    },
                    source: ev.diags.location(resource.pos),
                });
            }
            Err(Reported) => {}
        }
        if let Some(events) = props.get("Events") {
            let _: Result<(), Reported> = events::add_routes(
                &mut ev.diags,
                &resource.logical_id,
                events,
                &mut apis,
                &api_auth,
                &failed_apis,
            );
        }
    }

    for api in &mut apis {
        let Some(definition) = definitions.get(&api.logical_id) else {
            continue;
        };
        for bare in &definition.bare {
            if let Some(route) = api.routes.iter_mut().find(|r| r.key == bare.key) {
                merge_definition_method(route, bare);
            } else {
                let (key, location) = (&bare.key, &bare.source);
                ev.diags.warn_at(
                    location,
                    format!(
                        "API `{}`: `{key}` has no x-amazon-apigateway-integration, so it is not \
                         served (AWS's import rejects such a method; a function event for it \
                         would add one)",
                        api.logical_id
                    ),
                );
            }
        }
    }
    // An event for a method the API already has of its own: SAM keeps the document's
    // integration (HTTP APIs), leaves a document it did not write alone (REST), and adds
    // nothing to a raw CloudFormation API, so the API's own route is served and the event only
    // grants the permission.
    for api in &mut apis {
        let documented = own_routes
            .get(&api.logical_id)
            .map_or(0, |&n| n.min(api.routes.len()));
        let keys: Vec<lambdagate_model::RouteKey> = api.routes[..documented]
            .iter()
            .map(|r| r.key.clone())
            .collect();
        let added = api.routes.split_off(documented);
        let bare: Vec<&lambdagate_model::RouteKey> = definitions
            .get(&api.logical_id)
            .map(|d| d.bare.iter().map(|r| &r.key).collect())
            .unwrap_or_default();
        let mut shadowed = Vec::new();
        for route in added {
            if keys.contains(&route.key) {
                shadowed.push((route.event_id, route.key.to_string(), route.source));
                continue;
            }
            if written.contains(&api.logical_id) && !bare.contains(&&route.key) {
                ev.diags.warn_at(
                    &route.source,
                    format!(
                        "event `{}`: `{}` is not in API `{}`'s definition; SAM adds events only \
                         to a definition it writes (or with MergeDefinitions: true), so a deploy \
                         has no such route; served here, as `sam local` serves it",
                        route.event_id, route.key, api.logical_id
                    ),
                );
            }
            api.routes.push(route);
        }
        for (event, key, source) in shadowed {
            ev.diags.warn_at(
                &source,
                format!(
                    "event `{event}`: `{key}` is already defined by API `{}` itself (its \
                     definition or its methods), which is what is served; the event only grants \
                     permission, as SAM does",
                    api.logical_id
                ),
            );
        }
    }
    for api in &mut apis {
        if let Some(cors) = &api.cors {
            let source = api.source.clone();
            let mut preflights = cors::preflight_routes(cors, &api.routes, &source);
            if let Some(defaults) = api_auth.get(&api.logical_id) {
                preflight_auth(&mut ev.diags, api, defaults, &mut preflights);
            }
            api.routes.extend(preflights);
        }
        if let Some(policy) = api_auth
            .get(&api.logical_id)
            .and_then(|a| a.resource_policy.as_ref())
        {
            // SAM writes an API's `Auth.ResourcePolicy` for every method of its definition
            // (CORS preflights included), once its paths are all there. Its errors are reported.
            let _: R<()> = api_resource_policy(&mut ev.diags, api, policy);
        }
        events::check_duplicates(&mut ev.diags, api, ev.strict);
    }
    // Lambda authorizers and OpenAPI integrations name their function by ARN or name; the
    // gateway wants the logical id.
    for api in &mut apis {
        let count = if raw_apis.contains(&api.logical_id) {
            api.routes.len()
        } else {
            definitions
                .get(&api.logical_id)
                .map_or(0, |d| d.own_security.len())
        };
        for route in api.routes.iter_mut().take(count) {
            if let lambdagate_model::IntegrationTarget::Function(name) =
                &mut route.integration.target
            {
                *name = auth::function_of(&functions, name);
                if let Some(logical_id) = crate::cfn_rest::unavailable_of(&unavailable, name) {
                    // Declared but not runnable here: warned where it is declared.
                    *name = logical_id;
                    continue;
                }
                // A function deployed elsewhere cannot run here; say so at load rather than
                // leave `validate` silent and the gateway refusing to start.
                if route.integration.kind == lambdagate_model::IntegrationType::AwsProxy
                    && !name.contains("${stageVariables.")
                    && !functions.iter().any(|f| f.logical_id == *name)
                {
                    ev.diags.warn_at(
                        &route.source,
                        format!(
                            "API `{}`: `{}` calls function `{name}`, which is not a function of \
                             this template, so it cannot be served",
                            api.logical_id, route.key
                        ),
                    );
                }
            }
        }
        for authorizer in &mut api.authorizers {
            if let lambdagate_model::AuthorizerKind::Lambda { function, .. } = &mut authorizer.kind
            {
                *function = auth::function_of(&functions, function);
                if let Some(logical_id) = crate::cfn_rest::unavailable_of(&unavailable, function) {
                    *function = logical_id;
                }
            }
        }
    }
    let domains = domains.finish(&mut ev.diags, &apis);
    Built {
        functions,
        apis,
        domains,
        api_keys,
        usage_plans,
        unavailable,
    }
}

/// An event's route for a method the OpenAPI definition declares without an integration: SAM
/// adds the event's integration to the method and keeps what the document says, so the
/// document's parameters, models, validator and operation id apply where the event sets none,
/// and its security where the event's route is open.
fn merge_definition_method(route: &mut lambdagate_model::Route, method: &lambdagate_model::Route) {
    if route.request_parameters.is_empty() {
        route.request_parameters = method.request_parameters.clone();
    }
    if route.request_models.is_empty() {
        route.request_models = method.request_models.clone();
    }
    if route.request_validator.is_none() {
        route.request_validator = method.request_validator.clone();
    }
    if route.operation_name.is_none() {
        route.operation_name = method.operation_name.clone();
    }
    if route.auth.authorization_type == lambdagate_model::AuthorizationType::None {
        route.auth = method.auth.clone();
    }
    route.api_key_required |= method.api_key_required;
}

/// SAM puts the API's `DefaultAuthorizer` and `ApiKeyRequired` on the OpenAPI definition's
/// methods that name no `security` of their own, whatever the document's top-level `security`
/// says (on OPTIONS methods only as the preflight flags allow); methods with their own
/// `security` keep it.
/// The statements of an API's `Auth.ResourcePolicy` for each of its routes.
fn api_resource_policy(d: &mut Diags, api: &mut Api, policy: &Node) -> R<()> {
    let stage = api
        .stages
        .first()
        .map_or_else(|| "Prod".to_string(), |s| s.name.clone());
    let owner = format!("API `{}`: Auth", api.logical_id);
    let mut statements = Vec::new();
    for route in &api.routes {
        if let lambdagate_model::RouteKey::MethodPath { method, path } = &route.key {
            statements.extend(crate::resource_policy::sam_statements(
                d,
                policy,
                &stage,
                (method, path),
                &owner,
            )?);
        }
    }
    crate::resource_policy::merge(&mut api.resource_policy, statements);
    Ok(())
}

fn definition_auth(
    d: &mut Diags,
    api: &mut Api,
    defaults: &auth::ApiAuth,
    own_security: &[bool],
    at: crate::node::Pos,
) {
    for (index, own) in own_security.iter().enumerate() {
        let Some(route) = api.routes.get(index) else {
            break;
        };
        if *own {
            continue;
        }
        let preflight = matches!(&route.key,
            lambdagate_model::RouteKey::MethodPath { method, .. } if method == "OPTIONS");
        // SAM writes the default as the method's own `security`, which overrides the
        // document's top-level `security` too.
        let mut method_auth = None;
        if let Some(name) = &defaults.default_authorizer
            && (!preflight || defaults.preflight_authorizer)
        {
            method_auth =
                auth::authorize_with(d, api, defaults, name, None, "OpenAPI method", at).ok();
        }
        let key_required = defaults.api_key_required && (!preflight || defaults.preflight_api_key);
        if let Some(route) = api.routes.get_mut(index) {
            if let Some(method_auth) = method_auth {
                route.auth = method_auth;
            }
            route.api_key_required |= key_required;
        }
    }
}

/// SAM puts the default authorizer and the API-key requirement on the CORS preflight methods
/// too, unless `AddDefaultAuthorizerToCorsPreflight` / `AddApiKeyRequiredToCorsPreflight` is
/// false.
fn preflight_auth(
    d: &mut Diags,
    api: &Api,
    defaults: &auth::ApiAuth,
    routes: &mut [lambdagate_model::Route],
) {
    for route in routes {
        if defaults.preflight_authorizer
            && let Some(name) = &defaults.default_authorizer
        {
            let at = crate::node::Pos {
                line: route.source.line,
                column: route.source.column,
            };
            if let Ok(auth) =
                auth::authorize_with(d, api, defaults, name, None, "CORS preflight", at)
            {
                route.auth = auth;
            }
        }
        route.api_key_required = defaults.preflight_api_key && defaults.api_key_required;
    }
}

/// SAM's `Domain` on an API: `DomainName` and `BasePath` (one or a list; `/` or none is the
/// root), mapped to the stage SAM creates. Certificates, endpoint and Route 53 settings only
/// matter in AWS and are ignored.
fn sam_domain(
    d: &mut Diags,
    node: &Node,
    api: &Api,
    domains: &mut Domains,
) -> Result<(), Reported> {
    let owner = format!("API `{}`: Domain", api.logical_id);
    if node.as_map().is_none() {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping with a DomainName"),
        ));
    }
    let Some(name) = props::text(d, node, "DomainName", &owner)? else {
        return Err(d.error(node.pos, format!("{owner} needs a DomainName")));
    };
    domains.declare(&name, d.location(node.pos));
    let Some(stage) = api.stages.first() else {
        return Ok(());
    };
    let paths: Vec<(Option<String>, crate::node::Pos)> = match node.get("BasePath") {
        None => vec![(None, node.pos)],
        Some(list) => match list.as_seq() {
            Some(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item.scalar_text() {
                        Some(p) => out.push((Some(p), item.pos)),
                        None => {
                            return Err(d.error(
                                item.pos,
                                format!(
                                    "{owner}: BasePath must hold strings, not {}",
                                    item.kind_name()
                                ),
                            ));
                        }
                    }
                }
                out
            }
            None => vec![(props::text(d, node, "BasePath", &owner)?, list.pos)],
        },
    };
    for (path, pos) in paths {
        domains.map(
            &name,
            ApiMapping {
                api: api.logical_id.clone(),
                stage: stage.name.clone(),
                base_path: domains::base_path(path.as_deref()),
                source: d.location(pos),
            },
        );
    }
    Ok(())
}

/// Resolves a resource's properties one top-level property at a time, so an error in one
/// property (a `Ref` to nothing, say) does not hide independent errors in the others. Returns
/// the properties that resolved and the names of those that did not (already reported).
/// Properties serving does not depend on are resolved tolerantly (see `serving.rs`).
fn resolve_properties(ev: &mut Evaluator<'_>, resource: &Resource) -> (Option<Node>, Vec<String>) {
    let properties = &resource.properties;
    let crate::node::Value::Map(entries) = &properties.value else {
        return (ev.resolve(properties).ok().flatten(), Vec::new());
    };
    if properties.intrinsic().is_some() {
        return (ev.resolve(properties).ok().flatten(), Vec::new());
    }
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = Vec::new();
    for (key, value) in entries {
        ev.tolerant = !crate::serving::resource_depends_on(resource, &key.name);
        let result = ev.resolve(value);
        ev.tolerant = false;
        match result {
            Ok(Some(v)) => out.push((key.clone(), v)),
            Ok(None) => {}
            Err(Reported) => failed.push(key.name.clone()),
        }
    }
    (
        Some(Node::new(crate::node::Value::Map(out), properties.pos)),
        failed,
    )
}
