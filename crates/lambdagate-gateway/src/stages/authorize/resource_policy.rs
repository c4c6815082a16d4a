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

use std::net::IpAddr;

use lambdagate_auth::sigv4::IamIdentity;
use lambdagate_model::ResponseType;
use serde_json::Value;

use super::policy::{Decision, wildcard_match};
use crate::responses::error::GatewayError;

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

/// One condition operator applied to one key, e.g. `NotIpAddress` on `aws:SourceIp`.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    operator: Operator,
    /// `Not…` operators: true when no value matches (and when the key is absent).
    negated: bool,
    /// `…IfExists`: true when the key is absent.
    if_exists: bool,
    /// The key, lower-case (condition keys are case-insensitive).
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    IpAddress,
    Bool,
    Null,
    /// `Date…`: instants (ISO 8601 or epoch seconds) compared.
    Date(Compare),
    /// `Numeric…`.
    Numeric(Compare),
}

/// How a `Date…` or `Numeric…` operator compares the request's value with the policy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Compare {
    fn holds(self, have: f64, wanted: f64) -> bool {
        match self {
            Compare::Equal => have == wanted,
            Compare::Less => have < wanted,
            Compare::LessOrEqual => have <= wanted,
            Compare::Greater => have > wanted,
            Compare::GreaterOrEqual => have >= wanted,
        }
    }
}

/// What the request offers to conditions and principals.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// `aws:SourceIp`.
    pub source_ip: IpAddr,
    /// `aws:UserAgent`.
    pub user_agent: Option<&'a str>,
    /// `aws:Referer`.
    pub referer: Option<&'a str>,
    /// `aws:SecureTransport`.
    pub secure: bool,
    /// The IAM caller, when the route uses `AWS_IAM` and the signature was verified.
    pub iam: Option<&'a IamIdentity>,
    /// `aws:SourceVpce`: what `--source-vpce` says.
    pub vpce: Option<&'a str>,
    /// `aws:SourceVpc`: what `--source-vpc` says.
    pub vpc: Option<&'a str>,
    /// `aws:CurrentTime` and `aws:EpochTime`, in milliseconds since the epoch.
    pub now_ms: u64,
}

impl Caller<'_> {
    /// The value of a condition key; `None` when the request does not have it (requests come
    /// through no VPC endpoint or VPC unless the command line says they do).
    fn key(&self, key: &str) -> Option<String> {
        match key {
            "aws:currenttime" => Some(iso_time(self.now_ms / 1000)),
            "aws:epochtime" => Some((self.now_ms / 1000).to_string()),
            "aws:sourcevpce" => self.vpce.map(str::to_string),
            "aws:sourcevpc" => self.vpc.map(str::to_string),
            "aws:sourceip" => Some(self.source_ip.to_string()),
            "aws:useragent" => self.user_agent.map(str::to_string),
            "aws:referer" => self.referer.map(str::to_string),
            "aws:securetransport" => Some(self.secure.to_string()),
            "aws:principalaccount" => self.iam.map(|i| i.account_id.clone()),
            "aws:principalarn" | "aws:userid" => self.iam.map(|i| i.user_arn.clone()),
            _ => None,
        }
    }
}

/// Condition keys whose value (or absence) lambdagate knows.
const KNOWN_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:useragent",
    "aws:referer",
    "aws:securetransport",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:currenttime",
    "aws:epochtime",
];

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

