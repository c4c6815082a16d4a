//! The guards in front of an integration, compiled per stage: method and route throttles
//! (`MethodSettings`, `DefaultRouteSettings`, `RouteSettings`), the stage cache's rules, and the
//! API keys a stage accepts with their usage plan's throttles and quota.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lambdagate_model::{
    Api, ApiKind, Application, MethodSetting, ParameterLocation, QuotaPeriod, Route, Stage,
    Throttle,
};
use lambdagate_state::{Limit, Period, QuotaLimit};

use super::RouteRuntime;

/// The account-level limits API Gateway uses for what a throttle leaves unset.
const ACCOUNT_RATE: f64 = 10_000.0;
const ACCOUNT_BURST: u32 = 5_000;
/// AWS's default cache TTL.
const DEFAULT_CACHE_TTL_SECS: u32 = 300;
/// The largest stage cache kept in memory, whatever `CacheClusterSize` says (AWS's sizes go
/// up to 237 GB; a local tool holds far less).
pub const MAX_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// A stage's guards.
#[derive(Debug, Default)]
pub struct StageGuards {
    /// Per route (by index): its throttle and cache rule on this stage.
    pub routes: Vec<RouteStage>,
    /// The API keys this stage knows, by value.
    pub keys: HashMap<String, KeyGrant>,
    /// The stage cache's budget in bytes (0: no cache).
    pub cache_bytes: usize,
}

/// A route on one stage.
#[derive(Debug, Default, Clone)]
pub struct RouteStage {
    /// The method or route throttle (`MethodSettings` / route settings).
    pub throttle: Option<Limit>,
    /// How long answers are cached, when the route is cached on this stage.
    pub cache_ttl: Option<Duration>,
    /// Only GET requests are cached (caching comes from a wildcard method entry; an `ANY`
    /// route serves other methods too).
    pub cache_get_only: bool,
}

/// An API key as one stage sees it.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    /// `apiKeyId`.
    pub id: String,
    /// `Enabled`.
    pub enabled: bool,
    /// The usage plan that covers this stage for the key; `None` refuses the key here.
    pub plan: Option<Arc<PlanGrant>>,
}

/// A usage plan as one stage applies it.
#[derive(Debug)]
pub struct PlanGrant {
    /// The plan's logical id (names its buckets and quota counters).
    pub id: String,
    /// The plan's per-key throttle.
    pub throttle: Option<Limit>,
    /// Per route (by index): the plan's per-method throttle on this stage, which replaces the
    /// plan's own for that method.
    pub methods: Vec<Option<Limit>>,
    /// The per-key quota.
    pub quota: Option<QuotaLimit>,
}

/// A route's cache key parameters (`cacheKeyParameters`, SAM's `Caching: true`).
pub fn cache_key_parameters(route: &Route) -> Vec<(ParameterLocation, String)> {
    let mut out: Vec<(ParameterLocation, String)> = Vec::new();
    let declared = route
        .integration
        .cache_key_parameters
        .iter()
        .filter_map(|p| parameter_key(p));
    let flagged = route
        .request_parameters
        .iter()
        .filter(|p| p.caching)
        .map(|p| (p.location, p.name.clone()));
    for item in declared.chain(flagged) {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `method.request.{header|querystring|path}.{name}`.
fn parameter_key(key: &str) -> Option<(ParameterLocation, String)> {
    let rest = key.strip_prefix("method.request.")?;
    let (location, name) = rest.split_once('.')?;
    let location = match location {
        "header" => ParameterLocation::Header,
        "querystring" => ParameterLocation::QueryString,
        "path" => ParameterLocation::Path,
        _ => return None,
    };
    Some((location, name.to_string()))
}

/// A throttle as a bucket limit: AWS's account limits fill in a half left unset.
fn limit(throttle: &Throttle) -> Option<Limit> {
    if throttle.rate_limit.is_none() && throttle.burst_limit.is_none() {
        return None;
    }
    Some(Limit::new(
        throttle.rate_limit.unwrap_or(ACCOUNT_RATE),
        throttle.burst_limit.unwrap_or(ACCOUNT_BURST),
    ))
}

/// What the method settings say for one route, most specific entry last.
fn matching<'a>(stage: &'a Stage, route: &RouteRuntime) -> Vec<&'a MethodSetting> {
    let rank = |s: &MethodSetting| -> Option<u8> {
        let path = s.resource_path == route.path;
        let any_path = s.resource_path == "/*" || s.resource_path == "*";
        let method = s.http_method.eq_ignore_ascii_case(&route.method);
        let any_method = s.http_method == "*";
        match (path, any_path, method, any_method) {
            (true, _, true, _) => Some(3),
            (true, _, _, true) => Some(2),
            (_, true, true, _) => Some(1),
            (_, true, _, true) => Some(0),
            _ => None,
        }
    };
    let mut found: Vec<(u8, &MethodSetting)> = stage
        .method_settings
        .iter()
        .filter_map(|s| rank(s).map(|r| (r, s)))
        .collect();
    found.sort_by_key(|(r, _)| *r);
    found.into_iter().map(|(_, s)| s).collect()
}

