//! `HTTP_PROXY` integrations (REST and HTTP API), public or private (VPC link): the client's
//! request passed to an HTTP backend through the shared pooled client, and its answer passed
//! back, as API Gateway does it (spec §8.5, §10.3, §10.6).
//!
//! The URI's `${stageVariables.x}` and `{param}` placeholders are filled per request; REST
//! request parameters (`integration.request.*`) and HTTP API parameter mapping
//! (`append|overwrite|remove:…`, response parameters per status) are applied; hop-by-hop
//! headers are dropped, `Host` names the backend and the forwarding headers are added.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use lambdagate_model::{
    ApiKind, ConnectionType, Integration as ModelIntegration, IntegrationTarget,
};

use super::http_client::{self, PrivateTargets, SendError};
use super::http_params::{self, Action, Location, Mapping};
use super::mapping::{MappedParameters, RawAnswer, RequestMapping, ResponseMapping, Selector};
use super::template::Overrides;
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// The largest backend answer passed on (API Gateway's 10 MB payload limit).
pub const RESPONSE_LIMIT: usize = 10 * 1024 * 1024;

/// Request headers never passed to a backend: hop-by-hop ones, and those the client's
/// connection owns (the backend gets its own `Host` and `Content-Length`).
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Where a compiled integration sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    /// A URL template (`http://host/items/{id}?x=${stageVariables.y}`).
    Url(String),
    /// A private target's base URL: the request path is forwarded (HTTP API load balancer and
    /// Cloud Map targets, named by ARN).
    Forward(String),
    /// A private target nothing maps: answered with 500.
    Unmapped(String),
}

/// An `HTTP_PROXY` integration, or a REST `HTTP` (non-proxy) one, compiled.
#[derive(Debug, Clone)]
pub struct HttpIntegration {
    /// The integration responses of a non-proxy (`HTTP`) integration; `None` for a proxy.
    custom: Option<ResponseMapping>,
    endpoint: Endpoint,
    /// The backend method; `None` passes the client's (`ANY`).
    method: Option<String>,
    timeout: Duration,
    kind: ApiKind,
    /// REST `integration.request.*` parameters.
    rest: RequestMapping,
    /// HTTP API request mappings.
    request: Vec<Mapping>,
    /// HTTP API response mappings per status code.
    response: Vec<(u16, Vec<Mapping>)>,
}

/// `scheme://authority` and the rest (path and query) of an http(s) URL, without parsing the
/// placeholders a template may hold.
fn split_origin(url: &str) -> Option<(&str, &str)> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_end = if lower.starts_with("http://") {
        7
    } else if lower.starts_with("https://") {
        8
    } else {
        return None;
    };
    let end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| i + scheme_end);
    (end > scheme_end).then(|| (&url[..end], &url[end..]))
}

