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
    Token(TokenArgs),
    /// Print a sample event of a service (API Gateway, S3, SQS…) for `invoke -e -`.
    GenerateEvent(GenerateEventArgs),
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
    /// Like `sam local generate-event`.
    GenerateEvent(GenerateEventArgs),
}

/// `generate-event [SERVICE [EVENT [--OPTION VALUE]...]]`.
#[derive(Debug, Args)]
pub struct GenerateEventArgs {
    /// The service (apigateway, alb, s3, sqs, sns, dynamodb, cloudwatch, kinesis,
    /// stepfunctions, cloudformation); without it, the list.
    pub service: Option<String>,
    /// The service's event (aws-proxy, put, receive-message…); without it, the list.
    pub event: Option<String>,
    /// The event's options as `--name value` (`--method GET --path items/1`); each has a
    /// default, as in `sam local generate-event`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--OPTION VALUE"
    )]
    pub options: Vec<String>,
}

/// Where the template is and how its parameters resolve.
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// The template; default: template.yaml, template.yml or template.json in the current folder.
    /// `SAM_TEMPLATE_FILE` names it too, as for `sam`.
    #[arg(
        short = 't',
        long = "template",
        visible_alias = "template-file",
        value_name = "TEMPLATE",
        env = "SAM_TEMPLATE_FILE"
    )]
    pub template: Option<PathBuf>,
    /// Template parameter values: 'Key=Value Key2=Value2' or SAM's
    /// 'ParameterKey=K,ParameterValue=V' form.
    #[arg(long = "parameter-overrides", value_name = "OVERRIDES", num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// AWS region reported to functions and in ARNs (default: `AWS_DEFAULT_REGION`, else the
    /// AWS profile's region, else us-east-1).
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// The AWS profile whose region and credentials functions get, from the shared AWS files
    /// (default: `AWS_PROFILE`, else `default`; only a profile named here must exist).
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Output format of lambdagate's own log lines.
    #[arg(long = "log-format", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The stack name physical names are made from (default: the template's folder name).
    #[arg(long = "stack-name", value_name = "NAME")]
    pub stack_name: Option<String>,
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
    /// An endpoint for the AWS SDKs inside functions (`AWS_ENDPOINT_URL`), e.g. a local
    /// DynamoDB-compatible server.
    #[arg(long = "aws-endpoint", value_name = "URL")]
    pub aws_endpoint: Option<String>,
    /// Run function processes as this user (name or uid), as Lambda runs them as an
    /// unprivileged user: they cannot read lambdagate's `/proc` or environment. Only root can
    /// switch users. Default: lambdagate's own user.
    #[arg(long = "function-user", value_name = "USER")]
    pub function_user: Option<String>,
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
    #[arg(long = "container-dns", hide = true, value_name = "IP")]
    pub container_dns: Vec<String>,
    /// Accepted for compatibility: `AWS::LanguageExtensions` is always understood.
    #[arg(long = "language-extensions", hide = true)]
    pub language_extensions: bool,
    /// SAM's hooks read another tool's project (Terraform) instead of a template; refused
    /// with a clear word (see [`SamCompatArgs::check_inputs`]).
    #[arg(long = "hook-name", hide = true, value_name = "HOOK")]
    pub hook_name: Option<String>,
    /// A Terraform plan for the Terraform hook; refused as `--hook-name` is.
    #[arg(long = "terraform-plan-file", hide = true, value_name = "FILE")]
    pub terraform_plan_file: Option<String>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "mount-symlinks", hide = true)]
    pub mount_symlinks: bool,
    /// Accepted for compatibility (no effect).
    #[arg(long = "no-mount-symlinks", hide = true)]
    pub no_mount_symlinks: bool,
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
    /// SAM's configuration file of flag defaults (default: samconfig.toml, when it exists).
    #[arg(long = "config-file", value_name = "FILE")]
    pub config_file: Option<String>,
    /// The environment of `--config-file` to read (default: `default`).
    #[arg(long = "config-env", value_name = "ENV")]
    pub config_env: Option<String>,
    /// Write function log lines to this file instead of standard error.
    #[arg(short = 'l', long = "log-file", value_name = "FILE")]
    pub log_file: Option<PathBuf>,
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
    /// Memory size in MB for every function, instead of the template's MemorySize.
    #[arg(long = "memory", value_name = "MB")]
    pub memory: Option<u32>,
    /// Accepted for compatibility (no effect).
    #[arg(long = "no-beta-features", hide = true)]
    pub no_beta_features: bool,
    /// Debug the functions on this port, as `sam local -d` does: Node.js instances start with
    /// `--inspect-brk=127.0.0.1:PORT` (a debugger attaches, then the code runs); Python ones
    /// with `--debug-args` (e.g. "-m debugpy --listen 127.0.0.1:5858 --wait-for-client").
    /// A debugged function runs one instance at a time, without a timeout.
    #[arg(short = 'd', long = "debug-port", value_name = "PORT")]
    pub debug_port: Vec<String>,
    /// The interpreter's options for debugging, in place of the default.
    #[arg(long = "debug-args", value_name = "ARGS", allow_hyphen_values = true)]
    pub debug_args: Option<String>,
    /// A folder put on the Python path of debugged functions (where debugpy is installed).
    #[arg(long = "debugger-path", value_name = "PATH")]
    pub debugger_path: Option<PathBuf>,
    /// The one function to debug (default: every function).
    #[arg(long = "debug-function", value_name = "FUNCTION")]
    pub debug_function: Option<String>,
    /// More environment variables, in `--env-vars`' JSON format, added to the functions'
    /// environments whether the template declares them or not.
    #[arg(long = "container-env-vars", value_name = "FILE")]
    pub container_env_vars: Option<PathBuf>,
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
}

