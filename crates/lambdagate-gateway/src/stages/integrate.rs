//! Integration: the route's backend is called (Lambda proxy, mock, …; see
//! [`crate::integration`]) with what the earlier stages established about the request.

use lambdagate_model::ApiKind;

use crate::backend::{Backend, FunctionHandle};
use crate::context::RequestContext;
use crate::integration::{FunctionTarget, IntegrationOutput, IntegrationRequest};
use crate::responses::error::GatewayError;

/// Calls the matched route's integration.
pub async fn run(
    cx: &mut RequestContext<'_>,
    backend: &dyn Backend,
) -> Result<IntegrationOutput, GatewayError> {
    let (Some(api), Some((index, route))) = (cx.api, cx.route) else {
        // Selection answers every request without a route; reaching here is a gateway bug.
        return Err(GatewayError::missing_route().with_detail("no route was selected"));
    };
    let function = match route.integration.function() {
        Some(target) => Some(resolve(cx, target, index)?),
        None => None,
    };
    cx.function = function.map(|f| f.name.clone());
    // From here on the context is only read (mapping templates read all of it).
    let cx: &RequestContext<'_> = cx;
    let raw = cx.request.raw_path.as_str();
    let request = IntegrationRequest {
        request: &cx.request,
        ids: &cx.ids,
        time: &cx.time,
        account_id: &cx.snapshot.app.account_id,
        api_kind: api.kind,
        api_id: &api.api_id,
        binary_media_types: &api.binary_media_types,
        resource: &route.path,
        route_key: &route.route_key,
        resource_id: &route.resource_id,
        operation_name: route.operation_name.as_deref(),
        path: cx.api_path(),
        context_path: cx.context_path(),
        path_parameters: cx
            .params
            .iter()
            .map(|&(name, (s, e))| {
                // REST passes path variables raw; HTTP APIs decode them.
                let value = match api.kind {
                    ApiKind::Rest => raw[s..e].to_string(),
                    ApiKind::Http => crate::request::percent_decode(&raw[s..e]),
                };
                (name, value)
            })
            .collect(),
        stage: cx.stage.map_or("", |s| s.name.as_str()),
        stage_variables: cx.stage_variables(),
        deployment_id: cx.variant.map_or("", |v| v.deployment_id.as_str()),
        function,
        authorizer: cx.authorizer.as_ref(),
        api_key: cx
            .api_key
            .as_ref()
            .map(|k| (k.value.as_str(), k.id.as_str())),
        cx,
    };
    route.integration.call(&request, backend).await
}

/// The function a Lambda integration calls for this request's stage (or canary).
fn resolve<'s>(
    cx: &RequestContext<'s>,
    target: &'s FunctionTarget,
    route: usize,
) -> Result<&'s FunctionHandle, GatewayError> {
    match target {
        FunctionTarget::Fixed(handle) => Ok(handle),
        FunctionTarget::StageVariable(_) => match cx.variant.and_then(|v| v.functions.get(route)) {
            Some(Some(Ok(handle))) => Ok(handle),
            Some(Some(Err(why))) => Err(GatewayError::invocation_refused(why.clone())),
            _ => Err(GatewayError::invocation_refused(
                "the function could not be resolved",
            )),
        },
    }
}
