//! Loading one template: sections, parameters, resources with Globals, then the SAM transform.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lambdagate_model::{Application, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};

use crate::diag::Diags;
use crate::eval::{Env, Evaluator, Resource};
use crate::globals::{self, Globals};
use crate::node::{Node, Pos, Value};
use crate::{LoadFailure, LoadOptions, Loaded, Severity, params, sam, yaml};

/// The top-level sections a SAM / CloudFormation template may have.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Globals",
    "Resources",
    "Outputs",
];

/// Loads template text as if read from `path` (whose folder relative paths start from).
pub fn load_text(text: &str, path: &Path, options: &LoadOptions) -> Result<Loaded, LoadFailure> {
    let chain = vec![crate::props::absolute(path)];
    load_stack(text, path, options, chain).map(|(loaded, _)| loaded)
}

/// Loads one stack's template; `chain` holds the templates being loaded (nested stacks'
/// parents first, this one last). Returns the application with the stack's resolved
/// `Outputs`, which a parent's `GetAtt Child.Outputs.X` reads.
pub(crate) fn load_stack(
    text: &str,
    path: &Path,
    options: &LoadOptions,
    chain: Vec<PathBuf>,
) -> Result<(Loaded, HashMap<String, Node>), LoadFailure> {
    let mut diags = Diags::new(path);
    let mut root = match yaml::read_as_sam_does(text) {
        Ok((root, leniencies)) => {
            if !yaml::report(&mut diags, &leniencies, options.strict, |p| p) {
                return Err(diags.into_failure());
            }
            root
        }
        Err(errors) => {
            for e in errors {
                diags.error(e.pos, e.message);
            }
            return Err(diags.into_failure());
        }
    };
    if root.as_map().is_none() {
        diags.error(
            root.pos,
            "a template must be a mapping with a Resources section",
        );
        return Err(diags.into_failure());
    }
    crate::include::splice(&mut root, &mut diags, path, options.strict);
    let Some(sections) = root.as_map() else {
        return Err(diags.into_failure());
    };
    for (key, _) in sections {
        if !SECTIONS.contains(&key.name.as_str()) {
            diags.error(
                key.pos,
                format!(
                    "unknown template section `{}`: expected one of {}",
                    key.name,
                    SECTIONS.join(", ")
                ),
            );
        }
    }
    let base = template_dir(path);
    let env = Env {
        region: options
            .region
            .clone()
            .unwrap_or_else(|| DEFAULT_REGION.to_string()),
        account_id: DEFAULT_ACCOUNT_ID.to_string(),
        stack_name: options.stack_name.clone().unwrap_or_else(|| {
            packaged_stack_name(path, &base).unwrap_or_else(|| default_stack_name(&base))
        }),
    };
    let parameters = params::resolve(
        root.get("Parameters"),
        &options.parameter_overrides,
        &mut diags,
        options.strict,
    );
    crate::language_extensions::expand(&mut root, &mut diags, &parameters, options.strict);
    let globals = globals::read(root.get("Globals"), &mut diags);
    let resources = resources(&root, &globals, &mut diags, options.strict);
    check_transform(&root, &resources, &mut diags);

    let mut ev = Evaluator::new(
        env.clone(),
        diags,
        parameters,
        root.get("Mappings"),
        root.get("Conditions"),
        &resources,
    );
    ev.strict = options.strict;
    ev.language_extensions = crate::language_extensions::declared(&root);
    ev.nested.chain = chain;
    ev.nested.base = base.clone();
    let mut built = sam::transform(&mut ev, &resources, &base);
    crate::nested::merge_all(&mut ev, &resources, &mut built);
    let backing = crate::backing::read(&mut ev, &resources);
    let outputs = check_outputs(&mut ev, root.get("Outputs"));

    let mut diags = ev.diags;
    if diags.has_errors() {
        return Err(diags.into_failure());
    }
    let sources = diags.take_sources();
    let loaded = Loaded {
        application: Application {
            template: path.to_path_buf(),
            stack_name: env.stack_name,
            region: env.region,
            account_id: env.account_id,
            functions: built.functions,
            apis: built.apis,
            api_keys: built.api_keys,
            usage_plans: built.usage_plans,
            domains: built.domains,
            unavailable_functions: built.unavailable,
            resources: backing,
            sources,
        },
        warnings: diags
            .into_sorted()
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect(),
    };
    Ok((loaded, outputs))
}

