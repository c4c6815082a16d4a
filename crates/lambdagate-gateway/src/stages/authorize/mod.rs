//! Authorization: Lambda (TOKEN / REQUEST, cached), JWT, Cognito user pools, IAM
//! (`UNAUTHORIZED`, `ACCESS_DENIED`, `AUTHORIZER_FAILURE`, `AUTHORIZER_CONFIGURATION_ERROR`,
//! SigV4's 403s). What the authorizer established is recorded in `cx.authorizer` for events,
//! `$context.authorizer.*` and the API key stage.

pub mod cache;
pub mod iam;
pub mod lambda;
pub mod policy;
pub mod resource_policy;
pub mod tokens;

use lambdagate_auth::sigv4::IamIdentity;

use crate::authorization::{AuthSettings, Authorization};
use crate::backend::Backend;
use crate::clock::Clock;
use crate::compile::authorizers::{CompiledAuthorizerKind, RouteAuth};
use crate::context::RequestContext;
use crate::responses::error::GatewayError;
pub use cache::AuthorizerCache;
use policy::Decision;
use resource_policy::Caller;

/// Decides whether the caller may call the route, recording the authorizer's output in `cx`.
///
/// A REST API's resource policy is applied with the route's authorization as API Gateway
/// combines them ("How API Gateway resource policies affect authorization workflow"): without
/// an authorizer the policy must allow; an explicit deny refuses before a Lambda authorizer is
/// invoked, and a request the policy allows passes a Lambda authorizer whose policy neither
/// allows nor denies it; IAM callers are refused only by an explicit deny (their own policies
/// being the configured credentials'); a Cognito caller needs the policy's allow.
pub async fn run(
    cx: &mut RequestContext<'_>,
    auth: &AuthSettings,
    cache: &AuthorizerCache,
    backend: &dyn Backend,
    clock: &dyn Clock,
) -> Result<(), GatewayError> {
    let (Some(api), Some((_, route))) = (cx.api, cx.route) else {
        return Ok(());
    };
    let policy = api.resource_policy.as_ref();
    let arn = policy.map(|_| lambda::request_arn(cx));
    // What the policy says of the caller before any authorizer has identified them.
    let anonymous = match (policy, &arn) {
        (Some(policy), Some(arn)) => Some(policy.evaluate(arn, &caller(cx, auth, clock, None))),
        _ => None,
    };
    let refuse = |decision: Decision, iam: Option<&IamIdentity>| {
        resource_policy::refusal(
            arn.as_deref().unwrap_or(""),
            iam,
            decision == Decision::ExplicitDeny,
        )
    };
    if auth.disabled {
        // The authorizers are off: they count as allowing, so only an explicit deny refuses.
        return match anonymous {
            Some(Decision::ExplicitDeny) => Err(refuse(Decision::ExplicitDeny, None)),
            _ => Ok(()),
        };
    }
    let authorization = match &route.auth {
        RouteAuth::None => {
            return match anonymous {
                Some(decision @ (Decision::ExplicitDeny | Decision::ImplicitDeny)) => {
                    Err(refuse(decision, None))
                }
                _ => Ok(()),
            };
        }
        RouteAuth::Iam => {
            let authorization = iam::run(cx, auth, clock.now_ms())?;
            if let (Some(policy), Some(arn), Authorization::Iam(identity)) =
                (policy, &arn, &authorization)
                && policy.evaluate(arn, &caller(cx, auth, clock, Some(identity)))
                    == Decision::ExplicitDeny
            {
                return Err(refuse(Decision::ExplicitDeny, Some(identity)));
            }
            authorization
        }
        RouteAuth::Authorizer { index, scopes } => {
            let Some(authorizer) = api.authorizers.get(*index) else {
                return Err(lambda::unauthorized(
                    "the route's authorizer could not be compiled",
                ));
            };
            match &authorizer.kind {
                CompiledAuthorizerKind::Lambda { .. } => {
                    if anonymous == Some(Decision::ExplicitDeny) {
                        return Err(refuse(Decision::ExplicitDeny, None));
                    }
                    let allows = anonymous == Some(Decision::Allow);
                    lambda::run(cx, authorizer, cache, backend, clock, allows).await?
                }
                CompiledAuthorizerKind::Jwt { issuer, audiences } => {
                    tokens::jwt(cx, authorizer, issuer, audiences, scopes, auth).await?
                }
                CompiledAuthorizerKind::Cognito { issuers } => {
                    let authorization =
                        tokens::cognito(cx, authorizer, issuers, scopes, auth).await?;
                    if let Some(decision @ (Decision::ExplicitDeny | Decision::ImplicitDeny)) =
                        anonymous
                    {
                        return Err(refuse(decision, None));
                    }
                    authorization
                }
            }
        }
    };
    cx.authorizer = Some(authorization);
    Ok(())
}

/// What a resource policy's conditions see of the request.
fn caller<'a>(
    cx: &'a RequestContext<'_>,
    auth: &'a AuthSettings,
    clock: &dyn Clock,
    iam: Option<&'a IamIdentity>,
) -> Caller<'a> {
    Caller {
        now_ms: clock.now_ms(),
        vpce: auth.source_vpce.as_deref(),
        vpc: auth.source_vpc.as_deref(),
        source_ip: cx.request.source_ip,
        user_agent: cx.request.header("user-agent"),
        referer: cx.request.header("referer"),
        secure: cx.request.secure,
        iam,
    }
}
