//! API keys and usage plans: the key from `x-api-key` or the authorizer, its plan's throttle
//! and quota (`INVALID_API_KEY`, `THROTTLED`, `QUOTA_EXCEEDED`). Runs after the authorizer,
//! which can supply the key (`apiKeySource: AUTHORIZER`).
//!
//! Not enforced yet: routes that require a key are reported at startup.

use crate::clock::Clock;
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// Checks the request's API key against the stage's usage plans.
pub fn run(_cx: &mut RequestContext<'_>, _clock: &dyn Clock) -> Result<(), GatewayError> {
    Ok(())
}
