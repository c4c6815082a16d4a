//! API Gateway settings written the same way in SAM and in raw CloudFormation: stage settings
//! (variables, method and route settings, canary, cache, access logs, tracing) and gateway
//! responses.

use lambdagate_model::{
    AccessLogSettings, ApiKind, CacheCluster, CanarySettings, GatewayResponse, MethodSetting,
    ResponseType, Stage, Throttle,
};

use crate::diag::{Diags, R, Reported};
use crate::node::{Node, Value};
use crate::props;

/// REST `MethodSettings` keys the model holds as typed fields; any other known key goes into
/// [`MethodSetting::other`].
const REST_METHOD_SETTING_KEYS: &[&str] = &[
    "ResourcePath",
    "HttpMethod",
    "ThrottlingBurstLimit",
    "ThrottlingRateLimit",
    "CachingEnabled",
    "CacheTtlInSeconds",
    "CacheDataEncrypted",
    "DataTraceEnabled",
    "LoggingLevel",
    "MetricsEnabled",
];

/// HTTP API route setting keys (`DefaultRouteSettings`, `RouteSettings` entries).
const HTTP_ROUTE_SETTING_KEYS: &[&str] = &[
    "ThrottlingBurstLimit",
    "ThrottlingRateLimit",
    "DataTraceEnabled",
    "DetailedMetricsEnabled",
    "LoggingLevel",
];

/// Fills `stage` from the stage properties found in `props`: a SAM API's own properties or an
/// `AWS::ApiGateway::Stage` / `AWS::ApiGatewayV2::Stage`. Every independent mistake is reported.
pub fn fill_stage(
    d: &mut Diags,
    props: &Node,
    kind: ApiKind,
    owner: &str,
    stage: &mut Stage,
) -> R<()> {
    let mut failed = false;
    let mut ok = |r: R<()>| failed |= r.is_err();

    let variables_key = match kind {
        ApiKind::Rest => "Variables",
        ApiKind::Http => "StageVariables",
    };
    if let Some(node) = props.get(variables_key) {
        ok(
            props::string_map(d, node, &format!("{owner}: {variables_key}"))
                .map(|v| stage.variables = v),
        );
    }
    if let Some(node) = props.get("MethodSettings") {
        ok(method_settings(d, node, owner).map(|s| stage.method_settings.extend(s)));
    }
    if let Some(node) = props.get("DefaultRouteSettings") {
        ok(route_setting(d, node, "/*", "*", owner).map(|s| stage.method_settings.push(s)));
    }
    if let Some(node) = props.get("RouteSettings") {
        ok(route_settings(d, node, owner).map(|s| stage.method_settings.extend(s)));
    }
    for key in ["AccessLogSetting", "AccessLogSettings"] {
        if let Some(node) = props.get(key) {
            ok(access_log(d, node, key, owner).map(|a| stage.access_log = Some(a)));
        }
    }
    ok(
        props::boolean(d, props, "CacheClusterEnabled", owner).and_then(|enabled| {
            let size = props::text(d, props, "CacheClusterSize", owner)?;
            if enabled == Some(true) {
                // AWS's default cache size when only the switch is given.
                stage.cache_cluster = Some(CacheCluster {
                    size: size.unwrap_or_else(|| "0.5".to_string()),
                });
            }
            Ok(())
        }),
    );
    ok(props::boolean(d, props, "TracingEnabled", owner)
        .map(|t| stage.tracing_enabled = t.unwrap_or(false)));
    ok(props::boolean(d, props, "AutoDeploy", owner)
        .map(|t| stage.auto_deploy = t.unwrap_or(stage.auto_deploy)));
    if let Some(node) = props.get("CanarySetting") {
        ok(canary(d, node, owner).map(|c| stage.canary = Some(c)));
    }
    if failed { Err(Reported) } else { Ok(()) }
}

/// A whole number that fits `u32` (burst limits, TTLs), `None` when absent.
fn whole(d: &mut Diags, node: &Node, key: &str, owner: &str) -> R<Option<u32>> {
    props::number(d, node, key, owner, 0..=u32::MAX)
}

