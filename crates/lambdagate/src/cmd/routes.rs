//! `lambdagate routes`.

use std::process::ExitCode;

use crate::cli::RoutesArgs;

/// Prints the resolved APIs, stages and routes.
pub fn run(args: RoutesArgs) -> anyhow::Result<ExitCode> {
    let app = crate::load::application(&args.template)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&app.apis)?);
    } else {
        for api in &app.apis {
            for route in &api.routes {
                println!("{} {} {}", api.logical_id, api.kind, route.key);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
