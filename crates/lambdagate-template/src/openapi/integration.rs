//! `x-amazon-apigateway-integration`: an operation's integration (type, target, request and
//! response mappings, content handling), and the pieces of it other rooms reuse: status codes,
//! string pairs and the function an invocation URI names.

use lambdagate_model::{
    ApiKind, ConnectionType, ContentHandling, Integration, IntegrationResponse, IntegrationTarget,
    IntegrationType, PassthroughBehavior, PayloadFormat, ResponseParameterMapping,
};

use crate::diag::{Diags, R, Reported};
use crate::node::Node;
use crate::props;

/// `x-amazon-apigateway-integration` keys this module loads.
const INTEGRATION_KEYS: &[&str] = &[
    "type",
    "uri",
    "httpMethod",
    "payloadFormatVersion",
    "timeoutInMillis",
    "requestTemplates",
    "requestParameters",
    "responses",
    "responseParameters",
    "passthroughBehavior",
    "contentHandling",
    "credentials",
    "connectionType",
    "connectionId",
    "cacheKeyParameters",
    "integrationSubtype",
    // Only names the cache's partition in AWS; the key parameters are what matter.
    "cacheNamespace",
];
/// The function an invocation URI names: the name in
/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations`
/// (or `…/2021-11-15/functions/{function ARN}/response-streaming-invocations`, REST's
/// streamed responses, or a bare function ARN, which HTTP APIs accept), without an alias or
/// version. Names with `${stageVariables.x}` stay as written; the gateway resolves them per
/// stage.
pub fn lambda_function(uri: &str) -> Option<String> {
    let arn = match uri.split_once(":lambda:path/") {
        Some((_, rest)) => {
            let (_, arn) = rest.split_once("/functions/")?;
            arn.strip_suffix("/response-streaming-invocations")
                .or_else(|| arn.strip_suffix("/invocations"))
                .unwrap_or(arn)
        }
        None if uri.starts_with("arn:") && uri.contains(":lambda:") => uri,
        None => return None,
    };
    let name = match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        // `functions/{name}/invocations` with a bare name or a stage-variable name.
        None => arn,
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// A string-to-string mapping as ordered pairs (template text, parameter expressions).
pub(super) fn pairs(
    d: &mut Diags,
    node: &Node,
    key: &str,
    owner: &str,
) -> R<Vec<(String, String)>> {
    match node.get(key) {
        None => Ok(Vec::new()),
        Some(map) => Ok(props::string_map(d, map, &format!("{owner}: {key}"))?
            .into_iter()
            .collect()),
    }
}

/// `contentHandling`: CONVERT_TO_BINARY or CONVERT_TO_TEXT.
pub(super) fn content_handling(
    d: &mut Diags,
    node: &Node,
    owner: &str,
) -> R<Option<ContentHandling>> {
    match props::text(d, node, "contentHandling", owner)?.as_deref() {
        None => Ok(None),
        Some("CONVERT_TO_BINARY") => Ok(Some(ContentHandling::ConvertToBinary)),
        Some("CONVERT_TO_TEXT") => Ok(Some(ContentHandling::ConvertToText)),
        Some(other) => Err(d.error(
            node.get("contentHandling").map_or(node.pos, |n| n.pos),
            format!(
                "{owner}: contentHandling `{other}` must be CONVERT_TO_BINARY or CONVERT_TO_TEXT"
            ),
        )),
    }
}

/// `x-amazon-apigateway-integration`.
pub(super) fn integration(
    d: &mut Diags,
    node: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<Integration> {
    read(
        d,
        node,
        kind,
        &format!("{owner}: x-amazon-apigateway-integration"),
    )
}

/// An integration in the OpenAPI extension's shape (raw CloudFormation integrations are put
/// in that shape first, see `cfn_shape.rs`); `owner` names it in messages.
pub(crate) fn read(d: &mut Diags, node: &Node, kind: ApiKind, owner: &str) -> R<Integration> {
    let owner = owner.to_string();
    if node.as_map().is_none() {
        return Err(d.error(node.pos, format!("{owner} must be a mapping with a type")));
    }
    crate::cfn::warn_unloaded(d, node, INTEGRATION_KEYS, &owner);
    let Some(type_text) = props::text(d, node, "type", &owner)? else {
        return Err(d.error(
            node.pos,
            format!("{owner} needs a type (aws_proxy, mock, http, http_proxy or aws)"),
        ));
    };
    let Some(integration_type) = IntegrationType::parse(&type_text) else {
        return Err(d.error(
            node.get("type").map_or(node.pos, |n| n.pos),
            format!("{owner}: type `{type_text}` must be aws_proxy, aws, http_proxy, http or mock"),
        ));
    };
    let uri = props::text(d, node, "uri", &owner)?;
    let payload_format = match (kind, props::text(d, node, "payloadFormatVersion", &owner)?) {
        (ApiKind::Rest, _) => PayloadFormat::V1,
        (ApiKind::Http, Some(v)) if v == "1.0" => PayloadFormat::V1,
        (ApiKind::Http, Some(v)) if v == "2.0" => PayloadFormat::V2,
        (ApiKind::Http, Some(v)) => {
            return Err(d.error(
                node.get("payloadFormatVersion").map_or(node.pos, |n| n.pos),
                format!("{owner}: payloadFormatVersion `{v}` must be \"1.0\" or \"2.0\""),
            ));
        }
        (ApiKind::Http, None) => {
            if integration_type == IntegrationType::AwsProxy {
                d.warn(
                    node.pos,
                    format!("{owner}: payloadFormatVersion is required for HTTP API Lambda integrations; using 2.0"),
                );
            }
            PayloadFormat::V2
        }
    };
    let timeout_ms = props::number(d, node, "timeoutInMillis", &owner, 50..=30000)?;
    let target = match (integration_type, &uri) {
        (IntegrationType::Mock, _) => IntegrationTarget::None,
        (IntegrationType::AwsProxy | IntegrationType::Aws, Some(uri)) => match lambda_function(uri)
        {
            Some(name) => IntegrationTarget::Function(name),
            None => IntegrationTarget::Uri(uri.clone()),
        },
        (_, Some(uri)) => IntegrationTarget::Uri(uri.clone()),
        // HTTP API AWS service integrations name their action by integrationSubtype.
        (IntegrationType::AwsProxy, None) if node.get("integrationSubtype").is_some() => {
            IntegrationTarget::None
        }
        (_, None) => {
            return Err(d.error(
                node.pos,
                format!("{owner}: an integration of type {integration_type} needs a uri"),
            ));
        }
    };
    let passthrough_behavior = match props::text(d, node, "passthroughBehavior", &owner)? {
        None => PassthroughBehavior::WhenNoMatch,
        Some(p) => match p.to_ascii_lowercase().as_str() {
            "when_no_match" => PassthroughBehavior::WhenNoMatch,
            "when_no_templates" => PassthroughBehavior::WhenNoTemplates,
            "never" => PassthroughBehavior::Never,
            _ => {
                return Err(d.error(
                    node.get("passthroughBehavior").map_or(node.pos, |n| n.pos),
                    format!("{owner}: passthroughBehavior `{p}` must be when_no_match, when_no_templates or never"),
                ));
            }
        },
    };
    let connection = match props::text(d, node, "connectionType", &owner)?.as_deref() {
        Some("VPC_LINK") => ConnectionType::VpcLink(
            props::text(d, node, "connectionId", &owner)?.unwrap_or_default(),
        ),
        _ => ConnectionType::Internet,
    };
    let responses = match node.get("responses") {
        Some(r) => integration_responses(d, r, &owner)?,
        None => Vec::new(),
    };
    let response_parameters = match (kind, node.get("responseParameters")) {
        (ApiKind::Http, Some(r)) => http_response_parameters(d, r, &owner)?,
        _ => Vec::new(),
    };
    Ok(Integration {
        kind: integration_type,
        target,
        payload_format,
        timeout_ms,
        http_method: props::text(d, node, "httpMethod", &owner)?.map(|m| m.to_ascii_uppercase()),
        credentials: props::text(d, node, "credentials", &owner)?,
        connection,
        subtype: props::text(d, node, "integrationSubtype", &owner)?,
        request_parameters: pairs(d, node, "requestParameters", &owner)?,
        request_templates: pairs(d, node, "requestTemplates", &owner)?,
        passthrough_behavior,
        content_handling: content_handling(d, node, &owner)?,
        cache_key_parameters: props::strings(d, node, "cacheKeyParameters", &owner)?
            .unwrap_or_default(),
        integration_responses: responses,
        response_parameters,
    })
}

/// An HTTP status code (100-599) written as text.
pub(super) fn status_code(text: &str) -> Option<u16> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|c| (100..=599).contains(c))
}

/// A status code written as a string or a number.
pub(crate) fn status(d: &mut Diags, node: &Node, key: &str, owner: &str) -> R<Option<u16>> {
    let Some(value) = node.get(key) else {
        return Ok(None);
    };
    match value.scalar_text().and_then(|t| status_code(&t)) {
        Some(code) => Ok(Some(code)),
        _ => Err(d.error(
            value.pos,
            format!("{owner}: {key} must be an HTTP status from 100 to 599"),
        )),
    }
}

/// REST integration `responses`: selection pattern (`default` for none) to response.
fn integration_responses(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<IntegrationResponse>> {
    let owner = format!("{owner}: responses");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of selection patterns"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, value) in entries {
        let owner = format!("{owner}: `{}`", key.name);
        if value.as_map().is_none() {
            d.error(
                value.pos,
                format!("{owner} must be a mapping with a statusCode"),
            );
            failed = true;
            continue;
        }
        crate::cfn::warn_unloaded(
            d,
            value,
            &[
                "statusCode",
                "responseParameters",
                "responseTemplates",
                "contentHandling",
            ],
            &owner,
        );
        let code = status(d, value, "statusCode", &owner);
        let parameters = pairs(d, value, "responseParameters", &owner);
        let templates = pairs(d, value, "responseTemplates", &owner);
        let handling = content_handling(d, value, &owner);
        match (code, parameters, templates, handling) {
            (
                Ok(Some(status_code)),
                Ok(response_parameters),
                Ok(response_templates),
                Ok(content_handling),
            ) => {
                out.push(IntegrationResponse {
                    status_code,
                    selection_pattern: (key.name != "default").then(|| key.name.clone()),
                    response_parameters,
                    response_templates,
                    content_handling,
                });
            }
            (Ok(None), ..) => {
                d.error(value.pos, format!("{owner} needs a statusCode"));
                failed = true;
            }
            _ => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(out) }
}

/// HTTP API `responseParameters`: integration status code to parameter mappings.
fn http_response_parameters(
    d: &mut Diags,
    node: &Node,
    owner: &str,
) -> R<Vec<ResponseParameterMapping>> {
    let owner = format!("{owner}: responseParameters");
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner} must be a mapping of status codes"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(status_code) = status_code(&key.name) else {
            return Err(d.error(
                key.pos,
                format!("{owner}: `{}` must be an HTTP status code", key.name),
            ));
        };
        let parameters = props::string_map(d, value, &format!("{owner}: {}", key.name))?
            .into_iter()
            .collect();
        out.push(ResponseParameterMapping {
            status_code,
            parameters,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::lambda_function;

    #[test]
    fn invocation_uris_name_their_function() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:Hello";
        for uri in [
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
            ),
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}:live/invocations"
            ),
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/{arn}/response-streaming-invocations"
            ),
            arn.to_string(),
        ] {
            assert_eq!(lambda_function(&uri).as_deref(), Some("Hello"), "{uri}");
        }
        assert_eq!(lambda_function("https://example.com/x"), None);
    }
}
