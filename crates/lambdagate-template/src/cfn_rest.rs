//! Raw CloudFormation REST APIs: `AWS::ApiGateway::RestApi` (with or without an OpenAPI
//! `Body`), its `Resource` tree, `Method`s, `Authorizer`s, `Model`s and `RequestValidator`s,
//! into the model's [`Api`], as CloudFormation would create them. Stages, deployments and
//! gateway responses attach to these APIs in `cfn.rs`; keys and usage plans in `cfn_usage.rs`.
//!
//! Resources name each other by what `Ref` / `Fn::GetAtt` yields (`!Ref ItemsResource`,
//! `!GetAtt Api.RootResourceId`); each resource's `Ref` value is worked out with the evaluator,
//! so a literal id and an intrinsic land on the same resource.
//!
//! A part that AWS would reject (a Method whose `ResourceId` names nothing, an integration
//! with no `Uri`) is an error for `validate`; when serving it is a warning and only that part
//! is left out (see [`tolerate`]).

use std::collections::HashMap;
use std::path::Path;

use lambdagate_model::{
    Api, ApiKeySource, ApiKind, AuthorizationType, AuthorizerKind, MethodAuth, MethodResponse,
    Model, RequestParameter, RequestValidator, Route, RouteKey, Stage,
};

use crate::cfn::warn_unloaded;
use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos, Value};
use crate::{cfn_shape, openapi, props};

/// The raw API Gateway resource types this module, `cfn_http.rs` and `cfn_usage.rs` load.
pub const LOADED: &[&str] = &[
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Authorizer",
    // An HTTP API deployment only snapshots routes; stages name it, nothing else is in it.
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGatewayV2::ApiGatewayManagedOverrides",
];

/// `AWS::ApiGateway::RestApi` properties that are loaded (or only matter in AWS).
const REST_API_KEYS: &[&str] = &[
    "Name",
    "Description",
    "BinaryMediaTypes",
    "MinimumCompressionSize",
    "ApiKeySourceType",
    "DisableExecuteApiEndpoint",
    "Body",
    "BodyS3Location",
    "EndpointConfiguration",
    "FailOnWarnings",
    "Mode",
    "Parameters",
];

/// `AWS::ApiGateway::Method` properties that are loaded.
const METHOD_KEYS: &[&str] = &[
    "RestApiId",
    "ResourceId",
    "HttpMethod",
    "Integration",
    "AuthorizationType",
    "AuthorizerId",
    "AuthorizationScopes",
    "ApiKeyRequired",
    "RequestParameters",
    "RequestModels",
    "RequestValidatorId",
    "MethodResponses",
    "OperationName",
];

/// What `Ref` of resource `logical_id` yields (its id in AWS), for matching references.
pub fn ref_value(ev: &mut Evaluator<'_>, logical_id: &str, pos: Pos) -> Option<String> {
    ev.reference(logical_id, pos)
        .ok()
        .flatten()
        .and_then(|n| n.scalar_text())
}

/// Runs `result`'s part of the template: when it failed and lambdagate is serving (not
/// validating), the errors it reported since `mark` become warnings saying `what` is left out.
pub fn tolerate<T>(ev: &mut Evaluator<'_>, mark: usize, result: R<T>, what: &str) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(Reported) => {
            if !ev.strict {
                ev.diags.demote_since(
                    mark,
                    &format!(
                        "; {what} is not served (a deploy would reject it: `lambdagate \
                         validate` reports it as an error)"
                    ),
                );
            }
            None
        }
    }
}

/// The logical id of the function in `unavailable` (declared, but with a runtime or code
/// lambdagate cannot run) that `written` names by logical id, name, ARN or invocation URI.
pub fn unavailable_of(
    unavailable: &[lambdagate_model::UnavailableFunction],
    written: &str,
) -> Option<String> {
    let name =
        openapi::integration::lambda_function(written).unwrap_or_else(|| written.to_string());
    unavailable
        .iter()
        .find(|u| u.logical_id == name || u.function_name == name)
        .map(|u| u.logical_id.clone())
}