/// REST `MethodSettings`: a list of per-method settings.
fn method_settings(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<MethodSetting>> {
    let owner = format!("{owner}: MethodSettings");
    let Some(items) = node.as_seq() else {
        return Err(d.error(
            node.pos,
            format!(
                "{owner} must be a list of settings, not {}",
                node.kind_name()
            ),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        match method_setting(d, item, &owner) {
            Ok(s) => out.push(s),
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

fn method_setting(d: &mut Diags, item: &Node, owner: &str) -> R<MethodSetting> {
    if item.as_map().is_none() {
        return Err(d.error(
            item.pos,
            format!(
                "{owner}: each entry must be a mapping, not {}",
                item.kind_name()
            ),
        ));
    }
    props::known_keys(d, item, REST_METHOD_SETTING_KEYS, owner)?;
    // CloudFormation writes the resource path as `/` followed by the path with its slashes
    // escaped as `~1` (`/~1items~1{id}` for `/items/{id}`); `/*` and `/` stand as they are.
    let resource_path = props::text(d, item, "ResourcePath", owner)?.map_or_else(
        || "/*".to_string(),
        |p| match p.strip_prefix('/') {
            Some(rest) if rest.starts_with("~1") => rest.replace("~1", "/"),
            _ => p.replace("~1", "/"),
        },
    );
    let http_method = props::text(d, item, "HttpMethod", owner)?
        .map_or_else(|| "*".to_string(), |m| m.to_ascii_uppercase());
    let throttle = throttle(
        d,
        item,
        "ThrottlingBurstLimit",
        "ThrottlingRateLimit",
        owner,
    )?;
    let caching_enabled = props::boolean(d, item, "CachingEnabled", owner)?.unwrap_or(false);
    let cache_ttl_secs = props::number(d, item, "CacheTtlInSeconds", owner, 0..=3600)?;
    Ok(MethodSetting {
        resource_path,
        http_method,
        throttle,
        caching_enabled,
        cache_ttl_secs,
        other: others(
            item,
            &[
                "CacheDataEncrypted",
                "DataTraceEnabled",
                "LoggingLevel",
                "MetricsEnabled",
            ],
        ),
    })
}

/// The names of the settings in `item` that are read but not served.
fn others(item: &Node, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|n| item.get(n).is_some())
        .map(|n| n.to_string())
        .collect()
}

fn throttle(d: &mut Diags, item: &Node, burst: &str, rate: &str, owner: &str) -> R<Throttle> {
    let burst_limit = whole(d, item, burst, owner);
    let rate_limit = props::float(d, item, rate, owner, 0.0..=f64::MAX);
    Ok(Throttle {
        burst_limit: burst_limit?,
        rate_limit: rate_limit?,
    })
}

/// One HTTP API route setting, for the routes `path` and `method` select.
pub fn route_setting(
    d: &mut Diags,
    node: &Node,
    path: &str,
    method: &str,
    owner: &str,
) -> R<MethodSetting> {
    if node.as_map().is_none() {
        return Err(d.error(
            node.pos,
            format!(
                "{owner}: route settings must be a mapping, not {}",
                node.kind_name()
            ),
        ));
    }
    props::known_keys(d, node, HTTP_ROUTE_SETTING_KEYS, owner)?;
    Ok(MethodSetting {
        resource_path: path.to_string(),
        http_method: method.to_string(),
        throttle: throttle(
            d,
            node,
            "ThrottlingBurstLimit",
            "ThrottlingRateLimit",
            owner,
        )?,
        caching_enabled: false,
        cache_ttl_secs: None,
        other: others(
            node,
            &["DataTraceEnabled", "DetailedMetricsEnabled", "LoggingLevel"],
        ),
    })
}

/// HTTP API `RouteSettings`: settings keyed by route key (`GET /items`, `$default`).
fn route_settings(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<MethodSetting>> {
    let owner = format!("{owner}: RouteSettings");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of route keys to settings"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        let (method, path) = match key.name.split_once(' ') {
            _ if key.name == "$default" => ("*".to_string(), "$default".to_string()),
            Some((m, p)) if p.starts_with('/') => (m.to_ascii_uppercase(), p.to_string()),
            _ => {
                d.error(
                    key.pos,
                    format!(
                        "{owner}: `{}` is not a route key (write `GET /items` or `$default`)",
                        key.name
                    ),
                );
                failed = true;
                continue;
            }
        };
        match route_setting(d, value, &path, &method, &owner) {
            Ok(s) => out.push(s),
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// `AccessLogSetting` (REST) / `AccessLogSettings` (HTTP API).
fn access_log(d: &mut Diags, node: &Node, key: &str, owner: &str) -> R<AccessLogSettings> {
    let owner = format!("{owner}: {key}");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    props::known_keys(d, node, &["DestinationArn", "Format"], &owner)?;
    let destination_arn = props::text(d, node, "DestinationArn", &owner);
    let format = props::text(d, node, "Format", &owner);
    Ok(AccessLogSettings {
        destination_arn: destination_arn?,
        format: format?,
    })
}

/// `CanarySetting` (SAM and `AWS::ApiGateway::Stage` write it alike).
fn canary(d: &mut Diags, node: &Node, owner: &str) -> R<CanarySettings> {
    let owner = format!("{owner}: CanarySetting");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    props::known_keys(
        d,
        node,
        &[
            "DeploymentId",
            "PercentTraffic",
            "StageVariableOverrides",
            "UseStageCache",
        ],
        &owner,
    )?;
    let percent = props::float(d, node, "PercentTraffic", &owner, 0.0..=100.0);
    let overrides = match node.get("StageVariableOverrides") {
        Some(o) => props::string_map(d, o, &format!("{owner}: StageVariableOverrides")),
        None => Ok(Default::default()),
    };
    let use_stage_cache = props::boolean(d, node, "UseStageCache", &owner);
    let deployment = props::text(d, node, "DeploymentId", &owner);
    Ok(CanarySettings {
        percent_traffic: percent?.unwrap_or(0.0),
        deployment: deployment?,
        stage_variable_overrides: overrides?,
        use_stage_cache: use_stage_cache?.unwrap_or(false),
        source: d.location(node.pos),
    })
}

/// A response type by AWS's name; an unknown name is an error listing the valid ones.
pub fn response_type(
    d: &mut Diags,
    name: &str,
    pos: crate::node::Pos,
    owner: &str,
) -> R<ResponseType> {
    ResponseType::parse(name).ok_or_else(|| {
        let valid: Vec<&str> = ResponseType::ALL.iter().map(|t| t.as_str()).collect();
        d.error(
            pos,
            format!(
                "{owner}: `{name}` is not a gateway response type; valid types are {}",
                valid.join(", ")
            ),
        )
    })
}

/// A `StatusCode` written as a string or a number.
fn status_code(d: &mut Diags, props: &Node, owner: &str) -> R<Option<u16>> {
    let Some(node) = props.get("StatusCode") else {
        return Ok(None);
    };
    match node
        .scalar_text()
        .and_then(|t| t.trim().parse::<u16>().ok())
    {
        Some(code) if (100..=599).contains(&code) => Ok(Some(code)),
        _ => Err(d.error(
            node.pos,
            format!("{owner}: StatusCode must be an HTTP status from 100 to 599"),
        )),
    }
}

/// `ResponseTemplates`: content type to template text.
fn templates(d: &mut Diags, props: &Node, owner: &str) -> R<Vec<(String, String)>> {
    match props.get("ResponseTemplates") {
        Some(node) => Ok(
            props::string_map(d, node, &format!("{owner}: ResponseTemplates"))?
                .into_iter()
                .collect(),
        ),
        None => Ok(Vec::new()),
    }
}

/// SAM's `GatewayResponses`: `{TYPE: {StatusCode, ResponseParameters: {Headers, Paths,
/// QueryStrings}, ResponseTemplates}}`, turned into AWS's `gatewayresponse.*` keys.
pub fn sam_gateway_responses(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<GatewayResponse>> {
    let owner = format!("{owner}: GatewayResponses");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of response types such as UNAUTHORIZED"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        match sam_gateway_response(d, &key.name, key.pos, value, &owner) {
            Ok(r) => out.push(r),
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

fn sam_gateway_response(
    d: &mut Diags,
    name: &str,
    pos: crate::node::Pos,
    value: &Node,
    owner: &str,
) -> R<GatewayResponse> {
    let response_type = response_type(d, name, pos, owner);
    let owner = format!("{owner}: {name}");
    let empty = Node::new(Value::Map(vec![]), value.pos);
    let value = match &value.value {
        Value::Null => &empty,
        Value::Map(_) => value,
        _ => {
            return Err(d.error(
                value.pos,
                format!("{owner} must be a mapping with StatusCode, ResponseParameters or ResponseTemplates"),
            ));
        }
    };
    props::known_keys(
        d,
        value,
        &["StatusCode", "ResponseParameters", "ResponseTemplates"],
        &owner,
    )?;
    let status_code = status_code(d, value, &owner);
    let templates = templates(d, value, &owner);
    let mut parameters = Vec::new();
    let mut failed = false;
    if let Some(params) = value.get("ResponseParameters") {
        let owner = format!("{owner}: ResponseParameters");
        if params.as_map().is_none() {
            return Err(d.error(
                params.pos,
                format!("{owner} must be a mapping with Headers, Paths or QueryStrings"),
            ));
        }
        props::known_keys(d, params, &["Headers", "Paths", "QueryStrings"], &owner)?;
        for (key, location) in [
            ("Headers", "header"),
            ("Paths", "path"),
            ("QueryStrings", "querystring"),
        ] {
            if let Some(node) = params.get(key) {
                match props::string_map(d, node, &format!("{owner}: {key}")) {
                    Ok(map) => parameters.extend(
                        map.into_iter()
                            .map(|(k, v)| (format!("gatewayresponse.{location}.{k}"), v)),
                    ),
                    Err(Reported) => failed = true,
                }
            }
        }
    }
    let (Ok(response_type), Ok(status_code), Ok(response_templates), false) =
        (response_type, status_code, templates, failed)
    else {
        return Err(Reported);
    };
    Ok(GatewayResponse {
        response_type,
        status_code,
        response_parameters: parameters,
        response_templates,
        source: d.location(pos),
    })
}

/// An `AWS::ApiGateway::GatewayResponse`'s properties (AWS's keys as written).
pub fn cfn_gateway_response(
    d: &mut Diags,
    props: &Node,
    pos: crate::node::Pos,
    owner: &str,
) -> R<GatewayResponse> {
    let response_type = match props.get("ResponseType") {
        Some(node) => match node.as_str() {
            Some(name) => response_type(d, name, node.pos, owner),
            None => Err(d.error(node.pos, format!("{owner}: ResponseType must be a string"))),
        },
        None => Err(d.error(pos, format!("{owner} needs a ResponseType"))),
    };
    let status_code = status_code(d, props, owner);
    let templates = templates(d, props, owner);
    let parameters = match props.get("ResponseParameters") {
        Some(node) => props::string_map(d, node, &format!("{owner}: ResponseParameters"))
            .map(|m| m.into_iter().collect()),
        None => Ok(Vec::new()),
    };
    Ok(GatewayResponse {
        response_type: response_type?,
        status_code: status_code?,
        response_parameters: parameters?,
        response_templates: templates?,
        source: d.location(pos),
    })
}

/// Method settings written flat on a deployment's `StageDescription` (`ThrottlingBurstLimit`,
/// `CachingEnabled`, …): one setting for every method (`/*`, `*`), `None` when none is given.
pub fn flat_method_setting(d: &mut Diags, node: &Node, owner: &str) -> R<Option<MethodSetting>> {
    let flat: Vec<(crate::node::Key, Node)> = node
        .as_map()
        .unwrap_or_default()
        .iter()
        .filter(|(k, _)| {
            REST_METHOD_SETTING_KEYS.contains(&k.name.as_str())
                && k.name != "ResourcePath"
                && k.name != "HttpMethod"
        })
        .cloned()
        .collect();
    if flat.is_empty() {
        return Ok(None);
    }
    method_setting(d, &Node::new(Value::Map(flat), node.pos), owner).map(Some)
}