fn route_stage(api: &Api, stage: &Stage, route: &RouteRuntime) -> RouteStage {
    let settings = matching(stage, route);
    // Field by field: a specific entry overrides what the wildcard sets and keeps the rest.
    let mut throttle = Throttle::default();
    for s in &settings {
        throttle.rate_limit = s.throttle.rate_limit.or(throttle.rate_limit);
        throttle.burst_limit = s.throttle.burst_limit.or(throttle.burst_limit);
    }
    // Only GET is cached by a wildcard method entry; other methods need their own.
    let own_entry = settings
        .iter()
        .any(|s| s.caching_enabled && s.http_method != "*");
    let cache_ttl = (api.kind == ApiKind::Rest && stage.cache_cluster.is_some())
        .then(|| {
            let enabled = own_entry
                || settings
                    .iter()
                    .any(|s| s.caching_enabled && matches!(route.method.as_str(), "GET" | "ANY"));
            let ttl = settings
                .iter()
                .rev()
                .find_map(|s| s.cache_ttl_secs)
                .unwrap_or(DEFAULT_CACHE_TTL_SECS);
            (enabled && ttl > 0).then(|| Duration::from_secs(u64::from(ttl)))
        })
        .flatten();
    RouteStage {
        throttle: limit(&throttle),
        cache_ttl,
        cache_get_only: !own_entry,
    }
}

/// `CacheClusterSize` in GB as bytes, capped at [`MAX_CACHE_BYTES`].
fn cache_bytes(size: &str) -> usize {
    let gb: f64 = size.trim().parse().unwrap_or(0.5);
    let bytes = (gb.max(0.0) * 1024.0 * 1024.0 * 1024.0) as usize;
    bytes.min(MAX_CACHE_BYTES)
}

/// A plan's per-method throttle key (`/items/{id}/GET`, `/*/*`) against a route.
fn plan_method_matches(key: &str, route: &RouteRuntime) -> bool {
    let Some((path, method)) = key.rsplit_once('/') else {
        return false;
    };
    let path = match path.strip_prefix('/') {
        Some(rest) if rest.starts_with("~1") => rest.replace("~1", "/"),
        _ => path.replace("~1", "/"),
    };
    let path_ok = path == route.path || path == "/*" || path == "*";
    let method_ok = method == "*" || method.eq_ignore_ascii_case(&route.method);
    path_ok && method_ok
}

fn period(p: QuotaPeriod) -> Period {
    match p {
        QuotaPeriod::Day => Period::Day,
        QuotaPeriod::Week => Period::Week,
        QuotaPeriod::Month => Period::Month,
    }
}

