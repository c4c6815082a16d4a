//! The application model: what a template describes, resolved and checked, as plain data.
//!
//! Loaders (`lambdagate-template`) build an [`Application`]; the gateway and the function service
//! only read it. Nothing here does I/O. The model is immutable while serving: it is built once,
//! shared behind an `Arc`, and replaced whole on reload, so a request always sees one consistent
//! configuration.
//!
//! Names follow AWS's own words (logical id, stage, route, integration, payload format version).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// The account id every ARN and request context carries, as `sam local` uses it.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The region used when neither the command line nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

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

/// A whole serverless application: its functions and the APIs in front of them.
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
}

impl Application {
    /// The function with this logical id or function name.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions
            .iter()
            .find(|f| f.logical_id == name)
            .or_else(|| self.functions.iter().find(|f| f.function_name == name))
    }
}

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
    /// Where the resource is defined.
    pub source: SourceLocation,
}

/// The two kinds of API Gateway API that proxy to Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ApiKind {
    /// API Gateway REST API (v1): `AWS::Serverless::Api`, `Api` events.
    Rest,
    /// API Gateway HTTP API (v2): `AWS::Serverless::HttpApi`, `HttpApi` events.
    Http,
}

impl fmt::Display for ApiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiKind::Rest => "REST",
            ApiKind::Http => "HTTP",
        })
    }
}

/// One API with its stages and routes.
#[derive(Debug, Clone, Serialize)]
pub struct Api {
    /// The template's logical id (`ServerlessRestApi` / `ServerlessHttpApi` for implicit APIs).
    pub logical_id: String,
    /// A stable 10-character API id in AWS's style, derived from the logical id.
    pub api_id: String,
    /// REST or HTTP API.
    pub kind: ApiKind,
    /// `Name`, when set.
    pub name: Option<String>,
    /// True for the APIs SAM creates implicitly from function events.
    pub implicit: bool,
    /// The stages: SAM deploys one (`StageName`; implicit REST: `Prod`; HTTP: `$default`).
    pub stages: Vec<Stage>,
    /// CORS configuration, when set.
    pub cors: Option<Cors>,
    /// REST `BinaryMediaTypes` (e.g. `image/png`, `*/*`), with SAM's `~1` unescaped to `/`.
    pub binary_media_types: Vec<String>,
    /// Every route, in template order.
    pub routes: Vec<Route>,
    /// The raw `Auth` property, kept for the authorizer work.
    pub auth: Option<serde_json::Value>,
    /// The raw `DefinitionBody` (inline OpenAPI), kept for the OpenAPI work.
    pub definition_body: Option<serde_json::Value>,
    /// `DefinitionUri`, kept for the OpenAPI work.
    pub definition_uri: Option<String>,
    /// Where the resource is defined (the first event for an implicit API).
    pub source: SourceLocation,
}

/// A deployed stage of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// The stage name (`Prod`, `dev`, `$default`).
    pub name: String,
    /// Stage variables.
    pub variables: BTreeMap<String, String>,
}

/// CORS as configured on an API; the two kinds follow different rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Cors {
    /// SAM's `Cors` on `AWS::Serverless::Api`, expanded into OPTIONS mock routes by the loader.
    Rest(RestCors),
    /// `CorsConfiguration` on `AWS::Serverless::HttpApi`, applied by the gateway itself.
    Http(HttpCors),
}

/// SAM `Cors` for REST APIs. Values are header values already unquoted (`'*'` becomes `*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestCors {
    /// `AllowOrigin` (required by SAM).
    pub allow_origin: String,
    /// `AllowMethods`; when absent SAM lists the path's methods plus OPTIONS.
    pub allow_methods: Option<String>,
    /// `AllowHeaders`.
    pub allow_headers: Option<String>,
    /// `MaxAge`.
    pub max_age: Option<String>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// HTTP API `CorsConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HttpCors {
    /// `AllowOrigins`: exact origins, `*`, or the `https://*` / `http://*` wildcards.
    pub allow_origins: Vec<String>,
    /// `AllowMethods`, upper-case, or `*`.
    pub allow_methods: Vec<String>,
    /// `AllowHeaders`, or `*`.
    pub allow_headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge` in seconds.
    pub max_age: Option<u32>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// Which route a request selects: a method and path, or an HTTP API's `$default` route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum RouteKey {
    /// `METHOD /path`; method is upper-case or `ANY`, path uses `{name}` and `{name+}`.
    MethodPath {
        /// `GET`, `POST`, …, or `ANY`.
        method: String,
        /// `/items/{id}`, `/{proxy+}`, `/`.
        path: String,
    },
    /// The HTTP API `$default` route (`Path: $default` on an `HttpApi` event).
    Default,
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKey::MethodPath { method, path } => write!(f, "{method} {path}"),
            RouteKey::Default => f.write_str("$default"),
        }
    }
}

/// One route (an HTTP API route, or a REST resource method).
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    /// The route key.
    pub key: RouteKey,
    /// What serves it.
    pub integration: Integration,
    /// The raw `Auth` of the event, kept for the authorizer work.
    pub auth: Option<serde_json::Value>,
    /// The raw `RequestParameters` of the event, kept for request validation.
    pub request_parameters: Option<serde_json::Value>,
    /// The event's name in the template (`GetItem`), or a generated name for expanded routes.
    pub event_id: String,
    /// Where the route is defined.
    pub source: SourceLocation,
}

/// What API Gateway calls an integration: the backend of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Integration {
    /// Lambda proxy integration (`AWS_PROXY`).
    LambdaProxy {
        /// The function's logical id.
        function: String,
        /// Payload format version: REST is always 1.0; HTTP API defaults to 2.0.
        payload_format: PayloadFormat,
        /// Integration timeout in milliseconds, when set explicitly (`TimeoutInMillis`).
        timeout_ms: Option<u32>,
    },
    /// A mock integration with a fixed answer (how SAM expands REST `Cors` preflights).
    Mock(MockResponse),
}

/// A fixed response for a mock integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MockResponse {
    /// Status code.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

/// The Lambda proxy event and response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PayloadFormat {
    /// Format 1.0: REST APIs, and HTTP APIs that ask for it.
    #[serde(rename = "1.0")]
    V1,
    /// Format 2.0: the HTTP API default.
    #[serde(rename = "2.0")]
    V2,
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayloadFormat::V1 => "1.0",
            PayloadFormat::V2 => "2.0",
        })
    }
}

/// A stable AWS-style API id (10 lower-case letters and digits) for a logical id.
///
/// Stable across restarts, so URLs with host-based routing and recorded events keep working.
pub fn api_id_for(logical_id: &str) -> String {
    // FNV-1a: tiny, deterministic, and good enough to keep ids of different APIs apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in logical_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..10)
        .map(|_| {
            let c = ALPHABET[(hash % ALPHABET.len() as u64) as usize] as char;
            hash /= ALPHABET.len() as u64;
            hash = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x5851_f42d;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_ids_are_stable_and_distinct() {
        let a = api_id_for("ServerlessRestApi");
        assert_eq!(a.len(), 10);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(a, api_id_for("ServerlessRestApi"));
        assert_ne!(a, api_id_for("ServerlessHttpApi"));
    }

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
}
