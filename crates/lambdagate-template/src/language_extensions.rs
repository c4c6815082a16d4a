//! `AWS::LanguageExtensions`: `Fn::ForEach` loops expanded before the template is read.
//!
//! `Fn::ForEach::LoopName: [Identifier, Collection, {OutputKey: OutputValue}]` stands, in
//! `Resources`, `Outputs`, `Conditions` and anywhere inside their entries (resource
//! properties), for one `OutputKey: OutputValue` per item of the collection, with
//! `${Identifier}` replaced by the item, `&{Identifier}` by the item without its
//! non-alphanumeric characters, and `Ref: Identifier` by the item. The collection is a list or
//! a `Ref` to a list parameter (`CommaDelimitedList`). Loops nest. The transform's other
//! functions (`Fn::Length`, `Fn::ToJsonString`, `Fn::FindInMap` with `DefaultValue`) are
//! ordinary intrinsics (see `intrinsics.rs`).

use std::collections::HashMap;

use crate::diag::{Diags, R, Reported};
use crate::node::{Key, Node, Pos, Value};

/// The sections a loop may be written in.
const SECTIONS: &[&str] = &["Resources", "Outputs", "Conditions"];

/// The prefix of a loop's key.
const PREFIX: &str = "Fn::ForEach::";

/// Expands every `Fn::ForEach` of the template's sections, with list parameters' values.
/// Without the transform in `Transform`, a loop is what AWS rejects: an error when `strict`
/// (`validate`), else a warning, and expanded anyway.
pub fn expand(root: &mut Node, d: &mut Diags, params: &HashMap<String, Node>, strict: bool) {
    let declared = declared(root);
    let Value::Map(sections) = &mut root.value else {
        return;
    };
    let mut first: Option<Pos> = None;
    let mut loops: Vec<(String, Pos)> = Vec::new();
    for (key, section) in sections.iter_mut() {
        if SECTIONS.contains(&key.name.as_str()) {
            let mut ex = Expander {
                d,
                params,
                first: &mut first,
                loops: &mut loops,
            };
            ex.node(section);
        }
    }
    // A loop's name must be unique in the template and no resource's logical id.
    let resources = root.get("Resources").and_then(Node::as_map).unwrap_or(&[]);
    for (i, (name, pos)) in loops.iter().enumerate() {
        if loops[..i].iter().any(|(n, _)| n == name) {
            d.error(
                *pos,
                format!("Fn::ForEach::{name}: another loop has this name"),
            );
        } else if resources.iter().any(|(k, _)| k.name == *name) {
            d.error(
                *pos,
                format!("Fn::ForEach::{name}: the loop's name is also a resource's logical id"),
            );
        }
    }
    if let Some(pos) = first.filter(|_| !declared) {
        let message = "Fn::ForEach needs `AWS::LanguageExtensions` in the template's Transform \
                       section; AWS would reject the template";
        if strict {
            d.error(pos, message);
        } else {
            d.warn(
                pos,
                format!(
                    "{message} (expanded anyway; `lambdagate validate` reports it as an error)"
                ),
            );
        }
    }
}

/// True when the template's `Transform` lists `AWS::LanguageExtensions`.
pub fn declared(root: &Node) -> bool {
    match root.get("Transform") {
        Some(t) => {
            t.as_str() == Some("AWS::LanguageExtensions")
                || t.as_seq().is_some_and(|s| {
                    s.iter()
                        .any(|n| n.as_str() == Some("AWS::LanguageExtensions"))
                })
        }
        None => false,
    }
}

struct Expander<'a> {
    d: &'a mut Diags,
    params: &'a HashMap<String, Node>,
    /// Where the first loop is written (for the missing-transform diagnostic).
    first: &'a mut Option<Pos>,
    /// Every loop's name, where written.
    loops: &'a mut Vec<(String, Pos)>,
}

