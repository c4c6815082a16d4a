//! `lambdagate validate`.

use std::process::ExitCode;

use lambdagate_gateway::{Addressing, CompiledApp};
use lambdagate_template::Severity;

use crate::cli::ValidateArgs;

/// Loads and checks a template: `OK` (after any warnings), or every diagnostic and exit code 1.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let path = crate::load::template_path(&args.template)?;
    // A deploy rejects every unresolvable reference, even where serving would not need it.
    let options = lambdagate_template::LoadOptions {
        strict: true,
        ..crate::load::options(&args.template)?
    };
    match lambdagate_template::load(&path, &options) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            let mut missing = 0;
            for function in &loaded.application.functions {
                match handler_check(function) {
                    HandlerCheck::Found => {}
                    HandlerCheck::MayBeBuilt(why) => {
                        eprintln!("{}: warning: {why}", function.source)
                    }
                    HandlerCheck::Missing(why) => {
                        println!("{}: error: {why}", function.source);
                        missing += 1;
                    }
                }
            }
            if missing > 0 {
                eprintln!(
                    "{}: {missing} error{}",
                    path.display(),
                    if missing == 1 { "" } else { "s" }
                );
                return Ok(ExitCode::FAILURE);
            }
            // What the gateway would refuse or not enforce when serving it.
            let addressing = Addressing { stage_prefix: true };
            match CompiledApp::compile(&loaded.application, addressing) {
                // A template or selection pattern that does not compile fails a deploy.
                Ok(compiled) if !compiled.deploy_errors().is_empty() => {
                    let errors = compiled.deploy_errors();
                    for error in &errors {
                        println!("{error}");
                    }
                    eprintln!(
                        "{}: {} error{}",
                        path.display(),
                        errors.len(),
                        if errors.len() == 1 { "" } else { "s" }
                    );
                    Ok(ExitCode::FAILURE)
                }
                Ok(compiled) => {
                    for warning in compiled.warnings() {
                        eprintln!("warning: {warning}");
                    }
                    println!("OK");
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    println!("{error}");
                    eprintln!("{}: 1 error", path.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                println!("{diagnostic}");
            }
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            eprintln!(
                "{}: {errors} error{}",
                path.display(),
                if errors == 1 { "" } else { "s" }
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Whether a function's handler file is there.
#[derive(Debug, PartialEq, Eq)]
enum HandlerCheck {
    Found,
    /// Not there, but a build step probably makes it (TypeScript sources, a build script).
    MayBeBuilt(String),
    Missing(String),
}

/// Looks for the file a function's `Handler` names, where its runtime would look.
fn handler_check(function: &lambdagate_model::Function) -> HandlerCheck {
    use lambdagate_model::RuntimeFamily;
    let code = &function.code_dir;
    let roots: Vec<&std::path::Path> = std::iter::once(code.as_path())
        .chain(function.layers.iter().map(|l| l.as_path()))
        .collect();
    let (candidates, built_from): (Vec<String>, Vec<String>) = match function.family {
        RuntimeFamily::Provided => {
            let found = roots.iter().any(|r| r.join("bootstrap").is_file());
            if found {
                return HandlerCheck::Found;
            }
            (vec!["bootstrap".to_string()], Vec::new())
        }
        RuntimeFamily::Python => {
            let Some(handler) = function.handler.as_deref() else {
                return HandlerCheck::Found;
            };
            let module = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
            let path = module.replace('.', "/");
            (
                vec![format!("{path}.py"), format!("{path}/__init__.py")],
                Vec::new(),
            )
        }
        RuntimeFamily::Node => {
            let Some(handler) = function.handler.as_deref() else {
                return HandlerCheck::Found;
            };
            let module = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
            (
                ["", ".js", ".mjs", ".cjs"]
                    .iter()
                    .map(|ext| format!("{module}{ext}"))
                    .collect(),
                [".ts", ".mts", ".cts"]
                    .iter()
                    .map(|ext| format!("{module}{ext}"))
                    .collect(),
            )
        }
    };
    let python_roots: Vec<std::path::PathBuf> =
        function.layers.iter().map(|l| l.join("python")).collect();
    let found = candidates.iter().any(|c| {
        roots.iter().any(|r| r.join(c).is_file())
            || python_roots.iter().any(|r| r.join(c).is_file())
    });
    if found {
        return HandlerCheck::Found;
    }
    let what = format!(
        "{}'s handler `{}` has no file {} in {}",
        function.logical_id,
        function.handler.as_deref().unwrap_or("bootstrap"),
        candidates
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" or "),
        code.display()
    );
    let typescript = built_from.iter().any(|c| code.join(c).is_file());
    let build_script = std::fs::read_to_string(code.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|p| p["scripts"]["build"].is_string())
        || code.join("Makefile").is_file();
    if typescript || build_script {
        HandlerCheck::MayBeBuilt(format!("{what} (a build step may create it)"))
    } else {
        HandlerCheck::Missing(what)
    }
}
