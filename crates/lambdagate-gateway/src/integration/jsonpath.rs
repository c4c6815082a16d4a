//! JSONPath as API Gateway evaluates it (Jayway's library): a definite path (`$.a.b`,
//! `$['a'][0]`) selects one value or nothing; an indefinite one (`$.a[*].b`, `$..x`, `[0,1]`,
//! slices) selects a list.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name` / `['name']`.
    Key(String),
    /// `[n]`, negative from the end.
    Index(i64),
    /// `.*` / `[*]`.
    Wildcard,
    /// `..name` / `..*` (`None`).
    Descend(Option<String>),
    /// `['a','b']` / `[0,1]`.
    Union(Vec<Step>),
    /// `[start:end]`.
    Slice(Option<i64>, Option<i64>),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

/// What a path selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Selected<'v> {
    /// A definite path: the value, or nothing.
    One(Option<&'v Value>),
    /// An indefinite path: every match, in document order.
    Many(Vec<&'v Value>),
}

impl JsonPath {
    /// Parses a path; a path without the leading `$` is read from the root (`a.b` = `$.a.b`).
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let text = text.trim();
        let rest = match text.strip_prefix('$') {
            Some(rest) => rest.to_string(),
            None if text.starts_with('[') => text.to_string(),
            None => format!(".{text}"),
        };
        let b = rest.as_bytes();
        let mut i = 0;
        let mut steps = Vec::new();
        let name_end = |from: usize| {
            let mut j = from;
            while j < b.len() && b[j] != b'.' && b[j] != b'[' {
                j += 1;
            }
            j
        };
        while i < b.len() {
            match b[i] {
                b'.' if b.get(i + 1) == Some(&b'.') => {
                    i += 2;
                    if b.get(i) == Some(&b'*') {
                        i += 1;
                        steps.push(Step::Descend(None));
                    } else if b.get(i) == Some(&b'[') {
                        // `..['name']`: descend, then the bracket step names the key.
                        steps.push(Step::Descend(None));
                    } else {
                        let end = name_end(i);
                        if end == i {
                            return Err(format!("Path must not end with a '.' or '..': {text}"));
                        }
                        steps.push(Step::Descend(Some(rest[i..end].to_string())));
                        i = end;
                    }
                }
                b'.' => {
                    i += 1;
                    if b.get(i) == Some(&b'*') {
                        i += 1;
                        steps.push(Step::Wildcard);
                        continue;
                    }
                    let end = name_end(i);
                    if end == i {
                        return Err(format!("Path must not end with a '.': {text}"));
                    }
                    steps.push(Step::Key(rest[i..end].to_string()));
                    i = end;
                }
                b'[' => {
                    let close = bracket_end(b, i + 1)
                        .ok_or_else(|| format!("Property has not been closed: {text}"))?;
                    let inner = rest[i + 1..close].trim();
                    steps.push(bracket(inner).ok_or_else(|| {
                        format!("Could not parse token starting at position {i}: {text}")
                    })?);
                    i = close + 1;
                }
                _ => return Err(format!("Illegal character at position {i}: {text}")),
            }
        }
        Ok(JsonPath { steps })
    }

    /// Whether the path selects at most one value.
    pub fn is_definite(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s, Step::Key(_) | Step::Index(_)))
    }

    /// Evaluates the path over `root`.
    pub fn select<'v>(&self, root: &'v Value) -> Selected<'v> {
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                apply(step, value, &mut next);
            }
            current = next;
        }
        if self.is_definite() {
            Selected::One(current.into_iter().next())
        } else {
            Selected::Many(current)
        }
    }
}

/// The `]` closing a bracket opened before `from`, skipping quoted text.
fn bracket_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (j, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b']' => return Some(j),
            None => {}
        }
    }
    None
}

fn bracket(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::Wildcard);
    }
    if inner.starts_with('?') {
        // Filters are rare in mapping templates and not evaluated here.
        return None;
    }
    let parts: Vec<&str> = split_top(inner);
    if parts.len() > 1 {
        return parts
            .into_iter()
            .map(|p| single(p.trim()))
            .collect::<Option<Vec<_>>>()
            .map(Step::Union);
    }
    if let Some((start, end)) = inner.split_once(':') {
        let bound = |s: &str| -> Option<Option<i64>> {
            let s = s.trim();
            if s.is_empty() {
                Some(None)
            } else {
                s.parse().ok().map(Some)
            }
        };
        return Some(Step::Slice(bound(start)?, bound(end.split(':').next()?)?));
    }
    single(inner)
}

