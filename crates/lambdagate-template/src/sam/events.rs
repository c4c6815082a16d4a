//! A function's `Api` and `HttpApi` events into routes on the APIs they name.

use lambdagate_model::{Api, ApiKind, Integration, PayloadFormat, Route, RouteKey};

use std::collections::HashMap;

use crate::diag::{Diags, R, Reported};
use crate::node::Node;
use crate::props;
use crate::sam::auth::{self, ApiAuth};
use crate::sam::request;

/// Methods an event may name (`ANY` stands for all of them).
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// Adds the routes of one function's resolved `Events` to `apis`. Events without an API id go
/// to the implicit APIs. `failed_apis` holds the logical ids and API ids of APIs that could not
/// be built (their errors are reported already, so events naming them stay quiet).
pub fn add_routes(
    diags: &mut Diags,
    function: &str,
    events: &Node,
    apis: &mut [Api],
    auth: &HashMap<String, ApiAuth>,
    failed_apis: &[String],
) -> R<()> {
    let Some(entries) = events.as_map() else {
        return Err(diags.error(
            events.pos,
            format!("function `{function}`: Events must be a mapping of event names"),
        ));
    };
    let mut failed = false;
    for (key, event) in entries {
        let kind = match event.get("Type").and_then(Node::as_str) {
            Some("Api") => ApiKind::Rest,
            Some("HttpApi") => ApiKind::Http,
            Some(_) => continue, // S3, SQS, Schedule...: not served over HTTP.
            None => {
                diags.error(
                    key.pos,
                    format!("function `{function}`: event `{}` needs a Type", key.name),
                );
                failed = true;
                continue;
            }
        };
        let empty = Node::new(crate::node::Value::Map(vec![]), event.pos);
        let props = event.get("Properties").unwrap_or(&empty);
        match route(
            diags,
            function,
            (&key.name, key.pos),
            kind,
            props,
            apis,
            (auth, failed_apis),
        ) {
            Ok((index, mut route)) => {
                let owner = format!("function `{function}`, event `{}`", key.name);
                if extend(diags, props, &mut apis[index], &mut route, &owner).is_err() {
                    failed = true;
                }
                if kind == ApiKind::Rest
                    && event_resource_policy(diags, props, &mut apis[index], &route, &owner)
                        .is_err()
                {
                    failed = true;
                }
                apis[index].routes.push(route);
            }
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(()) }
}

/// The statements SAM writes for the event's own `Auth.ResourcePolicy` (the API's own is
/// written for every route once all are known).
fn event_resource_policy(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    route: &Route,
    owner: &str,
) -> R<()> {
    let (Some(policy), RouteKey::MethodPath { method, path }) = (
        props.get("Auth").and_then(|a| a.get("ResourcePolicy")),
        &route.key,
    ) else {
        return Ok(());
    };
    let stage = api
        .stages
        .first()
        .map_or_else(|| "Prod".to_string(), |s| s.name.clone());
    let owner = format!("{owner}: Auth");
    let statements =
        crate::resource_policy::sam_statements(d, policy, &stage, (method, path), &owner)?;
    crate::resource_policy::merge(&mut api.resource_policy, statements);
    Ok(())
}

/// One event's route. `event` is the event's name and where it is written.
fn route(
    diags: &mut Diags,
    function: &str,
    (event, pos): (&str, crate::node::Pos),
    kind: ApiKind,
    props: &Node,
    apis: &[Api],
    (auth, failed_apis): (&HashMap<String, ApiAuth>, &[String]),
) -> R<(usize, Route)> {
    let owner = format!("function `{function}`, event `{event}`");
    let (id_key, implicit) = match kind {
        ApiKind::Rest => ("RestApiId", "ServerlessRestApi"),
        ApiKind::Http => ("ApiId", "ServerlessHttpApi"),
    };
    let api_id = props::text(diags, props, id_key, &owner)?;
    if failed_apis.contains(&api_id.clone().unwrap_or_else(|| implicit.to_string())) {
        // The API's own errors say what is wrong; "must refer to an API" would mislead.
        return Err(Reported);
    }
    let api_index = match api_id {
        Some(id) => apis
            .iter()
            .position(|a| a.api_id == id || a.logical_id == id)
            .filter(|&i| apis[i].kind == kind)
            .ok_or_else(|| {
                let expected = match kind {
                    ApiKind::Rest => "an AWS::Serverless::Api",
                    ApiKind::Http => "an AWS::Serverless::HttpApi",
                };
                diags.error(
                    props.get(id_key).map_or(pos, |n| n.pos),
                    format!("{owner}: {id_key} must refer to {expected} of this template (use !Ref MyApi)"),
                )
            })?,
        None => apis
            .iter()
            .position(|a| a.logical_id == implicit && a.implicit)
            .ok_or_else(|| diags.error(pos, format!("{owner}: no API to attach to")))?,
    };
    let path = props::text(diags, props, "Path", &owner)?;
    let method = props::text(diags, props, "Method", &owner)?;
    let key = match (kind, path, method) {
        (ApiKind::Http, None, _) => RouteKey::Default,
        (ApiKind::Http, Some(p), _) if p == "$default" => RouteKey::Default,
        (_, Some(path), method) => {
            if !path.starts_with('/') {
                return Err(diags.error(
                    props.get("Path").map_or(pos, |n| n.pos),
                    format!("{owner}: Path `{path}` must start with /"),
                ));
            }
            let method = match (kind, method) {
                (_, Some(m)) => m.to_ascii_uppercase(),
                (ApiKind::Http, None) => "ANY".to_string(),
                (ApiKind::Rest, None) => {
                    return Err(diags.error(pos, format!("{owner}: an Api event needs a Method")));
                }
            };
            if !METHODS.contains(&method.as_str()) {
                return Err(diags.error(
                    props.get("Method").map_or(pos, |n| n.pos),
                    format!(
                        "{owner}: Method `{method}` is not one of {}",
                        METHODS.join(", ").to_lowercase()
                    ),
                ));
            }
            RouteKey::MethodPath { method, path }
        }
        (ApiKind::Rest, None, _) => {
            return Err(diags.error(pos, format!("{owner}: an Api event needs a Path")));
        }
    };
    let payload_format = match (
        kind,
        props::text(diags, props, "PayloadFormatVersion", &owner)?,
    ) {
        (ApiKind::Rest, _) => PayloadFormat::V1,
        (ApiKind::Http, None) => PayloadFormat::V2,
        (ApiKind::Http, Some(v)) => match v.as_str() {
            "1.0" | "1" => PayloadFormat::V1,
            "2.0" | "2" => PayloadFormat::V2,
            other => {
                return Err(diags.error(
                    props.get("PayloadFormatVersion").map_or(pos, |n| n.pos),
                    format!("{owner}: PayloadFormatVersion `{other}` must be \"1.0\" or \"2.0\""),
                ));
            }
        },
    };
    let timeout_ms = props::number(diags, props, "TimeoutInMillis", &owner, 50..=30000)?;
    let api = &apis[api_index];
    let (method_auth, api_key_required) = auth::route_auth(
        diags,
        api,
        auth.get(&api.logical_id),
        props.get("Auth"),
        &owner,
        pos,
    )?;
    let mut route = Route::new(
        key,
        Integration::lambda_proxy(function, payload_format, timeout_ms),
        event,
        diags.location(pos),
    );
    route.auth = method_auth;
    route.api_key_required = api_key_required;
    Ok((api_index, route))
}

/// The parts of an event that configure more than the route itself: the method request
/// (`RequestParameters`, `RequestModel`) and the HTTP API `RouteSettings`, which SAM puts on
/// the API's stage under the route's key.
fn extend(d: &mut Diags, props: &Node, api: &mut Api, route: &mut Route, owner: &str) -> R<()> {
    let mut failed = false;
    if let Some(node) = props.get("RequestParameters") {
        match request::parameters(d, node, owner) {
            Ok(p) => route.request_parameters = p,
            Err(Reported) => failed = true,
        }
    }
    if let Some(node) = props.get("RequestModel") {
        failed |= request::model(d, node, api, route, owner).is_err();
    }
    if let Some(node) = props.get("RouteSettings") {
        let (method, path) = match &route.key {
            RouteKey::MethodPath { method, path } => (method.clone(), path.clone()),
            RouteKey::Default => ("*".to_string(), "$default".to_string()),
        };
        match crate::settings::route_setting(
            d,
            node,
            &path,
            &method,
            &format!("{owner}: RouteSettings"),
        ) {
            Ok(setting) => {
                if let Some(stage) = api.stages.first_mut() {
                    stage.method_settings.push(setting);
                }
            }
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(()) }
}

/// Reports routes with the same key on one API, at every place they are defined. SAM refuses
/// them (a method defined twice); `sam local` serves the first. So `validate` (`strict`)
/// reports an error at every place, and serving keeps the first route with a warning at each
/// later one.
pub fn check_duplicates(diags: &mut Diags, api: &mut Api, strict: bool) {
    if !strict {
        let mut kept: Vec<Route> = Vec::with_capacity(api.routes.len());
        for route in std::mem::take(&mut api.routes) {
            match kept.iter().find(|r| r.key == route.key) {
                Some(first) => diags.warn_at(
                    &route.source,
                    format!(
                        "duplicate route `{}` on API `{}`: the one at {} is served, as `sam local` \
                         serves it (a deploy rejects the template: `lambdagate validate` reports \
                         it as an error)",
                        route.key, api.logical_id, first.source
                    ),
                ),
                None => kept.push(route),
            }
        }
        api.routes = kept;
        return;
    }
    for (i, route) in api.routes.iter().enumerate() {
        let others: Vec<String> = api
            .routes
            .iter()
            .enumerate()
            .filter(|(j, r)| *j != i && r.key == route.key)
            .map(|(_, r)| r.source.to_string())
            .collect();
        if !others.is_empty() {
            diags.error(
                crate::node::Pos {
                    line: route.source.line,
                    column: route.source.column,
                },
                format!(
                    "duplicate route `{}` on API `{}`: also defined at {}",
                    route.key,
                    api.logical_id,
                    others.join(", ")
                ),
            );
        }
    }
}
