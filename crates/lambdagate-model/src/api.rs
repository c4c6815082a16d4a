//! APIs and where they are served: stages (with variables, settings and canaries), deployments,
//! custom domain names and their API mappings, and CORS.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::SourceLocation;
use crate::auth::{ApiKeySource, Authorizer};
use crate::gateway_response::GatewayResponse;
use crate::route::Route;
use crate::usage::MethodSetting;
use crate::validation::{Model, RequestValidator};

/// The two kinds of API Gateway API that proxy to Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ApiKind {
    /// API Gateway REST API (v1): `AWS::Serverless::Api`, `Api` events, `AWS::ApiGateway::RestApi`.
    Rest,
    /// API Gateway HTTP API (v2): `AWS::Serverless::HttpApi`, `HttpApi` events,
    /// `AWS::ApiGatewayV2::Api`.
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

/// One API with its stages and routes, and everything its definition says about them.
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
    /// `Description`, when set.
    pub description: Option<String>,
    /// True for the APIs SAM creates implicitly from function events.
    pub implicit: bool,
    /// The stages, each served at its own address (at least one once loaded).
    pub stages: Vec<Stage>,
    /// CORS configuration, when set.
    pub cors: Option<Cors>,
    /// REST `BinaryMediaTypes` (e.g. `image/png`, `*/*`), with SAM's `~1` unescaped to `/`.
    pub binary_media_types: Vec<String>,
    /// REST `MinimumCompressionSize` in bytes; `None` disables compression.
    pub minimum_compression_size: Option<u32>,
    /// REST `ApiKeySource`: where a usage-plan key is read from.
    pub api_key_source: ApiKeySource,
    /// `DisableExecuteApiEndpoint`: only custom domains reach the API.
    pub disable_execute_api_endpoint: bool,
    /// Every route, in template order.
    pub routes: Vec<Route>,
    /// The API's authorizers, referenced by name from routes.
    pub authorizers: Vec<Authorizer>,
    /// REST models (schemas), referenced by name from routes.
    pub models: Vec<Model>,
    /// REST request validators, referenced by name from routes.
    pub request_validators: Vec<RequestValidator>,
    /// The validator every method uses unless it names its own
    /// (`x-amazon-apigateway-request-validator` at the top level).
    pub default_validator: Option<String>,
    /// Customized gateway responses (REST).
    pub gateway_responses: Vec<GatewayResponse>,
    /// The REST API's resource policy statements (`Policy`, `x-amazon-apigateway-policy`, and
    /// what SAM writes for `Auth.ResourcePolicy`), as written with intrinsics resolved; empty
    /// when it has none.
    pub resource_policy: Vec<serde_json::Value>,
    /// Where the resource is defined (the first event for an implicit API).
    pub source: SourceLocation,
}

impl Api {
    /// An API with one stage and nothing else yet (its id derived from the logical id).
    pub fn new(logical_id: impl Into<String>, kind: ApiKind, stage: Stage) -> Api {
        let logical_id = logical_id.into();
        Api {
            api_id: crate::api_id_for(&logical_id),
            logical_id,
            kind,
            name: None,
            description: None,
            implicit: false,
            source: stage.source.clone(),
            stages: vec![stage],
            cors: None,
            binary_media_types: Vec::new(),
            minimum_compression_size: None,
            api_key_source: ApiKeySource::Header,
            disable_execute_api_endpoint: false,
            routes: Vec::new(),
            authorizers: Vec::new(),
            models: Vec::new(),
            request_validators: Vec::new(),
            default_validator: None,
            gateway_responses: Vec::new(),
            resource_policy: Vec::new(),
        }
    }

    /// The authorizer with this name.
    pub fn authorizer(&self, name: &str) -> Option<&Authorizer> {
        self.authorizers.iter().find(|a| a.name == name)
    }

    /// The stage with this name.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }
}

/// A deployed stage of an API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// The stage name (`Prod`, `dev`, `$default`).
    pub name: String,
    /// The deployment it serves (a `AWS::ApiGateway::Deployment` logical id), when named.
    pub deployment: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// Stage variables.
    pub variables: BTreeMap<String, String>,
    /// Per-method settings (`MethodSettings`; HTTP API `DefaultRouteSettings` as `*` / `/*`,
    /// `RouteSettings` per route key).
    pub method_settings: Vec<MethodSetting>,
    /// A canary release on this stage (REST).
    pub canary: Option<CanarySettings>,
    /// The stage cache (REST `CacheClusterEnabled` / `CacheClusterSize`).
    pub cache_cluster: Option<CacheCluster>,
    /// `AccessLogSetting` / `AccessLogSettings`.
    pub access_log: Option<AccessLogSettings>,
    /// `TracingEnabled` (X-Ray).
    pub tracing_enabled: bool,
    /// HTTP API `AutoDeploy`.
    pub auto_deploy: bool,
    /// Where the stage is defined (the API for a stage given by `StageName`).
    pub source: SourceLocation,
}

impl Stage {
    /// A stage with just a name, as SAM's `StageName` creates it.
    pub fn named(name: impl Into<String>, source: SourceLocation) -> Stage {
        Stage {
            name: name.into(),
            deployment: None,
            description: None,
            variables: BTreeMap::new(),
            method_settings: Vec::new(),
            canary: None,
            cache_cluster: None,
            access_log: None,
            tracing_enabled: false,
            auto_deploy: false,
            source,
        }
    }
}

/// A REST stage's canary: a share of the stage's traffic served by another deployment with
/// overridden stage variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanarySettings {
    /// `PercentTraffic`, 0.0 to 100.0.
    pub percent_traffic: f64,
    /// The canary's deployment (a logical id), when named.
    pub deployment: Option<String>,
    /// `StageVariableOverrides`: replace or add to the stage's variables for canary requests.
    pub stage_variable_overrides: BTreeMap<String, String>,
    /// `UseStageCache`.
    pub use_stage_cache: bool,
    /// Where the setting is written.
    pub source: SourceLocation,
}

/// A REST stage cache.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheCluster {
    /// `CacheClusterSize` in GB as AWS writes it (`0.5`, `1.6`, …).
    pub size: String,
}

/// Where and how a stage writes access logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLogSettings {
    /// `DestinationArn` (a CloudWatch log group or Firehose ARN).
    pub destination_arn: Option<String>,
    /// `Format`: a line with `$context` variables.
    pub format: Option<String>,
}

/// A deployment: a snapshot of an API that stages serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// Logical id.
    pub logical_id: String,
    /// The API it deploys.
    pub api: String,
    /// `Description`.
    pub description: Option<String>,
    /// Where it is defined.
    pub source: SourceLocation,
}

/// A custom domain name and the APIs mapped under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainName {
    /// The domain (`api.example.com`), matched case-insensitively against `Host`.
    pub domain_name: String,
    /// The API mappings under this domain.
    pub mappings: Vec<ApiMapping>,
    /// Where the domain is defined.
    pub source: SourceLocation,
}

/// One API mapping (`BasePathMapping` / `ApiMapping`): a base path of a domain served by a
/// stage of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiMapping {
    /// The API's logical id.
    pub api: String,
    /// The stage name.
    pub stage: String,
    /// The base path without slashes at either end (`orders/v1`); empty for the root (`(none)`).
    pub base_path: String,
    /// Where the mapping is defined.
    pub source: SourceLocation,
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
