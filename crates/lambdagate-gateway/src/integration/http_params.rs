//! HTTP API parameter mapping: `RequestParameters` (`append|overwrite|remove:header.X`,
//! `…:querystring.X`, `overwrite:path`) and `ResponseParameters` per status code
//! (`…:header.X`, `overwrite:statuscode`), with values made of static text and
//! `$request.*` / `$response.*` / `$context.*` / `$stageVariables.*` references, written
//! `$a.b.c` or `${a.b.c}` (the braces let text follow a reference).

use lambdagate_model::ResponseParameterMapping;

use super::jsonpath::{JsonPath, Selected};
use crate::context::RequestContext;

/// What a mapping does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `append:` — adds a value (headers: another header line; query: another pair).
    Append,
    /// `overwrite:` — replaces every value.
    Overwrite,
    /// `remove:` — drops it.
    Remove,
}

/// What a mapping changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A header (name as written).
    Header(String),
    /// A query-string parameter.
    Query(String),
    /// The request path (`overwrite:path`).
    Path,
    /// The response status (`overwrite:statuscode`).
    StatusCode,
}

/// One piece of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A reference, without `$` and braces (`request.header.x`).
    Ref(String),
}

/// A value expression, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value(Vec<Part>);

/// One compiled mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// What it does.
    pub action: Action,
    /// Where.
    pub location: Location,
    /// With what.
    pub value: Value,
}

/// Headers HTTP API parameter mapping may not touch (AWS refuses such a mapping).
fn reserved_header(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "content-location",
        "forwarded",
        "keep-alive",
        "origin",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    RESERVED.contains(&lower.as_str())
        || ["access-control-", "apigw-", "x-amz-", "x-amzn-"]
            .iter()
            .any(|p| lower.starts_with(p))
}

/// Parses one mapping key and value; `Err` says why AWS would refuse it.
pub fn parse(key: &str, value: &str, response: bool) -> Result<Mapping, String> {
    let (action, target) = key
        .split_once(':')
        .ok_or_else(|| format!("parameter mapping key `{key}` must be ACTION:LOCATION"))?;
    let action = match action.to_ascii_lowercase().as_str() {
        "append" => Action::Append,
        "overwrite" => Action::Overwrite,
        "remove" => Action::Remove,
        other => {
            return Err(format!(
                "parameter mapping key `{key}`: `{other}` is not append, overwrite or remove"
            ));
        }
    };
    let location = if let Some(name) = target.strip_prefix("header.") {
        if name.is_empty() || reserved_header(name) {
            return Err(format!(
                "parameter mapping key `{key}`: the {name} header is reserved"
            ));
        }
        Location::Header(name.to_string())
    } else if let Some(name) = target.strip_prefix("querystring.").filter(|_| !response) {
        Location::Query(name.to_string())
    } else if target == "path" && !response && action == Action::Overwrite {
        Location::Path
    } else if target.eq_ignore_ascii_case("statuscode") && response && action == Action::Overwrite {
        Location::StatusCode
    } else {
        return Err(format!(
            "parameter mapping key `{key}` is not one API Gateway accepts"
        ));
    };
    Ok(Mapping {
        action,
        location,
        value: Value::parse(value),
    })
}

/// Compiles request parameters; refused ones come back as warnings.
pub fn compile_request(parameters: &[(String, String)]) -> (Vec<Mapping>, Vec<String>) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (key, value) in parameters {
        match parse(key, value, false) {
            Ok(m) => out.push(m),
            Err(why) => refused.push(why),
        }
    }
    (out, refused)
}

/// Compiles response parameters per status code; refused ones come back as warnings.
pub fn compile_response(
    parameters: &[ResponseParameterMapping],
) -> (Vec<(u16, Vec<Mapping>)>, Vec<String>) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for entry in parameters {
        let mut mappings = Vec::new();
        for (key, value) in &entry.parameters {
            match parse(key, value, true) {
                Ok(m) => mappings.push(m),
                Err(why) => refused.push(why),
            }
        }
        out.push((entry.status_code, mappings));
    }
    (out, refused)
}

