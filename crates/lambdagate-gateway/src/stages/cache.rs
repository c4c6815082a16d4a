//! The REST stage cache: repeated requests answered without calling the integration.
//!
//! Not served yet: stages with a cache are reported at startup.

use crate::clock::Clock;
use crate::context::RequestContext;
use crate::reply::Reply;

/// A cached answer for this request, when the stage caches it and has one.
pub fn lookup(_cx: &RequestContext<'_>, _clock: &dyn Clock) -> Option<Reply> {
    None
}

/// Keeps the answer for the next identical request, when the stage caches it.
pub fn store(_cx: &RequestContext<'_>, _reply: &Reply, _clock: &dyn Clock) {}
