//! The command line: the public contract that users' scripts and `sam local` habits rely on.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run AWS API Gateway + Lambda applications from their SAM template, without Docker or AWS.
#[derive(Debug, Parser)]
#[command(name = "lambdagate", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every API of the template, addressed as on AWS (REST under /{stage}/...).
    StartApi(StartApiArgs),
    /// Run one function once with an event; result on stdout, logs on stderr.
    Invoke(InvokeArgs),
    /// Serve the Lambda Invoke API for AWS SDKs and the AWS CLI.
    StartLambda(StartLambdaArgs),
    /// Print the resolved APIs, stages and routes.
    Routes(RoutesArgs),
    /// Load and check a template; errors name file:line:column.
    Validate(ValidateArgs),
    /// Mint a signed JWT for a JWT or Cognito authorizer; `start-api` accepts it.
    Token(crate::cmd::token::TokenArgs),
    /// The `sam local` compatible commands: same flags, so scripts switch by changing one word.
    Local {
        /// What to do.
        #[command(subcommand)]
        command: LocalCommand,
    },
}

/// `lambdagate local …`: `sam local`'s commands and flags.
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Like `sam local start-api`: every API served at the root unless `--stage-prefix`.
    StartApi(StartApiArgs),
    /// Like `sam local invoke`.
    Invoke(InvokeArgs),
    /// Like `sam local start-lambda`.
    StartLambda(StartLambdaArgs),
}

/// Where the template is and how its parameters resolve.
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// The template; default: template.yaml, template.yml or template.json in the current folder.
    #[arg(
        short = 't',
        long = "template",
        visible_alias = "template-file",
        value_name = "TEMPLATE"
    )]
    pub template: Option<PathBuf>,
    /// Template parameter values: 'Key=Value Key2=Value2' or SAM's
    /// 'ParameterKey=K,ParameterValue=V' form.
    #[arg(long = "parameter-overrides", value_name = "OVERRIDES", num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// AWS region reported to functions and in ARNs.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// Output format of lambdagate's own log lines.
    #[arg(long = "log-format", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How functions run.
#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// Environment variable overrides in SAM's JSON format (per-function maps and `Parameters`).
    #[arg(short = 'n', long = "env-vars", value_name = "FILE")]
    pub env_vars: Option<PathBuf>,
    /// EAGER starts one instance per function at startup; LAZY (default) on first use.
    #[arg(long = "warm-containers", value_enum, ignore_case = true)]
    pub warm_containers: Option<WarmContainers>,
    /// Concurrency cap per function without ReservedConcurrentExecutions.
    #[arg(long = "max-concurrency", default_value_t = 16, value_name = "N")]
    pub max_concurrency: u32,
    /// Seconds an idle instance is kept before it is stopped.
    #[arg(long = "idle-timeout", default_value_t = 600, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Accepted for `sam local` compatibility; lambdagate needs no containers.
    #[command(flatten)]
    pub sam_compat: SamCompatArgs,
}

