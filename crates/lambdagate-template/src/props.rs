//! Reading typed properties from resolved nodes, with diagnostics for the wrong type.

use std::path::{Path, PathBuf};

use lambdagate_model::ApiKeySource;

use crate::diag::{Diags, R};
use crate::node::{Node, Pos, Value};

/// An optional text property (numbers and booleans are accepted as text, as CloudFormation does).
pub fn text(diags: &mut Diags, props: &Node, key: &str, owner: &str) -> R<Option<String>> {
    match props.get(key) {
        None
        | Some(Node {
            value: Value::Null, ..
        }) => Ok(None),
        Some(node) => match node.scalar_text() {
            Some(t) => Ok(Some(t)),
            None => Err(diags.error(
                node.pos,
                format!("{owner}: {key} must be a string, not {}", node.kind_name()),
            )),
        },
    }
}

/// An optional whole-number property within `range`.
pub fn number(
    diags: &mut Diags,
    props: &Node,
    key: &str,
    owner: &str,
    range: std::ops::RangeInclusive<u32>,
) -> R<Option<u32>> {
    let Some(node) = props.get(key) else {
        return Ok(None);
    };
    let parsed = node
        .scalar_text()
        .and_then(|t| t.trim().parse::<u32>().ok());
    match parsed {
        Some(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(diags.error(
            node.pos,
            format!(
                "{owner}: {key} must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// An optional boolean property (`true`/`false`, also as text).
pub fn boolean(diags: &mut Diags, props: &Node, key: &str, owner: &str) -> R<Option<bool>> {
    let Some(node) = props.get(key) else {
        return Ok(None);
    };
    match (&node.value, node.scalar_text().as_deref()) {
        (Value::Bool(b), _) => Ok(Some(*b)),
        (_, Some("true")) => Ok(Some(true)),
        (_, Some("false")) => Ok(Some(false)),
        _ => Err(diags.error(node.pos, format!("{owner}: {key} must be true or false"))),
    }
}

/// An optional list of strings (a single string counts as a list of one).
pub fn strings(diags: &mut Diags, props: &Node, key: &str, owner: &str) -> R<Option<Vec<String>>> {
    let Some(node) = props.get(key) else {
        return Ok(None);
    };
    if let Some(single) = node.scalar_text() {
        return Ok(Some(vec![single]));
    }
    let Some(items) = node.as_seq() else {
        return Err(diags.error(
            node.pos,
            format!("{owner}: {key} must be a list of strings"),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.scalar_text() {
            Some(t) => out.push(t),
            None => {
                return Err(diags.error(
                    item.pos,
                    format!("{owner}: {key} must hold strings, not {}", item.kind_name()),
                ));
            }
        }
    }
    Ok(Some(out))
}

/// A string-to-string mapping (environment and stage variables).
pub fn string_map(
    diags: &mut Diags,
    node: &Node,
    owner: &str,
) -> R<std::collections::BTreeMap<String, String>> {
    let Some(entries) = node.as_map() else {
        return Err(diags.error(
            node.pos,
            format!("{owner} must be a mapping of names to values"),
        ));
    };
    let mut out = std::collections::BTreeMap::new();
    let mut failed = false;
    for (key, value) in entries {
        match (&value.value, value.scalar_text()) {
            (Value::Null, _) => {
                out.insert(key.name.clone(), String::new());
            }
            (_, Some(text)) => {
                out.insert(key.name.clone(), text);
            }
            _ => {
                diags.error(
                    value.pos,
                    format!(
                        "{owner}: `{}` must be a string, not {}",
                        key.name,
                        value.kind_name()
                    ),
                );
                failed = true;
            }
        }
    }
    if failed {
        Err(crate::diag::Reported)
    } else {
        Ok(out)
    }
}

/// A local folder named by `CodeUri`/`ContentUri` (or a local `.zip`, unpacked), absolute,
/// checked to exist.
pub fn local_folder(
    diags: &mut Diags,
    node: &Node,
    key: &str,
    owner: &str,
    base: &Path,
) -> R<PathBuf> {
    let Some(uri) = node.as_str() else {
        return Err(diags.error(
            node.pos,
            format!(
                "{owner}: {key} is {} (an S3 location); lambdagate runs local code, so {key} \
                 must be a folder path such as `src/`",
                node.kind_name()
            ),
        ));
    };
    if uri.starts_with("s3://") {
        return Err(diags.error(
            node.pos,
            format!("{owner}: {key} `{uri}` is in S3; lambdagate runs local code, so {key} must be a local folder"),
        ));
    }
    let path = absolute(&base.join(uri));
    if path.is_dir() {
        Ok(path)
    } else if path.is_file() && uri.to_ascii_lowercase().ends_with(".zip") {
        // A layer's zip, unpacked and checked as a function's is (see `code.rs`).
        crate::code::unzip(&path).map_err(|why| {
            diags.error(
                node.pos,
                format!("{owner}: {key} `{uri}` could not be unpacked: {why}"),
            )
        })
    } else if path.is_file() {
        Err(diags.error(
            node.pos,
            format!("{owner}: {key} `{uri}` is a file; it must be a folder holding the code (unzip archives first)"),
        ))
    } else {
        Err(diags.error(
            node.pos,
            format!(
                "{owner}: {key} `{uri}` does not exist (looked for {})",
                path.display()
            ),
        ))
    }
}

/// `path` made absolute with `.` and `..` removed lexically (symlinks are left alone, so the
/// path stays the one the user wrote).
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// An optional number (integer or decimal, also as text) within `range`.
pub fn float(
    diags: &mut Diags,
    props: &Node,
    key: &str,
    owner: &str,
    range: std::ops::RangeInclusive<f64>,
) -> R<Option<f64>> {
    let Some(node) = props.get(key) else {
        return Ok(None);
    };
    let parsed = match &node.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match parsed {
        Some(n) if range.contains(&n) => Ok(Some(n)),
        Some(n) => Err(diags.error(
            node.pos,
            format!(
                "{owner}: {key} is {n}, which is outside {} to {}",
                range.start(),
                range.end()
            ),
        )),
        None => Err(diags.error(
            node.pos,
            format!("{owner}: {key} must be a number, not {}", node.kind_name()),
        )),
    }
}

/// The entries of an optional mapping property (`None` when absent), with an error when it is
/// present but not a mapping.
pub fn map<'n>(
    diags: &mut Diags,
    props: &'n Node,
    key: &str,
    owner: &str,
) -> R<Option<&'n [(crate::node::Key, Node)]>> {
    match props.get(key) {
        None
        | Some(Node {
            value: Value::Null, ..
        }) => Ok(None),
        Some(node) => match node.as_map() {
            Some(entries) => Ok(Some(entries)),
            None => Err(diags.error(
                node.pos,
                format!("{owner}: {key} must be a mapping, not {}", node.kind_name()),
            )),
        },
    }
}

/// Reports every key of `node` that is not in `known` (a deploy rejects them), naming the
/// accepted ones.
pub fn known_keys(diags: &mut Diags, node: &Node, known: &[&str], owner: &str) -> R<()> {
    let mut failed = false;
    for (key, _) in node.as_map().unwrap_or_default() {
        if !known.contains(&key.name.as_str()) {
            diags.error(
                key.pos,
                format!(
                    "{owner}: unknown property `{}`; expected one of {}",
                    key.name,
                    known.join(", ")
                ),
            );
            failed = true;
        }
    }
    if failed {
        Err(crate::diag::Reported)
    } else {
        Ok(())
    }
}

/// A REST API's `ApiKeySourceType` (of an `AWS::ApiGateway::RestApi` or an
/// `AWS::Serverless::Api`): HEADER (the default) or AUTHORIZER. `pos` is the API's, for an
/// error without the property's own position.
pub fn api_key_source(diags: &mut Diags, props: &Node, pos: Pos, owner: &str) -> R<ApiKeySource> {
    match text(diags, props, "ApiKeySourceType", owner)?.as_deref() {
        None | Some("HEADER") => Ok(ApiKeySource::Header),
        Some("AUTHORIZER") => Ok(ApiKeySource::Authorizer),
        Some(other) => Err(diags.error(
            props.get("ApiKeySourceType").map_or(pos, |n| n.pos),
            format!("{owner}: ApiKeySourceType `{other}` must be HEADER or AUTHORIZER"),
        )),
    }
}
