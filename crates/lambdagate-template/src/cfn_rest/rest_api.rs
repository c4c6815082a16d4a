//! The `AWS::ApiGateway::RestApi` resource itself: its settings, and the routes of its
//! OpenAPI `Body` / `BodyS3Location` when it has one.

use std::path::Path;

use lambdagate_model::{Api, ApiKind, Stage};

use super::shared::tolerate;
use crate::cfn::warn_unloaded;
use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::{openapi, props};

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
    "Policy",
];

/// A raw `AWS::ApiGateway::RestApi`, with the routes of its `Body` when it has one. It has no
/// stage until a `Stage` or a `Deployment` with `StageName` creates one.
pub(super) fn rest_api(d: &mut Diags, resource: &Resource, props: &Node) -> R<Api> {
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
    let key_source = props::api_key_source(d, props, resource.pos, &owner);
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
    if let Some(policy) = props.get("Policy") {
        let owner = format!("{owner}: Policy");
        api.resource_policy = crate::resource_policy::statements(d, policy, &owner)?;
    }
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
    let definition = openapi::from_raw_props(&mut ev.diags, props, api, base, ev.strict);
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
