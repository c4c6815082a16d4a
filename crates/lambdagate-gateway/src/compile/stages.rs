//! Stages, compiled: each stage's deployment and, with a canary, a second variant with the
//! overridden variables; Lambda targets written as `${stageVariables.x}` resolved per variant.

use lambdagate_model::aws::short_id_for;
use lambdagate_model::{Api, Application, Stage};

use super::{Canary, RouteRuntime, StageRuntime, StageVariant};
use crate::backend::FunctionHandle;
use crate::integration::{CompiledIntegration, FunctionTarget, LambdaProxy};

/// `${stageVariables.name}` references in a function name.
fn stage_variable_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${stageVariables.") {
        let after = &rest[at + "${stageVariables.".len()..];
        let Some(end) = after.find('}') else { break };
        names.push(&after[..end]);
        rest = &after[end..];
    }
    names
}

/// The function a `${stageVariables.x}` target names under these variables.
fn resolve_stage_function(
    app: &Application,
    template: &str,
    variables: &[(String, String)],
) -> Result<FunctionHandle, String> {
    let mut name = template.to_string();
    for var in stage_variable_names(template) {
        let Some((_, value)) = variables.iter().find(|(k, _)| k == var) else {
            return Err(format!("stage variable `{var}` is not set"));
        };
        name = name.replace(&format!("${{stageVariables.{var}}}"), value);
    }
    // `function:name:alias` / ARNs: only the function name part selects a local function.
    let short = name
        .rsplit_once(":function:")
        .map_or(name.as_str(), |(_, n)| n);
    let short = short.split(':').next().unwrap_or(short);
    match app.function_index(short) {
        Some(index) => Ok(FunctionHandle {
            index,
            name: app.functions[index].logical_id.as_str().into(),
        }),
        None => Err(format!(
            "`{name}` (from `{template}`) is not a function of the template"
        )),
    }
}

fn variant(
    app: &Application,
    routes: &[RouteRuntime],
    deployment_id: String,
    variables: Vec<(String, String)>,
    is_canary: bool,
) -> StageVariant {
    let functions = routes
        .iter()
        .map(|route| match &route.integration {
            CompiledIntegration::LambdaProxy(LambdaProxy {
                function: FunctionTarget::StageVariable(template),
                ..
            }) => Some(resolve_stage_function(app, template, &variables)),
            _ => None,
        })
        .collect();
    StageVariant {
        deployment_id,
        variables,
        is_canary,
        functions,
    }
}

pub(super) fn compile_stage(
    app: &Application,
    api: &Api,
    stage: &Stage,
    routes: &[RouteRuntime],
    warnings: &mut Vec<String>,
) -> StageRuntime {
    let variables: Vec<(String, String)> = stage
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let deployment = stage
        .deployment
        .clone()
        .unwrap_or_else(|| format!("deployment:{}", api.logical_id));
    let base = variant(
        app,
        routes,
        short_id_for(&deployment, 6),
        variables.clone(),
        false,
    );
    let canary = stage.canary.as_ref().map(|c| {
        let mut merged = variables.clone();
        for (k, v) in &c.stage_variable_overrides {
            match merged.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v.clone(),
                None => merged.push((k.clone(), v.clone())),
            }
        }
        let deployment = c
            .deployment
            .clone()
            .unwrap_or_else(|| format!("canary:{}:{}", api.logical_id, stage.name));
        Canary {
            percent: c.percent_traffic.clamp(0.0, 100.0),
            variant: variant(app, routes, short_id_for(&deployment, 6), merged, true),
        }
    });
    for (label, v) in
        std::iter::once(("", &base)).chain(canary.as_ref().map(|c| (" (canary)", &c.variant)))
    {
        for (route, resolved) in routes.iter().zip(&v.functions) {
            if let Some(Err(why)) = resolved {
                warnings.push(format!(
                    "{}: stage {}{label} of API {}: route {} cannot be served: {why}; it answers \
                     500 Internal server error, as API Gateway does when it cannot invoke the \
                     function",
                    stage.source, stage.name, api.logical_id, route.route_key
                ));
            }
        }
    }
    StageRuntime {
        name: stage.name.clone(),
        base,
        canary,
        // Filled by the caller, once every route is compiled.
        guards: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_variable_references() {
        assert_eq!(
            stage_variable_names("fn-${stageVariables.env}-${stageVariables.v}"),
            ["env", "v"]
        );
        assert!(stage_variable_names("plain").is_empty());
    }
}
