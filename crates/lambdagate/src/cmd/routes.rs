//! `lambdagate routes`: the resolved APIs, stages and routes (with how each is authorized) and
//! the custom domains, as aligned tables, or the APIs as JSON.

use std::process::ExitCode;

use lambdagate_model::{Application, AuthorizationType, IntegrationTarget, Route, RouteKey};

use crate::cli::RoutesArgs;

/// Prints the resolved APIs, stages and routes.
pub fn run(args: RoutesArgs) -> anyhow::Result<ExitCode> {
    let app = crate::load::application(&args.template)?;
    if args.json {
        // A list of APIs: scripts and tests read it as one; domains are in the table.
        println!("{}", serde_json::to_string_pretty(&app.apis)?);
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