impl Expander<'_> {
    /// Expands the loops in and below `node`.
    fn node(&mut self, node: &mut Node) {
        match &mut node.value {
            Value::Seq(items) => {
                for item in items {
                    self.node(item);
                }
            }
            Value::Map(entries) => {
                let old = std::mem::take(entries);
                let mut out: Vec<(Key, Node)> = Vec::with_capacity(old.len());
                for (key, mut value) in old {
                    if let Some(name) = key.name.strip_prefix(PREFIX) {
                        self.first.get_or_insert(key.pos);
                        if !self.loops.iter().any(|(n, p)| n == name && *p == key.pos) {
                            self.loops.push((name.to_string(), key.pos));
                        }
                        let Ok(produced) = self.repeat(&key, &value) else {
                            continue;
                        };
                        for (k, v) in produced {
                            if out.iter().any(|(o, _)| o.name == k.name) {
                                self.d.error(
                                    key.pos,
                                    format!(
                                        "{}: it produces `{}`, which is already defined here",
                                        key.name, k.name
                                    ),
                                );
                            } else {
                                out.push((k, v));
                            }
                        }
                    } else {
                        self.node(&mut value);
                        if let Some(i) = out.iter().position(|(o, _)| o.name == key.name) {
                            let line = self.d.location(out[i].0.pos).line;
                            self.d.error(
                                key.pos,
                                format!(
                                    "`{}` is already defined here (by Fn::ForEach at line {line})",
                                    key.name
                                ),
                            );
                        } else {
                            out.push((key, value));
                        }
                    }
                }
                *entries = out;
            }
            _ => {}
        }
    }

    /// One loop: its entries, expanded (nested loops included).
    fn repeat(&mut self, key: &Key, value: &Node) -> R<Vec<(Key, Node)>> {
        let name = &key.name;
        let shape = "[Identifier, Collection, {OutputKey: OutputValue}]";
        let Some([identifier, collection, fragment]) = value.as_seq() else {
            return Err(self.d.error(
                value.pos,
                format!("{name} expects {shape}, not {}", value.kind_name()),
            ));
        };
        let Some(id) = identifier.as_str().filter(|s| !s.is_empty()) else {
            return Err(self.d.error(
                identifier.pos,
                format!(
                    "{name}: the identifier must be a name, not {}",
                    identifier.kind_name()
                ),
            ));
        };
        let items = self.collection(name, collection)?;
        let Some(entries) = fragment.as_map() else {
            return Err(self.d.error(
                fragment.pos,
                format!(
                    "{name}: the output must be a mapping {{OutputKey: OutputValue}}, not {}",
                    fragment.kind_name()
                ),
            ));
        };
        let mut failed = false;
        for (k, _) in entries {
            let marked =
                k.name.contains(&format!("${{{id}}}")) || k.name.contains(&format!("&{{{id}}}"));
            if !marked && !k.name.starts_with(PREFIX) {
                self.d.error(
                    k.pos,
                    format!(
                        "{name}: the output key `{}` must contain `${{{id}}}` or `&{{{id}}}`, \
                         so each item gets its own key",
                        k.name
                    ),
                );
                failed = true;
            }
        }
        if failed {
            return Err(Reported);
        }
        let mut out = Vec::new();
        for item in &items {
            let mut copy = fragment.clone();
            substitute(&mut copy, id, item);
            self.node(&mut copy);
            if let Value::Map(produced) = copy.value {
                out.extend(produced);
            }
        }
        Ok(out)
    }

    /// The collection's items as text: a list, or a `Ref` to a list parameter.
    fn collection(&mut self, name: &str, node: &Node) -> R<Vec<String>> {
        let list = match node.intrinsic() {
            Some(("Ref", target)) => {
                let param = target.as_str().unwrap_or_default();
                match self.params.get(param) {
                    Some(Node {
                        value: Value::Null, ..
                    }) => return Err(Reported), // Reported with the parameter.
                    Some(value) => match &value.value {
                        Value::Seq(_) => value.clone(),
                        Value::Str(s) => Node::new(
                            Value::Seq(s.split(',').map(|p| Node::str(p, node.pos)).collect()),
                            node.pos,
                        ),
                        _ => value.clone(),
                    },
                    None => {
                        return Err(self.d.error(
                            node.pos,
                            format!(
                                "{name}: the collection's Ref names `{param}`, which is not a \
                                 parameter of this template (a collection is a list or a Ref \
                                 to a CommaDelimitedList parameter)"
                            ),
                        ));
                    }
                }
            }
            _ => node.clone(),
        };
        let Some(items) = list.as_seq() else {
            return Err(self.d.error(
                node.pos,
                format!(
                    "{name}: the collection must be a list or a Ref to a CommaDelimitedList \
                     parameter, not {}",
                    list.kind_name()
                ),
            ));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.scalar_text() {
                Some(text) => out.push(text),
                None => {
                    return Err(self.d.error(
                        item.pos,
                        format!(
                            "{name}: the collection must hold strings, not {}",
                            item.kind_name()
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Replaces the identifier by `item` throughout `node`: `${id}` and `&{id}` in keys and
/// strings, and `Ref: id` by the item itself.
fn substitute(node: &mut Node, id: &str, item: &str) {
    if let Some(("Ref", target)) = node.intrinsic()
        && target.as_str() == Some(id)
    {
        node.value = Value::Str(item.to_string());
        return;
    }
    match &mut node.value {
        Value::Str(s) => *s = replace(s, id, item),
        Value::Seq(items) => {
            for child in items {
                substitute(child, id, item);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                key.name = replace(&key.name, id, item);
                substitute(value, id, item);
            }
        }
        _ => {}
    }
}

fn replace(text: &str, id: &str, item: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    text.replace(&format!("${{{id}}}"), item)
        .replace(&format!("&{{{id}}}"), &alnum)
}

#[cfg(test)]
mod tests {
    use super::replace;

    #[test]
    fn dollar_keeps_the_item_and_ampersand_keeps_its_letters_and_digits() {
        assert_eq!(replace("Fn${Name}", "Name", "a-b"), "Fna-b");
        assert_eq!(
            replace("Subnet&{Cidr}", "Cidr", "10.0.2.0/24"),
            "Subnet1002024"
        );
        assert_eq!(replace("${Other}", "Name", "x"), "${Other}");
    }
}
