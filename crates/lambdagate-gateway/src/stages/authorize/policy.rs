//! A Lambda authorizer's answer: the IAM policy (or HTTP API simple response) read once, and
//! evaluated against each method ARN as IAM does (explicit deny wins, then any allow, else an
//! implicit deny).

use serde_json::{Map, Value};

/// What IAM decides for one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement allows it and none denies it.
    Allow,
    /// A statement denies it.
    ExplicitDeny,
    /// No statement allows it.
    ImplicitDeny,
}

/// One statement, its lists already read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    /// IAM conditions are not evaluated: an allow with a condition never applies and a deny
    /// with one always does, so an unevaluated condition can only refuse more.
    conditional: bool,
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Why an authorizer's answer is not one API Gateway accepts (`AUTHORIZER_CONFIGURATION_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid authorizer response: {0}")]
pub struct InvalidOutput(pub String);

fn invalid(why: impl Into<String>) -> InvalidOutput {
    InvalidOutput(why.into())
}

/// A string or a list of strings (`Action`, `Resource`).
fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, InvalidOutput> {
    match value {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("{what} entries must be strings")))
            })
            .collect(),
        _ => Err(invalid(format!(
            "each statement needs {what} (a string or a list)"
        ))),
    }
}

impl Policy {
    /// Reads a `policyDocument`: `Statement` as one object or a list, `Effect` `Allow` or
    /// `Deny`, `Action` and `Resource` as a string or a list.
    pub fn parse(document: &Value) -> Result<Policy, InvalidOutput> {
        let Value::Object(doc) = document else {
            return Err(invalid("policyDocument must be an object"));
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err(invalid("policyDocument needs a Statement")),
        };
        let mut out = Vec::with_capacity(statements.len());
        for statement in statements {
            let Value::Object(s) = statement else {
                return Err(invalid("each Statement must be an object"));
            };
            let allow = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                _ => return Err(invalid("each statement's Effect must be Allow or Deny")),
            };
            out.push(Statement {
                allow,
                actions: strings(s.get("Action"), "Action")?,
                resources: strings(s.get("Resource"), "Resource")?,
                conditional: s.contains_key("Condition"),
            });
        }
        Ok(Policy { statements: out })
    }

    /// What the policy decides for invoking `method_arn`.
    pub fn evaluate(&self, method_arn: &str) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s
                .actions
                .iter()
                .any(|a| wildcard_match(a, "execute-api:Invoke", true))
                && s.resources
                    .iter()
                    .any(|r| wildcard_match(r, method_arn, false));
            if !applies {
                continue;
            }
            if !s.allow {
                return Decision::ExplicitDeny;
            }
            allowed |= !s.conditional;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// IAM's wildcard match: `*` any run of characters (slashes and colons included), `?` any one
/// character; actions compare case-insensitively, resources exactly.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    // ARNs are ASCII: compare bytes then, characters only when either side is not.
    if pattern.is_ascii() && text.is_ascii() {
        match_units(pattern.as_bytes(), text.as_bytes(), |a, b| {
            a == b || (ignore_case && a.eq_ignore_ascii_case(&b))
        })
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        match_units(&p, &t, |a, b| {
            a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
        })
    }
}

/// Units that can be a wildcard.
trait Unit: Copy + PartialEq {
    const STAR: Self;
    const ONE: Self;
}

impl Unit for u8 {
    const STAR: u8 = b'*';
    const ONE: u8 = b'?';
}

impl Unit for char {
    const STAR: char = '*';
    const ONE: char = '?';
}

fn match_units<U: Unit>(p: &[U], t: &[U], eq: impl Fn(U, U) -> bool) -> bool {
    // Greedy with backtracking to the last star: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == U::ONE || (p[pi] != U::STAR && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == U::STAR {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == U::STAR)
}

/// A Lambda authorizer's answer, as kept in the cache.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// An IAM policy answer.
    Policy {
        /// `principalId`.
        principal_id: Option<String>,
        /// The policy.
        policy: Policy,
        /// `context`.
        context: Map<String, Value>,
        /// `usageIdentifierKey`.
        usage_identifier_key: Option<String>,
    },
    /// An HTTP API simple answer.
    Simple {
        /// `isAuthorized`.
        authorized: bool,
        /// `context`, JSON types kept.
        context: Map<String, Value>,
    },
}

