//! What `cdk synth` writes that a hand-written template does not: code, layer content and
//! OpenAPI definitions as S3 assets, with the local file or folder each was made from named by
//! the resource's `aws:asset:path` Metadata (relative to the template's folder, `cdk.out`) and
//! the property it stands for by `aws:asset:property`. Function code is read by `code.rs`; this
//! file finds the other assets and decides what a missing code asset means.
//!
//! The rest of a synthesized template needs nothing special: its `BootstrapVersion` SSM
//! parameter takes its Default (`params.rs`), `Rules` are deploy-time assertions that are
//! not evaluated, `Fn::Join` / `Fn::Select` / `Fn::Split` are intrinsics like any other,
//! `CDKMetadataAvailable`-style `Conditions` evaluate, and `AWS::CDK::Metadata` is a type no
//! loader reads.

use std::path::Path;

use crate::eval::Resource;
use crate::node::{Node, Value};

/// The `aws:asset:path` node of `resource` when its asset stands for `property` (CDK names
/// the property in `aws:asset:property`; an asset without one is taken to be the property).
pub fn asset_of<'r>(resource: &'r Resource, property: &str) -> Option<&'r Node> {
    let metadata = resource.metadata.as_ref()?;
    let path = metadata
        .get("aws:asset:path")
        .filter(|n| n.as_str().is_some())?;
    match metadata.get("aws:asset:property").and_then(Node::as_str) {
        Some(p) if p != property => None,
        _ => Some(path),
    }
}

/// `props` with `property`, when it is an S3 location (a mapping) made from a CDK asset,
/// replaced by the asset's local path, so it reads as a local file. `None`: nothing to
/// replace.
pub fn localized(resource: &Resource, props: &Node, property: &str) -> Option<Node> {
    let asset = asset_of(resource, property)?;
    let entries = props.as_map()?;
    // Only an S3 location (a mapping) is replaced; a path is local already.
    props.get(property)?.as_map()?;
    let entries = entries
        .iter()
        .map(|(key, value)| {
            if key.name == property {
                (key.clone(), asset.clone())
            } else {
                (key.clone(), value.clone())
            }
        })
        .collect();
    Some(Node::new(Value::Map(entries), props.pos))
}

/// True when `resource` is an `AWS::Lambda::Function` whose code is an S3 asset and the local
/// asset folder its `aws:asset:path` names does not exist. Serving then leaves out only that
/// function (its routes answer as AWS does when it cannot invoke a function), because the
/// asset is usually a build step that has not run yet, which should not hide the rest.
pub fn missing_asset(resource: &Resource, props: &Node, base: &Path) -> bool {
    if resource.kind != "AWS::Lambda::Function" {
        return false;
    }
    let in_s3 = props
        .get("Code")
        .is_some_and(|c| c.get("S3Bucket").is_some() || c.get("S3Key").is_some());
    let asset = resource
        .metadata
        .as_ref()
        .and_then(|m| m.get("aws:asset:path"))
        .and_then(Node::as_str);
    match asset {
        Some(path) if in_s3 => !base.join(path).exists(),
        _ => false,
    }
}
