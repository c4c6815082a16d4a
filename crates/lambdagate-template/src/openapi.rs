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

use std::path::Path;

use lambdagate_model::{
    Api, ApiKeySource, ApiKind, AuthorizationType, Authorizer, AuthorizerKind, ConnectionType,
    ContentHandling, Cors, GatewayResponse, HttpCors, Integration, IntegrationResponse,
    IntegrationTarget, IntegrationType, LambdaAuthorizerType, MethodAuth, MethodResponse, Model,
    ParameterLocation, PassthroughBehavior, PayloadFormat, RequestParameter, RequestValidator,
    ResponseParameterMapping, Route, RouteKey,
};

use crate::diag::{Diags, R, Reported};
use crate::node::{Key, Node, Pos, Value};
use crate::{props, settings, yaml};

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

/// `x-amazon-apigateway-integration` keys this module loads.
const INTEGRATION_KEYS: &[&str] = &[
    "type",
    "uri",
    "httpMethod",
    "payloadFormatVersion",
    "timeoutInMillis",
    "requestTemplates",
    "requestParameters",
    "responses",
    "responseParameters",
    "passthroughBehavior",
    "contentHandling",
    "credentials",
    "connectionType",
    "connectionId",
    "cacheKeyParameters",
    "integrationSubtype",
    // Only names the cache's partition in AWS; the key parameters are what matter.
    "cacheNamespace",
];

/// `x-amazon-apigateway-authorizer` keys this module loads.
const AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "jwtConfiguration",
    "authorizerPayloadFormatVersion",
    "enableSimpleResponses",
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
}

/// Loads the definition of an API from its resolved SAM properties, when it has one. Mistakes
/// are reported; what loaded is kept.
pub fn from_props(d: &mut Diags, props: &Node, api: &mut Api, base: &Path) -> Definition {
    let mut out = Definition::default();
    let _ = definition(d, props, api, base, &mut out);
    out
}

fn definition(
    d: &mut Diags,
    props: &Node,
    api: &mut Api,
    base: &Path,
    out: &mut Definition,
) -> R<()> {
    let owner = format!("API `{}`", api.logical_id);
    match (props.get("DefinitionBody"), props.get("DefinitionUri")) {
        (None, None) => Ok(()),
        (Some(_), Some(uri)) => Err(d.error(
            uri.pos,
            format!("{owner}: give DefinitionBody or DefinitionUri, not both (SAM rejects both)"),
        )),
        (Some(body), None) => {
            if body.as_map().is_none() {
                return Err(d.error(
                    body.pos,
                    format!(
                        "{owner}: DefinitionBody must be an OpenAPI document (a mapping), not {}",
                        body.kind_name()
                    ),
                ));
            }
            load(d, body, api, &format!("{owner}: DefinitionBody"), out)
        }
        // A mapping (an S3 location) is reported by the API's own properties.
        (None, Some(uri)) => match uri.as_str() {
            Some(file) => from_file(d, file, uri.pos, api, base, &owner, out),
            None => Ok(()),
        },
    }
}

