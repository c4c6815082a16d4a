//! A REST API's resource policy (`Policy`, `x-amazon-apigateway-policy`, SAM's
//! `Auth.ResourcePolicy`), evaluated for each request as API Gateway does: the caller, the
//! method ARN and the request's condition keys (`aws:SourceIp`, `aws:UserAgent`, …) against
//! every statement; an explicit deny wins, then any allow.
//!
//! What cannot be known here is never taken as granted: a statement whose condition names a key
//! or operator lambdagate does not evaluate, or that uses `NotPrincipal`, is compiled so that it
//! can only refuse more (an allow never applies, a deny always does), and each such statement
//! is said at startup. Services and federated users never call an API here, so a statement
//! about them alone applies to no request.

mod conditions;

use lambdagate_auth::sigv4::IamIdentity;
use lambdagate_model::ResponseType;
use serde_json::Value;

use super::policy::{Decision, wildcard_match};
use crate::responses::error::GatewayError;
pub use conditions::Caller;
use conditions::{Condition, conditions};

/// The compiled policy of one API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourcePolicy {
    statements: Vec<Statement>,
}

/// One statement, its lists read and its resources made full ARNs of this API.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    principal: Principal,
    actions: Matcher,
    resources: Matcher,
    conditions: Vec<Condition>,
    /// Why part of it cannot be evaluated here (an allow then never applies, a deny always).
    unevaluable: Option<String>,
}

/// `Action` / `NotAction`, `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    patterns: Vec<String>,
    negated: bool,
}

impl Matcher {
    fn matches(&self, text: &str, ignore_case: bool) -> bool {
        self.patterns
            .iter()
            .any(|p| wildcard_match(p, text, ignore_case))
            != self.negated
    }
}

/// Who a statement is about.
#[derive(Debug, Clone, PartialEq)]
enum Principal {
    /// `"*"` or `{"AWS": "*"}`: every caller, signed or not.
    Anyone,
    /// `{"AWS": [...]}`: account ids, `arn:aws:iam::ACCOUNT:root`, or user and role ARNs; only
    /// IAM-signed callers can be one of them.
    Aws(Vec<String>),
}