/// True for the raw resource types whose failure to resolve leaves out only that resource
/// when serving (see [`tolerate`]).
pub fn tolerated_kind(kind: &str) -> bool {
    LOADED.contains(&kind)
        || matches!(
            kind,
            "AWS::ApiGateway::Stage"
                | "AWS::ApiGatewayV2::Stage"
                | "AWS::ApiGateway::Deployment"
                | "AWS::ApiGateway::GatewayResponse"
                | "AWS::ApiGateway::BasePathMapping"
                | "AWS::ApiGatewayV2::ApiMapping"
        )
}

/// The API a resource names by `key` (a `Ref` of the API, or its logical id), among `apis`.
pub fn api_of(
    d: &mut Diags,
    apis: &[Api],
    props: &Node,
    key: &str,
    kind: ApiKind,
    owner: &str,
    pos: Pos,
) -> R<usize> {
    match crate::cfn::api_index(d, apis, props, key, Some(kind), owner, pos)? {
        Some(i) => Ok(i),
        // Warned by `api_index`; nothing here can serve it.
        None => Err(Reported),
    }
}

/// Builds every raw REST API of `included`, with its methods (which may also belong to a SAM
/// REST API), and adds them to `apis`. Returns the logical ids of the APIs that got raw
/// routes, whose functions are named by ARN.
pub fn build(
    ev: &mut Evaluator<'_>,
    included: &[(&Resource, &Node)],
    base: &Path,
    apis: &mut Vec<Api>,
) -> Vec<String> {
    let of = |kind: &'static str| {
        included
            .iter()
            .copied()
            .filter(move |(r, _)| r.kind == kind)
            .collect::<Vec<_>>()
    };
    let mut added = Vec::new();
    // Root resource id → API index, for SAM's REST APIs too (`!GetAtt MyApi.RootResourceId`
    // names the root of an `AWS::Serverless::Api`, and raw methods may hang off it).
    let mut roots: HashMap<String, usize> = HashMap::new();
    for (index, api) in apis.iter().enumerate() {
        if api.kind == ApiKind::Rest {
            roots.insert(root_resource_id(ev, &api.logical_id), index);
        }
    }
    for (resource, props) in of("AWS::ApiGateway::RestApi") {
        let mark = ev.diags.mark();
        let api = rest_api(&mut ev.diags, resource, props);
        let what = format!("API `{}`", resource.logical_id);
        let Some(mut api) = tolerate(ev, mark, api, &what) else {
            continue;
        };
        body(ev, resource, props, &mut api, base);
        roots.insert(root_resource_id(ev, &resource.logical_id), apis.len());
        added.push(api.logical_id.clone());
        apis.push(api);
    }

    // Resources by their Ref value: (logical id, API, ParentId, PathPart, position).
    let mut tree: HashMap<String, TreeNode> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::Resource") {
        let owner = format!("resource `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let node = tree_node(&mut ev.diags, apis, resource, props, &owner);
        if let Some(node) = tolerate(ev, mark, node, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            tree.insert(key, node);
        }
    }
    let mut paths: HashMap<String, Option<String>> = HashMap::new();
    // In template order, so diagnostics come out the same way every time.
    let mut keys: Vec<&String> = tree.keys().collect();
    keys.sort_by_key(|k| (tree[*k].pos.line, tree[*k].pos.column));
    for key in keys {
        resource_path(ev, &tree, &roots, key, &mut paths, &mut Vec::new());
    }

    // Models, validators and authorizers, each by its Ref value too.
    let mut models: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::Model") {
        let owner = format!("model `{}`", resource.logical_id);
        let name = props::text(&mut ev.diags, props, "Name", &owner)
            .ok()
            .flatten()
            .or_else(|| ref_value(ev, &resource.logical_id, resource.pos));
        let mark = ev.diags.mark();
        let model = model(&mut ev.diags, apis, resource, props, name, &owner);
        if let Some((index, model)) = tolerate(ev, mark, model, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            models.insert(key, (index, model.name.clone()));
            apis[index].models.push(model);
        }
    }
    let mut validators: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::RequestValidator") {
        let owner = format!("request validator `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let validator = validator(&mut ev.diags, apis, resource, props, &owner);
        if let Some((index, validator)) = tolerate(ev, mark, validator, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            validators.insert(key, (index, validator.name.clone()));
            apis[index].request_validators.push(validator);
        }
    }
    let mut authorizers: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::Authorizer") {
        let owner = format!("authorizer `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let authorizer = authorizer(&mut ev.diags, apis, resource, props, ApiKind::Rest, &owner);
        if let Some((index, authorizer)) = tolerate(ev, mark, authorizer, &owner)
            && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
        {
            authorizers.insert(key, (index, authorizer.name.clone()));
            apis[index].authorizers.push(authorizer);
        }
    }

    let names = Names {
        tree: &tree,
        paths: &paths,
        roots: &roots,
        models: &models,
        validators: &validators,
        authorizers: &authorizers,
    };
    for (resource, props) in of("AWS::ApiGateway::Method") {
        let owner = format!("method `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let route = method(&mut ev.diags, apis, &names, resource, props, &owner);
        if let Some((index, route)) = tolerate(ev, mark, route, &owner) {
            // A SAM API with raw methods: their routes name functions by ARN too.
            if !added.contains(&apis[index].logical_id) {
                added.push(apis[index].logical_id.clone());
            }
            apis[index].routes.push(route);
        }
    }
    added
}

