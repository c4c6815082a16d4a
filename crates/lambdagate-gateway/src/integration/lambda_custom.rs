//! The Lambda custom integration (`AWS` with a Lambda function): the request template (VTL)
//! makes the payload, the function's answer or error document selects an integration response
//! (`selectionPattern` against `errorMessage`), whose parameters and template make the answer.

use std::time::Duration;

use bytes::Bytes;
use lambdagate_lambda::{Invocation, Outcome};
use lambdagate_model::Integration as ModelIntegration;

use super::lambda_proxy::{FunctionTarget, invoke_within};
use super::mapping::{RawAnswer, RequestMapping, ResponseMapping, Selector};
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::responses::error::GatewayError;

/// A Lambda custom integration, compiled.
#[derive(Debug, Clone)]
pub struct LambdaCustom {
    /// The function.
    pub function: FunctionTarget,
    /// Integration timeout (`TimeoutInMillis`, capped at REST's maximum).
    pub timeout: Duration,
    request: RequestMapping,
    responses: ResponseMapping,
}

impl LambdaCustom {
    /// Compiles the integration's templates and patterns; `Err` says which does not compile.
    /// `method_statuses` are the method's declared response statuses.
    pub fn compile(
        integration: &ModelIntegration,
        method_statuses: &[u16],
        function: FunctionTarget,
        timeout: Duration,
    ) -> Result<LambdaCustom, String> {
        Ok(LambdaCustom {
            function,
            timeout,
            request: RequestMapping::compile(integration)?,
            responses: ResponseMapping::compile(
                &integration.integration_responses,
                method_statuses,
            )?,
        })
    }
}

/// What the function answered, reduced to what response mapping needs.
enum Answer {
    Success(Bytes),
    Error { message: String, document: Bytes },
}

impl Integration for LambdaCustom {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        let Some(function) = r.function else {
            return Err(GatewayError::invocation_refused(
                "the function could not be resolved",
            ));
        };
        let (parameters, payload, overrides) =
            self.request.transform(cx, r.binary_media_types, true)?;
        let header = |name: &str| {
            overrides
                .request_headers
                .iter()
                .chain(parameters.headers.iter())
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let asynchronous =
            header("X-Amz-Invocation-Type").is_some_and(|t| t.trim().eq_ignore_ascii_case("Event"));
        // Lambda takes only JSON payloads (an empty one reads as `{}`).
        let payload = if payload.iter().all(u8::is_ascii_whitespace) {
            Bytes::from_static(b"{}")
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
            return Err(GatewayError::api_configuration(
                "the request payload for Lambda is not valid JSON",
            ));
        } else {
            payload
        };
        let invocation = Invocation {
            payload,
            trace_id: Some(r.ids.trace.clone()),
            ..Invocation::default()
        };
        let result = invoke_within(
            backend,
            function,
            invocation,
            self.timeout,
            GatewayError::api_configuration,
        )
        .await?;
        let answer = match result.outcome {
            // An `Event` invocation answers as soon as Lambda accepts it, with an empty body;
            // here the function has run by now, and its outcome is not the client's concern.
            _ if asynchronous => Answer::Success(Bytes::new()),
            Outcome::Response(bytes) => Answer::Success(bytes),
            Outcome::Error { payload, .. } => Answer::Error {
                message: serde_json::from_slice::<serde_json::Value>(&payload)
                    .ok()
                    .and_then(|v| {
                        v.get("errorMessage")
                            .and_then(serde_json::Value::as_str)
                            .map(str::to_string)
                    })
                    .unwrap_or_default(),
                document: payload,
            },
        };
        let (selector, body) = match &answer {
            Answer::Success(body) => (Selector::LambdaSuccess, body),
            Answer::Error { message, document } => (Selector::LambdaError(message), document),
        };
        self.responses.respond(
            cx,
            selector,
            RawAnswer { body, headers: &[] },
            &overrides,
            true,
        )
    }
}