/// The template's folder, absolute.
fn template_dir(path: &Path) -> PathBuf {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    crate::props::absolute(&dir)
}

/// The stack name a tool that wrote the template deploys it under: `cdk synth`'s
/// `<artifact>.template.json` (the `stackName` `manifest.json` gives it, else the artifact id),
/// and `serverless package`'s, which `serverless-state.json` beside the template gives
/// (`provider.stackName`, else `<service>-<stage>`). Physical names (`!Ref` of a table) then
/// read as on AWS.
fn packaged_stack_name(path: &Path, base: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    if let Some(artifact) = file.strip_suffix(".template.json")
        && let Ok(text) = std::fs::read_to_string(base.join("manifest.json"))
    {
        // An app that names its stack (`new Stack(app, id, { stackName })`) has the manifest
        // say so; otherwise the artifact's id is the stack's name.
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        // Indexed key by key: an artifact id is not escaped as a JSON pointer would need.
        let named = manifest["artifacts"][artifact]["properties"]["stackName"].as_str();
        return Some(named.unwrap_or(artifact).to_string());
    }
    if file.starts_with("cloudformation-template-") {
        let text = std::fs::read_to_string(base.join("serverless-state.json")).ok()?;
        let state: serde_json::Value = serde_json::from_str(&text).ok()?;
        let service = state.get("service")?;
        let provider = service.get("provider")?;
        if let Some(name) = provider.get("stackName").and_then(|n| n.as_str()) {
            return Some(name.to_string());
        }
        let name = service.get("service")?.as_str()?;
        let stage = provider.get("stage")?.as_str()?;
        return Some(format!("{name}-{stage}"));
    }
    None
}

/// The template folder's name (the project's, for `sam build` output in `.aws-sam/build`),
/// made a valid stack name.
fn default_stack_name(dir: &Path) -> String {
    let mut dir = dir.to_path_buf();
    while matches!(dir.file_name().and_then(|n| n.to_str()), Some("." | "")) {
        if !dir.pop() {
            break;
        }
    }
    if dir.ends_with(".aws-sam/build") {
        dir.pop();
        dir.pop();
    }
    let name: String = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("lambdagate")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("stack-{name}")
    }
}

