//! Finding and loading the template named on the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use lambdagate_model::Application;
use lambdagate_template::{LoadFailure, LoadOptions, Severity};

use crate::cli::TemplateArgs;

/// The files that make the current folder a Serverless Framework project.
const SERVERLESS_CONFIGS: &[&str] = &[
    "serverless.yml",
    "serverless.yaml",
    "serverless.json",
    "serverless.js",
    "serverless.ts",
];

/// The CloudFormation template `serverless package` writes, with the zips it names.
const SERVERLESS_PACKAGE: &str = ".serverless/cloudformation-template-update-stack.json";

/// The template path: `-t`; else, as SAM CLI does, the one `sam build` wrote in
/// `.aws-sam/build/`; else `template.yaml|yml|json` in the current folder; else, in a
/// Serverless Framework project, the template `serverless package` wrote.
pub fn template_path(args: &TemplateArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.template {
        return Ok(path.clone());
    }
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let built = Path::new(".aws-sam").join("build").join("template.yaml");
    if cwd.join(&built).is_file() {
        // Said every time: the built copy does not change when the sources do.
        eprintln!(
            "Using {} (written by `sam build`; pass -t template.yaml to serve the sources)",
            built.display()
        );
        return Ok(built);
    }
    if let Some(found) = lambdagate_template::discover(&cwd) {
        return Ok(found);
    }
    if let Some(config) = SERVERLESS_CONFIGS
        .iter()
        .find(|name| cwd.join(name).is_file())
    {
        let package = Path::new(SERVERLESS_PACKAGE);
        if cwd.join(package).is_file() {
            // Said every time, as for `sam build`'s copy: the package does not follow edits.
            eprintln!(
                "Using {} (written by `serverless package`; run it again after a change to \
                 {config} or the code)",
                package.display()
            );
            return Ok(package.to_path_buf());
        }
        return Err(anyhow!(
            "no template found: {config} is a Serverless Framework project, whose \
             CloudFormation `serverless package` writes: run `serverless package`, then this \
             command serves {SERVERLESS_PACKAGE}"
        ));
    }
    Err(anyhow!(
        "no template found: pass -t TEMPLATE, or run in a folder with template.yaml, \
         template.yml or template.json"
    ))
}

/// Parses `--parameter-overrides` values: `K=V K2=V2` or `ParameterKey=K,ParameterValue=V`, a
/// value in double or single quotes keeping its spaces (`Name="my app"`), as SAM reads them and
/// as `sam deploy --guided` writes them into samconfig.toml (`Stage=\"dev\"`).
pub fn parameter_overrides(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for value in values {
        for item in words(value)? {
            if let Some(rest) = item.strip_prefix("ParameterKey=") {
                let (key, val) = rest.split_once(",ParameterValue=").ok_or_else(|| {
                    anyhow!("parameter override `{item}`: expected ParameterKey=K,ParameterValue=V")
                })?;
                out.push((key.to_string(), val.to_string()));
            } else {
                let (key, val) = item
                    .split_once('=')
                    .ok_or_else(|| anyhow!("parameter override `{item}`: expected Key=Value"))?;
                out.push((key.to_string(), val.to_string()));
            }
        }
    }
    Ok(out)
}

/// Splits `text` at whitespace outside quotes, removing the quotes; inside quotes a backslash
/// escapes the next character.
fn words(text: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => word.push(escaped),
                            None => break,
                        },
                        Some(other) => word.push(other),
                        None => {
                            return Err(anyhow!(
                                "parameter overrides `{text}`: a quote is not closed"
                            ));
                        }
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// The loader's options from the command line.
pub fn options(args: &TemplateArgs) -> anyhow::Result<LoadOptions> {
    Ok(LoadOptions {
        parameter_overrides: parameter_overrides(&args.parameter_overrides)?,
        region: region(args),
        stack_name: args.stack_name.clone(),
        strict: false,
    })
}

