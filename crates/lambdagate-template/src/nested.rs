//! Nested stacks: `AWS::Serverless::Application` (`Location`) and `AWS::CloudFormation::Stack`
//! (`TemplateURL`) naming a local template, loaded with the `Parameters` the parent passes.
//!
//! A child is loaded the first time something needs it (the parent's `GetAtt Child.Outputs.X`,
//! or the merge after the parent's own resources), once. Its functions, APIs and the rest join
//! the parent's application under `Child/` names, as `sam local` names a nested stack's
//! resources (`ParentStack/ChildResource`), so the same logical id in two stacks does not clash.
//! Its `Outputs` are what the parent's `GetAtt Child.Outputs.X` yields.
//!
//! A child that cannot be loaded (a missing file, a stack that includes itself, errors in its
//! template) is what a deploy rejects: an error for `validate`; when serving, a warning, and the
//! rest of the application is served without it.

use std::collections::HashMap;
use std::path::PathBuf;

use lambdagate_model::{Application, AuthorizerKind, IntegrationTarget, api_id_for};

use crate::diag::{R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos, Value};
use crate::sam::Built;
use crate::{Diagnostic, LoadOptions, Severity};

/// The resource types that are nested stacks.
pub fn is_stack(kind: &str) -> bool {
    kind == "AWS::Serverless::Application" || kind == "AWS::CloudFormation::Stack"
}

/// What a template loading its nested stacks needs to know.
#[derive(Debug, Default)]
pub struct State {
    /// The templates being loaded, outermost first, this one last (absolute paths).
    pub chain: Vec<PathBuf>,
    /// This template's folder: children's paths are relative to it.
    pub base: PathBuf,
    /// Children loaded so far by logical id (`None`: could not be loaded, already reported).
    children: HashMap<String, Option<Child>>,
    /// Children being loaded (a child whose parameters need its own outputs is circular).
    loading: Vec<String>,
}

/// A loaded child stack.
#[derive(Debug)]
struct Child {
    application: Application,
    outputs: HashMap<String, Node>,
}

/// The name CloudFormation gives a nested stack: the parent's name, the stack's logical id and
/// a suffix (deterministic here).
pub fn stack_name(parent: &str, logical_id: &str) -> String {
    format!(
        "{parent}-{logical_id}-{}",
        api_id_for(&format!("{parent}/{logical_id}")).to_uppercase()
    )
}

/// `GetAtt Child.Outputs.Name`: the child's output value.
pub fn output(ev: &mut Evaluator<'_>, resource: &Resource, name: &str, pos: Pos) -> R<Node> {
    let id = &resource.logical_id;
    if let Some(start) = ev.nested.loading.iter().position(|l| l == id) {
        let mut cycle = ev.nested.loading[start..].to_vec();
        cycle.push(id.clone());
        return Err(ev.diags.error(
            pos,
            format!(
                "circular reference: {} (a nested stack's Parameters need output `{name}` of a \
                 stack that needs them first)",
                cycle.join(" -> ")
            ),
        ));
    }
    ensure_loaded(ev, resource);
    let found = match ev.nested.children.get(id) {
        Some(Some(child)) => Some(child.outputs.get(name).cloned()),
        _ => None,
    };
    match found {
        Some(Some(mut value)) => {
            value.pos = pos;
            Ok(value)
        }
        Some(None) => Err(ev.diags.error(
            pos,
            format!("GetAtt {id}.Outputs.{name}: nested stack `{id}` has no output `{name}`"),
        )),
        // Not loaded: already reported (an error for `validate`, else a warning).
        None if ev.strict => Err(Reported),
        None => {
            ev.diags.warn(
                pos,
                format!(
                    "GetAtt {id}.Outputs.{name}: nested stack `{id}` is not loaded, so its \
                     output is left unresolved"
                ),
            );
            Ok(Node::str(format!("{id}.Outputs.{name}"), pos))
        }
    }
}

/// Loads every included nested stack of the template and adds what it serves to `built`.
pub fn merge_all(ev: &mut Evaluator<'_>, resources: &[Resource], built: &mut Built) {
    for (idx, resource) in resources.iter().enumerate() {
        if !is_stack(&resource.kind) || ev.is_included(idx) != Ok(true) {
            continue;
        }
        ensure_loaded(ev, resource);
        let Some(Some(child)) = ev.nested.children.get(&resource.logical_id) else {
            continue;
        };
        let mut app = child.application.clone();
        ev.diags.add_sources(std::mem::take(&mut app.sources));
        prefix(&mut app, &resource.logical_id);
        // A function named by its logical id (no FunctionName) may share its name with one of
        // another stack: the full path keeps them apart, as the API ids are kept apart.
        for f in &mut app.functions {
            if built
                .functions
                .iter()
                .any(|b| b.function_name == f.function_name)
            {
                f.function_name = f.logical_id.clone();
                if let Some((head, _)) = f.arn.rsplit_once(":function:") {
                    f.arn = format!("{head}:function:{}", f.function_name);
                }
            }
        }
        for api in &mut app.apis {
            if built.apis.iter().any(|b| b.api_id == api.api_id) {
                api.api_id = api_id_for(&api.logical_id);
            }
        }
        built.functions.extend(app.functions);
        built.apis.extend(app.apis);
        built.domains.extend(app.domains);
        built.api_keys.extend(app.api_keys);
        built.usage_plans.extend(app.usage_plans);
        built.unavailable.extend(app.unavailable_functions);
    }
}

