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
mod process_tree;
pub mod resolve;
pub mod runtime_api;
pub mod sdk;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use std::time::Duration;

use bytes::Bytes;
use lambdagate_model::{Application, Function, RuntimeFamily};
use tokio::sync::oneshot;

pub use logs::{LogLine, LogSink, LogStream};

/// A debugged function's timeout: a day, for a debugger paused at a breakpoint.
const DEBUG_TIMEOUT_SECS: u32 = 86_400;

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
    /// Instances a function run by our own bootstraps (Python, Node.js) starts at once for
    /// concurrent invocations (default: the core count); more start, up to the concurrency
    /// cap, only for invocations that wait longer than `scale_up_after` for a busy instance.
    /// Keeps short functions from over-subscribing a small machine while long ones still run
    /// side by side. One per core is enough for these runtimes because a quick function's
    /// next event is sent ahead and a busy instance never sleeps between invocations (see
    /// "Events ahead" in docs/design-notes.md).
    pub burst_instances: usize,
    /// The same for runtimes with their own Runtime API client over HTTP (`provided*`, and
    /// our bootstraps when functions run as `--function-user`) (default: twice the core
    /// count): between two invocations such an instance waits for a round trip through the
    /// gateway, so a core needs two of them to stay busy.
    pub burst_instances_http: usize,
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
    /// Bytes of log text kept per function (the ring drops its oldest lines beyond this).
    pub log_bytes_per_function: usize,
    /// `--memory`: every function's memory size in MB, instead of the template's.
    pub memory_mb: Option<u32>,
    /// `--container-env-vars`: variables added to functions' environments (per function, and
    /// `Parameters` for all), declared in the template or not.
    pub container_env: serde_json::Map<String, serde_json::Value>,
    /// `--aws-endpoint`: `AWS_ENDPOINT_URL` for every function.
    pub aws_endpoint: Option<String>,
    /// The AWS profile's credentials (`--profile`, or `AWS_PROFILE`/`default` when the
    /// environment has no keys of its own), given to every function.
    pub credentials: Option<Credentials>,
    /// `--debug-port` and company: the functions whose instances wait for a debugger.
    pub debugging: Option<Debugging>,
    /// Run as `sam local` does (the `local` commands): functions get `AWS_SAM_LOCAL=true`, and
    /// the shell's value of a variable the template declares overrides the template's.
    pub sam_local: bool,
    /// `--function-user`: run function processes as this user (a name or uid; only root can).
    pub function_user: Option<String>,
    /// Lambda's limit on an instance's init (10 s). An init past it is retried within the
    /// first invocation, bounded by the function's Timeout ("suppressed init").
    pub init_limit: Duration,
    /// A runtime of ours that answered its last invocation within this long is sent the next
    /// queued one ahead, while it runs the current one (see "Events ahead" in
    /// docs/design-notes.md); zero never sends ahead.
    pub ahead_below: Duration,
}

/// AWS credentials given to functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ServiceConfig {
            region: lambdagate_model::DEFAULT_REGION.to_string(),
            env_overrides: serde_json::Map::new(),
            default_max_concurrency: 16,
            burst_instances: cores,
            burst_instances_http: cores.saturating_mul(2),
            scale_up_after: Duration::from_millis(10),
            queue_depth: 256,
            idle_timeout: Duration::from_secs(600),
            eager: false,
            log_sink: None,
            log_lines_per_function: 2000,
            log_bytes_per_function: logs::DEFAULT_RING_BYTES,
            memory_mb: None,
            container_env: serde_json::Map::new(),
            aws_endpoint: None,
            credentials: None,
            function_user: None,
            sam_local: false,
            debugging: None,
            init_limit: Duration::from_secs(10),
            ahead_below: Duration::from_millis(2),
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

/// Runs the functions of one application, and of the next one after a reload.
pub struct FunctionService {
    config: ArcSwap<ServiceConfig>,
    /// The application and one pool per function, in the application's order; replaced
    /// whole by [`FunctionService::reload`].
    current: ArcSwap<Functions>,
    /// Reloads so far: names the Python bytecode folder of pools started by a reload.
    generation: AtomicU64,
    /// Pools a reload replaced, until their instances have stopped.
    retiring: std::sync::Mutex<Vec<Arc<pool::Pool>>>,
    closed: AtomicBool,
}

/// An application with the pools that run its functions.
struct Functions {
    app: Arc<Application>,
    pools: Vec<Arc<pool::Pool>>,
}

/// What a reload did to the functions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    /// Functions new in the application.
    pub added: Vec<String>,
    /// Functions whose code or settings changed: their warm instances are replaced.
    pub restarted: Vec<String>,
    /// Functions no longer in the application.
    pub removed: Vec<String>,
    /// Functions that kept their warm instances.
    pub kept: usize,
}

