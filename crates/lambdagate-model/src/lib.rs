//! The application model: what a template describes, resolved and checked, as plain data.
//!
//! Loaders (`lambdagate-template`) build an [`Application`]; the gateway and the function service
//! only read it. Nothing here does I/O. The model is immutable while serving: it is built once,
//! shared behind an `Arc`, and replaced whole on reload, so a request always sees one consistent
//! configuration.
//!
//! One module per concept, named in AWS's own words: [`api`] (APIs, stages, canaries, domains),
//! [`route`] (methods and their requests), [`integration`], [`auth`] (authorizers),
//! [`usage`] (API keys, usage plans, method settings), [`validation`] (models, validators),
//! [`gateway_response`], [`function`], and [`aws`] (ids, ARNs, dates shared by all). Everything
//! is also re-exported here.

pub mod api;
pub mod auth;
pub mod aws;
pub mod function;
pub mod gateway_response;
pub mod integration;
pub mod resources;
pub mod route;
pub mod usage;
pub mod validation;

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use api::*;
pub use auth::*;
pub use aws::{DEFAULT_ACCOUNT_ID, DEFAULT_REGION, api_id_for};
pub use function::*;
pub use gateway_response::*;
pub use integration::*;
pub use route::*;
pub use usage::*;
pub use validation::*;

/// A place in a source file, 1-based, for diagnostics and for naming where a route came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Default)]
pub struct SourceLocation {
    /// The file, as the user named it (relative paths stay relative).
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A whole serverless application: its functions, the APIs in front of them, and the resources
/// around the APIs (keys, usage plans, domains).
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    /// The template file this application was loaded from.
    pub template: PathBuf,
    /// The stack name (`AWS::StackName`).
    pub stack_name: String,
    /// The region (`AWS::Region`).
    pub region: String,
    /// The account id (`AWS::AccountId`).
    pub account_id: String,
    /// Every function, in template order.
    pub functions: Vec<Function>,
    /// Every API, in template order (implicit APIs after explicit ones).
    pub apis: Vec<Api>,
    /// API keys.
    pub api_keys: Vec<ApiKey>,
    /// Usage plans.
    pub usage_plans: Vec<UsagePlan>,
    /// Custom domain names with their API mappings.
    pub domains: Vec<DomainName>,
    /// Functions the template declares that cannot run here (reported at load).
    pub unavailable_functions: Vec<UnavailableFunction>,
    /// Tables, queues, topics and buckets the functions may use.
    pub resources: Vec<resources::BackingResource>,
    /// Every other file the template was read with (OpenAPI definitions, `AWS::Include`
    /// snippets, nested stacks' templates and theirs), absolute: hot reload watches them
    /// wherever they are.
    pub sources: Vec<PathBuf>,
}

/// The logical id `serverless package` gives the function whose key is `key`: `-` spelled
/// `Dash`, `_` spelled `Underscore`, the first letter in capitals, then `LambdaFunction`.
fn serverless_logical_id(key: &str) -> String {
    let spelled = key.replace('-', "Dash").replace('_', "Underscore");
    let mut chars = spelled.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}LambdaFunction", chars.as_str())
}

impl Application {
    /// An application with no resources yet.
    pub fn empty(
        template: PathBuf,
        stack_name: String,
        region: String,
        account_id: String,
    ) -> Self {
        Application {
            template,
            stack_name,
            region,
            account_id,
            functions: Vec::new(),
            apis: Vec::new(),
            api_keys: Vec::new(),
            usage_plans: Vec::new(),
            domains: Vec::new(),
            unavailable_functions: Vec::new(),
            resources: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// The function with this logical id or function name that cannot run here, if any.
    pub fn unavailable_function(&self, name: &str) -> Option<&UnavailableFunction> {
        self.unavailable_functions
            .iter()
            .find(|f| f.logical_id == name || f.function_name == name)
    }

    /// The function with this logical id or function name.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.function_index(name).map(|i| &self.functions[i])
    }

    /// The position in [`Application::functions`] of the function with this logical id or
    /// function name, or else of the first whose logical id in its own (nested) stack is
    /// `name`, as `sam local` finds nested functions.
    pub fn function_index(&self, name: &str) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.logical_id == name)
            .or_else(|| self.functions.iter().position(|f| f.function_name == name))
            .or_else(|| {
                self.functions
                    .iter()
                    .position(|f| f.stack_logical_id() == name)
            })
    }

    /// [`Application::function_index`] for a name given on the command line, which may also
    /// be a function's key in `serverless.yml`, as `serverless invoke local -f` takes it: a
    /// Serverless Framework package names the function after it (`hello` is
    /// `HelloLambdaFunction`).
    pub fn function_index_for_cli(&self, name: &str) -> Option<usize> {
        self.function_index(name).or_else(|| {
            let packaged = serverless_logical_id(name);
            self.functions.iter().position(|f| f.logical_id == packaged)
        })
    }

    /// The API with this logical id.
    pub fn api(&self, logical_id: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.logical_id == logical_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_families() {
        assert_eq!(RuntimeFamily::of("python3.12"), Some(RuntimeFamily::Python));
        assert_eq!(RuntimeFamily::of("nodejs20.x"), Some(RuntimeFamily::Node));
        assert_eq!(
            RuntimeFamily::of("provided.al2023"),
            Some(RuntimeFamily::Provided)
        );
        assert_eq!(RuntimeFamily::of("java21"), None);
    }

    #[test]
    fn route_key_display() {
        let key = RouteKey::MethodPath {
            method: "GET".into(),
            path: "/items/{id}".into(),
        };
        assert_eq!(key.to_string(), "GET /items/{id}");
        assert_eq!(RouteKey::Default.to_string(), "$default");
    }

    #[test]
    fn serverless_function_keys_name_their_logical_ids() {
        assert_eq!(serverless_logical_id("hello"), "HelloLambdaFunction");
        assert_eq!(
            serverless_logical_id("get-user_by_id"),
            "GetDashuserUnderscorebyUnderscoreidLambdaFunction"
        );
        assert_eq!(serverless_logical_id("Já"), "JáLambdaFunction");
    }
}
