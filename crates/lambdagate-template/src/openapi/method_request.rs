//! The method request and method responses: path, query string and header parameters,
//! request models (`in: body` / `requestBody`) and the responses each operation declares,
//! following the document's local `$ref`s.

use lambdagate_model::{Api, ApiKind, MethodResponse, ParameterLocation, RequestParameter};

use super::Context;
use crate::diag::{Diags, R, Reported};
use crate::node::Node;
use crate::props;

/// Path-level and operation parameters in the header, query string or path.
pub(super) fn parameters(
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
pub(super) fn method_responses(cx: &Context<'_>, op: &Node) -> Vec<MethodResponse> {
    let mut out = Vec::new();
    for (key, response) in op
        .get("responses")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(status_code) = super::integration::status_code(&key.name) else {
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
pub(super) fn request_models(
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