impl HttpIntegration {
    /// Compiles an `HTTP_PROXY` integration, or (`integration.kind` `HTTP`) a REST non-proxy
    /// one, of an API of `kind`. Warnings (refused parameter
    /// mappings, unmapped private targets) are pushed to `warnings`; `Err` says why it cannot
    /// be served at all. `method_statuses` are the method's declared response statuses (see
    /// [`ResponseMapping::compile`]).
    pub fn compile(
        kind: ApiKind,
        integration: &ModelIntegration,
        method_statuses: &[u16],
        route_path: &str,
        timeout: Duration,
        targets: &PrivateTargets,
        warnings: &mut Vec<String>,
    ) -> Result<HttpIntegration, String> {
        let IntegrationTarget::Uri(uri) = &integration.target else {
            return Err(format!("the {} integration has no uri", integration.kind));
        };
        let endpoint = match &integration.connection {
            ConnectionType::Internet if split_origin(uri).is_some() => Endpoint::Url(uri.clone()),
            ConnectionType::Internet => {
                return Err(format!("the integration uri `{uri}` is not an http(s) URL"));
            }
            ConnectionType::VpcLink(id) => {
                match (
                    targets.get(uri).or_else(|| targets.get(id)),
                    split_origin(uri),
                ) {
                    (Some(base), Some((_, rest))) => Endpoint::Url(format!("{base}{rest}")),
                    (Some(base), None) => Endpoint::Forward(base.to_string()),
                    (None, Some(_)) => Endpoint::Url(uri.clone()),
                    (None, None) => {
                        let why = format!(
                            "the private integration target {uri} (VPC link {id}) is not mapped \
                             to a local URL; map it with --vpc-link {id}=http://127.0.0.1:PORT"
                        );
                        warnings.push(format!("{why}; the route answers 500"));
                        Endpoint::Unmapped(why)
                    }
                }
            }
        };
        let (request, response) = match kind {
            ApiKind::Rest => (Vec::new(), Vec::new()),
            ApiKind::Http => {
                let (request, mut refused) =
                    http_params::compile_request(&integration.request_parameters);
                let (response, more) =
                    http_params::compile_response(&integration.response_parameters);
                refused.extend(more);
                warnings.extend(
                    refused
                        .into_iter()
                        .map(|why| format!("{why}; the mapping is ignored")),
                );
                (request, response)
            }
        };
        // A placeholder neither a mapping nor the route's path fills answers 500 on every call.
        let mapped: Vec<&str> = integration
            .request_parameters
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("integration.request.path."))
            .collect();
        let unfilled = fill_uri(uri, &|_| Some(String::new()), &|name| {
            let in_route = route_path.contains(&format!("{{{name}}}"))
                || route_path.contains(&format!("{{{name}+}}"));
            (in_route || mapped.contains(&name)).then(String::new)
        });
        if let Err(why) = unfilled {
            warnings.push(format!("{why}; the route answers 500"));
        }
        let custom = integration.kind == lambdagate_model::IntegrationType::Http;
        let mut rest_parameters = integration.clone();
        if !custom {
            // Proxy integrations pass the body as it is: templates do not apply.
            rest_parameters.request_templates.clear();
        }
        if kind == ApiKind::Http {
            rest_parameters.request_parameters.clear();
        }
        Ok(HttpIntegration {
            custom: if custom {
                Some(ResponseMapping::compile(
                    &integration.integration_responses,
                    method_statuses,
                )?)
            } else {
                None
            },
            endpoint,
            method: integration
                .http_method
                .clone()
                .filter(|m| !m.eq_ignore_ascii_case("ANY")),
            timeout,
            kind,
            rest: RequestMapping::compile(&rest_parameters)?,
            request,
            response,
        })
    }
}

impl HttpIntegration {
    /// What the route table shows for it (`GET http://host/path`, the private target, …).
    pub fn describe(&self) -> String {
        let method = self.method.as_deref().unwrap_or("ANY");
        let kind = if self.custom.is_some() {
            "HTTP"
        } else {
            "HTTP_PROXY"
        };
        match &self.endpoint {
            Endpoint::Url(u) => format!("{kind} {method} {u}"),
            Endpoint::Forward(u) => format!("{kind} {method} {u} (private)"),
            Endpoint::Unmapped(_) => "(unmapped VPC link, answers 500)".into(),
        }
    }
}

