//! The function service: runs an application's real function code the way Lambda does.
//!
//! Every function instance is an OS process (in its own process group) that talks to us through
//! the real Lambda Runtime API, served on its own 127.0.0.1 listener. Callers (the gateway, the
//! Invoke API, `lambdagate invoke`) only see [`FunctionService::invoke`].
//!
//! CONTRACT NOTE: the types below are the surface other crates code against. The implementation
//! behind them lands with the function-service issue.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lambdagate_model::Application;

/// Settings of the function service that do not come from the template.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Region reported to functions (`AWS_REGION`).
    pub region: String,
    /// Environment overrides in SAM's `--env-vars` format: per-function maps (by logical id or
    /// function name) and a `Parameters` map applied to every function.
    pub env_overrides: serde_json::Map<String, serde_json::Value>,
    /// Concurrency cap per function when it sets no `ReservedConcurrentExecutions`.
    pub default_max_concurrency: u32,
    /// Invocations waiting for an instance, per function, before callers are throttled.
    pub queue_depth: usize,
    /// An idle instance is stopped after this long.
    pub idle_timeout: Duration,
    /// Start one instance per function at startup (`--warm-containers EAGER`).
    pub eager: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            region: lambdagate_model::DEFAULT_REGION.to_string(),
            env_overrides: serde_json::Map::new(),
            default_max_concurrency: 16,
            queue_depth: 256,
            idle_timeout: Duration::from_secs(600),
            eager: false,
        }
    }
}

/// One call to a function.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The event, as JSON bytes.
    pub payload: Bytes,
    /// The request id to use (`Lambda-Runtime-Aws-Request-Id`); generated when `None`.
    pub request_id: Option<String>,
    /// The trace header (`X-Amzn-Trace-Id` value), passed as `Lambda-Runtime-Trace-Id`.
    pub trace_id: Option<String>,
    /// Client context JSON (already base64-decoded), passed as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// Cognito identity JSON, passed as `Lambda-Runtime-Cognito-Identity`.
    pub cognito_identity: Option<String>,
}

/// What an invocation produced.
#[derive(Debug, Clone)]
pub struct InvocationResult {
    /// The request id the function saw.
    pub request_id: String,
    /// The function's answer or its error.
    pub outcome: Outcome,
}

/// A function's answer: a response, or an error that Lambda reports as a function error
/// (`X-Amz-Function-Error: Unhandled`), which includes timeouts and crashes.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The function returned this payload (`POST …/response`).
    Response(Bytes),
    /// The function failed: the error JSON, verbatim as the runtime posted it, or as Lambda
    /// shapes timeouts, crashes and init errors.
    Error {
        /// Lambda's error type (`Unhandled`, `Runtime.ExitError`, `Sandbox.Timedout`, …).
        error_type: String,
        /// The error JSON.
        payload: Bytes,
    },
}

/// Why an invocation could not be made at all (a service error, not a function error).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No function with that name, logical id or ARN.
    #[error("Function not found: {0}")]
    FunctionNotFound(String),
    /// Every instance is busy and the queue is full.
    #[error("Rate Exceeded.")]
    TooManyRequests,
    /// The request payload exceeds Lambda's limit.
    #[error("Request must be smaller than {limit} bytes for the InvokeFunction operation")]
    RequestTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The service is shutting down and takes no new work.
    #[error("the function service is shutting down")]
    ShuttingDown,
    /// The function service could not start an instance (e.g. the interpreter is missing).
    #[error("{0}")]
    Unavailable(String),
}

/// Runs the functions of one application.
pub struct FunctionService {
    app: Arc<Application>,
    config: ServiceConfig,
}

impl FunctionService {
    /// Prepares the service for an application (starting instances now only when `eager`).
    pub async fn start(
        app: Arc<Application>,
        config: ServiceConfig,
    ) -> Result<Arc<FunctionService>, InvokeError> {
        Ok(Arc::new(FunctionService { app, config }))
    }

    /// The application being served.
    pub fn application(&self) -> &Arc<Application> {
        &self.app
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Invokes a function (by logical id, function name or ARN) and waits for its answer.
    ///
    /// Dropping the returned future abandons the wait but not the invocation: the instance
    /// finishes (or times out) on its own, as on Lambda when API Gateway gives up.
    pub async fn invoke(
        &self,
        function: &str,
        _invocation: Invocation,
    ) -> Result<InvocationResult, InvokeError> {
        if self.app.function(function).is_none() {
            return Err(InvokeError::FunctionNotFound(function.to_string()));
        }
        Err(InvokeError::Unavailable(
            "the function service is not implemented yet".to_string(),
        ))
    }

    /// Stops taking work, lets in-flight invocations finish within `grace`, stops every instance.
    pub async fn shutdown(&self, _grace: Duration) {}
}
