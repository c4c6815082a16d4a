//! The Lambda proxy integration (`AWS_PROXY`): the request becomes an event (payload format 1.0
//! or 2.0, [`events`]), the function's answer becomes the response ([`response`]).

pub mod events;
pub mod response;

use std::time::Duration;

use bytes::Bytes;
use lambdagate_lambda::{Invocation, InvokeError, Outcome};
use lambdagate_model::{ApiKind, PayloadFormat};

use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::{Backend, FunctionHandle};
use crate::request::{media_type, media_type_matches};
use crate::responses::error::GatewayError;
use events::{EventInput, http_api_body_is_text, v1_event, v2_event};
use response::{ResponseError, parse_v1, parse_v2};

/// Which function a Lambda integration calls.
#[derive(Debug, Clone)]
pub enum FunctionTarget {
    /// One function, resolved at load time.
    Fixed(FunctionHandle),
    /// A name with `${stageVariables.x}`: resolved per stage (and canary) at load time; the
    /// integrate stage picks the resolution of the request's stage.
    StageVariable(String),
}

/// A Lambda proxy integration, compiled.
#[derive(Debug, Clone)]
pub struct LambdaProxy {
    /// The function.
    pub function: FunctionTarget,
    /// Payload format version (REST: always 1.0).
    pub payload: PayloadFormat,
    /// Integration timeout (`TimeoutInMillis`, capped per API kind).
    pub timeout: Duration,
}

impl LambdaProxy {
    /// The event for this request, serialized.
    fn event(&self, r: &IntegrationRequest<'_>) -> Vec<u8> {
        let rest = r.api_kind == ApiKind::Rest;
        let variables: Vec<(&str, &str)> = r
            .stage_variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content_type = r.request.header("content-type");
        let base64_body = if rest {
            content_type.is_some_and(|ct| {
                let media = media_type(ct);
                r.binary_media_types
                    .iter()
                    .any(|t| media_type_matches(t, &media))
            })
        } else {
            !http_api_body_is_text(content_type)
        };
        let input = EventInput {
            request: r.request,
            resource: r.resource,
            route_key: r.route_key,
            path: &r.path,
            context_path: &r.context_path,
            path_parameters: &r.path_parameters,
            stage: r.stage,
            stage_variables: &variables,
            request_id: &r.ids.request_id,
            extended_request_id: &r.ids.extended,
            time: r.time,
            trace_id: &r.ids.trace,
            account_id: r.account_id,
            api_id: r.api_id,
            deployment_id: r.deployment_id,
            resource_id: r.resource_id,
            operation_name: r.operation_name,
            base64_body,
            authorizer: r.authorizer,
            api_key: r.api_key,
        };
        match (r.api_kind, self.payload) {
            (ApiKind::Rest, _) => v1_event(&input, false),
            (ApiKind::Http, PayloadFormat::V1) => v1_event(&input, true),
            (ApiKind::Http, PayloadFormat::V2) => v2_event(&input),
        }
    }
}

impl Integration for LambdaProxy {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let Some(function) = r.function else {
            return Err(GatewayError::invocation_refused(
                "the function could not be resolved",
            ));
        };
        let invocation = Invocation {
            payload: Bytes::from(self.event(r)),
            trace_id: Some(r.ids.trace.clone()),
            ..Invocation::default()
        };
        let result = invoke_within(
            backend,
            function,
            invocation,
            self.timeout,
            GatewayError::function_error,
        )
        .await?;
        let payload = match result.outcome {
            Outcome::Response(bytes) => bytes,
            Outcome::Error { error_type, .. } => {
                return Err(GatewayError::function_error(format!(
                    "function error ({error_type})"
                )));
            }
        };
        let parsed = match (r.api_kind, self.payload) {
            (ApiKind::Rest, _) => {
                let decode = r.request.header("accept").is_some_and(|accept| {
                    let first = media_type(accept.split(',').next().unwrap_or(""));
                    r.binary_media_types
                        .iter()
                        .any(|t| media_type_matches(t, &first))
                });
                parse_v1(&payload, decode)
            }
            (ApiKind::Http, PayloadFormat::V1) => parse_v1(&payload, true),
            (ApiKind::Http, PayloadFormat::V2) => parse_v2(&payload),
        };
        match parsed {
            Ok(response) => Ok(IntegrationOutput {
                status: response.status,
                headers: response.headers,
                body: response.body,
                traced: true,
            }),
            Err(error @ ResponseError::Base64) => {
                Err(GatewayError::api_configuration(error.to_string()))
            }
            Err(error) => Err(GatewayError::function_error(error.to_string())),
        }
    }
}

/// Invokes `function` within the integration's `timeout`, as every Lambda integration does: no
/// answer in time is the timeout answer, throttling or an unknown function is refused, and any
/// other failure to invoke is `failed` (the proxy answers it as a function error, a REST custom
/// integration as a configuration error).
pub(super) async fn invoke_within(
    backend: &dyn Backend,
    function: &FunctionHandle,
    invocation: Invocation,
    timeout: Duration,
    failed: fn(String) -> GatewayError,
) -> Result<lambdagate_lambda::InvocationResult, GatewayError> {
    match tokio::time::timeout(timeout, backend.invoke(function, invocation)).await {
        Err(_) => Err(GatewayError::integration_timeout(format!(
            "no answer within {} ms",
            timeout.as_millis()
        ))),
        Ok(Err(error @ (InvokeError::TooManyRequests | InvokeError::FunctionNotFound(_)))) => Err(
            GatewayError::invocation_refused(format!("invoke failed: {error}")),
        ),
        Ok(Err(error)) => Err(failed(format!("invoke failed: {error}"))),
        Ok(Ok(result)) => Ok(result),
    }
}
