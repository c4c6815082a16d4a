//! What `cdk synth` writes that a hand-written template does not: functions whose `Code` is
//! an S3 asset, with the local folder named by the resource's `aws:asset:path` Metadata
//! (relative to the template's folder, `cdk.out`). The asset is read by `code.rs`; this file
//! decides what a missing asset means.
//!
//! The rest of a synthesized template needs nothing special: its `BootstrapVersion` SSM
//! parameter takes its Default (`params.rs`), `Rules` are deploy-time assertions that are
//! not evaluated, `Fn::Join` / `Fn::Select` / `Fn::Split` are intrinsics like any other,
//! `CDKMetadataAvailable`-style `Conditions` evaluate, and `AWS::CDK::Metadata` is a type no
//! loader reads.

use std::path::Path;

use crate::eval::Resource;
use crate::node::Node;

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