/// The guards of `stage` of `api`.
pub fn compile(
    app: &Application,
    api: &Api,
    stage: &Stage,
    routes: &[RouteRuntime],
) -> StageGuards {
    let route_stages = routes.iter().map(|r| route_stage(api, stage, r)).collect();
    let mut keys = HashMap::new();
    if api.kind == ApiKind::Rest {
        // One plan per API stage and key (AWS refuses a second); the first that covers it.
        let plans: Vec<(Arc<PlanGrant>, &Vec<String>)> = app
            .usage_plans
            .iter()
            .filter_map(|plan| {
                let on = plan
                    .api_stages
                    .iter()
                    .find(|s| s.api == api.logical_id && s.stage == stage.name)?;
                let methods = routes
                    .iter()
                    .map(|r| {
                        on.throttle
                            .iter()
                            .filter(|(k, _)| plan_method_matches(k, r))
                            // The most specific key: a literal path beats `/*`.
                            .max_by_key(|(k, _)| !k.starts_with("/*"))
                            .and_then(|(_, t)| limit(t))
                    })
                    .collect();
                let grant = PlanGrant {
                    id: plan.logical_id.clone(),
                    throttle: plan.throttle.as_ref().and_then(limit),
                    methods,
                    quota: plan.quota.map(|q| QuotaLimit {
                        limit: q.limit,
                        offset: q.offset,
                        period: period(q.period),
                    }),
                };
                Some((Arc::new(grant), &plan.keys))
            })
            .collect();
        for key in &app.api_keys {
            let plan = plans
                .iter()
                .find(|(_, members)| members.contains(&key.logical_id))
                .map(|(p, _)| p.clone());
            keys.insert(
                key.served_value(&app.stack_name),
                KeyGrant {
                    id: key.key_id(),
                    enabled: key.enabled,
                    plan,
                },
            );
        }
    }
    StageGuards {
        routes: route_stages,
        keys,
        cache_bytes: match (&stage.cache_cluster, api.kind) {
            (Some(c), ApiKind::Rest) => cache_bytes(&c.size),
            _ => 0,
        },
    }
}

/// Startup warnings about guards that are configured but can never apply.
pub fn warnings(
    api: &Api,
    stage: &Stage,
    routes: &[RouteRuntime],
    guards: &StageGuards,
    out: &mut Vec<String>,
) {
    for setting in &stage.method_settings {
        let wildcard = setting.resource_path == "/*" || setting.resource_path == "*";
        let covers = |r: &RouteRuntime| {
            r.path == setting.resource_path
                && (setting.http_method == "*"
                    || setting.http_method.eq_ignore_ascii_case(&r.method))
        };
        if !wildcard && !routes.iter().any(covers) {
            out.push(format!(
                "{}: stage {} of API {} has settings for {} {}, which is not a method of the \
                 API, so they apply to nothing",
                stage.source,
                stage.name,
                api.logical_id,
                setting.http_method,
                setting.resource_path
            ));
        }
    }
    if stage.cache_cluster.is_some() && guards.routes.iter().all(|r| r.cache_ttl.is_none()) {
        out.push(format!(
            "{}: stage {} of API {} enables CacheClusterEnabled but no method has CachingEnabled \
             in its MethodSettings, so nothing is cached (as on AWS)",
            stage.source, stage.name, api.logical_id
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_are_capped() {
        assert_eq!(cache_bytes("0.1"), 107_374_182);
        assert_eq!(cache_bytes("0.5"), MAX_CACHE_BYTES);
        assert_eq!(cache_bytes("237"), MAX_CACHE_BYTES);
    }

    #[test]
    fn plan_method_keys_name_a_path_and_a_method() {
        let route = |method: &str, path: &str| RouteRuntime {
            method: method.into(),
            path: path.into(),
            route_key: format!("{method} {path}"),
            resource_id: "r".into(),
            operation_name: None,
            integration: crate::integration::CompiledIntegration::Unsupported(
                lambdagate_model::IntegrationType::Mock,
            ),
            api_key_required: false,
            validation: None,
            cache_key: Vec::new(),
            auth: Default::default(),
        };
        let get = route("GET", "/items/{id}");
        assert!(plan_method_matches("/items/{id}/GET", &get));
        assert!(plan_method_matches("/~1items~1{id}/GET", &get));
        assert!(plan_method_matches("/*/*", &get));
        assert!(!plan_method_matches("/items/{id}/POST", &get));
        assert!(!plan_method_matches("/items/GET", &get));
        assert!(!plan_method_matches("GET", &get));
    }

    #[test]
    fn half_a_throttle_takes_the_account_limit() {
        let l = limit(&Throttle {
            burst_limit: Some(3),
            rate_limit: None,
        })
        .unwrap();
        assert_eq!((l.rate, l.burst), (ACCOUNT_RATE, 3));
        assert!(limit(&Throttle::default()).is_none());
    }
}
