//! `lambdagate start-lambda`.

use std::process::ExitCode;

use crate::cli::StartLambdaArgs;

/// Serves the Lambda Invoke API.
pub fn run(_args: StartLambdaArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`start-lambda` arrives with the function service")
}
