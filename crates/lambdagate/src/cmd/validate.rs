//! `lambdagate validate`.

use std::process::ExitCode;

use crate::cli::ValidateArgs;

/// Loads and checks a template: `OK`, or the diagnostics and exit code 1.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    crate::load::application(&args.template)?;
    println!("OK");
    Ok(ExitCode::SUCCESS)
}
