//! A resource policy's `Condition` blocks: the operators and keys lambdagate evaluates, what
//! the request offers them ([`Caller`]), and IAM's reading of their values (instants, address
//! blocks).

use std::net::IpAddr;

use lambdagate_auth::sigv4::IamIdentity;
use serde_json::Value;

use super::super::policy::wildcard_match;

/// One condition operator applied to one key, e.g. `NotIpAddress` on `aws:SourceIp`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    operator: Operator,
    /// `Not…` operators: true when no value matches (and when the key is absent).
    negated: bool,
    /// `…IfExists`: true when the key is absent.
    if_exists: bool,
    /// The key, lower-case (condition keys are case-insensitive).
    pub(super) key: String,
    pub(super) values: Vec<String>,
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

pub(super) fn conditions(
    value: &Value,
    unevaluable: &mut Vec<String>,
) -> Result<Vec<Condition>, String> {
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
    pub(super) fn holds(&self, caller: &Caller<'_>) -> bool {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A caller without credentials, from `ip`, over plain HTTP (the policy tests share it).
    pub(in super::super) fn anonymous(ip: &str) -> Caller<'static> {
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

    #[test]
    fn address_blocks() {
        // IPv6, and IPv4 clients seen through a dual-stack socket.
        assert!(in_block("2001:db8::/32", "2001:db8:1::5"));
        assert!(!in_block("2001:db8::/32", "2001:db9::5"));
        assert!(in_block("127.0.0.1/32", "::ffff:127.0.0.1"));
        assert!(in_block("0.0.0.0/0", "198.51.100.7"));
        assert!(in_block("198.51.100.7", "198.51.100.7"));
        assert!(!in_block("not an address", "198.51.100.7"));
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
}
