//! Lambda proxy events: REST payload 1.0, HTTP API payload 1.0 and 2.0 (spec §1).
//!
//! Events are serialized straight to bytes from borrowed structs; nothing is parsed or looked up
//! per request beyond the request itself.

use std::borrow::Cow;

use base64::Engine;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::ids::RequestTime;
use crate::request::{IncomingRequest, group_headers, group_pairs, media_type, query_pairs};

/// Everything an event needs besides the request itself.
#[derive(Debug, Clone)]
pub struct EventInput<'a> {
    /// The request.
    pub request: &'a IncomingRequest,
    /// `resource` / `resourcePath`: the matched route's path template (REST), or the route path.
    pub resource: &'a str,
    /// HTTP API `routeKey` (`GET /items/{id}` or `$default`).
    pub route_key: &'a str,
    /// The path as the API sees it: without the stage for REST, with it for named HTTP stages.
    pub path: &'a str,
    /// `requestContext.path`: the path as sent, stage included.
    pub context_path: &'a str,
    /// Path variables, values already in the form the API kind passes them.
    pub path_parameters: &'a [(&'a str, String)],
    /// The stage name (`Prod`, `$default`).
    pub stage: &'a str,
    /// Stage variables (empty when the stage has none).
    pub stage_variables: &'a [(&'a str, &'a str)],
    /// `requestId`.
    pub request_id: &'a str,
    /// `extendedRequestId` (REST).
    pub extended_request_id: &'a str,
    /// Arrival time.
    pub time: &'a RequestTime,
    /// The trace header value sent to the function (`X-Amzn-Trace-Id`).
    pub trace_id: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// API id.
    pub api_id: &'a str,
    /// `deploymentId` (REST).
    pub deployment_id: &'a str,
    /// `resourceId` (REST).
    pub resource_id: &'a str,
    /// Whether the body is passed base64-encoded.
    pub base64_body: bool,
    /// The caller's API key (value, id), in REST events' `identity`.
    pub api_key: Option<(&'a str, &'a str)>,
}

impl EventInput<'_> {
    fn domain_name(&self) -> &str {
        self.request.header("host").unwrap_or("localhost")
    }

    fn domain_prefix(&self) -> &str {
        let host = self.domain_name();
        let host = host.split(':').next().unwrap_or(host);
        host.split('.').next().unwrap_or(host)
    }

    fn body(&self) -> Option<Cow<'_, str>> {
        let body = &self.request.body;
        if body.is_empty() {
            None
        } else if self.base64_body {
            Some(Cow::Owned(
                base64::engine::general_purpose::STANDARD.encode(body),
            ))
        } else {
            Some(String::from_utf8_lossy(body))
        }
    }
}

/// Whether an HTTP API passes a request body of this `Content-Type` as text (else base64).
pub fn http_api_body_is_text(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return false;
    };
    let media = media_type(value);
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
}

/// Request headers that API Gateway does not pass to a Lambda proxy integration.
fn dropped(name: &str, rest: bool) -> bool {
    const HOP_BY_HOP: &[&str] = &[
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    // Replaced by the gateway's own values below.
    const REPLACED: &[&str] = &[
        "x-amzn-trace-id",
        "x-forwarded-for",
        "x-forwarded-port",
        "x-forwarded-proto",
    ];
    const REST_ONLY: &[&str] = &[
        "content-length",
        "content-md5",
        "expect",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "www-authenticate",
    ];
    let is = |list: &[&str]| list.iter().any(|d| name.eq_ignore_ascii_case(d));
    is(HOP_BY_HOP) || is(REPLACED) || (rest && is(REST_ONLY))
}

/// The header names API Gateway's edge normalises on REST APIs whatever the client sent.
fn rest_header_name(name: &str) -> &str {
    const CANONICAL: &[&str] = &["Authorization", "Host", "User-Agent"];
    CANONICAL
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
}

/// The headers a function sees: the client's (minus dropped ones) plus the gateway's own.
/// REST keeps the client's casing; HTTP APIs lower-case every name.
fn event_headers<'a>(input: &'a EventInput<'a>, rest: bool) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let req = input.request;
    let mut out: Vec<(Cow<str>, Cow<str>)> = Vec::with_capacity(req.headers.len() + 4);
    for (name, value) in &req.headers {
        if dropped(name, rest) {
            continue;
        }
        let name = if rest {
            Cow::Borrowed(rest_header_name(name))
        } else if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name.as_str())
        };
        out.push((name, Cow::Borrowed(value.as_str())));
    }
    let ip = req.source_ip_string();
    let forwarded_for = match req.header("x-forwarded-for") {
        Some(prior) => format!("{prior}, {ip}"),
        None => ip,
    };
    let added = [
        ("X-Amzn-Trace-Id", Cow::Borrowed(input.trace_id)),
        ("X-Forwarded-For", Cow::Owned(forwarded_for)),
        ("X-Forwarded-Port", Cow::Owned(req.local_port.to_string())),
        ("X-Forwarded-Proto", Cow::Borrowed("http")),
    ];
    for (name, value) in added {
        let name = if rest {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(name.to_ascii_lowercase())
        };
        out.push((name, value));
    }
    // HTTP APIs buffer the body and always tell its length: captured events of bodiless `curl`
    // GETs carry `content-length: 0`, and a chunked upload arrives with its total length.
    if !rest && req.header("content-length").is_none() {
        out.push((
            Cow::Borrowed("content-length"),
            Cow::Owned(req.body.len().to_string()),
        ));
    }
    out
}

