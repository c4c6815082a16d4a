//! Raw CloudFormation integrations and authorizers put in the shape of their OpenAPI
//! extensions (`x-amazon-apigateway-integration`, `x-amazon-apigateway-authorizer`), so one
//! reader (`openapi/integration.rs`, `openapi/security.rs`) loads both.
//!
//! The two shapes hold the same fields under other names (`Uri` / `uri`,
//! `IntegrationHttpMethod` / `httpMethod`) and, in two places, another structure: REST
//! `IntegrationResponses` is a list of responses each with its `SelectionPattern`, where the
//! extension maps patterns to responses; HTTP API `ResponseParameters` is a list of
//! `{Destination, Source}` per status code, where the extension maps destinations to sources.
//! Keys the table does not know are kept as written, so the reader warns about them by their
//! CloudFormation name. Positions are kept, so diagnostics point into the template.

use crate::node::{Key, Node, Value};

/// How one CloudFormation key is carried over.
enum Carry {
    /// Renamed, value unchanged.
    As(&'static str),
    /// Renamed, value rewritten.
    With(&'static str, fn(&Node) -> Node),
    /// Left out: it names the owner (`RestApiId`) or only documents.
    Drop,
}

/// `AWS::ApiGateway::Method`'s `Integration` as an `x-amazon-apigateway-integration`.
pub fn rest_integration(node: &Node) -> Node {
    rename(
        node,
        &[
            ("Type", Carry::As("type")),
            ("Uri", Carry::As("uri")),
            ("IntegrationHttpMethod", Carry::As("httpMethod")),
            ("RequestParameters", Carry::As("requestParameters")),
            ("RequestTemplates", Carry::As("requestTemplates")),
            ("PassthroughBehavior", Carry::As("passthroughBehavior")),
            ("ContentHandling", Carry::As("contentHandling")),
            ("TimeoutInMillis", Carry::As("timeoutInMillis")),
            ("Credentials", Carry::As("credentials")),
            ("ConnectionType", Carry::As("connectionType")),
            ("ConnectionId", Carry::As("connectionId")),
            ("CacheKeyParameters", Carry::As("cacheKeyParameters")),
            ("CacheNamespace", Carry::As("cacheNamespace")),
            ("IntegrationResponses", Carry::With("responses", responses)),
        ],
    )
}

/// `IntegrationResponses: [{SelectionPattern, StatusCode, …}]` as `responses: {pattern: {…}}`
/// (`default` for the response without a pattern).
fn responses(node: &Node) -> Node {
    let Some(items) = node.as_seq() else {
        // Not a list: the reader reports it as not a mapping of patterns.
        return node.clone();
    };
    let entries = items
        .iter()
        .map(|item| {
            let pattern = item
                .get("SelectionPattern")
                .and_then(Node::scalar_text)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".to_string());
            let response = rename(
                item,
                &[
                    ("SelectionPattern", Carry::Drop),
                    ("StatusCode", Carry::As("statusCode")),
                    ("ResponseParameters", Carry::As("responseParameters")),
                    ("ResponseTemplates", Carry::As("responseTemplates")),
                    ("ContentHandling", Carry::As("contentHandling")),
                ],
            );
            (
                Key {
                    name: pattern,
                    pos: item.pos,
                },
                response,
            )
        })
        .collect();
    Node::new(Value::Map(entries), node.pos)
}

/// `AWS::ApiGatewayV2::Integration`'s properties as an `x-amazon-apigateway-integration`.
pub fn http_integration(props: &Node) -> Node {
    rename(
        props,
        &[
            ("ApiId", Carry::Drop),
            ("Description", Carry::Drop),
            ("IntegrationType", Carry::As("type")),
            ("IntegrationUri", Carry::As("uri")),
            ("IntegrationMethod", Carry::As("httpMethod")),
            ("PayloadFormatVersion", Carry::As("payloadFormatVersion")),
            ("TimeoutInMillis", Carry::As("timeoutInMillis")),
            ("RequestParameters", Carry::As("requestParameters")),
            ("RequestTemplates", Carry::As("requestTemplates")),
            ("PassthroughBehavior", Carry::As("passthroughBehavior")),
            ("ConnectionType", Carry::As("connectionType")),
            ("ConnectionId", Carry::As("connectionId")),
            ("CredentialsArn", Carry::As("credentials")),
            ("IntegrationSubtype", Carry::As("integrationSubtype")),
            (
                "ResponseParameters",
                Carry::With("responseParameters", http_response_parameters),
            ),
        ],
    )
}

/// `{status: {ResponseParameters: [{Destination, Source}]}}` as `{status: {destination:
/// source}}`.
fn http_response_parameters(node: &Node) -> Node {
    let Some(entries) = node.as_map() else {
        return node.clone();
    };
    let out = entries
        .iter()
        .map(|(status, value)| {
            let list = value.get("ResponseParameters").and_then(Node::as_seq);
            let mapped = match list {
                Some(items) => Node::new(
                    Value::Map(
                        items
                            .iter()
                            .filter_map(|item| {
                                let destination = item.get("Destination")?.scalar_text()?;
                                let source = item.get("Source")?.clone();
                                Some((
                                    Key {
                                        name: destination,
                                        pos: item.pos,
                                    },
                                    source,
                                ))
                            })
                            .collect(),
                    ),
                    value.pos,
                ),
                // Written in the extension's shape already: the reader checks it.
                None => value.clone(),
            };
            (status.clone(), mapped)
        })
        .collect();
    Node::new(Value::Map(out), node.pos)
}

/// `AWS::ApiGateway::Authorizer` / `AWS::ApiGatewayV2::Authorizer` properties as an
/// `x-amazon-apigateway-authorizer`.
pub fn authorizer(props: &Node) -> Node {
    rename(
        props,
        &[
            ("Name", Carry::Drop),
            ("RestApiId", Carry::Drop),
            ("ApiId", Carry::Drop),
            // REST's `AuthType` only labels the authorizer in the console.
            ("AuthType", Carry::Drop),
            ("Type", Carry::As("type")),
            ("AuthorizerType", Carry::As("type")),
            ("AuthorizerUri", Carry::As("authorizerUri")),
            ("AuthorizerCredentials", Carry::As("authorizerCredentials")),
            (
                "AuthorizerCredentialsArn",
                Carry::As("authorizerCredentials"),
            ),
            ("IdentitySource", Carry::As("identitySource")),
            (
                "IdentityValidationExpression",
                Carry::As("identityValidationExpression"),
            ),
            (
                "AuthorizerResultTtlInSeconds",
                Carry::As("authorizerResultTtlInSeconds"),
            ),
            ("ProviderARNs", Carry::As("providerARNs")),
            (
                "AuthorizerPayloadFormatVersion",
                Carry::As("authorizerPayloadFormatVersion"),
            ),
            ("EnableSimpleResponses", Carry::As("enableSimpleResponses")),
            ("JwtConfiguration", Carry::With("jwtConfiguration", jwt)),
        ],
    )
}

fn jwt(node: &Node) -> Node {
    rename(
        node,
        &[
            ("Issuer", Carry::As("issuer")),
            ("Audience", Carry::As("audience")),
        ],
    )
}

/// `node`'s keys carried over by `table`; other keys as written. Not a mapping: unchanged
/// (the reader reports it).
fn rename(node: &Node, table: &[(&str, Carry)]) -> Node {
    let Some(entries) = node.as_map() else {
        return node.clone();
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        match table.iter().find(|(k, _)| *k == key.name).map(|(_, c)| c) {
            Some(Carry::Drop) => {}
            Some(Carry::As(name)) => out.push((
                Key {
                    name: (*name).to_string(),
                    pos: key.pos,
                },
                value.clone(),
            )),
            Some(Carry::With(name, rewrite)) => out.push((
                Key {
                    name: (*name).to_string(),
                    pos: key.pos,
                },
                rewrite(value),
            )),
            None => out.push((key.clone(), value.clone())),
        }
    }
    Node::new(Value::Map(out), node.pos)
}
