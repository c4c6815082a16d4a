//! `AWS::Include`: snippets from local files spliced into the template before anything reads it.
//!
//! CloudFormation accepts the transform in two places: as an entry of the `Transform` section
//! (the snippet's sections join the template's) and as `Fn::Transform` anywhere else but
//! `Parameters` and the format version (the snippet takes the place of the call; as a key
//! beside other keys, the snippet's entries join its siblings). AWS reads `Location` from S3;
//! locally it is a path relative to the including file's folder, as `sam` allows.
//!
//! The snippet's nodes keep the snippet's own lines (tagged, see [`Diags::tag_file`]), so a
//! mistake inside it is reported at that file's line.

use std::path::{Path, PathBuf};

use crate::diag::Diags;
use crate::node::{Key, Node, Pos, Value};
use crate::yaml;

/// Sections the transform must not appear in.
const NOT_IN: &[&str] = &["AWSTemplateFormatVersion", "Parameters"];

/// Splices every `AWS::Include` of `root` (read from `file`) in place. Problems are errors:
/// the template is incomplete without the snippet. `strict` (validate) refuses snippets whose YAML
/// only `sam` reads (see [`yaml::read_as_sam_does`]).
pub fn splice(root: &mut Node, d: &mut Diags, file: &Path, strict: bool) {
    let chain = vec![crate::props::absolute(file)];
    let dir = folder(file);
    top_level(root, d, &dir, &chain, strict);
    if let Value::Map(entries) = &mut root.value {
        entries.retain_mut(|(key, value)| {
            NOT_IN.contains(&key.name.as_str())
                || key.name == "Transform"
                || walk(value, d, &dir, &chain, strict)
        });
    }
}

/// The folder of `file`, absolute.
fn folder(file: &Path) -> PathBuf {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    crate::props::absolute(&dir)
}

/// `Transform: {Name: AWS::Include, ...}` (alone or in the list): the snippet's sections join
/// the template's; the entry leaves the section.
fn top_level(root: &mut Node, d: &mut Diags, dir: &Path, chain: &[PathBuf], strict: bool) {
    let Value::Map(sections) = &mut root.value else {
        return;
    };
    let Some(index) = sections.iter().position(|(k, _)| k.name == "Transform") else {
        return;
    };
    let transform = &mut sections[index].1;
    let mut snippets = Vec::new();
    if is_include(transform) {
        snippets.push(transform.clone());
    }
    if let Value::Seq(items) = &mut transform.value {
        items.retain(|item| {
            if is_include(item) {
                snippets.push(item.clone());
                false
            } else {
                true
            }
        });
    }
    if snippets.is_empty() {
        return;
    }
    if transform.as_map().is_some() {
        sections.remove(index);
    }
    for call in snippets {
        let Some(mut doc) = include(&call, d, dir, chain, strict) else {
            continue;
        };
        let kind = doc.kind_name();
        let Value::Map(entries) = std::mem::replace(&mut doc.value, Value::Null) else {
            d.error(
                doc.pos,
                format!(
                    "AWS::Include in the Transform section: the snippet must be a mapping of \
                     template sections, not {kind}"
                ),
            );
            continue;
        };
        merge_into(sections, entries, d);
    }
}

/// Adds `entries` to `into`; a key both have is merged one level down when both values are
/// mappings (a snippet's `Resources` joins the template's), else it is an error.
fn merge_into(into: &mut Vec<(Key, Node)>, entries: Vec<(Key, Node)>, d: &mut Diags) {
    for (key, value) in entries {
        match into.iter_mut().find(|(k, _)| k.name == key.name) {
            None => into.push((key, value)),
            Some((_, existing)) => match (&mut existing.value, value.value) {
                (Value::Map(mine), Value::Map(theirs)) => {
                    for (k, v) in theirs {
                        if mine.iter().any(|(m, _)| m.name == k.name) {
                            d.error(
                                k.pos,
                                format!(
                                    "AWS::Include: `{}` is already defined in `{}`",
                                    k.name, key.name
                                ),
                            );
                        } else {
                            mine.push((k, v));
                        }
                    }
                }
                _ => {
                    d.error(
                        key.pos,
                        format!("AWS::Include: `{}` is already defined", key.name),
                    );
                }
            },
        }
    }
}

/// True for `{Name: AWS::Include, Parameters: ...}`.
fn is_include(node: &Node) -> bool {
    node.get("Name").and_then(Node::as_str) == Some("AWS::Include")
}

