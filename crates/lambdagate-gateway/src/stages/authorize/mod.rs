//! Authorization: Lambda (TOKEN / REQUEST), JWT, Cognito user pools, IAM (`UNAUTHORIZED`,
//! `ACCESS_DENIED`, `AUTHORIZER_FAILURE`, `AUTHORIZER_CONFIGURATION_ERROR`).
//!
//! Not enforced yet: protected routes are reported at startup.

use crate::authorization::AuthSettings;
use crate::backend::Backend;
use crate::clock::Clock;
use crate::context::RequestContext;
use crate::responses::error::GatewayError;

/// Decides whether the caller may call the route, recording the authorizer's output in `cx`.
pub async fn run(
    _cx: &mut RequestContext<'_>,
    _auth: &AuthSettings,
    _backend: &dyn Backend,
    _clock: &dyn Clock,
) -> Result<(), GatewayError> {
    Ok(())
}