/// A map serialized from ordered pairs.
struct Pairs<'a, K, V>(&'a [(K, V)]);

impl<K: AsRef<str>, V: Serialize> Serialize for Pairs<'_, K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

fn pairs_or_none<K, V>(pairs: &[(K, V)]) -> Option<Pairs<'_, K, V>> {
    (!pairs.is_empty()).then_some(Pairs(pairs))
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    access_key: (),
    account_id: (),
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<&'a str>,
    caller: (),
    cognito_authentication_provider: (),
    cognito_authentication_type: (),
    cognito_identity_id: (),
    cognito_identity_pool_id: (),
    principal_org_id: (),
    source_ip: &'a str,
    user: (),
    user_agent: &'a str,
    user_arn: (),
}

impl<'a> Identity<'a> {
    /// The identity of a caller without IAM or Cognito credentials: every key present, all
    /// `null` except the source IP and user agent, as AWS sends it.
    fn anonymous(source_ip: &'a str, user_agent: &'a str) -> Identity<'a> {
        Identity {
            source_ip,
            user_agent,
            ..Default::default()
        }
    }
}

#[derive(Serialize)]
struct NullAuthorizer {
    claims: (),
    scopes: (),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Context<'a> {
    account_id: &'a str,
    api_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<NullAuthorizer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment_id: Option<&'a str>,
    domain_name: &'a str,
    domain_prefix: &'a str,
    extended_request_id: &'a str,
    http_method: &'a str,
    identity: Identity<'a>,
    path: &'a str,
    protocol: &'a str,
    request_id: &'a str,
    request_time: &'a str,
    request_time_epoch: u64,
    resource_id: Option<&'a str>,
    resource_path: &'a str,
    stage: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Event<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    resource: &'a str,
    path: &'a str,
    http_method: &'a str,
    headers: Option<Pairs<'a, Cow<'a, str>, &'a str>>,
    multi_value_headers: Option<Pairs<'a, Cow<'a, str>, Vec<&'a str>>>,
    query_string_parameters: Option<Pairs<'a, &'a str, &'a str>>,
    multi_value_query_string_parameters: Option<Pairs<'a, &'a str, Vec<&'a str>>>,
    path_parameters: Option<Pairs<'a, &'a str, String>>,
    stage_variables: Option<Pairs<'a, &'a str, &'a str>>,
    request_context: V1Context<'a>,
    body: Option<Cow<'a, str>>,
    is_base64_encoded: bool,
}