fn ensure_loaded(ev: &mut Evaluator<'_>, resource: &Resource) {
    let id = resource.logical_id.clone();
    if ev.nested.children.contains_key(&id) {
        return;
    }
    ev.nested.loading.push(id.clone());
    let child = load(ev, resource);
    ev.nested.loading.retain(|l| *l != id);
    ev.nested.children.insert(id, child);
}

/// A problem that keeps a child from loading: an error for `validate`, else a warning.
fn problem(ev: &mut Evaluator<'_>, pos: Pos, message: String) {
    if ev.strict {
        ev.diags.error(pos, message);
    } else {
        ev.diags.warn(
            pos,
            format!("{message}; it is not served (`lambdagate validate` reports it as an error)"),
        );
    }
}

fn load(ev: &mut Evaluator<'_>, resource: &Resource) -> Option<Child> {
    let id = &resource.logical_id;
    let owner = format!("nested stack `{id}`");
    let props = &resource.properties;
    let key = if resource.kind == "AWS::Serverless::Application" {
        "Location"
    } else {
        "TemplateURL"
    };
    let Some(location) = props.get(key) else {
        problem(
            ev,
            resource.pos,
            format!("{owner} needs {key} (the child template's path)"),
        );
        return None;
    };
    if location.get("ApplicationId").is_some() {
        // A deploy accepts it; it only cannot run here.
        ev.diags.warn(
            location.pos,
            format!(
                "{owner} is an application from the Serverless Application Repository \
                 (ApplicationId / SemanticVersion); lambdagate serves local templates only, so \
                 it is not served"
            ),
        );
        return None;
    }
    // CDK writes a nested stack's TemplateURL as its S3 asset and names the local file in the
    // resource's Metadata (`aws:asset:path`, relative to cdk.out, with `aws:asset:property:
    // TemplateURL`).
    let cdk_asset = resource
        .metadata
        .as_ref()
        .filter(|m| m.get("aws:asset:property").and_then(Node::as_str) == Some("TemplateURL"))
        .and_then(|m| m.get("aws:asset:path"))
        .and_then(Node::as_str);
    let location_text = match cdk_asset {
        Some(asset) => asset.to_string(),
        None => with_tolerance(ev, |ev| ev.resolve_text(location, key)).ok()?,
    };
    if ["s3://", "https://", "http://"]
        .iter()
        .any(|p| location_text.starts_with(p))
    {
        ev.diags.warn(
            location.pos,
            format!(
                "{owner}: {key} `{location_text}` is remote; lambdagate serves local templates \
                 only, so it is not served (give the child template's local path, as before \
                 `sam package`)"
            ),
        );
        return None;
    }
    let parameters = parameters(ev, props.get("Parameters"), &owner)?;
    let mut path = crate::props::absolute(&ev.nested.base.join(&location_text));
    if path.is_dir()
        && let Some(found) = crate::discover(&path)
    {
        path = found;
    }
    if let Some(start) = ev.nested.chain.iter().position(|c| *c == path) {
        let cycle: Vec<String> = ev.nested.chain[start..]
            .iter()
            .chain([&path])
            .map(|p| crate::include::short(&ev.nested.chain[0], p))
            .collect();
        problem(
            ev,
            location.pos,
            format!(
                "{owner}: `{location_text}` includes itself ({}), which would never end",
                cycle.join(" -> ")
            ),
        );
        return None;
    }
    let text = match ev.diags.read_source(&path) {
        Ok(text) => text,
        Err(e) => {
            problem(
                ev,
                location.pos,
                format!(
                    "{owner}: cannot read {key} `{location_text}` ({}): {e}",
                    path.display()
                ),
            );
            return None;
        }
    };
    // A parameter the child does not declare is what AWS rejects; said here, at the parent's
    // line, rather than as the child's "override" error.
    let declared: Option<Vec<String>> = crate::yaml::read(&text).ok().map(|doc| {
        doc.get("Parameters")
            .and_then(Node::as_map)
            .map(|entries| entries.iter().map(|(k, _)| k.name.clone()).collect())
            .unwrap_or_default()
    });
    let mut parameters = parameters;
    if let Some(declared) = declared {
        let mut unknown = Vec::new();
        parameters.retain(|(name, _, pos)| {
            let known = declared.contains(name);
            if !known {
                unknown.push((name.clone(), *pos));
            }
            known
        });
        for (name, pos) in unknown {
            let list = if declared.is_empty() {
                "none".to_string()
            } else {
                declared.join(", ")
            };
            let message = format!(
                "{owner}: parameter `{name}` is not a parameter of `{location_text}` (its \
                 Parameters: {list})"
            );
            if ev.strict {
                ev.diags.error(pos, message);
            } else {
                ev.diags.warn(
                    pos,
                    format!(
                        "{message}; it is left out (`lambdagate validate` reports it as an error)"
                    ),
                );
            }
        }
    }
    let parameters = parameters
        .into_iter()
        .map(|(name, value, _)| (name, value))
        .collect();
    let stack_name = stack_name(&ev.env.stack_name, id);
    let options = LoadOptions {
        parameter_overrides: parameters,
        region: Some(ev.env.region.clone()),
        stack_name: Some(stack_name),
        strict: ev.strict,
    };
    let mut chain = ev.nested.chain.clone();
    chain.push(path.clone());
    let shown = crate::include::as_named(&path, ev.diags.file());
    match crate::loader::load_stack(&text, &shown, &options, chain) {
        Ok((loaded, outputs)) => {
            ev.diags.extend(loaded.warnings);
            Some(Child {
                application: loaded.application,
                outputs,
            })
        }
        Err(failure) => {
            // The child's own files (its OpenAPI body, say) are the parent's sources too: the
            // fix may be in one of them.
            ev.diags.add_sources(failure.sources);
            if ev.strict {
                ev.diags.extend(failure.diagnostics);
                return None;
            }
            let warnings = failure.diagnostics.into_iter().map(|d| match d.severity {
                Severity::Error => Diagnostic {
                    severity: Severity::Warning,
                    message: format!("{} (so nested stack `{id}` is not served)", d.message),
                    location: d.location,
                },
                Severity::Warning => d,
            });
            ev.diags.extend(warnings);
            None
        }
    }
}

