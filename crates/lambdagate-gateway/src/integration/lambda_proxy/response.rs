//! Turning a function's answer into the client's response (spec §2).

use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

/// A response ready to be sent, before the gateway's own headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order; names as the function wrote them.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
}

/// Why a function's answer cannot be turned into a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The answer breaks the proxy response format ("Malformed Lambda proxy response").
    #[error("Malformed Lambda proxy response: {0}")]
    Malformed(String),
    /// `isBase64Encoded` with a body that is not base64 (an API configuration error on AWS).
    #[error("Unable to base64-decode the response body")]
    Base64,
}

fn malformed(why: impl Into<String>) -> ResponseError {
    ResponseError::Malformed(why.into())
}

/// A function's answer, parsed: its top-level members in order when it is an object, else the
/// value.
///
/// The members are a list rather than `serde_json`'s map, which hashes every key it inserts and
/// looks up (SipHash, a few hundred instructions each): an answer has five members at most, and
/// this parse runs on every request. Duplicate members behave as in the map: the last value
/// wins, in the first one's place.
enum Answer {
    Object(Vec<(String, Value)>),
    Other(Value),
}

impl Answer {
    fn parse(payload: &[u8]) -> Result<Answer, ResponseError> {
        serde_json::from_slice(payload).map_err(|_| malformed("the answer is not JSON"))
    }
}

/// Looks up a member of an answer object.
fn member<'a>(members: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

impl<'de> serde::Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnswerVisitor)
    }
}

struct AnswerVisitor;