/// What `!GetAtt Api.RootResourceId` yields for the REST API `logical_id` (SAM's or raw: the
/// same stand-in id for both).
fn root_resource_id(ev: &Evaluator<'_>, logical_id: &str) -> String {
    crate::refs::attribute(
        "AWS::ApiGateway::RestApi",
        logical_id,
        None,
        "RootResourceId",
        &ev.env,
    )
}

/// A raw `AWS::ApiGateway::RestApi`, with the routes of its `Body` when it has one. It has no
/// stage until a `Stage` or a `Deployment` with `StageName` creates one.
fn rest_api(d: &mut Diags, resource: &Resource, props: &Node) -> R<Api> {
    let owner = format!("API `{}`", resource.logical_id);
    let location = d.location(resource.pos);
    let mut api = Api::new(
        resource.logical_id.clone(),
        ApiKind::Rest,
        Stage::named("", location),
    );
    api.stages.clear();
    warn_unloaded(d, props, REST_API_KEYS, &owner);
    let name = props::text(d, props, "Name", &owner);
    let description = props::text(d, props, "Description", &owner);
    let types = props::strings(d, props, "BinaryMediaTypes", &owner);
    let compression = props::number(d, props, "MinimumCompressionSize", &owner, 0..=10_485_760);
    let key_source = match props::text(d, props, "ApiKeySourceType", &owner) {
        Ok(None) => Ok(ApiKeySource::Header),
        Ok(Some(s)) if s == "HEADER" => Ok(ApiKeySource::Header),
        Ok(Some(s)) if s == "AUTHORIZER" => Ok(ApiKeySource::Authorizer),
        Ok(Some(s)) => Err(d.error(
            props
                .get("ApiKeySourceType")
                .map_or(resource.pos, |n| n.pos),
            format!("{owner}: ApiKeySourceType `{s}` must be HEADER or AUTHORIZER"),
        )),
        Err(e) => Err(e),
    };
    let disable = props::boolean(d, props, "DisableExecuteApiEndpoint", &owner);
    api.name = name?;
    api.description = description?;
    api.binary_media_types = types?
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.replace("~1", "/"))
        .collect();
    api.minimum_compression_size = compression?;
    api.api_key_source = key_source?;
    api.disable_execute_api_endpoint = disable?.unwrap_or(false);
    Ok(api)
}

/// Loads the OpenAPI `Body` / `BodyS3Location` of a raw API into `api`. A mistake in the
/// document leaves out only the part it is in when serving (see [`tolerate`]).
pub fn body(ev: &mut Evaluator<'_>, resource: &Resource, props: &Node, api: &mut Api, base: &Path) {
    let owner = format!("API `{}`", resource.logical_id);
    let mark = ev.diags.mark();
    // CDK's `ApiDefinition.fromAsset`: the document is a local asset.
    let localized = crate::cdk::localized(resource, props, "BodyS3Location");
    let props = localized.as_ref().unwrap_or(props);
    let definition = openapi::from_raw_props(&mut ev.diags, props, api, base);
    for bare in &definition.bare {
        ev.diags.warn_at(
            &bare.source,
            format!(
                "{owner}: `{}` has no x-amazon-apigateway-integration, so it is not served \
                 (AWS's import rejects such a method)",
                bare.key
            ),
        );
    }
    if ev.diags.has_errors_since(mark) {
        let what = format!("that part of {owner}'s definition");
        tolerate::<()>(ev, mark, Err(Reported), &what);
    }
}

