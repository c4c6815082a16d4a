//! `lambdagate routes`: the resolved APIs, stages and routes (with how each is authorized) and
//! the custom domains, as aligned tables, or the APIs as JSON.

use std::process::ExitCode;

use lambdagate_model::{
    Api, Application, AuthorizationType, AuthorizerKind, IntegrationTarget, LambdaAuthorizerType,
    Route, RouteKey,
};
use serde_json::{Value, json};

use crate::cli::RoutesArgs;

/// Prints the resolved APIs, stages and routes.
pub fn run(args: RoutesArgs) -> anyhow::Result<ExitCode> {
    let app = crate::load::application(&args.template)?;
    if args.json {
        // One object per route and stage, as the table has one line per route and stage;
        // domains are in the table only.
        println!("{}", serde_json::to_string_pretty(&json_rows(&app))?);
    } else {
        print!("{}", table(&app));
        if !app.domains.is_empty() {
            println!();
            print!("{}", domains(&app));
        }
        if !app.api_keys.is_empty() {
            println!();
            print!("{}", api_keys(&app));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How a route is authorized: `NONE`, `AWS_IAM`, `CUSTOM(name)`, `JWT(name)`,
/// `COGNITO(name)`, with `+KEY` when it needs an API key.
fn auth(route: &Route) -> String {
    let kind = match route.auth.authorization_type {
        AuthorizationType::None => "NONE",
        AuthorizationType::AwsIam => "AWS_IAM",
        AuthorizationType::Custom => "CUSTOM",
        AuthorizationType::CognitoUserPools => "COGNITO",
        AuthorizationType::Jwt => "JWT",
    };
    let mut out = match &route.auth.authorizer {
        Some(name) => format!("{kind}({name})"),
        None => kind.to_string(),
    };
    if route.api_key_required {
        out.push_str("+KEY");
    }
    out
}

/// One line per route and stage: API (kind), stage, method, path, auth, target.
fn table(app: &Application) -> String {
    let mut rows = vec![[
        "API".to_string(),
        "STAGE".to_string(),
        "METHOD".to_string(),
        "PATH".to_string(),
        "AUTH".to_string(),
        "TARGET".to_string(),
    ]];
    for api in &app.apis {
        for stage in &api.stages {
            for route in &api.routes {
                let (method, path) = match &route.key {
                    RouteKey::MethodPath { method, path } => (method.clone(), path.clone()),
                    RouteKey::Default => ("*".to_string(), "$default".to_string()),
                };
                let integration = &route.integration;
                let target = match &integration.target {
                    IntegrationTarget::Function(function) => function.clone(),
                    IntegrationTarget::Uri(uri) => format!("{} {uri}", integration.kind),
                    IntegrationTarget::None => "mock".to_string(),
                };
                rows.push([
                    format!("{} ({})", api.logical_id, api.kind),
                    match &stage.canary {
                        Some(c) => format!("{} (canary {}%)", stage.name, c.percent_traffic),
                        None => stage.name.clone(),
                    },
                    method,
                    path,
                    auth(route),
                    target,
                ]);
            }
        }
    }
    align(&rows)
}

/// One line per custom-domain mapping: domain, base path (`(none)` for the root), API, stage.
fn domains(app: &Application) -> String {
    let mut rows = vec![[
        "DOMAIN".to_string(),
        "BASE PATH".to_string(),
        "API".to_string(),
        "STAGE".to_string(),
    ]];
    for domain in &app.domains {
        for mapping in &domain.mappings {
            let base_path = if mapping.base_path.is_empty() {
                "(none)".to_string()
            } else {
                mapping.base_path.clone()
            };
            rows.push([
                domain.domain_name.clone(),
                base_path,
                mapping.api.clone(),
                mapping.stage.clone(),
            ]);
        }
    }
    align(&rows)
}

/// One line per API key: logical id, whether it is enabled, and the value the server accepts
/// (generated when the template sets none, the same at every start).
pub fn api_keys(app: &Application) -> String {
    let mut rows = vec![[
        "API KEY".to_string(),
        "ENABLED".to_string(),
        "VALUE".to_string(),
    ]];
    for key in &app.api_keys {
        let value = key.served_value(&app.stack_name);
        rows.push([
            key.logical_id.clone(),
            key.enabled.to_string(),
            if key.value.is_some() {
                value
            } else {
                format!("{value} (generated)")
            },
        ]);
    }
    align(&rows)
}

/// Rows as lines with every column but the last padded to its widest cell.
fn align<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What `routes --json` prints: per route and stage, what the template was understood to say
/// (the API and stage, who may call it, what checks the request, what serves it), in AWS's
/// words.
fn json_rows(app: &Application) -> Vec<Value> {
    let mut rows = Vec::new();
    for api in &app.apis {
        for stage in &api.stages {
            for route in &api.routes {
                let (method, path) = match &route.key {
                    RouteKey::MethodPath { method, path } => (method.as_str(), path.as_str()),
                    RouteKey::Default => ("*", "$default"),
                };
                rows.push(json!({
                    "api": api.logical_id,
                    "api_kind": api.kind.to_string(),
                    "api_id": api.api_id,
                    "stage": stage.name,
                    "method": method,
                    "path": path,
                    // The table's AUTH column, for scripts that compare the two.
                    "auth": auth(route),
                    "authorization": route.auth.authorization_type.as_str(),
                    "authorizer": json_authorizer(api, route),
                    "scopes": route.auth.scopes,
                    "api_key_required": route.api_key_required,
                    "request_validator": json_validator(api, route),
                    "integration": json_integration(app, route),
                    "source": route.source.to_string(),
                }));
            }
        }
    }
    rows
}

/// The route's authorizer by name and kind (`TOKEN` / `REQUEST` Lambda authorizers with their
/// function, `COGNITO_USER_POOLS`, `JWT`, `AWS_IAM`); null for `NONE` and plain `AWS_IAM`.
fn json_authorizer(api: &Api, route: &Route) -> Value {
    let Some(name) = &route.auth.authorizer else {
        return Value::Null;
    };
    let Some(authorizer) = api.authorizer(name) else {
        return json!({ "name": name, "kind": Value::Null });
    };
    match &authorizer.kind {
        AuthorizerKind::Lambda {
            function,
            authorizer_type,
            ..
        } => json!({
            "name": name,
            "kind": match authorizer_type {
                LambdaAuthorizerType::Token => "TOKEN",
                LambdaAuthorizerType::Request => "REQUEST",
            },
            "function": function,
            "identity_sources": authorizer.identity_sources,
        }),
        AuthorizerKind::Jwt { issuer, audience } => json!({
            "name": name,
            "kind": "JWT",
            "issuer": issuer,
            "audience": audience,
            "identity_sources": authorizer.identity_sources,
        }),
        AuthorizerKind::CognitoUserPools { provider_arns } => json!({
            "name": name,
            "kind": "COGNITO_USER_POOLS",
            "provider_arns": provider_arns,
            "identity_sources": authorizer.identity_sources,
        }),
        AuthorizerKind::Iam => json!({ "name": name, "kind": "AWS_IAM" }),
    }
}

/// The request validator the route uses (its own, else the API's default): name and what it
/// checks; null when none.
fn json_validator(api: &Api, route: &Route) -> Value {
    let Some(name) = route
        .request_validator
        .as_ref()
        .or(api.default_validator.as_ref())
    else {
        return Value::Null;
    };
    match api.request_validators.iter().find(|v| v.name == *name) {
        Some(v) => json!({
            "name": v.name,
            "validate_body": v.validate_body,
            "validate_parameters": v.validate_parameters,
        }),
        None => json!({ "name": name }),
    }
}

/// The integration's type and target: a function (and whether it can run here), a URI, or
/// nothing (`MOCK`).
fn json_integration(app: &Application, route: &Route) -> Value {
    let integration = &route.integration;
    let kind = integration.kind.as_str();
    match &integration.target {
        IntegrationTarget::Function(function) => json!({
            "kind": kind,
            "target": "function",
            "function": function,
            "available": app.functions.iter().any(|f| f.logical_id == *function),
        }),
        IntegrationTarget::Uri(uri) => json!({
            "kind": kind,
            "target": "uri",
            "uri": uri,
            "http_method": integration.http_method,
        }),
        IntegrationTarget::None => json!({ "kind": kind, "target": "none" }),
    }
}
