//! Lambda functions (`AWS::Serverless::Function`, `AWS::Lambda::Function`) and their runtimes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::SourceLocation;

/// How a function's code is run: the runtime families lambdagate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeFamily {
    /// `python3.x`, through lambdagate's Python bootstrap.
    Python,
    /// `nodejsNN.x`, through lambdagate's Node bootstrap.
    Node,
    /// `provided`, `provided.al2`, `provided.al2023`: the function's own `bootstrap` executable.
    Provided,
}

/// The runtime identifiers lambdagate accepts, for diagnostics that list them.
pub const SUPPORTED_RUNTIMES: &[&str] = &[
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "provided",
    "provided.al2",
    "provided.al2023",
];

impl RuntimeFamily {
    /// The family of a Lambda runtime identifier such as `python3.12`, or `None` when unsupported.
    pub fn of(runtime: &str) -> Option<RuntimeFamily> {
        if !SUPPORTED_RUNTIMES.contains(&runtime) {
            return None;
        }
        if runtime.starts_with("python") {
            Some(RuntimeFamily::Python)
        } else if runtime.starts_with("nodejs") {
            Some(RuntimeFamily::Node)
        } else {
            Some(RuntimeFamily::Provided)
        }
    }
}

/// One Lambda function (`AWS::Serverless::Function`, later also `AWS::Lambda::Function`).
#[derive(Debug, Clone, Serialize)]
pub struct Function {
    /// The template's logical id, e.g. `GetItemFunction`.
    pub logical_id: String,
    /// The function name: `FunctionName` when set, else the logical id (as `sam local` names it).
    pub function_name: String,
    /// `arn:aws:lambda:{region}:{account}:function:{function_name}`.
    pub arn: String,
    /// The runtime identifier as written, e.g. `python3.12`.
    pub runtime: String,
    /// The runtime family that runs it.
    pub family: RuntimeFamily,
    /// The handler (`app.handler`, `src/handlers/get.handler`); optional for `provided*`.
    pub handler: Option<String>,
    /// The code folder (`CodeUri`), absolute.
    pub code_dir: PathBuf,
    /// Environment variables from the template, resolved to strings.
    pub environment: BTreeMap<String, String>,
    /// Timeout in seconds (default 3).
    pub timeout_secs: u32,
    /// Memory size in MB (default 128).
    pub memory_mb: u32,
    /// Layers' content folders, absolute, in template order (later layers win, as in /opt).
    pub layers: Vec<PathBuf>,
    /// `ReservedConcurrentExecutions`, when set.
    pub reserved_concurrency: Option<u32>,
    /// `Architectures` (default `["x86_64"]`).
    pub architectures: Vec<String>,
    /// `LoggingConfig`.
    pub logging: LoggingConfig,
    /// Where the resource is defined.
    pub source: SourceLocation,
}

/// A function's `LoggingConfig`: what Lambda tells its runtime (`AWS_LAMBDA_LOG_FORMAT`,
/// `AWS_LAMBDA_LOG_LEVEL`) and where its logs go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoggingConfig {
    /// `LogFormat`: `Text` or `JSON`.
    pub log_format: Option<String>,
    /// `ApplicationLogLevel` (JSON only): the least level the runtime emits.
    pub application_log_level: Option<String>,
    /// `SystemLogLevel` (JSON only): the least level of Lambda's own lines; at `WARN` there are
    /// no START, END or REPORT lines, which are INFO.
    pub system_log_level: Option<String>,
    /// `LogGroup`: the log group's name, in place of `/aws/lambda/{name}`.
    pub log_group: Option<String>,
}

impl LoggingConfig {
    /// Whether Lambda writes the function's INFO platform lines (START, END, REPORT): not when
    /// JSON logs are filtered at `SystemLogLevel: WARN`.
    pub fn platform_info_lines(&self) -> bool {
        !(self
            .log_format
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("JSON"))
            && self.system_log_level.as_deref() == Some("WARN"))
    }
}

impl Function {
    /// The logical id within its own stack: `Fn` for a nested stack's `Child/Fn`. `sam local`
    /// finds a nested stack's function by it, and reads its `--env-vars` entry under it.
    pub fn stack_logical_id(&self) -> &str {
        self.logical_id
            .rsplit('/')
            .next()
            .unwrap_or(&self.logical_id)
    }
}

/// A function a deploy accepts but lambdagate cannot run (a runtime it does not support, such as
/// `java21`). Kept in the model so that routes and tools can say why it is not served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnavailableFunction {
    /// The template's logical id.
    pub logical_id: String,
    /// `FunctionName` when set, else the logical id.
    pub function_name: String,
    /// The runtime as written.
    pub runtime: String,
    /// Where the resource is defined.
    pub source: SourceLocation,
}