fn split_top(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (j, c) in inner.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ',' => {
                parts.push(&inner[start..j]);
                start = j + 1;
            }
            None => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

fn single(part: &str) -> Option<Step> {
    for q in ['\'', '"'] {
        if let Some(name) = part.strip_prefix(q).and_then(|p| p.strip_suffix(q)) {
            return Some(Step::Key(name.to_string()));
        }
    }
    part.parse().ok().map(Step::Index)
}

fn apply<'v>(step: &Step, value: &'v Value, out: &mut Vec<&'v Value>) {
    match (step, value) {
        (Step::Key(k), Value::Object(m)) => out.extend(m.get(k)),
        (Step::Index(i), Value::Array(a)) => {
            let index = if *i < 0 { a.len() as i64 + i } else { *i };
            out.extend(usize::try_from(index).ok().and_then(|i| a.get(i)));
        }
        (Step::Wildcard, Value::Array(a)) => out.extend(a.iter()),
        (Step::Wildcard, Value::Object(m)) => out.extend(m.values()),
        (Step::Union(parts), _) => {
            for part in parts {
                apply(part, value, out);
            }
        }
        (Step::Slice(start, end), Value::Array(a)) => {
            let len = a.len() as i64;
            let clamp = |v: i64| if v < 0 { (len + v).max(0) } else { v.min(len) };
            let s = clamp(start.unwrap_or(0)) as usize;
            let e = clamp(end.unwrap_or(len)) as usize;
            if s < e {
                out.extend(a[s..e].iter());
            }
        }
        (Step::Descend(name), _) => descend(name.as_deref(), value, out),
        _ => {}
    }
}

/// `..name`: every `name` member at any depth; `..*`: every value below (and, when a bracket
/// step follows, the value itself, which that step then filters).
fn descend<'v>(name: Option<&str>, value: &'v Value, out: &mut Vec<&'v Value>) {
    if name.is_none() {
        out.push(value);
    }
    let children: Box<dyn Iterator<Item = &'v Value>> = match value {
        Value::Object(m) => {
            if let Some(n) = name {
                out.extend(m.get(n));
            }
            Box::new(m.values())
        }
        Value::Array(a) => Box::new(a.iter()),
        _ => return,
    };
    for child in children {
        descend(name, child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(path: &str, doc: &str) -> String {
        let doc: Value = serde_json::from_str(doc).unwrap();
        match JsonPath::parse(path).unwrap().select(&doc) {
            Selected::One(v) => v.map_or("none".into(), Value::to_string),
            Selected::Many(v) => format!("{v:?}").replace("String(", "").replace(')', ""),
        }
    }

    #[test]
    fn jayway_paths() {
        let doc = r#"{"a":{"b":[{"c":1},{"c":2}]},"x y":3,"list":[10,20,30]}"#;
        assert_eq!(sel("$", r#"{"k":1}"#), r#"{"k":1}"#);
        assert_eq!(sel("$.a.b[0].c", doc), "1");
        assert_eq!(sel("$['x y']", doc), "3");
        assert_eq!(sel("$.list[-1]", doc), "30");
        assert_eq!(sel("a.b[1].c", doc), "2");
        assert_eq!(sel("$.missing.deeper", doc), "none");
        assert_eq!(sel("$.a.b[*].c", doc), "[Number(1, Number(2]");
        assert_eq!(sel("$..c", doc), "[Number(1, Number(2]");
        assert_eq!(sel("$.list[0:2]", doc), "[Number(10, Number(20]");
        assert_eq!(sel("$.list[0,2]", doc), "[Number(10, Number(30]");
        assert!(JsonPath::parse("$.a[").is_err());
        assert!(JsonPath::parse("$.a.").is_err());
        assert!(JsonPath::parse("$.a[?(@.c > 1)]").is_err());
    }
}
