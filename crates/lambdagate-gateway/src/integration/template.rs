//! Mapping templates as API Gateway renders them: the VTL engine with `$input`, `$util`,
//! `$context` (through [`RequestContext::context_value`], the one `$context` lookup) and
//! `$stageVariables`, and the overrides a template sets (`$context.requestOverride.*`,
//! `$context.responseOverride.*`), applied by the caller afterwards.

use std::cell::OnceCell;
use std::rc::Rc;

use base64::Engine;
use lambdagate_vtl::{Env, Object, Options, Template, Undefined, Value, Variables};

use super::jsonpath::{JsonPath, Selected};
use crate::context::RequestContext;
use crate::request::{percent_decode, query_pairs};
use crate::responses::error::GatewayError;

const INPUT: u32 = 1;
const UTIL: u32 = 2;
const CONTEXT: u32 = 3;

/// `$context` names whose value is an object of further names.
const CONTEXT_PREFIXES: &[&str] = &[
    "identity",
    "identity.clientCert",
    "identity.clientCert.validity",
    "authorizer",
    "authorizer.claims",
    "error",
    "customDomain",
];

/// What templates set in `$context.requestOverride` and `$context.responseOverride`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `requestOverride.header.X`.
    pub request_headers: Vec<(String, String)>,
    /// `requestOverride.querystring.X`.
    pub request_query: Vec<(String, String)>,
    /// `requestOverride.path.X`.
    pub request_path: Vec<(String, String)>,
    /// `responseOverride.status`, when it is a status code (others are ignored).
    pub status: Option<u16>,
    /// `responseOverride.header.X`.
    pub response_headers: Vec<(String, String)>,
}

fn string_map(pairs: &[(String, String)]) -> Value {
    Value::map(
        pairs
            .iter()
            .map(|(k, v)| (Rc::from(k.as_str()), Value::str(v)))
            .collect(),
    )
}

fn read_pairs(map: &Value, key: &str) -> Vec<(String, String)> {
    match map {
        Value::Map(m) => match m.get(key) {
            Some(Value::Map(inner)) => inner
                .entries
                .borrow()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.to_string(), v.to_java_string()))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The `$input` a template reads: the body it maps and the client's request parameters.
pub struct TemplateInput<'a> {
    /// The request as far as the stages got.
    pub cx: &'a RequestContext<'a>,
    /// The body `$input` maps: the request's for a request template, the integration's answer
    /// for a response template.
    pub body: &'a [u8],
    /// Overrides set by an earlier template of the same request.
    pub overrides: &'a Overrides,
}

struct ApiGatewayEnv<'a> {
    input: &'a TemplateInput<'a>,
    json: OnceCell<Option<serde_json::Value>>,
    request_override: Value,
    response_override: Value,
}

impl ApiGatewayEnv<'_> {
    /// The body as JSON; an empty body reads as `{}`, as API Gateway's does.
    fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| {
                let body = self.input.body;
                if body.iter().all(u8::is_ascii_whitespace) {
                    Some(serde_json::Value::Object(serde_json::Map::new()))
                } else {
                    serde_json::from_slice(body).ok()
                }
            })
            .as_ref()
    }

    fn select(&self, path: &str) -> Result<Option<serde_json::Value>, String> {
        let path = JsonPath::parse(path)?;
        let Some(doc) = self.json() else {
            return Ok(None);
        };
        Ok(match path.select(doc) {
            Selected::One(v) => v.cloned(),
            Selected::Many(v) => Some(serde_json::Value::Array(v.into_iter().cloned().collect())),
        })
    }

    fn params(&self) -> Value {
        let cx = self.input.cx;
        let path: Vec<(String, String)> = cx
            .params
            .iter()
            .filter_map(|(name, _)| Some((name.to_string(), cx.path_parameter(name)?)))
            .collect();
        let mut query: Vec<(String, String)> = Vec::new();
        for (k, v) in cx.request.raw_query.as_deref().map(query_pairs).unwrap_or_default() {
            // The last value of a repeated name wins, in the place of the first.
            match query.iter_mut().find(|(n, _)| *n == k) {
                Some(slot) => slot.1 = v,
                None => query.push((k, v)),
            }
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for (k, v) in &cx.request.headers {
            match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
                Some(slot) => slot.1 = v.clone(),
                None => headers.push((k.clone(), v.clone())),
            }
        }
        Value::map(vec![
            ("path".into(), string_map(&path)),
            ("querystring".into(), string_map(&query)),
            ("header".into(), string_map(&headers)),
        ])
    }

    fn param(&self, name: &str) -> String {
        let cx = self.input.cx;
        if cx.params.iter().any(|(n, _)| *n == name)
            && let Some(v) = cx.path_parameter(name)
        {
            return v;
        }
        if let Some(v) = cx.query_value(name) {
            return v;
        }
        cx.request.header(name).unwrap_or("").to_string()
    }
}