impl ReloadSummary {
    /// Whether any function changed.
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.restarted.is_empty() && self.removed.is_empty())
    }
}

impl FunctionService {
    /// Prepares the service for an application (starting instances now only when `eager`).
    pub async fn start(
        app: Arc<Application>,
        config: ServiceConfig,
    ) -> Result<Arc<FunctionService>, InvokeError> {
        if let Some(name) = &config.function_user {
            environment::function_user(name).map_err(InvokeError::Unavailable)?;
        }
        // What wraps an instance's program is found out by running it once; done now, in the
        // background, so that the first cold start does not pay for it.
        if !app.functions.is_empty() {
            tokio::task::spawn_blocking(instance::find_wrappers);
        }
        let pools = app
            .functions
            .iter()
            .map(|f| new_pool(f, &config, None))
            .collect::<Vec<_>>();
        let service = Arc::new(FunctionService {
            config: ArcSwap::from_pointee(config),
            current: ArcSwap::from_pointee(Functions { app, pools }),
            generation: AtomicU64::new(0),
            retiring: std::sync::Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        });
        if service.config.load().eager {
            for pool in &service.current.load().pools {
                pool.prewarm();
            }
        }
        Ok(service)
    }

    /// Serves `app` from the next invocation on, with `env_overrides` (a changed `--env-vars`
    /// file) when given. A function keeps its warm instances when it would start exactly as
    /// before (same settings and environment) and `code_changed` says its code is the same;
    /// otherwise its instances are drained (invocations in flight finish on the old code) and
    /// stopped, and the next invocation starts a new one. Must run inside the tokio runtime.
    pub fn reload(
        &self,
        app: Arc<Application>,
        env_overrides: Option<serde_json::Map<String, serde_json::Value>>,
        code_changed: &dyn Fn(&Function) -> bool,
    ) -> ReloadSummary {
        if let Some(overrides) = env_overrides {
            let mut config = (**self.config.load()).clone();
            config.env_overrides = overrides;
            self.config.store(Arc::new(config));
        }
        let config = self.config.load_full();
        let old = self.current.load_full();
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let mut summary = ReloadSummary::default();
        let mut kept = vec![false; old.pools.len()];
        let pools = app
            .functions
            .iter()
            .map(|f| {
                let previous = old
                    .pools
                    .iter()
                    .position(|p| p.function.logical_id == f.logical_id);
                let fresh = new_pool(f, &config, Some(generation));
                match previous {
                    Some(i)
                        if same_settings(&old.pools[i].function, &fresh.function)
                            && same_env(&old.pools[i].launch.env, &fresh.launch.env)
                            && !code_changed(f) =>
                    {
                        kept[i] = true;
                        summary.kept += 1;
                        old.pools[i].clone()
                    }
                    Some(_) => {
                        summary.restarted.push(f.logical_id.clone());
                        fresh
                    }
                    None => {
                        summary.added.push(f.logical_id.clone());
                        fresh
                    }
                }
            })
            .collect::<Vec<_>>();
        self.current.store(Arc::new(Functions { app, pools }));
        for (pool, kept) in old.pools.iter().zip(kept) {
            if kept {
                continue;
            }
            if !summary.restarted.contains(&pool.function.logical_id) {
                summary.removed.push(pool.function.logical_id.clone());
            }
            self.retire(pool.clone());
        }
        if config.eager {
            let current = self.current.load();
            for pool in &current.pools {
                pool.prewarm();
            }
        }
        summary
    }

