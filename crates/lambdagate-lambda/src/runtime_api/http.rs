//! The Runtime API over HTTP/1.1, as every runtime client speaks it (TCP).

use std::convert::Infallible;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use super::connection::{Connection, Watched};
use super::environment::{ExecutionEnvironment, Peer};
use crate::{Outcome, errors};

const PREFIX: &str = "/2018-06-01/runtime/";

/// Sent by our own bootstraps on `POST …/response` and `…/error` when a `GET …/next` follows
/// on the same connection (HTTP/1.1 pipelining). The answer then waits for the instance's next
/// event, so that the 202 and the event leave in one write and the runtime wakes once per
/// invocation instead of twice; the `GET` takes the event that was waited for. Clients that
/// do not send it (the official runtime clients) get the usual immediate 202.
const NEXT_FOLLOWS: &str = "lambdagate-next-follows";

/// Serves one runtime connection (TCP or Unix) once its peer is known to be the instance's.
pub(super) async fn serve_connection<E, S>(instance: Arc<E>, peer: Peer, stream: S, fd: OwnedFd)
where
    E: ExecutionEnvironment,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if !instance.owns_connection(peer).await {
        tracing::warn!(
            "refused a Runtime API connection from {peer:?}: not a process of this instance"
        );
        return;
    }
    let conn = Connection::new(fd);
    let io = Watched::new(stream, conn.clone());
    let service = service_fn(move |req| handle(instance.clone(), conn.clone(), req));
    let _ = http1::Builder::new()
        .keep_alive(true)
        // Answers to pipelined requests go out in one write (see NEXT_FOLLOWS).
        .pipeline_flush(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

type Answer = Response<Full<Bytes>>;

fn json(status: StatusCode, error_type: &str, message: &str) -> Answer {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

fn accepted() -> Answer {
    let mut res = Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
    *res.status_mut() = StatusCode::ACCEPTED;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The error type a runtime names in `Lambda-Runtime-Function-Error-Type`, else `Unhandled`.
fn error_type(req: &Request<Incoming>) -> String {
    req.headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("Unhandled")
        .to_string()
}

enum Body {
    Ok(Bytes),
    TooLarge,
    Broken,
}

async fn read_body(req: Request<Incoming>, limit: usize) -> Body {
    match read_body_and_trailers(req, limit).await {
        Ok((body, _)) => Body::Ok(body),
        Err(e) => e,
    }
}

async fn read_body_and_trailers(
    req: Request<Incoming>,
    limit: usize,
) -> Result<(Bytes, Option<http::HeaderMap>), Body> {
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => {
            let trailers = collected.trailers().cloned();
            Ok((collected.to_bytes(), trailers))
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Body::TooLarge),
        Err(_) => Err(Body::Broken),
    }
}

/// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) is collected
/// whole; an error reported mid-stream in the trailers fails the invocation with that error.
fn streamed_outcome(body: Bytes, trailers: Option<&http::HeaderMap>) -> Outcome {
    use base64::Engine;
    let Some(error_type) = trailers
        .and_then(|t| t.get("lambda-runtime-function-error-type"))
        .and_then(|v| v.to_str().ok())
    else {
        return Outcome::Response(body);
    };
    let raw = trailers
        .and_then(|t| t.get("lambda-runtime-function-error-body"))
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .unwrap_or(raw);
    Outcome::Error {
        error_type: error_type.to_string(),
        payload: Bytes::from(payload),
    }
}

async fn handle<E: ExecutionEnvironment>(
    instance: Arc<E>,
    conn: Arc<Connection>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(not_found(&path));
    };
    let answer = match (req.method(), rest) {
        (&Method::GET, "invocation/next") => next(&instance, &conn).await,
        (&Method::POST, "init/error") => {
            let kind = error_type(&req);
            match read_body(req, errors::MAX_RESPONSE_BYTES).await {
                Body::Ok(body) => {
                    instance.init_error(kind, body);
                    accepted()
                }
                Body::TooLarge => too_large(),
                Body::Broken => bad_body(),
            }
        }
        (&Method::POST, rest) => match rest
            .strip_prefix("invocation/")
            .and_then(|r| r.rsplit_once('/'))
        {
            Some((id, "response")) => {
                let id = id.to_string();
                let next_follows = req.headers().contains_key(NEXT_FOLLOWS);
                let streaming = req
                    .headers()
                    .get("lambda-runtime-function-response-mode")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
                match read_body_and_trailers(req, errors::MAX_RESPONSE_BYTES).await {
                    Ok((body, trailers)) if streaming => {
                        let outcome = streamed_outcome(body, trailers.as_ref());
                        finish(&instance, &conn, &id, outcome, next_follows).await
                    }
                    Ok((body, _)) => {
                        finish(&instance, &conn, &id, Outcome::Response(body), next_follows).await
                    }
                    Err(Body::TooLarge) => {
                        // The caller gets Lambda's error; the runtime hears it was too much.
                        let _ = instance.complete(&id, errors::response_too_large());
                        too_large()
                    }
                    Err(_) => bad_body(),
                }
            }
            Some((id, "error")) => {
                let id = id.to_string();
                let kind = error_type(&req);
                let next_follows = req.headers().contains_key(NEXT_FOLLOWS);
                match read_body(req, errors::MAX_RESPONSE_BYTES).await {
                    Body::Ok(payload) => {
                        let outcome = Outcome::Error {
                            error_type: kind,
                            payload,
                        };
                        finish(&instance, &conn, &id, outcome, next_follows).await
                    }
                    Body::TooLarge => too_large(),
                    Body::Broken => bad_body(),
                }
            }
            _ => not_found(&path),
        },
        _ => not_found(&path),
    };
    Ok(answer)
}

async fn finish<E: ExecutionEnvironment>(
    instance: &Arc<E>,
    conn: &Arc<Connection>,
    id: &str,
    outcome: Outcome,
    next_follows: bool,
) -> Answer {
    match instance.complete(id, outcome) {
        Ok(()) => {
            if next_follows {
                instance.prefetch_next(conn).await;
            }
            accepted()
        }
        Err(()) => json(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            &format!("Invalid request ID: {id} is not the invocation in progress"),
        ),
    }
}

async fn next<E: ExecutionEnvironment>(instance: &Arc<E>, conn: &Arc<Connection>) -> Answer {
    let Some(event) = instance.next(conn).await else {
        return json(
            StatusCode::GONE,
            "InstanceStopping",
            "this instance is being stopped; exit",
        );
    };
    let mut res = Response::new(Full::new(event.invocation.payload.clone()));
    let headers = res.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    event.each_header(|name, value| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    });
    res
}

fn not_found(path: &str) -> Answer {
    json(
        StatusCode::NOT_FOUND,
        "UnknownResource",
        &format!(
            "{path} is not part of the Lambda Runtime API (GET {PREFIX}invocation/next, POST \
             {PREFIX}invocation/{{id}}/response, POST {PREFIX}invocation/{{id}}/error, POST \
             {PREFIX}init/error)"
        ),
    )
}

fn too_large() -> Answer {
    json(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!(
            "Exceeded maximum allowed payload size ({} bytes).",
            errors::MAX_RESPONSE_BYTES
        ),
    )
}

fn bad_body() -> Answer {
    json(
        StatusCode::BAD_REQUEST,
        "InvalidRequest",
        "the request body could not be read",
    )
}
