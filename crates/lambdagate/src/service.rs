//! The function service's settings, from the command line flags every serving command shares.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lambdagate_lambda::ServiceConfig;
use lambdagate_model::Application;

use crate::cli::{LogFormat, RuntimeArgs, WarmContainers};

/// The function service settings from the command line; `profile` is `--profile`.
pub fn config(
    args: &RuntimeArgs,
    profile: Option<&str>,
    region: &str,
) -> anyhow::Result<ServiceConfig> {
    let env_overrides = match &args.env_vars {
        None => serde_json::Map::new(),
        Some(path) => env_overrides(path)?,
    };
    let compat = &args.sam_compat;
    let without_effect = compat.without_effect();
    if !without_effect.is_empty() {
        eprintln!(
            "note: {} {} no effect: lambdagate runs functions as processes, without Docker",
            without_effect.join(", "),
            if without_effect.len() == 1 {
                "has"
            } else {
                "have"
            }
        );
    }
    let container_env = match &compat.container_env_vars {
        None => serde_json::Map::new(),
        Some(path) => self::env_overrides(path)?,
    };
    let credentials = crate::profile::Selected::new(profile).credentials()?;
    let debugging = debugging(compat)?;
    Ok(ServiceConfig {
        region: region.to_string(),
        memory_mb: compat.memory,
        container_env,
        aws_endpoint: args.aws_endpoint.clone(),
        credentials,
        env_overrides,
        default_max_concurrency: args.max_concurrency.max(1),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        eager: args.warm_containers == Some(WarmContainers::Eager),
        function_user: args.function_user.clone(),
        debugging,
        ..ServiceConfig::default()
    })
}

/// `--debug-port` and the flags that go with it.
fn debugging(
    compat: &crate::cli::SamCompatArgs,
) -> anyhow::Result<Option<lambdagate_lambda::Debugging>> {
    let Some(port) = compat.debug_port.first() else {
        if compat.debug_args.is_some()
            || compat.debugger_path.is_some()
            || compat.debug_function.is_some()
        {
            eprintln!(
                "note: --debug-args, --debugger-path and --debug-function have no effect \
                 without --debug-port"
            );
        }
        return Ok(None);
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| anyhow::anyhow!("--debug-port must be a port number, not `{port}`"))?;
    eprintln!(
        "Debugging {} on 127.0.0.1:{port}: one instance at a time, without a timeout{}",
        compat
            .debug_function
            .as_deref()
            .map_or_else(|| "every function".to_string(), |f| format!("function {f}")),
        if compat.debug_args.is_some() {
            ""
        } else {
            " (Node.js waits for a debugger to attach; Python needs --debug-args, e.g. \
             \"-m debugpy --listen 127.0.0.1:PORT --wait-for-client\")"
        }
    );
    Ok(Some(lambdagate_lambda::Debugging {
        port,
        args: compat.debug_args.clone(),
        debugger_path: compat.debugger_path.clone(),
        function: compat.debug_function.clone(),
    }))
}

/// The `--env-vars` file's overrides.
pub fn env_overrides(
    path: &std::path::Path,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --env-vars file {}", path.display()))?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => anyhow::bail!("{}: expected a JSON object", path.display()),
        Err(e) => anyhow::bail!("{}: {e}", path.display()),
    }
}

/// Says which host interpreter serves which runtime of the template, warning on a different
/// major version or a missing interpreter.
pub async fn report_host_runtimes(app: Arc<Application>) {
    for host in lambdagate_lambda::bootstraps::host_runtimes(&app).await {
        // One line a runtime: the warning already names the interpreter and its version.
        match (&host.warning, &host.version) {
            (Some(warning), _) => eprintln!("warning: {warning}"),
            (None, Some(v)) => match &host.executable {
                // The program on PATH can be a version manager's shim: name the interpreter.
                Some(exe) if exe.as_os_str() != host.program.as_str() => eprintln!(
                    "{} is served by {} {v} ({})",
                    host.runtime,
                    host.program,
                    exe.display()
                ),
                _ => eprintln!("{} is served by {} {v}", host.runtime, host.program),
            },
            (None, None) => eprintln!("{} has no interpreter ({})", host.runtime, host.program),
        }
    }
}

