//! The function service: runs an application's real function code the way Lambda does.
//!
//! Every function instance is an OS process (in its own process group) that talks to us through
//! the real Lambda Runtime API, served on its own 127.0.0.1 listener. Callers (the gateway, the
//! Invoke API, `lambdagate invoke`) only see [`FunctionService::invoke`].
//!
//! Modules: [`runtime_api`] (one listener per instance), `instance` (process, group, kill),
//! `pool` (warm instances, queue, concurrency), [`environment`], [`logs`], [`invoke_api`] (the
//! Lambda Invoke API server), [`bootstraps`], [`errors`].

pub mod bootstraps;
pub mod environment;
pub mod errors;
mod instance;
pub mod invoke_api;
pub mod logs;
pub mod output;
mod pool;
pub mod resolve;
pub mod runtime_api;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use lambdagate_model::{Application, Function};
use tokio::sync::oneshot;

pub use logs::{LogLine, LogSink, LogStream};

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
    /// Instances a function starts at once for concurrent invocations (default: twice the
    /// core count); more start, up to the concurrency cap, only for invocations that wait
    /// longer than `scale_up_after` for a busy instance. Keeps short functions from
    /// over-subscribing a small machine while long ones still run side by side.
    pub burst_instances: usize,
    /// How long an invocation waits for a busy instance before another instance starts.
    pub scale_up_after: Duration,
    /// Invocations waiting for an instance, per function, before callers are throttled.
    pub queue_depth: usize,
    /// An idle instance is stopped after this long.
    pub idle_timeout: Duration,
    /// Start one instance per function at startup (`--warm-containers EAGER`).
    pub eager: bool,
    /// Receives every function log line as it is produced (e.g. to print it); `None` keeps
    /// lines only in the per-function ring.
    pub log_sink: Option<LogSink>,
    /// Log lines kept per function (the ring behind [`FunctionService::logs`]).
    pub log_lines_per_function: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            region: lambdagate_model::DEFAULT_REGION.to_string(),
            env_overrides: serde_json::Map::new(),
            default_max_concurrency: 16,
            burst_instances: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .saturating_mul(2),
            scale_up_after: Duration::from_millis(10),
            queue_depth: 256,
            idle_timeout: Duration::from_secs(600),
            eager: false,
            log_sink: None,
            log_lines_per_function: 2000,
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
    /// One pool per function, in the application's order.
    pools: Vec<Arc<pool::Pool>>,
    closed: AtomicBool,
}

impl FunctionService {
    /// Prepares the service for an application (starting instances now only when `eager`).
    pub async fn start(
        app: Arc<Application>,
        config: ServiceConfig,
    ) -> Result<Arc<FunctionService>, InvokeError> {
        let bootstraps = bootstraps::Bootstraps::installed();
        let pools = app
            .functions
            .iter()
            .map(|f| {
                let function = Arc::new(f.clone());
                let program = instance::program_for(f, bootstraps.clone());
                let runtime_dir = bootstraps.as_ref().ok().map(|b| b.dir.as_path());
                let launch = instance::Launch {
                    env: environment::base(f, &config, runtime_dir),
                    program,
                };
                let logs = Arc::new(logs::LogRing::new(
                    f.function_name.as_str().into(),
                    config.log_lines_per_function,
                    config.log_sink.clone(),
                ));
                let cap = f
                    .reserved_concurrency
                    .unwrap_or(config.default_max_concurrency);
                pool::Pool::new(
                    function,
                    launch,
                    logs,
                    pool::Scaling {
                        max_concurrency: cap as usize,
                        burst: config.burst_instances,
                        scale_up_after: config.scale_up_after,
                        queue_depth: config.queue_depth,
                        idle_timeout: config.idle_timeout,
                    },
                )
            })
            .collect::<Vec<_>>();
        let service = Arc::new(FunctionService {
            app,
            config,
            pools,
            closed: AtomicBool::new(false),
        });
        if service.config.eager {
            for pool in &service.pools {
                pool.prewarm();
            }
        }
        Ok(service)
    }

