//! The state of one request as it goes through the stages.
//!
//! [`RequestContext`] holds the request, its ids and time, and what each stage has found so far
//! (API, stage, canary, route, path variables). It is also the one `$context` lookup: gateway
//! responses, mapping templates and access logs all read `$context.x` through
//! [`RequestContext::context_value`], so a variable means the same thing everywhere.

use std::borrow::Cow;
use std::sync::Arc;

use lambdagate_model::ApiKind;

use crate::authorization::Authorization;
use crate::compile::{ApiRuntime, RouteRuntime, StageRuntime, StageVariant};
use crate::ids::{self, Ids, RequestTime};
use crate::integration::lambda_proxy::events::claims_as_strings;
use crate::request::{IncomingRequest, percent_decode, query_pairs};
use crate::router::{Span, path_segments};
use crate::snapshot::Snapshot;

/// One request and everything the stages learned about it.
pub struct RequestContext<'s> {
    /// The application serving it.
    pub snapshot: &'s Snapshot,
    /// The request.
    pub request: IncomingRequest,
    /// When it arrived.
    pub time: RequestTime,
    /// Its ids (assigned once the API kind is known).
    pub ids: Ids,
    /// The API that owns the address.
    pub api: Option<&'s ApiRuntime>,
    /// The stage.
    pub stage: Option<&'s StageRuntime>,
    /// The deployment serving it: the stage's own, or its canary.
    pub variant: Option<&'s StageVariant>,
    /// The matched route and its index in the API.
    pub route: Option<(usize, &'s RouteRuntime)>,
    /// Path variables as spans of the raw path.
    pub params: Vec<(&'s str, Span)>,
    /// Leading path segments that are not part of the API's own path in events (a REST stage).
    pub event_prefix: usize,
    /// The custom domain's matched base path (`$context.customDomain.basePathMatched`).
    pub base_path: Option<&'s str>,
    /// The function the integration called, for the access log.
    pub function: Option<Arc<str>>,
    /// What the route's authorizer established about the caller.
    pub authorizer: Option<Authorization>,
    /// The API key the caller used, once the API key stage accepted it.
    pub api_key: Option<ApiKeyUse>,
}

/// An accepted API key (`$context.identity.apiKey` / `apiKeyId`).
#[derive(Debug, Clone)]
pub struct ApiKeyUse {
    /// The key's value.
    pub value: String,
    /// The key's id.
    pub id: String,
}

impl std::fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.ids.request_id)
            .field("method", &self.request.method)
            .field("path", &self.request.raw_path)
            .finish_non_exhaustive()
    }
}

impl<'s> RequestContext<'s> {
    /// A context for a request that has not been through any stage.
    pub fn new(snapshot: &'s Snapshot, request: IncomingRequest, time: RequestTime) -> Self {
        RequestContext {
            snapshot,
            request,
            time,
            ids: Ids::default(),
            api: None,
            stage: None,
            variant: None,
            route: None,
            params: Vec::new(),
            event_prefix: 0,
            base_path: None,
            function: None,
            authorizer: None,
            api_key: None,
        }
    }