/// Reads and loads the local file `DefinitionUri` names; its diagnostics name that file.
fn from_file(
    d: &mut Diags,
    file: &str,
    pos: Pos,
    api: &mut Api,
    base: &Path,
    owner: &str,
    out: &mut Definition,
) -> R<()> {
    if file.starts_with("s3://") {
        return Err(d.error(
            pos,
            format!("{owner}: DefinitionUri `{file}` is in S3; it must be a local file path (S3 is not available locally)"),
        ));
    }
    let path = base.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        d.error(
            pos,
            format!(
                "{owner}: DefinitionUri `{file}` cannot be read ({}): {e}",
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
    let result = match yaml::read(&text) {
        Ok(doc) if doc.as_map().is_some() => load(d, &doc, api, &format!("{owner}: {file}"), out),
        Ok(doc) => Err(d.error(
            doc.pos,
            format!("{owner}: {file} must hold an OpenAPI document (a mapping)"),
        )),
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

/// What a security scheme of the document stands for.
#[derive(Debug, Clone)]
enum Scheme {
    /// An authorizer added to the API, with its authorization type.
    Authorizer(AuthorizationType),
    /// `apiKey` in the `x-api-key` header: the method needs an API key.
    ApiKey,
    /// `x-amazon-apigateway-authtype: awsSigv4`: IAM authorization.
    Iam,
    /// Anything else, already warned about; naming it protects nothing here.
    Unserved,
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
        match operation_route(d, cx, route_key.clone(), key.pos, operation, shared, api) {
            Ok((route, true)) => {
                out.own_security.push(operation.get("security").is_some());
                api.routes.push(route);
            }
            Ok((route, false)) => out.bare.push(route),
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

/// The function an invocation URI names: the name in
/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations`
/// (or a bare function ARN, which HTTP APIs accept), without an alias or version. Names with
/// `${stageVariables.x}` stay as written; the gateway resolves them per stage.
pub fn lambda_function(uri: &str) -> Option<String> {
    let arn = match uri.split_once(":lambda:path/") {
        Some((_, rest)) => {
            let (_, arn) = rest.split_once("/functions/")?;
            arn.strip_suffix("/invocations").unwrap_or(arn)
        }
        None if uri.starts_with("arn:") && uri.contains(":lambda:") => uri,
        None => return None,
    };
    let name = match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        // `functions/{name}/invocations` with a bare name or a stage-variable name.
        None => arn,
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// A string-to-string mapping as ordered pairs (template text, parameter expressions).
fn pairs(d: &mut Diags, node: &Node, key: &str, owner: &str) -> R<Vec<(String, String)>> {
    match node.get(key) {
        None => Ok(Vec::new()),
        Some(map) => Ok(props::string_map(d, map, &format!("{owner}: {key}"))?
            .into_iter()
            .collect()),
    }
}

/// `contentHandling`: CONVERT_TO_BINARY or CONVERT_TO_TEXT.
fn content_handling(d: &mut Diags, node: &Node, owner: &str) -> R<Option<ContentHandling>> {
    match props::text(d, node, "contentHandling", owner)?.as_deref() {
        None => Ok(None),
        Some("CONVERT_TO_BINARY") => Ok(Some(ContentHandling::ConvertToBinary)),
        Some("CONVERT_TO_TEXT") => Ok(Some(ContentHandling::ConvertToText)),
        Some(other) => Err(d.error(
            node.get("contentHandling").map_or(node.pos, |n| n.pos),
            format!(
                "{owner}: contentHandling `{other}` must be CONVERT_TO_BINARY or CONVERT_TO_TEXT"
            ),
        )),
    }
}

/// `x-amazon-apigateway-integration`.
fn integration(d: &mut Diags, node: &Node, kind: ApiKind, owner: &str) -> R<Integration> {
    let owner = format!("{owner}: x-amazon-apigateway-integration");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping with a type")));
    }
    crate::cfn::warn_unloaded(d, node, INTEGRATION_KEYS, &owner);
    let Some(type_text) = props::text(d, node, "type", &owner)? else {
        return Err(d.error(
            node.pos,
            format!("{owner} needs a type (aws_proxy, mock, http, http_proxy or aws)"),
        ));
    };
    let Some(integration_type) = IntegrationType::parse(&type_text) else {
        return Err(d.error(
            node.get("type").map_or(node.pos, |n| n.pos),
            format!("{owner}: type `{type_text}` must be aws_proxy, aws, http_proxy, http or mock"),
        ));
    };
    let uri = props::text(d, node, "uri", &owner)?;
    let payload_format = match (kind, props::text(d, node, "payloadFormatVersion", &owner)?) {
        (ApiKind::Rest, _) => PayloadFormat::V1,
        (ApiKind::Http, Some(v)) if v == "1.0" => PayloadFormat::V1,
        (ApiKind::Http, Some(v)) if v == "2.0" => PayloadFormat::V2,
        (ApiKind::Http, Some(v)) => {
            return Err(d.error(
                node.get("payloadFormatVersion").map_or(node.pos, |n| n.pos),
                format!("{owner}: payloadFormatVersion `{v}` must be \"1.0\" or \"2.0\""),
            ));
        }
        (ApiKind::Http, None) => {
            if integration_type == IntegrationType::AwsProxy {
                d.warn(
                    node.pos,
                    format!("{owner}: payloadFormatVersion is required for HTTP API Lambda integrations; using 2.0"),
                );
            }
            PayloadFormat::V2
        }
    };
    let timeout_ms = props::number(d, node, "timeoutInMillis", &owner, 50..=30000)?;
    let target = match (integration_type, &uri) {
        (IntegrationType::Mock, _) => IntegrationTarget::None,
        (IntegrationType::AwsProxy | IntegrationType::Aws, Some(uri)) => match lambda_function(uri)
        {
            Some(name) => IntegrationTarget::Function(name),
            None => IntegrationTarget::Uri(uri.clone()),
        },
        (_, Some(uri)) => IntegrationTarget::Uri(uri.clone()),
        // HTTP API AWS service integrations name their action by integrationSubtype.
        (IntegrationType::AwsProxy, None) if node.get("integrationSubtype").is_some() => {
            IntegrationTarget::None
        }
        (_, None) => {
            return Err(d.error(
                node.pos,
                format!("{owner}: a {integration_type} integration needs a uri"),
            ));
        }
    };
    let passthrough_behavior = match props::text(d, node, "passthroughBehavior", &owner)? {
        None => PassthroughBehavior::WhenNoMatch,
        Some(p) => match p.to_ascii_lowercase().as_str() {
            "when_no_match" => PassthroughBehavior::WhenNoMatch,
            "when_no_templates" => PassthroughBehavior::WhenNoTemplates,
            "never" => PassthroughBehavior::Never,
            _ => {
                return Err(d.error(
                    node.get("passthroughBehavior").map_or(node.pos, |n| n.pos),
                    format!("{owner}: passthroughBehavior `{p}` must be when_no_match, when_no_templates or never"),
                ));
            }
        },
    };
    let connection = match props::text(d, node, "connectionType", &owner)?.as_deref() {
        Some("VPC_LINK") => ConnectionType::VpcLink(
            props::text(d, node, "connectionId", &owner)?.unwrap_or_default(),
        ),
        _ => ConnectionType::Internet,
    };
    let responses = match node.get("responses") {
        Some(r) => integration_responses(d, r, &owner)?,
        None => Vec::new(),
    };
    let response_parameters = match (kind, node.get("responseParameters")) {
        (ApiKind::Http, Some(r)) => http_response_parameters(d, r, &owner)?,
        _ => Vec::new(),
    };
    Ok(Integration {
        kind: integration_type,
        target,
        payload_format,
        timeout_ms,
        http_method: props::text(d, node, "httpMethod", &owner)?.map(|m| m.to_ascii_uppercase()),
        credentials: props::text(d, node, "credentials", &owner)?,
        connection,
        subtype: props::text(d, node, "integrationSubtype", &owner)?,
        request_parameters: pairs(d, node, "requestParameters", &owner)?,
        request_templates: pairs(d, node, "requestTemplates", &owner)?,
        passthrough_behavior,
        content_handling: content_handling(d, node, &owner)?,
        cache_key_parameters: props::strings(d, node, "cacheKeyParameters", &owner)?
            .unwrap_or_default(),
        integration_responses: responses,
        response_parameters,
    })
}

/// A status code written as a string or a number.
fn status(d: &mut Diags, node: &Node, key: &str, owner: &str) -> R<Option<u16>> {
    let Some(value) = node.get(key) else {
        return Ok(None);
    };
    match value
        .scalar_text()
        .and_then(|t| t.trim().parse::<u16>().ok())
    {
        Some(code) if (100..=599).contains(&code) => Ok(Some(code)),
        _ => Err(d.error(
            value.pos,
            format!("{owner}: {key} must be an HTTP status from 100 to 599"),
        )),
    }
}

/// REST integration `responses`: selection pattern (`default` for none) to response.
fn integration_responses(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<IntegrationResponse>> {
    let owner = format!("{owner}: responses");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of selection patterns"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        let owner = format!("{owner}: `{}`", key.name);
        if value.as_map().is_none() {
            d.error(
                value.pos,
                format!("{owner} must be a mapping with a statusCode"),
            );
            failed = true;
            continue;
        }
        crate::cfn::warn_unloaded(
            d,
            value,
            &[
                "statusCode",
                "responseParameters",
                "responseTemplates",
                "contentHandling",
            ],
            &owner,
        );
        let code = status(d, value, "statusCode", &owner);
        let parameters = pairs(d, value, "responseParameters", &owner);
        let templates = pairs(d, value, "responseTemplates", &owner);
        let handling = content_handling(d, value, &owner);
        match (code, parameters, templates, handling) {
            (
                Ok(Some(status_code)),
                Ok(response_parameters),
                Ok(response_templates),
                Ok(content_handling),
            ) => {
                out.push(IntegrationResponse {
                    status_code,
                    selection_pattern: (key.name != "default").then(|| key.name.clone()),
                    response_parameters,
                    response_templates,
                    content_handling,
                });
            }
            (Ok(None), ..) => {
                d.error(value.pos, format!("{owner} needs a statusCode"));
                failed = true;
            }
            _ => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// HTTP API `responseParameters`: integration status code to parameter mappings.
fn http_response_parameters(
    d: &mut Diags,
    node: &Node,
    owner: &str,
) -> R<Vec<ResponseParameterMapping>> {
    let owner = format!("{owner}: responseParameters");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of status codes"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(status_code) = key
            .name
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
        else {
            return Err(d.error(
                key.pos,
                format!("{owner}: `{}` must be an HTTP status code", key.name),
            ));
        };
        let parameters = props::string_map(d, value, &format!("{owner}: {}", key.name))?
            .into_iter()
            .collect();
        out.push(ResponseParameterMapping {
            status_code,
            parameters,
        });
    }
    Ok(out)
}

/// Security schemes, with the authorizers they define added to the API.
fn security_schemes(
    d: &mut Diags,
    doc: &Node,
    v3: bool,
    api: &mut Api,
    owner: &str,
) -> R<Vec<(String, Scheme)>> {
    let (node, where_) = if v3 {
        (
            doc.get("components").and_then(|c| c.get("securitySchemes")),
            "components.securitySchemes",
        )
    } else {
        (doc.get("securityDefinitions"), "securityDefinitions")
    };
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let owner = format!("{owner}: {where_}");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of scheme names"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, scheme) in entries {
        let owner = format!("{owner}: `{}`", key.name);
        let text = |field: &str| scheme.get(field).and_then(Node::as_str).map(str::to_string);
        let scheme_type = text("type").unwrap_or_default();
        let auth_type = text("x-amazon-apigateway-authtype").unwrap_or_default();
        let found = if let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") {
            match authorizer_of(d, &key.name, scheme, authorizer, api.kind, &owner) {
                Ok(a) => {
                    // SAM writes its `Auth.Authorizers` over the document's schemes of the
                    // same name, so an authorizer SAM defined stays.
                    let a = match api.authorizer(&a.name) {
                        Some(existing) => existing.clone(),
                        None => {
                            api.authorizers.push(a.clone());
                            a
                        }
                    };
                    let t = match &a.kind {
                        AuthorizerKind::Lambda { .. } => AuthorizationType::Custom,
                        AuthorizerKind::CognitoUserPools { .. } => {
                            AuthorizationType::CognitoUserPools
                        }
                        AuthorizerKind::Jwt { .. } => AuthorizationType::Jwt,
                        AuthorizerKind::Iam => AuthorizationType::AwsIam,
                    };
                    Scheme::Authorizer(t)
                }
                Err(Reported) => {
                    failed = true;
                    continue;
                }
            }
        } else if auth_type.eq_ignore_ascii_case("awsSigv4") {
            Scheme::Iam
        } else if scheme_type == "apiKey"
            && text("in").as_deref() == Some("header")
            && text("name").is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
        {
            Scheme::ApiKey
        } else {
            d.warn(
                key.pos,
                format!("{owner}: a security scheme without x-amazon-apigateway-authorizer is not served; methods that name it are open"),
            );
            Scheme::Unserved
        };
        out.push((key.name.clone(), found));
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// `x-amazon-apigateway-authorizer` of the scheme `name`.
fn authorizer_of(
    d: &mut Diags,
    name: &str,
    scheme: &Node,
    node: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<Authorizer> {
    let owner = format!("{owner}: x-amazon-apigateway-authorizer");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping with a type")));
    }
    crate::cfn::warn_unloaded(d, node, AUTHORIZER_KEYS, &owner);
    let authorizer_type = props::text(d, node, "type", &owner)?.unwrap_or_default();
    // AWS writes identity sources comma-separated in one string; a list is read too.
    let sources: Vec<String> = props::strings(d, node, "identitySource", &owner)?
        .unwrap_or_default()
        .iter()
        .flat_map(|s| s.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    // A TOKEN or Cognito authorizer reads the header the scheme names when no source is given.
    let header_source = || {
        let header = scheme
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("Authorization");
        vec![format!("method.request.header.{header}")]
    };
    let ttl = props::number(d, node, "authorizerResultTtlInSeconds", &owner, 0..=3600)?;
    let validation = props::text(d, node, "identityValidationExpression", &owner)?;
    let credentials = props::text(d, node, "authorizerCredentials", &owner)?;
    let lambda = |d: &mut Diags, t: LambdaAuthorizerType| -> R<AuthorizerKind> {
        let Some(uri) = props::text(d, node, "authorizerUri", &owner)? else {
            return Err(d.error(
                node.pos,
                format!("{owner}: a Lambda authorizer needs an authorizerUri"),
            ));
        };
        let payload_format = match (
            kind,
            props::text(d, node, "authorizerPayloadFormatVersion", &owner)?.as_deref(),
        ) {
            (ApiKind::Http, Some("2.0")) => PayloadFormat::V2,
            _ => PayloadFormat::V1,
        };
        Ok(AuthorizerKind::Lambda {
            function: lambda_function(&uri).unwrap_or(uri),
            authorizer_type: t,
            payload_format,
            simple_responses: props::boolean(d, node, "enableSimpleResponses", &owner)?
                .unwrap_or(false),
            credentials: credentials.clone(),
        })
    };
    let (authorizer_kind, identity_sources) = match authorizer_type.to_ascii_lowercase().as_str() {
        "token" => {
            let sources = if sources.is_empty() {
                header_source()
            } else {
                sources
            };
            (lambda(d, LambdaAuthorizerType::Token)?, sources)
        }
        "request" => (lambda(d, LambdaAuthorizerType::Request)?, sources),
        "cognito_user_pools" => {
            let arns = props::strings(d, node, "providerARNs", &owner)?.unwrap_or_default();
            let sources = if sources.is_empty() {
                header_source()
            } else {
                sources
            };
            (
                AuthorizerKind::CognitoUserPools {
                    provider_arns: arns,
                },
                sources,
            )
        }
        "jwt" => {
            let Some(config) = node.get("jwtConfiguration") else {
                return Err(d.error(
                    node.pos,
                    format!("{owner}: a jwt authorizer needs a jwtConfiguration"),
                ));
            };
            let issuer = props::text(d, config, "issuer", &owner)?;
            let audience = props::strings(d, config, "audience", &owner)?.unwrap_or_default();
            let Some(issuer) = issuer else {
                return Err(d.error(
                    config.pos,
                    format!("{owner}: jwtConfiguration needs an issuer"),
                ));
            };
            let sources = if sources.is_empty() {
                vec!["$request.header.Authorization".to_string()]
            } else {
                sources
            };
            (AuthorizerKind::Jwt { issuer, audience }, sources)
        }
        other => {
            return Err(d.error(
                node.get("type").map_or(node.pos, |n| n.pos),
                format!(
                    "{owner}: type `{other}` must be token, request, cognito_user_pools or jwt"
                ),
            ));
        }
    };
    // REST caches for 300 seconds by default; an HTTP API without identity sources cannot
    // key a cache, so it does not cache.
    let default_ttl = match (kind, identity_sources.is_empty()) {
        (ApiKind::Http, true) => 0,
        (ApiKind::Http, false) if matches!(authorizer_kind, AuthorizerKind::Jwt { .. }) => 0,
        _ => 300,
    };
    Ok(Authorizer {
        name: name.to_string(),
        kind: authorizer_kind,
        identity_sources,
        identity_validation_expression: validation,
        result_ttl_secs: ttl.unwrap_or(default_ttl),
        source: d.location(node.pos),
    })
}

/// The method's authorization from its `security` (or the document's), and whether it needs
/// an API key.
fn method_auth(d: &mut Diags, cx: &Context<'_>, op: &Node, owner: &str) -> R<(MethodAuth, bool)> {
    let mut auth = MethodAuth::default();
    if let Some(node) = op.get("x-amazon-apigateway-auth") {
        match node.get("type").and_then(Node::as_str) {
            Some(t) if t.eq_ignore_ascii_case("aws_iam") => {
                auth.authorization_type = AuthorizationType::AwsIam
            }
            Some(t) if t.eq_ignore_ascii_case("none") => {}
            _ => {
                return Err(d.error(
                    node.pos,
                    format!("{owner}: x-amazon-apigateway-auth needs type AWS_IAM or NONE"),
                ));
            }
        }
    }
    let Some(security) = op.get("security").or(cx.default_security) else {
        return Ok((auth, false));
    };
    let Some(requirements) = security.as_seq() else {
        return Err(d.error(
            security.pos,
            format!("{owner}: security must be a list of requirements"),
        ));
    };
    let mut api_key = false;
    for requirement in requirements {
        for (key, scopes) in requirement.as_map().unwrap_or_default() {
            let Some((_, scheme)) = cx.schemes.iter().find(|(n, _)| *n == key.name) else {
                let names: Vec<&str> = cx.schemes.iter().map(|(n, _)| n.as_str()).collect();
                return Err(d.error(
                    key.pos,
                    format!(
                        "{owner}: security scheme `{}` is not defined (defined: {})",
                        key.name,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            };
            match scheme {
                Scheme::ApiKey => api_key = true,
                Scheme::Unserved => {}
                Scheme::Iam => auth.authorization_type = AuthorizationType::AwsIam,
                Scheme::Authorizer(t) => {
                    if let Some(existing) = &auth.authorizer
                        && *existing != key.name
                    {
                        d.warn(
                            key.pos,
                            format!("{owner}: a method has one authorizer; `{existing}` is used, `{}` is not", key.name),
                        );
                        continue;
                    }
                    auth.authorization_type = *t;
                    auth.authorizer = Some(key.name.clone());
                    auth.scopes = scopes
                        .as_seq()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect();
                }
            }
        }
    }
    Ok((auth, api_key))
}

/// Path-level and operation parameters in the header, query string or path.
fn parameters(
    d: &mut Diags,
    doc: &Node,
    shared: Option<&Node>,
    op: &Node,
    owner: &str,
) -> R<Vec<RequestParameter>> {
    let mut out: Vec<RequestParameter> = Vec::new();
    for list in [shared, op.get("parameters")].into_iter().flatten() {
        let Some(items) = list.as_seq() else {
            return Err(d.error(list.pos, format!("{owner}: parameters must be a list")));
        };
        for item in items {
            let Some(item) = follow(doc, item) else {
                d.warn(
                    item.pos,
                    format!("{owner}: a parameter's $ref points at nothing in the document; it is not served"),
                );
                continue;
            };
            let place = item.get("in").and_then(Node::as_str);
            let location = match place {
                Some("header") => ParameterLocation::Header,
                Some("query") => ParameterLocation::QueryString,
                Some("path") => ParameterLocation::Path,
                // Bodies are read as request models; cookies are not request parameters.
                _ => continue,
            };
            let Some(name) = props::text(d, item, "name", owner)? else {
                return Err(d.error(item.pos, format!("{owner}: a parameter needs a name")));
            };
            let required = props::boolean(d, item, "required", owner)?
                .unwrap_or(location == ParameterLocation::Path);
            // An operation's parameter replaces the path's of the same name and place.
            out.retain(|p| !(p.location == location && p.name == name));
            out.push(RequestParameter {
                location,
                name,
                required,
                caching: false,
            });
        }
    }
    Ok(out)
}

/// REST method responses from the operation's `responses`: each status code with the headers
/// it declares (optional, as AWS's import makes them) and its models. `default` and ranges
/// name no method response.
fn method_responses(cx: &Context<'_>, op: &Node) -> Vec<MethodResponse> {
    let mut out = Vec::new();
    for (key, response) in op
        .get("responses")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(status_code) = key
            .name
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
        else {
            continue;
        };
        let Some(response) = follow(cx.doc, response) else {
            continue;
        };
        let headers = response
            .get("headers")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .map(|(name, _)| (name.name.clone(), false))
            .collect();
        let mut models = Vec::new();
        if cx.v3 {
            for (content_type, media) in response
                .get("content")
                .and_then(Node::as_map)
                .unwrap_or_default()
            {
                if let Some(name) = media.get("schema").and_then(model_ref) {
                    models.push((content_type.name.clone(), name));
                }
            }
        } else if let Some(name) = response.get("schema").and_then(model_ref) {
            models.push(("application/json".to_string(), name));
        }
        out.push(MethodResponse {
            status_code,
            headers,
            models,
        });
    }
    out
}

/// `node` itself, or the node its local `$ref` (`#/parameters/Id`,
/// `#/components/parameters/Id`) points at; `None` when that is not in the document.
fn follow<'n>(doc: &'n Node, node: &'n Node) -> Option<&'n Node> {
    let Some(reference) = node.get("$ref").and_then(Node::as_str) else {
        return Some(node);
    };
    let mut at = doc;
    for part in reference.strip_prefix("#/")?.split('/') {
        // JSON pointer escapes: `~1` is `/`, `~0` is `~`.
        at = at.get(&part.replace("~1", "/").replace("~0", "~"))?;
    }
    Some(at)
}

/// The model a `$ref` names (`#/definitions/X`, `#/components/schemas/X`).
fn model_ref(schema: &Node) -> Option<String> {
    let reference = schema.get("$ref")?.as_str()?;
    reference
        .strip_prefix("#/definitions/")
        .or_else(|| reference.strip_prefix("#/components/schemas/"))
        .map(str::to_string)
}

/// Request models by content type: a Swagger 2.0 `in: body` parameter or an OpenAPI 3
/// `requestBody`, when its schema is a `$ref` to a model of the API (REST only).
fn request_models(
    d: &mut Diags,
    cx: &Context<'_>,
    op: &Node,
    api: &Api,
    owner: &str,
) -> R<Vec<(String, String)>> {
    if api.kind != ApiKind::Rest {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if cx.v3 {
        if let Some(content) = op
            .get("requestBody")
            .and_then(|b| follow(cx.doc, b))
            .and_then(|b| b.get("content"))
            .and_then(Node::as_map)
        {
            for (content_type, media) in content {
                if let Some(name) = media.get("schema").and_then(model_ref) {
                    out.push((content_type.name.clone(), name, content_type.pos));
                }
            }
        }
    } else {
        for item in op
            .get("parameters")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if item.get("in").and_then(Node::as_str) == Some("body")
                && let Some(name) = item.get("schema").and_then(model_ref)
            {
                // Swagger 2.0 bodies take the operation's (or document's) `consumes`; JSON
                // when neither is given.
                let content_type = op
                    .get("consumes")
                    .and_then(Node::as_seq)
                    .and_then(|c| c.first())
                    .and_then(Node::as_str)
                    .unwrap_or("application/json");
                out.push((content_type.to_string(), name, item.pos));
            }
        }
    }
    let mut failed = false;
    let mut models = Vec::with_capacity(out.len());
    for (content_type, name, pos) in out {
        if api.models.iter().any(|m| m.name == name) {
            models.push((content_type, name));
        } else {
            d.error(
                pos,
                format!("{owner}: request model `{name}` is not a schema of the document"),
            );
            failed = true;
        }
    }
    if failed { Err(Reported) } else { Ok(models) }
}

/// `definitions` / `components.schemas` as the API's models (JSON schemas kept as written).
fn models(d: &mut Diags, doc: &Node, v3: bool, api: &mut Api, owner: &str) -> R<()> {
    let node = if v3 {
        doc.get("components").and_then(|c| c.get("schemas"))
    } else {
        doc.get("definitions")
    };
    let Some(node) = node else {
        return Ok(());
    };
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner}: schemas must be a mapping of model names"),
        ));
    };
    for (key, schema) in entries {
        if api.models.iter().any(|m| m.name == key.name) {
            continue;
        }
        api.models.push(Model {
            name: key.name.clone(),
            content_type: "application/json".to_string(),
            schema: schema.to_json(),
            source: d.location(key.pos),
        });
    }
    Ok(())
}

/// `x-amazon-apigateway-cors` (HTTP APIs), `x-amazon-apigateway-minimum-compression-size` and
/// `x-amazon-apigateway-endpoint-configuration`. SAM's own properties (`CorsConfiguration`,
/// `MinimumCompressionSize`, `DisableExecuteApiEndpoint`) win over the document's, as SAM
/// writes them over the document.
fn api_settings(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    if let Some(node) = doc.get("x-amazon-apigateway-cors") {
        let owner = format!("{owner}: x-amazon-apigateway-cors");
        if api.kind == ApiKind::Rest {
            d.warn(
                node.pos,
                format!("{owner} applies to HTTP APIs only; REST APIs answer CORS from their OPTIONS methods"),
            );
        } else if api.cors.is_none() {
            let keys = [
                "allowOrigins",
                "allowMethods",
                "allowHeaders",
                "exposeHeaders",
                "maxAge",
                "allowCredentials",
            ];
            crate::cfn::warn_unloaded(d, node, &keys, &owner);
            let list = |d: &mut Diags, key: &str| -> R<Vec<String>> {
                Ok(props::strings(d, node, key, &owner)?.unwrap_or_default())
            };
            let cors = HttpCors {
                allow_origins: list(d, "allowOrigins")?,
                allow_methods: list(d, "allowMethods")?
                    .into_iter()
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
                allow_headers: list(d, "allowHeaders")?,
                expose_headers: list(d, "exposeHeaders")?,
                max_age: props::number(d, node, "maxAge", &owner, 0..=86400)?,
                allow_credentials: props::boolean(d, node, "allowCredentials", &owner)?
                    .unwrap_or(false),
            };
            api.cors = Some(Cors::Http(cors));
        }
    }
    let key = "x-amazon-apigateway-minimum-compression-size";
    let size = props::number(d, doc, key, owner, 0..=10_485_760)?;
    if api.minimum_compression_size.is_none() {
        api.minimum_compression_size = size;
    }
    if let Some(node) = doc.get("x-amazon-apigateway-endpoint-configuration") {
        let owner = format!("{owner}: x-amazon-apigateway-endpoint-configuration");
        // The endpoint type only matters to AWS's network; every API is served locally alike.
        crate::cfn::warn_unloaded(d, node, &["disableExecuteApiEndpoint", "types"], &owner);
        if props::boolean(d, node, "disableExecuteApiEndpoint", &owner)? == Some(true) {
            api.disable_execute_api_endpoint = true;
        }
    }
    Ok(())
}

/// `x-amazon-apigateway-binary-media-types`.
fn binary_media_types(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-binary-media-types";
    for t in props::strings(d, doc, key, owner)?.unwrap_or_default() {
        let t = t.replace("~1", "/");
        if !api.binary_media_types.contains(&t) {
            api.binary_media_types.push(t);
        }
    }
    Ok(())
}

/// `x-amazon-apigateway-api-key-source`: HEADER or AUTHORIZER.
fn api_key_source(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-api-key-source";
    match props::text(d, doc, key, owner)?.as_deref() {
        None => Ok(()),
        Some("HEADER") => {
            api.api_key_source = ApiKeySource::Header;
            Ok(())
        }
        Some("AUTHORIZER") => {
            api.api_key_source = ApiKeySource::Authorizer;
            Ok(())
        }
        Some(other) => Err(d.error(
            doc.get(key).map_or(doc.pos, |n| n.pos),
            format!("{owner}: {key} `{other}` must be HEADER or AUTHORIZER"),
        )),
    }
}

/// `x-amazon-apigateway-request-validators` and the document's default validator.
fn validators(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-request-validators";
    if let Some(entries) = props::map(d, doc, key, owner)? {
        for (name, value) in entries {
            let owner = format!("{owner}: {key}: `{}`", name.name);
            crate::cfn::warn_unloaded(
                d,
                value,
                &["validateRequestBody", "validateRequestParameters"],
                &owner,
            );
            let body = props::boolean(d, value, "validateRequestBody", &owner)?;
            let parameters = props::boolean(d, value, "validateRequestParameters", &owner)?;
            api.request_validators.retain(|v| v.name != name.name);
            api.request_validators.push(RequestValidator {
                name: name.name.clone(),
                validate_body: body.unwrap_or(false),
                validate_parameters: parameters.unwrap_or(false),
            });
        }
    }
    if let Some(node) = doc.get("x-amazon-apigateway-request-validator") {
        api.default_validator = Some(validator_name(d, node, api, owner)?);
    }
    Ok(())
}

/// A validator named by `x-amazon-apigateway-request-validator`; it must be defined.
fn validator_name(d: &mut Diags, node: &Node, api: &Api, owner: &str) -> R<String> {
    let Some(name) = node.as_str() else {
        return Err(d.error(
            node.pos,
            format!("{owner}: x-amazon-apigateway-request-validator must be a validator's name"),
        ));
    };
    if api.request_validators.iter().any(|v| v.name == name) {
        Ok(name.to_string())
    } else {
        Err(d.error(
            node.pos,
            format!("{owner}: request validator `{name}` is not in x-amazon-apigateway-request-validators"),
        ))
    }
}

/// `x-amazon-apigateway-gateway-responses`: `{TYPE: {statusCode, responseParameters,
/// responseTemplates}}` with AWS's `gatewayresponse.*` keys. SAM writes its `GatewayResponses`
/// over the document's, so a type SAM customizes keeps SAM's settings.
fn gateway_responses(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-gateway-responses";
    let Some(entries) = props::map(d, doc, key, owner)? else {
        return Ok(());
    };
    let owner = format!("{owner}: {key}");
    let mut failed = false;
    for (name, value) in entries {
        let response_type = settings::response_type(d, &name.name, name.pos, &owner);
        let owner = format!("{owner}: {}", name.name);
        let empty = Node::new(Value::Map(Vec::new()), value.pos);
        let value = if matches!(value.value, Value::Null) {
            &empty
        } else {
            value
        };
        if value.as_map().is_none() {
            d.error(value.pos, format!("{owner} must be a mapping"));
            failed = true;
            continue;
        }
        crate::cfn::warn_unloaded(
            d,
            value,
            &["statusCode", "responseParameters", "responseTemplates"],
            &owner,
        );
        let status_code = status(d, value, "statusCode", &owner);
        let parameters = pairs(d, value, "responseParameters", &owner);
        let templates = pairs(d, value, "responseTemplates", &owner);
        let (Ok(response_type), Ok(status_code), Ok(response_parameters), Ok(response_templates)) =
            (response_type, status_code, parameters, templates)
        else {
            failed = true;
            continue;
        };
        if api
            .gateway_responses
            .iter()
            .any(|r| r.response_type == response_type)
        {
            continue;
        }
        api.gateway_responses.push(GatewayResponse {
            response_type,
            status_code,
            response_parameters,
            response_templates,
            source: d.location(name.pos),
        });
    }
    if failed { Err(Reported) } else { Ok(()) }
}