/// The payload 1.0 event: REST (`http_api == false`) or an HTTP API route with
/// `PayloadFormatVersion: "1.0"`.
pub fn v1_event(input: &EventInput<'_>, http_api: bool) -> Vec<u8> {
    let req = input.request;
    let headers = event_headers(input, !http_api);
    let multi: Vec<(Cow<str>, Vec<&str>)> = {
        let grouped = group_headers(headers.iter().map(|(n, v)| (n.as_ref(), v.as_ref())));
        grouped
            .into_iter()
            .map(|(n, vs)| (Cow::Borrowed(n), vs))
            .collect()
    };
    let single: Vec<(Cow<str>, &str)> = multi
        .iter()
        .map(|(n, vs)| (n.clone(), *vs.last().unwrap_or(&"")))
        .collect();
    let query = req
        .raw_query
        .as_deref()
        .map(query_pairs)
        .unwrap_or_default();
    let query_multi = group_pairs(&query);
    let query_single: Vec<(&str, &str)> = query_multi
        .iter()
        .map(|(k, vs)| (*k, *vs.last().unwrap_or(&"")))
        .collect();
    let source_ip = req.source_ip_string();
    let body = input.body();
    let event = V1Event {
        version: http_api.then_some("1.0"),
        resource: input.resource,
        path: input.path,
        http_method: &req.method,
        headers: pairs_or_none(&single),
        multi_value_headers: pairs_or_none(&multi),
        query_string_parameters: pairs_or_none(&query_single),
        multi_value_query_string_parameters: pairs_or_none(&query_multi),
        path_parameters: pairs_or_none(input.path_parameters),
        stage_variables: pairs_or_none(input.stage_variables),
        request_context: V1Context {
            account_id: input.account_id,
            api_id: input.api_id,
            authorizer: http_api.then_some(NullAuthorizer {
                claims: (),
                scopes: (),
            }),
            deployment_id: (!http_api).then_some(input.deployment_id),
            domain_name: input.domain_name(),
            domain_prefix: input.domain_prefix(),
            extended_request_id: input.extended_request_id,
            http_method: &req.method,
            identity: Identity {
                api_key: input.api_key.map(|(value, _)| value),
                api_key_id: input.api_key.map(|(_, id)| id),
                ..Identity::anonymous(&source_ip, req.user_agent())
            },
            path: input.context_path,
            protocol: "HTTP/1.1",
            request_id: input.request_id,
            request_time: &input.time.clf,
            request_time_epoch: input.time.epoch_ms,
            resource_id: (!http_api).then_some(input.resource_id),
            resource_path: input.resource,
            stage: input.stage,
        },
        body,
        is_base64_encoded: input.base64_body && !req.body.is_empty(),
    };
    // Serializing borrowed strings into a Vec cannot fail.
    serde_json::to_vec(&event).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Http<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Context<'a> {
    account_id: &'a str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: V2Http<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'a str,
    time: &'a str,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Event<'a> {
    version: &'a str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookies: Option<Vec<&'a str>>,
    headers: Pairs<'a, Cow<'a, str>, Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<Pairs<'a, &'a str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_parameters: Option<Pairs<'a, &'a str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_variables: Option<Pairs<'a, &'a str, &'a str>>,
    request_context: V2Context<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    is_base64_encoded: bool,
}

/// The HTTP API payload 2.0 event.
pub fn v2_event(input: &EventInput<'_>) -> Vec<u8> {
    let req = input.request;
    let headers = event_headers(input, false);
    let mut cookies: Vec<&str> = Vec::new();
    let mut joined: Vec<(Cow<str>, Cow<str>)> = Vec::with_capacity(headers.len());
    for (name, value) in &headers {
        if name == "cookie" {
            cookies.extend(value.split(';').map(str::trim).filter(|c| !c.is_empty()));
            continue;
        }
        match joined.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => {
                let mut v = existing.to_string();
                v.push(',');
                v.push_str(value);
                *existing = Cow::Owned(v);
            }
            None => joined.push((name.clone(), value.clone())),
        }
    }
    let query = req
        .raw_query
        .as_deref()
        .map(query_pairs)
        .unwrap_or_default();
    let query_joined: Vec<(&str, String)> = group_pairs(&query)
        .into_iter()
        .map(|(k, vs)| (k, vs.join(",")))
        .collect();
    let source_ip = req.source_ip_string();
    let event = V2Event {
        version: "2.0",
        route_key: input.route_key,
        raw_path: input.path,
        raw_query_string: req.raw_query.as_deref().unwrap_or(""),
        cookies: (!cookies.is_empty()).then_some(cookies),
        headers: Pairs(&joined),
        query_string_parameters: pairs_or_none(&query_joined),
        path_parameters: pairs_or_none(input.path_parameters),
        stage_variables: pairs_or_none(input.stage_variables),
        request_context: V2Context {
            account_id: input.account_id,
            api_id: input.api_id,
            domain_name: input.domain_name(),
            domain_prefix: input.domain_prefix(),
            http: V2Http {
                method: &req.method,
                path: input.path,
                protocol: "HTTP/1.1",
                source_ip: &source_ip,
                user_agent: req.user_agent(),
            },
            request_id: input.request_id,
            route_key: input.route_key,
            stage: input.stage,
            time: &input.time.clf,
            time_epoch: input.time.epoch_ms,
        },
        body: input.body(),
        is_base64_encoded: input.base64_body && !req.body.is_empty(),
    };
    serde_json::to_vec(&event).unwrap_or_default()
}