impl Value {
    /// Parses `static text`, `$request.header.x`, `${request.path.id}`, and mixes of them.
    pub fn parse(text: &str) -> Value {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (reference, consumed) = if let Some(inner) = after.strip_prefix('{') {
                match inner.find('}') {
                    Some(end) => (Some(inner[..end].trim().to_string()), end + 2),
                    None => (None, 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "._-+".contains(c)))
                    .unwrap_or(after.len());
                // A reference ends before a trailing dot (`$request.path.id.` ends a sentence).
                let name = after[..end].trim_end_matches('.');
                (Some(name.to_string()), name.len())
            };
            match reference.filter(|r| is_reference(r)) {
                Some(r) => {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Ref(r));
                    rest = &after[consumed..];
                }
                None => {
                    literal.push('$');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Value(parts)
    }

    /// Evaluates the value; references without a value give empty text. `None` when the value
    /// is made only of references that all have no value (AWS then leaves the parameter out).
    pub fn eval(&self, source: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for part in &self.0 {
            match part {
                Part::Text(t) => {
                    out.push_str(t);
                    any = true;
                }
                Part::Ref(r) => {
                    if let Some(v) = source(r) {
                        out.push_str(&v);
                        any = true;
                    }
                }
            }
        }
        any.then_some(out)
    }
}

fn is_reference(name: &str) -> bool {
    ["request.", "response.", "context.", "stageVariables."]
        .iter()
        .any(|p| name.starts_with(p))
        || name == "request.path"
}

/// A JSONPath (without `$`) over at most the first 100 KB of a JSON body, as HTTP API applies
/// `$request.body.x`: strings as themselves, other values as JSON.
fn body_value(body: &[u8], path: &str) -> Option<String> {
    let doc: serde_json::Value =
        serde_json::from_slice(&body[..body.len().min(100 * 1024)]).ok()?;
    let path = JsonPath::parse(&format!("$.{path}")).ok()?;
    let value = match path.select(&doc) {
        Selected::One(v) => v?.clone(),
        Selected::Many(v) => serde_json::Value::Array(v.into_iter().cloned().collect()),
    };
    Some(match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// All values of a header, comma-joined (names compare case-insensitively).
fn joined_header<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    name: &str,
) -> Option<String> {
    let values: Vec<&str> = headers
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// `$context.*`, `$stageVariables.*`.
fn shared(cx: &RequestContext<'_>, reference: &str) -> Option<String> {
    if let Some(name) = reference.strip_prefix("stageVariables.") {
        return cx.stage_variable(name).map(str::to_string);
    }
    let name = reference.strip_prefix("context.")?;
    cx.context_value(name).map(|v| v.into_owned())
}

/// The value of a request-side reference.
pub fn request_value(cx: &RequestContext<'_>, reference: &str) -> Option<String> {
    if let Some(v) = shared(cx, reference) {
        return Some(v);
    }
    let rest = reference.strip_prefix("request.")?;
    if rest == "path" {
        return Some(cx.api_path());
    }
    if rest == "body" {
        return Some(String::from_utf8_lossy(&cx.request.body).into_owned());
    }
    if let Some(name) = rest.strip_prefix("path.") {
        return cx.path_parameter(name.trim_end_matches('+'));
    }
    if let Some(name) = rest.strip_prefix("header.") {
        return joined_header(
            cx.request
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
            name,
        );
    }
    if let Some(name) = rest.strip_prefix("querystring.") {
        return cx.query_values(name);
    }
    if let Some(path) = rest.strip_prefix("body.") {
        return body_value(&cx.request.body, path);
    }
    None
}

/// The value of a response-side reference (`$response.header.x`, `$response.body.x`, and the
/// shared ones).
pub fn response_value(
    cx: &RequestContext<'_>,
    headers: &[(String, String)],
    body: &[u8],
    reference: &str,
) -> Option<String> {
    if let Some(v) = shared(cx, reference) {
        return Some(v);
    }
    let rest = reference.strip_prefix("response.")?;
    if let Some(name) = rest.strip_prefix("header.") {
        return joined_header(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), name);
    }
    if rest == "body" {
        return Some(String::from_utf8_lossy(body).into_owned());
    }
    rest.strip_prefix("body.").and_then(|p| body_value(body, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Option<String> {
        Value::parse(text).eval(&|r: &str| match r {
            "request.header.x" => Some("X".into()),
            "request.path.id" => Some("42".into()),
            "context.requestId" => Some("rid".into()),
            _ => None,
        })
    }

    #[test]
    fn values() {
        assert_eq!(eval("static"), Some("static".into()));
        assert_eq!(eval("$request.header.x"), Some("X".into()));
        assert_eq!(eval("/users/$request.path.id"), Some("/users/42".into()));
        assert_eq!(
            eval("/users/${request.path.id}/x"),
            Some("/users/42/x".into())
        );
        assert_eq!(
            eval("${context.requestId}-$request.header.x"),
            Some("rid-X".into())
        );
        assert_eq!(eval("$request.header.missing"), None);
        assert_eq!(eval("a$request.header.missing"), Some("a".into()));
        assert_eq!(eval("cost: $5"), Some("cost: $5".into()));
        assert_eq!(eval("id $request.path.id."), Some("id 42.".into()));
    }

    #[test]
    fn keys() {
        let m = parse("append:header.X-Id", "$request.header.x", false).unwrap();
        assert_eq!(m.action, Action::Append);
        assert_eq!(m.location, Location::Header("X-Id".into()));
        assert_eq!(
            parse("overwrite:path", "/x", false).unwrap().location,
            Location::Path
        );
        assert_eq!(
            parse("remove:querystring.q", "''", false).unwrap().location,
            Location::Query("q".into())
        );
        assert_eq!(
            parse("overwrite:statuscode", "201", true).unwrap().location,
            Location::StatusCode
        );
        assert!(parse("append:path", "/x", false).is_err());
        assert!(parse("overwrite:header.x-amzn-foo", "v", false).is_err());
        assert!(parse("overwrite:header.Authorization", "v", false).is_err());
        assert!(parse("overwrite:statuscode", "201", false).is_err());
        assert!(parse("overwrite:querystring.q", "1", true).is_err());
        assert!(parse("replace:header.x", "v", false).is_err());
    }
}
