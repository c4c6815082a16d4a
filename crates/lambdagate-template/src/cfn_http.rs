//! Raw CloudFormation HTTP APIs: `AWS::ApiGatewayV2::Api` (quick create with `Target`, an
//! OpenAPI `Body`, or neither), its `Route`s, `Integration`s and `Authorizer`s, into the
//! model's [`Api`]. Stages attach in `cfn.rs`.
//!
//! Quick create makes what AWS makes: a Lambda proxy (payload 2.0) or HTTP proxy integration
//! for `Target`, the route `RouteKey` (`$default` when absent) and the `$default` stage with
//! automatic deployment; `ApiGatewayManagedOverrides` then adjust those three. WebSocket APIs
//! are warned about and left out, with everything that belongs to them.

use std::collections::HashMap;
use std::path::Path;

use lambdagate_model::{
    Api, ApiKind, AuthorizationType, Integration, IntegrationTarget, IntegrationType, MethodAuth,
    PayloadFormat, Route, RouteKey, Stage,
};

use crate::cfn::warn_unloaded;
use crate::cfn_rest::{api_of, of_kind, ref_value, tolerate};
use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos, Value};
use crate::{cfn_shape, openapi, props};

/// `AWS::ApiGatewayV2::Api` properties that are loaded (or only matter in AWS).
const API_KEYS: &[&str] = &[
    "Name",
    "Description",
    "ProtocolType",
    "Target",
    "RouteKey",
    "CredentialsArn",
    "CorsConfiguration",
    "DisableExecuteApiEndpoint",
    "Body",
    "BodyS3Location",
    "BasePath",
    "FailOnWarnings",
    "DisableSchemaValidation",
    "Version",
    "RouteSelectionExpression",
    "IpAddressType",
];

/// `AWS::ApiGatewayV2::Route` properties that are loaded.
const ROUTE_KEYS: &[&str] = &[
    "ApiId",
    "RouteKey",
    "Target",
    "AuthorizationType",
    "AuthorizerId",
    "AuthorizationScopes",
    "OperationName",
    // Warned about below when true (it is for WebSocket APIs only).
    "ApiKeyRequired",
];

/// What [`build`] found.
#[derive(Debug, Default)]
pub struct Built {
    /// The logical ids of the HTTP APIs added.
    pub added: Vec<String>,
    /// The logical ids of the APIs made by quick create (`Target`).
    pub quick: Vec<String>,
    /// What `Ref` yields for each WebSocket API (warned about once, not served): resources
    /// that belong to one are left out without a word of their own.
    pub websocket: Vec<String>,
}

impl Built {
    /// True when `props` (an `AWS::ApiGatewayV2::*` resource's) belongs to a WebSocket API.
    pub fn of_websocket(&self, props: &Node) -> bool {
        props
            .get("ApiId")
            .and_then(Node::scalar_text)
            .is_some_and(|id| self.websocket.contains(&id))
    }
}

