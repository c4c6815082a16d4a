//! The method response: the integration's answer with the gateway's own headers, as each API
//! kind sends it (REST remaps the headers API Gateway sets itself; HTTP APIs drop hop-by-hop
//! headers and apply their CORS configuration).

use lambdagate_model::ApiKind;

use crate::context::RequestContext;
use crate::cors::is_cors_header;
use crate::integration::IntegrationOutput;
use crate::reply::Reply;

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

/// Turns the integration's answer into the client's response.
pub fn run(cx: &RequestContext<'_>, output: IntegrationOutput) -> Reply {
    let mut headers = Vec::with_capacity(output.headers.len() + 4);
    match cx.kind() {
        ApiKind::Rest => {
            for (name, value) in output.headers {
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
            headers.push(("x-amzn-RequestId".into(), cx.ids.request_id.clone()));
            headers.push(("x-amz-apigw-id".into(), cx.ids.extended.clone()));
            if output.traced {
                headers.push(("X-Amzn-Trace-Id".into(), cx.ids.trace.clone()));
            }
        }
        ApiKind::Http => {
            let cors = cx.api.and_then(|a| a.cors.as_ref());
            for (name, value) in output.headers {
                if http_drops(&name) || (cors.is_some() && is_cors_header(&name)) {
                    continue;
                }
                headers.push((name, value));
            }
            if let Some(cors) = cors {
                headers.extend(
                    cors.actual(&cx.request)
                        .into_iter()
                        .map(|(n, v)| (n.into(), v)),
                );
            }
            headers.push(("apigw-requestid".into(), cx.ids.request_id.clone()));
        }
    }
    Reply {
        status: output.status,
        headers,
        body: output.body,
        function: cx.function_name(),
        request_id: cx.ids.request_id.clone(),
        detail: None,
    }
}