fn conditions(value: &Value, unevaluable: &mut Vec<String>) -> Result<Vec<Condition>, String> {
    let Value::Object(operators) = value else {
        return Err("Condition must be an object".to_string());
    };
    let mut out = Vec::new();
    for (name, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(format!("Condition {name} must be an object of keys"));
        };
        let (base, if_exists) = match name.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (name.as_str(), false),
        };
        let (operator, negated) = match base {
            "StringEquals" => (Operator::StringEquals, false),
            "StringNotEquals" => (Operator::StringEquals, true),
            "StringEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, true),
            "StringLike" => (Operator::StringLike, false),
            "StringNotLike" => (Operator::StringLike, true),
            "IpAddress" => (Operator::IpAddress, false),
            "NotIpAddress" => (Operator::IpAddress, true),
            "Bool" => (Operator::Bool, false),
            "Null" => (Operator::Null, false),
            "DateEquals" => (Operator::Date(Compare::Equal), false),
            "DateNotEquals" => (Operator::Date(Compare::Equal), true),
            "DateLessThan" => (Operator::Date(Compare::Less), false),
            "DateLessThanEquals" => (Operator::Date(Compare::LessOrEqual), false),
            "DateGreaterThan" => (Operator::Date(Compare::Greater), false),
            "DateGreaterThanEquals" => (Operator::Date(Compare::GreaterOrEqual), false),
            "NumericEquals" => (Operator::Numeric(Compare::Equal), false),
            "NumericNotEquals" => (Operator::Numeric(Compare::Equal), true),
            "NumericLessThan" => (Operator::Numeric(Compare::Less), false),
            "NumericLessThanEquals" => (Operator::Numeric(Compare::LessOrEqual), false),
            "NumericGreaterThan" => (Operator::Numeric(Compare::Greater), false),
            "NumericGreaterThanEquals" => (Operator::Numeric(Compare::GreaterOrEqual), false),
            _ => {
                unevaluable.push(format!("the condition operator {name}"));
                continue;
            }
        };
        for (key, values) in keys {
            let lower = key.to_ascii_lowercase();
            if !KNOWN_KEYS.contains(&lower.as_str()) {
                unevaluable.push(format!("the condition key {key}"));
                continue;
            }
            let values: Vec<String> = match values {
                Value::Array(items) => items.iter().map(scalar).collect(),
                one => vec![scalar(one)],
            };
            out.push(Condition {
                operator,
                negated,
                if_exists,
                key: lower,
                values,
            });
        }
    }
    Ok(out)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Condition {
    /// Whether the condition holds for `caller`, as IAM evaluates it: any of the values
    /// matches (none, for `Not…` operators); an absent key fails unless the operator is
    /// negated or `…IfExists`.
    fn holds(&self, caller: &Caller<'_>) -> bool {
        let value = caller.key(&self.key);
        if self.operator == Operator::Null {
            let wants_absent = self.values.iter().any(|v| v == "true");
            return value.is_none() == wants_absent;
        }
        let Some(value) = value else {
            return self.negated || self.if_exists;
        };
        let any = self.values.iter().any(|wanted| match self.operator {
            Operator::StringEquals => *wanted == value,
            Operator::StringEqualsIgnoreCase => wanted.eq_ignore_ascii_case(&value),
            Operator::StringLike => wildcard_match(wanted, &value, false),
            Operator::IpAddress => in_block(wanted, &value),
            Operator::Bool => wanted.eq_ignore_ascii_case(&value),
            Operator::Date(compare) => match (epoch_seconds(&value), epoch_seconds(wanted)) {
                (Some(have), Some(wanted)) => compare.holds(have as f64, wanted as f64),
                _ => false,
            },
            Operator::Numeric(compare) => match (value.parse::<f64>(), wanted.parse::<f64>()) {
                (Ok(have), Ok(wanted)) => compare.holds(have, wanted),
                _ => false,
            },
            Operator::Null => unreachable!("handled above"),
        });
        any != self.negated
    }
}

/// `2026-12-02T03:04:05Z`.
fn iso_time(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    let (y, m, d) = lambdagate_model::aws::civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// An instant as IAM reads a date condition's value: epoch seconds, or ISO 8601
/// (`2022-09-01`, `2022-09-01T00:00:00Z`, with fractions or an offset).
fn epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    // Each part within its range, so that no arithmetic below can overflow.
    let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n <= max);
    let (date, time) = text.split_once(['T', 't', ' ']).unwrap_or((text, ""));
    let mut parts = date.splitn(3, '-');
    let year = i64::from(number(parts.next()?, 9999)?);
    let (month, day) = (number(parts.next()?, 12)?, number(parts.next()?, 31)?);
    if month == 0 || day == 0 {
        return None;
    }
    let days = lambdagate_model::aws::days_from_civil(year, month, day);
    if time.is_empty() {
        return Some(days * 86_400);
    }
    // The offset: `Z`, `+hh:mm` or `-hh:mm`.
    let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
        Some(at) => {
            let sign = if time.as_bytes()[at] == b'-' { -1 } else { 1 };
            let zone = &time[at + 1..];
            let minutes = match zone.split_once(':') {
                Some((h, m)) => number(h, 23)? * 60 + number(m, 59)?,
                None if zone.is_empty() => 0,
                None => number(zone, 23)? * 60,
            };
            (&time[..at], sign * i64::from(minutes) * 60)
        }
        None => (time, 0),
    };
    let clock = clock.split('.').next()?;
    let mut hms = clock.splitn(3, ':');
    let hours = number(hms.next()?, 24)?;
    let minutes = number(hms.next().unwrap_or("0"), 59)?;
    let seconds = number(hms.next().unwrap_or("0"), 60)?;
    Some(days * 86_400 + i64::from(hours * 3600 + minutes * 60 + seconds) - offset)
}

