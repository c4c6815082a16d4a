//! Reading YAML (and JSON, which is YAML) into [`Node`]s that keep their source positions.

mod continuation;

use std::borrow::Cow;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use crate::diag::Diags;
use crate::node::{Key, Node, Pos, Value};

/// The short-form tags CloudFormation accepts, with the long form each stands for.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("Condition", "Condition"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

/// A problem found while reading: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    /// Where.
    pub pos: Pos,
    /// What, as one sentence.
    pub message: String,
}

/// Parses template text. Syntax errors stop the reading (one error); unknown tags are
/// collected, so a template with several is reported whole.
pub fn read(text: &str) -> Result<Node, Vec<ReadError>> {
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| {
        vec![ReadError {
            pos: Pos {
                line: e.marker().line().max(1) as u32,
                column: e.marker().col() as u32 + 1,
            },
            message: format!("YAML syntax error: {}", e.info()),
        }]
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Err(vec![ReadError {
            pos: Pos { line: 1, column: 1 },
            message: "the template is empty: expected a mapping with a Resources section"
                .to_string(),
        }]);
    };
    let mut errors = Vec::new();
    let node = convert(doc, None, &mut errors);
    if errors.is_empty() {
        Ok(node)
    } else {
        Err(errors)
    }
}

/// A place [`read_as_sam_does`] read where a YAML 1.2 parser refuses the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leniency {
    /// A key repeated in its mapping (at the repetition): the last value is kept.
    RepeatedKey(Pos),
    /// A flow collection or quoted scalar (at its opening character) whose continuation lines
    /// are indented no deeper than the block it sits in.
    ShallowContinuation(Pos),
}

/// Reports what `sam` reads and a YAML 1.2 parser refuses: warnings when serving, errors for
/// `lambdagate validate` (strict). `place` maps a position of the read text to the one to
/// report (an included snippet's file tag). False when the text is refused (strict, and
/// something was read leniently).
pub(crate) fn report(
    diags: &mut Diags,
    leniencies: &[Leniency],
    strict: bool,
    place: impl Fn(Pos) -> Pos,
) -> bool {
    for leniency in leniencies {
        let (pos, what) = match *leniency {
            Leniency::RepeatedKey(pos) => (
                pos,
                "this key is repeated in its mapping; `sam` keeps the last value",
            ),
            Leniency::ShallowContinuation(pos) => (
                pos,
                "the lines of this flow collection or quoted string are indented no deeper \
                 than the block it sits in; `sam` reads them as written",
            ),
        };
        if strict {
            diags.error(
                place(pos),
                format!(
                    "{what}, but a YAML 1.2 parser refuses this (`start-api` serves it with a \
                     warning)"
                ),
            );
        } else {
            diags.warn(
                place(pos),
                format!(
                    "{what}, and so does lambdagate (a YAML 1.2 parser refuses this: \
                     `lambdagate validate` reports it as an error)"
                ),
            );
        }
    }
    !strict || leniencies.is_empty()
}

/// The most constructs [`read_as_sam_does`] indents deeper before it gives up.
const MAX_DEEPENED: usize = 200;

/// [`read`], except that it reads what PyYAML, and so `sam` (which rewrites the template
/// before a deploy), reads where a YAML 1.2 parser refuses the text: a key repeated in a
/// mapping keeps its last value, and the continuation lines of a flow collection or a quoted
/// scalar may be indented no deeper than the block it sits in. Each such place comes back
/// beside the node, for a warning.
pub fn read_as_sam_does(text: &str) -> Result<(Node, Vec<Leniency>), Vec<ReadError>> {
    let mut text = Cow::Borrowed(text);
    let mut found = Vec::new();
    let mut deepened = Vec::new();
    loop {
        let errors = match read(&text) {
            Ok(node) => return Ok((node, found)),
            Err(errors) => errors,
        };
        let [first] = errors.as_slice() else {
            return Err(errors);
        };
        if first.message.ends_with(DUPLICATE_KEY) {
            let node = keep_last(&text).ok_or(errors.clone())??;
            found.push(Leniency::RepeatedKey(first.pos));
            return Ok((node, found));
        }
        if !first.message.contains(INDENTATION) || deepened.len() >= MAX_DEEPENED {
            return Err(errors);
        }
        let line = (first.pos.line as usize).saturating_sub(1);
        let Some(construct) = continuation::multiline_constructs(&text)
            .into_iter()
            .find(|c| c.start_line <= line && line <= c.end_line && !deepened.contains(c))
        else {
            return Err(errors);
        };
        text = Cow::Owned(continuation::indent_deeper(&text, &construct));
        // Its lines are indented deeper now; its start is where it was.
        deepened.push(construct);
        found.push(Leniency::ShallowContinuation(Pos {
            line: construct.start_line as u32 + 1,
            column: construct.start_col as u32 + 1,
        }));
    }
}

/// The text read with repeated keys keeping their last value; `None` when it cannot be read
/// that way either, and the conversion's own errors.
fn keep_last(text: &str) -> Option<Result<Node, Vec<ReadError>>> {
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let mut loader = saphyr::YamlLoader::<MarkedYamlOwned>::default();
    loader.allow_duplicate_keys(true);
    if parser.load(&mut loader, true).is_err() || loader.error().is_some() {
        return None;
    }
    let doc = loader.into_documents().into_iter().next()?;
    let mut problems = Vec::new();
    let node = convert(doc, None, &mut problems);
    Some(if problems.is_empty() {
        Ok(node)
    } else {
        Err(problems)
    })
}

