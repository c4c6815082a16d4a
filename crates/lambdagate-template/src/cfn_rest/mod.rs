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
//!
//! Each kind of resource has its own file: `rest_api.rs` (the API and its `Body`), `tree.rs`
//! (the `Resource` tree and its paths), `parts.rs` (models, request validators and
//! authorizers) and `method.rs` (methods); [`build`] loads them in that order, since each
//! names the ones before it. `shared.rs` holds what `cfn_http.rs` and `cfn_usage.rs` use too.

mod method;
mod parts;
mod rest_api;
mod shared;
mod tree;

use std::collections::HashMap;
use std::path::Path;

use lambdagate_model::{Api, ApiKind};

pub use method::check_authorizer;
pub use parts::authorizer;
pub use rest_api::body;
pub use shared::{LOADED, api_of, of_kind, ref_value, tolerate, tolerated_kind, unavailable_of};

use method::{Names, method};
use parts::{Part, model, validator};
use rest_api::rest_api;
use tree::{TreeNode, resource_path, tree_node};

use crate::diag::R;
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;

/// Builds every raw REST API of `included`, with its methods (which may also belong to a SAM
/// REST API), and adds them to `apis`. Returns the logical ids of the APIs that got raw
/// routes, whose functions are named by ARN.
pub fn build(
    ev: &mut Evaluator<'_>,
    included: &[(&Resource, &Node)],
    base: &Path,
    apis: &mut Vec<Api>,
) -> Vec<String> {
    let of = |kind: &str| of_kind(included, kind);
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
        add_part(ev, apis, &mut models, resource, &owner, mark, model);
    }
    let mut validators: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::RequestValidator") {
        let owner = format!("request validator `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let validator = validator(&mut ev.diags, apis, resource, props, &owner);
        add_part(ev, apis, &mut validators, resource, &owner, mark, validator);
    }
    let mut authorizers: HashMap<String, (usize, String)> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::Authorizer") {
        let owner = format!("authorizer `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let authorizer = authorizer(&mut ev.diags, apis, resource, props, ApiKind::Rest, &owner);
        add_part(
            ev,
            apis,
            &mut authorizers,
            resource,
            &owner,
            mark,
            authorizer,
        );
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

/// Adds the part `loaded` (built since `mark`) to its API and enters it in `table` under its
/// `Ref` value, for methods to name; a part that failed is left out as [`tolerate`] says.
fn add_part<T: Part>(
    ev: &mut Evaluator<'_>,
    apis: &mut [Api],
    table: &mut HashMap<String, (usize, String)>,
    resource: &Resource,
    owner: &str,
    mark: usize,
    loaded: R<(usize, T)>,
) {
    if let Some((index, part)) = tolerate(ev, mark, loaded, owner)
        && let Some(key) = ref_value(ev, &resource.logical_id, resource.pos)
    {
        table.insert(key, (index, part.name().to_string()));
        part.add_to(&mut apis[index]);
    }
}
