//! What every raw API loader shares (this folder's, `cfn_http.rs`'s and `cfn_usage.rs`'s):
//! the resource types they load, a resource's `Ref` value, the API a resource names, and
//! [`tolerate`], which leaves out only the failed part when serving.

use lambdagate_model::{Api, ApiKind};

use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos};
use crate::openapi;

/// The included resources of type `kind`, in template order.
pub fn of_kind<'a>(
    included: &[(&'a Resource, &'a Node)],
    kind: &str,
) -> Vec<(&'a Resource, &'a Node)> {
    included
        .iter()
        .copied()
        .filter(|(r, _)| r.kind == kind)
        .collect()
}

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

/// The REST API an `AWS::ApiGateway::*` part names by its `RestApiId` (see [`api_of`]).
pub(super) fn rest_api_of(
    d: &mut Diags,
    apis: &[Api],
    props: &Node,
    owner: &str,
    pos: Pos,
) -> R<usize> {
    api_of(d, apis, props, "RestApiId", ApiKind::Rest, owner, pos)
}