impl SamCompatArgs {
    /// Refuses what asks for another input than a template: SAM's `--hook-name terraform`
    /// (and its `--terraform-plan-file`) serve a Terraform project, which lambdagate does not
    /// read; serving a template found in the folder instead would serve something else.
    pub fn check_inputs(&self) -> anyhow::Result<()> {
        let flag = match (&self.hook_name, &self.terraform_plan_file) {
            (Some(hook), _) => format!("--hook-name {hook}"),
            (None, Some(_)) => "--terraform-plan-file".to_string(),
            (None, None) => return Ok(()),
        };
        Err(anyhow::anyhow!(
            "{flag}: lambdagate does not read Terraform projects; it serves SAM and \
             CloudFormation templates (also what `cdk synth` and `serverless package` write), \
             named with -t"
        ))
    }

    /// The flags given that have no effect here, to say so once at startup.
    pub fn without_effect(&self) -> Vec<&'static str> {
        let given = [
            (self.debug, "--debug"),
            (!self.container_dns.is_empty(), "--container-dns"),
            (self.skip_pull_image, "--skip-pull-image"),
            (self.docker_network.is_some(), "--docker-network"),
            (self.container_host.is_some(), "--container-host"),
            (
                self.container_host_interface.is_some(),
                "--container-host-interface",
            ),
            (
                self.docker_volume_basedir.is_some(),
                "--docker-volume-basedir",
            ),
            (self.layer_cache_basedir.is_some(), "--layer-cache-basedir"),
            (self.force_image_build, "--force-image-build"),
            (self.shutdown, "--shutdown"),
            (self.no_memory_limit, "--no-memory-limit"),
            (!self.add_host.is_empty(), "--add-host"),
            (!self.invoke_image.is_empty(), "--invoke-image"),
            (self.mount_with.is_some(), "--mount-with"),
            (
                self.mount_symlinks || self.no_mount_symlinks,
                "--mount-symlinks",
            ),
            (self.skip_prepare_infra, "--skip-prepare-infra"),
        ];
        given
            .into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, name)| name)
            .collect()
    }
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
    /// Serve this folder's files at the root, ahead of the APIs, as `sam local start-api`
    /// does (default: `public` next to the template, when it exists).
    #[arg(short = 's', long = "static-dir", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// Reload when the template or a function's code changes (on by default; `--watch=false`
    /// or `--no-watch` turns it off).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub watch: bool,
    /// Do not reload on changes.
    #[arg(long = "no-watch")]
    pub no_watch: bool,
    /// Serve HTTPS with this PEM certificate (chain); needs `--ssl-key-file`.
    #[arg(long = "ssl-cert-file", value_name = "FILE", requires = "ssl_key_file")]
    pub ssl_cert_file: Option<PathBuf>,
    /// The PEM private key of `--ssl-cert-file`.
    #[arg(long = "ssl-key-file", value_name = "FILE", requires = "ssl_cert_file")]
    pub ssl_key_file: Option<PathBuf>,
    /// Turn every authorizer off (Lambda, JWT, Cognito, IAM): protected routes answer as if
    /// open (SAM's flag of the same name).
    #[arg(long = "disable-authorizer")]
    pub disable_authorizer: bool,
    /// Serve a private integration's target locally: a VPC link id, or a Cloud Map service /
    /// load balancer listener ARN, to a local base URL (repeatable).
    #[arg(long = "vpc-link", value_name = "ID=URL")]
    pub vpc_link: Vec<String>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// The HTTP server's connection time limits (`start-api`).
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers, from connecting (or, on a kept-alive
    /// connection, from the request's first byte); a silent connection is closed.
    #[arg(long = "header-timeout", value_name = "SECONDS", default_value = "10",
          value_parser = parse_seconds)]
    pub header_timeout: std::time::Duration,
    /// Seconds a client has to send a request's body after its headers; a slower one is
    /// answered 408 and closed.
    #[arg(long = "body-timeout", value_name = "SECONDS", default_value = "30",
          value_parser = parse_seconds)]
    pub body_timeout: std::time::Duration,
    /// Seconds an idle kept-alive connection stays open.
    #[arg(long = "keep-alive-timeout", value_name = "SECONDS", default_value = "60",
          value_parser = parse_seconds)]
    pub keep_alive_timeout: std::time::Duration,
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 86400"
        )),
    }
}