/// One `AWS::ApiGateway::Resource`, before its path is known.
struct TreeNode {
    logical_id: String,
    api: usize,
    parent: String,
    part: String,
    pos: Pos,
}

fn tree_node(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<TreeNode> {
    warn_unloaded(d, props, &["RestApiId", "ParentId", "PathPart"], owner);
    let api = api_of(
        d,
        apis,
        props,
        "RestApiId",
        ApiKind::Rest,
        owner,
        resource.pos,
    );
    let parent = props::text(d, props, "ParentId", owner);
    let part = props::text(d, props, "PathPart", owner);
    let (api, parent, part) = (api?, parent?, part?);
    let Some(parent) = parent else {
        return Err(d.error(
            resource.pos,
            format!(
                "{owner} needs a ParentId (!GetAtt MyApi.RootResourceId or !Ref OtherResource)"
            ),
        ));
    };
    let Some(part) = part else {
        return Err(d.error(resource.pos, format!("{owner} needs a PathPart")));
    };
    let at = props.get("PathPart").map_or(resource.pos, |n| n.pos);
    if !valid_part(&part) {
        return Err(d.error(
            at,
            format!(
                "{owner}: PathPart `{part}` must be one path segment: letters, digits and \
                 ._-:@&=+$, or a whole {{name}} / {{name+}} parameter"
            ),
        ));
    }
    Ok(TreeNode {
        logical_id: resource.logical_id.clone(),
        api,
        parent,
        part,
        pos: resource.pos,
    })
}

/// A path part AWS accepts: plain characters, or a `{name}` / `{name+}` parameter.
fn valid_part(part: &str) -> bool {
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        let name = inner.strip_suffix('+').unwrap_or(inner);
        return !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    }
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:@&=+$,~!*'()".contains(c))
}

/// The full path of the resource whose Ref value is `key`, worked out once per resource
/// (`paths`), parents first; `visiting` catches a parent cycle. A resource whose own ParentId
/// is wrong is reported (and, when serving, left out with its children); a child of such a
/// resource says nothing more.
fn resource_path(
    ev: &mut Evaluator<'_>,
    tree: &HashMap<String, TreeNode>,
    roots: &HashMap<String, usize>,
    key: &str,
    paths: &mut HashMap<String, Option<String>>,
    visiting: &mut Vec<String>,
) -> Option<String> {
    if let Some(path) = paths.get(key) {
        return path.clone();
    }
    let node = &tree[key];
    let owner = format!("resource `{}`", node.logical_id);
    let mark = ev.diags.mark();
    if let Some(start) = visiting.iter().position(|s| s == key) {
        let mut cycle: Vec<&str> = visiting[start..]
            .iter()
            .map(|k| tree[k.as_str()].logical_id.as_str())
            .collect();
        cycle.push(&node.logical_id);
        let failed: R<String> = Err(ev.diags.error(
            node.pos,
            format!(
                "{owner}: its ParentId chain is circular: {}",
                cycle.join(" -> ")
            ),
        ));
        tolerate(ev, mark, failed, &owner);
        return None;
    }
    let parent_path: R<String> = match (roots.get(&node.parent), tree.get(&node.parent)) {
        (Some(&api), _) if api == node.api => Ok(String::new()),
        (_, Some(parent)) if parent.api == node.api && parent.part.ends_with("+}") => {
            Err(ev.diags.error(
                node.pos,
                format!(
                    "{owner}: its parent `{}` is a greedy {} resource, which can have no children",
                    parent.logical_id, parent.part
                ),
            ))
        }
        (_, Some(parent)) if parent.api == node.api => {
            visiting.push(key.to_string());
            let path = resource_path(ev, tree, roots, &node.parent, paths, visiting);
            visiting.pop();
            // The parent's problem is reported where the parent is.
            path.ok_or(Reported)
        }
        _ => Err(ev.diags.error(
            node.pos,
            format!(
                "{owner}: ParentId `{}` is neither the RootResourceId of its API nor a resource \
                 of that API",
                node.parent
            ),
        )),
    };
    let path = parent_path.map(|p| format!("{p}/{}", node.part));
    // A cycle through this resource was reported by the resource that closed it.
    if paths.contains_key(key) {
        return paths[key].clone();
    }
    let path = tolerate(ev, mark, path, &owner);
    paths.insert(key.to_string(), path.clone());
    path
}