/// Builds every raw HTTP API of `included` with its routes and adds them to `apis`.
pub fn build(
    ev: &mut Evaluator<'_>,
    included: &[(&Resource, &Node)],
    base: &Path,
    apis: &mut Vec<Api>,
) -> Built {
    let of = |kind: &str| of_kind(included, kind);
    let mut built = Built::default();
    for (resource, props) in of("AWS::ApiGatewayV2::Api") {
        let mark = ev.diags.mark();
        let api = http_api(&mut ev.diags, resource, props, ev.strict);
        let what = format!("API `{}`", resource.logical_id);
        match tolerate(ev, mark, api, &what) {
            Some(Some(mut api)) => {
                crate::cfn_rest::body(ev, resource, props, &mut api, base);
                if props.get("Target").is_some() {
                    built.quick.push(api.logical_id.clone());
                }
                built.added.push(api.logical_id.clone());
                apis.push(api);
            }
            Some(None) => {
                if let Some(id) = ref_value(ev, &resource.logical_id, resource.pos) {
                    built.websocket.push(id);
                }
                built.websocket.push(resource.logical_id.clone());
            }
            None => {}
        }
    }
    let of = |kind: &'static str| {
        of(kind)
            .into_iter()
            .filter(|(_, props)| !built.of_websocket(props))
            .collect::<Vec<_>>()
    };

    let mut integrations: HashMap<String, (usize, Integration)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGatewayV2::Integration") {
        let owner = format!("integration `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let built = api_of(
            &mut ev.diags,
            apis,
            props,
            "ApiId",
            ApiKind::Http,
            &owner,
            resource.pos,
        )
        .and_then(|index| {
            openapi::integration::read(
                &mut ev.diags,
                &cfn_shape::http_integration(props),
                ApiKind::Http,
                &owner,
            )
            .map(|i| (index, i))
        });
        if let Some(built) = tolerate(ev, mark, built, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            integrations.insert(key, built);
        }
    }
    let mut authorizers: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGatewayV2::Authorizer") {
        let owner = format!("authorizer `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let built = crate::cfn_rest::authorizer(
            &mut ev.diags,
            apis,
            resource,
            props,
            ApiKind::Http,
            &owner,
        );
        if let Some((index, authorizer)) = tolerate(ev, mark, built, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            authorizers.insert(key, (index, authorizer.name.clone()));
            apis[index].authorizers.push(authorizer);
        }
    }
    for (resource, props) in of("AWS::ApiGatewayV2::Route") {
        let owner = format!("route `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let built = route(
            &mut ev.diags,
            apis,
            &integrations,
            &authorizers,
            resource,
            props,
            &owner,
        );
        if let Some((index, route)) = tolerate(ev, mark, built, &owner) {
            apis[index].routes.push(route);
        }
    }
    for (resource, props) in of("AWS::ApiGatewayV2::ApiGatewayManagedOverrides") {
        let owner = format!("managed overrides `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let done = overrides(
            &mut ev.diags,
            apis,
            &built.quick,
            &authorizers,
            resource,
            props,
            &owner,
        );
        tolerate(ev, mark, done, &owner);
    }
    built
}