impl<'de> serde::de::Visitor<'de> for AnswerVisitor {
    type Value = Answer;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Answer, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some((_, existing)) => *existing = value,
                None => members.push((key, value)),
            }
        }
        Ok(Answer::Object(members))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Answer, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Answer::Other(Value::Array(items)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Answer, E> {
        Ok(Answer::Other(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Answer, E> {
        Ok(Answer::Other(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Answer, E> {
        Ok(Answer::Other(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Answer, E> {
        Ok(Answer::Other(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<Answer, E> {
        Ok(Answer::Other(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Answer, E> {
        Ok(Answer::Other(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Answer, E> {
        Ok(Answer::Other(Value::Null))
    }
}

/// A header value as API Gateway renders JSON scalars: strings verbatim, others as JSON text.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn status_code(value: Option<&Value>) -> Result<u16, ResponseError> {
    let code = match value {
        None | Some(Value::Null) => return Ok(200),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match code {
        Some(c @ 100..=599) => Ok(c as u16),
        _ => Err(malformed("statusCode is not a valid HTTP status")),
    }
}

fn decode_body(body: &str, decode: bool) -> Result<Bytes, ResponseError> {
    if decode {
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map(Bytes::from)
            .map_err(|_| ResponseError::Base64)
    } else {
        Ok(Bytes::copy_from_slice(body.as_bytes()))
    }
}

/// Parses a payload format 1.0 answer (REST, or an HTTP API with payload 1.0).
///
/// `decode_binary` says whether `isBase64Encoded: true` bodies are decoded: on REST only when the
/// request's `Accept` matches a binary media type, on HTTP APIs always.
pub fn parse_v1(payload: &[u8], decode_binary: bool) -> Result<ProxyResponse, ResponseError> {
    let Answer::Object(object) = Answer::parse(payload)? else {
        return Err(malformed("the answer is not a JSON object"));
    };
    const ALLOWED: &[&str] = &[
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    ];
    if let Some((key, _)) = object.iter().find(|(k, _)| !ALLOWED.contains(&k.as_str())) {
        return Err(malformed(format!("unexpected key `{key}`")));
    }
    let status = status_code(member(&object, "statusCode"))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    match member(&object, "multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, values) in map {
                let Value::Array(values) = values else {
                    return Err(malformed("multiValueHeaders values must be arrays"));
                };
                for v in values {
                    let text = scalar_text(v)
                        .ok_or_else(|| malformed("multiValueHeaders entries must be scalars"))?;
                    push_unique(&mut headers, name, text);
                }
            }
        }
        Some(_) => return Err(malformed("multiValueHeaders must be an object")),
    }
    merge_single_headers(&mut headers, member(&object, "headers"))?;
    let base64 = match member(&object, "isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(malformed("isBase64Encoded must be a boolean")),
    };
    let body = match member(&object, "body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) => decode_body(s, base64 && decode_binary)?,
        Some(_) => return Err(malformed("body must be a string")),
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

/// Adds `headers` (single values) after multi-value ones; an identical name+value collapses,
/// and the casing already present wins (as AWS merges them).
fn merge_single_headers(
    headers: &mut Vec<(String, String)>,
    single: Option<&Value>,
) -> Result<(), ResponseError> {
    match single {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(map)) => {
            for (name, value) in map {
                if value.is_null() {
                    continue;
                }
                let text =
                    scalar_text(value).ok_or_else(|| malformed("header values must be scalars"))?;
                push_unique(headers, name, text);
            }
            Ok(())
        }
        Some(_) => Err(malformed("headers must be an object")),
    }
}

fn push_unique(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    let existing_name = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, _)| n.clone());
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(name) && *v == value)
    {
        return;
    }
    headers.push((existing_name.unwrap_or_else(|| name.to_string()), value));
}

/// Parses an HTTP API payload 2.0 answer, inferring the format when there is no `statusCode`.
pub fn parse_v2(payload: &[u8]) -> Result<ProxyResponse, ResponseError> {
    match Answer::parse(payload)? {
        Answer::Object(object) if member(&object, "statusCode").is_some() => explicit_v2(object),
        other => {
            // Inferred: the JSON itself is the body (as serde_json writes it again: compact, a
            // repeated member once); a JSON string is sent as its contents.
            let body = match other {
                Answer::Other(Value::String(s)) => s,
                Answer::Other(v) => v.to_string(),
                Answer::Object(members) => {
                    Value::Object(members.into_iter().collect::<Map<String, Value>>()).to_string()
                }
            };
            Ok(ProxyResponse {
                status: 200,
                headers: vec![("content-type".to_string(), "application/json".to_string())],
                body: Bytes::from(body),
            })
        }
    }
}

fn explicit_v2(object: Vec<(String, Value)>) -> Result<ProxyResponse, ResponseError> {
    let status = status_code(member(&object, "statusCode"))?;
    let mut headers = Vec::new();
    merge_single_headers(&mut headers, member(&object, "headers"))?;
    // Payload 2.0 has no multiValueHeaders, but functions written for 1.0 send them; AWS ignores
    // nothing it does not know, so neither do we: they are honoured when well-formed.
    if let Some(Value::Object(map)) = member(&object, "multiValueHeaders") {
        for (name, values) in map {
            if let Value::Array(values) = values {
                for v in values.iter().filter_map(scalar_text) {
                    push_unique(&mut headers, name, v);
                }
            }
        }
    }
    match member(&object, "cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(cookies)) => {
            for cookie in cookies {
                let text =
                    scalar_text(cookie).ok_or_else(|| malformed("cookies must be strings"))?;
                headers.push(("set-cookie".to_string(), text));
            }
        }
        Some(_) => return Err(malformed("cookies must be an array")),
    }
    let base64 = matches!(member(&object, "isBase64Encoded"), Some(Value::Bool(true)));
    let body = match member(&object, "body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) => decode_body(s, base64)?,
        Some(other) => Bytes::from(other.to_string()),
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(json: &str) -> Result<ProxyResponse, ResponseError> {
        parse_v1(json.as_bytes(), false)
    }

    #[test]
    fn rest_validation_matches_recorded_aws_answers() {
        assert_eq!(v1(r#"{"statusCode": 200}"#).unwrap().status, 200);
        let r = v1(r#"{"headers": {"test-header": "value"}}"#).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.headers, vec![("test-header".into(), "value".into())]);
        assert_eq!(v1(r#"{"statusCode": "201"}"#).unwrap().status, 201);
        assert!(v1(r#"{"statusCode": "test"}"#).is_err());
        assert!(v1(r#"{"statusCode": 200, "wrongValue": "value"}"#).is_err());
        assert!(v1(r#""justAString""#).is_err());
        assert!(v1("not json").is_err());
        let r = v1(r#"{"statusCode":200,"headers":{"test-header":"value","header-bool":true}}"#)
            .unwrap();
        assert_eq!(r.headers[1], ("header-bool".into(), "true".into()));
        assert!(v1(r#"{"statusCode":200,"headers":null}"#).is_ok());
        assert!(v1(r#"{"statusCode":200,"multiValueHeaders":{"x":"v"}}"#).is_err());
        assert!(v1(r#"{"statusCode":200,"body":{"a":1}}"#).is_err());
        // Base64 body without a matching binary media type: the text is returned as is.
        let r = v1(r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#).unwrap();
        assert_eq!(r.body, Bytes::from("aGk="));
        let r = parse_v1(
            br#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#,
            true,
        )
        .unwrap();
        assert_eq!(r.body, Bytes::from("hi"));
        assert_eq!(
            parse_v1(br#"{"body":"%%%","isBase64Encoded":true}"#, true),
            Err(ResponseError::Base64)
        );
    }

    #[test]
    fn rest_header_merge_is_a_union() {
        let r = v1(r#"{"multiValueHeaders":{"tesT-Multi":["value-multi"]},
                       "headers":{"test-multi":"value-solo","a":"1"}}"#)
        .unwrap();
        assert_eq!(
            r.headers,
            vec![
                ("tesT-Multi".into(), "value-multi".into()),
                ("tesT-Multi".into(), "value-solo".into()),
                ("a".into(), "1".into())
            ]
        );
        let r = v1(r#"{"multiValueHeaders":{"x":["1"]},"headers":{"X":"1"}}"#).unwrap();
        assert_eq!(r.headers.len(), 1);
    }

    #[test]
    fn v2_inferred_and_explicit() {
        let r = parse_v2(br#""Hello from Lambda!""#).unwrap();
        assert_eq!(
            (r.status, r.body.as_ref()),
            (200, &b"Hello from Lambda!"[..])
        );
        assert_eq!(r.headers[0].1, "application/json");
        let r = parse_v2(br#"{"message":"hi"}"#).unwrap();
        assert_eq!(r.body, Bytes::from(r#"{"message":"hi"}"#));
        let r = parse_v2(
            br#"{"statusCode":201,"cookies":["a=1","b=2"],"headers":{"x":"y"},
                 "body":"aGk=","isBase64Encoded":true}"#,
        )
        .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.body, Bytes::from("hi"));
        assert_eq!(
            r.headers,
            vec![
                ("x".into(), "y".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into())
            ]
        );
        assert!(parse_v2(br#"{"statusCode":"abc"}"#).is_err());
        assert!(parse_v2(b"garbage").is_err());
        assert_eq!(parse_v2(b"42").unwrap().body, Bytes::from("42"));
    }

    #[test]
    fn answers_read_as_serde_json_values_read_them() {
        // An inferred body is the answer as serde_json writes it again, repeated members and all.
        for answer in [
            r#"{"b":1,"a":[1,2,{"z":null}],"b":2.5, "c" : "x"}"#,
            r#"[1, "two", {"three": 3}, [], {}]"#,
            "-0",
            "1e400",
            "18446744073709551615",
            "-9223372036854775808",
            "true",
            "null",
            r#""\u00e9\n""#,
        ] {
            let expected = match serde_json::from_str::<Value>(answer) {
                Ok(Value::String(s)) => s,
                Ok(v) => v.to_string(),
                Err(_) => {
                    assert!(parse_v2(answer.as_bytes()).is_err(), "{answer}");
                    continue;
                }
            };
            assert_eq!(
                parse_v2(answer.as_bytes()).unwrap().body,
                expected,
                "{answer}"
            );
        }
        // A repeated member: the last value counts, as in serde_json's map.
        let r = parse_v2(br#"{"statusCode":500,"body":"a","statusCode":201,"body":"b"}"#).unwrap();
        assert_eq!((r.status, r.body.as_ref()), (201, &b"b"[..]));
        let r = v1(r#"{"statusCode":200,"headers":{"x":"1"},"headers":null}"#).unwrap();
        assert!(r.headers.is_empty());
        assert!(parse_v2(br#"{"statusCode":200} trailing"#).is_err());
        assert!(v1("[]").is_err());
    }
}