/// The `Resources` section as [`Resource`]s with Globals merged, plus the resources SAM
/// creates implicitly (`ServerlessRestApi`, `ServerlessHttpApi`, functions' roles).
fn resources(root: &Node, globals: &Globals, diags: &mut Diags, strict: bool) -> Vec<Resource> {
    let Some(section) = root.get("Resources") else {
        diags.error(root.pos, "the template has no Resources section");
        return Vec::new();
    };
    let Some(entries) = section.as_map().filter(|e| !e.is_empty()) else {
        if section.as_map().is_some() && diags.has_errors() {
            // Emptied by a loop or an include already reported: no second error.
            return Vec::new();
        }
        diags.error(
            section.pos,
            "Resources must be a mapping with at least one resource",
        );
        return Vec::new();
    };
    let empty = |pos: Pos| Node::new(Value::Map(vec![]), pos);
    let mut out = Vec::with_capacity(entries.len() + 2);
    let mut implicit_rest: Option<Pos> = None;
    let mut implicit_http: Option<Pos> = None;
    for (key, definition) in entries {
        if definition.as_map().is_none() {
            diags.error(
                key.pos,
                format!("resource `{}` must be a mapping with a Type", key.name),
            );
            continue;
        }
        let Some(kind) = definition.get("Type").and_then(Node::as_str) else {
            diags.error(
                key.pos,
                format!(
                    "resource `{}` needs a Type such as AWS::Serverless::Function",
                    key.name
                ),
            );
            continue;
        };
        let properties = match definition.get("Properties") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => empty(key.pos),
            Some(p) if p.as_map().is_some() || p.intrinsic().is_some() => p.clone(),
            Some(p) => {
                diags.error(
                    p.pos,
                    format!("resource `{}`: Properties must be a mapping", key.name),
                );
                continue;
            }
        };
        let global = match kind {
            "AWS::Serverless::Function" => globals.function.as_ref(),
            "AWS::Serverless::Api" => globals.api.as_ref(),
            "AWS::Serverless::HttpApi" => globals.http_api.as_ref(),
            _ => None,
        };
        let properties = match global {
            Some(g) => globals::merge(g, &properties),
            None => properties,
        };
        let condition = match definition.get("Condition") {
            None => None,
            Some(c) => match c.as_str() {
                Some(name) => Some((name.to_string(), c.pos)),
                None => {
                    diags.error(
                        c.pos,
                        format!("resource `{}`: Condition must name a condition", key.name),
                    );
                    None
                }
            },
        };
        if kind == "AWS::Serverless::Function"
            && let Some(events) = properties.get("Events").and_then(Node::as_map)
        {
            for (event_key, event) in events {
                let props = event.get("Properties");
                match event.get("Type").and_then(Node::as_str) {
                    Some("Api") if props.and_then(|p| p.get("RestApiId")).is_none() => {
                        implicit_rest.get_or_insert(event_key.pos);
                    }
                    Some("HttpApi") if props.and_then(|p| p.get("ApiId")).is_none() => {
                        implicit_http.get_or_insert(event_key.pos);
                    }
                    _ => {}
                }
            }
        }
        out.push(Resource {
            logical_id: key.name.clone(),
            kind: kind.to_string(),
            properties,
            condition,
            pos: key.pos,
            implicit: false,
            metadata: definition.get("Metadata").cloned(),
        });
    }
    check_depends_on(entries, diags, strict);
    let mut implicit = Vec::new();
    for (pos, logical_id, kind, global) in [
        (
            implicit_rest,
            "ServerlessRestApi",
            "AWS::Serverless::Api",
            globals.api.as_ref(),
        ),
        (
            implicit_http,
            "ServerlessHttpApi",
            "AWS::Serverless::HttpApi",
            globals.http_api.as_ref(),
        ),
    ] {
        if let Some(pos) = pos {
            implicit.push(Resource {
                logical_id: logical_id.to_string(),
                kind: kind.to_string(),
                properties: global.map_or_else(|| empty(pos), |g| globals::merge(g, &empty(pos))),
                condition: None,
                pos,
                implicit: true,
                metadata: None,
            });
        }
    }
    for function in out.iter().filter(|r| r.kind == "AWS::Serverless::Function") {
        let role = format!("{}Role", function.logical_id);
        if function.properties.get("Role").is_none() && !out.iter().any(|r| r.logical_id == role) {
            implicit.push(generated(
                role,
                "AWS::IAM::Role",
                function.pos,
                function.condition.clone(),
            ));
        }
    }
    // What else SAM's transform adds under ids templates reference (`!GetAtt MyFnUrl.FunctionUrl`
    // in Outputs, `!GetAtt MyStateMachineRole.Arn`, an AppSync key's `ApiKey`).
    for resource in &out {
        for (logical_id, kind) in sam_companions(resource) {
            if !out.iter().any(|r| r.logical_id == logical_id)
                && !implicit
                    .iter()
                    .any(|r: &Resource| r.logical_id == logical_id)
            {
                implicit.push(generated(
                    logical_id,
                    kind,
                    resource.pos,
                    resource.condition.clone(),
                ));
            }
        }
    }
    // Gradual deployments: SAM adds one CodeDeploy application (and its service role) for the
    // template, which hooks' policies name (`${ServerlessDeploymentApplication}`).
    let deploying = out.iter().find(|r| {
        r.kind == "AWS::Serverless::Function" && r.properties.get("DeploymentPreference").is_some()
    });
    if let Some(function) = deploying {
        for (logical_id, kind) in [
            (
                "ServerlessDeploymentApplication",
                "AWS::CodeDeploy::Application",
            ),
            ("CodeDeployServiceRole", "AWS::IAM::Role"),
        ] {
            if !out.iter().any(|r| r.logical_id == logical_id) {
                implicit.push(generated(logical_id.to_string(), kind, function.pos, None));
            }
        }
    }
    out.extend(implicit);
    out
}

