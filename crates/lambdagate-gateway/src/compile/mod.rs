//! Compiling an application's APIs once, at load time: routers, stages (with their canaries and
//! resolved functions), integrations, gateway responses, and the custom-domain mapping table.
//!
//! Addressing follows AWS by default: a REST API's stages under `/{stage}/…`, an HTTP API's
//! `$default` stage at the root and its named stages under `/{stage}/…`. Without stage prefixes
//! every API is served at the root (what `sam local start-api` does). All APIs share one port, so
//! all are compiled into one router; a second router per API serves host-based addressing
//! (`{apiLogicalId}.localhost`), and a third, without any prefix, serves custom domains, whose
//! base path is stripped before routing.

pub mod authorizers;
mod domains;
pub mod guards;
mod stages;
mod warnings;

use std::collections::HashMap;
use std::time::Duration;

use lambdagate_model::aws::short_id_for;
use lambdagate_model::{
    Api, ApiKind, Application, Cors, IntegrationTarget, IntegrationType, PayloadFormat, RouteKey,
    Stage,
};

use crate::backend::FunctionHandle;
use crate::cors::CorsPolicy;
use crate::integration::{
    AwsService, AwsSubtype, CompiledIntegration, FunctionTarget, HttpIntegration, LambdaCustom,
    LambdaProxy, Mock,
};
use crate::responses::custom::{GatewayResponseError, GatewayResponses};
use crate::router::{AnyMethod, Router, Segment, parse_template};
use crate::stages::authorize::resource_policy::ResourcePolicy;
use authorizers::{CompiledAuthorizer, RouteAuth, compile_authorizers, route_auth};
use domains::{DomainTable, compile_domains};
use stages::compile_stage;
use warnings::not_enforced;

/// REST's maximum integration timeout.
pub const REST_MAX_TIMEOUT: Duration = Duration::from_millis(29_000);
/// HTTP API's maximum integration timeout.
pub const HTTP_MAX_TIMEOUT: Duration = Duration::from_millis(30_000);

/// How APIs are addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addressing {
    /// Serve REST stages and named HTTP API stages under `/{stage}` (AWS's addressing).
    pub stage_prefix: bool,
}

