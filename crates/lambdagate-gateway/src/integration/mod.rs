//! Integrations: what a route calls, behind one trait, compiled at load time into an enum.
//!
//! [`Integration::call`] takes the request context and answers with an [`IntegrationOutput`]
//! (the integration's answer before the gateway's own response headers) or a gateway error. The
//! Lambda proxy ([`lambda_proxy`]) and mock ([`mock`]) integrations are served today; request and
//! response mapping for the non-proxy kinds lives in [`mapping`], written once for all of them.

pub mod lambda_proxy;
pub mod mapping;
pub mod mock;

use std::future::Future;

use bytes::Bytes;
use lambdagate_model::IntegrationType;

use crate::backend::Backend;
use crate::context::RequestContext;
use crate::responses::GatewayError;

pub use lambda_proxy::{FunctionTarget, LambdaProxy};
pub use mock::Mock;

/// An integration's answer, before the gateway adds its own headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationOutput {
    /// Status code.
    pub status: u16,
    /// Headers in order, names as the integration wrote them.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// Whether the answer came from a backend call that carried the trace header (REST then
    /// returns `X-Amzn-Trace-Id`).
    pub traced: bool,
}

/// A backend of a route.
pub trait Integration {
    /// Calls the backend for the request in `cx`.
    fn call(
        &self,
        cx: &mut RequestContext<'_>,
        backend: &dyn Backend,
    ) -> impl Future<Output = Result<IntegrationOutput, GatewayError>> + Send;
}

/// A route's integration, compiled.
#[derive(Debug)]
pub enum CompiledIntegration {
    /// Lambda proxy (`AWS_PROXY` to a function).
    LambdaProxy(LambdaProxy),
    /// A mock: the gateway answers from the integration response.
    Mock(Mock),
    /// A type lambdagate does not serve yet (reported at startup).
    Unsupported(IntegrationType),
}

impl CompiledIntegration {
    /// Calls the integration.
    pub async fn call(
        &self,
        cx: &mut RequestContext<'_>,
        backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        match self {
            CompiledIntegration::LambdaProxy(i) => i.call(cx, backend).await,
            CompiledIntegration::Mock(i) => i.call(cx, backend).await,
            CompiledIntegration::Unsupported(kind) => Err(GatewayError::api_configuration(
                format!("{kind} integrations are not served yet"),
            )),
        }
    }
}
