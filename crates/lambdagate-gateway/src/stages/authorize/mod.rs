//! Authorization: Lambda (TOKEN / REQUEST, cached), JWT, Cognito user pools, IAM
//! (`UNAUTHORIZED`, `ACCESS_DENIED`, `AUTHORIZER_FAILURE`, `AUTHORIZER_CONFIGURATION_ERROR`,
//! SigV4's 403s). What the authorizer established is recorded in `cx.authorizer` for events,
//! `$context.authorizer.*` and the API key stage.

pub mod cache;
pub mod iam;
pub mod lambda;
pub mod policy;
pub mod tokens;

use crate::authorization::AuthSettings;
use crate::backend::Backend;
use crate::clock::Clock;
use crate::compile::authorizers::{CompiledAuthorizerKind, RouteAuth};
use crate::context::RequestContext;
use crate::responses::error::GatewayError;
pub use cache::AuthorizerCache;

/// Decides whether the caller may call the route, recording the authorizer's output in `cx`.
pub async fn run(
    cx: &mut RequestContext<'_>,
    auth: &AuthSettings,
    cache: &AuthorizerCache,
    backend: &dyn Backend,
    clock: &dyn Clock,
) -> Result<(), GatewayError> {
    if auth.disabled {
        return Ok(());
    }
    let (Some(api), Some((_, route))) = (cx.api, cx.route) else {
        return Ok(());
    };
    let authorization = match &route.auth {
        RouteAuth::None => return Ok(()),
        RouteAuth::Iam => iam::run(cx, auth, clock.now_ms())?,
        RouteAuth::Authorizer { index, scopes } => {
            let Some(authorizer) = api.authorizers.get(*index) else {
                return Err(lambda::unauthorized(
                    "the route's authorizer could not be compiled",
                ));
            };
            match &authorizer.kind {
                CompiledAuthorizerKind::Lambda { .. } => {
                    lambda::run(cx, authorizer, cache, backend, clock).await?
                }
                CompiledAuthorizerKind::Jwt { issuer, audiences } => {
                    tokens::jwt(cx, authorizer, issuer, audiences, scopes, auth).await?
                }
                CompiledAuthorizerKind::Cognito { issuers } => {
                    tokens::cognito(cx, authorizer, issuers, scopes, auth).await?
                }
            }
        }
    };
    cx.authorizer = Some(authorization);
    Ok(())
}