/// Runs `f` tolerantly when serving: what the child needs from the parent is worth a stand-in
/// (with a warning) rather than refusing the parent.
fn with_tolerance<T>(ev: &mut Evaluator<'_>, f: impl FnOnce(&mut Evaluator<'_>) -> T) -> T {
    let before = ev.tolerant;
    ev.tolerant = !ev.strict;
    let out = f(ev);
    ev.tolerant = before;
    out
}

/// The child's parameter values: each resolved in the parent, as text (a list joined with
/// commas, as CloudFormation passes a list to a `CommaDelimitedList` parameter).
fn parameters(
    ev: &mut Evaluator<'_>,
    node: Option<&Node>,
    owner: &str,
) -> Option<Vec<(String, String, Pos)>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let Some(entries) = node.as_map() else {
        ev.diags.error(
            node.pos,
            format!(
                "{owner}: Parameters must be a mapping of parameter names to values, not {}",
                node.kind_name()
            ),
        );
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        let resolved = with_tolerance(ev, |ev| ev.resolve(value));
        let text = match resolved {
            Ok(Some(v)) => match &v.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| i.scalar_text().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(","),
                _ => match v.scalar_text() {
                    Some(t) => t,
                    None => {
                        ev.diags.error(
                            value.pos,
                            format!(
                                "{owner}: parameter `{}` must be a string, not {}",
                                key.name,
                                v.kind_name()
                            ),
                        );
                        failed = true;
                        continue;
                    }
                },
            },
            // `AWS::NoValue`: the child's default applies.
            Ok(None) => continue,
            Err(Reported) => {
                failed = true;
                continue;
            }
        };
        out.push((key.name.clone(), text, key.pos));
    }
    (!failed).then_some(out)
}

/// Renames the child's resources `Child/LogicalId`, as `sam local` names them, and points the
/// child's references (routes, authorizers, keys, plans, domains) at the new names.
fn prefix(app: &mut Application, stack: &str) {
    let p = |name: &str| format!("{stack}/{name}");
    let functions: Vec<String> = app
        .functions
        .iter()
        .map(|f| f.logical_id.clone())
        .chain(
            app.unavailable_functions
                .iter()
                .map(|f| f.logical_id.clone()),
        )
        .collect();
    let rename_function = |name: &mut String| {
        if functions.contains(name) {
            *name = p(name);
        }
    };
    // Names and ids stay as the child's own references resolved them (`Ref` of a function is
    // its name, of an API its id); `merge_all` renames those that clash with the parent's.
    for f in &mut app.functions {
        f.logical_id = p(&f.logical_id);
    }
    for f in &mut app.unavailable_functions {
        f.logical_id = p(&f.logical_id);
    }
    for api in &mut app.apis {
        api.logical_id = p(&api.logical_id);
        for route in &mut api.routes {
            if let IntegrationTarget::Function(name) = &mut route.integration.target {
                rename_function(name);
            }
        }
        for authorizer in &mut api.authorizers {
            if let AuthorizerKind::Lambda { function, .. } = &mut authorizer.kind {
                rename_function(function);
            }
        }
    }
    for domain in &mut app.domains {
        for mapping in &mut domain.mappings {
            mapping.api = p(&mapping.api);
        }
    }
    for key in &mut app.api_keys {
        key.logical_id = p(&key.logical_id);
        for (api, _) in &mut key.stage_keys {
            *api = p(api);
        }
    }
    for plan in &mut app.usage_plans {
        plan.logical_id = p(&plan.logical_id);
        for stage in &mut plan.api_stages {
            stage.api = p(&stage.api);
        }
        for key in &mut plan.keys {
            *key = p(key);
        }
    }
}
