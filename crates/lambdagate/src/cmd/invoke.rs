//! `lambdagate invoke`: run one function once; its result on stdout, its logs on stderr.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use lambdagate_lambda::{FunctionService, Invocation, LogSink, Outcome};

use crate::cli::InvokeArgs;

/// Runs one function once. `local`: as `sam local invoke` (the function's environment as
/// `sam local` makes it, and exit status 0 when the function fails, as `sam local invoke` and
/// `aws lambda invoke` exit); otherwise a failing function exits 1, so a script can tell (its
/// error document is printed either way).
pub fn run(args: InvokeArgs, local: bool) -> anyhow::Result<ExitCode> {
    args.runtime.sam_compat.check_inputs()?;
    let mut app = crate::load::application(&args.template)?;
    let function = match (&args.function, app.functions.as_slice()) {
        // A `serverless.yml` key names its function by its logical id from here on.
        (Some(name), functions) => match app.function_index_for_cli(name) {
            Some(i) => functions[i].logical_id.clone(),
            None => name.clone(),
        },
        (None, [only]) => only.logical_id.clone(),
        (None, functions) => {
            let names: Vec<&str> = functions.iter().map(|f| f.logical_id.as_str()).collect();
            bail!(
                "the template has {} functions; name the one to invoke: {}",
                functions.len(),
                names.join(", ")
            )
        }
    };
    if let Some(f) = app.unavailable_function(&function) {
        bail!(
            "{}: function `{}` uses runtime `{}`, which lambdagate cannot run",
            f.source,
            f.logical_id,
            f.runtime
        );
    }
    if app.function(&function).is_none() {
        let names: Vec<&str> = app
            .functions
            .iter()
            .map(|f| f.logical_id.as_str())
            .collect();
        bail!(
            // `sam local invoke`'s words ("… not found in template"), which scripts look for.
            "function `{function}` not found in template {}; functions: {}",
            app.template.display(),
            names.join(", ")
        );
    }
    if let Some(runtime) = &args.runtime_override {
        let family = lambdagate_model::RuntimeFamily::of(runtime).ok_or_else(|| {
            anyhow!(
                "--runtime {runtime}: not a runtime lambdagate runs ({})",
                lambdagate_model::SUPPORTED_RUNTIMES.join(", ")
            )
        })?;
        if let Some(f) = app
            .functions
            .iter_mut()
            .find(|f| f.logical_id == function || f.function_name == function)
        {
            f.runtime = runtime.clone();
            f.family = family;
        }
    }
    if args.tenant_id.is_some() {
        eprintln!("note: --tenant-id has no effect: functions are not tenant-isolated here");
    }
    let app = Arc::new(app);
    let event = read_event(&args, local)?;
    let mut config =
        crate::service::config(&args.runtime, args.template.profile.as_deref(), &app.region)?;
    config.sam_local = local;
    // One function: its lines go to stderr as the function printed them.
    // Runtimes join a multi-line record with \r so it stays one log event; show it as lines.
    config.log_sink = Some(LogSink::new(|line| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            line.text.replace('\r', "\n")
        );
    }));
    let runtime = crate::service::runtime()?;
    runtime.block_on(async move {
        let signals = crate::shutdown::Signals::install();
        crate::service::report_host_runtimes(app.clone()).await;
        crate::service::prepare_sdks_or_stop(&app).await?;
        let service = FunctionService::start(app.clone(), config)
            .await
            .map_err(|e| anyhow!("cannot start the function service: {e}"))?;
        let invocation = Invocation {
            payload: event,
            ..Default::default()
        };
        let result = tokio::select! {
            result = service.invoke(&function, invocation) => result,
            _ = signals.recv() => {
                service.shutdown(Duration::ZERO).await;
                bail!("interrupted");
            }
        };
        service.shutdown(Duration::from_secs(1)).await;
        let result = result.map_err(|e| anyhow!("{e}"))?;
        let mut out = std::io::stdout().lock();
        match result.outcome {
            Outcome::Response(body) => {
                out.write_all(&body)?;
                writeln!(out)?;
                Ok(ExitCode::SUCCESS)
            }
            Outcome::Error { payload, .. } => {
                out.write_all(&payload)?;
                writeln!(out)?;
                Ok(if local {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
        }
    })
}

/// The event: `--no-event` is `{}`; `-e FILE` reads the file; `-e -` or nothing reads stdin.
/// The event: `-e FILE`, `-e -` (standard input), `--no-event` (`{}`); without any, standard
/// input for `lambdagate invoke` and `{}` for `local invoke`, as `sam local invoke` does (a
/// script that never closes its standard input must not hang).
fn read_event(args: &InvokeArgs, local: bool) -> anyhow::Result<Bytes> {
    if args.no_event || (local && args.event.is_none()) {
        return Ok(Bytes::from_static(b"{}"));
    }
    let (text, source) = match args.event.as_deref() {
        Some(path) if path.as_os_str() != "-" => (
            std::fs::read(path)
                .with_context(|| format!("cannot read the event file {}", path.display()))?,
            path.display().to_string(),
        ),
        _ => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!(
                    "Reading the event from standard input (end with Ctrl-D; or pass -e FILE / --no-event)"
                );
            }
            let mut buf = Vec::new();
            stdin
                .read_to_end(&mut buf)
                .context("cannot read the event from standard input")?;
            (buf, "standard input".to_string())
        }
    };
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(Bytes::from_static(b"{}"));
    }
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&text) {
        bail!("the event from {source} is not JSON: {e}");
    }
    Ok(Bytes::from(text))
}