/// Percent-encodes a path variable's value for a URL path (`/` kept for greedy ones).
fn encode_path(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@".contains(&b)
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query-string key or value.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fills `${stageVariables.x}` (missing ones as empty text, as AWS substitutes them) and
/// `{param}` / `{param+}` placeholders; `Err` names a placeholder nothing fills.
pub fn fill_uri(
    template: &str,
    stage_variable: &dyn Fn(&str) -> Option<String>,
    path_value: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['$', '{']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(inner) = tail.strip_prefix("${stageVariables.") {
            let end = inner
                .find('}')
                .ok_or_else(|| format!("unterminated ${{stageVariables.}} in {template}"))?;
            out.push_str(&stage_variable(&inner[..end]).unwrap_or_default());
            rest = &inner[end + 1..];
        } else if let Some(inner) = tail.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| format!("unterminated {{ in {template}"))?;
            let name = &inner[..end];
            let value = path_value(name.trim_end_matches('+')).ok_or_else(|| {
                format!("nothing maps the path parameter {{{name}}} of {template}")
            })?;
            out.push_str(&value);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A query string as raw (still encoded) pairs.
fn raw_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn decoded_key_is(raw: &str, name: &str) -> bool {
    raw == name || crate::request::form_decode(raw) == name
}

fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

impl HttpIntegration {
    /// Builds the backend request: URL, method and headers.
    fn build(
        &self,
        cx: &RequestContext<'_>,
        rest_mapped: &MappedParameters,
        overrides: &Overrides,
        body: Bytes,
    ) -> Result<http::Request<Full<Bytes>>, GatewayError> {
        let (url, forward) = match &self.endpoint {
            Endpoint::Url(u) => (u.as_str(), false),
            Endpoint::Forward(u) => (u.as_str(), true),
            Endpoint::Unmapped(why) => return Err(GatewayError::api_configuration(why.clone())),
        };
        let kind = self.kind;
        let path_value = |name: &str| -> Option<String> {
            if let Some((_, v)) = overrides
                .request_path
                .iter()
                .chain(rest_mapped.path.iter())
                .find(|(n, _)| n == name)
            {
                return Some(v.clone());
            }
            let greedy = cx
                .route
                .is_some_and(|(_, r)| r.path.contains(&format!("{{{name}+}}")));
            let value = cx.path_parameter(name)?;
            Some(match kind {
                // REST path variables are passed as sent (still encoded).
                ApiKind::Rest => value,
                ApiKind::Http => encode_path(&value, greedy),
            })
        };
        let filled = fill_uri(
            url,
            &|name| cx.stage_variable(name).map(str::to_string),
            &path_value,
        )
        .map_err(GatewayError::api_configuration)?;
        let Some((origin, rest)) = split_origin(&filled) else {
            return Err(GatewayError::api_configuration(format!(
                "the integration uri `{filled}` is not an http(s) URL"
            )));
        };
        let (mut path, uri_query) = match rest.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q)),
            None => (rest.to_string(), None),
        };
        if forward {
            path = format!("{}{}", path.trim_end_matches('/'), cx.api_path());
        }
        let mut query = uri_query.map(raw_pairs).unwrap_or_default();
        // A non-proxy integration sends only the query parameters mapped to it.
        if self.custom.is_none() {
            query.extend(
                cx.request
                    .raw_query
                    .as_deref()
                    .map(raw_pairs)
                    .unwrap_or_default(),
            );
        }
        for (name, value) in rest_mapped.query.iter().chain(&overrides.request_query) {
            query.retain(|(k, _)| !decoded_key_is(k, name));
            query.push((encode_query(name), encode_query(value)));
        }
        let mut headers = match self.custom {
            None => self.forwarded_headers(cx),
            Some(_) => self.custom_headers(cx),
        };
        for (name, value) in rest_mapped.headers.iter().chain(&overrides.request_headers) {
            set_header(&mut headers, name, value.clone());
        }
        for m in &self.request {
            let value = m.value.eval(&|r| http_params::request_value(cx, r));
            match (&m.location, m.action, value) {
                (Location::Header(name), Action::Remove, _) => {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                }
                (Location::Header(name), Action::Overwrite, Some(v)) => {
                    set_header(&mut headers, name, v);
                }
                (Location::Header(name), Action::Append, Some(v)) => {
                    headers.push((name.clone(), v));
                }
                (Location::Query(name), Action::Remove, _) => {
                    query.retain(|(k, _)| !decoded_key_is(k, name));
                }
                (Location::Query(name), Action::Overwrite, Some(v)) => {
                    query.retain(|(k, _)| !decoded_key_is(k, name));
                    query.push((encode_query(name), encode_query(&v)));
                }
                (Location::Query(name), Action::Append, Some(v)) => {
                    query.push((encode_query(name), encode_query(&v)));
                }
                (Location::Path, _, Some(v)) => {
                    path = if v.starts_with('/') {
                        v
                    } else {
                        format!("/{v}")
                    };
                    // Already-encoded escapes in the value stay as they are.
                    path = encode_path(&path, true).replace("%25", "%");
                }
                _ => {}
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        let mut target = format!("{origin}{path}");
        if !query.is_empty() {
            target.push('?');
            let joined: Vec<String> = query
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.clone()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            target.push_str(&joined.join("&"));
        }
        let uri: http::Uri = target.parse().map_err(|e| {
            GatewayError::api_configuration(format!("the backend URL `{target}` is invalid: {e}"))
        })?;
        let method = self.method.as_deref().unwrap_or(cx.request.method.as_str());
        let method = http::Method::from_bytes(method.as_bytes()).map_err(|_| {
            GatewayError::api_configuration(format!("`{method}` is not an HTTP method"))
        })?;
        let mut builder = http::Request::builder().method(method);
        if let Some(authority) = uri.authority() {
            builder = builder.header(http::header::HOST, authority.as_str());
        }
        builder = builder.uri(uri);
        for (name, value) in &headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                GatewayError::api_configuration(format!("`{name}` is not a header name"))
            })?;
            let value = http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                GatewayError::api_configuration(format!("the {name} header's value is invalid"))
            })?;
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(body))
            .map_err(|e| GatewayError::api_configuration(e.to_string()))
    }

    /// The client's headers as the backend gets them: hop-by-hop ones dropped, the forwarding
    /// headers added.
    fn forwarded_headers(&self, cx: &RequestContext<'_>) -> Vec<(String, String)> {
        let req = &cx.request;
        // Headers the client's `Connection` names are hop-by-hop too.
        let named: Vec<String> = req
            .header("connection")
            .map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let ip = req.source_ip_string();
        let mut headers: Vec<(String, String)> = Vec::with_capacity(req.headers.len() + 6);
        let keep = |name: &str| {
            let lower = name.to_ascii_lowercase();
            !NOT_FORWARDED.contains(&lower.as_str()) && !named.contains(&lower)
        };
        match self.kind {
            ApiKind::Rest => {
                headers.extend(
                    req.headers
                        .iter()
                        .filter(|(n, _)| keep(n) && !n.eq_ignore_ascii_case("x-amzn-trace-id"))
                        .cloned(),
                );
                let forwarded_for = match req.header("x-forwarded-for") {
                    Some(prior) => format!("{prior}, {ip}"),
                    None => ip,
                };
                set_header(&mut headers, "X-Forwarded-For", forwarded_for);
                set_header(&mut headers, "X-Forwarded-Port", req.local_port.to_string());
                set_header(&mut headers, "X-Forwarded-Proto", req.scheme().into());
                set_header(&mut headers, "X-Amzn-Trace-Id", cx.ids.trace.clone());
                if let Some(api) = cx.api {
                    set_header(&mut headers, "x-amzn-apigateway-api-id", api.api_id.clone());
                }
            }
            ApiKind::Http => {
                // HTTP APIs fold the client's X-Forwarded-* into a standard Forwarded header.
                let mut forwarded: Vec<String> = req
                    .header("forwarded")
                    .map(|f| vec![f.to_string()])
                    .unwrap_or_default();
                if let Some(prior) = req.header("x-forwarded-for") {
                    forwarded.extend(prior.split(',').map(|p| format!("for={}", p.trim())));
                }
                let host = req.header("host").unwrap_or("");
                forwarded.push(format!("for={ip};host={host};proto=http"));
                headers.extend(
                    req.headers
                        .iter()
                        .filter(|(n, _)| {
                            let lower = n.to_ascii_lowercase();
                            keep(n)
                                && !lower.starts_with("x-forwarded-")
                                && lower != "forwarded"
                                && lower != "x-amzn-trace-id"
                        })
                        .cloned(),
                );
                headers.push(("forwarded".into(), forwarded.join(", ")));
                headers.push(("x-amzn-trace-id".into(), cx.ids.trace.clone()));
            }
        }
        headers
    }

    /// The headers a non-proxy integration sends besides the mapped ones: API Gateway's own
    /// `User-Agent`, a default `Accept`, the body's type and the forwarding headers.
    fn custom_headers(&self, cx: &RequestContext<'_>) -> Vec<(String, String)> {
        let req = &cx.request;
        let api_id = cx.api.map_or("", |a| a.api_id.as_str());
        let ip = req.source_ip_string();
        vec![
            ("Accept".to_string(), "application/json".to_string()),
            (
                "User-Agent".to_string(),
                format!("AmazonAPIGateway_{api_id}"),
            ),
            (
                "Content-Type".to_string(),
                req.header("content-type")
                    .unwrap_or("application/json")
                    .to_string(),
            ),
            ("X-Amzn-Trace-Id".to_string(), cx.ids.trace.clone()),
            ("x-amzn-apigateway-api-id".to_string(), api_id.to_string()),
            (
                "X-Forwarded-For".to_string(),
                match req.header("x-forwarded-for") {
                    Some(prior) => format!("{prior}, {ip}"),
                    None => ip,
                },
            ),
            ("X-Forwarded-Port".into(), req.local_port.to_string()),
            ("X-Forwarded-Proto".into(), req.scheme().into()),
        ]
    }

    /// The backend's answer as the client gets it.
    fn answer(
        &self,
        cx: &RequestContext<'_>,
        response: http_client::BackendResponse,
    ) -> IntegrationOutput {
        let mut status = response.status;
        let mut headers: Vec<(String, String)> = Vec::with_capacity(response.headers.len());
        for (name, value) in &response.headers {
            match (self.kind, name.as_str()) {
                (ApiKind::Rest, "via") => {}
                // The gateway's own request id wins; the backend's is kept under another name.
                (ApiKind::Rest, "x-amzn-requestid") => {
                    headers.push(("x-amzn-Remapped-x-amzn-RequestId".into(), value.clone()));
                }
                _ => headers.push((name.clone(), value.clone())),
            }
        }
        if let Some((_, mappings)) = self.response.iter().find(|(s, _)| *s == response.status) {
            for m in mappings {
                let value = m.value.eval(&|r| {
                    http_params::response_value(cx, &response.headers, &response.body, r)
                });
                match (&m.location, m.action, value) {
                    (Location::Header(name), Action::Remove, _) => {
                        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                    }
                    (Location::Header(name), Action::Overwrite, Some(v)) => {
                        set_header(&mut headers, name, v);
                    }
                    (Location::Header(name), Action::Append, Some(v)) => {
                        headers.push((name.clone(), v));
                    }
                    (Location::StatusCode, _, Some(v)) => {
                        if let Some(code) = v
                            .trim()
                            .parse::<u16>()
                            .ok()
                            .filter(|c| (100..=599).contains(c))
                        {
                            status = code;
                        }
                    }
                    _ => {}
                }
            }
        }
        // A header value a mapping made invalid is not sent (the server would refuse it).
        headers.retain(|(n, v)| {
            http::HeaderName::from_bytes(n.as_bytes()).is_ok()
                && http::HeaderValue::from_bytes(v.as_bytes()).is_ok()
        });
        IntegrationOutput {
            status,
            headers,
            body: response.body,
            traced: self.kind == ApiKind::Rest,
        }
    }
}

