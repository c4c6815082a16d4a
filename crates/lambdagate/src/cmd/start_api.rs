//! `lambdagate start-api` and `lambdagate local start-api`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use lambdagate_gateway::server::{AccessLog, AccessRecord, ServerConfig, serve};
use lambdagate_gateway::{Addressing, Backend, CompiledApp, Gateway, Snapshot, SystemClock};

use crate::cli::{LogFormat, StartApiArgs};

/// Serves every API of the template. `local` selects `sam local`'s defaults (no stage prefix).
pub fn run(args: StartApiArgs, local: bool) -> anyhow::Result<ExitCode> {
    let app = Arc::new(crate::load::application(&args.template)?);
    let stage_prefix = if local {
        args.stage_prefix
    } else {
        !args.no_stage_prefix
    };
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix })
        .map_err(|e| anyhow!("{}: {e}", app.template.display()))?;
    for warning in compiled.warnings() {
        eprintln!("warning: {warning}");
    }
    // A fixed seed makes canary choices reproducible (tests, demos); by default they are random.
    let seed = match std::env::var("LAMBDAGATE_CANARY_SEED") {
        Ok(text) => Some(
            text.parse::<u64>()
                .map_err(|_| anyhow!("LAMBDAGATE_CANARY_SEED must be a number, not `{text}`"))?,
        ),
        Err(_) => None,
    };
    let mut config = crate::service::config(&args.runtime, &app.region)?;
    config.log_sink = Some(crate::service::log_sink(args.template.log_format));
    let runtime = crate::service::runtime()?;
    runtime.block_on(async move {
        let signals = crate::shutdown::Signals::install();
        let (service, listener, address) =
            crate::service::start(&app, config, &args.listen.host, args.port).await?;
        print_routes(&compiled, &format!("http://{address}"));
        if !app.api_keys.is_empty() {
            // The values callers send as `x-api-key`; generated ones stay the same across starts.
            print!("{}", crate::cmd::routes::api_keys(&app));
        }
        let backend: Arc<dyn Backend> = service.clone();
        let gateway = Arc::new(Gateway::with_clock(
            Snapshot::new(compiled, seed),
            backend,
            Arc::new(SystemClock),
        ));
        println!("Listening on http://{address}");
        let _ = std::io::stdout().flush();
        serve(
            listener,
            gateway,
            ServerConfig::default(),
            access_log(args.template.log_format),
            signals.recv(),
        )
        .await;
        service.shutdown(Duration::from_secs(5)).await;
        lambdagate_lambda::output::flush();
        Ok(ExitCode::SUCCESS)
    })
}

fn print_routes(compiled: &CompiledApp, base: &str) {
    let mut out = std::io::stdout().lock();
    let rows = compiled.route_rows();
    if rows.is_empty() {
        let _ = writeln!(out, "No API routes in the template.");
        return;
    }
    let width = rows.iter().map(|r| r.method.len()).max().unwrap_or(3);
    let _ = writeln!(out, "Routes:");
    for row in rows {
        let _ = writeln!(
            out,
            "  {:width$}  {base}{}  -> {} ({})",
            row.method, row.path, row.target, row.api
        );
    }
    let domains = compiled.domain_rows();
    if !domains.is_empty() {
        // Reached on the same port, by `Host` (e.g. curl -H 'Host: api.example.com').
        let _ = writeln!(out, "Custom domains (by Host header, on this port):");
        for row in domains {
            let _ = writeln!(out, "  {row}");
        }
    }
}

fn access_log(format: LogFormat) -> AccessLog {
    if format == LogFormat::Json {
        return Arc::new(|r: &AccessRecord<'_>| {
            let record = serde_json::json!({
                "time": lambdagate_lambda::errors::iso_time(std::time::SystemTime::now()),
                "type": "request",
                "method": r.method,
                "path": r.target,
                "status": r.status,
                "latencyMs": (r.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
                "function": r.function,
                "requestId": r.request_id,
                "detail": r.detail,
            });
            lambdagate_lambda::output::line(record.to_string());
        });
    }
    let color = std::io::stderr().is_terminal();
    Arc::new(move |r: &AccessRecord<'_>| {
        let status = if color {
            let code = match r.status {
                200..=299 => "32",
                300..=399 => "36",
                400..=499 => "33",
                _ => "31",
            };
            format!("\x1b[{code}m{}\x1b[0m", r.status)
        } else {
            r.status.to_string()
        };
        let latency = r.latency.as_secs_f64() * 1000.0;
        let function = r.function.unwrap_or("-");
        let detail = r.detail.map(|d| format!(" ({d})")).unwrap_or_default();
        lambdagate_lambda::output::line(format!(
            "{} {} {status} {latency:.1}ms {function} {}{detail}",
            r.method, r.target, r.request_id
        ));
    })
}