/// The async runtime of a serving command: one worker thread for every two cores (at least
/// one), or as many as `LAMBDAGATE_WORKER_THREADS` (or tokio's own `TOKIO_WORKER_THREADS`)
/// says.
///
/// The gateway shares the machine with the function instances and the client: of the CPU a
/// Lambda request costs, the gateway's part is well under half. A worker per core meant that
/// both ends of an invocation (the client's connection and the runtime's) often ran on
/// different workers, and each hand-over woke the other worker with a futex. Measured on 2
/// cores at 16 connections: one worker instead of two took the gateway's CPU per request from
/// about 55 to 50 µs at the same throughput (see "Gateway CPU per request" in
/// docs/design-notes.md).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let configured = ["LAMBDAGATE_WORKER_THREADS", "TOKIO_WORKER_THREADS"]
        .iter()
        .find_map(|name| std::env::var(name).ok().map(|value| (*name, value)));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    match configured {
        Some((name, value)) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => builder.worker_threads(n),
            _ => anyhow::bail!("{name} must be a positive number, not {value:?}"),
        },
        None => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            builder.worker_threads((cores / 2).max(1))
        }
    };
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// What every serving command does first: starts the function service, binds the listener,
/// and reports the host interpreters in the background (checking their versions takes tens
/// of milliseconds, which readiness need not wait for).
pub async fn start(
    app: &Arc<Application>,
    config: ServiceConfig,
    host: &str,
    port: u16,
) -> anyhow::Result<(
    Arc<lambdagate_lambda::FunctionService>,
    tokio::net::TcpListener,
    std::net::SocketAddr,
)> {
    tokio::spawn(report_host_runtimes(app.clone()));
    prepare_sdks_or_stop(app).await?;
    let endpoints = crate::provision::Endpoints::from_env(config.aws_endpoint.as_deref());
    crate::provision::run(app, &endpoints).await;
    let service = lambdagate_lambda::FunctionService::start(app.clone(), config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the function service: {e}"))?;
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    let address = listener.local_addr()?;
    Ok((service, listener, address))
}

/// Where function log lines go in the serving commands: standard error, as
/// `[function] [request id] text` lines, or one JSON object per line with `--log-format json`;
/// or the `--log-file`, in the same format.
pub fn log_sink(
    format: LogFormat,
    log_file: Option<&std::path::Path>,
) -> anyhow::Result<lambdagate_lambda::LogSink> {
    use lambdagate_lambda::{LogSink, LogStream};
    if let Some(path) = log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open --log-file {}", path.display()))?;
        let file = std::sync::Mutex::new(std::io::LineWriter::new(file));
        return Ok(LogSink::new(move |line| {
            use std::io::Write;
            let text = match format {
                LogFormat::Text => format!(
                    "[{}] [{}] {}",
                    line.function,
                    line.request_id.as_deref().unwrap_or("-"),
                    line.text.replace('\r', "\n")
                ),
                LogFormat::Json => serde_json::json!({
                    "time": lambdagate_lambda::errors::iso_time(line.time),
                    "type": "function",
                    "function": &*line.function,
                    "requestId": line.request_id.as_deref(),
                    "message": line.text,
                })
                .to_string(),
            };
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(file, "{text}");
        }));
    }
    Ok(match format {
        LogFormat::Text => LogSink::stderr(),
        LogFormat::Json => LogSink::new(|line| {
            let stream = match line.stream {
                LogStream::Stdout => "stdout",
                LogStream::Stderr => "stderr",
                LogStream::Platform => "platform",
            };
            let record = serde_json::json!({
                "time": lambdagate_lambda::errors::iso_time(line.time),
                "type": "function",
                "function": &*line.function,
                "requestId": line.request_id.as_deref(),
                "stream": stream,
                "message": line.text,
            });
            lambdagate_lambda::output::line(record.to_string());
        }),
    })
}

/// The line `sam local` prints on standard error once it serves, which scripts and test
/// suites wait for.
pub fn ready_line(scheme: &str, address: std::net::SocketAddr) {
    eprintln!("Running on {scheme}://{address}/ (Press CTRL+C to quit)");
}

/// Installs what functions import from Lambda's bundled SDKs and they do not carry (once per
/// package, into the cache), saying what was done.
pub async fn prepare_sdks(app: &Application) {
    for line in lambdagate_lambda::sdk::prepare(app).await {
        eprintln!("{line}");
    }
}

/// [`prepare_sdks`] before serving: Ctrl-C (or SIGTERM) while an install runs ends the command
/// at once, the installer with it, instead of waiting for the handlers that serving installs.
pub async fn prepare_sdks_or_stop(app: &Application) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        prepare_sdks(app).await;
        return Ok(());
    };
    tokio::select! {
        () = prepare_sdks(app) => Ok(()),
        _ = interrupt.recv() => anyhow::bail!("stopped while installing Lambda's bundled SDKs"),
        _ = terminate.recv() => anyhow::bail!("stopped while installing Lambda's bundled SDKs"),
    }
}
