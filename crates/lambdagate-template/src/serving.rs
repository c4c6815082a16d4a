//! Which resource properties serving depends on.
//!
//! Loading is tolerant where serving is not at stake. A reference to something the template
//! does not declare is always a mistake a deploy would reject, but refusing to serve a whole
//! application because, say, an unrelated security group names a missing VPC helps nobody.
//! So the loader marks each value by whether serving depends on it: while it resolves a value
//! that serving does not need, the evaluator is *tolerant* and an unresolvable reference is a
//! warning with file:line (the value gets a stand-in). `LoadOptions::strict` (what
//! `lambdagate validate` asks for) turns tolerance off, so validate still reports every such
//! reference as the error a deploy would make of it.

/// Function properties lambdagate reads to run a function or route to it.
const FUNCTION_KEYS: &[&str] = &[
    "CodeUri",
    "InlineCode",
    "Code",
    "Handler",
    "Runtime",
    "Environment",
    "Timeout",
    "MemorySize",
    "Layers",
    "Events",
    "FunctionName",
    "PackageType",
    "ReservedConcurrentExecutions",
    "Architectures",
    "LoggingConfig",
];

/// API properties nothing served depends on yet: AWS-only settings, and the OpenAPI body
/// (not served today; its integrations name functions by ARN strings that are only matched
/// against the template's functions, so a typo there must not refuse the template).
const API_KEYS_NOT_SERVED: &[&str] = &[
    "DefinitionBody",
    "Tags",
    "EndpointConfiguration",
    "TracingEnabled",
    "AccessLogSetting",
    "AccessLogSettings",
    "OpenApiVersion",
    "PropagateTags",
];

/// API properties that shape answers but whose unresolvable parts need not stop the API:
/// `sam local` serves an API whose CORS origin is an intrinsic it cannot resolve (SAM CLI's
/// start-api tests have one, built from an `ImportValue`), and so does lambdagate, with the
/// stand-in and a warning.
const API_KEYS_TOLERATED: &[&str] = &["Cors", "CorsConfiguration"];

/// True when serving reads resources of type `kind` at all: functions, layers, APIs and their
/// parts, nested stacks, and the resources local backings stand in for. Nothing served depends
/// on a resource of another type (`AWS::CDK::Metadata`, a role, a bucket), so a `Condition` it
/// names that the template lacks is a warning when serving (what it guards is left out).
pub fn reads_kind(kind: &str) -> bool {
    // `AWS::Serverless::Application` is a nested stack, as `AWS::CloudFormation::Stack` is.
    kind.starts_with("AWS::Serverless::")
        || kind.starts_with("AWS::Lambda::")
        || kind.starts_with("AWS::ApiGateway")
        || kind == "AWS::CloudFormation::Stack"
        || lambdagate_model::resources::BackingKind::of(kind).is_some()
}

/// True when serving depends on the value of property `key` of `resource`: as
/// [`depends_on`], except that a function whose code CDK's `aws:asset:path` names runs that
/// (`code.rs`), so the S3 location in its `Code` is not served (and CDK's asset parameters may
/// be missing from a template cut down by hand).
pub fn resource_depends_on(resource: &crate::eval::Resource, key: &str) -> bool {
    if key == "Code"
        && resource.kind == "AWS::Lambda::Function"
        && crate::cdk::asset_of(resource, "Code").is_some()
    {
        return false;
    }
    depends_on(&resource.kind, key)
}

/// True when serving depends on the value of property `key` of a resource of type `kind`.
pub fn depends_on(kind: &str, key: &str) -> bool {
    match kind {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => FUNCTION_KEYS.contains(&key),
        "AWS::Serverless::Api" | "AWS::Serverless::HttpApi" => {
            !API_KEYS_NOT_SERVED.contains(&key) && !API_KEYS_TOLERATED.contains(&key)
        }
        "AWS::Serverless::LayerVersion" => key == "ContentUri",
        "AWS::Lambda::LayerVersion" => key == "Content",
        // The raw API Gateway resources `cfn.rs` attaches to the served APIs (a loader that
        // starts reading another type adds it here). The others are only warned about.
        "AWS::ApiGateway::Stage"
        | "AWS::ApiGatewayV2::Stage"
        | "AWS::ApiGateway::Deployment"
        | "AWS::ApiGateway::GatewayResponse"
        | "AWS::ApiGateway::BasePathMapping"
        | "AWS::ApiGatewayV2::ApiMapping" => key != "Tags",
        // The raw APIs' own parts (`cfn_rest.rs`, `cfn_http.rs`, `cfn_usage.rs`).
        // An API's OpenAPI `Body` is read like SAM's `DefinitionBody` (see above).
        kind if crate::cfn_rest::LOADED.contains(&kind) => {
            !matches!(key, "Tags" | "Body" | "EndpointConfiguration")
        }
        // Certificates and endpoint settings only matter in AWS.
        "AWS::ApiGateway::DomainName" | "AWS::ApiGatewayV2::DomainName" => key == "DomainName",
        _ => false,
    }
}