impl Env for ApiGatewayEnv<'_> {
    fn property(&self, object: &Object, name: &str) -> Option<Value> {
        match object.kind {
            INPUT if name == "body" => Some(Value::str(&self.body_text())),
            CONTEXT => {
                let full = if object.path.is_empty() {
                    name.to_string()
                } else {
                    format!("{}.{name}", object.path)
                };
                match full.as_str() {
                    "requestOverride" => return Some(self.request_override.clone()),
                    "responseOverride" => return Some(self.response_override.clone()),
                    _ => {}
                }
                if let Some(v) = self.input.cx.context_value(&full) {
                    return Some(Value::str(&v));
                }
                CONTEXT_PREFIXES
                    .contains(&full.as_str())
                    .then(|| Value::object(CONTEXT, full))
            }
            _ => None,
        }
    }

    fn method(&self, object: &Object, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
        let arg = |i: usize| args.get(i).map(Value::to_java_string);
        match (object.kind, name, args.len()) {
            (INPUT, "json", 1) => {
                let path = arg(0).unwrap_or_default();
                Ok(Some(Value::str(
                    &self
                        .select(&path)?
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                )))
            }
            (INPUT, "path", 1) => {
                let path = arg(0).unwrap_or_default();
                Ok(self.select(&path)?.map(|v| Value::from_json(&v)))
            }
            (INPUT, "params", 0) => Ok(Some(self.params())),
            (INPUT, "params", 1) => Ok(Some(Value::str(&self.param(&arg(0).unwrap_or_default())))),
            (UTIL, _, 1) => {
                if args[0].is_null() {
                    return Ok(None);
                }
                let text = args[0].to_java_string();
                util(name, &text)
            }
            (CONTEXT, "toString", 0) => Ok(self
                .input
                .cx
                .context_value(&object.path)
                .map(|v| Value::str(&v))),
            _ => Ok(None),
        }
    }

    fn display(&self, object: &Object, out: &mut String) {
        match object.kind {
            CONTEXT => {
                if let Some(v) = self.input.cx.context_value(&object.path) {
                    out.push_str(&v);
                }
            }
            INPUT => out.push_str(&self.body_text()),
            _ => {}
        }
    }
}

impl ApiGatewayEnv<'_> {
    fn body_text(&self) -> String {
        // An empty request body reads as `{}` in `$input.body` too.
        if self.input.body.is_empty() {
            "{}".to_string()
        } else {
            String::from_utf8_lossy(self.input.body).into_owned()
        }
    }
}

/// `$util.name(text)`.
fn util(name: &str, text: &str) -> Result<Option<Value>, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Some(match name {
        "escapeJavaScript" => Value::str(&escape_javascript(text)),
        "parseJson" => {
            let json: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("parseJson: {e}"))?;
            Value::from_json(&json)
        }
        "urlEncode" => Value::str(&url_encode(text)),
        "urlDecode" => Value::str(&percent_decode(&text.replace('+', " "))),
        "base64Encode" => Value::str(&b64.encode(text)),
        "base64Decode" => {
            let bytes = b64
                .decode(text.trim())
                .map_err(|e| format!("base64Decode: {e}"))?;
            Value::str(&String::from_utf8_lossy(&bytes))
        }
        _ => return Ok(None),
    }))
}

/// Java's `StringEscapeUtils.escapeJavaScript`: quotes, backslash and `/` escaped, control and
/// non-ASCII characters as `\uXXXX`.
pub fn escape_javascript(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Java's `URLEncoder.encode(text, "UTF-8")`: form encoding, space as `+`.
pub fn url_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Renders `template` for a request: the output and the overrides it leaves.
pub fn render(
    template: &Template,
    input: &TemplateInput<'_>,
) -> Result<(String, Overrides), GatewayError> {
    let o = input.overrides;
    let env = ApiGatewayEnv {
        input,
        json: OnceCell::new(),
        request_override: Value::map(vec![
            ("header".into(), string_map(&o.request_headers)),
            ("querystring".into(), string_map(&o.request_query)),
            ("path".into(), string_map(&o.request_path)),
        ]),
        response_override: Value::map(
            [("header".into(), string_map(&o.response_headers))]
                .into_iter()
                .chain(o.status.map(|s| ("status".into(), Value::Int(i64::from(s)))))
                .collect(),
        ),
    };
    let mut vars = Variables::new();
    vars.insert("input", Value::object(INPUT, ""));
    vars.insert("util", Value::object(UTIL, ""));
    vars.insert("context", Value::object(CONTEXT, ""));
    vars.insert("stageVariables", string_map(input.cx.stage_variables()));
    let options = Options {
        // API Gateway prints a reference without a value as nothing.
        undefined: Undefined::Empty,
        ..Options::default()
    };
    let body = template.render(&mut vars, &env, &options).map_err(|e| {
        tracing::warn!(request_id = %input.cx.ids.request_id, "mapping template failed: {e}");
        GatewayError::api_configuration(format!("mapping template failed: {e}"))
    })?;
    let status = match &env.response_override {
        Value::Map(m) => match m.get("status") {
            Some(Value::Int(s)) => u16::try_from(s).ok(),
            Some(Value::Str(s)) => s.trim().parse().ok(),
            _ => None,
        },
        _ => None,
    }
    .or(o.status)
    .filter(|s| (100..=599).contains(s));
    let overrides = Overrides {
        request_headers: read_pairs(&env.request_override, "header"),
        request_query: read_pairs(&env.request_override, "querystring"),
        request_path: read_pairs(&env.request_override, "path"),
        status,
        response_headers: read_pairs(&env.response_override, "header"),
    };
    Ok((body, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn util_functions() {
        assert_eq!(escape_javascript("it's \"q\" a/b\n\u{e9}"), "it\\'s \\\"q\\\" a\\/b\\n\\u00E9");
        assert_eq!(url_encode("{\"some\": \"value\"}"), "%7B%22some%22%3A+%22value%22%7D");
        assert_eq!(
            util("urlDecode", "a+b%21").unwrap().unwrap().to_java_string(),
            "a b!"
        );
        assert_eq!(
            util("base64Decode", &base64::engine::general_purpose::STANDARD.encode("hi"))
                .unwrap()
                .unwrap()
                .to_java_string(),
            "hi"
        );
        assert!(util("parseJson", "{").is_err());
    }
}