/// `invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The function's logical id or name; optional when the template has exactly one function.
    #[arg(value_name = "FUNCTION")]
    pub function: Option<String>,
    /// The event file; `-` reads standard input. Without it, `invoke` reads standard input and
    /// `local invoke` sends `{}`, as `sam local invoke` does.
    #[arg(short = 'e', long = "event", value_name = "EVENT_FILE")]
    pub event: Option<PathBuf>,
    /// Invoke with an empty event (`{}`).
    #[arg(long = "no-event", conflicts_with = "event")]
    pub no_event: bool,
    /// Run the function on this runtime instead of the template's (e.g. `python3.12`).
    #[arg(long = "runtime", value_name = "RUNTIME")]
    pub runtime_override: Option<String>,
    /// Accepted for compatibility: the tenant id of a tenant-isolated function (no effect).
    #[arg(long = "tenant-id", value_name = "ID")]
    pub tenant_id: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// `start-lambda`.
#[derive(Debug, Clone, Args)]
pub struct StartLambdaArgs {
    /// Serve only these functions (logical ids, nested ones by path or by their id in their
    /// stack, or function names), as `sam local start-lambda FUNCTION…` does; default: all.
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    /// Port to listen on; 0 picks a free one.
    #[arg(short = 'p', long, default_value_t = 3001, value_name = "PORT")]
    pub port: u16,
    /// Reload when the template or a function's code changes (on by default; `--watch=false`
    /// or `--no-watch` turns it off).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub watch: bool,
    /// Do not reload on changes.
    #[arg(long = "no-watch")]
    pub no_watch: bool,
}

/// `token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The template's JWT or Cognito authorizer to mint for (its issuer and first audience);
    /// default: the template's only one. Not needed with --issuer.
    #[arg(value_name = "AUTHORIZER")]
    pub authorizer: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    /// The `iss` claim, instead of an authorizer's issuer.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The audience (`aud`, or `client_id` in access tokens), instead of the authorizer's first.
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
    /// The `sub` claim.
    #[arg(long, default_value = "local-user", value_name = "SUBJECT")]
    pub sub: String,
    /// A scope (repeatable, or space-separated); makes it an access token with `scope`.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Cognito groups (`cognito:groups`), comma-separated or repeated.
    #[arg(long = "groups", value_name = "GROUP[,GROUP]")]
    pub groups: Vec<String>,
    /// Any claim, K=V (repeatable); V is read as JSON when it parses (`n=1`, `ok=true`,
    /// `list=["a"]`), else as a string.
    #[arg(long = "claim", value_name = "K=V")]
    pub claims: Vec<String>,
    /// Seconds until the token expires.
    #[arg(long = "expires-in", default_value_t = 3600, value_name = "SECONDS")]
    pub expires_in: u64,
    /// Print the signing key's public JWK set instead of a token (for other tools that verify
    /// lambdagate's tokens).
    #[arg(long = "print-jwks", conflicts_with = "authorizer")]
    pub print_jwks: bool,
}

/// `routes`.
#[derive(Debug, Clone, Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Print JSON instead of a table: one object per route and stage with its API, method and
    /// path, authorization and authorizer, API-key requirement, request validator and
    /// integration (kind and target).
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
