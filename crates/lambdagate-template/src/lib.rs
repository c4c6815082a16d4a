//! Loads SAM / CloudFormation templates into the application model.
//!
//! [`load`] reads YAML or JSON with source positions, resolves parameters, conditions, mappings
//! and intrinsic functions, merges SAM `Globals`, and turns serverless resources (functions,
//! explicit and implicit APIs, layers) and raw CloudFormation API Gateway and Lambda resources
//! (as `cdk synth` writes them too) into an [`Application`]. Every mistake is a
//! [`Diagnostic`] with file:line:column; independent mistakes are reported together.
//!
//! [`load`] (or [`load_with_sources`], whose failure also names the files read on the way),
//! [`LoadOptions`], [`Diagnostic`] and [`discover`] are the surface the binary codes against.

mod backing;
mod cdk;
mod cfn;
mod cfn_http;
mod cfn_rest;
mod cfn_shape;
mod cfn_usage;
mod cidr;
mod code;
mod diag;
mod domains;
mod eval;
mod globals;
mod include;
mod intrinsics;
mod language_extensions;
mod loader;
mod nested;
mod node;
mod openapi;
mod params;
mod props;
mod refs;
mod resource_policy;
mod sam;
mod serving;
mod settings;
mod sub;
mod triggers;
mod yaml;
mod zip;

#[cfg(test)]
mod tests;

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
    /// Check as a deploy would (`lambdagate validate`): every reference must resolve. When
    /// false (serving), a reference that nothing served depends on only warns.
    pub strict: bool,
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

/// Why a template did not load.
#[derive(Debug, Clone)]
pub struct LoadFailure {
    /// Every independent error found, with the warnings beside them, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files besides the template that the load read or tried to read (absolute): an
    /// OpenAPI file, an included snippet, a nested stack, a missing one too. Creating or fixing
    /// one of them may be what makes the next load succeed, so hot reload watches them.
    pub sources: Vec<PathBuf>,
}

/// Loads a template. On failure returns every independent error found, in source order.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    load_with_sources(path, options).map_err(|failure| failure.diagnostics)
}

/// [`load`], whose failure also names the files the template led the loader to.
pub fn load_with_sources(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadFailure> {
    match std::fs::read_to_string(path) {
        Ok(text) => loader::load_text(&text, path, options),
        Err(error) => Err(LoadFailure {
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                location: SourceLocation {
                    file: path.to_path_buf(),
                    line: 1,
                    column: 1,
                },
                message: format!("cannot read the template: {error}"),
            }],
            sources: Vec::new(),
        }),
    }
}

/// Loads template text as if it were the file `path` (relative `CodeUri`s start from its
/// folder). For tools and tests that hold the text already.
pub fn load_str(text: &str, path: &Path, options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    loader::load_text(text, path, options).map_err(|failure| failure.diagnostics)
}

/// The template in `dir`: `template.yaml`, `template.yml` or `template.json`, in that order.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    ["template.yaml", "template.yml", "template.json"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}
