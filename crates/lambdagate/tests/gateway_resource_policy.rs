//! REST resource policies end to end (`tests/fixtures/resource-policy`): SAM's address allow
//! and deny lists, a policy in the OpenAPI definition (a method and a user agent denied), a raw
//! `RestApi` `Policy` that only names an AWS account, and a policy combined with a Lambda
//! authorizer, each answered with API Gateway's 403s. The tests' requests come from 127.0.0.1.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Server;

const TEMPLATE: &str = "tests/fixtures/resource-policy/template.yaml";

struct Answer {
    status: u16,
    error_type: Option<String>,
    body: Value,
}

async fn send(server: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut request = client.request(method.parse().unwrap(), server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        error_type,
        body,
    }
}

/// Checks a resource policy refusal of `stage/METHOD/path`: AWS's 403, its `{"Message": …}` body
/// with the account masked, and whether the deny was explicit.
fn refused_by_policy(answer: &Answer, stage_method_path: &str, explicit: bool) {
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(answer.error_type.as_deref(), Some("AccessDeniedException"));
    let message = answer.body["Message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", answer.body));
    assert_eq!(answer.body.as_object().unwrap().len(), 1, "{}", answer.body);
    let prefix = "User: anonymous is not authorized to perform: execute-api:Invoke on resource: \
                  arn:aws:execute-api:us-east-1:********9012:";
    assert!(message.starts_with(prefix), "{message}");
    let rest = &message[prefix.len()..];
    // The API id (10 characters), then the stage, method and path asked for.
    let suffix = if explicit {
        " with an explicit deny"
    } else {
        ""
    };
    assert_eq!(
        &rest[10..],
        format!("/{stage_method_path}{suffix}"),
        "{message}"
    );
}

#[tokio::test]
async fn resource_policies_allow_and_refuse_as_api_gateway_does() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);

    // SAM's IpRangeWhitelist: the test's own address is on it.
    let a = send(&server, "GET", "/listed/items/7", &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["event"]["pathParameters"], json!({"id": "7"}));
    // IpRangeBlacklist: it is not.
    let a = send(&server, "GET", "/blocked/items", &[]).await;
    refused_by_policy(&a, "blocked/GET/items", true);

    // A policy in the definition: allowed, except DELETE and a user agent.
    let a = send(&server, "GET", "/written/items", &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = send(&server, "DELETE", "/written/items", &[]).await;
    refused_by_policy(&a, "written/DELETE/items", true);
    let a = send(
        &server,
        "GET",
        "/written/items",
        &[("User-Agent", "Mozilla/5.0 (compatible; BadBot/2.1)")],
    )
    .await;
    refused_by_policy(&a, "written/GET/items", true);

    // A raw RestApi Policy that allows one AWS account: an unsigned caller is no account.
    let a = send(&server, "GET", "/raw/items", &[]).await;
    refused_by_policy(&a, "raw/GET/items", false);

    let printed = server.printed();
    assert!(
        !printed.contains("resource policy:") && !printed.contains("not served yet"),
        "nothing of the policies should be left unenforced:\n{printed}"
    );
}

#[tokio::test]
async fn a_resource_policy_with_a_lambda_authorizer() {
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let token = |t: &'static str| [("Authorization", t)];

    // The policy's explicit deny refuses before the authorizer is invoked…
    let a = send(&server, "GET", "/guarded/secret", &token("allow")).await;
    refused_by_policy(&a, "guarded/GET/secret", true);
    // …so the next request is the authorizer's first invocation.
    let a = send(&server, "GET", "/guarded/open", &token("allow")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["event"]["requestContext"]["authorizer"]["calls"], "1",
        "{}",
        a.body
    );

    // The authorizer's policy names another method (neither allow nor deny): the resource
    // policy's allow lets the request through.
    let a = send(&server, "GET", "/guarded/open", &token("other")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["event"]["requestContext"]["authorizer"]["principalId"],
        "user"
    );

    // The authorizer's explicit deny wins over the resource policy's allow.
    let a = send(&server, "GET", "/guarded/open", &token("deny")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"message": "User is not authorized to access this resource with an explicit deny"})
    );
}