impl ResourcePolicy {
    /// Compiles `statements` for the API `api_id` in `region` and `account`, with a sentence for
    /// each part that is read but cannot be evaluated here.
    ///
    /// Resources may be written `execute-api:/STAGE/METHOD/PATH` (API Gateway expands it to
    /// this API's ARN) or as full ARNs. A full ARN's region, account and API id are the deployed
    /// API's, which lambdagate's local ids cannot equal; since the policy belongs to this API,
    /// literal ones are read as this API's.
    pub fn compile(
        statements: &[Value],
        region: &str,
        account: &str,
        api_id: &str,
    ) -> Result<(ResourcePolicy, Vec<String>), String> {
        let mut out = Vec::with_capacity(statements.len());
        let mut notes = Vec::new();
        for (i, statement) in statements.iter().enumerate() {
            let Value::Object(s) = statement else {
                return Err(format!("statement {} is not an object", i + 1));
            };
            let name = s.get("Sid").and_then(Value::as_str).map_or_else(
                || format!("statement {}", i + 1),
                |sid| format!("statement `{sid}`"),
            );
            let allow = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                _ => return Err(format!("{name}: Effect must be Allow or Deny")),
            };
            let mut unevaluable = Vec::new();
            let principal = match (s.get("Principal"), s.get("NotPrincipal")) {
                (Some(p), None) => principal(p, &mut unevaluable),
                (None, Some(_)) => {
                    unevaluable.push("NotPrincipal".to_string());
                    Principal::Anyone
                }
                _ => return Err(format!("{name}: needs a Principal")),
            };
            let actions = matcher(s, "Action", "NotAction").map_err(|e| format!("{name}: {e}"))?;
            let mut resources =
                matcher(s, "Resource", "NotResource").map_err(|e| format!("{name}: {e}"))?;
            for pattern in &mut resources.patterns {
                *pattern = full_arn(pattern, region, account, api_id);
            }
            let conditions = match s.get("Condition") {
                None => Vec::new(),
                Some(c) => conditions(c, &mut unevaluable).map_err(|e| format!("{name}: {e}"))?,
            };
            let unevaluable = if unevaluable.is_empty() {
                None
            } else {
                let what = unevaluable.join(", ");
                notes.push(if allow {
                    format!(
                        "{name} allows only with {what}, which lambdagate cannot evaluate; it \
                         never allows here"
                    )
                } else {
                    format!(
                        "{name} denies with {what}, which lambdagate cannot evaluate; it denies \
                         every request it names here"
                    )
                });
                Some(what)
            };
            let endpoints: Vec<&str> = conditions
                .iter()
                .filter(|c| c.key == "aws:sourcevpce" || c.key == "aws:sourcevpc")
                .flat_map(|c| c.values.iter().map(String::as_str))
                .collect();
            if !endpoints.is_empty() {
                notes.push(format!(
                    "{name} names aws:SourceVpce/aws:SourceVpc ({}); requests here come through \
                     no VPC endpoint or VPC unless `--source-vpce ID` / `--source-vpc ID` says so",
                    endpoints.join(", ")
                ));
            }
            out.push(Statement {
                allow,
                principal,
                actions,
                resources,
                conditions,
                unevaluable,
            });
        }
        Ok((ResourcePolicy { statements: out }, notes))
    }

    /// A policy that refuses every request: what a policy that cannot be read stands for, since
    /// no deploy would accept it and serving the API open would be worse.
    pub fn refuse_all(why: &str) -> ResourcePolicy {
        ResourcePolicy {
            statements: vec![Statement {
                allow: false,
                principal: Principal::Anyone,
                actions: Matcher {
                    patterns: vec!["*".to_string()],
                    negated: false,
                },
                resources: Matcher {
                    patterns: vec!["*".to_string()],
                    negated: false,
                },
                conditions: Vec::new(),
                unevaluable: Some(why.to_string()),
            }],
        }
    }

    /// What the policy decides for `caller` invoking `method_arn`.
    pub fn evaluate(&self, method_arn: &str, caller: &Caller<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s.actions.matches("execute-api:Invoke", true)
                && s.resources.matches(method_arn, false)
                && s.principal.includes(caller.iam);
            if !applies {
                continue;
            }
            if s.unevaluable.is_some() {
                if !s.allow {
                    return Decision::ExplicitDeny;
                }
                continue;
            }
            if !s.conditions.iter().all(|c| c.holds(caller)) {
                continue;
            }
            if !s.allow {
                return Decision::ExplicitDeny;
            }
            allowed = true;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

impl Principal {
    fn includes(&self, iam: Option<&IamIdentity>) -> bool {
        match self {
            Principal::Anyone => true,
            Principal::Aws(names) => iam.is_some_and(|caller| {
                names.iter().any(|name| {
                    name == "*"
                        || *name == caller.account_id
                        || *name == format!("arn:aws:iam::{}:root", caller.account_id)
                        || *name == caller.user_arn
                })
            }),
        }
    }
}

fn principal(value: &Value, unevaluable: &mut Vec<String>) -> Principal {
    match value {
        Value::String(s) if s == "*" => Principal::Anyone,
        Value::Object(map) => {
            let mut names = Vec::new();
            for (kind, listed) in map {
                let listed: Vec<String> = match listed {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                // Services and federated users never call an API here: a statement about
                // them alone applies to no request.
                if kind == "AWS" {
                    names.extend(listed);
                }
            }
            if names.iter().any(|n| n == "*") {
                Principal::Anyone
            } else {
                Principal::Aws(names)
            }
        }
        other => {
            unevaluable.push(format!("the principal {other}"));
            Principal::Anyone
        }
    }
}

fn matcher(
    s: &serde_json::Map<String, Value>,
    key: &str,
    not_key: &str,
) -> Result<Matcher, String> {
    let (value, negated) = match (s.get(key), s.get(not_key)) {
        (Some(v), None) => (v, false),
        (None, Some(v)) => (v, true),
        _ => return Err(format!("needs {key} or {not_key}")),
    };
    let patterns = match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{key} entries must be strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(format!("{key} must be a string or a list of strings")),
    };
    Ok(Matcher { patterns, negated })
}

/// `execute-api:/rest` or `arn:…:execute-api:REGION:ACCOUNT:API/rest` as this API's full ARN.
fn full_arn(pattern: &str, region: &str, account: &str, api_id: &str) -> String {
    if let Some(rest) = pattern.strip_prefix("execute-api:/") {
        return format!("arn:aws:execute-api:{region}:{account}:{api_id}/{rest}");
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [arn, partition, service, their_region, their_account, tail] = parts.as_slice() else {
        return pattern.to_string();
    };
    if *arn != "arn" || *service != "execute-api" {
        return pattern.to_string();
    }
    let literal = |s: &str| !s.contains(['*', '?']);
    let (their_api, rest) = tail.split_once('/').unwrap_or((tail, ""));
    let region = if literal(their_region) {
        region
    } else {
        their_region
    };
    let account = if literal(their_account) {
        account
    } else {
        their_account
    };
    let api = if literal(their_api) {
        api_id
    } else {
        their_api
    };
    let slash = if tail.contains('/') { "/" } else { "" };
    format!("{arn}:{partition}:execute-api:{region}:{account}:{api}{slash}{rest}")
}

/// The 403 API Gateway answers when the resource policy refuses: `{"Message": "User: anonymous
/// is not authorized to perform: execute-api:Invoke on resource: arn:…"}`, the account in the
/// ARN shown by its last four digits only.
pub fn refusal(method_arn: &str, iam: Option<&IamIdentity>, explicit: bool) -> GatewayError {
    let who = iam.map_or("anonymous", |i| i.user_arn.as_str());
    let shown = mask_account(method_arn);
    let suffix = if explicit {
        " with an explicit deny"
    } else {
        ""
    };
    GatewayError::new(ResponseType::AccessDenied)
        .with_message(format!(
            "User: {who} is not authorized to perform: execute-api:Invoke on resource: \
             {shown}{suffix}"
        ))
        .with_capitalized_message_key()
        .with_detail(format!(
            "the API's resource policy {} {method_arn}",
            if explicit { "denies" } else { "does not allow" }
        ))
}

fn mask_account(arn: &str) -> String {
    let mut parts: Vec<String> = arn.splitn(6, ':').map(str::to_string).collect();
    if let Some(account) = parts.get_mut(4) {
        let chars: Vec<char> = account.chars().collect();
        if chars.len() > 4 {
            let hidden = chars.len() - 4;
            let shown: String = chars[hidden..].iter().collect();
            *account = format!("{}{shown}", "*".repeat(hidden.min(8)));
        }
    }
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::conditions::tests::anonymous;
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/items/7";

    fn compile(statements: Value) -> (ResourcePolicy, Vec<String>) {
        let list = match statements {
            Value::Array(items) => items,
            one => vec![one],
        };
        ResourcePolicy::compile(&list, "us-east-1", "123456789012", "abc123").unwrap()
    }

    /// What SAM writes for `IpRangeWhitelist` on `GET /items/{id}` of stage `prod`.
    fn sam_whitelist(blocks: Value, operator: &str) -> Value {
        json!([
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": ["execute-api:/prod/GET/items/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": ["execute-api:/prod/GET/items/*"],
             "Condition": {operator: {"aws:SourceIp": blocks}}}
        ])
    }

    #[test]
    fn ip_allow_and_deny_lists() {
        let (allow_list, notes) = compile(sam_whitelist(
            json!(["10.0.0.0/8", "127.0.0.1/32"]),
            "NotIpAddress",
        ));
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            allow_list.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::Allow
        );
        assert_eq!(
            allow_list.evaluate(ARN, &anonymous("10.9.8.7")),
            Decision::Allow
        );
        assert_eq!(
            allow_list.evaluate(ARN, &anonymous("192.0.2.1")),
            Decision::ExplicitDeny
        );
        // Another method is not named by any statement.
        assert_eq!(
            allow_list.evaluate(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/items/7",
                &anonymous("127.0.0.1")
            ),
            Decision::ImplicitDeny
        );
        let (block_list, _) = compile(sam_whitelist(json!("127.0.0.0/8"), "IpAddress"));
        assert_eq!(
            block_list.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::ExplicitDeny
        );
        assert_eq!(
            block_list.evaluate(ARN, &anonymous("192.0.2.1")),
            Decision::Allow
        );
    }

    #[test]
    fn resources_are_this_apis_arns() {
        assert_eq!(
            full_arn("execute-api:/*", "us-east-1", "123456789012", "abc123"),
            "arn:aws:execute-api:us-east-1:123456789012:abc123/*"
        );
        // The deployed API's literal ids are read as this API's; wildcards stay.
        assert_eq!(
            full_arn(
                "arn:aws:execute-api:eu-west-1:999999999999:zzz999/prod/*",
                "us-east-1",
                "123456789012",
                "abc123"
            ),
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"
        );
        assert_eq!(
            full_arn("arn:aws:execute-api:*:*:*/*/*/*", "us-east-1", "1", "a"),
            "arn:aws:execute-api:*:*:*/*/*/*"
        );
        assert_eq!(full_arn("*", "r", "a", "i"), "*");
        let (policy, _) = compile(json!({"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "execute-api:*", "Resource": "arn:aws:execute-api:us-west-2:987654321098:realid/*"}));
        assert_eq!(
            policy.evaluate(ARN, &anonymous("192.0.2.1")),
            Decision::Allow
        );
    }

    #[test]
    fn principals_and_unevaluable_parts_only_refuse_more() {
        let identity = IamIdentity {
            access_key: "AKIA".into(),
            account_id: "111122223333".into(),
            caller: "AIDA".into(),
            user: "AIDA".into(),
            user_arn: "arn:aws:iam::111122223333:user/alice".into(),
        };
        let (accounts, _) = compile(
            json!({"Effect": "Allow", "Principal": {"AWS": ["111122223333"]},
            "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}),
        );
        assert_eq!(
            accounts.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::ImplicitDeny
        );
        let signed = Caller {
            iam: Some(&identity),
            ..anonymous("127.0.0.1")
        };
        assert_eq!(accounts.evaluate(ARN, &signed), Decision::Allow);

        // A service never calls an API here: its statements apply to no request.
        let (service, notes) = compile(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
            {"Effect": "Deny", "Principal": {"Service": "cloudfront.amazonaws.com"},
             "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
        ]));
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            service.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::Allow
        );

        let (vpce, notes) = compile(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
        ]));
        assert_eq!(
            vpce.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::ExplicitDeny
        );
        assert!(notes[0].contains("aws:SourceVpce"), "{notes:?}");
        // `--source-vpce`: requests come through the endpoint the policy names.
        let through = Caller {
            vpce: Some("vpce-1a2b3c4d"),
            ..anonymous("127.0.0.1")
        };
        assert_eq!(vpce.evaluate(ARN, &through), Decision::Allow);

        let (unknown, notes) = compile(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
             "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": "x"}}}
        ]));
        assert_eq!(
            unknown.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::ImplicitDeny
        );
        assert!(notes[0].contains("never allows"), "{notes:?}");
        let (unknown_deny, notes) = compile(json!(
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
             "Condition": {"StringEquals": {"aws:SourceOrgID": "o-1"}}}
        ));
        assert_eq!(
            unknown_deny.evaluate(ARN, &anonymous("127.0.0.1")),
            Decision::ExplicitDeny
        );
        assert!(notes[0].contains("denies every request"), "{notes:?}");
    }

    #[test]
    fn the_refusal_is_api_gateways() {
        let implicit = refusal(ARN, None, false);
        assert_eq!(
            implicit.builtin_body(lambdagate_model::ApiKind::Rest, false),
            r#"{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/items/7"}"#
        );
        assert_eq!(implicit.status(lambdagate_model::ApiKind::Rest), 403);
        let explicit = refusal(ARN, None, true);
        assert!(
            explicit
                .message()
                .unwrap()
                .ends_with("/prod/GET/items/7 with an explicit deny")
        );
    }

    #[test]
    fn malformed_statements_are_refused() {
        for bad in [
            json!("x"),
            json!({"Effect": "Maybe", "Principal": "*", "Action": "a", "Resource": "r"}),
            json!({"Effect": "Allow", "Action": "a", "Resource": "r"}),
            json!({"Effect": "Allow", "Principal": "*", "Resource": "r"}),
            json!({"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": [1]}),
            json!({"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "r", "Condition": "x"}),
        ] {
            assert!(
                ResourcePolicy::compile(std::slice::from_ref(&bad), "r", "a", "i").is_err(),
                "{bad}"
            );
        }
    }
}