/// `AWS::ApiGatewayV2::ApiGatewayManagedOverrides`: changes to the integration, route and
/// `$default` stage quick create made.
fn overrides(
    d: &mut Diags,
    apis: &mut [Api],
    quick: &[String],
    authorizers: &HashMap<String, (usize, String)>,
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<()> {
    warn_unloaded(d, props, &["ApiId", "Integration", "Route", "Stage"], owner);
    let index = api_of(d, apis, props, "ApiId", ApiKind::Http, owner, resource.pos)?;
    let logical_id = apis[index].logical_id.clone();
    if !quick.contains(&logical_id) {
        return Err(d.error(
            props.get("ApiId").map_or(resource.pos, |n| n.pos),
            format!(
                "{owner}: API `{logical_id}` was not made by quick create (Target), so it has no \
                 managed integration, route or stage to override"
            ),
        ));
    }
    let auth = match props.get("Route") {
        Some(node) => {
            let owner = format!("{owner}: Route");
            warn_unloaded(
                d,
                node,
                &[
                    "AuthorizationType",
                    "AuthorizerId",
                    "AuthorizationScopes",
                    "OperationName",
                ],
                &owner,
            );
            let auth = route_auth(d, apis, authorizers, index, node, node.pos, &owner)?;
            Some((auth, props::text(d, node, "OperationName", &owner)?))
        }
        None => None,
    };
    let api = &mut apis[index];
    let Some(route) = api.routes.iter_mut().find(|r| r.event_id == logical_id) else {
        return Ok(());
    };
    if let Some((auth, operation)) = auth {
        route.auth = auth;
        if operation.is_some() {
            route.operation_name = operation;
        }
    }
    if let Some(node) = props.get("Integration") {
        let owner = format!("{owner}: Integration");
        warn_unloaded(
            d,
            node,
            &[
                "PayloadFormatVersion",
                "TimeoutInMillis",
                "IntegrationMethod",
                "Description",
            ],
            &owner,
        );
        let integration = &mut route.integration;
        match props::text(d, node, "PayloadFormatVersion", &owner)?.as_deref() {
            None => {}
            Some("1.0") => integration.payload_format = PayloadFormat::V1,
            Some("2.0") if integration.kind == IntegrationType::AwsProxy => {
                integration.payload_format = PayloadFormat::V2;
            }
            Some(other) => {
                return Err(d.error(
                    node.get("PayloadFormatVersion").map_or(node.pos, |n| n.pos),
                    format!(
                        "{owner}: PayloadFormatVersion `{other}` must be \"1.0\", or \"2.0\" \
                         for a Lambda integration"
                    ),
                ));
            }
        }
        if let Some(timeout) = props::number(d, node, "TimeoutInMillis", &owner, 50..=30000)? {
            integration.timeout_ms = Some(timeout);
        }
        if let Some(method) = props::text(d, node, "IntegrationMethod", &owner)? {
            integration.http_method = Some(method.to_ascii_uppercase());
        }
    }
    if let Some(node) = props.get("Stage") {
        let owner = format!("{owner}: Stage");
        warn_unloaded(
            d,
            node,
            &[
                "AccessLogSettings",
                "AutoDeploy",
                "DefaultRouteSettings",
                "Description",
                "RouteSettings",
                "StageVariables",
            ],
            &owner,
        );
        if let Some(stage) = api.stages.iter_mut().find(|s| s.name == "$default") {
            crate::settings::fill_stage(d, node, ApiKind::Http, &owner, stage)?;
            if let Some(description) = props::text(d, node, "Description", &owner)? {
                stage.description = Some(description);
            }
        }
    }
    Ok(())
}

/// One `AWS::ApiGatewayV2::Api`; `None` for a WebSocket API (warned).
fn http_api(d: &mut Diags, resource: &Resource, props: &Node, strict: bool) -> R<Option<Api>> {
    let owner = format!("API `{}`", resource.logical_id);
    let protocol = props::text(d, props, "ProtocolType", &owner)?;
    match protocol.as_deref() {
        Some("HTTP") => {}
        // A quick-create or Body API may leave it out; AWS then takes HTTP from the body.
        None if props.get("Body").is_some() || props.get("BodyS3Location").is_some() => {}
        Some("WEBSOCKET") => {
            d.warn(
                props.get("ProtocolType").map_or(resource.pos, |n| n.pos),
                format!(
                    "{owner}: WebSocket APIs are not served; lambdagate serves REST and HTTP APIs"
                ),
            );
            return Ok(None);
        }
        Some(other) => {
            return Err(d.error(
                props.get("ProtocolType").map_or(resource.pos, |n| n.pos),
                format!("{owner}: ProtocolType `{other}` must be HTTP or WEBSOCKET"),
            ));
        }
        None => {
            return Err(d.error(
                resource.pos,
                format!("{owner} needs a ProtocolType (HTTP or WEBSOCKET)"),
            ));
        }
    }
    warn_unloaded(d, props, API_KEYS, &owner);
    let location = d.location(resource.pos);
    let mut api = Api::new(
        resource.logical_id.clone(),
        ApiKind::Http,
        Stage::named("", location.clone()),
    );
    api.stages.clear();
    let name = props::text(d, props, "Name", &owner);
    let description = props::text(d, props, "Description", &owner);
    let cors = match props.get("CorsConfiguration") {
        Some(node) => crate::sam::cors::http(d, node, &owner, strict),
        None => Ok(None),
    };
    let disable = props::boolean(d, props, "DisableExecuteApiEndpoint", &owner);
    let target = props::text(d, props, "Target", &owner);
    let route_key = props::text(d, props, "RouteKey", &owner);
    let credentials = props::text(d, props, "CredentialsArn", &owner);
    let (name, description, cors, disable, target, route_key, credentials) = (
        name?,
        description?,
        cors?,
        disable?,
        target?,
        route_key?,
        credentials?,
    );
    api.name = name;
    api.description = description;
    api.cors = cors.map(lambdagate_model::Cors::Http);
    api.disable_execute_api_endpoint = disable.unwrap_or(false);
    match target {
        Some(target) => {
            let key = match &route_key {
                Some(text) => parse_route_key(
                    d,
                    text,
                    props.get("RouteKey").map_or(resource.pos, |n| n.pos),
                    &owner,
                )?,
                None => RouteKey::Default,
            };
            let integration = quick_integration(&target, credentials);
            let route = Route::new(
                key,
                integration,
                resource.logical_id.clone(),
                location.clone(),
            );
            api.routes.push(route);
            // Quick create makes the `$default` stage, deployed automatically.
            let mut stage = Stage::named("$default", location);
            stage.auto_deploy = true;
            api.stages.push(stage);
        }
        None => {
            for key in ["RouteKey", "CredentialsArn"] {
                if let Some(node) = props.get(key) {
                    d.warn(
                        node.pos,
                        format!(
                            "{owner}: {key} only applies with Target (quick create); it is ignored"
                        ),
                    );
                }
            }
        }
    }
    Ok(Some(api))
}

/// The integration quick create makes for `Target`: a Lambda proxy with payload 2.0 for a
/// function ARN, an HTTP proxy for a URL.
fn quick_integration(target: &str, credentials: Option<String>) -> Integration {
    let function = openapi::integration::lambda_function(target);
    let (kind, target_of) = match function {
        Some(name) => (IntegrationType::AwsProxy, IntegrationTarget::Function(name)),
        None => (
            IntegrationType::HttpProxy,
            IntegrationTarget::Uri(target.to_string()),
        ),
    };
    let mut integration = Integration::mock();
    integration.kind = kind;
    integration.target = target_of;
    integration.payload_format = if kind == IntegrationType::AwsProxy {
        PayloadFormat::V2
    } else {
        PayloadFormat::V1
    };
    if kind == IntegrationType::HttpProxy {
        integration.http_method = Some("ANY".to_string());
    }
    integration.credentials = credentials;
    integration
}

/// `$default`, or `METHOD /path` (method upper-case or `ANY`).
fn parse_route_key(d: &mut Diags, text: &str, at: Pos, owner: &str) -> R<RouteKey> {
    if text == "$default" {
        return Ok(RouteKey::Default);
    }
    let valid = |m: &str| {
        [
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
        ]
        .contains(&m)
    };
    match text.split_once(' ') {
        Some((method, path)) if valid(method) && valid_path(path) => Ok(RouteKey::MethodPath {
            method: method.to_string(),
            path: path.to_string(),
        }),
        _ => Err(d.error(
            at,
            format!(
                "{owner}: RouteKey `{text}` must be `$default` or `METHOD /path` (such as \
                 `GET /items/{{id}}` or `ANY /{{proxy+}}`)"
            ),
        )),
    }
}

/// `/a/{b}/{c+}`: literal segments, `{name}` parameters, and one `{name+}` at the end.
fn valid_path(path: &str) -> bool {
    if !path.starts_with('/') || path.contains(' ') {
        return false;
    }
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    parts.iter().enumerate().all(|(i, part)| {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(inner) => {
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(name) => (name, true),
                    None => (inner, false),
                };
                !name.is_empty()
                    && !name.contains(['{', '}', '+'])
                    && (!greedy || i + 1 == parts.len())
            }
            None => !part.contains(['{', '}']),
        }
    })
}

