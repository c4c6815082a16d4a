//! The SAM transform: serverless resources into the model's functions and APIs.

mod api;
mod cors;
mod events;
mod function;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lambdagate_model::{Api, Function};

use crate::diag::Reported;
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;

/// Builds every function and API of the included resources. Problems are reported to the
/// evaluator's diagnostics; what could be built is returned either way.
pub fn transform(
    ev: &mut Evaluator<'_>,
    resources: &[Resource],
    base: &Path,
) -> (Vec<Function>, Vec<Api>) {
    let mut resolved: Vec<Option<Node>> = Vec::with_capacity(resources.len());
    let mut unresolved: HashMap<String, Vec<String>> = HashMap::new();
    for (idx, resource) in resources.iter().enumerate() {
        let included = ev.is_included(idx).unwrap_or(false);
        resolved.push(if included {
            let (props, failed) = resolve_properties(ev, &resource.properties);
            if !failed.is_empty() {
                unresolved.insert(resource.logical_id.clone(), failed);
            }
            props
        } else {
            None
        });
    }
    let by_kind = |kind: &'static str| {
        resources
            .iter()
            .zip(&resolved)
            .filter_map(move |(r, p)| Some((r, p.as_ref()?)).filter(|(r, _)| r.kind == kind))
    };

    let mut layers: HashMap<String, PathBuf> = HashMap::new();
    for kind in ["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"] {
        let key = if kind.contains("Serverless") {
            "ContentUri"
        } else {
            "Content"
        };
        for (resource, props) in by_kind(kind) {
            let owner = format!("layer `{}`", resource.logical_id);
            let Some(uri) = props.get(key) else {
                ev.diags.error(
                    resource.pos,
                    format!("{owner} needs {key} (its local folder)"),
                );
                continue;
            };
            let Ok(dir) = props::local_folder(&mut ev.diags, uri, key, &owner, base) else {
                continue;
            };
            if let Ok(Some(arn)) = ev.reference(&resource.logical_id, resource.pos)
                && let Some(arn) = arn.as_str()
            {
                layers.insert(arn.to_string(), dir);
            }
        }
    }

    let mut apis = Vec::new();
    let mut implicit = Vec::new();
    for (resource, props) in resources.iter().zip(&resolved) {
        let Some(props) = props else { continue };
        if resource.kind != "AWS::Serverless::Api" && resource.kind != "AWS::Serverless::HttpApi" {
            continue;
        }
        if unresolved.contains_key(&resource.logical_id) {
            // Its own errors are reported; an API built from partial properties would only
            // add knock-on errors.
            continue;
        }
        if let Ok(api) = api::build(ev, resource, props) {
            if api.implicit {
                implicit.push(api);
            } else {
                apis.push(api);
            }
        }
    }
    // Implicit APIs come after the explicit ones, REST before HTTP.
    implicit.sort_by_key(|a| a.kind == lambdagate_model::ApiKind::Http);
    apis.extend(implicit);

    let mut functions = Vec::new();
    for (resource, props) in by_kind("AWS::Serverless::Function") {
        let failed = unresolved
            .get(&resource.logical_id)
            .map_or(&[][..], Vec::as_slice);
        if let Ok(function) = function::build(ev, resource, props, failed, base, &layers) {
            functions.push(function);
        }
        if let Some(events) = props.get("Events") {
            let _: Result<(), Reported> =
                events::add_routes(&mut ev.diags, &resource.logical_id, events, &mut apis);
        }
    }

    for api in &mut apis {
        if let Some(cors) = &api.cors {
            let source = api.source.clone();
            let preflights = cors::preflight_routes(cors, &api.routes, &source);
            api.routes.extend(preflights);
        }
        events::check_duplicates(&mut ev.diags, api);
    }
    (functions, apis)
}

/// Resolves a resource's properties one top-level property at a time, so an error in one
/// property (a `Ref` to nothing, say) does not hide independent errors in the others. Returns
/// the properties that resolved and the names of those that did not (already reported).
fn resolve_properties(ev: &mut Evaluator<'_>, properties: &Node) -> (Option<Node>, Vec<String>) {
    let crate::node::Value::Map(entries) = &properties.value else {
        return (ev.resolve(properties).ok().flatten(), Vec::new());
    };
    if properties.intrinsic().is_some() {
        return (ev.resolve(properties).ok().flatten(), Vec::new());
    }
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = Vec::new();
    for (key, value) in entries {
        match ev.resolve(value) {
            Ok(Some(v)) => out.push((key.clone(), v)),
            Ok(None) => {}
            Err(Reported) => failed.push(key.name.clone()),
        }
    }
    (
        Some(Node::new(crate::node::Value::Map(out), properties.pos)),
        failed,
    )
}
