//! Compiling an application's APIs into routers and per-route settings, once, at load time.
//!
//! Addressing follows AWS by default: a REST API's stages under `/{stage}/…`, an HTTP API's
//! `$default` stage at the root and its named stages under `/{stage}/…`. Without stage prefixes
//! every API is served at the root (what `sam local start-api` does). All APIs share one port, so
//! all are compiled into one router; a second router per API serves host-based addressing
//! (`{apiLogicalId}.localhost`).

use std::collections::HashMap;
use std::time::Duration;

use lambdagate_model::{Api, ApiKind, Application, Cors, IntegrationType, PayloadFormat, RouteKey};

use crate::cors::CorsPolicy;
use crate::router::{AnyMethod, Router, Segment, Span, parse_template, path_segments};

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
    /// A route naming a function the application does not have.
    #[error("{location}: route {route} invokes unknown function `{function}`")]
    UnknownFunction {
        /// Where the route is defined.
        location: String,
        /// The route key.
        route: String,
        /// The function named.
        function: String,
    },
}

/// A route's backend, resolved.
#[derive(Debug, Clone)]
pub enum RouteIntegration {
    /// Lambda proxy integration.
    Lambda {
        /// The function's logical id.
        function: String,
        /// Payload format version.
        payload: PayloadFormat,
        /// Integration timeout (the function's own, capped per API kind, or `TimeoutInMillis`).
        timeout: Duration,
    },
    /// A fixed answer.
    Mock(MockResponse),
}

/// A mock integration's answer.
#[derive(Debug, Clone)]
pub struct MockResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

/// One route of an API, compiled.
#[derive(Debug, Clone)]
pub struct RouteRuntime {
    /// `GET`, …, `ANY` (`ANY` for `$default`).
    pub method: String,
    /// The path template (`/items/{id}`), or `$default`.
    pub path: String,
    /// `GET /items/{id}` or `$default`.
    pub route_key: String,
    /// A stable `resourceId` for the route's path.
    pub resource_id: String,
    /// The backend.
    pub integration: RouteIntegration,
}

/// A stage, compiled.
#[derive(Debug, Clone)]
pub struct StageRuntime {
    /// Stage name.
    pub name: String,
    /// Stage variables in order.
    pub variables: Vec<(String, String)>,
}

