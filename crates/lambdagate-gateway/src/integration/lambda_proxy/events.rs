//! Lambda proxy events: REST payload 1.0, HTTP API payload 1.0 and 2.0 (spec §1).
//!
//! Events are serialized straight to bytes from borrowed structs; nothing is parsed or looked up
//! per request beyond the request itself.

use std::borrow::Cow;

use base64::Engine;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use serde_json::{Map, Value};

use crate::authorization::Authorization;
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
    /// The method's `OperationName` or `operationId`: `operationName` in REST events.
    pub operation_name: Option<&'a str>,
    /// Whether the body is passed base64-encoded.
    pub base64_body: bool,
    /// What the route's authorizer established (`requestContext.authorizer`, `identity`).
    pub authorizer: Option<&'a Authorization>,
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
        ("X-Forwarded-Proto", Cow::Borrowed(req.scheme())),
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
    access_key: Option<&'a str>,
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<&'a str>,
    caller: Option<&'a str>,
    cognito_authentication_provider: (),
    cognito_authentication_type: (),
    cognito_identity_id: (),
    cognito_identity_pool_id: (),
    principal_org_id: (),
    source_ip: &'a str,
    user: Option<&'a str>,
    user_agent: &'a str,
    user_arn: Option<&'a str>,
}

impl<'a> Identity<'a> {
    /// The caller's identity: every key present, all `null` except the source IP and user
    /// agent, and for a SigV4-signed request (`AWS_IAM`) the signer's fields, as AWS sends it.
    fn of(
        source_ip: &'a str,
        user_agent: &'a str,
        authorizer: Option<&'a Authorization>,
    ) -> Identity<'a> {
        let mut identity = Identity {
            source_ip,
            user_agent,
            ..Default::default()
        };
        if let Some(Authorization::Iam(iam)) = authorizer {
            identity.access_key = Some(&iam.access_key);
            identity.account_id = Some(&iam.account_id);
            identity.caller = Some(&iam.caller);
            identity.user = Some(&iam.user);
            identity.user_arn = Some(&iam.user_arn);
        }
        identity
    }
}

/// A value of a Lambda authorizer's `context` as REST passes it on: strings as they are,
/// numbers and booleans as text, `null` kept.
fn stringified(value: &Value) -> Value {
    match value {
        Value::String(_) | Value::Null => value.clone(),
        other => Value::String(other.to_string()),
    }
}

/// Java's `Date.toString()` in UTC (`Fri Jul 29 18:52:53 UTC 2016`): how REST Cognito
/// authorizers pass the `exp` and `iat` claims.
fn java_date(epoch_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch_secs.div_euclid(86_400);
    let secs = epoch_secs.rem_euclid(86_400);
    let (year, month, day) = lambdagate_model::aws::civil_from_days(days);
    format!(
        "{} {} {day:02} {:02}:{:02}:{:02} UTC {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// A token's claims as API Gateway passes them on: every value a string. REST (Cognito) writes
/// `exp` / `iat` as dates and lists comma-separated; HTTP APIs write lists as `[a b]`.
pub fn claims_as_strings(claims: &Map<String, Value>, rest: bool) -> Map<String, Value> {
    claims
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) if rest && (name == "exp" || name == "iat") => match n.as_i64() {
                    Some(secs) => java_date(secs),
                    None => n.to_string(),
                },
                Value::Array(items) => {
                    let parts: Vec<String> = items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                    if rest {
                        parts.join(",")
                    } else {
                        format!("[{}]", parts.join(" "))
                    }
                }
                other => other.to_string(),
            };
            (name.clone(), Value::String(text))
        })
        .collect()
}

/// `requestContext.authorizer` of a payload 1.0 event (REST, or HTTP APIs with `http_api`).
fn v1_authorizer(authorizer: Option<&Authorization>, http_api: bool) -> Option<Value> {
    let null_claims = || serde_json::json!({"claims": null, "scopes": null});
    match authorizer {
        Some(Authorization::Lambda {
            principal_id,
            context,
            latency_ms,
            ..
        }) => {
            let mut out = Map::new();
            if let Some(p) = principal_id {
                out.insert("principalId".into(), Value::String(p.clone()));
            }
            out.insert("integrationLatency".into(), Value::from(*latency_ms));
            for (k, v) in context {
                out.insert(k.clone(), stringified(v));
            }
            Some(Value::Object(out))
        }
        Some(Authorization::Cognito { claims, scopes }) => {
            let mut out = Map::new();
            out.insert(
                "claims".into(),
                Value::Object(claims_as_strings(claims, true)),
            );
            if let Some(scopes) = scopes {
                out.insert("scopes".into(), Value::from(scopes.clone()));
            }
            Some(Value::Object(out))
        }
        Some(Authorization::Jwt { claims, scopes }) => Some(serde_json::json!({
            "claims": claims_as_strings(claims, false),
            "scopes": scopes,
        })),
        // REST passes an IAM caller in `identity` only.
        Some(Authorization::Iam(_)) | None => http_api.then(null_claims),
    }
}