impl Integration for HttpIntegration {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        // A non-proxy (`HTTP`) integration maps its request as every REST non-proxy
        // integration does (parameters, `contentHandling`, template); a proxy passes the body
        // through.
        let (mapped, body, overrides) = match (&self.custom, self.kind) {
            (Some(_), _) => self.rest.transform(cx, r.binary_media_types, false)?,
            (None, ApiKind::Rest) => (
                self.rest.parameters(cx, false)?,
                cx.request.body.clone(),
                Overrides::default(),
            ),
            (None, ApiKind::Http) => (
                MappedParameters::default(),
                cx.request.body.clone(),
                Overrides::default(),
            ),
        };
        let request = self.build(cx, &mapped, &overrides, body)?;
        let client = http_client::shared().map_err(GatewayError::api_configuration)?;
        let target = request.uri().to_string();
        let response = match client.send(request, self.timeout, RESPONSE_LIMIT).await {
            Ok(response) => response,
            Err(e @ SendError::Timeout(_)) => {
                return Err(GatewayError::integration_timeout(format!("{target}: {e}")));
            }
            Err(e) => return Err(GatewayError::function_error(format!("{target}: {e}"))),
        };
        match &self.custom {
            None => Ok(self.answer(cx, response)),
            // The backend's status selects the integration response (its selection pattern
            // matched against the status code).
            Some(responses) => {
                let mut output = responses.respond(
                    cx,
                    Selector::Status(&response.status.to_string()),
                    RawAnswer {
                        body: &response.body,
                        headers: &response.headers,
                    },
                    &overrides,
                    true,
                )?;
                for (name, _) in &mut output.headers {
                    if let Some(renamed) = remapped_for_non_proxy(name) {
                        *name = renamed;
                    }
                }
                Ok(output)
            }
        }
    }
}

