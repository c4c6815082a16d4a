//! The REST stage cache: repeated requests answered without calling the integration.
//!
//! A method is cached on a stage with a cache cluster when its method settings enable caching
//! (a wildcard `*` method entry caches GET only; other methods need their own entry). The key
//! is the method, the resource path and the values of the method's cache key parameters, as on
//! AWS (so `/items/{id}` without `id` as a cache key parameter caches one answer for every
//! id). Only 2xx answers up to 1 MiB are kept. Concurrent misses of one key call the backend
//! once: the first fills the entry while the others wait for it.
//!
//! `Cache-Control: max-age=0` asks to refresh the entry; AWS honours it only for callers with
//! `execute-api:InvalidateCache` (`RequireAuthorizationForCacheControl`, on by default, and
//! CloudFormation cannot turn it off). Here an IAM-signed caller counts as authorized; any
//! other is answered from the cache with AWS's warning header
//! (`UnauthorizedCacheControlHeaderStrategy` `SUCCEED_WITH_RESPONSE_HEADER`, the default).

use std::sync::Arc;
use std::time::Duration;

use lambdagate_model::ParameterLocation;

use crate::authorization::Authorization;
use crate::context::RequestContext;
use crate::reply::Reply;
use crate::state::{CachedReply, FillGuard, GatewayState};

/// AWS's largest cacheable answer.
const MAX_CACHED_BODY: usize = 1_048_576;

/// The warning AWS adds when it ignores `Cache-Control` from an unauthorized caller.
const UNAUTHORIZED_WARNING: &str =
    "199 Cache-control headers were ignored because the caller was unauthorized.";

/// Headers the gateway sets per request: never taken from a cached answer.
const PER_REQUEST: &[&str] = &["x-amzn-requestid", "x-amz-apigw-id", "x-amzn-trace-id"];

/// What the cache said about a request.
pub enum Lookup {
    /// A cached answer.
    Hit(Reply),
    /// Not cached: call the integration, then [`store`] with the fill (if the method caches).
    Miss(Option<Fill>),
}

/// The right to fill one cache entry (others wait for it until it is dropped).
pub struct Fill {
    cache: Arc<dyn lambdagate_state::TtlCache<Arc<CachedReply>>>,
    key: String,
    ttl: Duration,
    warning: bool,
    _guard: FillGuard,
}

fn cache_key(cx: &RequestContext<'_>) -> Option<(String, Duration, usize)> {
    let (api, stage, (index, route)) = (cx.api?, cx.stage?, cx.route?);
    let rule = stage.guards.routes.get(index)?;
    let ttl = rule.cache_ttl?;
    if rule.cache_get_only && cx.request.method != "GET" {
        return None;
    }
    if stage.guards.cache_bytes == 0 {
        return None;
    }
    let mut key = format!(
        "{}\n{}\n{}\n{}",
        cx.request.method, route.path, api.api_id, stage.name
    );
    for (location, name) in &route.cache_key {
        let value = match location {
            ParameterLocation::Header => cx.request.header(name).map(str::to_string),
            ParameterLocation::QueryString => cx.query_value(name),
            ParameterLocation::Path => cx.path_parameter(name),
        };
        key.push('\n');
        key.push_str(location.as_str());
        key.push('.');
        key.push_str(name);
        if let Some(value) = value {
            key.push('=');
            key.push_str(&value);
        }
    }
    Some((key, ttl, stage.guards.cache_bytes))
}

/// Whether the client asks to refresh the entry, and whether it may.
fn refresh(cx: &RequestContext<'_>) -> (bool, bool) {
    let asks = cx.request.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("cache-control")
            && v.split(',').any(|d| {
                let d = d.trim();
                d.eq_ignore_ascii_case("max-age=0") || d.eq_ignore_ascii_case("no-cache")
            })
    });
    let allowed = matches!(cx.authorizer, Some(Authorization::Iam(_)));
    (asks, allowed)
}

/// A cached answer for this request, when the stage caches it and has one.
pub async fn lookup(cx: &RequestContext<'_>, state: &Arc<GatewayState>) -> Lookup {
    let Some((key, ttl, budget)) = cache_key(cx) else {
        return Lookup::Miss(None);
    };
    let (api, stage) = (
        cx.api.map_or("", |a| a.api_id.as_str()),
        cx.stage.map_or("", |s| s.name.as_str()),
    );
    let cache = state.stage_cache(&format!("{api}/{stage}"), budget);
    let (asks, allowed) = refresh(cx);
    let warning = asks && !allowed;
    if asks && allowed {
        cache.remove(&key).await;
    } else if let Some(hit) = cache.get(&key).await {
        return Lookup::Hit(reply(cx, &hit, warning));
    }
    // Wait for a request filling the same entry, then look again: it is there unless that
    // request failed or was not cacheable.
    let guard = state.fill(&key).await;
    if !(asks && allowed)
        && let Some(hit) = cache.get(&key).await
    {
        return Lookup::Hit(reply(cx, &hit, warning));
    }
    Lookup::Miss(Some(Fill {
        cache,
        key,
        ttl,
        warning,
        _guard: guard,
    }))
}

fn reply(cx: &RequestContext<'_>, hit: &CachedReply, warning: bool) -> Reply {
    let mut headers = hit.headers.clone();
    headers.push(("x-amzn-RequestId".into(), cx.ids.request_id.clone()));
    headers.push(("x-amz-apigw-id".into(), cx.ids.extended.clone()));
    if warning {
        headers.push(("Warning".into(), UNAUTHORIZED_WARNING.into()));
    }
    Reply {
        status: hit.status,
        headers,
        body: hit.body.clone(),
        function: hit.function.clone(),
        request_id: cx.ids.request_id.clone(),
        detail: Some("stage cache hit".into()),
    }
}

/// Keeps the answer for the next identical request, when the stage caches it.
pub async fn store(reply: &mut Reply, fill: Option<Fill>) {
    let Some(fill) = fill else {
        return;
    };
    if fill.warning {
        reply
            .headers
            .push(("Warning".into(), UNAUTHORIZED_WARNING.into()));
    }
    if !(200..300).contains(&reply.status) || reply.body.len() > MAX_CACHED_BODY {
        return;
    }
    let entry = CachedReply {
        status: reply.status,
        headers: reply
            .headers
            .iter()
            .filter(|(n, _)| {
                !PER_REQUEST.iter().any(|p| n.eq_ignore_ascii_case(p))
                    && !n.eq_ignore_ascii_case("warning")
            })
            .cloned()
            .collect(),
        body: reply.body.clone(),
        function: reply.function.clone(),
    };
    fill.cache.insert(fill.key, Arc::new(entry), fill.ttl).await;
}