fn model(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    name: Option<String>,
    owner: &str,
) -> R<(usize, Model)> {
    warn_unloaded(
        d,
        props,
        &["RestApiId", "Name", "ContentType", "Schema", "Description"],
        owner,
    );
    let index = api_of(
        d,
        apis,
        props,
        "RestApiId",
        ApiKind::Rest,
        owner,
        resource.pos,
    );
    let content_type = props::text(d, props, "ContentType", owner);
    let schema = match props.get("Schema") {
        None => Ok(serde_json::json!({})),
        Some(node) => match &node.value {
            Value::Map(_) => Ok(node.to_json()),
            // CloudFormation takes the schema as a JSON string too.
            Value::Str(text) => serde_json::from_str(text)
                .map_err(|e| d.error(node.pos, format!("{owner}: Schema is not valid JSON: {e}"))),
            _ => Err(d.error(
                node.pos,
                format!(
                    "{owner}: Schema must be a JSON schema (a mapping or a JSON string), not {}",
                    node.kind_name()
                ),
            )),
        },
    };
    let (index, content_type, schema) = (index?, content_type?, schema?);
    Ok((
        index,
        Model {
            name: name.unwrap_or_else(|| resource.logical_id.clone()),
            content_type: content_type.unwrap_or_else(|| "application/json".to_string()),
            schema,
            source: d.location(resource.pos),
        },
    ))
}