    /// The application being served.
    pub fn application(&self) -> Arc<Application> {
        self.current.load().app.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<ServiceConfig> {
        self.config.load_full()
    }

    /// The function a caller means (logical id, name, `name:qualifier` or ARN). Only the
    /// unpublished version exists locally, so any qualifier but `$LATEST` is not found.
    pub fn function(&self, name: &str) -> Result<Arc<Function>, InvokeError> {
        self.pool(name).map(|p| p.function.clone())
    }

    fn pool(&self, name: &str) -> Result<Arc<pool::Pool>, InvokeError> {
        let current = self.current.load();
        let resolved =
            resolve::resolve(&current.app, name).map_err(InvokeError::FunctionNotFound)?;
        if let Some(q) = resolved.qualifier.as_deref()
            && q != "$LATEST"
        {
            let f = &current.app.functions[resolved.index];
            return Err(InvokeError::FunctionNotFound(resolve::arn_of(
                &current.app,
                &f.function_name,
                Some(q),
            )));
        }
        Ok(current.pools[resolved.index].clone())
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
        self.invoke_pool(&pool, invocation).await
    }

    /// Invokes the function at `index` of the application's functions (a caller that resolved
    /// the function once, at load time, such as the gateway).
    ///
    /// `logical_id` guards against a reload between resolving and invoking: when the function
    /// at `index` is no longer that one, it is looked up by name.
    pub async fn invoke_at(
        &self,
        index: usize,
        logical_id: &str,
        invocation: Invocation,
    ) -> Result<InvocationResult, InvokeError> {
        let pool = {
            let current = self.current.load();
            match current.pools.get(index) {
                Some(pool) if pool.function.logical_id == logical_id => pool.clone(),
                _ => {
                    drop(current);
                    self.pool(logical_id)?
                }
            }
        };
        self.invoke_pool(&pool, invocation).await
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
        let job = instance::Job {
            request_id: request_id.clone(),
            invocation,
            reply,
            submitted: std::time::Instant::now(),
        };
        let mut pool = pool.clone();
        let mut job = job;
        // A reload can retire the pool between lookup and submit: its successor takes the job.
        // Each round needs another reload to land in that short window, so this ends.
        loop {
            match pool.submit(job) {
                Ok(()) => break,
                Err(pool::Submit::Refused(e)) => return Err(e),
                Err(pool::Submit::Closed(returned)) => {
                    if self.closed.load(Ordering::Relaxed) {
                        return Err(InvokeError::ShuttingDown);
                    }
                    let successor = self.pool(&pool.function.logical_id)?;
                    if Arc::ptr_eq(&successor, &pool) {
                        return Err(InvokeError::ShuttingDown);
                    }
                    pool = successor;
                    job = *returned;
                }
            }
        }
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

    /// How many of a function's events were sent ahead to a busy runtime (see
    /// [`ServiceConfig::ahead_below`]); a counter for tests and benchmarks.
    pub fn events_sent_ahead(&self, function: &str) -> u64 {
        self.pool(function).map(|p| p.sent_ahead()).unwrap_or(0)
    }

    /// The most events one runtime of a function has had ahead at once; a counter for tests.
    pub fn events_ahead_at_once(&self, function: &str) -> usize {
        self.pool(function).map(|p| p.deepest_ahead()).unwrap_or(0)
    }

    /// Instances of a function started and not yet exited.
    pub fn live_instances(&self, function: &str) -> usize {
        self.pool(function).map(|p| p.live()).unwrap_or(0)
    }

    /// Process ids of every running instance (for diagnostics and tests), retiring ones too.
    pub fn instance_pids(&self) -> Vec<u32> {
        let current = self.current.load();
        let retiring = self.retiring_pools();
        current
            .pools
            .iter()
            .chain(retiring.iter())
            .flat_map(|p| p.pids())
            .collect()
    }

    /// Closes a pool a reload replaced: invocations in flight finish (up to the function's
    /// timeout), then its instances stop.
    fn retire(&self, pool: Arc<pool::Pool>) {
        pool.close();
        let mut retiring = self.lock_retiring();
        retiring.retain(|p| p.live() > 0);
        retiring.push(pool.clone());
        drop(retiring);
        let grace = Duration::from_secs(u64::from(pool.function.timeout_secs.max(1)) + 1);
        tokio::spawn(async move {
            pool.drain(tokio::time::Instant::now() + grace).await;
            pool.stop_all().await;
        });
    }

    fn retiring_pools(&self) -> Vec<Arc<pool::Pool>> {
        self.lock_retiring().clone()
    }

    fn lock_retiring(&self) -> std::sync::MutexGuard<'_, Vec<Arc<pool::Pool>>> {
        self.retiring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops taking work, lets in-flight invocations finish within `grace`, stops every instance.
    pub async fn shutdown(&self, grace: Duration) {
        self.closed.store(true, Ordering::Relaxed);
        let current = self.current.load_full();
        let pools: Vec<Arc<pool::Pool>> = current
            .pools
            .iter()
            .cloned()
            .chain(self.retiring_pools())
            .collect();
        for pool in &pools {
            pool.close();
        }
        let deadline = tokio::time::Instant::now() + grace;
        for pool in &pools {
            pool.drain(deadline).await;
        }
        for pool in &pools {
            pool.stop_all().await;
        }
        // Only reloads create it; nothing else of ours is in it.
        let _ = std::fs::remove_dir_all(environment::bytecode_root());
    }
}

impl Drop for FunctionService {
    fn drop(&mut self) {
        // Without a shutdown, instances still go: their supervisors kill their groups.
        let current = self.current.load();
        for pool in current.pools.iter().chain(self.retiring_pools().iter()) {
            pool.close();
            pool.stop_all_now();
        }
    }
}

/// Debugging as `sam local -d PORT` sets it up: the debugged functions' interpreters start with
/// the debugger's options, one instance at a time (one port), without a timeout.
#[derive(Debug, Clone, Default)]
pub struct Debugging {
    /// The port the debugger attaches to.
    pub port: u16,
    /// `--debug-args`: the interpreter's options in place of the default (Node:
    /// `--inspect-brk=127.0.0.1:PORT`; Python: none, e.g. `-m debugpy --listen
    /// 127.0.0.1:5858 --wait-for-client`).
    pub args: Option<String>,
    /// `--debugger-path`: a folder put on the Python path (where `debugpy` is installed).
    pub debugger_path: Option<PathBuf>,
    /// `--debug-function` (a logical id or function name); every function when `None`.
    pub function: Option<String>,
}

impl Debugging {
    /// Whether `function` is debugged.
    pub fn applies_to(&self, function: &Function) -> bool {
        self.function.as_deref().is_none_or(|name| {
            name == function.logical_id
                || name == function.function_name
                || name == function.stack_logical_id()
        })
    }

    /// The interpreter options that start the debugger for a function of `family`.
    pub fn options(&self, family: RuntimeFamily) -> Vec<String> {
        match (&self.args, family) {
            (Some(args), _) => args.split_whitespace().map(str::to_string).collect(),
            (None, RuntimeFamily::Node) => vec![format!("--inspect-brk=127.0.0.1:{}", self.port)],
            (None, _) => Vec::new(),
        }
    }
}

/// A pool for `function`; `generation` is set for pools a reload starts.
fn new_pool(
    function: &Function,
    config: &ServiceConfig,
    generation: Option<u64>,
) -> Arc<pool::Pool> {
    let mut function = function.clone();
    if let Some(memory_mb) = config.memory_mb {
        function.memory_mb = memory_mb;
    }
    let debugging = config
        .debugging
        .as_ref()
        .filter(|d| d.applies_to(&function));
    if debugging.is_some() {
        // Paused at a breakpoint, the function must not be stopped by its own timeout.
        function.timeout_secs = DEBUG_TIMEOUT_SECS;
    }
    let function = &function;
    let bootstraps = bootstraps::Bootstraps::installed();
    let mut program = instance::program_for(function, bootstraps.clone());
    if let (Some(debugging), instance::Program::Bootstrap { options, .. }) =
        (debugging, &mut program)
    {
        options.extend(debugging.options(function.family));
    }
    let runtime_dir = bootstraps.as_ref().ok().map(|b| b.dir.as_path());
    let mut env = environment::base(function, config, runtime_dir);
    if let Some(path) = debugging.and_then(|d| d.debugger_path.as_ref()) {
        environment::prepend_path(&mut env, "PYTHONPATH", path);
    }
    if let Some(generation) = generation {
        environment::fresh_bytecode(&mut env, function, generation);
    }
    let logs = Arc::new(logs::LogRing::new(
        function.function_name.as_str().into(),
        config.log_lines_per_function,
        config.log_bytes_per_function,
        config.log_sink.clone(),
    ));
    let cap = match debugging {
        // One debugger port: one instance.
        Some(_) => 1,
        None => function
            .reserved_concurrency
            .unwrap_or(config.default_max_concurrency),
    };
    // Checked by `start`; a user that went away since makes the function unavailable rather
    // than run as us.
    let (user, program) = match config
        .function_user
        .as_deref()
        .map(environment::function_user)
    {
        None => (None, program),
        Some(Ok(user)) => (Some(user), program),
        Some(Err(why)) => (None, instance::Program::Unavailable(why)),
    };
    let launch = instance::Launch { env, program, user };
    let burst = if launch.speaks_frames() {
        config.burst_instances
    } else {
        config.burst_instances_http
    };
    pool::Pool::new(
        Arc::new(function.clone()),
        launch,
        logs,
        pool::Scaling {
            max_concurrency: cap as usize,
            burst,
            scale_up_after: config.scale_up_after,
            queue_depth: config.queue_depth,
            idle_timeout: config.idle_timeout,
            init_limit: config.init_limit,
            ahead_below: config.ahead_below,
        },
    )
}

/// Whether two instance environments are the same but for the bytecode folder, which every
/// reload's pools get anew.
fn same_env(old: &[(String, String)], new: &[(String, String)]) -> bool {
    let relevant = |env: &[(String, String)]| {
        env.iter()
            .filter(|(k, _)| k != "PYTHONPYCACHEPREFIX")
            .cloned()
            .collect::<Vec<_>>()
    };
    relevant(old) == relevant(new)
}

/// Whether two versions of a function run the same way: everything an instance is started
/// with. Events, routes and where the function is written in the template do not count.
fn same_settings(old: &Function, new: &Function) -> bool {
    old.function_name == new.function_name
        && old.arn == new.arn
        && old.runtime == new.runtime
        && old.handler == new.handler
        && old.code_dir == new.code_dir
        && old.environment == new.environment
        && old.timeout_secs == new.timeout_secs
        && old.memory_mb == new.memory_mb
        && old.layers == new.layers
        && old.reserved_concurrency == new.reserved_concurrency
        && old.architectures == new.architectures
}
