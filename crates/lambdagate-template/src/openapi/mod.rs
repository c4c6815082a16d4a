//! An API's OpenAPI definition (`DefinitionBody`, or the file `DefinitionUri` names): paths and
//! operations with their `x-amazon-apigateway-*` extensions, as API Gateway imports them, into
//! the API's routes, authorizers, gateway responses, validators and models.
//!
//! Swagger 2.0 and OpenAPI 3.x are both read: they differ only in where security schemes
//! (`securityDefinitions` / `components.securitySchemes`), schemas (`definitions` /
//! `components.schemas`) and request bodies (`in: body` / `requestBody`) are written.
//!
//! Lambda integrations name their function by the name inside the invocation ARN; the SAM
//! transform maps that name to the function's logical id once the functions are built.
//!
//! This file walks the paths and their operations; what each part of the document loads into
//! lives in a room named for it: [`integration`](mod@integration)
//! (`x-amazon-apigateway-integration`), [`security`] (security schemes and authorizers),
//! [`method_request`] (parameters, request models and method responses) and
//! [`api_settings`](mod@api_settings) (the document's API-wide extensions and models).

mod api_settings;
pub(crate) mod integration;
mod method_request;
pub(crate) mod security;

use std::path::Path;

use lambdagate_model::{Api, ApiKind, Integration, Route, RouteKey};

use crate::diag::{Diags, R, Reported};
use crate::node::{Key, Node, Pos};
use crate::{props, yaml};

use api_settings::{
    api_key_source, api_settings, binary_media_types, gateway_responses, models, validator_name,
    validators,
};
use integration::integration;
use method_request::{method_responses, parameters, request_models};
use security::{Scheme, method_auth, security_schemes};

/// Operation keys of a path item and the method each stands for.
const METHODS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// Top-level extensions this module loads; any other `x-amazon-apigateway-*` is warned about.
const TOP_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-gateway-responses",
    "x-amazon-apigateway-binary-media-types",
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-request-validator",
    "x-amazon-apigateway-api-key-source",
    "x-amazon-apigateway-cors",
    "x-amazon-apigateway-minimum-compression-size",
    "x-amazon-apigateway-endpoint-configuration",
    "x-amazon-apigateway-policy",
    // Documentation and the export format's version change nothing a request sees.
    "x-amazon-apigateway-documentation",
    "x-amazon-apigateway-importexport-version",
];

/// Operation extensions this module loads.
const OPERATION_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-integration",
    "x-amazon-apigateway-request-validator",
    "x-amazon-apigateway-auth",
];

/// What the SAM transform needs to know about the routes a definition added.
#[derive(Debug, Default)]
pub struct Definition {
    /// For each route the definition added (the API's first routes, in order): whether its
    /// operation names its own `security`; SAM's `DefaultAuthorizer` leaves those alone.
    pub own_security: Vec<bool>,
    /// Methods without an integration (a mock stands in), with their settings: not served
    /// unless a function event adds that route (SAM then puts the event's integration on them
    /// and keeps the rest).
    pub bare: Vec<Route>,
    /// Whether a method that cannot be read refuses the definition (`validate`) or is left out
    /// with a warning (serving; such a route is then not served at all, so nothing is served
    /// without the settings it names).
    strict: bool,
}

/// Loads the definition of an API from its resolved SAM properties, when it has one. Mistakes
/// are reported; what loaded is kept.
pub fn from_props(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    base: &Path,
    strict: bool,
) -> Definition {
    read(
        d,
        props,
        api,
        base,
        ["DefinitionBody", "DefinitionUri"],
        strict,
    )
}

/// Loads the definition of a raw `AWS::ApiGateway::RestApi` / `AWS::ApiGatewayV2::Api` from
/// `Body` or `BodyS3Location` (a local file, as `aws cloudformation package` takes it).
pub fn from_raw_props(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    base: &Path,
    strict: bool,
) -> Definition {
    read(d, props, api, base, ["Body", "BodyS3Location"], strict)
}

/// The definition under the inline and file `keys`; its own errors stay reported.
fn read(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    base: &Path,
    keys: [&str; 2],
    strict: bool,
) -> Definition {
    let mut out = Definition {
        strict,
        ..Definition::default()
    };
    let _ = definition(d, props, api, base, keys, &mut out);
    out
}

fn definition(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    base: &Path,
    [body_key, uri_key]: [&str; 2],
    out: &mut Definition,
) -> R<()> {
    let owner = format!("API `{}`", api.logical_id);
    match (props.get(body_key), props.get(uri_key)) {
        (None, None) => Ok(()),
        (Some(_), Some(uri)) => Err(d.error(
            uri.pos,
            format!("{owner}: give {body_key} or {uri_key}, not both (a deploy rejects both)"),
        )),
        (Some(body), None) => {
            if body.as_map().is_none() {
                return Err(d.error(
                    body.pos,
                    format!(
                        "{owner}: {body_key} must be an OpenAPI document (a mapping), not {}",
                        body.kind_name()
                    ),
                ));
            }
            load(d, body, api, &format!("{owner}: {body_key}"), out)
        }
        // A mapping (an S3 location) is reported by the API's own properties.
        (None, Some(uri)) => match uri.as_str() {
            Some(file) => from_file(d, (uri_key, file), uri.pos, api, base, &owner, out),
            None if uri_key == "BodyS3Location" => Err(d.error(
                uri.pos,
                format!("{owner}: BodyS3Location is an S3 location; lambdagate reads a local file, so write it as a path (as `aws cloudformation package` takes it) or use Body"),
            )),
            None => Ok(()),
        },
    }
}

