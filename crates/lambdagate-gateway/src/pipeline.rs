//! The request pipeline: one function per stage, in AWS's order, over one request.
//!
//! select API and route -> request ids and trace id -> CORS preflight -> integration request
//! (proxy event) -> integration (Lambda / mock) -> integration response (proxy parse) ->
//! response headers (ids, CORS). Any failure becomes a [`GatewayError`] rendered in one place.

use std::sync::Arc;

use bytes::Bytes;
use lambdagate_lambda::{Invocation, InvokeError, Outcome};
use lambdagate_model::{ApiKind, PayloadFormat};

use crate::backend::Backend;
use crate::compile::{ApiRuntime, CompiledApp, RouteIntegration, RouteRuntime, Selection};
use crate::cors::{CorsPolicy, is_cors_header};
use crate::error::GatewayError;
use crate::events::{EventInput, http_api_body_is_text, v1_event, v2_event};
use crate::ids::{self, RequestTime};
use crate::request::{IncomingRequest, media_type, media_type_matches, percent_decode};
use crate::response::{ProxyResponse, ResponseError, parse_v1, parse_v2};
use crate::router::path_segments;

/// The gateway's answer to one request, with what the access log needs.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// The function that served it, if any.
    pub function: Option<String>,
    /// The request id (`x-amzn-RequestId` / `apigw-requestid`).
    pub request_id: String,
    /// Why the gateway answered with an error (for the log), if it did.
    pub detail: Option<String>,
}

/// Serves an application's APIs.
pub struct Gateway {
    app: CompiledApp,
    backend: Arc<dyn Backend>,
}

/// Per-request identifiers.
struct Ids {
    request_id: String,
    extended: String,
    trace: String,
}

fn ids_for(kind: ApiKind, request: &IncomingRequest, time: &RequestTime) -> Ids {
    let extended = ids::short_id();
    let request_id = match kind {
        ApiKind::Rest => ids::request_uuid(),
        ApiKind::Http => extended.clone(),
    };
    let trace = request
        .header("x-amzn-trace-id")
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| ids::trace_id(time.epoch_ms / 1000));
    Ids {
        request_id,
        extended,
        trace,
    }
}

/// Response headers REST remaps because API Gateway sets its own.
fn rest_response_header(name: &str) -> Option<String> {
    const REMAPPED: &[&str] = &["Connection", "Content-Length", "Date", "Server"];
    if name.eq_ignore_ascii_case("transfer-encoding") {
        return None;
    }
    match REMAPPED.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        Some(r) => Some(format!("x-amzn-Remapped-{r}")),
        None => Some(name.to_string()),
    }
}

/// Response headers an HTTP API does not pass on from the integration.
fn http_drops(name: &str) -> bool {
    const DROPPED: &[&str] = &[
        "connection",
        "content-length",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
    ];
    DROPPED.iter().any(|d| d.eq_ignore_ascii_case(name))
}

impl Gateway {
    /// A gateway for a compiled application, invoking functions through `backend`.
    pub fn new(app: CompiledApp, backend: Arc<dyn Backend>) -> Gateway {
        Gateway { app, backend }
    }

    /// The compiled application.
    pub fn compiled(&self) -> &CompiledApp {
        &self.app
    }

    /// Answers with a gateway error before the request is handled (e.g. a body over the limit),
    /// in the shape of the API that owns the address.
    pub fn reject(&self, request: &IncomingRequest, error: GatewayError) -> Reply {
        let time = RequestTime::now();
        let api = match self
            .app
            .select(request.header("host"), &request.method, &request.raw_path)
        {
            Ok(sel) => Some(sel.api),
            Err((api, _)) => api,
        };
        let api = api.map(|a| &self.app.apis[a]);
        let kind = api.map_or(ApiKind::Http, |a| a.kind);
        let ids = ids_for(kind, request, &time);
        self.error_reply(api, request, &ids, error, None)
    }

