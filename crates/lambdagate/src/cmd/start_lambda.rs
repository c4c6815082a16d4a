//! `lambdagate start-lambda`: the Lambda Invoke API for AWS SDKs and the AWS CLI.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::StartLambdaArgs;

/// How long in-flight invocations may finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the Lambda Invoke API; `local` as `sam local start-lambda` (the functions'
/// environment as `sam local` makes it).
pub fn run(mut args: StartLambdaArgs, local: bool) -> anyhow::Result<ExitCode> {
    args.runtime.sam_compat.check_inputs()?;
    // Found once: a reload reads the same file even while `sam build` or `serverless package`
    // has its folder away (both write theirs anew), and the watcher waits for it there.
    args.template.template = Some(crate::load::template_path(&args.template)?);
    let mut app = crate::load::application(&args.template)?;
    crate::load::keep_functions(&mut app, &args.functions)?;
    let app = Arc::new(app);
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
        for f in &app.functions {
            println!("  {} ({}) -> {}", f.function_name, f.runtime, f.arn);
        }
        if args.watch && !args.no_watch {
            let reloader = crate::reload::Reloader {
                template: args.template.clone(),
                env_vars: args.runtime.env_vars.clone(),
                addressing: lambdagate_gateway::Addressing { stage_prefix: true },
                seed: None,
                functions: args.functions.clone(),
                service: service.clone(),
                gateway: None,
            };
            tokio::spawn(reloader.run(app.clone()));
        }
        println!("Listening on http://{address}");
        let _ = std::io::stdout().flush();
        crate::service::ready_line("http", address);
        lambdagate_lambda::invoke_api::serve(
            listener,
            service.clone(),
            signals.recv(),
            SHUTDOWN_GRACE,
        )
        .await;
        service.shutdown(SHUTDOWN_GRACE).await;
        lambdagate_lambda::output::flush();
        Ok(ExitCode::SUCCESS)
    })
}
