//! Gateway responses: every way the gateway answers instead of the integration.
//!
//! A stage that cannot go on returns a [`GatewayError`] ([`error`]): one of AWS's
//! gateway-response types ([`ResponseType`]) with the message that travels with it. [`render`]
//! is the one place that turns it into an answer, for every stage and for the server's own early
//! answers (413, 414): status, body, request ids, `x-amzn-ErrorType` (REST), the API's customized
//! gateway responses ([`custom`]: status override, templates with `$context` values, header
//! parameters) and, for HTTP APIs with a `CorsConfiguration`, CORS headers.

pub mod custom;
pub mod error;

use std::borrow::Cow;

use bytes::Bytes;
use lambdagate_model::ApiKind;

pub use custom::{GatewayResponseError, GatewayResponses};
pub use error::GatewayError;
pub use lambdagate_model::ResponseType;

use crate::context::RequestContext;
use crate::reply::Reply;
use custom::{ParamSource, Piece};

/// Turns a gateway error into the answer the API gives (the one renderer).
pub fn render(cx: &RequestContext<'_>, error: &GatewayError) -> Reply {
    let kind = cx.api.map_or(ApiKind::Http, |a| a.kind);
    let mut headers: Vec<(String, String)> = Vec::with_capacity(5);
    let (status, body) = match kind {
        ApiKind::Rest => {
            let customs = cx.api.map(|a| &a.gateway_responses);
            let default_status = error.status;
            let (specific, fallback) = match customs {
                Some(c) if error.customizable => (
                    c.get(error.kind),
                    c.get(ResponseType::default_for_status(default_status)),
                ),
                _ => (None, None),
            };
            let custom = specific.or(fallback);
            let status = specific
                .and_then(|c| c.status)
                .or_else(|| fallback.and_then(|c| c.status))
                .unwrap_or(default_status);
            let template = custom.and_then(|c| choose_template(&c.templates, cx));
            let (content_type, body) = match template {
                Some((content_type, pieces)) => {
                    (content_type.as_str(), substitute(pieces, cx, error))
                }
                None => (
                    "application/json",
                    error.builtin_body(ApiKind::Rest, custom.is_some()),
                ),
            };
            headers.push(("Content-Type".into(), content_type.to_string()));
            headers.push(("x-amzn-RequestId".into(), cx.ids.request_id.clone()));
            headers.push(("x-amz-apigw-id".into(), cx.ids.extended.clone()));
            if let Some(error_type) = error.error_type {
                headers.push(("x-amzn-ErrorType".into(), error_type.into()));
            }
            headers.extend(
                error
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone())),
            );
            for (name, source) in custom.map_or(&[][..], |c| &c.headers) {
                if let Some(value) = parameter(source, cx) {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                    headers.push((name.clone(), value.into_owned()));
                }
            }
            (status, body)
        }
        ApiKind::Http => {
            let status = error.http_status;
            headers.push(("Content-Type".into(), "application/json".into()));
            if let Some(cors) = cx.api.and_then(|a| a.cors.as_ref()) {
                headers.extend(
                    cors.actual(&cx.request)
                        .into_iter()
                        .map(|(n, v)| (n.into(), v)),
                );
            }
            headers.extend(
                error
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone())),
            );
            headers.push(("apigw-requestid".into(), cx.ids.request_id.clone()));
            (status, error.builtin_body(ApiKind::Http, false))
        }
    };
    Reply {
        status,
        headers,
        body: Bytes::from(body),
        function: cx.function_name(),
        request_id: cx.ids.request_id.clone(),
        detail: Some(error.to_string()),
    }
}

/// The template for the client's `Accept`, else `application/json`, else the first.
fn choose_template<'c>(
    templates: &'c [(String, Vec<Piece>)],
    cx: &RequestContext<'_>,
) -> Option<&'c (String, Vec<Piece>)> {
    let accept = cx.request.header("accept").unwrap_or("");
    templates
        .iter()
        .find(|(ct, _)| {
            accept.split(',').any(|a| {
                a.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(ct)
            })
        })
        .or_else(|| templates.iter().find(|(ct, _)| ct == "application/json"))
        .or_else(|| templates.first())
}

fn substitute(pieces: &[Piece], cx: &RequestContext<'_>, error: &GatewayError) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Context(name) => {
                if let Some(value) = error_variable(name, error).or_else(|| cx.context_value(name))
                {
                    out.push_str(&value);
                }
            }
            Piece::StageVariable(name) => {
                if let Some(value) = cx.stage_variable(name) {
                    out.push_str(value);
                }
            }
        }
    }
    out
}

/// `$context.error.*`.
fn error_variable<'e>(name: &str, error: &'e GatewayError) -> Option<Cow<'e, str>> {
    match name {
        "error.message" => Some(Cow::Borrowed(error.message().unwrap_or(""))),
        "error.messageString" => Some(Cow::Owned(error.message_string())),
        "error.responseType" => Some(Cow::Borrowed(error.kind.as_str())),
        // The validator's detail for validation failures; empty for every other error.
        "error.validationErrorString" => Some(Cow::Borrowed(match error.kind {
            lambdagate_model::ResponseType::BadRequestBody
            | lambdagate_model::ResponseType::BadRequestParameters => {
                error.detail.as_deref().unwrap_or("")
            }
            _ => "",
        })),
        _ => None,
    }
}

fn parameter<'c>(source: &'c ParamSource, cx: &'c RequestContext<'_>) -> Option<Cow<'c, str>> {
    match source {
        ParamSource::Static(value) => Some(Cow::Borrowed(value)),
        ParamSource::Header(name) => cx.request.header(name).map(Cow::Borrowed),
        ParamSource::QueryString(name) => cx.query_value(name).map(Cow::Owned),
        ParamSource::Path(name) => cx.path_parameter(name).map(Cow::Owned),
        ParamSource::StageVariable(name) => cx.stage_variable(name).map(Cow::Borrowed),
        ParamSource::Context(name) => cx.context_value(name),
    }
}
