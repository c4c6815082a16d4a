//! Throttling: stage, route and method rate limits (`THROTTLED`, 429).
//!
//! Not enforced yet: the settings are loaded into the model and reported at startup.

use crate::clock::Clock;
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// Takes a token from the buckets that cover this request, or answers 429.
pub fn run(_cx: &mut RequestContext<'_>, _clock: &dyn Clock) -> Result<(), GatewayError> {
    Ok(())
}