/// Headers a non-proxy `HTTP` integration's response may not set as they are: API Gateway
/// renames them `x-amzn-Remapped-…` (spec §10.6; `Connection`, `Content-Length`, `Date` and
/// `Server` are renamed for every integration by the respond stage).
fn remapped_for_non_proxy(name: &str) -> Option<String> {
    const REMAPPED: &[&str] = &[
        "Authorization",
        "Content-MD5",
        "Expect",
        "Host",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Trailer",
        "Upgrade",
        "User-Agent",
        "WWW-Authenticate",
    ];
    REMAPPED
        .iter()
        .find(|r| r.eq_ignore_ascii_case(name))
        .map(|r| format!("x-amzn-Remapped-{r}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(template: &str) -> Result<String, String> {
        fill_uri(
            template,
            &|name| (name == "host").then(|| "127.0.0.1:9000".to_string()),
            &|name| match name {
                "proxy" => Some("a/b%20c".to_string()),
                "id" => Some("42".to_string()),
                _ => None,
            },
        )
    }

    #[test]
    fn uri_substitution() {
        assert_eq!(
            fill("http://${stageVariables.host}/items/{id}").unwrap(),
            "http://127.0.0.1:9000/items/42"
        );
        assert_eq!(
            fill("https://example.com/{proxy}?x=1").unwrap(),
            "https://example.com/a/b%20c?x=1"
        );
        assert_eq!(fill("http://h/{proxy+}").unwrap(), "http://h/a/b%20c");
        assert_eq!(
            fill("http://h${stageVariables.missing}/x").unwrap(),
            "http://h/x"
        );
        assert_eq!(fill("http://h/$x").unwrap(), "http://h/$x");
        assert!(fill("http://h/{nope}").unwrap_err().contains("{nope}"));
        assert!(fill("http://h/{id").is_err());
    }

    #[test]
    fn origins() {
        assert_eq!(split_origin("http://h:1/a?b"), Some(("http://h:1", "/a?b")));
        assert_eq!(split_origin("HTTPS://h"), Some(("HTTPS://h", "")));
        assert_eq!(split_origin("http://h?q"), Some(("http://h", "?q")));
        assert_eq!(split_origin("arn:aws:elasticloadbalancing:x"), None);
        assert_eq!(split_origin("http:///x"), None);
    }

    fn integration(uri: &str, link: Option<&str>) -> ModelIntegration {
        let mut i = ModelIntegration::mock();
        i.kind = lambdagate_model::IntegrationType::HttpProxy;
        i.target = IntegrationTarget::Uri(uri.to_string());
        if let Some(id) = link {
            i.connection = ConnectionType::VpcLink(id.to_string());
        }
        i
    }

    fn endpoint(kind: ApiKind, uri: &str, link: Option<&str>) -> (Endpoint, Vec<String>) {
        let targets = PrivateTargets::parse([
            "link1=http://127.0.0.1:8001",
            "arn:aws:servicediscovery:us-east-1:1:service/srv-a=http://127.0.0.1:8002",
        ])
        .unwrap();
        let mut warnings = Vec::new();
        let compiled = HttpIntegration::compile(
            kind,
            &integration(uri, link),
            &[],
            "/{proxy+}",
            Duration::from_secs(1),
            &targets,
            &mut warnings,
        )
        .unwrap();
        (compiled.endpoint, warnings)
    }

    #[test]
    fn private_targets() {
        // A URL behind a mapped link keeps its path; the link's URL replaces the origin.
        let (e, w) = endpoint(
            ApiKind::Rest,
            "http://nlb.internal/a/{proxy}",
            Some("link1"),
        );
        assert_eq!(e, Endpoint::Url("http://127.0.0.1:8001/a/{proxy}".into()));
        assert!(w.is_empty());
        // A placeholder nothing fills is said at startup.
        let (_, w) = endpoint(ApiKind::Rest, "http://h/{other}", None);
        assert!(w[0].contains("{other}"), "{w:?}");
        // An ARN is looked up by itself before the link id; the request path is forwarded.
        let arn = "arn:aws:servicediscovery:us-east-1:1:service/srv-a";
        let (e, _) = endpoint(ApiKind::Http, arn, Some("other"));
        assert_eq!(e, Endpoint::Forward("http://127.0.0.1:8002".into()));
        let (e, _) = endpoint(
            ApiKind::Http,
            "arn:aws:elasticloadbalancing:x",
            Some("link1"),
        );
        assert_eq!(e, Endpoint::Forward("http://127.0.0.1:8001".into()));
        // Unmapped: a URL is called as written; an ARN is a warning and a 500.
        let (e, w) = endpoint(ApiKind::Rest, "https://nlb.internal/x", Some("nope"));
        assert_eq!(e, Endpoint::Url("https://nlb.internal/x".into()));
        assert!(w.is_empty());
        let (e, w) = endpoint(
            ApiKind::Http,
            "arn:aws:elasticloadbalancing:y",
            Some("nope"),
        );
        assert!(matches!(e, Endpoint::Unmapped(_)));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("--vpc-link nope="), "{}", w[0]);
        // A public integration needs an http(s) URL.
        let mut warnings = Vec::new();
        assert!(
            HttpIntegration::compile(
                ApiKind::Rest,
                &integration("ftp://x", None),
                &[],
                "/",
                Duration::from_secs(1),
                &PrivateTargets::default(),
                &mut warnings,
            )
            .is_err()
        );
    }

    #[test]
    fn non_proxy_remapping() {
        assert_eq!(
            remapped_for_non_proxy("www-authenticate").as_deref(),
            Some("x-amzn-Remapped-WWW-Authenticate")
        );
        assert_eq!(remapped_for_non_proxy("X-Custom"), None);
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_path("a b/c", true), "a%20b/c");
        assert_eq!(encode_path("a b/c", false), "a%20b%2Fc");
        assert_eq!(encode_query("a b&c=d"), "a%20b%26c%3Dd");
    }
}