/// Replaces every `Fn::Transform: {Name: AWS::Include}` below `node`. False when `node` was
/// a call whose snippet could not be read (reported): its owner leaves it out, so the missing
/// snippet is one error rather than one more for each place that needed it.
fn walk(node: &mut Node, d: &mut Diags, dir: &Path, chain: &[PathBuf], strict: bool) -> bool {
    match &mut node.value {
        Value::Seq(items) => {
            items.retain_mut(|item| walk(item, d, dir, chain, strict));
        }
        Value::Map(entries) => {
            let at = entries
                .iter()
                .position(|(k, v)| k.name == "Fn::Transform" && is_include(v));
            if let Some(at) = at {
                let (_, call) = entries.remove(at);
                let snippet = include(&call, d, dir, chain, strict);
                if entries.is_empty() {
                    // The call is the whole value: the snippet takes its place.
                    return match snippet {
                        Some(snippet) => {
                            *node = snippet;
                            true
                        }
                        None => false,
                    };
                }
                match snippet {
                    Some(Node {
                        value: Value::Map(more),
                        ..
                    }) => merge_into(entries, more, d),
                    Some(other) => {
                        d.error(
                            other.pos,
                            format!(
                                "AWS::Include beside other keys: the snippet must be a mapping, \
                                 not {}",
                                other.kind_name()
                            ),
                        );
                    }
                    None => {}
                }
            }
            entries.retain_mut(|(_, value)| walk(value, d, dir, chain, strict));
        }
        _ => {}
    }
    true
}

/// Reads the snippet a call names, with its own includes spliced. `None` once reported.
fn include(
    call: &Node,
    d: &mut Diags,
    dir: &Path,
    chain: &[PathBuf],
    strict: bool,
) -> Option<Node> {
    let Some(location) = call.get("Parameters").and_then(|p| p.get("Location")) else {
        d.error(
            call.pos,
            "AWS::Include needs Parameters.Location (the snippet's file)",
        );
        return None;
    };
    let Some(name) = location.as_str() else {
        d.error(
            location.pos,
            format!(
                "AWS::Include: Location must be a file path written out, not {} (transforms \
                 run before intrinsic functions)",
                location.kind_name()
            ),
        );
        return None;
    };
    if name.starts_with("s3://") || name.starts_with("https://") || name.starts_with("http://") {
        d.error(
            location.pos,
            format!(
                "AWS::Include: Location `{name}` is remote; lambdagate reads local files, so \
                 give the snippet's path relative to this template"
            ),
        );
        return None;
    }
    let path = crate::props::absolute(&dir.join(name));
    if let Some(start) = chain.iter().position(|c| *c == path) {
        let cycle: Vec<String> = chain[start..]
            .iter()
            .chain([&path])
            .map(|p| short(&chain[0], p))
            .collect();
        d.error(
            location.pos,
            format!(
                "AWS::Include: `{name}` includes itself ({}); it is not read again",
                cycle.join(" -> ")
            ),
        );
        return None;
    }
    let text = match d.read_source(&path) {
        Ok(text) => text,
        Err(e) => {
            d.error(
                location.pos,
                format!(
                    "AWS::Include: cannot read `{name}` ({}): {e}",
                    path.display()
                ),
            );
            return None;
        }
    };
    let shown = as_named(&path, d.file());
    let tag = d.tag_file(shown).unwrap_or(0);
    let mut doc = match yaml::read_as_sam_does(&text) {
        Ok((doc, leniencies)) => {
            if !yaml::report(d, &leniencies, strict, |p| tagged(p, tag)) {
                return None;
            }
            doc
        }
        Err(errors) => {
            for e in errors {
                d.error(tagged(e.pos, tag), format!("in `{name}`: {}", e.message));
            }
            return None;
        }
    };
    retag(&mut doc, tag);
    let mut inner = chain.to_vec();
    inner.push(path.clone());
    walk(&mut doc, d, &folder(&path), &inner, strict).then_some(doc)
}

fn tagged(pos: Pos, tag: u32) -> Pos {
    Pos {
        line: pos.line | tag,
        column: pos.column,
    }
}

/// Marks every position of a snippet as the snippet's.
fn retag(node: &mut Node, tag: u32) {
    node.pos = tagged(node.pos, tag);
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                retag(item, tag);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                key.pos = tagged(key.pos, tag);
                retag(value, tag);
            }
        }
        _ => {}
    }
}

/// `path` relative to the outermost template's folder when it is inside it, for messages.
pub fn short(outermost: &Path, path: &Path) -> String {
    outermost
        .parent()
        .and_then(|dir| path.strip_prefix(dir).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `path` (absolute) written the way the user named the template `like`: relative to the
/// current folder when `like` is relative, so diagnostics about an included or nested file read
/// like those about the template.
pub fn as_named(path: &Path, like: &Path) -> PathBuf {
    if like.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .ok()
        .map(|cwd| crate::props::absolute(&cwd))
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