/// `sam local` flags that concern Docker or SAM's own configuration. They are accepted so
/// existing scripts keep working, and have no effect: lambdagate runs functions as processes.
#[derive(Debug, Clone, Args)]
pub struct SamCompatArgs {
    /// Accepted for compatibility (no effect).
    #[arg(long = "debug", hide = true)]
    pub debug: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "skip-pull-image", hide = true)]
    pub skip_pull_image: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "docker-network", hide = true, value_name = "NETWORK")]
    pub docker_network: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "container-host", hide = true, value_name = "HOST")]
    pub container_host: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "container-host-interface", hide = true, value_name = "IFACE")]
    pub container_host_interface: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "profile", hide = true, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "config-file", hide = true, value_name = "FILE")]
    pub config_file: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "config-env", hide = true, value_name = "ENV")]
    pub config_env: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(short = 'l', long = "log-file", hide = true, value_name = "FILE")]
    pub log_file: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(
        short = 'v',
        long = "docker-volume-basedir",
        hide = true,
        value_name = "DIR"
    )]
    pub docker_volume_basedir: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "layer-cache-basedir", hide = true, value_name = "DIR")]
    pub layer_cache_basedir: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "force-image-build", hide = true)]
    pub force_image_build: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "shutdown", hide = true)]
    pub shutdown: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "beta-features", hide = true)]
    pub beta_features: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "no-memory-limit", hide = true)]
    pub no_memory_limit: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "no-beta-features", hide = true)]
    pub no_beta_features: bool,
    /// Accepted for compatibility (no effect: attach a debugger to the instance process).
    #[arg(short = 'd', long = "debug-port", hide = true, value_name = "PORT")]
    pub debug_port: Vec<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "debug-args", hide = true, value_name = "ARGS")]
    pub debug_args: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "debugger-path", hide = true, value_name = "PATH")]
    pub debugger_path: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "debug-function", hide = true, value_name = "FUNCTION")]
    pub debug_function: Option<String>,
    /// Accepted for compatibility (no effect: use --env-vars).
    #[arg(long = "container-env-vars", hide = true, value_name = "FILE")]
    pub container_env_vars: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "add-host", hide = true, value_name = "HOST:IP")]
    pub add_host: Vec<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "invoke-image", hide = true, value_name = "IMAGE")]
    pub invoke_image: Vec<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "mount-with", hide = true, value_name = "READ|WRITE")]
    pub mount_with: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "save-params", hide = true)]
    pub save_params: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "skip-prepare-infra", hide = true)]
    pub skip_prepare_infra: bool,
    /// Accepted for compatibility (no authorizers run yet, so none is disabled).
    #[arg(long = "disable-authorizer", hide = true)]
    pub disable_authorizer: bool,
}

/// Where to listen.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,
}

/// `start-api`.
#[derive(Debug, Clone, Args)]
pub struct StartApiArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub auth: crate::auth_setup::AuthArgs,
    /// Port to listen on; 0 picks a free one.
    #[arg(short = 'p', long, default_value_t = 3000, value_name = "PORT")]
    pub port: u16,
    /// Serve every API at the root, without the /{stage} prefix (the `local start-api` default).
    #[arg(long = "no-stage-prefix", conflicts_with = "stage_prefix")]
    pub no_stage_prefix: bool,
    /// Serve REST APIs and named stages under /{stage} as AWS does (the `start-api` default).
    #[arg(long = "stage-prefix")]
    pub stage_prefix: bool,
    /// Accepted for `sam local` compatibility: static files are not served yet.
    #[arg(short = 's', long = "static-dir", hide = true, value_name = "DIR")]
    pub static_dir: Option<String>,
}

/// `invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The function's logical id or name; optional when the template has exactly one function.
    #[arg(value_name = "FUNCTION")]
    pub function: Option<String>,
    /// The event file; `-` or none reads standard input.
    #[arg(short = 'e', long = "event", value_name = "EVENT_FILE")]
    pub event: Option<PathBuf>,
    /// Invoke with an empty event (`{}`).
    #[arg(long = "no-event", conflicts_with = "event")]
    pub no_event: bool,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// `start-lambda`.
#[derive(Debug, Clone, Args)]
pub struct StartLambdaArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    /// Port to listen on; 0 picks a free one.
    #[arg(short = 'p', long, default_value_t = 3001, value_name = "PORT")]
    pub port: u16,
}

/// `routes`.
#[derive(Debug, Clone, Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
}

/// `--warm-containers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WarmContainers {
    /// One instance per function at startup.
    Eager,
    /// Instances start on first use.
    Lazy,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, colored on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn sam_local_flags_are_accepted() {
        let cli = Cli::try_parse_from([
            "lambdagate",
            "local",
            "start-api",
            "-t",
            "t.yaml",
            "-p",
            "3005",
            "--host",
            "0.0.0.0",
            "--env-vars",
            "env.json",
            "--parameter-overrides",
            "A=1 B=2",
            "--warm-containers",
            "EAGER",
            "--skip-pull-image",
            "--docker-network",
            "x",
            "--debug-port",
            "5858",
            "--container-env-vars",
            "c.json",
            "--add-host",
            "a:1.2.3.4",
        ])
        .unwrap();
        let Command::Local {
            command: LocalCommand::StartApi(args),
        } = cli.command
        else {
            panic!("wrong command");
        };
        assert_eq!(args.port, 3005);
        assert_eq!(args.listen.host, "0.0.0.0");
        assert_eq!(args.runtime.warm_containers, Some(WarmContainers::Eager));
        assert_eq!(
            args.template.parameter_overrides,
            vec!["A=1 B=2".to_string()]
        );
    }
}