/// Reads `context`: REST (and HTTP API policy answers in format 1.0) accept only strings,
/// numbers, booleans and null; HTTP API 2.0 answers keep any JSON.
fn context(
    output: &Map<String, Value>,
    any_json: bool,
) -> Result<Map<String, Value>, InvalidOutput> {
    match output.get("context") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => {
            if !any_json
                && map
                    .values()
                    .any(|v| matches!(v, Value::Object(_) | Value::Array(_)))
            {
                return Err(invalid(
                    "context values must be strings, numbers or booleans, not objects or arrays",
                ));
            }
            Ok(map.clone())
        }
        Some(_) => Err(invalid("context must be an object")),
    }
}

impl Verdict {
    /// Roughly how many bytes the answer holds, for the cache's budget.
    pub fn weight(&self) -> usize {
        // The fixed part covers the enum, maps' and vectors' own overhead.
        const BASE: usize = 256;
        let context_weight = |context: &Map<String, Value>| {
            context
                .iter()
                .map(|(k, v)| {
                    k.len()
                        + 64
                        + match v {
                            Value::String(s) => s.len(),
                            other => other.to_string().len(),
                        }
                })
                .sum::<usize>()
        };
        match self {
            Verdict::Policy {
                principal_id,
                policy,
                context,
                usage_identifier_key,
            } => {
                BASE + principal_id.as_ref().map_or(0, String::len)
                    + usage_identifier_key.as_ref().map_or(0, String::len)
                    + context_weight(context)
                    + policy
                        .statements
                        .iter()
                        .map(|s| {
                            64 + s
                                .actions
                                .iter()
                                .chain(&s.resources)
                                .map(|t| t.len() + 24)
                                .sum::<usize>()
                        })
                        .sum::<usize>()
            }
            Verdict::Simple { context, .. } => BASE + context_weight(context),
        }
    }