    /// Handles one request.
    pub async fn handle(&self, request: IncomingRequest) -> Reply {
        let time = RequestTime::now();
        let selection =
            match self
                .app
                .select(request.header("host"), &request.method, &request.raw_path)
            {
                Ok(s) => s,
                Err((api, error)) => {
                    let api = api.map(|a| &self.app.apis[a]);
                    let kind = api.map_or(ApiKind::Http, |a| a.kind);
                    let ids = ids_for(kind, &request, &time);
                    return self.error_reply(api, &request, &ids, error, None);
                }
            };
        let api = &self.app.apis[selection.api];
        let ids = ids_for(api.kind, &request, &time);

        // CORS preflight: the gateway answers it itself, with or without an OPTIONS route.
        if let Some(cors) = &api.cors
            && CorsPolicy::is_preflight(&request)
        {
            let mut headers: Vec<(String, String)> = cors
                .preflight(&request)
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            headers.push(("apigw-requestid".into(), ids.request_id.clone()));
            return Reply {
                // AWS does not document the preflight status (spec §6.1, Appendix B point 1);
                // 204 is what HTTP APIs are commonly observed to send.
                status: 204,
                headers,
                body: Bytes::new(),
                function: None,
                request_id: ids.request_id,
                detail: None,
            };
        }

        let Some(route_index) = selection.route else {
            let error = match api.kind {
                ApiKind::Rest => GatewayError::MissingAuthenticationToken,
                ApiKind::Http => GatewayError::NotFound,
            };
            return self.error_reply(Some(api), &request, &ids, error, None);
        };
        let route = &api.routes[route_index];
        match &route.integration {
            RouteIntegration::Mock(mock) => {
                let mut headers = mock.headers.clone();
                if !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    headers.push(("Content-Type".into(), "application/json".into()));
                }
                self.finish(
                    api,
                    &request,
                    &ids,
                    ProxyResponse {
                        status: mock.status,
                        headers,
                        body: Bytes::from(mock.body.clone()),
                    },
                    None,
                    false,
                )
            }
            RouteIntegration::Lambda {
                function,
                payload,
                timeout,
            } => {
                let event = self.event(api, route, &selection, &request, &ids, &time, *payload);
                let invocation = Invocation {
                    payload: Bytes::from(event),
                    trace_id: Some(ids.trace.clone()),
                    ..Invocation::default()
                };
                let outcome =
                    tokio::time::timeout(*timeout, self.backend.invoke(function, invocation)).await;
                let fail = |error: GatewayError, detail: String| {
                    let mut reply =
                        self.error_reply(Some(api), &request, &ids, error, Some(detail));
                    reply.function = Some(function.clone());
                    reply
                };
                let payload_bytes = match outcome {
                    Err(_) => {
                        return fail(
                            GatewayError::IntegrationTimeout,
                            format!("no answer within {} ms", timeout.as_millis()),
                        );
                    }
                    Ok(Err(error)) => {
                        let kind = match error {
                            InvokeError::TooManyRequests | InvokeError::FunctionNotFound(_) => {
                                GatewayError::InvocationRefused
                            }
                            _ => GatewayError::IntegrationFailure,
                        };
                        return fail(kind, format!("invoke failed: {error}"));
                    }
                    Ok(Ok(result)) => match result.outcome {
                        Outcome::Response(bytes) => bytes,
                        Outcome::Error { error_type, .. } => {
                            return fail(
                                GatewayError::IntegrationFailure,
                                format!("function error ({error_type})"),
                            );
                        }
                    },
                };
                let parsed = match (api.kind, payload) {
                    (ApiKind::Rest, _) => {
                        let decode = request.header("accept").is_some_and(|accept| {
                            let first = media_type(accept.split(',').next().unwrap_or(""));
                            api.binary_media_types
                                .iter()
                                .any(|t| media_type_matches(t, &first))
                        });
                        parse_v1(&payload_bytes, decode)
                    }
                    (ApiKind::Http, PayloadFormat::V1) => parse_v1(&payload_bytes, true),
                    (ApiKind::Http, PayloadFormat::V2) => parse_v2(&payload_bytes),
                };
                match parsed {
                    Ok(response) => {
                        let mut reply = self.finish(api, &request, &ids, response, None, true);
                        reply.function = Some(function.clone());
                        reply
                    }
                    Err(error @ ResponseError::Base64) => {
                        fail(GatewayError::ApiConfiguration, error.to_string())
                    }
                    Err(error) => fail(GatewayError::IntegrationFailure, error.to_string()),
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        api: &ApiRuntime,
        route: &RouteRuntime,
        selection: &Selection<'_>,
        request: &IncomingRequest,
        ids: &Ids,
        time: &RequestTime,
        payload: PayloadFormat,
    ) -> Vec<u8> {
        let raw = request.raw_path.as_str();
        let context_path = format!("/{}", raw.trim_start_matches('/'));
        let rest = api.kind == ApiKind::Rest;
        let path = if rest && selection.prefix > 0 {
            let segments = path_segments(raw);
            match segments.get(selection.prefix) {
                Some(&(start, _)) => format!("/{}", &raw[start..]),
                None => "/".to_string(),
            }
        } else {
            context_path.clone()
        };
        let params: Vec<(&str, String)> = selection
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
        let stage = &api.stages[selection.stage];
        let variables: Vec<(&str, &str)> = stage
            .variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content_type = request.header("content-type");
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
            request,
            resource: &route.path,
            route_key: &route.route_key,
            path: &path,
            context_path: &context_path,
            path_parameters: &params,
            stage: &stage.name,
            stage_variables: &variables,
            request_id: &ids.request_id,
            extended_request_id: &ids.extended,
            time,
            trace_id: &ids.trace,
            account_id: &self.app.account_id,
            api_id: &api.api_id,
            deployment_id: &api.deployment_id,
            resource_id: &route.resource_id,
            base64_body,
        };
        match (api.kind, payload) {
            (ApiKind::Rest, _) => v1_event(&input, false),
            (ApiKind::Http, PayloadFormat::V1) => v1_event(&input, true),
            (ApiKind::Http, PayloadFormat::V2) => v2_event(&input),
        }
    }

    /// Adds the gateway's own headers to an integration's response.
    fn finish(
        &self,
        api: &ApiRuntime,
        request: &IncomingRequest,
        ids: &Ids,
        response: ProxyResponse,
        detail: Option<String>,
        lambda: bool,
    ) -> Reply {
        let mut headers = Vec::with_capacity(response.headers.len() + 4);
        match api.kind {
            ApiKind::Rest => {
                for (name, value) in response.headers {
                    if let Some(name) = rest_response_header(&name) {
                        headers.push((name, value));
                    }
                }
                if !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    headers.push(("Content-Type".into(), "application/json".into()));
                }
                headers.push(("x-amzn-RequestId".into(), ids.request_id.clone()));
                headers.push(("x-amz-apigw-id".into(), ids.extended.clone()));
                if lambda {
                    headers.push(("X-Amzn-Trace-Id".into(), ids.trace.clone()));
                }
            }
            ApiKind::Http => {
                let cors = api.cors.as_ref();
                for (name, value) in response.headers {
                    if http_drops(&name) || (cors.is_some() && is_cors_header(&name)) {
                        continue;
                    }
                    headers.push((name, value));
                }
                if let Some(cors) = cors {
                    headers.extend(cors.actual(request).into_iter().map(|(n, v)| (n.into(), v)));
                }
                headers.push(("apigw-requestid".into(), ids.request_id.clone()));
            }
        }
        Reply {
            status: response.status,
            headers,
            body: response.body,
            function: None,
            request_id: ids.request_id.clone(),
            detail,
        }
    }

    fn error_reply(
        &self,
        api: Option<&ApiRuntime>,
        request: &IncomingRequest,
        ids: &Ids,
        error: GatewayError,
        detail: Option<String>,
    ) -> Reply {
        let kind = api.map_or(ApiKind::Http, |a| a.kind);
        let rendered = error.render(kind);
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        match kind {
            ApiKind::Rest => {
                headers.push(("x-amzn-RequestId".into(), ids.request_id.clone()));
                headers.push(("x-amz-apigw-id".into(), ids.extended.clone()));
                if let Some(error_type) = rendered.error_type {
                    headers.push(("x-amzn-ErrorType".into(), error_type.into()));
                }
            }
            ApiKind::Http => {
                if let Some(cors) = api.and_then(|a| a.cors.as_ref()) {
                    headers.extend(cors.actual(request).into_iter().map(|(n, v)| (n.into(), v)));
                }
                headers.push(("apigw-requestid".into(), ids.request_id.clone()));
            }
        }
        Reply {
            status: rendered.status,
            headers,
            body: Bytes::from_static(rendered.body.as_bytes()),
            function: None,
            request_id: ids.request_id.clone(),
            detail: detail.or_else(|| Some(error.to_string())),
        }
    }
}
