//! Integration: the route's backend is called (Lambda proxy, mock, …; see
//! [`crate::integration`]).

use crate::backend::Backend;
use crate::context::RequestContext;
use crate::integration::IntegrationOutput;
use crate::responses::GatewayError;

/// Calls the matched route's integration.
pub async fn run(
    cx: &mut RequestContext<'_>,
    backend: &dyn Backend,
) -> Result<IntegrationOutput, GatewayError> {
    let Some((_, route)) = cx.route else {
        // Selection answers every request without a route; reaching here is a gateway bug.
        return Err(GatewayError::missing_route().with_detail("no route was selected"));
    };
    route.integration.call(cx, backend).await
}
