//! An `Api` event's method request: `RequestParameters` and `RequestModel` (with the request
//! validator SAM generates for it).

use lambdagate_model::{Api, ParameterLocation, RequestParameter, RequestValidator, Route};

use crate::diag::{Diags, R, Reported};
use crate::node::Node;
use crate::props;

/// `method.request.{header|querystring|path}.{name}` into its location and name.
pub(crate) fn parameter_key(key: &str) -> Option<(ParameterLocation, String)> {
    let rest = key.strip_prefix("method.request.")?;
    let (location, name) = rest.split_once('.')?;
    let location = match location {
        "header" => ParameterLocation::Header,
        "querystring" => ParameterLocation::QueryString,
        "path" => ParameterLocation::Path,
        _ => return None,
    };
    (!name.is_empty()).then(|| (location, name.to_string()))
}

/// `RequestParameters`: a list of `method.request.header.X` strings or of one-entry mappings
/// `{method.request.header.X: {Required, Caching}}`.
pub fn parameters(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<RequestParameter>> {
    let owner = format!("{owner}: RequestParameters");
    let Some(items) = node.as_seq() else {
        return Err(d.error(node.pos, format!("{owner} must be a list")));
    };
    let mut out = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        let entries: Vec<(String, Option<&Node>, crate::node::Pos)> =
            match (item.as_str(), item.as_map()) {
                (Some(key), _) => vec![(key.to_string(), None, item.pos)],
                (_, Some(entries)) => entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), Some(v), k.pos))
                    .collect(),
                _ => {
                    d.error(
                        item.pos,
                        format!(
                            "{owner}: each entry must be a string or a mapping, not {}",
                            item.kind_name()
                        ),
                    );
                    failed = true;
                    continue;
                }
            };
        for (key, settings, pos) in entries {
            let Some((location, name)) = parameter_key(&key) else {
                d.error(
                    pos,
                    format!(
                        "{owner}: `{key}` must be method.request.header.NAME, \
                         method.request.querystring.NAME or method.request.path.NAME"
                    ),
                );
                failed = true;
                continue;
            };
            let (required, caching) = match settings {
                Some(s) => {
                    let required = props::boolean(d, s, "Required", &owner);
                    let caching = props::boolean(d, s, "Caching", &owner);
                    match (required, caching) {
                        (Ok(r), Ok(c)) => (r.unwrap_or(false), c.unwrap_or(false)),
                        _ => {
                            failed = true;
                            continue;
                        }
                    }
                }
                None => (false, false),
            };
            out.push(RequestParameter {
                location,
                name,
                required,
                caching,
            });
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// SAM's name for the validator a `RequestModel` asks for.
fn validator_name(body: bool, parameters: bool) -> &'static str {
    match (body, parameters) {
        (true, true) => "body-and-params",
        (true, false) => "body-only",
        (false, true) => "params-only",
        (false, false) => "no-validation",
    }
}

/// `RequestModel` {Model, Required, ValidateBody, ValidateParameters}: the model for
/// `application/json` (it must be one of the API's `Models`) and, when either validation flag
/// is given, the validator SAM generates, added to the API once.
pub fn model(d: &mut Diags, node: &Node, api: &mut Api, route: &mut Route, owner: &str) -> R<()> {
    let owner = format!("{owner}: RequestModel");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping with a Model")));
    }
    crate::cfn::warn_unloaded(
        d,
        node,
        &["Model", "ValidateBody", "ValidateParameters"],
        &owner,
    );
    let model = props::text(d, node, "Model", &owner);
    let body = props::boolean(d, node, "ValidateBody", &owner);
    let parameters = props::boolean(d, node, "ValidateParameters", &owner);
    let (model, body, parameters) = (model?, body?, parameters?);
    let Some(model) = model else {
        return Err(d.error(node.pos, format!("{owner} needs a Model")));
    };
    if !api.models.iter().any(|m| m.name == model) {
        let names: Vec<&str> = api.models.iter().map(|m| m.name.as_str()).collect();
        return Err(d.error(
            node.get("Model").map_or(node.pos, |n| n.pos),
            format!(
                "{owner}: model `{model}` is not one of API `{}`'s Models ({})",
                api.logical_id,
                if names.is_empty() {
                    "it has none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
    route
        .request_models
        .push(("application/json".to_string(), model));
    if body.is_some() || parameters.is_some() {
        let (body, parameters) = (body.unwrap_or(false), parameters.unwrap_or(false));
        let name = validator_name(body, parameters);
        if !api.request_validators.iter().any(|v| v.name == name) {
            api.request_validators.push(RequestValidator {
                name: name.to_string(),
                validate_body: body,
                validate_parameters: parameters,
            });
        }
        route.request_validator = Some(name.to_string());
    }
    Ok(())
}