/// `requestContext.authorizer` of a payload 2.0 event.
fn v2_authorizer(authorizer: Option<&Authorization>) -> Option<Value> {
    match authorizer? {
        Authorization::Lambda { context, .. } => Some(serde_json::json!({
            "lambda": if context.is_empty() { Value::Null } else { Value::Object(context.clone()) },
        })),
        Authorization::Jwt { claims, scopes } | Authorization::Cognito { claims, scopes } => {
            Some(serde_json::json!({"jwt": {
                "claims": claims_as_strings(claims, false),
                "scopes": scopes,
            }}))
        }
        Authorization::Iam(iam) => Some(serde_json::json!({"iam": {
            "accessKey": iam.access_key,
            "accountId": iam.account_id,
            "callerId": iam.caller,
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": iam.user_arn,
            "userId": iam.user,
        }})),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Context<'a> {
    account_id: &'a str,
    api_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment_id: Option<&'a str>,
    domain_name: &'a str,
    domain_prefix: &'a str,
    extended_request_id: &'a str,
    http_method: &'a str,
    identity: Identity<'a>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'a str>,
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
            authorizer: v1_authorizer(input.authorizer, http_api),
            deployment_id: (!http_api).then_some(input.deployment_id),
            domain_name: input.domain_name(),
            domain_prefix: input.domain_prefix(),
            extended_request_id: input.extended_request_id,
            http_method: &req.method,
            identity: Identity {
                api_key: input.api_key.map(|(value, _)| value),
                api_key_id: input.api_key.map(|(_, id)| id),
                ..Identity::of(&source_ip, req.user_agent(), input.authorizer)
            },
            path: input.context_path,
            // REST only: HTTP API events have no operation name, whatever the route names.
            operation_name: input.operation_name.filter(|_| !http_api),
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
    to_json(&event, 2048 + req.body.len() * 4 / 3)
}

/// `event` as JSON, in a buffer of `capacity` bytes to start with: `serde_json::to_vec` starts
/// at 128 and grows four or five times on the way to an event's usual 0.7-1.5 KB.
fn to_json(event: &impl Serialize, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    // Serializing strings and numbers into a Vec cannot fail.
    match serde_json::to_writer(&mut out, event) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<Value>,
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
            authorizer: v2_authorizer(input.authorizer),
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
    to_json(&event, 1024 + req.body.len() * 4 / 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_cognito_claims_as_aws_writes_them() {
        // A REST Cognito authorizer's claims as captured from AWS (amazon-cognito-identity-js#92).
        let claims = json!({
            "sub": "cdad23f0", "email_verified": true, "auth_time": 1469814773,
            "exp": 1469818373, "iat": 1469814773, "cognito:groups": ["admin", "users"]
        });
        let out = claims_as_strings(claims.as_object().unwrap(), true);
        assert_eq!(out["email_verified"], "true");
        assert_eq!(out["auth_time"], "1469814773");
        assert_eq!(out["exp"], "Fri Jul 29 18:52:53 UTC 2016");
        assert_eq!(out["iat"], "Fri Jul 29 17:52:53 UTC 2016");
        assert_eq!(out["cognito:groups"], "admin,users");
        // HTTP APIs: numbers as text, lists in brackets.
        let out = claims_as_strings(claims.as_object().unwrap(), false);
        assert_eq!(out["exp"], "1469818373");
        assert_eq!(out["cognito:groups"], "[admin users]");
    }

    fn event_with(authorizer: Option<&Authorization>, kind: &str) -> Value {
        let request = IncomingRequest {
            secure: false,
            method: "GET".into(),
            raw_path: "/me".into(),
            raw_query: None,
            headers: vec![("Host".into(), "api.test".into())],
            body: bytes::Bytes::new(),
            source_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            local_port: 3000,
        };
        let time = RequestTime::at(1_700_000_000_000);
        let input = EventInput {
            api_key: None,
            request: &request,
            resource: "/me",
            route_key: "GET /me",
            path: "/me",
            context_path: "/me",
            path_parameters: &[],
            stage: "Prod",
            stage_variables: &[],
            request_id: "id",
            extended_request_id: "ext",
            time: &time,
            trace_id: "Root=1",
            account_id: "123456789012",
            api_id: "api",
            deployment_id: "dep",
            resource_id: "res",
            operation_name: Some("GetMe"),
            base64_body: false,
            authorizer,
        };
        let bytes = match kind {
            "rest" => v1_event(&input, false),
            "http1" => v1_event(&input, true),
            _ => v2_event(&input),
        };
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn rest_events_name_their_operation_and_http_api_events_do_not() {
        // As in the recorded REST event aws-lambda-go apigw-restapi-openapi-request.
        assert_eq!(
            event_with(None, "rest")["requestContext"]["operationName"],
            "GetMe"
        );
        for kind in ["http1", "http2"] {
            assert!(
                event_with(None, kind)["requestContext"]
                    .get("operationName")
                    .is_none(),
                "{kind}"
            );
        }
    }

    #[test]
    fn authorizer_shapes_in_proxy_events() {
        let claims = json!({"sub": "u1", "exp": 1469818373, "scope": "read write"})
            .as_object()
            .unwrap()
            .clone();
        let jwt = Authorization::Jwt {
            claims: claims.clone(),
            scopes: Some(vec!["read".into(), "write".into()]),
        };
        // HTTP 2.0 JWT: as in the recorded events (aws-lambda-go apigw-v2-request-jwt-authorizer).
        assert_eq!(
            event_with(Some(&jwt), "http2")["requestContext"]["authorizer"],
            json!({"jwt": {"claims": {"sub": "u1", "exp": "1469818373", "scope": "read write"},
                           "scopes": ["read", "write"]}})
        );
        let no_scopes = Authorization::Jwt {
            claims: claims.clone(),
            scopes: None,
        };
        assert_eq!(
            event_with(Some(&no_scopes), "http2")["requestContext"]["authorizer"]["jwt"]["scopes"],
            Value::Null
        );
        // HTTP 1.0 JWT: flat claims and scopes.
        assert_eq!(
            event_with(Some(&jwt), "http1")["requestContext"]["authorizer"]["claims"]["exp"],
            "1469818373"
        );
        // REST Cognito.
        let cognito = Authorization::Cognito {
            claims,
            scopes: None,
        };
        assert_eq!(
            event_with(Some(&cognito), "rest")["requestContext"]["authorizer"],
            json!({"claims": {"sub": "u1", "exp": "Fri Jul 29 18:52:53 UTC 2016", "scope": "read write"}})
        );
        // IAM: REST fills `identity` and has no authorizer; HTTP 2.0 has `authorizer.iam`.
        let iam = Authorization::Iam(lambdagate_auth::sigv4::IamIdentity {
            access_key: "AKIDEXAMPLE".into(),
            account_id: "123456789012".into(),
            caller: "AIDAEXAMPLE".into(),
            user: "AIDAEXAMPLE".into(),
            user_arn: "arn:aws:iam::123456789012:user/dev".into(),
        });
        let rest = event_with(Some(&iam), "rest");
        assert!(rest["requestContext"].get("authorizer").is_none());
        let identity = &rest["requestContext"]["identity"];
        assert_eq!(identity["accessKey"], "AKIDEXAMPLE");
        assert_eq!(identity["accountId"], "123456789012");
        assert_eq!(identity["caller"], "AIDAEXAMPLE");
        assert_eq!(identity["user"], "AIDAEXAMPLE");
        assert_eq!(identity["userArn"], "arn:aws:iam::123456789012:user/dev");
        assert_eq!(identity["cognitoIdentityId"], Value::Null);
        let iam2 = &event_with(Some(&iam), "http2")["requestContext"]["authorizer"]["iam"];
        let keys: Vec<&str> = iam2
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // The recorded event's keys (aws-lambda-go apigw-v2-request-iam), in its order.
        assert_eq!(
            keys,
            [
                "accessKey",
                "accountId",
                "callerId",
                "cognitoIdentity",
                "principalOrgId",
                "userArn",
                "userId"
            ]
        );
        // No authorizer: REST and HTTP 2.0 leave the key out, HTTP 1.0 has null claims.
        assert!(
            event_with(None, "rest")["requestContext"]
                .get("authorizer")
                .is_none()
        );
        assert!(
            event_with(None, "http2")["requestContext"]
                .get("authorizer")
                .is_none()
        );
        assert_eq!(
            event_with(None, "http1")["requestContext"]["authorizer"],
            json!({"claims": null, "scopes": null})
        );
        // A Lambda authorizer on REST: principal, latency, context stringified.
        let lambda = Authorization::Lambda {
            principal_id: Some("p".into()),
            context: json!({"n": 1, "b": false}).as_object().unwrap().clone(),
            usage_identifier_key: None,
            latency_ms: 7,
        };
        assert_eq!(
            event_with(Some(&lambda), "rest")["requestContext"]["authorizer"],
            json!({"principalId": "p", "integrationLatency": 7, "n": "1", "b": "false"})
        );
        assert_eq!(
            event_with(Some(&lambda), "http2")["requestContext"]["authorizer"],
            json!({"lambda": {"n": 1, "b": false}})
        );
    }

    #[test]
    fn lambda_context_is_stringified_for_rest() {
        assert_eq!(stringified(&json!(1)), json!("1"));
        assert_eq!(stringified(&json!(true)), json!("true"));
        assert_eq!(stringified(&json!(null)), json!(null));
        assert_eq!(stringified(&json!("x")), json!("x"));
    }
}