/// Why an application cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Two routes claim the same method and path at the same address.
    #[error(
        "{method} {address} is claimed by both {first} and {second}; serve them apart with \
         --stage-prefix (AWS's /{{stage}} addressing) or give them different paths; each API \
         is also always reachable by host name as http://{{ApiLogicalId}}.localhost:PORT/"
    )]
    Conflict {
        /// The method.
        method: String,
        /// The path as served.
        address: String,
        /// The route already there (`Api` route at file:line:col).
        first: String,
        /// The route that clashes.
        second: String,
    },
    /// A route path that is not a valid template.
    #[error("{location}: {message}")]
    BadRoute {
        /// Where the route is defined.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A customized gateway response that cannot be served.
    #[error(transparent)]
    GatewayResponse(#[from] GatewayResponseError),
    /// A custom domain mapping that cannot be served.
    #[error("{location}: {message}")]
    BadMapping {
        /// Where the mapping is defined.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// One route of an API, compiled.
#[derive(Debug)]
pub struct RouteRuntime {
    /// `GET`, …, `ANY` (`ANY` for `$default`).
    pub method: String,
    /// The path template (`/items/{id}`), or `$default`.
    pub path: String,
    /// `GET /items/{id}` or `$default`.
    pub route_key: String,
    /// A stable `resourceId` for the route's path.
    pub resource_id: String,
    /// The method's `OperationName` (OpenAPI `operationId`): REST events'
    /// `requestContext.operationName` (HTTP API events carry none, see the event builder).
    pub operation_name: Option<String>,
    /// The backend.
    pub integration: CompiledIntegration,
    /// Who may call it.
    pub auth: RouteAuth,
    /// REST `ApiKeyRequired`.
    pub api_key_required: bool,
    /// What the method's request validator checks, when it checks anything.
    pub validation: Option<crate::validation::Validation>,
    /// The stage cache key's parameters.
    pub cache_key: Vec<(lambdagate_model::ParameterLocation, String)>,
}

/// A deployment as a stage serves it: its variables and the functions they select.
#[derive(Debug, Clone)]
pub struct StageVariant {
    /// `deploymentId`.
    pub deployment_id: String,
    /// Stage variables in order (for a canary: the stage's, with its overrides applied).
    pub variables: Vec<(String, String)>,
    /// Whether this is the stage's canary.
    pub is_canary: bool,
    /// Per route: the function a `${stageVariables.x}` integration resolves to here (`Err` says
    /// why none), `None` for routes whose target does not depend on stage variables.
    pub functions: Vec<Option<Result<FunctionHandle, String>>>,
}

/// A canary release of a stage.
#[derive(Debug, Clone)]
pub struct Canary {
    /// Share of requests, 0.0 to 100.0.
    pub percent: f64,
    /// What canary requests are served by.
    pub variant: StageVariant,
}

/// A stage, compiled.
#[derive(Debug, Clone)]
pub struct StageRuntime {
    /// Stage name.
    pub name: String,
    /// The stage's own deployment.
    pub base: StageVariant,
    /// Its canary, when it has one.
    pub canary: Option<Canary>,
    /// Throttles, cache rules and API keys on this stage.
    pub guards: std::sync::Arc<guards::StageGuards>,
}

/// One API, compiled.
#[derive(Debug)]
pub struct ApiRuntime {
    /// Logical id.
    pub logical_id: String,
    /// REST or HTTP.
    pub kind: ApiKind,
    /// API id.
    pub api_id: String,
    /// Stages (at least one).
    pub stages: Vec<StageRuntime>,
    /// REST binary media types.
    pub binary_media_types: Vec<String>,
    /// REST `ApiKeySource`.
    pub api_key_source: lambdagate_model::ApiKeySource,
    /// HTTP API CORS.
    pub cors: Option<CorsPolicy>,
    /// Routes in template order.
    pub routes: Vec<RouteRuntime>,
    /// The `$default` route, when there is one.
    pub default_route: Option<usize>,
    /// Customized gateway responses.
    pub gateway_responses: GatewayResponses,
    /// The API's authorizers, which routes name by index.
    pub authorizers: Vec<CompiledAuthorizer>,
    /// The REST API's resource policy, when it has one.
    pub resource_policy: Option<ResourcePolicy>,
    /// The API's routes without any prefix (custom domains strip their base path first).
    pub plain: Router<usize>,
}

/// Where a route lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// API index.
    pub api: usize,
    /// Stage index.
    pub stage: usize,
    /// Route index.
    pub route: usize,
    /// How many leading path segments are the stage prefix (0 or 1).
    pub prefix: usize,
}

/// A stage served at an address: the root, or `/{stage}`.
#[derive(Debug, Clone)]
pub(crate) struct Mount {
    pub(crate) api: usize,
    pub(crate) stage: usize,
    pub(crate) prefix: Option<String>,
}

/// An API mapping of a custom domain, compiled.
#[derive(Debug, Clone)]
pub(crate) struct DomainMount {
    pub(crate) api: usize,
    pub(crate) stage: usize,
    /// The base path as written (`orders/v1`), empty for the root mapping.
    pub(crate) base_path: String,
    /// Its segments.
    pub(crate) segments: Vec<String>,
}

/// A line of the startup route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// API logical id.
    pub api: String,
    /// Method (or `ANY`).
    pub method: String,
    /// Path as served (stage prefix included).
    pub path: String,
    /// Function logical id, or `(mock)`.
    pub target: String,
}

/// The compiled application.
#[derive(Debug)]
pub struct CompiledApp {
    /// Account id for events.
    pub account_id: String,
    /// Region for ARNs.
    pub region: String,
    /// APIs in template order.
    pub apis: Vec<ApiRuntime>,
    pub(crate) shared: Router<Target>,
    pub(crate) by_host: HashMap<String, (usize, Router<Target>)>,
    pub(crate) mounts: Vec<Mount>,
    /// Custom domains (lower-case) → mappings, longest base path first.
    pub(crate) domains: DomainTable,
    rows: Vec<RouteRow>,
    domain_rows: Vec<String>,
    warnings: Vec<String>,
}

/// The REST API's resource policy, its unevaluable parts said; HTTP APIs have none on AWS.
fn resource_policy(
    app: &Application,
    api: &Api,
    warnings: &mut Vec<String>,
) -> Option<ResourcePolicy> {
    if api.resource_policy.is_empty() {
        return None;
    }
    if api.kind == ApiKind::Http {
        warnings.push(format!(
            "{}: API {} has a resource policy, which HTTP APIs do not support; it is not applied",
            api.source, api.logical_id
        ));
        return None;
    }
    let compiled = ResourcePolicy::compile(
        &api.resource_policy,
        &app.region,
        &app.account_id,
        &api.api_id,
    );
    Some(match compiled {
        Ok((policy, notes)) => {
            warnings.extend(notes.into_iter().map(|note| {
                format!(
                    "{}: API {}'s resource policy: {note}",
                    api.source, api.logical_id
                )
            }));
            policy
        }
        Err(why) => {
            warnings.push(format!(
                "{}: API {}'s resource policy cannot be read ({why}); every request to the API                  is refused, as a deploy would refuse the policy",
                api.source, api.logical_id
            ));
            ResourcePolicy::refuse_all(&why)
        }
    })
}

fn compile_api(
    app: &Application,
    api: &Api,
    warnings: &mut Vec<String>,
) -> Result<ApiRuntime, CompileError> {
    let cap = match api.kind {
        ApiKind::Rest => REST_MAX_TIMEOUT,
        ApiKind::Http => HTTP_MAX_TIMEOUT,
    };
    let authorizers = compile_authorizers(app, api, warnings);
    let resource_policy = resource_policy(app, api, warnings);
    let mut routes = Vec::with_capacity(api.routes.len());
    let mut default_route = None;
    let mut models = crate::validation::Models::new(api);
    let mut plain = Router::new();
    for route in &api.routes {
        let (method, path) = match &route.key {
            RouteKey::MethodPath { method, path } => (method.to_ascii_uppercase(), path.clone()),
            RouteKey::Default => {
                default_route.get_or_insert(routes.len());
                ("ANY".to_string(), "$default".to_string())
            }
        };
        let integration = &route.integration;
        let method_statuses: Vec<u16> = route
            .method_responses
            .iter()
            .map(|m| m.status_code)
            .collect();
        // The integration timeout is API Gateway's own (TimeoutInMillis, else the API kind's
        // maximum). A function that exceeds its own Timeout first is stopped by the function
        // service and answers a function error, which API Gateway maps to 502 (REST) / 500
        // (HTTP API), not to an integration timeout.
        let timeout = integration
            .timeout_ms
            .map_or(cap, |ms| Duration::from_millis(u64::from(ms)))
            .min(cap);
        // What an integration's compilation notes (accepted, not enforced) becomes warnings.
        let mut notes = Vec::new();
        let compiled = match (integration.kind, &integration.target) {
            (
                kind @ (IntegrationType::AwsProxy | IntegrationType::Aws),
                IntegrationTarget::Function(function),
            ) => {
                let target = if function.contains("${stageVariables.") {
                    Some(FunctionTarget::StageVariable(function.clone()))
                } else if let Some(index) = app.function_index(function) {
                    Some(FunctionTarget::Fixed(FunctionHandle {
                        index,
                        name: app.functions[index].logical_id.as_str().into(),
                    }))
                } else if app.unavailable_function(function).is_some() {
                    None
                } else {
                    // A deploy would refuse it; `sam local` serves the rest of the API, and the
                    // route answers as API Gateway does when it cannot invoke a function.
                    warnings.push(format!(
                        "{}: route {} invokes function `{function}`, which the template does not \
                         have; it answers 500 Internal server error",
                        route.source, route.key
                    ));
                    None
                };
                match (target, app.unavailable_function(function)) {
                    (Some(function), _) if kind == IntegrationType::Aws => {
                        match LambdaCustom::compile(
                            integration,
                            &method_statuses,
                            function,
                            timeout,
                        ) {
                            Ok(custom) => CompiledIntegration::LambdaCustom(custom),
                            Err(why) => broken(warnings, route, api, why),
                        }
                    }
                    (Some(function), _) => CompiledIntegration::LambdaProxy(LambdaProxy {
                        function,
                        payload: match api.kind {
                            ApiKind::Rest => PayloadFormat::V1,
                            ApiKind::Http => integration.payload_format,
                        },
                        timeout,
                    }),
                    // Warned about at load; answered as AWS does when it cannot invoke.
                    (None, f) => CompiledIntegration::Unavailable(f.map_or_else(
                        || format!("function {function} cannot run here"),
                        |f| {
                            format!(
                                "function {} uses runtime `{}`, which lambdagate cannot run",
                                f.logical_id, f.runtime
                            )
                        },
                    )),
                }
            }
            (IntegrationType::Mock, _) => match Mock::compile(integration, &method_statuses) {
                Ok(mock) => CompiledIntegration::Mock(mock),
                Err(why) => broken(warnings, route, api, why),
            },
            (IntegrationType::HttpProxy, _) | (IntegrationType::Http, _)
                if integration.kind == IntegrationType::HttpProxy || api.kind == ApiKind::Rest =>
            {
                let compiled = HttpIntegration::compile(
                    api.kind,
                    integration,
                    &method_statuses,
                    &path,
                    timeout,
                    crate::integration::http_client::private_targets(),
                    &mut notes,
                );
                match compiled {
                    Ok(http) => CompiledIntegration::Http(http),
                    Err(why) => broken(warnings, route, api, why),
                }
            }
            // Lambda ARNs that name no function of the app stay unsupported below.
            (IntegrationType::Aws, IntegrationTarget::Uri(uri))
                if api.kind == ApiKind::Rest
                    && crate::integration::aws_service::ServiceUri::parse(uri)
                        .map_or(true, |u| u.service != "lambda") =>
            {
                let compiled =
                    AwsService::compile(integration, &method_statuses, timeout, &mut notes);
                match compiled {
                    Ok(service) => CompiledIntegration::AwsService(service),
                    Err(why) => broken(warnings, route, api, why),
                }
            }
            (IntegrationType::AwsProxy, IntegrationTarget::None)
                if api.kind == ApiKind::Http && integration.subtype.is_some() =>
            {
                let compiled = AwsSubtype::compile(integration, timeout, &mut notes);
                match compiled {
                    Ok(service) => CompiledIntegration::AwsSubtype(service),
                    Err(why) => broken(warnings, route, api, why),
                }
            }
            (kind, _) => {
                warnings.push(format!(
                    "{}: {} on API {} uses a {kind} integration, which lambdagate does not \
                     serve yet; it answers 500 Internal server error",
                    route.source, route.key, api.logical_id
                ));
                CompiledIntegration::Unsupported(kind)
            }
        };
        warnings.extend(notes.into_iter().map(|note| {
            format!(
                "{}: {} on API {}: {note}",
                route.source, route.key, api.logical_id
            )
        }));
        if let Some(role) = &integration.credentials {
            // Read and not enforced: said, never dropped silently.
            warnings.push(format!(
                "{}: {} on API {}: the integration's credentials ({role}) are accepted and not \
                 assumed; lambdagate calls the backend with its own credentials, so the role's \
                 permissions are not enforced",
                route.source, route.key, api.logical_id
            ));
        }
        if path != "$default" {
            let segments = parse_template(&path).map_err(|e| CompileError::BadRoute {
                location: route.source.to_string(),
                message: e.to_string(),
            })?;
            // Duplicates were refused by the shared router's checks or by the loader.
            let _ = plain.insert(&method, &segments, any_method(api.kind), routes.len());
        }
        let validation = match api.kind {
            ApiKind::Rest => crate::validation::compile_route(api, route, &mut models),
            ApiKind::Http => None,
        };
        for (content_type, model) in validation
            .as_ref()
            .and_then(|v| v.body.as_ref())
            .into_iter()
            .flatten()
        {
            if let Err(why) = model {
                warnings.push(format!(
                    "{}: {} on API {}: the request model for {content_type} cannot be used \
                     ({why}); requests with a body of that type answer 500 Internal server error",
                    route.source, route.key, api.logical_id
                ));
            }
        }
        routes.push(RouteRuntime {
            route_key: route.key.to_string(),
            resource_id: short_id_for(&format!("{}{}", api.logical_id, path), 6),
            operation_name: route.operation_name.clone(),
            method,
            path,
            integration: compiled,
            auth: route_auth(api, route, &authorizers, warnings),
            api_key_required: api.kind == ApiKind::Rest && route.api_key_required,
            validation,
            cache_key: guards::cache_key_parameters(route),
        });
    }
    // An API without stages is served on the stage SAM would deploy.
    let stage_models: Vec<Stage> = if api.stages.is_empty() {
        let name = match api.kind {
            ApiKind::Rest => "Prod",
            ApiKind::Http => "$default",
        };
        vec![Stage::named(name, api.source.clone())]
    } else {
        api.stages.clone()
    };
    let mut stages: Vec<StageRuntime> = Vec::with_capacity(stage_models.len());
    for stage in &stage_models {
        let mut compiled = compile_stage(app, api, stage, &routes, warnings);
        let g = guards::compile(app, api, stage, &routes);
        guards::warnings(api, stage, &routes, &g, warnings);
        compiled.guards = std::sync::Arc::new(g);
        stages.push(compiled);
    }
    not_enforced(api, warnings);
    Ok(ApiRuntime {
        logical_id: api.logical_id.clone(),
        kind: api.kind,
        api_id: api.api_id.clone(),
        stages,
        binary_media_types: api.binary_media_types.clone(),
        api_key_source: api.api_key_source,
        cors: match &api.cors {
            Some(Cors::Http(config)) if api.kind == ApiKind::Http => Some(CorsPolicy::new(config)),
            _ => None,
        },
        routes,
        default_route,
        gateway_responses: GatewayResponses::compile(&api.gateway_responses)?,
        authorizers,
        resource_policy,
        plain,
    })
}

/// An integration that cannot be compiled: said at startup, answered with 500 (AWS refuses to
/// deploy it, so `validate` reports it too).
fn broken(
    warnings: &mut Vec<String>,
    route: &lambdagate_model::Route,
    api: &Api,
    why: String,
) -> CompiledIntegration {
    warnings.push(format!(
        "{}: {} on API {}: {why}; the route answers 500 Internal server error",
        route.source, route.key, api.logical_id
    ));
    CompiledIntegration::Broken(why)
}

fn any_method(kind: ApiKind) -> AnyMethod {
    match kind {
        ApiKind::Rest => AnyMethod::Standard,
        ApiKind::Http => AnyMethod::All,
    }
}

fn mounts_for(api_index: usize, api: &ApiRuntime, addressing: Addressing) -> Vec<Mount> {
    if !addressing.stage_prefix {
        // At the root only one stage can be served: the first (SAM deploys exactly one).
        return vec![Mount {
            api: api_index,
            stage: 0,
            prefix: None,
        }];
    }
    api.stages
        .iter()
        .enumerate()
        .map(|(i, s)| Mount {
            api: api_index,
            stage: i,
            prefix: (api.kind == ApiKind::Rest || s.name != "$default").then(|| s.name.clone()),
        })
        .collect()
}

impl CompiledApp {
    /// Compiles every API of `app`.
    pub fn compile(app: &Application, addressing: Addressing) -> Result<CompiledApp, CompileError> {
        let mut warnings = Vec::new();
        let apis = app
            .apis
            .iter()
            .map(|api| compile_api(app, api, &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
        let mut shared = Router::new();
        let mut by_host = HashMap::new();
        let mut mounts = Vec::new();
        let mut rows = Vec::new();
        for (api_index, api) in apis.iter().enumerate() {
            let mut own = Router::new();
            let api_mounts = mounts_for(api_index, api, addressing);
            for mount in &api_mounts {
                for (route_index, route) in api.routes.iter().enumerate() {
                    let source = &app.apis[api_index].routes[route_index].source;
                    let target_name = match &route.integration {
                        CompiledIntegration::LambdaProxy(l) => match &l.function {
                            FunctionTarget::Fixed(f) => f.name.to_string(),
                            FunctionTarget::StageVariable(t) => t.clone(),
                        },
                        CompiledIntegration::LambdaCustom(l) => match &l.function {
                            FunctionTarget::Fixed(f) => format!("{} (custom)", f.name),
                            FunctionTarget::StageVariable(t) => format!("{t} (custom)"),
                        },
                        CompiledIntegration::Mock(_) => "(mock)".to_string(),
                        CompiledIntegration::Http(p) => p.describe(),
                        CompiledIntegration::AwsService(s) => s.describe(),
                        CompiledIntegration::AwsSubtype(s) => s.describe(),
                        CompiledIntegration::Broken(_) => "(broken mapping, answers 500)".into(),
                        CompiledIntegration::Unsupported(kind) => format!("({kind}, not served)"),
                        CompiledIntegration::Unavailable(_) => {
                            "(function not runnable here)".into()
                        }
                    };
                    let prefix = mount.prefix.as_deref().map(|p| format!("/{p}"));
                    let served = match (&prefix, route.path.as_str()) {
                        (p, "$default") => format!("{}/*", p.as_deref().unwrap_or("")),
                        (Some(p), "/") => p.clone(),
                        (p, path) => format!("{}{path}", p.as_deref().unwrap_or("")),
                    };
                    rows.push(RouteRow {
                        api: api.logical_id.clone(),
                        method: route.method.clone(),
                        path: served,
                        target: target_name,
                    });
                    if route.path == "$default" {
                        continue;
                    }
                    let mut segments = Vec::new();
                    if let Some(p) = &mount.prefix {
                        segments.push(Segment::Literal(p.clone()));
                    }
                    segments.extend(parse_template(&route.path).map_err(|e| {
                        CompileError::BadRoute {
                            location: source.to_string(),
                            message: e.to_string(),
                        }
                    })?);
                    let target = Target {
                        api: api_index,
                        stage: mount.stage,
                        route: route_index,
                        prefix: usize::from(mount.prefix.is_some()),
                    };
                    let any = any_method(api.kind);
                    let describe = |t: &Target| {
                        let a = &apis[t.api];
                        format!(
                            "{} ({} at {})",
                            a.logical_id,
                            a.routes[t.route].route_key,
                            app.apis[t.api].routes[t.route].source
                        )
                    };
                    if let Err(dup) = shared.insert(&route.method, &segments, any, target) {
                        // Two APIs are two hosts on AWS: the one listed first keeps the shared
                        // address, the other answers at its own host name. Within one API a
                        // clash is the template's mistake.
                        if dup.existing.api == target.api {
                            return Err(CompileError::Conflict {
                                method: route.method.clone(),
                                address: dup.path.clone(),
                                first: describe(&dup.existing),
                                second: describe(&target),
                            });
                        }
                        rows.pop();
                        warnings.push(format!(
                            "{} {} is claimed by both {} and {}: the first is served there, the \
                             second at http://{}.localhost:PORT{} (its host name), or apart \
                             with --stage-prefix",
                            route.method,
                            dup.path,
                            describe(&dup.existing),
                            describe(&target),
                            api.logical_id.to_ascii_lowercase(),
                            dup.path,
                        ));
                    }
                    // Same shapes as above, so this cannot clash where the shared one did not.
                    let _ = own.insert(&route.method, &segments, any, target);
                }
            }
            by_host.insert(api.logical_id.to_ascii_lowercase(), (api_index, own));
            mounts.extend(api_mounts);
        }
        // Longest prefix first, so an address is owned by the most specific mount.
        mounts.sort_by_key(|m| std::cmp::Reverse(m.prefix.is_some()));
        let (domains, domain_rows) = compile_domains(app, &apis)?;
        Ok(CompiledApp {
            account_id: app.account_id.clone(),
            region: app.region.clone(),
            apis,
            shared,
            by_host,
            mounts,
            domains,
            rows,
            domain_rows,
            warnings,
        })
    }

    /// The route table for the startup output.
    pub fn route_rows(&self) -> &[RouteRow] {
        &self.rows
    }

    /// The custom domains for the startup output (`domain/base -> API (stage)`).
    pub fn domain_rows(&self) -> &[String] {
        &self.domain_rows
    }

    /// What a deploy to AWS would refuse (mapping templates or selection patterns that do not
    /// compile), one sentence each; those routes answer 500 when served anyway.
    pub fn deploy_errors(&self) -> Vec<String> {
        self.apis
            .iter()
            .flat_map(|api| {
                api.routes
                    .iter()
                    .filter_map(move |route| match &route.integration {
                        CompiledIntegration::Broken(why) => Some(format!(
                            "{} on API {}: {why}",
                            route.route_key, api.logical_id
                        )),
                        _ => None,
                    })
            })
            .collect()
    }

    /// What the application asks for that is not served or not enforced, one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}