    /// The application being served.
    pub fn application(&self) -> &Arc<Application> {
        &self.app
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The function a caller means (logical id, name, `name:qualifier` or ARN). Only the
    /// unpublished version exists locally, so any qualifier but `$LATEST` is not found.
    pub fn function(&self, name: &str) -> Result<&Function, InvokeError> {
        self.pool(name).map(|p| &*p.function)
    }

    fn pool(&self, name: &str) -> Result<&Arc<pool::Pool>, InvokeError> {
        let resolved = resolve::resolve(&self.app, name).map_err(InvokeError::FunctionNotFound)?;
        if let Some(q) = resolved.qualifier.as_deref()
            && q != "$LATEST"
        {
            let f = &self.app.functions[resolved.index];
            return Err(InvokeError::FunctionNotFound(resolve::arn_of(
                &self.app,
                &f.function_name,
                Some(q),
            )));
        }
        Ok(&self.pools[resolved.index])
    }

    /// Invokes a function (by logical id, function name or ARN) and waits for its answer.
    ///
    /// Dropping the returned future abandons the wait but not the invocation: the instance
    /// finishes (or times out) on its own, as on Lambda when API Gateway gives up.
    pub async fn invoke(
        &self,
        function: &str,
        invocation: Invocation,
    ) -> Result<InvocationResult, InvokeError> {
        let pool = self.pool(function)?;
        self.invoke_pool(pool, invocation).await
    }

    /// Invokes the function at `index` of the application's functions (a caller that resolved
    /// the function once, at load time, such as the gateway).
    pub async fn invoke_at(
        &self,
        index: usize,
        invocation: Invocation,
    ) -> Result<InvocationResult, InvokeError> {
        let Some(pool) = self.pools.get(index) else {
            return Err(InvokeError::FunctionNotFound(format!(
                "function #{index} of the application"
            )));
        };
        self.invoke_pool(pool, invocation).await
    }

    async fn invoke_pool(
        &self,
        pool: &Arc<pool::Pool>,
        mut invocation: Invocation,
    ) -> Result<InvocationResult, InvokeError> {
        if invocation.payload.len() > errors::MAX_REQUEST_BYTES {
            return Err(InvokeError::RequestTooLarge {
                limit: errors::MAX_REQUEST_BYTES,
            });
        }
        let request_id: Arc<str> = match invocation.request_id.take() {
            Some(id) => id.into(),
            None => errors::new_request_id().into(),
        };
        let (reply, answer) = oneshot::channel();
        pool.submit(instance::Job {
            request_id: request_id.clone(),
            invocation,
            reply,
            submitted: std::time::Instant::now(),
        })?;
        match answer.await {
            Ok(outcome) => Ok(InvocationResult {
                request_id: request_id.to_string(),
                outcome,
            }),
            Err(_) if self.closed.load(Ordering::Relaxed) => Err(InvokeError::ShuttingDown),
            Err(_) => Err(InvokeError::Unavailable(
                "the function instance stopped before answering".to_string(),
            )),
        }
    }

    /// The last log lines of a function, oldest first (empty for an unknown function).
    pub fn logs(&self, function: &str) -> Vec<LogLine> {
        self.pool(function)
            .map(|p| p.logs.recent())
            .unwrap_or_default()
    }

    /// The kept log text of one invocation (START to REPORT), for `X-Amz-Log-Type: Tail`.
    pub fn log_text(&self, function: &str, request_id: &str) -> String {
        self.pool(function)
            .map(|p| p.logs.text_of(request_id))
            .unwrap_or_default()
    }

    /// Instances of a function started and not yet exited.
    pub fn live_instances(&self, function: &str) -> usize {
        self.pool(function).map(|p| p.live()).unwrap_or(0)
    }

    /// Process ids of every running instance (for diagnostics and tests).
    pub fn instance_pids(&self) -> Vec<u32> {
        self.pools.iter().flat_map(|p| p.pids()).collect()
    }

    /// Stops taking work, lets in-flight invocations finish within `grace`, stops every instance.
    pub async fn shutdown(&self, grace: Duration) {
        self.closed.store(true, Ordering::Relaxed);
        for pool in &self.pools {
            pool.close();
        }
        let deadline = tokio::time::Instant::now() + grace;
        for pool in &self.pools {
            pool.drain(deadline).await;
        }
        for pool in &self.pools {
            pool.stop_all().await;
        }
    }
}

impl Drop for FunctionService {
    fn drop(&mut self) {
        // Without a shutdown, instances still go: their supervisors kill their groups.
        for pool in &self.pools {
            pool.close();
            pool.stop_all_now();
        }
    }
}