fn route(
    d: &mut Diags,
    apis: &[Api],
    integrations: &HashMap<String, (usize, Integration)>,
    authorizers: &HashMap<String, (usize, String)>,
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<(usize, Route)> {
    let at = |key: &str| props.get(key).map_or(resource.pos, |n| n.pos);
    warn_unloaded(d, props, ROUTE_KEYS, owner);
    if let Some(node) = props.get("ApiKeyRequired")
        && matches!(node.value, Value::Bool(true))
    {
        d.warn(
            node.pos,
            format!("{owner}: ApiKeyRequired applies to WebSocket APIs only; an HTTP API route ignores it"),
        );
    }
    let index = api_of(d, apis, props, "ApiId", ApiKind::Http, owner, resource.pos)?;
    let key = match props::text(d, props, "RouteKey", owner)? {
        Some(text) => parse_route_key(d, &text, at("RouteKey"), owner)?,
        None => return Err(d.error(resource.pos, format!("{owner} needs a RouteKey"))),
    };
    let Some(target) = props::text(d, props, "Target", owner)? else {
        // AWS accepts a route without an integration (one may be attached later).
        d.warn(
            resource.pos,
            format!(
                "{owner} has no Target (`integrations/` followed by an integration id), so it \
                 is not served"
            ),
        );
        return Err(Reported);
    };
    let Some(id) = target.strip_prefix("integrations/") else {
        return Err(d.error(
            at("Target"),
            format!("{owner}: Target `{target}` must be `integrations/` followed by an integration id (!Sub integrations/${{MyIntegration}})"),
        ));
    };
    let integration = match integrations.get(id) {
        Some((i, integration)) if *i == index => integration.clone(),
        Some(_) => {
            return Err(d.error(
                at("Target"),
                format!("{owner}: Target names integration `{id}` of another API"),
            ));
        }
        None => {
            return Err(d.error(
                at("Target"),
                format!("{owner}: Target names integration `{id}`, which is not an AWS::ApiGatewayV2::Integration of this template"),
            ));
        }
    };
    let auth = route_auth(d, apis, authorizers, index, props, resource.pos, owner)?;
    let mut route = Route::new(
        key,
        integration,
        resource.logical_id.clone(),
        d.location(resource.pos),
    );
    route.auth = auth;
    route.operation_name = props::text(d, props, "OperationName", owner)?;
    Ok((index, route))
}

/// A route's `AuthorizationType`, `AuthorizerId` and `AuthorizationScopes` (of a Route, or of
/// the Route a quick-create API's managed overrides change).
fn route_auth(
    d: &mut Diags,
    apis: &[Api],
    authorizers: &HashMap<String, (usize, String)>,
    index: usize,
    props: &Node,
    pos: Pos,
    owner: &str,
) -> R<MethodAuth> {
    let at = |key: &str| props.get(key).map_or(pos, |n| n.pos);
    let kind = props::text(d, props, "AuthorizationType", owner)?;
    let authorization_type = match kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("NONE") => AuthorizationType::None,
        Some("AWS_IAM") => AuthorizationType::AwsIam,
        Some("CUSTOM") => AuthorizationType::Custom,
        Some("JWT") => AuthorizationType::Jwt,
        Some(other) => {
            return Err(d.error(
                at("AuthorizationType"),
                format!(
                    "{owner}: AuthorizationType `{other}` must be NONE, AWS_IAM, CUSTOM or JWT"
                ),
            ));
        }
    };
    let authorizer = match props::text(d, props, "AuthorizerId", owner)? {
        Some(id) => match authorizers.get(&id) {
            Some((i, name)) if *i == index => Some(name.clone()),
            _ => {
                return Err(d.error(
                    at("AuthorizerId"),
                    format!(
                        "{owner}: AuthorizerId `{id}` is not an authorizer of this route's API"
                    ),
                ));
            }
        },
        None => None,
    };
    crate::cfn_rest::check_authorizer(
        d,
        &apis[index],
        authorizer.as_deref(),
        authorization_type,
        at,
        owner,
    )?;
    let scopes = props::strings(d, props, "AuthorizationScopes", owner)?.unwrap_or_default();
    Ok(MethodAuth {
        authorization_type,
        authorizer: authorizer.filter(|_| authorization_type.calls_authorizer()),
        scopes,
    })
}
