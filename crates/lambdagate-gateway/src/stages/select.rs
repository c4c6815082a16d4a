//! Selection: custom domain and base path, or stage prefix → API → stage → canary or not →
//! route. It runs first because everything after it (gateway responses included) depends on
//! which API, stage and route answer.

use lambdagate_model::ApiKind;

use crate::compile::{ApiRuntime, CompiledApp, Mount};
use crate::context::RequestContext;
use crate::responses::error::GatewayError;
use crate::router::{Span, path_segments};

/// Finds the API, stage and route for the request; on failure `cx` still holds the API that
/// owns the address (if any), so the error is answered in its shape. An address an API owns
/// without a matching route is not a failure here (see [`route`]).
pub fn run(cx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let result = find(cx);
    if let Some(stage) = cx.stage {
        cx.variant = Some(match &stage.canary {
            Some(canary) if cx.snapshot.dice.roll(canary.percent) => &canary.variant,
            _ => &stage.base,
        });
    }
    cx.assign_ids();
    result
}

/// Fails a request whose API has no route for it (REST 403 Missing Authentication Token, HTTP
/// API 404), once the stages that answer without a route have had their turn.
pub fn route(cx: &RequestContext<'_>) -> Result<(), GatewayError> {
    match cx.route {
        Some(_) => Ok(()),
        None => Err(GatewayError::missing_route()),
    }
}

fn host_name(host: Option<&str>) -> Option<String> {
    let host = host?;
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        // `[::1]:3000` keeps its brackets; a bare IPv6 address has no port to strip.
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    Some(name.to_ascii_lowercase())
}

fn find(cx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let app: &CompiledApp = &cx.snapshot.app;
    let host = host_name(cx.request.header("host"));
    let path = cx.request.raw_path.as_str();
    let segments = path_segments(path);
    if let Some(mounts) = host.as_deref().and_then(|h| app.domains.get(h)) {
        return by_domain(cx, app, mounts, &segments);
    }
    let host_api = host
        .as_deref()
        .and_then(|h| h.strip_suffix(".localhost"))
        .and_then(|id| app.by_host.get(id));
    let router = host_api.map_or(&app.shared, |(_, r)| r);
    if let Some(m) = router.find_segments(&cx.request.method, path, &segments) {
        let t = *m.target;
        let api = &app.apis[t.api];
        set(cx, api, t.stage, Some(t.route), m.params);
        cx.event_prefix = if api.kind == ApiKind::Rest {
            t.prefix
        } else {
            0
        };
        return Ok(());
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
    let candidates: Vec<&Mount> = app.mounts.iter().filter(owns).collect();
    let best_prefix = candidates.first().map(|m| m.prefix.is_some());
    let same_level = candidates
        .iter()
        .filter(|m| Some(m.prefix.is_some()) == best_prefix);
    let chosen = same_level
        .clone()
        .find(|m| app.apis[m.api].default_route.is_some())
        .or_else(|| same_level.clone().next());
    match chosen {
        Some(m) => {
            let api = &app.apis[m.api];
            let prefix = usize::from(m.prefix.is_some());
            set(cx, api, m.stage, api.default_route, Vec::new());
            cx.event_prefix = if api.kind == ApiKind::Rest { prefix } else { 0 };
            Ok(())
        }
        None => {
            // Nothing serves this address: an unknown REST stage, or no HTTP API at the root.
            let api = host_api.map(|(a, _)| *a).or_else(|| {
                app.apis
                    .iter()
                    .position(|a| a.kind == ApiKind::Rest)
                    .or((!app.apis.is_empty()).then_some(0))
            });
            cx.api = api.map(|a| &app.apis[a]);
            Err(match cx.api.map(|a| a.kind) {
                Some(ApiKind::Rest) => GatewayError::unknown_stage(),
                _ => GatewayError::missing_route(),
            })
        }
    }
}

/// Routes a request for a custom domain: the longest base path that prefixes the path picks the
/// API mapping, and the rest of the path is routed in that API (spec §10.2).
fn by_domain<'s>(
    cx: &mut RequestContext<'s>,
    app: &'s CompiledApp,
    mounts: &'s [crate::compile::DomainMount],
    segments: &[Span],
) -> Result<(), GatewayError> {
    let path = cx.request.raw_path.as_str();
    let matched = mounts.iter().find(|m| {
        m.segments.len() <= segments.len()
            && m.segments
                .iter()
                .zip(segments)
                .all(|(want, &(s, e))| want == &path[s..e])
    });
    let Some(mount) = matched else {
        // No mapping covers the path: API Gateway answers 403 Forbidden for the domain.
        cx.api = mounts.first().map(|m| &app.apis[m.api]);
        return Err(GatewayError::unknown_stage());
    };
    let api = &app.apis[mount.api];
    cx.base_path = Some(if mount.base_path.is_empty() {
        "(none)"
    } else {
        mount.base_path.as_str()
    });
    let rest = &segments[mount.segments.len()..];
    match api.plain.find_segments(&cx.request.method, path, rest) {
        Some(m) => {
            let route = *m.target;
            set(cx, api, mount.stage, Some(route), m.params);
            Ok(())
        }
        None => {
            set(cx, api, mount.stage, api.default_route, Vec::new());
            Ok(())
        }
    }
}

fn set<'s>(
    cx: &mut RequestContext<'s>,
    api: &'s ApiRuntime,
    stage: usize,
    route: Option<usize>,
    params: Vec<(&'s str, Span)>,
) {
    cx.api = Some(api);
    cx.stage = api.stages.get(stage);
    cx.route = route.map(|r| (r, &api.routes[r]));
    cx.params = params;
}