/// One API, compiled.
#[derive(Debug, Clone)]
pub struct ApiRuntime {
    /// Logical id.
    pub logical_id: String,
    /// REST or HTTP.
    pub kind: ApiKind,
    /// API id.
    pub api_id: String,
    /// A stable `deploymentId`.
    pub deployment_id: String,
    /// Stages (at least one).
    pub stages: Vec<StageRuntime>,
    /// REST binary media types.
    pub binary_media_types: Vec<String>,
    /// HTTP API CORS.
    pub cors: Option<CorsPolicy>,
    /// Routes in template order.
    pub routes: Vec<RouteRuntime>,
    /// The `$default` route, when there is one.
    pub default_route: Option<usize>,
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
struct Mount {
    api: usize,
    stage: usize,
    prefix: Option<String>,
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

/// The result of selecting a route for a request.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// The API that owns the address.
    pub api: usize,
    /// Its stage.
    pub stage: usize,
    /// Stage prefix segments (0 or 1).
    pub prefix: usize,
    /// The route, when one matched (including `$default`).
    pub route: Option<usize>,
    /// Path variables as spans of the raw path.
    pub params: Vec<(&'a str, Span)>,
}

/// The compiled application.
#[derive(Debug)]
pub struct CompiledApp {
    /// Account id for events.
    pub account_id: String,
    /// APIs in template order.
    pub apis: Vec<ApiRuntime>,
    shared: Router<Target>,
    by_host: HashMap<String, (usize, Router<Target>)>,
    mounts: Vec<Mount>,
    rows: Vec<RouteRow>,
}

fn short_hash(text: &str, len: usize) -> String {
    let id = lambdagate_model::api_id_for(text);
    id[..len.min(id.len())].to_string()
}

fn compile_api(app: &Application, api: &Api) -> Result<ApiRuntime, CompileError> {
    let mut stages: Vec<StageRuntime> = api
        .stages
        .iter()
        .map(|s| StageRuntime {
            name: s.name.clone(),
            variables: s
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
        .collect();
    if stages.is_empty() {
        stages.push(StageRuntime {
            name: match api.kind {
                ApiKind::Rest => "Prod".to_string(),
                ApiKind::Http => "$default".to_string(),
            },
            variables: Vec::new(),
        });
    }
    let cap = match api.kind {
        ApiKind::Rest => REST_MAX_TIMEOUT,
        ApiKind::Http => HTTP_MAX_TIMEOUT,
    };
    let mut routes = Vec::with_capacity(api.routes.len());
    let mut default_route = None;
    for route in &api.routes {
        let (method, path) = match &route.key {
            RouteKey::MethodPath { method, path } => (method.to_ascii_uppercase(), path.clone()),
            RouteKey::Default => {
                default_route.get_or_insert(routes.len());
                ("ANY".to_string(), "$default".to_string())
            }
        };
        let integration = match route.integration.kind {
            IntegrationType::AwsProxy => {
                let function = route.integration.function().unwrap_or_default();
                let payload_format = &route.integration.payload_format;
                let timeout_ms = &route.integration.timeout_ms;
                let Some(f) = app.function(function) else {
                    return Err(CompileError::UnknownFunction {
                        location: route.source.to_string(),
                        route: route.key.to_string(),
                        function: function.to_string(),
                    });
                };
                // The integration timeout is API Gateway's own (TimeoutInMillis, else the API
                // kind's maximum). A function that exceeds its own Timeout first is stopped by
                // the function service and answers a function error, which API Gateway maps to
                // 502 (REST) / 500 (HTTP API), not to an integration timeout.
                let timeout = match timeout_ms {
                    Some(ms) => Duration::from_millis(u64::from(*ms)),
                    None => cap,
                };
                RouteIntegration::Lambda {
                    function: f.logical_id.clone(),
                    payload: match api.kind {
                        ApiKind::Rest => PayloadFormat::V1,
                        ApiKind::Http => *payload_format,
                    },
                    timeout: timeout.min(cap),
                }
            }
            _ => {
                let response = route.integration.integration_responses.first();
                RouteIntegration::Mock(MockResponse {
                    status: response.map_or(200, |r| r.status_code),
                    headers: response
                        .map(|r| {
                            r.response_parameters
                                .iter()
                                .filter_map(|(k, v)| {
                                    let name = k.strip_prefix("method.response.header.")?;
                                    let value = v.strip_prefix('\'')?.strip_suffix('\'')?;
                                    Some((name.to_string(), value.to_string()))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    body: response
                        .and_then(|r| r.response_templates.first())
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default(),
                })
            }
        };
        routes.push(RouteRuntime {
            route_key: route.key.to_string(),
            resource_id: short_hash(&format!("{}{}", api.logical_id, path), 6),
            method,
            path,
            integration,
        });
    }
    Ok(ApiRuntime {
        logical_id: api.logical_id.clone(),
        kind: api.kind,
        api_id: api.api_id.clone(),
        deployment_id: short_hash(&format!("deployment:{}", api.logical_id), 6),
        stages,
        binary_media_types: api.binary_media_types.clone(),
        cors: match &api.cors {
            Some(Cors::Http(config)) if api.kind == ApiKind::Http => Some(CorsPolicy::new(config)),
            _ => None,
        },
        routes,
        default_route,
    })
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
        let apis = app
            .apis
            .iter()
            .map(|api| compile_api(app, api))
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
                        RouteIntegration::Lambda { function, .. } => function.clone(),
                        RouteIntegration::Mock(_) => "(mock)".to_string(),
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
                    let any = match api.kind {
                        ApiKind::Rest => AnyMethod::Standard,
                        ApiKind::Http => AnyMethod::All,
                    };
                    let describe = |t: &Target| {
                        let a = &apis[t.api];
                        format!(
                            "{} ({} at {})",
                            a.logical_id,
                            a.routes[t.route].route_key,
                            app.apis[t.api].routes[t.route].source
                        )
                    };
                    shared
                        .insert(&route.method, &segments, any, target)
                        .map_err(|dup| CompileError::Conflict {
                            method: route.method.clone(),
                            address: dup.path.clone(),
                            first: describe(&dup.existing),
                            second: describe(&target),
                        })?;
                    // Same shapes as above, so this cannot clash where the shared one did not.
                    let _ = own.insert(&route.method, &segments, any, target);
                }
            }
            by_host.insert(api.logical_id.to_ascii_lowercase(), (api_index, own));
            mounts.extend(api_mounts);
        }
        // Longest prefix first, so an address is owned by the most specific mount.
        mounts.sort_by_key(|m| std::cmp::Reverse(m.prefix.is_some()));
        Ok(CompiledApp {
            account_id: app.account_id.clone(),
            apis,
            shared,
            by_host,
            mounts,
            rows,
        })
    }

    /// The route table for the startup output.
    pub fn route_rows(&self) -> &[RouteRow] {
        &self.rows
    }

    /// The API addressed by a `Host` of the form `{apiLogicalId}.localhost[:port]`.
    fn host_api(&self, host: Option<&str>) -> Option<&(usize, Router<Target>)> {
        let host = host?;
        let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let lower = name.to_ascii_lowercase();
        let id = lower.strip_suffix(".localhost")?;
        self.by_host.get(id)
    }

    /// Selects API, stage and route for a request; `Err` carries the owning API (if any) and the
    /// gateway error to answer with.
    pub fn select<'a>(
        &'a self,
        host: Option<&str>,
        method: &str,
        path: &str,
    ) -> Result<Selection<'a>, (Option<usize>, crate::GatewayError)> {
        let segments = path_segments(path);
        let host_api = self.host_api(host);
        let router = host_api.map_or(&self.shared, |(_, r)| r);
        if let Some(m) = router.find_segments(method, path, &segments) {
            return Ok(Selection {
                api: m.target.api,
                stage: m.target.stage,
                prefix: m.target.prefix,
                route: Some(m.target.route),
                params: m.params,
            });
        }
        // No route: the mount that owns the address decides ($default route or its error).
        let first = segments.first().map(|&(s, e)| &path[s..e]);
        let owns = |m: &&Mount| {
            host_api.is_none_or(|(api, _)| m.api == *api)
                && match &m.prefix {
                    Some(p) => first == Some(p.as_str()),
                    None => true,
                }
        };
        let candidates: Vec<&Mount> = self.mounts.iter().filter(owns).collect();
        let best_prefix = candidates.first().map(|m| m.prefix.is_some());
        let same_level = candidates
            .iter()
            .filter(|m| Some(m.prefix.is_some()) == best_prefix);
        let chosen = same_level
            .clone()
            .find(|m| self.apis[m.api].default_route.is_some())
            .or_else(|| same_level.clone().next());
        match chosen {
            Some(m) => {
                let api = &self.apis[m.api];
                match api.default_route {
                    Some(route) => Ok(Selection {
                        api: m.api,
                        stage: m.stage,
                        prefix: usize::from(m.prefix.is_some()),
                        route: Some(route),
                        params: Vec::new(),
                    }),
                    None => Ok(Selection {
                        api: m.api,
                        stage: m.stage,
                        prefix: usize::from(m.prefix.is_some()),
                        route: None,
                        params: Vec::new(),
                    }),
                }
            }
            None => {
                // Nothing serves this address: an unknown REST stage, or no HTTP API at the root.
                let api = host_api.map(|(a, _)| *a).or_else(|| {
                    self.apis
                        .iter()
                        .position(|a| a.kind == ApiKind::Rest)
                        .or((!self.apis.is_empty()).then_some(0))
                });
                let rest = api.is_some_and(|a| self.apis[a].kind == ApiKind::Rest);
                let error = if rest {
                    crate::GatewayError::UnknownStage
                } else {
                    crate::GatewayError::NotFound
                };
                Err((api, error))
            }
        }
    }
}