/// The region: `--region` (or `AWS_REGION`), else `AWS_DEFAULT_REGION`, else the AWS profile's
/// `region`; the loader's default (us-east-1) when none says.
fn region(args: &TemplateArgs) -> Option<String> {
    args.region
        .clone()
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.trim().is_empty())
        .or_else(|| crate::profile::Selected::new(args.profile.as_deref()).region())
}

/// Loads the application, printing warnings to stderr; errors become one message listing all.
pub fn application(args: &TemplateArgs) -> anyhow::Result<Application> {
    application_or_failure(args).map_err(|failure| failure.error)
}

/// Keeps only the functions `names` name (each a logical id, a nested function's path or its
/// id in its stack, or a function name); all of them when `names` is empty. A name the
/// template lacks is an error that lists the template's functions.
pub fn keep_functions(app: &mut Application, names: &[String]) -> anyhow::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let mut keep = vec![false; app.functions.len()];
    let mut missing = Vec::new();
    for name in names {
        match app.function_index_for_cli(name) {
            Some(i) => keep[i] = true,
            None => missing.push(name.as_str()),
        }
    }
    if !missing.is_empty() {
        let known: Vec<&str> = app
            .functions
            .iter()
            .map(|f| f.logical_id.as_str())
            .collect();
        // Worded as `sam local start-lambda` words it, so scripts that look for it find it.
        anyhow::bail!(
            "functions not found in {}: {}. Possible options in your template: {}",
            app.template.display(),
            missing.join(", "),
            known.join(", ")
        );
    }
    let mut kept = keep.into_iter();
    app.functions.retain(|_| kept.next().unwrap_or(false));
    Ok(())
}

/// Why the application did not load, and the files the errors are in.
pub struct Failure {
    /// One message listing every error.
    pub error: anyhow::Error,
    /// The files the diagnostics name, as they name them (an OpenAPI file or included snippet
    /// that does not parse, say), and every file the template led the loader to, a missing one
    /// too: hot reload watches them, so that fixing or creating one loads again.
    pub files: Vec<PathBuf>,
}

/// [`application`], with the files a failure is about.
pub fn application_or_failure(args: &TemplateArgs) -> Result<Application, Failure> {
    let failed = |error: anyhow::Error| Failure {
        error,
        files: Vec::new(),
    };
    let path = template_path(args).map_err(failed)?;
    let options = options(args).map_err(failed)?;
    match lambdagate_template::load_with_sources(&path, &options) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            Ok(loaded.application)
        }
        Err(LoadFailure {
            diagnostics,
            sources,
        }) => {
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            let files = diagnostics
                .iter()
                .map(|d| d.location.file.clone())
                .chain(sources)
                .collect();
            Err(Failure {
                error: anyhow!(
                    "{} has {errors} error{}:\n{}",
                    path.display(),
                    if errors == 1 { "" } else { "s" },
                    lines.join("\n")
                ),
                files,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_in_both_forms() {
        let parsed = parameter_overrides(&[
            "A=1 B=x=y".to_string(),
            "ParameterKey=Env,ParameterValue=prod".to_string(),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "x=y".to_string()),
                ("Env".to_string(), "prod".to_string())
            ]
        );
        assert!(parameter_overrides(&["novalue".to_string()]).is_err());
    }

    #[test]
    fn quoted_values_keep_their_spaces_and_lose_their_quotes() {
        let parsed = parameter_overrides(&[
            r#"Stage="dev" Name="my app" Empty="" Q='it\'s' Esc="a\"b""#.to_string(),
            r#"ParameterKey=Env,ParameterValue="pre prod""#.to_string(),
        ])
        .unwrap();
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Stage", "dev"),
                ("Name", "my app"),
                ("Empty", ""),
                ("Q", "it's"),
                ("Esc", "a\"b"),
                ("Env", "pre prod")
            ]
        );
        assert!(parameter_overrides(&[r#"A="open"#.to_string()]).is_err());
    }
}
