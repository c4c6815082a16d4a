//! `AWS::ApiGateway::Method`: one route of a REST API, with its integration, authorization,
//! request parameters, models and validator, and method responses.

use std::collections::HashMap;

use lambdagate_model::{
    Api, ApiKind, AuthorizationType, AuthorizerKind, MethodAuth, MethodResponse, RequestParameter,
    Route, RouteKey,
};

use super::shared::rest_api_of;
use super::tree::TreeNode;
use crate::cfn::warn_unloaded;
use crate::diag::{Diags, R, Reported};
use crate::eval::Resource;
use crate::node::{Node, Pos, Value};
use crate::{cfn_shape, openapi, props};

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

/// Ref values of the resources a method names, by kind.
pub(super) struct Names<'a> {
    pub(super) tree: &'a HashMap<String, TreeNode>,
    pub(super) paths: &'a HashMap<String, Option<String>>,
    pub(super) roots: &'a HashMap<String, usize>,
    pub(super) models: &'a HashMap<String, (usize, String)>,
    pub(super) validators: &'a HashMap<String, (usize, String)>,
    pub(super) authorizers: &'a HashMap<String, (usize, String)>,
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

pub(super) fn method(
    d: &mut Diags,
    apis: &[Api],
    names: &Names<'_>,
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<(usize, Route)> {
    warn_unloaded(d, props, METHOD_KEYS, owner);
    let at = |key: &str| props.get(key).map_or(resource.pos, |n| n.pos);
    let index = rest_api_of(d, apis, props, owner, resource.pos)?;
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
    check_authorizer(d, api, authorizer.as_deref(), authorization_type, at, owner)?;
    let scopes = props::strings(d, props, "AuthorizationScopes", owner)?.unwrap_or_default();
    Ok(MethodAuth {
        authorization_type,
        authorizer: authorizer.filter(|_| authorization_type.calls_authorizer()),
        scopes,
    })
}

/// A method's or route's `AuthorizerId` against its `AuthorizationType`: a type that calls an
/// authorizer needs one, of the kind it calls (see [`check_fit`]); other types ignore it, as AWS
/// does. `at` gives a property's position.
pub fn check_authorizer(
    d: &mut Diags,
    api: &Api,
    authorizer: Option<&str>,
    authorization_type: AuthorizationType,
    at: impl Fn(&str) -> Pos,
    owner: &str,
) -> R<()> {
    if !authorization_type.calls_authorizer() {
        return Ok(());
    }
    let Some(name) = authorizer else {
        return Err(d.error(
            at("AuthorizationType"),
            format!(
                "{owner}: AuthorizationType {} needs an AuthorizerId",
                authorization_type.as_str()
            ),
        ));
    };
    check_fit(d, api, name, authorization_type, at("AuthorizerId"), owner)
}

/// Whether the authorizer `name` of `api` is of the kind `authorization_type` calls
/// (CUSTOM: a Lambda authorizer; COGNITO_USER_POOLS: Cognito; JWT: JWT); AWS refuses a method
/// or route that names one of another kind.
fn check_fit(
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