/// The resources SAM's transform adds for a serverless resource, by the logical ids it gives
/// them (as `samtranslator` names them): a function's URL (`{Fn}Url`), its alias
/// (`{Fn}Alias{alias}`) and its event sources (`{Fn}{Event}`: a rule, a schedule, an event source
/// mapping, a subscription); a state machine's role and its events' rules and roles; a GraphQL
/// API's keys (`{Api}{Key}`). Function roles and serverless APIs' stages are made elsewhere.
fn sam_companions(resource: &Resource) -> Vec<(String, &'static str)> {
    let id = &resource.logical_id;
    let props = &resource.properties;
    let mut out = Vec::new();
    let events = || {
        props
            .get("Events")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(key, event)| {
                let kind = event.get("Type").and_then(Node::as_str)?;
                Some((key.name.clone(), kind))
            })
            .collect::<Vec<_>>()
    };
    match resource.kind.as_str() {
        "AWS::Serverless::Function" => {
            if props.get("FunctionUrlConfig").is_some() {
                out.push((format!("{id}Url"), "AWS::Lambda::Url"));
            }
            if let Some(alias) = props.get("AutoPublishAlias").and_then(Node::as_str) {
                out.push((format!("{id}Alias{alias}"), "AWS::Lambda::Alias"));
            }
            for (event, kind) in events() {
                let generated = match kind {
                    "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => "AWS::Events::Rule",
                    "ScheduleV2" => "AWS::Scheduler::Schedule",
                    "SQS" | "Kinesis" | "DynamoDB" | "MSK" | "MQ" | "SelfManagedKafka"
                    | "DocumentDB" => "AWS::Lambda::EventSourceMapping",
                    "SNS" => "AWS::SNS::Subscription",
                    "CloudWatchLogs" => "AWS::Logs::SubscriptionFilter",
                    "IoTRule" => "AWS::IoT::TopicRule",
                    _ => continue,
                };
                out.push((format!("{id}{event}"), generated));
            }
        }
        "AWS::Serverless::StateMachine" => {
            if props.get("Role").is_none() {
                out.push((format!("{id}Role"), "AWS::IAM::Role"));
            }
            for (event, kind) in events() {
                let generated = match kind {
                    "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => "AWS::Events::Rule",
                    "ScheduleV2" => "AWS::Scheduler::Schedule",
                    _ => continue,
                };
                out.push((format!("{id}{event}"), generated));
                out.push((format!("{id}{event}Role"), "AWS::IAM::Role"));
            }
        }
        "AWS::Serverless::GraphQLApi" => {
            for (key, _) in props
                .get("ApiKeys")
                .and_then(Node::as_map)
                .unwrap_or_default()
            {
                out.push((format!("{id}{}", key.name), "AWS::AppSync::ApiKey"));
            }
        }
        _ => {}
    }
    out
}

/// A resource SAM's transform adds, with no properties of its own, placed at `pos` (the
/// resource it comes from), so that references to it resolve.
fn generated(
    logical_id: String,
    kind: &str,
    pos: Pos,
    condition: Option<(String, Pos)>,
) -> Resource {
    Resource {
        logical_id,
        kind: kind.to_string(),
        properties: Node::new(Value::Map(vec![]), pos),
        condition,
        pos,
        implicit: true,
        metadata: None,
    }
}

/// `DependsOn` must name resources of the template (an error when `strict`, else a warning).
fn check_depends_on(entries: &[(crate::node::Key, Node)], diags: &mut Diags, strict: bool) {
    for (key, definition) in entries {
        let Some(depends) = definition.get("DependsOn") else {
            continue;
        };
        let names: Vec<&Node> = match &depends.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![depends],
        };
        for name in names {
            match name.as_str() {
                Some(n) if entries.iter().any(|(k, _)| k.name == n) => {}
                Some(n) if sam_may_generate(n, entries) => {}
                Some(n) => {
                    let message = format!(
                        "resource `{}` DependsOn `{n}`, which is not a resource of this template",
                        key.name
                    );
                    // Deployment order never matters to serving (see `serving.rs`).
                    if strict {
                        diags.error(name.pos, message);
                    } else {
                        diags.warn(
                            name.pos,
                            format!("{message}; a deploy would reject it (`lambdagate validate` reports it as an error)"),
                        );
                    }
                }
                None => {
                    diags.error(
                        name.pos,
                        format!("resource `{}`: DependsOn must name resources", key.name),
                    );
                }
            }
        }
    }
}

