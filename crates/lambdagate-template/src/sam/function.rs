//! `AWS::Serverless::Function` and `AWS::Lambda::Function` into the model's [`Function`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lambdagate_model::{Function, LoggingConfig, RuntimeFamily, SUPPORTED_RUNTIMES};

use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;
use crate::refs;

/// Builds one function from its resolved properties. Every problem with it is reported.
/// `Ok(None)`: a function a deploy accepts but lambdagate cannot run (its runtime), warned
/// about; routes to it answer as AWS does when it cannot invoke a function (the gateway refuses the invocation).
pub fn build(
    ev: &mut Evaluator<'_>,
    resource: &Resource,
    props: &Node,
    unresolved: &[String],
    base: &Path,
    layers: &HashMap<String, PathBuf>,
) -> R<Option<Function>> {
    let owner = format!("function `{}`", resource.logical_id);
    let strict = ev.strict;
    let d = &mut ev.diags;
    // Properties that failed to resolve were reported already: check the others, and skip the
    // checks a missing property would otherwise trigger.
    let mut failed = !unresolved.is_empty();
    let missing_is_known = |name: &str| unresolved.iter().any(|u| u == name);

    if let Some(node) = props.get("PackageType")
        && node.as_str() == Some("Image")
    {
        // A deploy accepts it: say what is not served and serve the rest.
        d.warn(
            node.pos,
            format!(
                "{owner}: PackageType Image needs a container engine to run the image; \
                 lambdagate runs zip functions (Runtime, Handler and a CodeUri folder). The \
                 function is not served: requests routed to it answer 500 Internal server \
                 error, as API Gateway does when it cannot invoke a function"
            ),
        );
        return Ok(None);
    }

    if let Some(node) = props.get("DurableConfig") {
        // Read and not served: said, never dropped silently.
        d.warn(
            node.pos,
            format!(
                "{owner}: DurableConfig (a durable function) is not served: lambdagate invokes \
                 it as a standard function, without durable execution's envelope, checkpoints \
                 or replays, so a handler written with the durable execution SDK refuses the \
                 event"
            ),
        );
    }

    unserved_settings(d, props, &owner);

    let runtime = props::text(d, props, "Runtime", &owner)?;
    let family = match &runtime {
        None if missing_is_known("Runtime") => None,
        None => {
            d.error(
                resource.pos,
                format!(
                    "{owner} has no Runtime (set it on the function or in Globals.Function): \
                     expected one of {}",
                    SUPPORTED_RUNTIMES.join(", ")
                ),
            );
            failed = true;
            None
        }
        Some(r) => match RuntimeFamily::of(r) {
            Some(family) => Some(family),
            None => {
                // A deploy accepts java21, dotnet8, ruby3.3…: serve the rest of the template.
                let pos = props.get("Runtime").map_or(resource.pos, |n| n.pos);
                d.warn(
                    pos,
                    format!(
                        "{owner}: runtime `{r}` is not supported; supported runtimes: {}. The \
                         function is not served: requests routed to it answer 500 Internal \
                         server error, as API Gateway does when it cannot invoke a function",
                        SUPPORTED_RUNTIMES.join(", ")
                    ),
                );
                return Ok(None);
            }
        },
    };

    let handler = props::text(d, props, "Handler", &owner)?;
    if handler.is_none()
        && !missing_is_known("Handler")
        && matches!(family, Some(RuntimeFamily::Python | RuntimeFamily::Node))
    {
        d.error(
            resource.pos,
            format!(
                "{owner} has no Handler: {} functions need one, such as `app.handler`",
                runtime.as_deref().unwrap_or_default()
            ),
        );
        failed = true;
    }

    let mark = d.mark();
    let code_dir = if ["CodeUri", "Code", "InlineCode"]
        .iter()
        .any(|k| missing_is_known(k))
    {
        Err(Reported)
    } else {
        crate::code::folder(d, resource, props, runtime.as_deref(), base, &owner, strict)
    };
    if code_dir.is_err() && !strict && crate::cdk::missing_asset(resource, props, base) {
        d.demote_since(
            mark,
            "; the function is not served: requests routed to it answer 500 Internal server \
             error, as API Gateway does when it cannot invoke a function (`lambdagate validate` \
             reports it as an error)",
        );
        return Ok(None);
    }

    let function_name = props::text(d, props, "FunctionName", &owner)?
        .unwrap_or_else(|| resource.logical_id.clone());
    if code_dir.is_err()
        && !strict
        && d.has_errors_since(mark)
        && crate::code::local_zip(resource, props, base)
    {
        // A zip that cannot be unpacked safely keeps only its own function from running.
        d.demote_since(
            mark,
            ". The function is not served: requests routed to it answer 500 Internal server \
             error, as API Gateway does when it cannot invoke a function (`lambdagate validate` \
             reports it as an error)",
        );
        return Ok(None);
    }

    let environment = match props.get("Environment").and_then(|e| e.get("Variables")) {
        Some(vars) => props::string_map(d, vars, &format!("{owner}: Environment.Variables")),
        None => Ok(Default::default()),
    };

    let timeout = timeout(d, props, &owner, strict);
    let memory = props::number(d, props, "MemorySize", &owner, 128..=10240);
    let concurrency = props::number(
        d,
        props,
        "ReservedConcurrentExecutions",
        &owner,
        0..=u32::MAX,
    );
    let architectures = props::strings(d, props, "Architectures", &owner).and_then(|a| {
        let a = a.unwrap_or_else(|| vec!["x86_64".to_string()]);
        match a.iter().find(|x| *x != "x86_64" && *x != "arm64") {
            Some(bad) => Err(d.error(
                props.get("Architectures").map_or(resource.pos, |n| n.pos),
                format!("{owner}: architecture `{bad}` is not one of x86_64, arm64"),
            )),
            None => Ok(a),
        }
    });

    let mut layer_dirs = Vec::new();
    if let Some(list) = props.get("Layers") {
        match list.as_seq() {
            Some(items) => {
                for item in items {
                    let Some(arn) = item.as_str() else {
                        d.error(item.pos, format!("{owner}: Layers must hold layer ARNs"));
                        failed = true;
                        continue;
                    };
                    match layers.get(arn) {
                        Some(dir) => layer_dirs.push(dir.clone()),
                        None if !is_layer_version_arn(arn) => {
                            let message = format!(
                                "{owner}: layer `{arn}` is not a layer version ARN \
                                 (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION); Lambda \
                                 refuses it"
                            );
                            if strict {
                                d.error(item.pos, message);
                                failed = true;
                            } else {
                                // A placeholder or a parameter without a value: the function
                                // still runs, without the layer, as the rest of the template
                                // serves (`sam local` refuses to start).
                                d.warn(
                                    item.pos,
                                    format!(
                                        "{message}; the function runs without it \
                                         (`lambdagate validate` reports it as an error)"
                                    ),
                                );
                            }
                        }
                        None => d.warn(
                            item.pos,
                            format!(
                                "{owner}: layer `{arn}` is not an AWS::Serverless::LayerVersion of \
                                 this template, so its content is not available locally; skipped"
                            ),
                        ),
                    }
                }
            }
            None => {
                d.error(list.pos, format!("{owner}: Layers must be a list"));
                failed = true;
            }
        }
    }

    let logging = logging(d, props, &owner, strict);
    let (code_dir, environment, timeout, memory, concurrency, architectures, logging) = match (
        code_dir,
        environment,
        timeout,
        memory,
        concurrency,
        architectures,
        logging,
    ) {
        (Ok(c), Ok(e), Ok(t), Ok(m), Ok(r), Ok(a), Ok(l)) => (c, e, t, m, r, a, l),
        _ => return Err(Reported),
    };
    let (Some(runtime), Some(family), false) = (runtime, family, failed) else {
        return Err(Reported);
    };
    // A custom runtime's bootstrap is a binary for its architecture; interpreters run
    // anywhere. Lambda's `arm64` is aarch64.
    let host = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    };
    if family == RuntimeFamily::Provided && !architectures.iter().any(|a| a == host) {
        d.warn(
            props.get("Architectures").map_or(resource.pos, |n| n.pos),
            format!(
                "{owner}: built for {} and this machine is {host}: its bootstrap runs here only \
                 if it was built for {host} (or is a script)",
                architectures.join(", ")
            ),
        );
    }
    let arn = refs::attribute(
        &resource.kind,
        &resource.logical_id,
        Some(&function_name),
        "Arn",
        &ev.env,
    );
    Ok(Some(Function {
        logical_id: resource.logical_id.clone(),
        function_name,
        arn,
        runtime,
        family,
        handler,
        code_dir,
        environment,
        timeout_secs: timeout.unwrap_or(3),
        memory_mb: memory.unwrap_or(128),
        layers: layer_dirs,
        reserved_concurrency: concurrency,
        architectures,
        logging,
        source: ev.diags.location(resource.pos),
    }))
}

