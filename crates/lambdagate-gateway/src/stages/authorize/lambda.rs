//! Lambda authorizers: REST TOKEN and REQUEST, HTTP API REQUEST (payload 1.0 and 2.0, IAM
//! policy or simple answers), their events, the invocation, and what each answer means.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lambdagate_lambda::{Invocation, Outcome};
use lambdagate_model::aws::method_arn;
use lambdagate_model::{ApiKind, LambdaAuthorizerType, PayloadFormat, ResponseType};
use serde_json::{Map, Value};

use super::cache::{self, Answer, AuthorizerCache};
use super::policy::{Decision, Verdict};
use crate::authorization::Authorization;
use crate::backend::{Backend, FunctionHandle};
use crate::clock::Clock;
use crate::compile::authorizers::{AuthorizerFunction, CompiledAuthorizer, IdentitySource};
use crate::context::RequestContext;
use crate::integration::lambda_proxy::events::{EventInput, v1_event, v2_event};
use crate::responses::error::GatewayError;

/// How long API Gateway waits for a Lambda authorizer (HTTP APIs: 10 s, spec §5.5; REST's
/// authorizers share the integration's 29 s limit).
fn invoke_timeout(kind: ApiKind) -> Duration {
    match kind {
        ApiKind::Rest => Duration::from_secs(29),
        ApiKind::Http => Duration::from_secs(10),
    }
}

/// `401 Unauthorized`.
pub fn unauthorized(detail: impl Into<String>) -> GatewayError {
    GatewayError::new(ResponseType::Unauthorized).with_detail(detail)
}

/// An identity source's value for this request; `None` when missing or empty.
pub fn identity_value(cx: &RequestContext<'_>, source: &IdentitySource) -> Option<String> {
    let value = match source {
        IdentitySource::Header(name) => cx.request.header(name).map(str::to_string),
        IdentitySource::QueryString(name) => cx.query_value(name),
        IdentitySource::StageVariable(name) => cx.stage_variable(name).map(str::to_string),
        IdentitySource::Context(name) => cx.context_value(name).map(|v| v.into_owned()),
    };
    value.filter(|v| !v.is_empty())
}

