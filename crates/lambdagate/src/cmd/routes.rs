//! `lambdagate routes`: the resolved APIs, stages and routes as an aligned table or JSON.

use std::process::ExitCode;

use lambdagate_model::{Application, IntegrationTarget, RouteKey};

use crate::cli::RoutesArgs;

/// Prints the resolved APIs, stages and routes.
pub fn run(args: RoutesArgs) -> anyhow::Result<ExitCode> {
    let app = crate::load::application(&args.template)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&app.apis)?);
    } else {
        print!("{}", table(&app));
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per route and stage: API (kind), stage, method, path, target.
fn table(app: &Application) -> String {
    let mut rows = vec![[
        "API".to_string(),
        "STAGE".to_string(),
        "METHOD".to_string(),
        "PATH".to_string(),
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
                    stage.name.clone(),
                    method,
                    path,
                    target,
                ]);
            }
        }
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
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