/// Whether `address` is in `block` (`203.0.113.0/24`, `2001:db8::/32`, or one address).
fn in_block(block: &str, address: &str) -> bool {
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let (base, bits) = match block.split_once('/') {
        Some((base, bits)) => (base, bits.parse::<u32>().ok()),
        None => (block, None),
    };
    let Ok(base) = base.trim().parse::<IpAddr>() else {
        return false;
    };
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    match (base, address) {
        (IpAddr::V4(b), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(b) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(b) & mask == u128::from(a) & mask
        }
        _ => false,
    }
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

    fn anonymous(ip: &str) -> Caller<'static> {
        Caller {
            source_ip: ip.parse().unwrap(),
            user_agent: Some("curl/8"),
            referer: None,
            secure: false,
            iam: None,
            vpce: None,
            vpc: None,
            now_ms: 1_700_000_000_000,
        }
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
        // IPv6, and IPv4 clients seen through a dual-stack socket.
        assert!(in_block("2001:db8::/32", "2001:db8:1::5"));
        assert!(!in_block("2001:db8::/32", "2001:db9::5"));
        assert!(in_block("127.0.0.1/32", "::ffff:127.0.0.1"));
        assert!(in_block("0.0.0.0/0", "198.51.100.7"));
        assert!(in_block("198.51.100.7", "198.51.100.7"));
        assert!(!in_block("not an address", "198.51.100.7"));
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
    fn condition_operators() {
        let caller = anonymous("127.0.0.1");
        let holds = |condition: Value| {
            let mut notes = Vec::new();
            conditions(&condition, &mut notes).unwrap()[0].holds(&caller)
        };
        assert!(holds(json!({"StringLike": {"aws:UserAgent": "curl/*"}})));
        assert!(!holds(
            json!({"StringNotLike": {"aws:UserAgent": "curl/*"}})
        ));
        assert!(holds(
            json!({"StringEqualsIgnoreCase": {"aws:useragent": "CURL/8"}})
        ));
        assert!(holds(json!({"Bool": {"aws:SecureTransport": "false"}})));
        assert!(holds(json!({"Null": {"aws:Referer": "true"}})));
        assert!(!holds(json!({"StringEquals": {"aws:Referer": "x"}})));
        assert!(holds(json!({"StringEqualsIfExists": {"aws:Referer": "x"}})));
        assert!(holds(
            json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})
        ));
        assert!(holds(
            json!({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "127.0.0.0/8"]}})
        ));
        // The test caller's clock: 2023-11-14T22:13:20Z.
        assert!(holds(
            json!({"DateGreaterThan": {"aws:CurrentTime": "2023-11-14T22:13:19Z"}})
        ));
        assert!(!holds(
            json!({"DateGreaterThan": {"aws:CurrentTime": "2023-11-14T22:13:20Z"}})
        ));
        assert!(holds(
            json!({"DateLessThan": {"aws:CurrentTime": "2023-11-15"}})
        ));
        assert!(holds(
            json!({"DateLessThanEquals": {"aws:CurrentTime": "2023-11-14T23:13:20+01:00"}})
        ));
        assert!(holds(
            json!({"DateEquals": {"aws:EpochTime": "1700000000"}})
        ));
        assert!(holds(
            json!({"DateNotEquals": {"aws:CurrentTime": "2022-09-01T00:00:00.000Z"}})
        ));
        assert!(holds(
            json!({"NumericGreaterThanEquals": {"aws:EpochTime": 1_699_999_999}})
        ));
        assert!(!holds(json!({"NumericLessThan": {"aws:EpochTime": "1e9"}})));
        assert_eq!(iso_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(epoch_seconds("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(epoch_seconds("1970-01-01"), Some(0));
        assert_eq!(epoch_seconds("2023-13-01"), None);
        assert_eq!(epoch_seconds("soon"), None);
        // Out-of-range parts are refused, never overflowed.
        for wild in [
            "99999999999-01-01",
            "2023-01-01T99999999:00:00Z",
            "2023-01-01T00:00:00+99999999:00",
            "2023-00-10",
        ] {
            assert_eq!(epoch_seconds(wild), None, "{wild}");
        }
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