/// The path in the method ARN: the resource path as requested, without any stage prefix.
fn arn_path(cx: &RequestContext<'_>) -> String {
    let path = cx.api_path();
    match (cx.kind(), cx.stage) {
        (ApiKind::Http, Some(stage)) if stage.name != "$default" => {
            let prefix = format!("/{}", stage.name);
            match path.strip_prefix(&prefix) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    if rest.is_empty() {
                        "/".into()
                    } else {
                        rest.to_string()
                    }
                }
                _ => path,
            }
        }
        _ => path,
    }
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH` of this request.
pub fn request_arn(cx: &RequestContext<'_>) -> String {
    let app = &cx.snapshot.app;
    method_arn(
        &app.region,
        &app.account_id,
        cx.api.map_or("", |a| a.api_id.as_str()),
        cx.stage.map_or("", |s| s.name.as_str()),
        &cx.request.method,
        &arn_path(cx),
    )
}

/// Runs a Lambda authorizer for the request. `resource_allows`: the API's resource policy
/// allows the request, which then passes when the authorizer's policy neither allows nor denies
/// it (an explicit deny in either refuses).
pub async fn run(
    cx: &RequestContext<'_>,
    authorizer: &CompiledAuthorizer,
    cache: &AuthorizerCache,
    backend: &dyn Backend,
    clock: &dyn Clock,
    resource_allows: bool,
) -> Result<Authorization, GatewayError> {
    let crate::compile::authorizers::CompiledAuthorizerKind::Lambda {
        function,
        authorizer_type,
        payload,
        simple_responses,
    } = &authorizer.kind
    else {
        return Err(unauthorized("not a Lambda authorizer"));
    };
    let kind = cx.kind();
    // Every configured identity source must have a value, else 401 without invoking.
    let mut values = Vec::with_capacity(authorizer.identity_sources.len());
    for source in &authorizer.identity_sources {
        match identity_value(cx, source) {
            Some(v) => values.push(v),
            None => {
                return Err(unauthorized(format!(
                    "identity source {source:?} of authorizer {} is missing",
                    authorizer.name
                )));
            }
        }
    }
    if *authorizer_type == LambdaAuthorizerType::Token {
        let Some(token) = values.first() else {
            return Err(unauthorized("the TOKEN authorizer has no token header"));
        };
        if let Some(re) = &authorizer.validation
            && !re.is_match(token)
        {
            return Err(unauthorized(
                "the token does not match the IdentityValidationExpression",
            ));
        }
    }
    let AuthorizerFunction::Fixed(handle) = function else {
        let AuthorizerFunction::Unresolved(why) = function else {
            unreachable!()
        };
        return Err(
            GatewayError::new(ResponseType::AuthorizerConfigurationError)
                .with_detail(format!("authorizer {}: {why}", authorizer.name)),
        );
    };
    let arn = request_arn(cx);
    let started = clock.now_ms();
    let simple = *simple_responses && *payload == PayloadFormat::V2;
    let any_json = kind == ApiKind::Http && *payload == PayloadFormat::V2;
    let invoke = async {
        let event = event(cx, *authorizer_type, *payload, &arn, &values);
        invoke(cx, handle, event, kind, backend)
            .await
            .and_then(|bytes| {
                let verdict = Verdict::parse(&bytes, simple, any_json).map_err(|e| {
                    GatewayError::new(ResponseType::AuthorizerConfigurationError)
                        .with_detail(e.to_string())
                })?;
                if kind == ApiKind::Rest
                    && matches!(
                        &verdict,
                        Verdict::Policy {
                            principal_id: None,
                            ..
                        }
                    )
                {
                    return Err(
                        GatewayError::new(ResponseType::AuthorizerConfigurationError)
                            .with_detail("invalid authorizer response: no principalId"),
                    );
                }
                Ok(Arc::new(verdict))
            })
    };
    let stage = cx.stage.map_or("", |s| s.name.as_str());
    let api_id = cx.api.map_or("", |a| a.api_id.as_str());
    let (answer, cached): (Answer, bool) =
        match cache::key(api_id, stage, &authorizer.name, &values, authorizer.ttl) {
            Some(key) => cache.get_or_invoke(key, authorizer.ttl, invoke).await,
            None => (invoke.await, false),
        };
    let latency_ms = if cached {
        0
    } else {
        clock.now_ms().saturating_sub(started)
    };
    decide(&*answer?, &arn, latency_ms, resource_allows)
}

/// What an answer means for this method ARN.
fn decide(
    verdict: &Verdict,
    arn: &str,
    latency_ms: u64,
    resource_allows: bool,
) -> Result<Authorization, GatewayError> {
    match verdict {
        Verdict::Policy {
            principal_id,
            policy,
            context,
            usage_identifier_key,
        } => match policy.evaluate(arn) {
            Decision::ImplicitDeny if resource_allows => Ok(Authorization::Lambda {
                principal_id: principal_id.clone(),
                context: context.clone(),
                usage_identifier_key: usage_identifier_key.clone(),
                latency_ms,
            }),
            Decision::Allow => Ok(Authorization::Lambda {
                principal_id: principal_id.clone(),
                context: context.clone(),
                usage_identifier_key: usage_identifier_key.clone(),
                latency_ms,
            }),
            Decision::ExplicitDeny => Err(GatewayError::new(ResponseType::AccessDenied)
                .with_message(
                    "User is not authorized to access this resource with an explicit deny",
                )
                .with_detail(format!("the authorizer's policy denies {arn}"))),
            Decision::ImplicitDeny => Err(GatewayError::new(ResponseType::AccessDenied)
                .with_detail(format!("the authorizer's policy does not allow {arn}"))),
        },
        Verdict::Simple {
            authorized: true,
            context,
        } => Ok(Authorization::Lambda {
            principal_id: None,
            context: context.clone(),
            usage_identifier_key: None,
            latency_ms,
        }),
        Verdict::Simple {
            authorized: false, ..
        } => Err(GatewayError::new(ResponseType::AccessDenied)
            .with_detail("the authorizer answered isAuthorized: false")),
    }
}

/// Invokes the authorizer function; its answer's bytes, or the gateway's error.
async fn invoke(
    cx: &RequestContext<'_>,
    function: &FunctionHandle,
    event: Vec<u8>,
    kind: ApiKind,
    backend: &dyn Backend,
) -> Result<Bytes, GatewayError> {
    let invocation = Invocation {
        payload: Bytes::from(event),
        trace_id: Some(cx.ids.trace.clone()),
        ..Invocation::default()
    };
    let timeout = invoke_timeout(kind);
    match tokio::time::timeout(timeout, backend.invoke(function, invocation)).await {
        Err(_) => Err(
            GatewayError::new(ResponseType::AuthorizerFailure).with_detail(format!(
                "the authorizer {} did not answer within {} s",
                function.name,
                timeout.as_secs()
            )),
        ),
        Ok(Err(error)) => Err(
            GatewayError::new(ResponseType::AuthorizerFailure).with_detail(format!(
                "the authorizer {} could not be invoked: {error}",
                function.name
            )),
        ),
        Ok(Ok(result)) => match result.outcome {
            Outcome::Response(bytes) => Ok(bytes),
            Outcome::Error {
                error_type,
                payload,
            } => {
                // `raise Exception("Unauthorized")` / `callback("Unauthorized")`: AWS's 401.
                let message = serde_json::from_slice::<Value>(&payload)
                    .ok()
                    .and_then(|v| {
                        v.get("errorMessage")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    });
                if message.as_deref() == Some("Unauthorized") {
                    Err(unauthorized(format!(
                        "the authorizer {} answered Unauthorized",
                        function.name
                    )))
                } else {
                    Err(
                        GatewayError::new(ResponseType::AuthorizerConfigurationError).with_detail(
                            format!("the authorizer {} failed ({error_type})", function.name),
                        ),
                    )
                }
            }
        },
    }
}

/// The authorizer's event, as AWS sends it (spec §5.1, §5.2, §5.5).
fn event(
    cx: &RequestContext<'_>,
    authorizer_type: LambdaAuthorizerType,
    payload: PayloadFormat,
    arn: &str,
    values: &[String],
) -> Vec<u8> {
    let mut out = Map::new();
    if authorizer_type == LambdaAuthorizerType::Token {
        out.insert("type".into(), "TOKEN".into());
        out.insert(
            "authorizationToken".into(),
            values.first().cloned().unwrap_or_default().into(),
        );
        out.insert("methodArn".into(), arn.into());
        return serde_json::to_vec(&out).unwrap_or_default();
    }
    // REQUEST: the proxy event's request fields, without the body.
    let kind = cx.kind();
    let proxy = proxy_event(cx, kind, payload);
    let Ok(Value::Object(mut proxy)) = serde_json::from_slice::<Value>(&proxy) else {
        return Vec::new();
    };
    for key in ["body", "isBase64Encoded", "version"] {
        proxy.remove(key);
    }
    if let Some(Value::Object(rc)) = proxy.get_mut("requestContext") {
        rc.remove("authorizer");
    }
    match (kind, payload) {
        (ApiKind::Http, PayloadFormat::V2) => {
            out.insert("version".into(), "2.0".into());
            out.insert("type".into(), "REQUEST".into());
            out.insert("routeArn".into(), arn.into());
            // Without identity sources AWS leaves the key out (the recorded
            // `…-v2-request-without-identity-source` event).
            if !values.is_empty() {
                out.insert("identitySource".into(), Value::from(values.to_vec()));
            }
        }
        (ApiKind::Http, PayloadFormat::V1) => {
            let joined = values.join(",");
            out.insert("version".into(), "1.0".into());
            out.insert("type".into(), "REQUEST".into());
            out.insert("methodArn".into(), arn.into());
            if !values.is_empty() {
                out.insert("identitySource".into(), joined.clone().into());
                out.insert("authorizationToken".into(), joined.into());
            }
        }
        (ApiKind::Rest, _) => {
            out.insert("type".into(), "REQUEST".into());
            out.insert("methodArn".into(), arn.into());
        }
    }
    out.extend(proxy);
    serde_json::to_vec(&out).unwrap_or_default()
}

/// The Lambda proxy event of this request, as the integration would build it.
fn proxy_event(cx: &RequestContext<'_>, kind: ApiKind, payload: PayloadFormat) -> Vec<u8> {
    let raw = cx.request.raw_path.as_str();
    let path_parameters: Vec<(&str, String)> = cx
        .params
        .iter()
        .map(|&(name, (s, e))| {
            let value = match kind {
                ApiKind::Rest => raw[s..e].to_string(),
                ApiKind::Http => crate::request::percent_decode(&raw[s..e]),
            };
            (name, value)
        })
        .collect();
    let variables: Vec<(&str, &str)> = cx
        .stage_variables()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let route = cx.route.map(|(_, r)| r);
    let path = cx.api_path();
    let context_path = cx.context_path();
    let input = EventInput {
        // The API key stage runs after the authorizer, which may supply the key.
        api_key: None,
        request: &cx.request,
        resource: route.map_or("", |r| r.path.as_str()),
        route_key: route.map_or("", |r| r.route_key.as_str()),
        path: &path,
        context_path: &context_path,
        path_parameters: &path_parameters,
        stage: cx.stage.map_or("", |s| s.name.as_str()),
        stage_variables: &variables,
        request_id: &cx.ids.request_id,
        extended_request_id: &cx.ids.extended,
        time: &cx.time,
        trace_id: &cx.ids.trace,
        account_id: &cx.snapshot.app.account_id,
        api_id: cx.api.map_or("", |a| a.api_id.as_str()),
        deployment_id: cx.variant.map_or("", |v| v.deployment_id.as_str()),
        resource_id: route.map_or("", |r| r.resource_id.as_str()),
        operation_name: route.and_then(|r| r.operation_name.as_deref()),
        base64_body: false,
        authorizer: None,
    };
    match (kind, payload) {
        (ApiKind::Rest, _) => v1_event(&input, false),
        (ApiKind::Http, PayloadFormat::V1) => v1_event(&input, true),
        (ApiKind::Http, PayloadFormat::V2) => v2_event(&input),
    }
}
