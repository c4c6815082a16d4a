//! Integrations: what a route calls, behind one trait, compiled at load time into an enum.
//!
//! [`Integration::call`] takes an [`IntegrationRequest`] (what the stages before it established:
//! the request, its ids, API, route, stage and function) and answers with an
//! [`IntegrationOutput`] (the integration's answer before the gateway's own response headers) or
//! a gateway error. Integrations see only that, never the whole request context. The
//! Lambda proxy ([`lambda_proxy`]), Lambda custom ([`lambda_custom`]) and mock ([`mock`])
//! integrations are served today; request and
//! response mapping for the non-proxy kinds lives in [`mapping`], written once for all of them.

pub mod aws_service;
pub mod aws_subtype;
pub mod http_client;
pub mod http_params;
pub mod http_proxy;
pub mod jsonpath;
pub mod lambda_custom;
pub mod lambda_proxy;
pub mod mapping;
pub mod mock;
pub mod template;

use std::future::Future;

use bytes::Bytes;
use lambdagate_model::{ApiKind, IntegrationType};

use crate::backend::{Backend, FunctionHandle};
use crate::context::RequestContext;
use crate::ids::{Ids, RequestTime};
use crate::request::IncomingRequest;
use crate::responses::error::GatewayError;

pub use aws_service::AwsService;
pub use aws_subtype::AwsSubtype;
pub use http_proxy::HttpIntegration;
pub use lambda_custom::LambdaCustom;
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

/// What an integration is called with.
#[derive(Debug)]
pub struct IntegrationRequest<'a> {
    /// The client's request.
    pub request: &'a IncomingRequest,
    /// Its ids.
    pub ids: &'a Ids,
    /// When it arrived.
    pub time: &'a RequestTime,
    /// The account id.
    pub account_id: &'a str,
    /// The API's kind.
    pub api_kind: ApiKind,
    /// The API's id.
    pub api_id: &'a str,
    /// REST binary media types.
    pub binary_media_types: &'a [String],
    /// The route's path template (`resource`), or `$default`.
    pub resource: &'a str,
    /// The route key.
    pub route_key: &'a str,
    /// The route's `resourceId`.
    pub resource_id: &'a str,
    /// The method's `OperationName`, when it has one (REST events carry it).
    pub operation_name: Option<&'a str>,
    /// The path as the API sees it (without a REST stage prefix).
    pub path: String,
    /// The path as sent (`requestContext.path`).
    pub context_path: String,
    /// Path variables, values in the form the API kind passes them.
    pub path_parameters: Vec<(&'a str, String)>,
    /// The stage name.
    pub stage: &'a str,
    /// The stage variables in force (the canary's for a canary request).
    pub stage_variables: &'a [(String, String)],
    /// The deployment serving the request.
    pub deployment_id: &'a str,
    /// The function a Lambda integration calls, resolved for this stage.
    pub function: Option<&'a FunctionHandle>,
    /// What the route's authorizer established about the caller.
    pub authorizer: Option<&'a crate::authorization::Authorization>,
    /// The API key the caller used (value, id), when the method requires one.
    pub api_key: Option<(&'a str, &'a str)>,
    /// The whole request context, for what mapping templates read (`$context`, `$input`).
    pub cx: &'a RequestContext<'a>,
}

/// A backend of a route.
pub trait Integration {
    /// Calls the backend for `request`.
    fn call(
        &self,
        request: &IntegrationRequest<'_>,
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
    /// A Lambda custom integration (`AWS` to a function), with mapping templates.
    LambdaCustom(LambdaCustom),
    /// An `HTTP_PROXY` or REST `HTTP` integration (public or private).
    Http(HttpIntegration),
    /// A REST `AWS` integration with a service other than Lambda (SQS, DynamoDB, …).
    AwsService(AwsService),
    /// An HTTP API first-class AWS service integration (`IntegrationSubtype`).
    AwsSubtype(AwsSubtype),
    /// An integration whose templates or selection patterns do not compile (reported at
    /// startup; AWS refuses to deploy it): answered with 500.
    Broken(String),
    /// A type lambdagate does not serve yet (reported at startup).
    Unsupported(IntegrationType),
    /// A Lambda integration of a function that cannot run here (its runtime); answered as API
    /// Gateway answers when Lambda refuses the invocation.
    Unavailable(String),
}

impl CompiledIntegration {
    /// The function this integration calls, when it calls one.
    pub fn function(&self) -> Option<&FunctionTarget> {
        match self {
            CompiledIntegration::LambdaProxy(l) => Some(&l.function),
            CompiledIntegration::LambdaCustom(l) => Some(&l.function),
            _ => None,
        }
    }

    /// Calls the integration.
    pub async fn call(
        &self,
        request: &IntegrationRequest<'_>,
        backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        match self {
            CompiledIntegration::LambdaProxy(i) => i.call(request, backend).await,
            CompiledIntegration::Mock(i) => i.call(request, backend).await,
            CompiledIntegration::LambdaCustom(i) => i.call(request, backend).await,
            CompiledIntegration::Http(i) => i.call(request, backend).await,
            CompiledIntegration::AwsService(i) => i.call(request, backend).await,
            CompiledIntegration::AwsSubtype(i) => i.call(request, backend).await,
            CompiledIntegration::Broken(why) => Err(GatewayError::api_configuration(why.clone())),
            CompiledIntegration::Unsupported(kind) => Err(GatewayError::api_configuration(
                format!("{kind} integrations are not served yet"),
            )),
            CompiledIntegration::Unavailable(why) => {
                Err(GatewayError::invocation_refused(why.clone()))
            }
        }
    }
}
