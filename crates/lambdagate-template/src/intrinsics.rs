//! The intrinsic functions (`Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`, ...), one method each.

use crate::diag::{R, Reported};
use crate::eval::Evaluator;
use crate::node::{Key, Node, Pos, Value};
use crate::sub::{Piece, parse_sub};

/// Every intrinsic function the loader understands, for the message about unknown ones.
const KNOWN: &[&str] = &[
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::If",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Length",
    "Fn::ToJsonString",
];

impl Evaluator<'_> {
    /// Calls the intrinsic `name` with its (unresolved) argument.
    pub(crate) fn call(&mut self, name: &str, arg: &Node, pos: Pos) -> R<Option<Node>> {
        match name {
            "Ref" => {
                let Some(target) = arg.as_str() else {
                    return Err(self.shape(pos, "Ref", "a parameter or resource name", arg));
                };
                self.reference(target, pos)
            }
            "Fn::Sub" => self.sub(arg, pos).map(Some),
            "Fn::GetAtt" => self.get_att(arg, pos).map(Some),
            "Fn::Join" => self.join(arg, pos).map(Some),
            "Fn::Select" => self.select(arg, pos),
            "Fn::Split" => self.split(arg, pos).map(Some),
            "Fn::If" => self.fn_if(arg, pos),
            "Fn::Equals" => self
                .equals(arg, pos)
                .map(|b| Some(Node::new(Value::Bool(b), pos))),
            "Fn::Not" | "Fn::And" | "Fn::Or" => self
                .logic(name, arg, pos)
                .map(|b| Some(Node::new(Value::Bool(b), pos))),
            "Fn::FindInMap" => self.find_in_map(arg, pos).map(Some),
            "Fn::Base64" => {
                let text = self.resolve_text(arg, "Fn::Base64's argument")?;
                Ok(Some(Node::str(base64(text.as_bytes()), pos)))
            }
            "Fn::Cidr" => self.cidr(arg, pos).map(Some),
            "Fn::GetAZs" => {
                let region = self.resolve_text(arg, "Fn::GetAZs's region")?;
                let region = if region.is_empty() {
                    self.env.region.clone()
                } else {
                    region
                };
                let zones = ["a", "b", "c"]
                    .iter()
                    .map(|z| Node::str(format!("{region}{z}"), pos))
                    .collect();
                Ok(Some(Node::new(Value::Seq(zones), pos)))
            }
            "Fn::ImportValue" => {
                let export = self.resolve_text(arg, "Fn::ImportValue's export name")?;
                self.diags.warn(
                    pos,
                    format!(
                        "Fn::ImportValue `{export}`: other stacks' exports are not available \
                         locally; using the export name as the value"
                    ),
                );
                Ok(Some(Node::str(export, pos)))
            }
            "Fn::Length" => {
                self.needs_language_extensions(name, pos)?;
                let list = self.resolve_value(arg, "Fn::Length's argument")?;
                match list.as_seq() {
                    Some(items) => Ok(Some(Node::new(Value::Int(items.len() as i64), pos))),
                    None => Err(self.shape(pos, "Fn::Length", "a list", &list)),
                }
            }
            "Fn::ToJsonString" => {
                self.needs_language_extensions(name, pos)?;
                let value = self.resolve_value(arg, "Fn::ToJsonString's argument")?;
                Ok(Some(Node::str(value.to_json().to_string(), pos)))
            }
            // `AWS::Include` is spliced in before evaluation (`include.rs`); what is left is
            // a macro, which runs in the AWS account that defines it.
            "Fn::Transform" => Err(self.diags.error(
                pos,
                "Fn::Transform: only AWS::Include with a local Parameters.Location is \
                 supported; macros run in the AWS account that defines them",
            )),
            other => Err(self.diags.error(
                pos,
                format!(
                    "unknown intrinsic function `{other}`: expected one of {}",
                    KNOWN.join(", ")
                ),
            )),
        }
    }

    /// `Fn::Length`, `Fn::ToJsonString` and `Fn::FindInMap`'s `DefaultValue` come with the
    /// `AWS::LanguageExtensions` transform: without it AWS rejects the template (an error for
    /// `validate`); when serving, a warning, and the function is evaluated anyway.
    fn needs_language_extensions(&mut self, what: &str, pos: Pos) -> R<()> {
        if self.language_extensions {
            return Ok(());
        }
        let message = format!(
            "{what} needs `AWS::LanguageExtensions` in the template's Transform section; AWS \
             would reject the template"
        );
        if self.strict {
            return Err(self.diags.error(pos, message));
        }
        self.diags.warn(
            pos,
            format!("{message} (evaluated anyway; `lambdagate validate` reports it as an error)"),
        );
        Ok(())
    }

    /// A "wrong argument shape" error.
    fn shape(&mut self, pos: Pos, function: &str, expected: &str, got: &Node) -> Reported {
        self.diags
            .error(pos, shape_message(function, expected, got))
    }

    /// The argument as a list of exactly `n` items (unresolved).
    fn args<'n>(
        &mut self,
        arg: &'n Node,
        n: usize,
        function: &str,
        expected: &str,
    ) -> R<&'n [Node]> {
        match arg.as_seq() {
            Some(items) if items.len() == n => Ok(items),
            _ => Err(self.shape(arg.pos, function, expected, arg)),
        }
    }

    fn sub(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let (template, vars) = match &arg.value {
            Value::Str(s) => (s.as_str(), None),
            Value::Seq(items) => match items.as_slice() {
                [t, v] if t.as_str().is_some() && v.as_map().is_some() => {
                    (t.as_str().unwrap_or_default(), v.as_map())
                }
                _ => {
                    return Err(self.shape(
                        pos,
                        "Fn::Sub",
                        "a string, or [string, {Name: value}]",
                        arg,
                    ));
                }
            },
            _ => {
                return Err(self.shape(
                    pos,
                    "Fn::Sub",
                    "a string, or [string, {Name: value}]",
                    arg,
                ));
            }
        };
        let pieces = parse_sub(template).map_err(|message| {
            self.diags
                .error(arg.pos, format!("Fn::Sub: {message} in `{template}`"))
        })?;
        let mut out = String::new();
        let mut failed = false;
        for piece in pieces {
            let text = match piece {
                Piece::Text(text) => Ok(text),
                Piece::Var(var) => self.sub_var(&var, vars, pos),
            };
            match text {
                Ok(text) => out.push_str(&text),
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        Ok(Node::str(out, pos))
    }

    fn sub_var(&mut self, var: &str, vars: Option<&[(Key, Node)]>, pos: Pos) -> R<String> {
        if let Some((_, node)) = vars.and_then(|v| v.iter().find(|(k, _)| k.name == var)) {
            return self.resolve_text(node, &format!("Fn::Sub variable `{var}`"));
        }
        let value = match var.split_once('.') {
            Some((resource, attribute)) if !self.params.contains_key(var) => {
                Some(self.attribute(resource, attribute, pos)?)
            }
            _ => self.reference(var, pos)?,
        };
        match value.as_ref().and_then(Node::scalar_text) {
            Some(text) => Ok(text),
            None => Err(self.diags.error(
                pos,
                format!(
                    "Fn::Sub variable `{var}` is not a string (a list parameter needs Fn::Join)"
                ),
            )),
        }
    }

    fn get_att(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let (resource, attribute) = match &arg.value {
            Value::Str(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_string(), a.to_string()),
                None => return Err(self.shape(pos, "Fn::GetAtt", "`Resource.Attribute`", arg)),
            },
            Value::Seq(items) if items.len() == 2 => {
                let resource = match items[0].as_str() {
                    Some(r) => r.to_string(),
                    None => {
                        return Err(self.shape(
                            pos,
                            "Fn::GetAtt",
                            "a resource name first",
                            &items[0],
                        ));
                    }
                };
                (
                    resource,
                    self.resolve_text(&items[1], "GetAtt's attribute")?,
                )
            }
            _ => {
                return Err(self.shape(
                    pos,
                    "Fn::GetAtt",
                    "[Resource, Attribute] or `Resource.Attribute`",
                    arg,
                ));
            }
        };
        self.attribute(&resource, &attribute, pos)
    }

    fn join(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let [delimiter, list] = self.args(arg, 2, "Fn::Join", "[delimiter, [values]]")? else {
            return Err(Reported);
        };
        let delimiter = match delimiter.as_str() {
            Some(d) => d.to_string(),
            None => return Err(self.shape(pos, "Fn::Join", "a string delimiter", delimiter)),
        };
        let list = self.resolve_value(list, "Fn::Join's list")?;
        let Some(items) = list.as_seq() else {
            return Err(self.shape(pos, "Fn::Join", "a list of values to join", &list));
        };
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            match item.scalar_text() {
                Some(text) => parts.push(text),
                None => return Err(self.shape(item.pos, "Fn::Join", "strings in its list", item)),
            }
        }
        Ok(Node::str(parts.join(&delimiter), pos))
    }

    fn select(&mut self, arg: &Node, pos: Pos) -> R<Option<Node>> {
        let [index, list] = self.args(arg, 2, "Fn::Select", "[index, [values]]")? else {
            return Err(Reported);
        };
        let index_text = self.resolve_text(index, "Fn::Select's index")?;
        let Ok(index) = index_text.parse::<usize>() else {
            return Err(self.diags.error(
                pos,
                format!("Fn::Select expects a non-negative index, but got `{index_text}`"),
            ));
        };
        let list = self.resolve_value(list, "Fn::Select's list")?;
        // What is selected from is often made of values AWS has and a local run only stands
        // in for (an ARN split at `/`, an endpoint's DNS entries): where nothing served depends
        // on the result, a list of the wrong shape is a warning (`unresolved`), not a refusal.
        let Some(items) = list.as_seq() else {
            let message = shape_message("Fn::Select", "a list to select from", &list);
            return self.unresolved(pos, message, String::new()).map(Some);
        };
        match items.get(index) {
            Some(item) => Ok(Some(item.clone())),
            None => {
                let message = format!(
                    "Fn::Select index {index} is out of range: the list has {} items",
                    items.len()
                );
                self.unresolved(pos, message, String::new()).map(Some)
            }
        }
    }

    fn split(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let [delimiter, source] = self.args(arg, 2, "Fn::Split", "[delimiter, string]")? else {
            return Err(Reported);
        };
        let delimiter = match delimiter.as_str() {
            Some(d) if !d.is_empty() => d.to_string(),
            _ => {
                return Err(self.shape(
                    pos,
                    "Fn::Split",
                    "a non-empty string delimiter",
                    delimiter,
                ));
            }
        };
        let source = self.resolve_text(source, "Fn::Split's string")?;
        let items = source
            .split(delimiter.as_str())
            .map(|s| Node::str(s, pos))
            .collect();
        Ok(Node::new(Value::Seq(items), pos))
    }

    fn fn_if(&mut self, arg: &Node, pos: Pos) -> R<Option<Node>> {
        let [condition, then, otherwise] = self.args(
            arg,
            3,
            "Fn::If",
            "[condition name, value if true, value if false]",
        )?
        else {
            return Err(Reported);
        };
        let Some(name) = condition.as_str() else {
            return Err(self.shape(pos, "Fn::If", "a condition name first", condition));
        };
        if self.condition(name, condition.pos)? {
            self.resolve(then)
        } else {
            self.resolve(otherwise)
        }
    }

    fn equals(&mut self, arg: &Node, _pos: Pos) -> R<bool> {
        let [a, b] = self.args(arg, 2, "Fn::Equals", "[value, value]")? else {
            return Err(Reported);
        };
        let a = self.resolve_value(a, "Fn::Equals's value");
        let b = self.resolve_value(b, "Fn::Equals's value");
        let (a, b) = (a?, b?);
        // CloudFormation compares values as text: `1` equals `"1"`.
        Ok(match (a.scalar_text(), b.scalar_text()) {
            (Some(x), Some(y)) => x == y,
            _ => a.to_json() == b.to_json(),
        })
    }

    fn logic(&mut self, name: &str, arg: &Node, pos: Pos) -> R<bool> {
        let Some(items) = arg.as_seq() else {
            return Err(self.shape(pos, name, "a list of conditions", arg));
        };
        if name == "Fn::Not" {
            if items.len() != 1 {
                return Err(self.shape(pos, name, "a list of exactly one condition", arg));
            }
            return self.condition_value(&items[0]).map(|b| !b);
        }
        if !(2..=10).contains(&items.len()) {
            return Err(self.diags.error(
                pos,
                format!("{name} expects 2 to 10 conditions, but got {}", items.len()),
            ));
        }
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            values.push(self.condition_value(item));
        }
        let values: Vec<bool> = values.into_iter().collect::<R<_>>()?;
        Ok(if name == "Fn::And" {
            values.iter().all(|b| *b)
        } else {
            values.iter().any(|b| *b)
        })
    }

    fn find_in_map(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let items = match arg.as_seq() {
            Some(items) if items.len() == 3 || items.len() == 4 => items,
            _ => {
                return Err(self.shape(
                    pos,
                    "Fn::FindInMap",
                    "[MapName, TopLevelKey, SecondLevelKey]",
                    arg,
                ));
            }
        };
        let map_name = self.resolve_text(&items[0], "Fn::FindInMap's map name")?;
        let top = self.resolve_text(&items[1], "Fn::FindInMap's top-level key")?;
        let second = self.resolve_text(&items[2], "Fn::FindInMap's second-level key")?;
        let found = self
            .mappings
            .and_then(|m| m.get(&map_name))
            .map(|m| (m.get(&top).and_then(|t| t.get(&second)), true));
        match found {
            Some((Some(value), _)) => {
                let mut value = value.clone();
                value.pos = pos;
                Ok(value)
            }
            _ if items.len() == 4 => {
                self.needs_language_extensions("Fn::FindInMap with a DefaultValue", pos)?;
                let default = items[3].get("DefaultValue").unwrap_or(&items[3]);
                self.resolve_value(default, "Fn::FindInMap's DefaultValue")
            }
            None => Err(self.diags.error(
                pos,
                format!("Fn::FindInMap: there is no mapping `{map_name}` in the Mappings section"),
            )),
            Some((None, _)) => Err(self.diags.error(
                pos,
                format!("Fn::FindInMap: mapping `{map_name}` has no entry `{top}` / `{second}`"),
            )),
        }
    }

    fn cidr(&mut self, arg: &Node, pos: Pos) -> R<Node> {
        let [block, count, bits] = self.args(arg, 3, "Fn::Cidr", "[ipBlock, count, cidrBits]")?
        else {
            return Err(Reported);
        };
        let block = self.resolve_text(block, "Fn::Cidr's ipBlock")?;
        let count = self.resolve_text(count, "Fn::Cidr's count")?;
        let bits = self.resolve_text(bits, "Fn::Cidr's cidrBits")?;
        match crate::cidr::subnets(&block, &count, &bits) {
            Ok(subnets) => Ok(Node::new(
                Value::Seq(subnets.into_iter().map(|s| Node::str(s, pos)).collect()),
                pos,
            )),
            Err(message) => Err(self.diags.error(pos, format!("Fn::Cidr: {message}"))),
        }
    }
}

/// Standard base64 with padding, as `Fn::Base64` encodes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What a function was given instead of the shape it takes.
fn shape_message(function: &str, expected: &str, got: &Node) -> String {
    format!("{function} expects {expected}, but got {}", got.kind_name())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_pads() {
        assert_eq!(super::base64(b"hello"), "aGVsbG8=");
        assert_eq!(super::base64(b"hi"), "aGk=");
        assert_eq!(super::base64(b"abc"), "YWJj");
        assert_eq!(super::base64(b""), "");
    }
}