fn validator(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<(usize, RequestValidator)> {
    warn_unloaded(
        d,
        props,
        &[
            "RestApiId",
            "Name",
            "ValidateRequestBody",
            "ValidateRequestParameters",
        ],
        owner,
    );
    let index = api_of(
        d,
        apis,
        props,
        "RestApiId",
        ApiKind::Rest,
        owner,
        resource.pos,
    );
    let name = props::text(d, props, "Name", owner);
    let body = props::boolean(d, props, "ValidateRequestBody", owner);
    let parameters = props::boolean(d, props, "ValidateRequestParameters", owner);
    let (index, name, body, parameters) = (index?, name?, body?, parameters?);
    Ok((
        index,
        RequestValidator {
            name: name.unwrap_or_else(|| resource.logical_id.clone()),
            validate_body: body.unwrap_or(false),
            validate_parameters: parameters.unwrap_or(false),
        },
    ))
}

/// `AWS::ApiGateway::Authorizer` (`kind` Rest) or `AWS::ApiGatewayV2::Authorizer` (Http),
/// read by the OpenAPI authorizer reader. Its name is `Name`, else the logical id.
pub fn authorizer(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<(usize, lambdagate_model::Authorizer)> {
    let key = match kind {
        ApiKind::Rest => "RestApiId",
        ApiKind::Http => "ApiId",
    };
    let index = api_of(d, apis, props, key, kind, owner, resource.pos);
    let name = props::text(d, props, "Name", owner);
    let (index, name) = (index?, name?);
    let name = name.unwrap_or_else(|| resource.logical_id.clone());
    if apis[index].authorizer(&name).is_some() {
        return Err(d.error(
            props.get("Name").map_or(resource.pos, |n| n.pos),
            format!(
                "{owner}: API `{}` already has an authorizer named `{name}`",
                apis[index].logical_id
            ),
        ));
    }
    let shaped = cfn_shape::authorizer(props);
    // No security scheme here: a TOKEN authorizer without IdentitySource reads Authorization.
    let scheme = Node::new(Value::Map(Vec::new()), resource.pos);
    let mut authorizer = openapi::security::authorizer_of(d, &name, &scheme, &shaped, kind, owner)?;
    authorizer.source = d.location(resource.pos);
    Ok((index, authorizer))
}

/// Ref values of the resources a method names, by kind.
struct Names<'a> {
    tree: &'a HashMap<String, TreeNode>,
    paths: &'a HashMap<String, Option<String>>,
    roots: &'a HashMap<String, usize>,
    models: &'a HashMap<String, (usize, String)>,
    validators: &'a HashMap<String, (usize, String)>,
    authorizers: &'a HashMap<String, (usize, String)>,
}

/// The name of the entry `id` of `table` on API `index`; an error naming `what` otherwise.
fn named(
    d: &mut Diags,
    table: &HashMap<String, (usize, String)>,
    id: &str,
    index: usize,
    at: Pos,
    what: &str,
    owner: &str,
) -> R<String> {
    match table.get(id) {
        Some((i, name)) if *i == index => Ok(name.clone()),
        Some(_) => Err(d.error(at, format!("{owner}: {what} `{id}` belongs to another API"))),
        None => Err(d.error(
            at,
            format!("{owner}: {what} `{id}` is not a {what} of this template"),
        )),
    }
}

fn method(
    d: &mut Diags,
    apis: &[Api],
    names: &Names<'_>,
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<(usize, Route)> {
    warn_unloaded(d, props, METHOD_KEYS, owner);
    let at = |key: &str| props.get(key).map_or(resource.pos, |n| n.pos);
    let index = api_of(
        d,
        apis,
        props,
        "RestApiId",
        ApiKind::Rest,
        owner,
        resource.pos,
    )?;
    let mut failed = false;
    let path = match props::text(d, props, "ResourceId", owner)? {
        None => Err(d.error(
            resource.pos,
            format!("{owner} needs a ResourceId (!GetAtt MyApi.RootResourceId or !Ref MyResource)"),
        )),
        Some(id) if names.roots.get(&id) == Some(&index) => Ok("/".to_string()),
        Some(id) => match (names.tree.get(&id), names.paths.get(&id)) {
            (Some(node), Some(Some(path))) if node.api == index => Ok(path.clone()),
            // Its own problem is reported where the resource is.
            (Some(node), Some(None)) if node.api == index => Err(Reported),
            (Some(node), _) => Err(d.error(
                at("ResourceId"),
                format!(
                    "{owner}: ResourceId names resource `{}`, which belongs to another API",
                    node.logical_id
                ),
            )),
            (None, _) => Err(d.error(
                at("ResourceId"),
                format!(
                    "{owner}: ResourceId `{id}` names no AWS::ApiGateway::Resource of this \
                     template and is not its API's RootResourceId"
                ),
            )),
        },
    };
    let http_method = match props::text(d, props, "HttpMethod", owner)? {
        Some(m) => {
            let m = m.to_ascii_uppercase();
            const METHODS: &[&str] = &[
                "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
            ];
            if METHODS.contains(&m.as_str()) {
                Ok(m)
            } else {
                Err(d.error(
                    at("HttpMethod"),
                    format!(
                        "{owner}: HttpMethod `{m}` must be one of {}",
                        METHODS.join(", ")
                    ),
                ))
            }
        }
        None => Err(d.error(resource.pos, format!("{owner} needs an HttpMethod"))),
    };
    let integration = match props.get("Integration") {
        Some(node) if node.as_map().is_some() => openapi::integration::read(
            d,
            &cfn_shape::rest_integration(node),
            ApiKind::Rest,
            &format!("{owner}: Integration"),
        ),
        Some(node) => Err(d.error(
            node.pos,
            format!("{owner}: Integration must be a mapping with a Type"),
        )),
        None => Err(d.error(
            resource.pos,
            format!(
                "{owner} has no Integration; a deployment of its API fails (\"No integration \
                 defined for method\")"
            ),
        )),
    };
    let auth = method_auth(d, names, &apis[index], index, props, owner);
    let api_key = props::boolean(d, props, "ApiKeyRequired", owner);
    let parameters = request_parameters(d, props, owner);
    let models = match props::map(d, props, "RequestModels", owner) {
        Ok(Some(entries)) => {
            let mut out = Vec::new();
            for (content_type, model) in entries {
                match model.scalar_text() {
                    Some(id) if id == "Empty" || id == "Error" => {
                        out.push((content_type.name.clone(), id));
                    }
                    Some(id) => match named(d, names.models, &id, index, model.pos, "model", owner)
                    {
                        Ok(name) => out.push((content_type.name.clone(), name)),
                        Err(Reported) => failed = true,
                    },
                    None => {
                        d.error(
                            model.pos,
                            format!("{owner}: RequestModels must map content types to model names"),
                        );
                        failed = true;
                    }
                }
            }
            Ok(out)
        }
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(e),
    };
    let validator = match props::text(d, props, "RequestValidatorId", owner) {
        Ok(Some(id)) => named(
            d,
            names.validators,
            &id,
            index,
            at("RequestValidatorId"),
            "request validator",
            owner,
        )
        .map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    let responses = method_responses(d, names, index, props, owner);
    let operation = props::text(d, props, "OperationName", owner);
    let (
        Ok(path),
        Ok(http_method),
        Ok(integration),
        Ok(auth),
        Ok(api_key),
        Ok(parameters),
        Ok(models),
        Ok(validator),
        Ok(responses),
        Ok(operation),
        false,
    ) = (
        path,
        http_method,
        integration,
        auth,
        api_key,
        parameters,
        models,
        validator,
        responses,
        operation,
        failed,
    )
    else {
        return Err(Reported);
    };
    let key = RouteKey::MethodPath {
        method: http_method,
        path,
    };
    let mut route = Route::new(
        key,
        integration,
        resource.logical_id.clone(),
        d.location(resource.pos),
    );
    route.auth = auth;
    route.api_key_required = api_key.unwrap_or(false);
    route.request_parameters = parameters;
    route.request_models = models;
    route.request_validator = validator;
    route.method_responses = responses;
    route.operation_name = operation;
    Ok((index, route))
}

/// `AuthorizationType`, `AuthorizerId` and `AuthorizationScopes`.
fn method_auth(
    d: &mut Diags,
    names: &Names<'_>,
    api: &Api,
    index: usize,
    props: &Node,
    owner: &str,
) -> R<MethodAuth> {
    let at = |key: &str| props.get(key).map_or(props.pos, |n| n.pos);
    let kind = props::text(d, props, "AuthorizationType", owner)?;
    let authorization_type = match kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("NONE") => AuthorizationType::None,
        Some("AWS_IAM") => AuthorizationType::AwsIam,
        Some("CUSTOM") => AuthorizationType::Custom,
        Some("COGNITO_USER_POOLS") => AuthorizationType::CognitoUserPools,
        Some(other) => {
            return Err(d.error(
                at("AuthorizationType"),
                format!(
                    "{owner}: AuthorizationType `{other}` must be NONE, AWS_IAM, CUSTOM or \
                     COGNITO_USER_POOLS"
                ),
            ));
        }
    };
    let authorizer = match props::text(d, props, "AuthorizerId", owner)? {
        Some(id) => Some(named(
            d,
            names.authorizers,
            &id,
            index,
            at("AuthorizerId"),
            "authorizer",
            owner,
        )?),
        None => None,
    };
    let needs_authorizer = matches!(
        authorization_type,
        AuthorizationType::Custom | AuthorizationType::CognitoUserPools
    );
    if needs_authorizer && authorizer.is_none() {
        return Err(d.error(
            at("AuthorizationType"),
            format!(
                "{owner}: AuthorizationType {} needs an AuthorizerId",
                authorization_type.as_str()
            ),
        ));
    }
    if needs_authorizer && let Some(name) = &authorizer {
        check_fit(d, api, name, authorization_type, at("AuthorizerId"), owner)?;
    }
    let scopes = props::strings(d, props, "AuthorizationScopes", owner)?.unwrap_or_default();
    Ok(MethodAuth {
        authorization_type,
        authorizer: authorizer.filter(|_| needs_authorizer),
        scopes,
    })
}

/// The authorizer `name` of `api` must be of the kind `authorization_type` calls for
/// (CUSTOM: a Lambda authorizer; COGNITO_USER_POOLS: Cognito; JWT: JWT); AWS refuses a method
/// or route that names one of another kind.
pub fn check_fit(
    d: &mut Diags,
    api: &Api,
    name: &str,
    authorization_type: AuthorizationType,
    at: Pos,
    owner: &str,
) -> R<()> {
    let Some(authorizer) = api.authorizer(name) else {
        return Ok(());
    };
    let (fits, kind) = match &authorizer.kind {
        AuthorizerKind::Lambda { .. } => (
            authorization_type == AuthorizationType::Custom,
            "a Lambda (CUSTOM)",
        ),
        AuthorizerKind::CognitoUserPools { .. } => (
            authorization_type == AuthorizationType::CognitoUserPools,
            "a COGNITO_USER_POOLS",
        ),
        AuthorizerKind::Jwt { .. } => (authorization_type == AuthorizationType::Jwt, "a JWT"),
        AuthorizerKind::Iam => (
            authorization_type == AuthorizationType::AwsIam,
            "an AWS_IAM",
        ),
    };
    if fits {
        Ok(())
    } else {
        Err(d.error(
            at,
            format!(
                "{owner}: AuthorizationType {} does not fit authorizer `{name}`, which is {kind} \
                 authorizer",
                authorization_type.as_str()
            ),
        ))
    }
}

/// `RequestParameters: {method.request.querystring.q: true}` (true: required).
fn request_parameters(d: &mut Diags, props: &Node, owner: &str) -> R<Vec<RequestParameter>> {
    let Some(entries) = props::map(d, props, "RequestParameters", owner)? else {
        return Ok(Vec::new());
    };
    let owner = format!("{owner}: RequestParameters");
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        let Some((location, name)) = crate::sam::request::parameter_key(&key.name) else {
            d.error(
                key.pos,
                format!(
                    "{owner}: `{}` must be method.request.header.NAME, \
                     method.request.querystring.NAME or method.request.path.NAME",
                    key.name
                ),
            );
            failed = true;
            continue;
        };
        let required = match (&value.value, value.scalar_text().as_deref()) {
            (Value::Bool(b), _) => *b,
            (_, Some("true")) => true,
            (_, Some("false")) => false,
            _ => {
                d.error(
                    value.pos,
                    format!("{owner}: `{}` must be true (required) or false", key.name),
                );
                failed = true;
                continue;
            }
        };
        out.push(RequestParameter {
            location,
            name,
            required,
            caching: false,
        });
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// `MethodResponses: [{StatusCode, ResponseParameters, ResponseModels}]`.
fn method_responses(
    d: &mut Diags,
    names: &Names<'_>,
    index: usize,
    props: &Node,
    owner: &str,
) -> R<Vec<MethodResponse>> {
    let Some(list) = props.get("MethodResponses") else {
        return Ok(Vec::new());
    };
    let owner = format!("{owner}: MethodResponses");
    let Some(items) = list.as_seq() else {
        return Err(d.error(list.pos, format!("{owner} must be a list")));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        warn_unloaded(
            d,
            item,
            &["StatusCode", "ResponseParameters", "ResponseModels"],
            &owner,
        );
        let Some(status_code) = openapi::integration::status(d, item, "StatusCode", &owner)? else {
            return Err(d.error(
                item.pos,
                format!("{owner}: each response needs a StatusCode"),
            ));
        };
        let mut headers = Vec::new();
        for (key, value) in props::map(d, item, "ResponseParameters", &owner)?.unwrap_or_default() {
            let Some(name) = key.name.strip_prefix("method.response.header.") else {
                return Err(d.error(
                    key.pos,
                    format!(
                        "{owner}: `{}` must be method.response.header.NAME",
                        key.name
                    ),
                ));
            };
            let required =
                matches!(value.value, Value::Bool(true)) || value.as_str() == Some("true");
            headers.push((name.to_string(), required));
        }
        let mut models = Vec::new();
        for (content_type, model) in
            props::map(d, item, "ResponseModels", &owner)?.unwrap_or_default()
        {
            let Some(id) = model.scalar_text() else {
                return Err(d.error(
                    model.pos,
                    format!("{owner}: ResponseModels must map content types to model names"),
                ));
            };
            // The built-in `Empty` and `Error` models exist on every API.
            let name = match id.as_str() {
                "Empty" | "Error" => id,
                _ => named(d, names.models, &id, index, model.pos, "model", &owner)?,
            };
            models.push((content_type.name.clone(), name));
        }
        out.push(MethodResponse {
            status_code,
            headers,
            models,
        });
    }
    Ok(out)
}
