//! `lambdagate start-api` and `lambdagate local start-api`.

use std::process::ExitCode;

use crate::cli::StartApiArgs;

/// Serves every API of the template. `local` selects `sam local`'s defaults (no stage prefix).
pub fn run(_args: StartApiArgs, _local: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`start-api` arrives with the gateway")
}
