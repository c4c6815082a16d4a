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
pub fn run(mut args: StartApiArgs, local: bool) -> anyhow::Result<ExitCode> {
    args.runtime.sam_compat.check_inputs()?;
    // Found once: a reload reads the same file even while `sam build` or `serverless package`
    // has its folder away (both write theirs anew), and the watcher waits for it there.
    args.template.template = Some(crate::load::template_path(&args.template)?);
    let app = Arc::new(crate::load::application(&args.template)?);
    let stage_prefix = if local {
        args.stage_prefix
    } else {
        !args.no_stage_prefix
    };
    let addressing = Addressing { stage_prefix };
    // Read when integrations compile (reloads included), so set before the first compile.
    lambdagate_gateway::integration::http_client::set_private_targets(
        lambdagate_gateway::integration::http_client::PrivateTargets::parse(
            args.vpc_link.iter().map(String::as_str),
        )
        .map_err(|e| anyhow!(e))?,
    );
    if let Some(url) = &args.runtime.aws_endpoint {
        lambdagate_gateway::integration::aws_service::set_default_endpoint(url);
    }
    let compiled = CompiledApp::compile(&app, addressing)
        .map_err(|e| anyhow!("{}: {e}", app.template.display()))?;
    for warning in compiled.warnings() {
        eprintln!("warning: {warning}");
    }
    if args.disable_authorizer {
        eprintln!(
            "warning: --disable-authorizer: no authorizer runs; protected routes answer as if open"
        );
    }
    // A fixed seed makes canary choices reproducible (tests, demos); by default they are random.
    let seed = match std::env::var("LAMBDAGATE_CANARY_SEED") {
        Ok(text) => Some(
            text.parse::<u64>()
                .map_err(|_| anyhow!("LAMBDAGATE_CANARY_SEED must be a number, not `{text}`"))?,
        ),
        Err(_) => None,
    };
    let watch = args.watch && !args.no_watch;
    let tls = match (&args.ssl_cert_file, &args.ssl_key_file) {
        (Some(cert), Some(key)) => Some(
            lambdagate_gateway::server::tls_config(cert, key)
                .map_err(|e| anyhow!("cannot serve HTTPS: {e}"))?,
        ),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let static_dir = static_dir(args.static_dir.as_deref(), &app.template)?;
    let auth = crate::auth_setup::settings(&args.auth, args.disable_authorizer, &app.account_id)?;
    let mut config =
        crate::service::config(&args.runtime, args.template.profile.as_deref(), &app.region)?;
    config.sam_local = local;
    config.log_sink = Some(crate::service::log_sink(
        args.template.log_format,
        args.runtime.sam_compat.log_file.as_deref(),
    )?);
    let runtime = crate::service::runtime()?;
    runtime.block_on(async move {
        let signals = crate::shutdown::Signals::install();
        let (service, listener, address) =
            crate::service::start(&app, config, &args.listen.host, args.port).await?;
        print_routes(&compiled, &format!("{scheme}://{address}"));
        if !app.api_keys.is_empty() {
            // The values callers send as `x-api-key`; generated ones stay the same across starts.
            print!("{}", crate::cmd::routes::api_keys(&app));
        }
        let backend: Arc<dyn Backend> = service.clone();
        let gateway = Arc::new(
            Gateway::with_clock(
                Snapshot::new(compiled, seed),
                backend,
                Arc::new(SystemClock),
            )
            .with_auth(auth),
        );
        if watch {
            let reloader = crate::reload::Reloader {
                template: args.template.clone(),
                env_vars: args.runtime.env_vars.clone(),
                addressing,
                functions: Vec::new(),
                seed,
                service: service.clone(),
                gateway: Some(gateway.clone()),
            };
            tokio::spawn(reloader.run(app.clone()));
        }
        println!("Listening on {scheme}://{address}");
        let _ = std::io::stdout().flush();
        crate::service::ready_line(scheme, address);
        serve(
            listener,
            gateway,
            ServerConfig {
                tls,
                static_dir,
                header_read_timeout: args.connections.header_timeout,
                body_read_timeout: args.connections.body_timeout,
                keep_alive_timeout: args.connections.keep_alive_timeout,
                ..ServerConfig::default()
            },
            access_log(args.template.log_format),
            signals.recv(),
        )
        .await;
        service.shutdown(Duration::from_secs(5)).await;
        lambdagate_lambda::output::flush();
        Ok(ExitCode::SUCCESS)
    })
}

/// `--static-dir`, relative to the template's folder as SAM resolves it; SAM's default
/// `public` only when that folder exists.
fn static_dir(
    given: Option<&std::path::Path>,
    template: &std::path::Path,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    let base = template.parent().unwrap_or(std::path::Path::new("."));
    match given {
        Some(dir) => {
            let dir = base.join(dir);
            if !dir.is_dir() {
                anyhow::bail!("--static-dir {}: no such folder", dir.display());
            }
            eprintln!("Serving static files from {}", dir.display());
            Ok(Some(dir))
        }
        None => {
            let dir = base.join("public");
            if dir.is_dir() {
                eprintln!("Serving static files from {}", dir.display());
                return Ok(Some(dir));
            }
            Ok(None)
        }
    }
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
    // `METHOD target status latency function request-id (detail)`, one per request, built by
    // pushes into one allocation (`format!` with a float was about 3 % of the gateway's
    // instructions per request).
    Arc::new(move |r: &AccessRecord<'_>| {
        let mut line = String::with_capacity(
            64 + r.method.len()
                + r.target.len()
                + r.request_id.len()
                + r.detail.map_or(0, str::len),
        );
        line.push_str(r.method);
        line.push(' ');
        line.push_str(r.target);
        line.push(' ');
        if color {
            line.push_str(match r.status {
                200..=299 => "\x1b[32m",
                300..=399 => "\x1b[36m",
                400..=499 => "\x1b[33m",
                _ => "\x1b[31m",
            });
        }
        line.push_str(itoa::Buffer::new().format(r.status));
        if color {
            line.push_str("\x1b[0m");
        }
        line.push(' ');
        lambdagate_lambda::output::push_millis(&mut line, r.latency, 1);
        line.push_str("ms ");
        line.push_str(r.function.unwrap_or("-"));
        line.push(' ');
        line.push_str(r.request_id);
        if let Some(detail) = r.detail {
            line.push_str(" (");
            line.push_str(detail);
            line.push(')');
        }
        lambdagate_lambda::output::line(line);
    })
}
