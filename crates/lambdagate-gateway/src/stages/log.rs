//! The log stage: what the access log and metrics learn about a request once it is answered.

use crate::context::RequestContext;
use crate::reply::Reply;

/// Completes the reply's record for the access log: the function that served it and the id.
pub fn run(cx: &RequestContext<'_>, reply: &mut Reply) {
    if reply.function.is_none() {
        reply.function = cx.function_name();
    }
    if reply.request_id.is_empty() {
        reply.request_id.clone_from(&cx.ids.request_id);
    }
}
