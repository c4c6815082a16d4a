//! `lambdagate invoke`.

use std::process::ExitCode;

use crate::cli::InvokeArgs;

/// Runs one function once.
pub fn run(_args: InvokeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`invoke` arrives with the function service")
}
