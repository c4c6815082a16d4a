//! Values as a template sees them: Java's null, booleans, numbers, strings, lists and maps, plus
//! host objects (`$input`, `$util`, `$context`) that the embedding program answers for.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

/// A value during rendering.
///
/// Lists and maps are shared and mutable as Java's are: `#set($b = $a)` then `$b.put(…)` changes
/// what `$a` sees too.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Java's `null` (also what an undefined reference evaluates to).
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integral number (Java's `Integer`/`Long`).
    Int(i64),
    /// A floating-point number (Java's `Double`).
    Float(f64),
    /// A string.
    Str(Rc<str>),
    /// A list.
    List(Rc<List>),
    /// A map with insertion order (Java's `LinkedHashMap`).
    Map(Rc<Map>),
    /// An object of the embedding program.
    Object(Rc<Object>),
}

/// A list.
#[derive(Debug, Default)]
pub struct List {
    /// The items.
    pub items: RefCell<Vec<Value>>,
    /// Whether it came from JSON (a JSON array prints as JSON; a Java list as `[a, b]`).
    pub json: bool,
}

/// A map with insertion order.
#[derive(Debug, Default)]
pub struct Map {
    /// Entries in insertion order.
    pub entries: RefCell<Vec<(Rc<str>, Value)>>,
}

/// A host object: the embedding program's `kind` and a path inside it (`$context.identity` is
/// the context object with path `identity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Which object, as the embedding program numbers them.
    pub kind: u32,
    /// A dotted path inside it, empty for the object itself.
    pub path: String,
}

impl Map {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.entries
            .borrow()
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v.clone())
    }

    /// Sets `key`, keeping its place when it exists; answers the previous value.
    pub fn insert(&self, key: &str, value: Value) -> Option<Value> {
        let mut entries = self.entries.borrow_mut();
        match entries.iter_mut().find(|(k, _)| &**k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                entries.push((Rc::from(key), value));
                None
            }
        }
    }

    /// Removes `key`, answering its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut entries = self.entries.borrow_mut();
        let index = entries.iter().position(|(k, _)| &**k == key)?;
        Some(entries.remove(index).1)
    }
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A new list.
    pub fn list(items: Vec<Value>, json: bool) -> Value {
        Value::List(Rc::new(List {
            items: RefCell::new(items),
            json,
        }))
    }

    /// A new map.
    pub fn map(entries: Vec<(Rc<str>, Value)>) -> Value {
        Value::Map(Rc::new(Map {
            entries: RefCell::new(entries),
        }))
    }

    /// A host object.
    pub fn object(kind: u32, path: impl Into<String>) -> Value {
        Value::Object(Rc::new(Object {
            kind,
            path: path.into(),
        }))
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as `#if` sees it: null and `false` are false, everything else true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a JSON document, JSON arrays marked as such.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect(), true)
            }
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| (Rc::from(k.as_str()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Appends Java's `toString()` of the value (objects are not handled here).
    pub fn write_java(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_java_double(*f, out),
            Value::Str(s) => out.push_str(s),
            Value::List(list) if list.json => self.write_json(out),
            Value::List(list) => {
                out.push('[');
                for (i, item) in list.items.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_java(out);
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push('{');
                for (i, (k, v)) in map.entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    v.write_java(out);
                }
                out.push('}');
            }
            Value::Object(o) => {
                let _ = write!(out, "[object {}]", o.path);
            }
        }
    }

    /// Java's `toString()` as a new string.
    pub fn to_java_string(&self) -> String {
        let mut out = String::new();
        self.write_java(&mut out);
        out
    }

    /// Appends the value as compact JSON (what a JSON library prints).
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null | Value::Object(_) => out.push_str("null"),
            Value::Bool(_) | Value::Int(_) => self.write_java(out),
            Value::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f:?}");
            }
            Value::Float(_) => out.push_str("null"),
            Value::Str(s) => write_json_string(s, out),
            Value::List(list) => {
                out.push('[');
                for (i, item) in list.items.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push('{');
                for (i, (k, v)) in map.entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// Java's `equals`, with Velocity's rule that numbers compare by value.
    pub fn java_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64() == other.as_f64()
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                let (a, b) = (a.items.borrow(), b.items.borrow());
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.java_equals(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                let (ea, eb) = (a.entries.borrow(), b.entries.borrow());
                ea.len() == eb.len()
                    && ea
                        .iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.java_equals(&w)))
            }
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }

    /// The number as a double, when this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Appends `f` as Java's `Double.toString` writes it: `1.0`, `0.5`, `1.0E10`, `1.0E-5`.
pub fn write_java_double(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if f == 0.0 || (1e-3..1e7).contains(&f.abs()) {
        let _ = write!(out, "{f:?}");
    } else {
        // Scientific: a mantissa with at least one fractional digit, then `E` and the exponent.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        out.push('E');
        out.push_str(exponent);
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_strings() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"foo":[{"nested":"bar"}],"n":1.5,"i":2}"#).unwrap();
        let v = Value::from_json(&json);
        assert_eq!(
            v.to_java_string(),
            r#"{foo=[{"nested":"bar"}], n=1.5, i=2}"#
        );
        let mut s = String::new();
        for f in [1.0, 0.5, 1e10, 1e-5, 123456.0] {
            write_java_double(f, &mut s);
            s.push(' ');
        }
        assert_eq!(s, "1.0 0.5 1.0E10 1.0E-5 123456.0 ");
        let list = Value::list(vec![Value::Int(1), Value::str("a")], false);
        assert_eq!(list.to_java_string(), "[1, a]");
    }
}
