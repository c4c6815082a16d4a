//! The Lambda proxy integration (`AWS_PROXY`): the request becomes an event (payload format 1.0
//! or 2.0, [`events`]), the function's answer becomes the response ([`response`]).

pub mod events;
pub mod response;

use std::time::Duration;

use bytes::Bytes;
use lambdagate_lambda::{Invocation, InvokeError, Outcome};
use lambdagate_model::{ApiKind, PayloadFormat};

use super::{Integration, IntegrationOutput};
use crate::backend::Backend;
use crate::compile::FunctionHandle;
use crate::context::RequestContext;
use crate::request::{media_type, media_type_matches, percent_decode};
use crate::responses::GatewayError;
use events::{EventInput, http_api_body_is_text, v1_event, v2_event};
use response::{ResponseError, parse_v1, parse_v2};

/// Which function a Lambda integration calls.
#[derive(Debug, Clone)]
pub enum FunctionTarget {
    /// One function, resolved at load time.
    Fixed(FunctionHandle),
    /// A name with `${stageVariables.x}`: resolved per stage (and canary) at load time, found in
    /// the request's [`crate::compile::StageVariant`].
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
    /// The function this request goes to under its stage's variables.
    fn resolve<'c>(
        &'c self,
        cx: &'c RequestContext<'_>,
    ) -> Result<&'c FunctionHandle, GatewayError> {
        match &self.function {
            FunctionTarget::Fixed(handle) => Ok(handle),
            FunctionTarget::StageVariable(_) => {
                let resolved = match (cx.variant, cx.route) {
                    (Some(variant), Some((index, _))) => variant.functions.get(index),
                    _ => None,
                };
                match resolved {
                    Some(Some(Ok(handle))) => Ok(handle),
                    Some(Some(Err(why))) => Err(GatewayError::invocation_refused(why.clone())),
                    _ => Err(GatewayError::invocation_refused(
                        "the function could not be resolved",
                    )),
                }
            }
        }
    }

    /// The event for this request, serialized.
    fn event(&self, cx: &RequestContext<'_>) -> Vec<u8> {
        let api = cx.api.expect("an integration runs only after selection");
        let (_, route) = cx.route.expect("an integration runs only for a route");
        let raw = cx.request.raw_path.as_str();
        let rest = api.kind == ApiKind::Rest;
        let context_path = cx.context_path();
        let path = cx.api_path();
        let params: Vec<(&str, String)> = cx
            .params
            .iter()
            .map(|&(name, (s, e))| {
                let value = &raw[s..e];
                // REST passes path variables raw; HTTP APIs decode them.
                let value = if rest {
                    value.to_string()
                } else {
                    percent_decode(value)
                };
                (name, value)
            })
            .collect();
        let variables: Vec<(&str, &str)> = cx
            .stage_variables()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content_type = cx.request.header("content-type");
        let base64_body = if rest {
            content_type.is_some_and(|ct| {
                let media = media_type(ct);
                api.binary_media_types
                    .iter()
                    .any(|t| media_type_matches(t, &media))
            })
        } else {
            !http_api_body_is_text(content_type)
        };
        let input = EventInput {
            request: &cx.request,
            resource: &route.path,
            route_key: &route.route_key,
            path: &path,
            context_path: &context_path,
            path_parameters: &params,
            stage: cx.stage.map_or("", |s| s.name.as_str()),
            stage_variables: &variables,
            request_id: &cx.ids.request_id,
            extended_request_id: &cx.ids.extended,
            time: &cx.time,
            trace_id: &cx.ids.trace,
            account_id: &cx.snapshot.app.account_id,
            api_id: &api.api_id,
            deployment_id: cx.variant.map_or("", |v| v.deployment_id.as_str()),
            resource_id: &route.resource_id,
            base64_body,
        };
        match (api.kind, self.payload) {
            (ApiKind::Rest, _) => v1_event(&input, false),
            (ApiKind::Http, PayloadFormat::V1) => v1_event(&input, true),
            (ApiKind::Http, PayloadFormat::V2) => v2_event(&input),
        }
    }
}

impl Integration for LambdaProxy {
    async fn call(
        &self,
        cx: &mut RequestContext<'_>,
        backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let function = self.resolve(cx)?.clone();
        cx.function = Some(function.name.clone());
        let invocation = Invocation {
            payload: Bytes::from(self.event(cx)),
            trace_id: Some(cx.ids.trace.clone()),
            ..Invocation::default()
        };
        let outcome =
            tokio::time::timeout(self.timeout, backend.invoke(&function, invocation)).await;
        let payload = match outcome {
            Err(_) => {
                return Err(GatewayError::integration_timeout(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                )));
            }
            Ok(Err(error @ (InvokeError::TooManyRequests | InvokeError::FunctionNotFound(_)))) => {
                return Err(GatewayError::invocation_refused(format!(
                    "invoke failed: {error}"
                )));
            }
            Ok(Err(error)) => {
                return Err(GatewayError::function_error(format!(
                    "invoke failed: {error}"
                )));
            }
            Ok(Ok(result)) => match result.outcome {
                Outcome::Response(bytes) => bytes,
                Outcome::Error { error_type, .. } => {
                    return Err(GatewayError::function_error(format!(
                        "function error ({error_type})"
                    )));
                }
            },
        };
        let kind = cx.kind();
        let parsed = match (kind, self.payload) {
            (ApiKind::Rest, _) => {
                let binary = cx.api.map_or(&[][..], |a| a.binary_media_types.as_slice());
                let decode = cx.request.header("accept").is_some_and(|accept| {
                    let first = media_type(accept.split(',').next().unwrap_or(""));
                    binary.iter().any(|t| media_type_matches(t, &first))
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
