//! Loads SAM / CloudFormation templates into the application model.
//!
//! CONTRACT NOTE: [`load`], [`LoadOptions`], [`Diagnostic`] and [`discover`] are the surface the
//! binary codes against; the loader behind them lands with the template issue.

use std::fmt;
use std::path::{Path, PathBuf};

use lambdagate_model::{Application, SourceLocation};

/// Options that come from the command line rather than the template.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--parameter-overrides`, in order.
    pub parameter_overrides: Vec<(String, String)>,
    /// `AWS::Region`; `None` means the default region.
    pub region: Option<String>,
    /// `AWS::StackName`; `None` means a name derived from the template's folder.
    pub stack_name: Option<String>,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The template cannot be served.
    Error,
    /// Served, but probably not what the user meant.
    Warning,
}

/// One finding about a template, with the place it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where (file:line:column).
    pub location: SourceLocation,
    /// What is wrong and what was expected, as one sentence.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {level}: {}", self.location, self.message)
    }
}

/// A loaded application and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The application.
    pub application: Application,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// Loads a template. On failure returns every independent error found, in source order.
pub fn load(path: &Path, _options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    Err(vec![Diagnostic {
        severity: Severity::Error,
        location: SourceLocation {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
        },
        message: "the template loader is not implemented yet".to_string(),
    }])
}

/// The template in `dir`: `template.yaml`, `template.yml` or `template.json`, in that order.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    ["template.yaml", "template.yml", "template.json"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}