/// Reads and loads the local file `DefinitionUri` names; its diagnostics name that file.
fn from_file(
    d: &mut Diags,
    (key, file): (&str, &str),
    pos: Pos,
    api: &mut Api,
    base: &Path,
    owner: &str,
    out: &mut Definition,
) -> R<()> {
    if file.starts_with("s3://") {
        return Err(d.error(
            pos,
            format!("{owner}: {key} `{file}` is in S3; it must be a local file path (S3 is not available locally)"),
        ));
    }
    let path = base.join(file);
    let text = d.read_source(&props::absolute(&path)).map_err(|e| {
        d.error(
            pos,
            format!(
                "{owner}: {key} `{file}` cannot be read ({}): {e}",
                path.display()
            ),
        )
    })?;
    // Named from the template's path as the user gave it, so messages read like the
    // template's own (relative stays relative).
    let shown = d
        .file()
        .parent()
        .map_or_else(|| path.clone(), |dir| dir.join(file));
    let template = d.switch_file(shown);
    let result = match yaml::read_as_sam_does(&text) {
        Ok((doc, leniencies)) => {
            if !yaml::report(d, &leniencies, out.strict, |p| p) {
                Err(Reported)
            } else if doc.as_map().is_some() {
                load(d, &doc, api, &format!("{owner}: {file}"), out)
            } else {
                Err(d.error(
                    doc.pos,
                    format!("{owner}: {file} must hold an OpenAPI document (a mapping)"),
                ))
            }
        }
        Err(errors) => {
            for e in errors {
                d.error(e.pos, e.message);
            }
            Err(Reported)
        }
    };
    d.switch_file(template);
    result
}

/// Loads an OpenAPI document into `api`. Every independent mistake is reported.
pub fn load(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str, out: &mut Definition) -> R<()> {
    let mut failed = false;
    let v3 = doc.get("openapi").is_some();
    if !v3 && doc.get("swagger").is_none() {
        d.warn(
            doc.pos,
            format!("{owner}: neither `swagger: \"2.0\"` nor `openapi: 3.x` is given; read as Swagger 2.0"),
        );
    }
    for (key, _) in doc.as_map().unwrap_or_default() {
        if key.name.starts_with("x-amazon-apigateway-")
            && !TOP_EXTENSIONS.contains(&key.name.as_str())
        {
            d.warn(
                key.pos,
                format!(
                    "{owner}: {} is not served yet; requests are answered without it",
                    key.name
                ),
            );
        }
    }
    let mut ok = |r: R<()>| failed |= r.is_err();

    ok(binary_media_types(d, doc, api, owner));
    ok(api_key_source(d, doc, api, owner));
    ok(validators(d, doc, api, owner));
    ok(gateway_responses(d, doc, api, owner));
    ok(api_settings(d, doc, api, owner));
    if let Some(policy) = doc.get("x-amazon-apigateway-policy") {
        let owner = format!("{owner}: x-amazon-apigateway-policy");
        ok(crate::resource_policy::statements(d, policy, &owner)
            .map(|statements| crate::resource_policy::merge(&mut api.resource_policy, statements)));
    }
    if api.kind == ApiKind::Rest {
        ok(models(d, doc, v3, api, owner));
    }
    let schemes = match security_schemes(d, doc, v3, api, owner) {
        Ok(s) => s,
        Err(Reported) => {
            failed = true;
            Vec::new()
        }
    };
    let default_security = doc.get("security");
    let Some(paths) = doc.get("paths") else {
        d.warn(
            doc.pos,
            format!("{owner}: the document has no paths; it adds no routes"),
        );
        return if failed { Err(Reported) } else { Ok(()) };
    };
    let Some(paths) = paths.as_map() else {
        return Err(d.error(
            paths.pos,
            format!("{owner}: paths must be a mapping of paths"),
        ));
    };
    let context = Context {
        doc,
        owner,
        v3,
        schemes: &schemes,
        default_security,
    };
    for (path, item) in paths {
        if path_item(d, &context, path, item, api, out).is_err() {
            failed = true;
        }
    }
    if failed { Err(Reported) } else { Ok(()) }
}

/// What every operation of a document reads besides itself.
struct Context<'a> {
    doc: &'a Node,
    owner: &'a str,
    v3: bool,
    schemes: &'a [(String, Scheme)],
    default_security: Option<&'a Node>,
}

