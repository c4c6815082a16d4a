//! Throttling: the stage's method throttle (REST `MethodSettings`) or route throttle (HTTP API
//! `DefaultRouteSettings` / `RouteSettings`), one token bucket per method of each stage
//! (`THROTTLED`, 429). Usage-plan throttles are the API key stage's.

use crate::context::RequestContext;
use crate::responses::ResponseType;
use crate::responses::error::GatewayError;
use crate::state::GatewayState;

/// Takes a token from the bucket of this request's method on its stage, or answers 429.
pub async fn run(cx: &RequestContext<'_>, state: &GatewayState) -> Result<(), GatewayError> {
    let (Some(api), Some(stage), Some((index, _))) = (cx.api, cx.stage, cx.route) else {
        return Ok(());
    };
    let Some(limit) = stage.guards.routes.get(index).and_then(|r| r.throttle) else {
        return Ok(());
    };
    let key = format!("m\n{}\n{}\n{index}", api.api_id, stage.name);
    if state.limiter.try_acquire(&key, limit).await {
        Ok(())
    } else {
        Err(
            GatewayError::new(ResponseType::Throttled).with_detail(format!(
                "stage {} throttle ({} rps, burst {})",
                stage.name, limit.rate, limit.burst
            )),
        )
    }
}