/// Whether SAM's transform may add a resource of this logical id, which a `DependsOn` may then
/// name (a usage plan or base path mapping waiting for `MyApiProdStage` is SAM's own advice).
/// SAM names what it adds after the serverless resource it comes from (`MyApiProdStage`,
/// `MyApiDeployment1a2b3c4d5e`, `MyFunctionRole`, `MyFunctionAliaslive`,
/// `MyFunctionGetItemsPermissionProd`, `MyHttpApiApiGatewayDefaultStage`), after the implicit
/// APIs (`ServerlessRestApiProdStage`) or after a custom domain (`ApiGatewayDomainNameV2…`).
/// Told by prefix, since the rest holds stage names, event names and hashes: this check may
/// miss a name SAM would not make, never refuse one it makes.
fn sam_may_generate(name: &str, entries: &[(crate::node::Key, Node)]) -> bool {
    let serverless: Vec<&str> = entries
        .iter()
        .filter(|(_, definition)| {
            definition
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("AWS::Serverless::"))
        })
        .map(|(key, _)| key.name.as_str())
        .collect();
    if serverless.is_empty() {
        return false;
    }
    [
        "ServerlessRestApi",
        "ServerlessHttpApi",
        "ApiGatewayDomainName",
    ]
    .into_iter()
    .chain(serverless)
    .any(|prefix| name.len() > prefix.len() && name.starts_with(prefix))
}

/// Serverless resources need SAM's transform; say so when it is missing.
fn check_transform(root: &Node, resources: &[Resource], diags: &mut Diags) {
    let uses_sam = resources
        .iter()
        .any(|r| !r.implicit && r.kind.starts_with("AWS::Serverless::"));
    let declared = match root.get("Transform") {
        Some(t) => {
            t.as_str() == Some("AWS::Serverless-2016-10-31")
                || t.as_seq().is_some_and(|s| {
                    s.iter()
                        .any(|n| n.as_str() == Some("AWS::Serverless-2016-10-31"))
                })
        }
        None => false,
    };
    if uses_sam && !declared {
        diags.warn(
            Pos { line: 1, column: 1 },
            "the template uses AWS::Serverless resources but does not declare \
             `Transform: AWS::Serverless-2016-10-31`; AWS would reject it",
        );
    }
}

/// Outputs are not served, but their references must resolve as on AWS (an error for
/// `validate`, a warning when serving). Returns the values that resolved (a nested stack's
/// parent reads them).
fn check_outputs(ev: &mut Evaluator<'_>, outputs: Option<&Node>) -> HashMap<String, Node> {
    let mut values = HashMap::new();
    let Some(entries) = outputs.and_then(Node::as_map) else {
        return values;
    };
    ev.tolerant = true;
    for (key, output) in entries {
        if let Some(condition) = output.get("Condition").and_then(Node::as_str) {
            match ev.condition(
                condition,
                output.get("Condition").map_or(key.pos, |c| c.pos),
            ) {
                Ok(true) => {}
                _ => continue,
            }
        }
        match output.get("Value") {
            Some(value) => {
                if let Ok(Some(v)) = ev.resolve(value) {
                    values.insert(key.name.clone(), v);
                }
            }
            None if ev.strict => {
                ev.diags
                    .error(key.pos, format!("output `{}` needs a Value", key.name));
            }
            None => ev.diags.warn(
                key.pos,
                format!(
                    "output `{}` needs a Value; a deploy would reject it (`lambdagate \
                     validate` reports it as an error)",
                    key.name
                ),
            ),
        }
        if let Some(export) = output.get("Export").and_then(|e| e.get("Name")) {
            let _ = ev.resolve(export);
        }
    }
    ev.tolerant = false;
    values
}
