//! The `Parameters` section: each parameter's value from `--parameter-overrides` or its
//! `Default`, checked against its `Type` and constraints.

use std::collections::HashMap;

use crate::diag::Diags;
use crate::node::{Node, Pos, Value};

/// Resolves every parameter to the value `Ref` yields (a string, or a list for list types).
/// Problems are reported to `diags`; a parameter in error resolves to null.
///
/// `strict` (`validate`) refuses what a deploy refuses: a parameter with neither a value nor a
/// Default, an override the template does not declare. Serving (`start-api` and the rest) does
/// what `sam local` does, with a warning each: an override the template does not declare is
/// ignored, and a parameter without a value stands for its own name (SAM CLI's resolver answers
/// a `Ref` it has no value for with the logical id), so that templates whose parameters only
/// matter on AWS (a user pool id, a domain name) still serve.
pub fn resolve(
    section: Option<&Node>,
    overrides: &[(String, String)],
    diags: &mut Diags,
    strict: bool,
) -> HashMap<String, Node> {
    let mut values = HashMap::new();
    let entries = match section {
        None => &[][..],
        Some(node) => match node.as_map() {
            Some(entries) => entries,
            None => {
                diags.error(node.pos, "Parameters must be a mapping of parameter names");
                &[][..]
            }
        },
    };
    let section_pos = section.map_or(Pos { line: 1, column: 1 }, |n| n.pos);
    for (key, _) in overrides {
        if !entries.iter().any(|(k, _)| k.name == *key) {
            let names: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
            let message = format!(
                "parameter override `{key}` is not a parameter of this template (its \
                 Parameters: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
            if strict {
                diags.error(section_pos, message);
            } else {
                diags.warn(
                    section_pos,
                    format!(
                        "{message}; it is ignored (`lambdagate validate` reports it as an error)"
                    ),
                );
            }
        }
    }
    for (key, definition) in entries {
        let given = overrides
            .iter()
            .rev()
            .find(|(k, _)| *k == key.name)
            .map(|(_, v)| v.clone());
        // A parameter in error is kept as null, so references to it stay quiet instead of
        // repeating the error as "no such parameter" everywhere it is used.
        let value = parameter(&key.name, key.pos, definition, given, diags, strict)
            .unwrap_or_else(|| Node::new(Value::Null, key.pos));
        values.insert(key.name.clone(), value);
    }
    values
}

fn parameter(
    name: &str,
    pos: Pos,
    definition: &Node,
    given: Option<String>,
    diags: &mut Diags,
    strict: bool,
) -> Option<Node> {
    if definition.as_map().is_none() {
        diags.error(
            pos,
            format!("parameter `{name}` must be a mapping with a Type"),
        );
        return None;
    }
    let Some(kind) = definition.get("Type").and_then(Node::as_str) else {
        diags.error(
            pos,
            format!("parameter `{name}` needs a Type (String, Number, CommaDelimitedList...)"),
        );
        return None;
    };
    let default = definition.get("Default").and_then(Node::scalar_text);
    let mut kind = kind.trim();
    if let Some(inner) = kind
        .strip_prefix("AWS::SSM::Parameter::Value<")
        .and_then(|k| k.strip_suffix('>'))
    {
        // CDK marks the parameters it adds for itself (`BootstrapVersion`, read only by the
        // deploy-time `Rules`) with `[cdk:skip]`: nothing served reads them.
        let cdk_internal = definition
            .get("Description")
            .and_then(Node::as_str)
            .is_some_and(|d| d.contains("[cdk:skip]"));
        if given.is_none() && !cdk_internal {
            diags.warn(
                pos,
                format!(
                    "parameter `{name}` is read from SSM Parameter Store on AWS; locally its \
                     Default is used (override it with --parameter-overrides)"
                ),
            );
        }
        kind = inner;
    }
    let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
    let known = is_list
        || kind == "String"
        || kind == "Number"
        || (kind.starts_with("AWS::") && !kind.starts_with("AWS::SSM::Parameter::Value"));
    if !known {
        diags.error(
            definition.get("Type").map_or(pos, |n| n.pos),
            format!(
                "parameter `{name}` has unsupported Type `{kind}`: expected String, Number, \
                 CommaDelimitedList, List<Number>, an AWS-specific type or \
                 AWS::SSM::Parameter::Value<...>"
            ),
        );
        return None;
    }
    let from_override = given.is_some();
    let Some(text) = given.or(default) else {
        let message = format!(
            "parameter `{name}` has no Default: pass a value with --parameter-overrides {name}=VALUE"
        );
        if strict {
            diags.error(pos, message);
            return None;
        }
        diags.warn(
            pos,
            format!("{message}; until then `Ref {name}` is `{name}`, as with `sam local`"),
        );
        // A stand-in, not a value: the Type and constraints are the value's to meet.
        let name = Node::str(name.to_string(), pos);
        return Some(if is_list {
            Node::new(Value::Seq(vec![name]), pos)
        } else {
            name
        });
    };
    let where_ = if from_override { "override" } else { "Default" };
    let items: Vec<String> = if is_list {
        text.split(',').map(|s| s.trim().to_string()).collect()
    } else {
        vec![text.clone()]
    };
    let mut ok = true;
    if kind == "Number" || kind == "List<Number>" {
        for item in &items {
            if item.parse::<f64>().is_err() {
                diags.error(
                    pos,
                    format!(
                        "parameter `{name}` is a {kind}, but its {where_} `{item}` is not a number"
                    ),
                );
                ok = false;
            }
        }
    }
    if let Some(allowed) = definition.get("AllowedValues") {
        let allowed: Vec<String> = allowed
            .as_seq()
            .unwrap_or_default()
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        for item in &items {
            if !allowed.contains(item) {
                diags.error(
                    pos,
                    format!(
                        "parameter `{name}`: its {where_} `{item}` is not one of its AllowedValues ({})",
                        allowed.join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    ok &= check_bounds(name, where_, definition, &items, pos, diags);
    if !ok {
        return None;
    }
    Some(if is_list {
        Node::new(
            Value::Seq(items.into_iter().map(|s| Node::str(s, pos)).collect()),
            pos,
        )
    } else {
        Node::str(text, pos)
    })
}

/// `MinLength`/`MaxLength` for strings, `MinValue`/`MaxValue` for numbers.
fn check_bounds(
    name: &str,
    where_: &str,
    definition: &Node,
    items: &[String],
    pos: Pos,
    diags: &mut Diags,
) -> bool {
    let number = |key: &str| {
        definition
            .get(key)
            .and_then(Node::scalar_text)
            .and_then(|t| t.parse::<f64>().ok())
    };
    let mut ok = true;
    for item in items {
        let len = item.chars().count() as f64;
        let value = item.parse::<f64>().ok();
        let failures = [
            (
                number("MinLength").is_some_and(|m| len < m),
                "shorter than its MinLength",
            ),
            (
                number("MaxLength").is_some_and(|m| len > m),
                "longer than its MaxLength",
            ),
            (
                number("MinValue").is_some_and(|m| value.is_some_and(|v| v < m)),
                "below its MinValue",
            ),
            (
                number("MaxValue").is_some_and(|m| value.is_some_and(|v| v > m)),
                "above its MaxValue",
            ),
        ];
        for (failed, what) in failures {
            if failed {
                diags.error(
                    pos,
                    format!("parameter `{name}`: its {where_} `{item}` is {what}"),
                );
                ok = false;
            }
        }
    }
    ok
}
