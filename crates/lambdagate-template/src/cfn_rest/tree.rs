//! The `AWS::ApiGateway::Resource` tree: each resource's parent and path part, and from them
//! its full path, parents first.

use std::collections::HashMap;

use lambdagate_model::Api;

use super::shared::{rest_api_of, tolerate};
use crate::cfn::warn_unloaded;
use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos};
use crate::props;

/// One `AWS::ApiGateway::Resource`, before its path is known.
pub(super) struct TreeNode {
    pub(super) logical_id: String,
    pub(super) api: usize,
    pub(super) parent: String,
    pub(super) part: String,
    pub(super) pos: Pos,
}

pub(super) fn tree_node(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<TreeNode> {
    warn_unloaded(d, props, &["RestApiId", "ParentId", "PathPart"], owner);
    let api = rest_api_of(d, apis, props, owner, resource.pos);
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
pub(super) fn resource_path(
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
