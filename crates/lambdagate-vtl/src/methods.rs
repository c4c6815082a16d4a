//! Methods and properties of strings, lists, maps and numbers, as Java answers them.
//!
//! `Ok(None)` means null: the method does not exist for that value (Velocity then prints the
//! reference as written) or it returned null. `Err` is what Java throws (an index out of range, a
//! regex that does not compile), which aborts the render as Velocity does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

use crate::value::Value;

type Answer = Result<Option<Value>, String>;

/// Patterns compiled per thread; templates use a handful, so a small cache that is emptied when
/// full is enough.
const REGEX_CACHE: usize = 64;

thread_local! {
    static REGEXES: RefCell<HashMap<String, Rc<Regex>>> = RefCell::new(HashMap::new());
}

/// Compiles a Java regular expression (the common subset the regex crate shares with Java).
fn regex(pattern: &str, anchored: bool) -> Result<Rc<Regex>, String> {
    let key = if anchored {
        format!(r"\A(?:{pattern})\z")
    } else {
        pattern.to_string()
    };
    REGEXES.with(|cache| {
        if let Some(re) = cache.borrow().get(&key) {
            return Ok(re.clone());
        }
        let re = regex::RegexBuilder::new(&key)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("PatternSyntaxException: {pattern}: {e}"))?;
        let re = Rc::new(re);
        let mut cache = cache.borrow_mut();
        if cache.len() >= REGEX_CACHE {
            cache.clear();
        }
        cache.insert(key, re.clone());
        Ok(re)
    })
}

