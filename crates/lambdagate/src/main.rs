//! `lambdagate`: serve an AWS API Gateway + Lambda application from its SAM template.

mod auth_setup;
mod cli;
mod cmd;
mod load;
mod profile;
mod provision;
mod reload;
mod samconfig;
mod sample_events;
mod service;
mod shutdown;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LocalCommand};

/// mimalloc instead of the C library's allocator: a request allocates and frees a few hundred
/// small blocks across two connections' tasks, and glibc's malloc/free/consolidate were about a
/// tenth of the gateway's CPU under load (see "Gateway CPU per request" in docs/design-notes.md).
/// Built without transparent huge pages (`no_thp`): with them its first arena alone made the idle
/// gateway 10 MB larger.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let args = match samconfig::apply(args, &<Cli as clap::CommandFactory>::command()) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("Error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::StartApi(args) => cmd::start_api::run(args, false),
        Command::Invoke(args) => cmd::invoke::run(args, false),
        Command::StartLambda(args) => cmd::start_lambda::run(args, false),
        Command::Routes(args) => cmd::routes::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Token(args) => cmd::token::run(args),
        Command::GenerateEvent(args) => cmd::generate_event::run(args),
        Command::Local { command } => match command {
            LocalCommand::StartApi(args) => cmd::start_api::run(args, true),
            LocalCommand::Invoke(args) => cmd::invoke::run(args, true),
            LocalCommand::StartLambda(args) => cmd::start_lambda::run(args, true),
            LocalCommand::GenerateEvent(args) => cmd::generate_event::run(args),
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // A user's mistake is one clear sentence, never a backtrace.
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