    /// Reads an authorizer's output: a policy answer, or with `simple` an
    /// `{"isAuthorized": bool, "context": {...}}` answer; `any_json_context` for HTTP API 2.0.
    pub fn parse(
        payload: &[u8],
        simple: bool,
        any_json_context: bool,
    ) -> Result<Verdict, InvalidOutput> {
        let value: Value = serde_json::from_slice(payload)
            .map_err(|_| invalid("the authorizer did not answer JSON"))?;
        let Value::Object(output) = value else {
            return Err(invalid("the authorizer's answer must be a JSON object"));
        };
        if simple {
            let Some(authorized) = output.get("isAuthorized").and_then(Value::as_bool) else {
                return Err(invalid(
                    "a simple response needs isAuthorized: true or false",
                ));
            };
            return Ok(Verdict::Simple {
                authorized,
                context: context(&output, true)?,
            });
        }
        let principal_id = match output.get("principalId") {
            Some(Value::String(s)) => Some(s.clone()),
            // HTTP API policy answers may leave it out; REST requires it (checked by the caller).
            None | Some(Value::Null) => None,
            Some(_) => return Err(invalid("principalId must be a string")),
        };
        let policy = Policy::parse(
            output
                .get("policyDocument")
                .ok_or_else(|| invalid("the answer needs a policyDocument"))?,
        )?;
        let usage_identifier_key = match output.get("usageIdentifierKey") {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(_) => return Err(invalid("usageIdentifierKey must be a string")),
        };
        Ok(Verdict::Policy {
            principal_id,
            policy,
            context: context(&output, any_json_context)?,
            usage_identifier_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/42";

    fn policy(doc: Value) -> Policy {
        Policy::parse(&doc).unwrap()
    }

    fn statement(effect: &str, action: Value, resource: Value) -> Value {
        json!({"Effect": effect, "Action": action, "Resource": resource})
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ARN, false));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*",
            ARN,
            false
        ));
        assert!(wildcard_match(
            "arn:aws:execute-api:*:*:abc123/Prod/*",
            ARN,
            false
        ));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/4?",
            ARN,
            false
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*",
            ARN,
            false
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/*",
            ARN,
            false
        ));
        // `?` is exactly one character.
        assert!(!wildcard_match("a?", "a", false));
        assert!(wildcard_match("a*b*c", "a-b-b-c", false));
        assert!(!wildcard_match("a*b*c", "a-b-b-d", false));
        // Actions ignore case, as IAM does.
        assert!(wildcard_match(
            "execute-api:invoke",
            "execute-api:Invoke",
            true
        ));
        assert!(wildcard_match("execute-api:*", "execute-api:Invoke", true));
        assert!(!wildcard_match(
            "execute-api:ManageConnections",
            "execute-api:Invoke",
            true
        ));
    }

    #[test]
    fn deny_wins_and_nothing_allowed_is_an_implicit_deny() {
        let both = policy(json!({"Version": "2012-10-17", "Statement": [
            statement("Allow", json!("execute-api:Invoke"), json!("*")),
            statement("Deny", json!(["execute-api:*"]), json!([ARN])),
        ]}));
        assert_eq!(both.evaluate(ARN), Decision::ExplicitDeny);
        assert_eq!(
            both.evaluate("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/43"),
            Decision::Allow
        );
        let other = policy(json!({"Statement": [statement(
            "Allow",
            json!("execute-api:Invoke"),
            json!("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*")
        )]}));
        assert_eq!(other.evaluate(ARN), Decision::ImplicitDeny);
        let wrong_action = policy(json!({"Statement": [statement(
            "Allow",
            json!("s3:GetObject"),
            json!("*")
        )]}));
        assert_eq!(wrong_action.evaluate(ARN), Decision::ImplicitDeny);
    }

    #[test]
    fn statement_shapes() {
        // One object instead of a list, strings instead of lists.
        let single = policy(
            json!({"Statement": statement("Allow", json!("execute-api:Invoke"), json!(ARN))}),
        );
        assert_eq!(single.evaluate(ARN), Decision::Allow);
        for bad in [
            json!("nope"),
            json!({}),
            json!({"Statement": "x"}),
            json!({"Statement": [statement("allow", json!("execute-api:Invoke"), json!("*"))]}),
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke"}]}),
            json!({"Statement": [statement("Allow", json!([1]), json!("*"))]}),
        ] {
            assert!(Policy::parse(&bad).is_err(), "{bad}");
        }
        // A condition is not evaluated: it never widens access.
        let conditional = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ]}));
        assert_eq!(conditional.evaluate(ARN), Decision::ImplicitDeny);
    }

    #[test]
    fn outputs() {
        let ok = br#"{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]},"context":{"s":"x","n":1,"b":true,"z":null},"usageIdentifierKey":"k"}"#;
        let Verdict::Policy {
            principal_id,
            context,
            usage_identifier_key,
            policy,
        } = Verdict::parse(ok, false, false).unwrap()
        else {
            panic!()
        };
        assert_eq!(principal_id.as_deref(), Some("u"));
        assert_eq!(context.len(), 4);
        assert_eq!(usage_identifier_key.as_deref(), Some("k"));
        assert_eq!(policy.evaluate(ARN), Decision::Allow);

        let nested =
            br#"{"principalId":"u","policyDocument":{"Statement":[]},"context":{"o":{"a":1}}}"#;
        assert!(Verdict::parse(nested, false, false).is_err());
        assert!(Verdict::parse(nested, false, true).is_ok());
        assert!(Verdict::parse(b"not json", false, false).is_err());
        assert!(Verdict::parse(b"[]", false, false).is_err());
        assert!(Verdict::parse(br#"{"principalId":"u"}"#, false, false).is_err());

        assert_eq!(
            Verdict::parse(br#"{"isAuthorized":true,"context":{"a":[1]}}"#, true, true).unwrap(),
            Verdict::Simple {
                authorized: true,
                context: json!({"a": [1]}).as_object().unwrap().clone()
            }
        );
        assert!(Verdict::parse(br#"{"isAuthorized":"yes"}"#, true, true).is_err());
    }
}