/// Says, once per function, what of its settings nothing here acts on, so that none is dropped
/// silently: its function URL, its EFS mounts, where its failed asynchronous invocations go,
/// and the events of services that do not run here (SQS, S3, schedules…).
fn unserved_settings(d: &mut Diags, props: &Node, owner: &str) {
    for (key, what) in [
        (
            "FunctionUrlConfig",
            "the function has no URL here; reach it through its API events, `lambdagate \
             invoke` or `start-lambda`",
        ),
        ("FileSystemConfigs", "no EFS file system is mounted"),
        (
            "DeadLetterQueue",
            "failed asynchronous invocations are not sent to its dead-letter queue",
        ),
        (
            "EventInvokeConfig",
            "asynchronous invocations have no destinations or retries",
        ),
    ] {
        if let Some(node) = props.get(key) {
            d.warn(node.pos, format!("{owner}: {key} is not served: {what}"));
        }
    }
    let Some(events) = props.get("Events").and_then(Node::as_map) else {
        return;
    };
    let mut names = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    let mut at = None;
    for (key, event) in events {
        let Some(kind) = event.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if kind == "Api" || kind == "HttpApi" {
            continue;
        }
        at.get_or_insert(key.pos);
        names.push(format!("`{}`", key.name));
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if let Some(at) = at {
        let (event, verb) = if names.len() == 1 {
            ("event", "does")
        } else {
            ("events", "do")
        };
        d.warn(
            at,
            format!(
                "{owner}: its {} {event} {} {verb} not invoke it here: lambdagate does not run \
                 {}; invoke it with `lambdagate invoke` and an event, e.g. from `lambdagate \
                 generate-event`",
                kinds.join("/"),
                names.join(", "),
                kinds.join(" or ")
            ),
        );
    }
}

/// `LoggingConfig`: `LogFormat` `Text` or `JSON`, `ApplicationLogLevel` and `SystemLogLevel`
/// (which only JSON logs take: Lambda refuses a level with `LogFormat: Text`), `LogGroup`.
fn logging(d: &mut Diags, props: &Node, owner: &str, strict: bool) -> R<LoggingConfig> {
    let Some(node) = props.get("LoggingConfig") else {
        return Ok(LoggingConfig::default());
    };
    let owner = format!("{owner}: LoggingConfig");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    crate::cfn::warn_unloaded(
        d,
        node,
        &[
            "LogFormat",
            "ApplicationLogLevel",
            "SystemLogLevel",
            "LogGroup",
        ],
        &owner,
    );
    let one_of = |d: &mut Diags, key: &str, allowed: &[&str]| -> R<Option<String>> {
        let value = props::text(d, node, key, &owner)?;
        match value {
            Some(v) if !allowed.contains(&v.as_str()) => Err(d.error(
                node.get(key).map_or(node.pos, |n| n.pos),
                format!("{owner}: {key} `{v}` is not one of {}", allowed.join(", ")),
            )),
            other => Ok(other),
        }
    };
    let format = one_of(d, "LogFormat", &["Text", "JSON"]);
    let level = one_of(
        d,
        "ApplicationLogLevel",
        &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
    );
    let system = one_of(d, "SystemLogLevel", &["DEBUG", "INFO", "WARN"]);
    let group = props::text(d, node, "LogGroup", &owner);
    let (format, mut level, mut system, group) = (format?, level?, system?, group?);
    if format.as_deref() != Some("JSON") && (level.is_some() || system.is_some()) {
        let key = if level.is_some() {
            "ApplicationLogLevel"
        } else {
            "SystemLogLevel"
        };
        let at = node.get(key).map_or(node.pos, |n| n.pos);
        if strict && format.is_some() {
            // What the Lambda API answers a deploy with.
            d.error(
                at,
                format!(
                    "{owner}: {key} is not supported when LogFormat is set to \"Text\"; remove \
                     it or set LogFormat to JSON"
                ),
            );
        } else {
            d.warn(
                at,
                format!(
                    "{owner}: {key} only filters JSON logs (LogFormat: JSON); with {} Lambda \
                     refuses it, and here it is ignored",
                    if format.is_some() {
                        "LogFormat: Text"
                    } else {
                        "the default LogFormat, Text,"
                    }
                ),
            );
        }
        level = None;
        system = None;
    }
    if system.as_deref() == Some("DEBUG") {
        d.warn(
            node.get("SystemLogLevel").map_or(node.pos, |n| n.pos),
            format!(
                "{owner}: SystemLogLevel DEBUG: lambdagate writes the INFO platform lines \
                 (START, END, REPORT) but not Lambda's DEBUG platform events"
            ),
        );
    }
    Ok(LoggingConfig {
        log_format: format,
        application_log_level: level,
        system_log_level: system,
        log_group: group,
    })
}

/// Whether `arn` has the form Lambda accepts in a function's `Layers`:
/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`, a 12-digit account, a name of
/// letters, digits, `-` and `_`, and a version number, at most 140 characters.
fn is_layer_version_arn(arn: &str) -> bool {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = arn.split(':').collect();
    arn.len() <= 140
        && matches!(
            parts.as_slice(),
            ["arn", partition, "lambda", region, account, "layer", name, version]
                if word(partition) && !partition.contains('_')
                    && word(region) && !region.contains('_')
                    && account.len() == 12 && digits(account)
                    && word(name)
                    && digits(version)
        )
}

/// `Timeout`, 1 to 900 seconds. When serving, a whole number outside that range (SAM CLI's
/// own test templates have `Timeout: 0`, which `sam local` takes as no limit) runs with
/// Lambda's longest, 900 s, with a warning; a deploy rejects it, and so does `validate`.
fn timeout(d: &mut Diags, props: &Node, owner: &str, strict: bool) -> R<Option<u32>> {
    let node = props.get("Timeout");
    let whole = node
        .and_then(Node::scalar_text)
        .and_then(|t| t.trim().parse::<u64>().ok());
    match (node, whole) {
        (Some(node), Some(n)) if !strict && !(1..=900).contains(&n) => {
            d.warn(
                node.pos,
                format!(
                    "{owner}: Timeout {n} is outside Lambda's 1 to 900 seconds, which a deploy \
                     rejects; served with 900 s (`lambdagate validate` reports it as an error)"
                ),
            );
            Ok(Some(900))
        }
        _ => props::number(d, props, "Timeout", owner, 1..=900),
    }
}

#[cfg(test)]
mod layer_arn_tests {
    use super::is_layer_version_arn;

    #[test]
    fn layer_version_arns_have_lambdas_form() {
        for good in [
            "arn:aws:lambda:us-west-2:111111111101:layer:layerDoesNotExist:1",
            "arn:aws-cn:lambda:cn-north-1:123456789012:layer:my_layer-2:14",
            "arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension:38",
        ] {
            assert!(is_layer_version_arn(good), "{good}");
        }
        for bad in [
            "arn:aws:lambda:us-west-2:111111111101:layer:layerDoesNotExist:${LayerVersion}",
            "arn:aws:lambda:us-west-2:111111111101:layer:name",
            "arn:aws:lambda:us-west-2:1111:layer:name:1",
            "arn:aws:lambda:us-west-2:111111111101:function:name:1",
            "arn:aws:lambda:us-west-2:111111111101:layer:na.me:1",
            "MyLayer",
            "",
        ] {
            assert!(!is_layer_version_arn(bad), "{bad}");
        }
    }
}
