//! REST resource policies: the statements of a policy document (`AWS::ApiGateway::RestApi`
//! `Policy`, OpenAPI `x-amazon-apigateway-policy`), and the statements SAM writes into the
//! definition for `Auth.ResourcePolicy`, one set for each `Api` event's method and path.

use serde_json::{Value, json};

use crate::diag::{Diags, R};
use crate::node::Node;

/// The statements of a policy document: an object with `Statement` (one object or a list),
/// or the same as a JSON string, as `Policy` accepts both. An empty string is no policy: the
/// Serverless Framework writes `Policy: ""` on every REST API it deploys.
pub fn statements(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<Value>> {
    let document = match node.to_json() {
        Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                return Err(d.error(
                    node.pos,
                    format!("{owner}: the policy is a string that is not JSON ({e})"),
                ));
            }
        },
        other => other,
    };
    match document.get("Statement") {
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items.clone()),
        Some(one @ Value::Object(_)) => Ok(vec![one.clone()]),
        _ => Err(d.error(
            node.pos,
            format!("{owner}: the policy needs a Statement: an object or a list of objects"),
        )),
    }
}

/// `Auth.ResourcePolicy` keys SAM reads.
const SAM_KEYS: &[&str] = &[
    "AwsAccountWhitelist",
    "AwsAccountBlacklist",
    "IpRangeWhitelist",
    "IpRangeBlacklist",
    "SourceVpcWhitelist",
    "SourceVpcBlacklist",
    "IntrinsicVpcWhitelist",
    "IntrinsicVpcBlacklist",
    "IntrinsicVpceWhitelist",
    "IntrinsicVpceBlacklist",
    "CustomStatements",
];

/// What SAM writes for `Auth.ResourcePolicy` on the route `method path` of stage `stage`: for
/// each list, an allow of the route and a deny of it on the list's condition (accounts as
/// principals), plus `CustomStatements` as written.
pub fn sam_statements(
    d: &mut Diags,
    node: &Node,
    stage: &str,
    (method, path): (&str, &str),
    owner: &str,
) -> R<Vec<Value>> {
    let owner = format!("{owner}: Auth.ResourcePolicy");
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping")));
    }
    crate::cfn::warn_unloaded(d, node, SAM_KEYS, &owner);
    let list = |d: &mut Diags, key: &str| -> R<Vec<Value>> {
        match node.get(key).map(|n| (n, n.to_json())) {
            None => Ok(Vec::new()),
            Some((_, Value::String(one))) => Ok(vec![Value::String(one)]),
            Some((_, Value::Array(items))) => Ok(items),
            Some((n, _)) => {
                Err(d.error(n.pos, format!("{owner}: {key} must be a string or a list")))
            }
        }
    };
    let resource = route_resource(stage, method, path);
    let invoke = |effect: &str, principal: Value, condition: Option<Value>| {
        let mut statement = json!({
            "Effect": effect,
            "Action": "execute-api:Invoke",
            "Resource": [resource.clone()],
            "Principal": principal,
        });
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        statement
    };
    let mut out = Vec::new();
    let allow_accounts = list(d, "AwsAccountWhitelist")?;
    if !allow_accounts.is_empty() {
        out.push(invoke("Allow", json!({ "AWS": allow_accounts }), None));
    }
    let deny_accounts = list(d, "AwsAccountBlacklist")?;
    if !deny_accounts.is_empty() {
        out.push(invoke("Deny", json!({ "AWS": deny_accounts }), None));
    }
    for (key, operator) in [
        ("IpRangeWhitelist", "NotIpAddress"),
        ("IpRangeBlacklist", "IpAddress"),
    ] {
        let blocks = list(d, key)?;
        if !blocks.is_empty() {
            out.push(invoke("Allow", json!("*"), None));
            out.push(invoke(
                "Deny",
                json!("*"),
                Some(json!({ operator: { "aws:SourceIp": blocks } })),
            ));
        }
    }
    for (suffix, operator) in [
        ("Blacklist", "StringEquals"),
        ("Whitelist", "StringNotEquals"),
    ] {
        // SAM sorts `SourceVpc…` entries by prefix: `vpce-` endpoints, `vpc-` VPCs.
        let mut vpcs = Vec::new();
        let mut endpoints = Vec::new();
        for entry in list(d, &format!("SourceVpc{suffix}"))? {
            match entry.as_str() {
                Some(e) if e.starts_with("vpce-") => endpoints.push(entry),
                Some(e) if e.starts_with("vpc-") => vpcs.push(entry),
                _ => {}
            }
        }
        vpcs.extend(list(d, &format!("IntrinsicVpc{suffix}"))?);
        endpoints.extend(list(d, &format!("IntrinsicVpce{suffix}"))?);
        let mut condition = serde_json::Map::new();
        if !vpcs.is_empty() {
            condition.insert("aws:SourceVpc".into(), Value::Array(vpcs));
        }
        if !endpoints.is_empty() {
            condition.insert("aws:SourceVpce".into(), Value::Array(endpoints));
        }
        if !condition.is_empty() {
            out.push(invoke("Allow", json!("*"), None));
            out.push(invoke(
                "Deny",
                json!("*"),
                Some(json!({ operator: Value::Object(condition) })),
            ));
        }
    }
    if let Some(custom) = node.get("CustomStatements") {
        match custom.to_json() {
            Value::Array(items) if items.iter().all(Value::is_object) => out.extend(items),
            one @ Value::Object(_) => out.push(one),
            _ => {
                return Err(d.error(
                    custom.pos,
                    format!("{owner}: CustomStatements must be a statement or a list of them"),
                ));
            }
        }
    }
    Ok(out)
}

/// `execute-api:/STAGE/METHOD/PATH` of a route as SAM writes it: `ANY` as `*`, each path
/// parameter (greedy or not) as `*`, no trailing slash.
fn route_resource(stage: &str, method: &str, path: &str) -> String {
    let method = if method.eq_ignore_ascii_case("ANY") {
        "*".to_string()
    } else {
        method.to_ascii_uppercase()
    };
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "*"
            } else {
                segment
            }
        })
        .collect();
    let mut path = path.join("/");
    if path.len() > 1 {
        path = path.trim_end_matches('/').to_string();
    }
    format!("execute-api:/{stage}/{method}{path}")
}

/// Adds `statements` to an API's policy, each once (SAM writes an API-wide setting's statements
/// for every event, and custom statements once).
pub fn merge(policy: &mut Vec<Value>, statements: Vec<Value>) {
    for statement in statements {
        if !policy.contains(&statement) {
            policy.push(statement);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::route_resource;

    #[test]
    fn route_resources_are_written_as_sam_writes_them() {
        assert_eq!(
            route_resource("Prod", "get", "/items/{id}"),
            "execute-api:/Prod/GET/items/*"
        );
        assert_eq!(
            route_resource("Prod", "ANY", "/{proxy+}"),
            "execute-api:/Prod/*/*"
        );
        assert_eq!(route_resource("v1", "POST", "/"), "execute-api:/v1/POST/");
        assert_eq!(
            route_resource("v1", "POST", "/a/b/"),
            "execute-api:/v1/POST/a/b"
        );
    }
}