/// One path and its operations.
fn path_item(
    d: &mut Diags,
    cx: &Context<'_>,
    path: &Key,
    item: &Node,
    api: &mut Api,
    out: &mut Definition,
) -> R<()> {
    let owner = format!("{}: path `{}`", cx.owner, path.name);
    let is_default = path.name == "$default";
    if is_default && api.kind == ApiKind::Rest {
        return Err(d.error(
            path.pos,
            format!("{owner}: `$default` is a path of HTTP APIs only"),
        ));
    }
    if !is_default && !path.name.starts_with('/') {
        return Err(d.error(path.pos, format!("{owner} must start with /")));
    }
    let Some(entries) = item.as_map() else {
        return Err(d.error(item.pos, format!("{owner} must be a mapping of methods")));
    };
    let shared = item.get("parameters");
    let mut failed = false;
    for (key, operation) in entries {
        let Some(&(_, method)) = METHODS.iter().find(|(k, _)| *k == key.name) else {
            if key.name.starts_with("x-amazon-apigateway-") {
                d.warn(
                    key.pos,
                    format!(
                        "{owner}: {} is not served yet; requests are answered without it",
                        key.name
                    ),
                );
            }
            // `parameters`, `summary`, `description`, `servers`: read with the operations or
            // documentation only.
            continue;
        };
        let route_key = if is_default {
            if method != "ANY" {
                d.error(
                    key.pos,
                    format!(
                        "{owner}: the `$default` route takes only x-amazon-apigateway-any-method"
                    ),
                );
                failed = true;
                continue;
            }
            RouteKey::Default
        } else {
            RouteKey::MethodPath {
                method: method.to_string(),
                path: path.name.clone(),
            }
        };
        let mark = d.mark();
        match operation_route(d, cx, route_key.clone(), key.pos, operation, shared, api) {
            Ok((route, true)) => {
                out.own_security.push(operation.get("security").is_some());
                api.routes.push(route);
            }
            Ok((route, false)) => out.bare.push(route),
            // `sam local` serves the rest of such a definition (SAM CLI's own test templates
            // have an `aws_proxy` integration without a `uri`).
            Err(Reported) if !out.strict => d.demote_since(
                mark,
                &format!(
                    "; `{route_key}` is not served (a deploy would reject it: `lambdagate \
                     validate` reports it as an error)"
                ),
            ),
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(()) }
}

/// One operation as a route; `None` when it has no integration (warned: AWS would refuse it).
fn operation_route(
    d: &mut Diags,
    cx: &Context<'_>,
    key: RouteKey,
    pos: Pos,
    op: &Node,
    shared: Option<&Node>,
    api: &mut Api,
) -> R<(Route, bool)> {
    let owner = format!("{}: `{key}`", cx.owner);
    if op.as_map().is_none() {
        return Err(d.error(op.pos, format!("{owner} must be a mapping (an operation)")));
    }
    for (k, _) in op.as_map().unwrap_or_default() {
        if k.name.starts_with("x-amazon-apigateway-")
            && !OPERATION_EXTENSIONS.contains(&k.name.as_str())
        {
            d.warn(
                k.pos,
                format!(
                    "{owner}: {} is not served yet; requests are answered without it",
                    k.name
                ),
            );
        }
    }
    // A method without an integration is kept aside with its settings: a function event may
    // supply the integration (SAM adds it to the method), else the transform warns.
    let integrated = op.get("x-amazon-apigateway-integration");
    let integration = match integrated {
        Some(node) => integration(d, node, api.kind, &owner),
        None => Ok(Integration::mock()),
    };
    let auth = method_auth(d, cx, op, &owner);
    let parameters = parameters(d, cx.doc, shared, op, &owner);
    let models = request_models(d, cx, op, api, &owner);
    let validator = match op.get("x-amazon-apigateway-request-validator") {
        Some(node) => validator_name(d, node, api, &owner).map(Some),
        None => Ok(None),
    };
    let operation_name = props::text(d, op, "operationId", &owner);
    let (
        Ok(integration),
        Ok((auth, api_key_required)),
        Ok(parameters),
        Ok(models),
        Ok(validator),
        Ok(operation_name),
    ) = (
        integration,
        auth,
        parameters,
        models,
        validator,
        operation_name,
    )
    else {
        return Err(Reported);
    };
    let event_id = match &key {
        RouteKey::MethodPath { method, path } => format!("OpenApi {method} {path}"),
        RouteKey::Default => "OpenApi $default".to_string(),
    };
    let mut route = Route::new(key, integration, event_id, d.location(pos));
    route.auth = auth;
    route.api_key_required = api_key_required;
    route.request_parameters = parameters;
    route.request_models = models;
    route.request_validator = validator;
    route.operation_name = operation_name;
    if api.kind == ApiKind::Rest {
        route.method_responses = method_responses(cx, op);
    }
    Ok((route, integrated.is_some()))
}
