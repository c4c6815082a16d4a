//! CORS preflights of HTTP APIs with a `CorsConfiguration`: the gateway answers them itself,
//! with or without an OPTIONS route, before any authorizer (spec §6.1). REST preflights are
//! ordinary OPTIONS mock methods and go through the whole pipeline.

use bytes::Bytes;

use crate::context::RequestContext;
use crate::cors::CorsPolicy;
use crate::reply::Reply;

/// The preflight answer, when this request is a preflight the API answers itself.
pub fn preflight(cx: &RequestContext<'_>) -> Option<Reply> {
    let cors = cx.api?.cors.as_ref()?;
    if !CorsPolicy::is_preflight(&cx.request) {
        return None;
    }
    let mut headers: Vec<(String, String)> = cors
        .preflight(&cx.request)
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    headers.push(("apigw-requestid".into(), cx.ids.request_id.clone()));
    Some(Reply {
        // AWS does not document the preflight status (spec §6.1, Appendix B point 1); 204 is
        // what HTTP APIs are commonly observed to send.
        status: 204,
        headers,
        body: Bytes::new(),
        function: None,
        request_id: cx.ids.request_id.clone(),
        detail: None,
    })
}