/// What every one of saphyr's indentation messages holds.
const INDENTATION: &str = "invalid indentation";

/// saphyr's message for a key repeated in one mapping.
const DUPLICATE_KEY: &str = "duplicated key in mapping";

fn pos_of(node: &MarkedYamlOwned) -> Pos {
    Pos {
        line: node.span.start.line() as u32,
        column: node.span.start.col() as u32 + 1,
    }
}

/// Converts one saphyr node. `outer` is the position of an enclosing tag: saphyr gives tagged
/// nodes' contents no position of their own.
fn convert(node: MarkedYamlOwned, outer: Option<Pos>, errors: &mut Vec<ReadError>) -> Node {
    let own = pos_of(&node);
    let pos = match outer {
        Some(p) if own.line == 0 => p,
        _ => own,
    };
    let value = match node.data {
        YamlDataOwned::Value(scalar) => scalar_value(scalar),
        YamlDataOwned::Representation(text, _, _) => Value::Str(text),
        YamlDataOwned::Sequence(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| convert(item, Some(pos), errors))
                .collect(),
        ),
        YamlDataOwned::Mapping(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key_pos = match pos_of(&k) {
                    p if p.line == 0 => pos,
                    p => p,
                };
                let key = convert(k, Some(key_pos), errors);
                let name = key.scalar_text().unwrap_or_else(|| {
                    errors.push(ReadError {
                        pos: key_pos,
                        message: format!("a mapping key must be text, not {}", key.kind_name()),
                    });
                    String::new()
                });
                out.push((
                    Key { name, pos: key_pos },
                    convert(v, Some(key_pos), errors),
                ));
            }
            Value::Map(out)
        }
        YamlDataOwned::Tagged(tag, inner) => {
            let inner = convert(*inner, Some(pos), errors);
            if tag.handle == "!" {
                match SHORT_FORMS.iter().find(|(short, _)| *short == tag.suffix) {
                    Some((_, long)) => Value::Map(vec![(
                        Key {
                            name: (*long).to_string(),
                            pos,
                        },
                        inner,
                    )]),
                    None => {
                        let known: Vec<String> =
                            SHORT_FORMS.iter().map(|(s, _)| format!("!{s}")).collect();
                        errors.push(ReadError {
                            pos,
                            message: format!(
                                "unknown tag !{}: expected one of {}",
                                tag.suffix,
                                known.join(", ")
                            ),
                        });
                        Value::Null
                    }
                }
            } else {
                // Core-schema tags such as `!!str` only say how to read the scalar.
                match (tag.suffix.as_str(), inner.value) {
                    ("str", v) => match Node::new(v, pos).scalar_text() {
                        Some(text) => Value::Str(text),
                        None => Value::Null,
                    },
                    (_, v) => v,
                }
            }
        }
        YamlDataOwned::Alias(_) => {
            errors.push(ReadError {
                pos,
                message: "YAML aliases are not supported in templates".to_string(),
            });
            Value::Null
        }
        YamlDataOwned::BadValue => {
            errors.push(ReadError {
                pos,
                message: "unreadable YAML value".to_string(),
            });
            Value::Null
        }
    };
    Node { value, pos }
}

fn scalar_value(scalar: ScalarOwned) -> Value {
    match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(b),
        ScalarOwned::Integer(i) => Value::Int(i),
        ScalarOwned::FloatingPoint(f) => Value::Float(f.into_inner()),
        ScalarOwned::String(s) => Value::Str(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms_with_positions() {
        let node = read("A: !Ref X\nB:\n  C: !GetAtt F.Arn\n").unwrap();
        let a = node.get("A").unwrap();
        assert_eq!(a.intrinsic().unwrap().0, "Ref");
        assert_eq!(a.pos, Pos { line: 1, column: 4 });
        let c = node.get("B").unwrap().get("C").unwrap();
        assert_eq!(c.intrinsic().unwrap().0, "Fn::GetAtt");
        assert_eq!(c.pos, Pos { line: 3, column: 6 });
    }

    #[test]
    fn json_keeps_positions() {
        let node = read("{\n  \"A\": {\"Ref\": \"X\"},\n  \"B\": [1, \"2\"]\n}").unwrap();
        assert_eq!(node.get("A").unwrap().pos.line, 2);
        assert_eq!(
            node.get("B").unwrap().as_seq().unwrap()[1].as_str(),
            Some("2")
        );
    }

    #[test]
    fn syntax_error_has_position() {
        let err = read("a: b\n  c: d: e\n").unwrap_err();
        assert_eq!(err[0].pos.line, 2);
        assert!(err[0].message.starts_with("YAML syntax error"));
    }

    #[test]
    fn unknown_tags_are_all_reported() {
        let err = read("a: !Reff X\nb: !Subb y\n").unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(err[0].message.contains("unknown tag !Reff"));
        assert_eq!(err[1].pos.line, 2);
    }

    #[test]
    fn numeric_keys_become_text() {
        let node = read("200: ok\n").unwrap();
        assert_eq!(node.get("200").unwrap().as_str(), Some("ok"));
    }
}
