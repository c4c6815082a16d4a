//! The Lambda Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`), as AWS SDKs
//! and the AWS CLI call it: RequestResponse, Event and DryRun invocations, log tails, client
//! context, and service errors as AWS JSON with `x-amzn-ErrorType`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::{FunctionService, Invocation, InvokeError, Outcome, errors, logs};

/// Lambda's limit on an asynchronous (`Event`) payload.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// How much of the log `X-Amz-Log-Type: Tail` returns.
pub const LOG_TAIL_BYTES: usize = 4096;

/// Serves the Invoke API on `listener` until `shutdown` resolves, then lets open requests
/// finish for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    service: Arc<FunctionService>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let service = service.clone();
                let conn = http1::Builder::new().keep_alive(true).serve_connection(
                    TokioIo::new(stream),
                    service_fn(move |req| {
                        let service = service.clone();
                        async move { Ok::<_, Infallible>(handle(&service, req).await) }
                    }),
                );
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

type Answer = Response<Full<Bytes>>;

/// A service error as Lambda answers it: JSON body and `x-amzn-ErrorType`.
fn service_error(status: StatusCode, kind: &str, message: &str, request_id: &str) -> Answer {
    let mut body = serde_json::json!({ "Type": "User", "message": message });
    if kind == "TooManyRequestsException" {
        body["Reason"] = "ReservedFunctionConcurrentInvocationLimitExceeded".into();
    }
    if status.is_server_error() {
        body["Type"] = "Service".into();
    }
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(kind) {
        h.insert("x-amzn-errortype", v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    res
}

fn invoke_error(e: &InvokeError, request_id: &str) -> Answer {
    let (status, kind) = match e {
        InvokeError::FunctionNotFound(_) => (StatusCode::NOT_FOUND, "ResourceNotFoundException"),
        InvokeError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException"),
        InvokeError::RequestTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLargeException")
        }
        InvokeError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "ServiceException"),
        InvokeError::Unavailable(_) => (StatusCode::BAD_GATEWAY, "ServiceException"),
    };
    service_error(status, kind, &e.to_string(), request_id)
}

/// `%3A` → `:` (SDKs encode ARNs in the path).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn handle(service: &Arc<FunctionService>, req: Request<Incoming>) -> Answer {
    let request_id = errors::new_request_id();
    let path = req.uri().path();
    let name = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .map(percent_decode);
    let Some(mut name) = name else {
        return service_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("no operation at {} {path}", req.method()),
            &request_id,
        );
    };
    if req.method() != Method::POST {
        return service_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "Invoke takes POST",
            &request_id,
        );
    }
    if let Some(q) = query_param(req.uri().query(), "Qualifier") {
        name = format!("{name}:{q}");
    }
    let function_name = match service.function(&name) {
        Ok(f) => f.function_name.clone(),
        Err(e) => return invoke_error(&e, &request_id),
    };
    let kind = header(&req, "x-amz-invocation-type").unwrap_or("RequestResponse");
    let (is_event, limit) = match kind {
        "RequestResponse" => (false, errors::MAX_REQUEST_BYTES),
        "Event" => (true, MAX_EVENT_BYTES),
        "DryRun" => {
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NO_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert("x-amzn-requestid", v);
            }
            return res;
        }
        other => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!(
                    "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
                ),
                &request_id,
            );
        }
    };
    let tail = !is_event && header(&req, "x-amz-log-type") == Some("Tail");
    let trace_id = header(&req, "x-amzn-trace-id").map(str::to_string);
    let client_context = match header(&req, "x-amz-client-context") {
        None => None,
        Some(encoded) => match decode_client_context(encoded) {
            Some(cc) => Some(cc),
            None => {
                return service_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.",
                    &request_id,
                );
            }
        },
    };
    let payload = match Limited::new(req.into_body(), limit).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return service_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                &format!(
                    "Request must be smaller than {limit} bytes for the InvokeFunction operation"
                ),
                &request_id,
            );
        }
        Err(_) => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                "the request body could not be read",
                &request_id,
            );
        }
    };
    let payload = if payload.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
        return service_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            &format!("Could not parse request body into json: {e}"),
            &request_id,
        );
    } else {
        payload
    };
    let invocation = Invocation {
        payload,
        request_id: Some(request_id.clone()),
        trace_id,
        client_context,
        cognito_identity: None,
    };
    if is_event {
        // Runs in the background, as Lambda's asynchronous invocation does; the caller only
        // learns it was accepted.
        let service = service.clone();
        tokio::spawn(async move {
            let _ = service.invoke(&name, invocation).await;
        });
        let mut res = Response::new(Full::new(Bytes::new()));
        *res.status_mut() = StatusCode::ACCEPTED;
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert("x-amzn-requestid", v);
        }
        return res;
    }
    let result = match service.invoke(&name, invocation).await {
        Ok(r) => r,
        Err(e) => return invoke_error(&e, &request_id),
    };
    let (body, failed) = match result.outcome {
        Outcome::Response(body) => (body, false),
        Outcome::Error { payload, .. } => (payload, true),
    };
    let mut res = Response::new(Full::new(body));
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if let Ok(v) = HeaderValue::from_str(&result.request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if failed {
        h.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    if tail {
        let text = service.log_text(&function_name, &result.request_id);
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(logs::tail_bytes(&text, LOG_TAIL_BYTES));
        if let Ok(v) = HeaderValue::from_str(&encoded) {
            h.insert("x-amz-log-result", v);
        }
    }
    res
}

/// The client context JSON from its base64 header form, when it is a JSON object.
fn decode_client_context(encoded: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    value
        .is_object()
        .then(|| String::from_utf8_lossy(&raw).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_queries_decode() {
        assert_eq!(
            percent_decode("arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af"),
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%é"), "%é");
        assert_eq!(
            query_param(Some("x=1&Qualifier=%24LATEST"), "Qualifier").as_deref(),
            Some("$LATEST")
        );
    }

    #[test]
    fn client_context_must_be_base64_json() {
        let ok = base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"a":1}}"#);
        assert_eq!(
            decode_client_context(&ok).as_deref(),
            Some(r#"{"custom":{"a":1}}"#)
        );
        assert!(decode_client_context("!!!").is_none());
        let not_object = base64::engine::general_purpose::STANDARD.encode("[1]");
        assert!(decode_client_context(&not_object).is_none());
    }
}
