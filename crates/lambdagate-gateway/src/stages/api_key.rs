//! API keys and usage plans: the key from `x-api-key` or the authorizer
//! (`apiKeySource: AUTHORIZER`), its plan's throttle and quota (`INVALID_API_KEY`,
//! `THROTTLED`, `QUOTA_EXCEEDED`). Runs after the authorizer, which can supply the key.
//!
//! Only methods with `ApiKeyRequired` look at keys, as on AWS; a plan's throttle and quota
//! apply per key, summed over every stage of the plan.

use lambdagate_model::ApiKeySource;

use crate::authorization::Authorization;
use crate::context::{ApiKeyUse, RequestContext};
use crate::responses::ResponseType;
use crate::responses::error::GatewayError;
use crate::state::GatewayState;

/// Checks the request's API key against the stage's usage plans.
pub async fn run(cx: &mut RequestContext<'_>, state: &GatewayState) -> Result<(), GatewayError> {
    let (Some(api), Some(stage), Some((index, route))) = (cx.api, cx.stage, cx.route) else {
        return Ok(());
    };
    if !route.api_key_required {
        return Ok(());
    }
    let forbidden =
        |why: &str| GatewayError::new(ResponseType::InvalidApiKey).with_detail(why.to_string());
    let value = match api.api_key_source {
        ApiKeySource::Header => cx.request.header("x-api-key").map(str::to_string),
        ApiKeySource::Authorizer => match &cx.authorizer {
            Some(Authorization::Lambda {
                usage_identifier_key,
                ..
            }) => usage_identifier_key.clone(),
            _ => None,
        },
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(forbidden("no API key"));
    };
    let Some(grant) = stage.guards.keys.get(&value) else {
        return Err(forbidden("unknown API key"));
    };
    if !grant.enabled {
        return Err(forbidden("the API key is disabled"));
    }
    let Some(plan) = &grant.plan else {
        return Err(forbidden("no usage plan of the API key covers this stage"));
    };
    cx.api_key = Some(ApiKeyUse {
        value,
        id: grant.id.clone(),
    });
    let method = plan.methods.get(index).copied().flatten();
    let bucket = match method {
        Some(limit) => Some((
            format!(
                "km\n{}\n{}\n{}\n{}\n{index}",
                plan.id, grant.id, api.api_id, stage.name
            ),
            limit,
        )),
        None => plan
            .throttle
            .map(|limit| (format!("k\n{}\n{}", plan.id, grant.id), limit)),
    };
    if let Some((key, limit)) = bucket
        && !state.limiter.try_acquire(&key, limit).await
    {
        return Err(GatewayError::new(ResponseType::Throttled)
            .with_detail(format!("usage plan {} throttle for the API key", plan.id)));
    }
    if let Some(quota) = plan.quota
        && !state
            .quotas
            .try_consume(&format!("q\n{}\n{}", plan.id, grant.id), quota)
            .await
    {
        return Err(
            GatewayError::new(ResponseType::QuotaExceeded).with_detail(format!(
                "usage plan {} quota for the API key is spent",
                plan.id
            )),
        );
    }
    Ok(())
}
