//! Request validation (REST): required parameters and the body's model
//! (`BAD_REQUEST_PARAMETERS`, `BAD_REQUEST_BODY`).
//!
//! Not enforced yet: routes with validators are reported at startup.

use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// Checks the request against the method's validator.
pub fn run(_cx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    Ok(())
}