    /// Gives the request its ids in the shape of the API kind that answers it.
    pub fn assign_ids(&mut self) {
        let kind = self.api.map_or(ApiKind::Http, |a| a.kind);
        let extended = ids::short_id();
        let request_id = match kind {
            ApiKind::Rest => ids::request_uuid(),
            ApiKind::Http => extended.clone(),
        };
        let trace = self
            .request
            .header("x-amzn-trace-id")
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| ids::trace_id(self.time.epoch_ms / 1000));
        self.ids = Ids {
            request_id,
            extended,
            trace,
        };
    }

    /// The API kind answering (HTTP when no API owns the address).
    pub fn kind(&self) -> ApiKind {
        self.api.map_or(ApiKind::Http, |a| a.kind)
    }

    /// The function name for the access log.
    pub fn function_name(&self) -> Option<String> {
        self.function.as_deref().map(str::to_string)
    }

    /// The stage variables in force (the canary's when a canary serves the request).
    pub fn stage_variables(&self) -> &'s [(String, String)] {
        self.variant.map_or(&[], |v| v.variables.as_slice())
    }

    /// One stage variable.
    pub fn stage_variable(&self, name: &str) -> Option<&'s str> {
        self.stage_variables()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request path as sent, with a leading slash (`$context.path`).
    pub fn context_path(&self) -> String {
        format!("/{}", self.request.raw_path.trim_start_matches('/'))
    }

    /// The path as the API sees it in events: without a REST stage prefix.
    pub fn api_path(&self) -> String {
        let raw = self.request.raw_path.as_str();
        if self.event_prefix > 0 {
            let segments = path_segments(raw);
            match segments.get(self.event_prefix) {
                Some(&(start, _)) => format!("/{}", &raw[start..]),
                None => "/".to_string(),
            }
        } else {
            self.context_path()
        }
    }

    /// A path variable's value as the API kind passes it (REST raw, HTTP APIs decoded).
    pub fn path_parameter(&self, name: &str) -> Option<String> {
        let raw = self.request.raw_path.as_str();
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, (s, e))| match self.kind() {
                ApiKind::Rest => raw[s..e].to_string(),
                ApiKind::Http => percent_decode(&raw[s..e]),
            })
    }

    /// The last value of a query-string parameter, decoded.
    pub fn query_value(&self, name: &str) -> Option<String> {
        let raw = self.request.raw_query.as_deref()?;
        query_pairs(raw)
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every value of a query-string parameter, decoded and joined with commas (API Gateway's
    /// multi-value query string as one value); `None` when the parameter is absent.
    pub fn query_values(&self, name: &str) -> Option<String> {
        let raw = self.request.raw_query.as_deref()?;
        let values: Vec<String> = query_pairs(raw)
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    /// `$context.{name}`, as far as the request got; `None` for a variable that has no value.
    pub fn context_value(&self, name: &str) -> Option<Cow<'s, str>> {
        let api = self.api;
        let owned = |s: String| Some(Cow::Owned(s));
        let host = || {
            self.request
                .header("host")
                .map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h).to_string())
        };
        match name {
            "requestId" => owned(self.ids.request_id.clone()),
            "extendedRequestId" => owned(self.ids.extended.clone()),
            "xrayTraceId" => owned(self.ids.trace.clone()),
            "accountId" => owned(self.snapshot.app.account_id.clone()),
            "apiId" => api.map(|a| Cow::Borrowed(a.api_id.as_str())),
            "stage" => self.stage.map(|s| Cow::Borrowed(s.name.as_str())),
            "deploymentId" => self
                .variant
                .map(|v| Cow::Borrowed(v.deployment_id.as_str())),
            "isCanaryRequest" => self
                .stage
                .filter(|s| s.canary.is_some())
                .map(|_| Cow::Borrowed(if self.is_canary() { "true" } else { "false" })),
            "httpMethod" => owned(self.request.method.clone()),
            "path" => owned(self.context_path()),
            "resourcePath" => self.route.map(|(_, r)| Cow::Borrowed(r.path.as_str())),
            "resourceId" => self
                .route
                .map(|(_, r)| Cow::Borrowed(r.resource_id.as_str())),
            "routeKey" => self.route.map(|(_, r)| Cow::Borrowed(r.route_key.as_str())),
            "domainName" => host().map(Cow::Owned),
            "domainPrefix" => host().map(|h| Cow::Owned(h.split('.').next().unwrap_or("").into())),
            "requestTime" => owned(self.time.clf.clone()),
            "requestTimeEpoch" => owned(self.time.epoch_ms.to_string()),
            // What the recorded REST events carry; an h2 client is still reported as HTTP/1.1
            // until an HTTP/2 recording says otherwise.
            "protocol" => owned("HTTP/1.1".to_string()),
            "identity.sourceIp" => owned(self.request.source_ip_string()),
            "identity.userAgent" => owned(self.request.user_agent().to_string()),
            "customDomain.basePathMatched" => self.base_path.map(Cow::Borrowed),
            "identity.apiKey" => self.api_key.as_ref().map(|k| Cow::Owned(k.value.clone())),
            "identity.apiKeyId" => self.api_key.as_ref().map(|k| Cow::Owned(k.id.clone())),
            _ => self.authorizer_value(name).map(Cow::Owned),
        }
    }

    /// `$context.authorizer.*` and the IAM `$context.identity.*` fields, from what the route's
    /// authorizer established; values as text, as AWS substitutes them.
    fn authorizer_value(&self, name: &str) -> Option<String> {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        match (self.authorizer.as_ref()?, name) {
            (Authorization::Iam(iam), _) => match name {
                "identity.accessKey" => Some(iam.access_key.clone()),
                "identity.accountId" => Some(iam.account_id.clone()),
                "identity.caller" => Some(iam.caller.clone()),
                "identity.user" => Some(iam.user.clone()),
                "identity.userArn" => Some(iam.user_arn.clone()),
                _ => None,
            },
            (
                Authorization::Lambda {
                    principal_id,
                    context,
                    latency_ms,
                    ..
                },
                _,
            ) => match name.strip_prefix("authorizer.")? {
                "principalId" => principal_id.clone(),
                "integrationLatency" => Some(latency_ms.to_string()),
                key => context.get(key).and_then(text),
            },
            (Authorization::Cognito { claims, .. }, _) => {
                let claim = name.strip_prefix("authorizer.claims.")?;
                let claim = claim.trim_start_matches("['").trim_end_matches("']");
                claims_as_strings(claims, true).get(claim).and_then(text)
            }
            (Authorization::Jwt { claims, .. }, _) => {
                let claim = name.strip_prefix("authorizer.claims.")?;
                let claim = claim.trim_start_matches("['").trim_end_matches("']");
                claims_as_strings(claims, false).get(claim).and_then(text)
            }
        }
    }

    /// Whether the stage's canary serves this request.
    pub fn is_canary(&self) -> bool {
        self.variant.is_some_and(|v| v.is_canary)
    }
}