/// A Java replacement string (`$1` groups, `\` escapes) in the regex crate's syntax.
fn replacement(java: &str) -> Result<String, String> {
    let mut out = String::with_capacity(java.len());
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(c) => out.push(c),
                None => return Err("character to be escaped is missing".into()),
            },
            '$' => {
                let mut group = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    group.push(*d);
                    chars.next();
                }
                if group.is_empty() {
                    return Err("Illegal group reference".into());
                }
                out.push_str("${");
                out.push_str(&group);
                out.push('}');
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn int_arg(args: &[Value], i: usize) -> Option<i64> {
    match args.get(i)? {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

fn str_arg(args: &[Value], i: usize) -> Option<String> {
    match args.get(i)? {
        Value::Null => None,
        v => Some(v.to_java_string()),
    }
}

fn some(v: Value) -> Answer {
    Ok(Some(v))
}

fn int(n: usize) -> Answer {
    some(Value::Int(n as i64))
}

fn boolean(b: bool) -> Answer {
    some(Value::Bool(b))
}

/// A void method: Velocity prints nothing for it.
fn void() -> Answer {
    some(Value::str(""))
}

/// `$value.name`: a map's entry, else a Java getter (`isEmpty` for `.empty`, `getBytes` …).
pub(crate) fn property(value: &Value, name: &str) -> Option<Value> {
    match value {
        Value::Map(map) => map.get(name),
        Value::Str(_) | Value::List(_) => match name {
            "empty" => call(value, "isEmpty", &[]).ok().flatten(),
            "class" => None,
            _ => None,
        },
        _ => None,
    }
}

/// `$value[index]`.
pub(crate) fn index(value: &Value, index: &Value) -> Value {
    match (value, index) {
        (Value::List(list), Value::Int(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| list.items.borrow().get(i).cloned())
            .unwrap_or_default(),
        (Value::Map(map), key) => map.get(&key.to_java_string()).unwrap_or_default(),
        _ => Value::Null,
    }
}

/// Character positions of a string, as byte offsets (Java indexes UTF-16 units; this engine
/// indexes characters, which is the same for the text templates handle).
fn char_offset(s: &str, index: i64) -> Option<usize> {
    let index = usize::try_from(index).ok()?;
    if s.is_ascii() {
        return (index <= s.len()).then_some(index);
    }
    if index == s.chars().count() {
        return Some(s.len());
    }
    s.char_indices().nth(index).map(|(o, _)| o)
}

fn char_index(s: &str, byte: usize) -> usize {
    if s.is_ascii() {
        byte
    } else {
        s[..byte].chars().count()
    }
}

fn out_of_range(what: &str, index: i64, len: usize) -> String {
    format!("StringIndexOutOfBoundsException: {what} {index}, length {len}")
}

/// `$value.name(args)`.
pub(crate) fn call(value: &Value, name: &str, args: &[Value]) -> Answer {
    // Methods every Java object has.
    match (name, args.len()) {
        ("toString", 0) => return some(Value::str(&value.to_java_string())),
        ("equals", 1) => return boolean(value.java_equals(&args[0])),
        _ => {}
    }
    match value {
        Value::Str(s) => string_method(s, name, args),
        Value::List(list) => {
            let items = &list.items;
            match (name, args.len()) {
                ("size", 0) => int(items.borrow().len()),
                ("isEmpty", 0) => boolean(items.borrow().is_empty()),
                ("get", 1) => {
                    let Some(i) = int_arg(args, 0) else {
                        return Ok(None);
                    };
                    let items = items.borrow();
                    match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                        Some(v) => some(v.clone()),
                        None => Err(format!(
                            "IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                            items.len()
                        )),
                    }
                }
                ("contains", 1) => boolean(items.borrow().iter().any(|v| v.java_equals(&args[0]))),
                ("indexOf", 1) => some(Value::Int(
                    items
                        .borrow()
                        .iter()
                        .position(|v| v.java_equals(&args[0]))
                        .map_or(-1, |i| i as i64),
                )),
                ("add", 1) => {
                    items.borrow_mut().push(args[0].clone());
                    boolean(true)
                }
                ("add", 2) => {
                    let Some(i) = int_arg(args, 0) else {
                        return Ok(None);
                    };
                    let mut items = items.borrow_mut();
                    match usize::try_from(i).ok().filter(|&i| i <= items.len()) {
                        Some(i) => {
                            items.insert(i, args[1].clone());
                            void()
                        }
                        None => Err(format!("IndexOutOfBoundsException: Index: {i}")),
                    }
                }
                ("addAll", 1) => match &args[0] {
                    Value::List(other) => {
                        let other: Vec<Value> = other.items.borrow().clone();
                        items.borrow_mut().extend(other);
                        boolean(true)
                    }
                    _ => Ok(None),
                },
                ("set", 2) => {
                    let Some(i) = int_arg(args, 0) else {
                        return Ok(None);
                    };
                    let mut items = items.borrow_mut();
                    let len = items.len();
                    match usize::try_from(i).ok().and_then(|i| items.get_mut(i)) {
                        Some(slot) => Ok(Some(std::mem::replace(slot, args[1].clone()))),
                        None => Err(format!(
                            "IndexOutOfBoundsException: Index {i} out of bounds for length {len}"
                        )),
                    }
                }
                ("remove", 1) => {
                    let mut items = items.borrow_mut();
                    match &args[0] {
                        Value::Int(i) => {
                            match usize::try_from(*i).ok().filter(|&i| i < items.len()) {
                                Some(i) => Ok(Some(items.remove(i))),
                                None => Err(format!(
                                    "IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                                    items.len()
                                )),
                            }
                        }
                        other => match items.iter().position(|v| v.java_equals(other)) {
                            Some(i) => {
                                items.remove(i);
                                boolean(true)
                            }
                            None => boolean(false),
                        },
                    }
                }
                ("clear", 0) => {
                    items.borrow_mut().clear();
                    void()
                }
                _ => Ok(None),
            }
        }
        Value::Map(map) => match (name, args.len()) {
            ("size", 0) => int(map.entries.borrow().len()),
            ("isEmpty", 0) => boolean(map.entries.borrow().is_empty()),
            ("get", 1) => Ok(map.get(&args[0].to_java_string())),
            ("containsKey", 1) => boolean(map.get(&args[0].to_java_string()).is_some()),
            ("containsValue", 1) => boolean(
                map.entries
                    .borrow()
                    .iter()
                    .any(|(_, v)| v.java_equals(&args[0])),
            ),
            ("keySet", 0) => some(Value::list(
                map.entries
                    .borrow()
                    .iter()
                    .map(|(k, _)| Value::Str(k.clone()))
                    .collect(),
                false,
            )),
            ("values", 0) => some(Value::list(
                map.entries
                    .borrow()
                    .iter()
                    .map(|(_, v)| v.clone())
                    .collect(),
                false,
            )),
            ("entrySet", 0) => some(Value::list(
                map.entries
                    .borrow()
                    .iter()
                    .map(|(k, v)| {
                        Value::map(vec![
                            ("key".into(), Value::Str(k.clone())),
                            ("value".into(), v.clone()),
                        ])
                    })
                    .collect(),
                false,
            )),
            ("put", 2) => Ok(map.insert(&args[0].to_java_string(), args[1].clone())),
            ("putAll", 1) => match &args[0] {
                Value::Map(other) => {
                    let entries = other.entries.borrow().clone();
                    for (k, v) in entries {
                        map.insert(&k, v);
                    }
                    void()
                }
                _ => Ok(None),
            },
            ("remove", 1) => Ok(map.remove(&args[0].to_java_string())),
            ("clear", 0) => {
                map.entries.borrow_mut().clear();
                void()
            }
            _ => Ok(None),
        },
        Value::Int(_) | Value::Float(_) => {
            let f = value.as_f64().unwrap_or_default();
            match (name, args.len()) {
                ("intValue" | "longValue", 0) => some(Value::Int(match value {
                    Value::Int(i) => *i,
                    _ => f as i64,
                })),
                ("doubleValue" | "floatValue", 0) => some(Value::Float(f)),
                _ => Ok(None),
            }
        }
        Value::Bool(b) => match (name, args.len()) {
            ("booleanValue", 0) => boolean(*b),
            _ => Ok(None),
        },
        Value::Null | Value::Object(_) => Ok(None),
    }
}

fn string_method(s: &Rc<str>, name: &str, args: &[Value]) -> Answer {
    let s: &str = s;
    let len = || {
        if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        }
    };
    match (name, args.len()) {
        ("length", 0) => int(len()),
        ("isEmpty", 0) => boolean(s.is_empty()),
        ("trim", 0) => some(Value::str(s.trim_matches(|c: char| c <= ' '))),
        ("toLowerCase", 0) => some(Value::str(&s.to_lowercase())),
        ("toUpperCase", 0) => some(Value::str(&s.to_uppercase())),
        ("substring", 1 | 2) => {
            let Some(begin) = int_arg(args, 0) else {
                return Ok(None);
            };
            let end = match args.len() {
                2 => match int_arg(args, 1) {
                    Some(e) => e,
                    None => return Ok(None),
                },
                _ => len() as i64,
            };
            let (Some(b), Some(e)) = (char_offset(s, begin), char_offset(s, end)) else {
                return Err(out_of_range("begin", begin, len()));
            };
            if b > e {
                return Err(out_of_range("begin", begin, len()));
            }
            some(Value::str(&s[b..e]))
        }
        ("charAt", 1) => {
            let Some(i) = int_arg(args, 0) else {
                return Ok(None);
            };
            match char_offset(s, i).and_then(|o| s[o..].chars().next()) {
                Some(c) => some(Value::str(c.encode_utf8(&mut [0; 4]))),
                None => Err(out_of_range("index", i, len())),
            }
        }
        ("indexOf" | "lastIndexOf", 1 | 2) => {
            let Some(needle) = str_arg(args, 0) else {
                return Ok(None);
            };
            let found = if name == "indexOf" {
                let from = match args.len() {
                    2 => int_arg(args, 1).unwrap_or(0).max(0),
                    _ => 0,
                };
                char_offset(s, from.min(len() as i64))
                    .and_then(|o| s[o..].find(&needle).map(|i| i + o))
            } else {
                s.rfind(&needle)
            };
            some(Value::Int(found.map_or(-1, |b| char_index(s, b) as i64)))
        }
        ("contains", 1) => boolean(str_arg(args, 0).is_some_and(|n| s.contains(&n))),
        ("startsWith", 1) => boolean(str_arg(args, 0).is_some_and(|n| s.starts_with(&n))),
        ("endsWith", 1) => boolean(str_arg(args, 0).is_some_and(|n| s.ends_with(&n))),
        ("equalsIgnoreCase", 1) => {
            boolean(str_arg(args, 0).is_some_and(|n| n.to_lowercase() == s.to_lowercase()))
        }
        ("compareTo", 1) => {
            let Some(other) = str_arg(args, 0) else {
                return Ok(None);
            };
            some(Value::Int(match s.cmp(other.as_str()) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }))
        }
        ("concat", 1) => {
            let Some(other) = str_arg(args, 0) else {
                return Ok(None);
            };
            some(Value::Str(format!("{s}{other}").into()))
        }
        ("replace", 2) => {
            let (Some(from), Some(to)) = (str_arg(args, 0), str_arg(args, 1)) else {
                return Ok(None);
            };
            if from.is_empty() {
                // Java inserts the replacement between every character.
                let mut out = to.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&to);
                }
                return some(Value::Str(out.into()));
            }
            some(Value::Str(s.replace(&from, &to).into()))
        }
        ("replaceAll" | "replaceFirst", 2) => {
            let (Some(pattern), Some(with)) = (str_arg(args, 0), str_arg(args, 1)) else {
                return Ok(None);
            };
            let re = regex(&pattern, false)?;
            let with = replacement(&with)?;
            let out = if name == "replaceAll" {
                re.replace_all(s, with.as_str())
            } else {
                re.replace(s, with.as_str())
            };
            some(Value::Str(out.into()))
        }
        ("matches", 1) => {
            let Some(pattern) = str_arg(args, 0) else {
                return Ok(None);
            };
            boolean(regex(&pattern, true)?.is_match(s))
        }
        ("split", 1) => {
            let Some(pattern) = str_arg(args, 0) else {
                return Ok(None);
            };
            let mut parts: Vec<Value> = if s.is_empty() {
                vec![Value::str("")]
            } else {
                let re = regex(&pattern, false)?;
                let mut parts: Vec<&str> = re.split(s).collect();
                // Java drops a leading empty piece made by a zero-width match, and every
                // trailing empty piece.
                if parts.len() > 1
                    && parts[0].is_empty()
                    && re.find(s).is_some_and(|m| m.is_empty())
                {
                    parts.remove(0);
                }
                while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
                    parts.pop();
                }
                parts.into_iter().map(Value::str).collect()
            };
            if parts.len() == 1 && parts[0].as_str() == Some("") && !s.is_empty() {
                parts.clear();
            }
            some(Value::list(parts, false))
        }
        ("hashCode", 0) => {
            // Java's String.hashCode over UTF-16 units.
            let mut h: i32 = 0;
            for unit in s.encode_utf16() {
                h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
            }
            some(Value::Int(i64::from(h)))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_replacements() {
        assert_eq!(replacement("$1-x").unwrap(), "${1}-x");
        assert_eq!(replacement(r"\$").unwrap(), "$$");
        assert!(replacement("$x").is_err());
    }
}
