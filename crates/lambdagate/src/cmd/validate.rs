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
