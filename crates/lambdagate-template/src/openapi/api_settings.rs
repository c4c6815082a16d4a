//! API-wide settings of the document: `x-amazon-apigateway-cors`, minimum compression size,
//! endpoint configuration, binary media types, API key source, request validators, gateway
//! responses, and the models (`definitions` / `components.schemas`).

use lambdagate_model::{
    Api, ApiKeySource, ApiKind, Cors, GatewayResponse, HttpCors, Model, RequestValidator,
};

use super::integration::{pairs, status};
use crate::diag::{Diags, R, Reported};
use crate::node::{Node, Value};
use crate::{props, settings};

/// `definitions` / `components.schemas` as the API's models (JSON schemas kept as written).
pub(super) fn models(d: &mut Diags, doc: &Node, v3: bool, api: &mut Api, owner: &str) -> R<()> {
    let node = if v3 {
        doc.get("components").and_then(|c| c.get("schemas"))
    } else {
        doc.get("definitions")
    };
    let Some(node) = node else {
        return Ok(());
    };
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner}: schemas must be a mapping of model names"),
        ));
    };
    for (key, schema) in entries {
        if api.models.iter().any(|m| m.name == key.name) {
            continue;
        }
        api.models.push(Model {
            name: key.name.clone(),
            content_type: "application/json".to_string(),
            schema: schema.to_json(),
            source: d.location(key.pos),
        });
    }
    Ok(())
}

/// `x-amazon-apigateway-cors` (HTTP APIs), `x-amazon-apigateway-minimum-compression-size` and
/// `x-amazon-apigateway-endpoint-configuration`. SAM's own properties (`CorsConfiguration`,
/// `MinimumCompressionSize`, `DisableExecuteApiEndpoint`) win over the document's, as SAM
/// writes them over the document.
pub(super) fn api_settings(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    if let Some(node) = doc.get("x-amazon-apigateway-cors") {
        let owner = format!("{owner}: x-amazon-apigateway-cors");
        if api.kind == ApiKind::Rest {
            d.warn(
                node.pos,
                format!("{owner} applies to HTTP APIs only; REST APIs answer CORS from their OPTIONS methods"),
            );
        } else if api.cors.is_none() {
            let keys = [
                "allowOrigins",
                "allowMethods",
                "allowHeaders",
                "exposeHeaders",
                "maxAge",
                "allowCredentials",
            ];
            crate::cfn::warn_unloaded(d, node, &keys, &owner);
            let list = |d: &mut Diags, key: &str| -> R<Vec<String>> {
                Ok(props::strings(d, node, key, &owner)?.unwrap_or_default())
            };
            let cors = HttpCors {
                allow_origins: list(d, "allowOrigins")?,
                allow_methods: list(d, "allowMethods")?
                    .into_iter()
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
                allow_headers: list(d, "allowHeaders")?,
                expose_headers: list(d, "exposeHeaders")?,
                max_age: props::number(d, node, "maxAge", &owner, 0..=86400)?,
                allow_credentials: props::boolean(d, node, "allowCredentials", &owner)?
                    .unwrap_or(false),
            };
            api.cors = Some(Cors::Http(cors));
        }
    }
    let key = "x-amazon-apigateway-minimum-compression-size";
    let size = props::number(d, doc, key, owner, 0..=10_485_760)?;
    if api.minimum_compression_size.is_none() {
        api.minimum_compression_size = size;
    }
    if let Some(node) = doc.get("x-amazon-apigateway-endpoint-configuration") {
        let owner = format!("{owner}: x-amazon-apigateway-endpoint-configuration");
        // The endpoint type only matters to AWS's network; every API is served locally alike.
        crate::cfn::warn_unloaded(d, node, &["disableExecuteApiEndpoint", "types"], &owner);
        if props::boolean(d, node, "disableExecuteApiEndpoint", &owner)? == Some(true) {
            api.disable_execute_api_endpoint = true;
        }
    }
    Ok(())
}

/// `x-amazon-apigateway-binary-media-types`.
pub(super) fn binary_media_types(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-binary-media-types";
    for t in props::strings(d, doc, key, owner)?.unwrap_or_default() {
        let t = t.replace("~1", "/");
        if !api.binary_media_types.contains(&t) {
            api.binary_media_types.push(t);
        }
    }
    Ok(())
}

/// `x-amazon-apigateway-api-key-source`: HEADER or AUTHORIZER.
pub(super) fn api_key_source(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-api-key-source";
    match props::text(d, doc, key, owner)?.as_deref() {
        None => Ok(()),
        Some("HEADER") => {
            api.api_key_source = ApiKeySource::Header;
            Ok(())
        }
        Some("AUTHORIZER") => {
            api.api_key_source = ApiKeySource::Authorizer;
            Ok(())
        }
        Some(other) => Err(d.error(
            doc.get(key).map_or(doc.pos, |n| n.pos),
            format!("{owner}: {key} `{other}` must be HEADER or AUTHORIZER"),
        )),
    }
}

/// `x-amazon-apigateway-request-validators` and the document's default validator.
pub(super) fn validators(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-request-validators";
    if let Some(entries) = props::map(d, doc, key, owner)? {
        for (name, value) in entries {
            let owner = format!("{owner}: {key}: `{}`", name.name);
            crate::cfn::warn_unloaded(
                d,
                value,
                &["validateRequestBody", "validateRequestParameters"],
                &owner,
            );
            let body = props::boolean(d, value, "validateRequestBody", &owner)?;
            let parameters = props::boolean(d, value, "validateRequestParameters", &owner)?;
            api.request_validators.retain(|v| v.name != name.name);
            api.request_validators.push(RequestValidator {
                name: name.name.clone(),
                validate_body: body.unwrap_or(false),
                validate_parameters: parameters.unwrap_or(false),
            });
        }
    }
    if let Some(node) = doc.get("x-amazon-apigateway-request-validator") {
        api.default_validator = Some(validator_name(d, node, api, owner)?);
    }
    Ok(())
}

/// A validator named by `x-amazon-apigateway-request-validator`; it must be defined.
pub(super) fn validator_name(d: &mut Diags, node: &Node, api: &Api, owner: &str) -> R<String> {
    let Some(name) = node.as_str() else {
        return Err(d.error(
            node.pos,
            format!("{owner}: x-amazon-apigateway-request-validator must be a validator's name"),
        ));
    };
    if api.request_validators.iter().any(|v| v.name == name) {
        Ok(name.to_string())
    } else {
        Err(d.error(
            node.pos,
            format!("{owner}: request validator `{name}` is not in x-amazon-apigateway-request-validators"),
        ))
    }
}

/// `x-amazon-apigateway-gateway-responses`: `{TYPE: {statusCode, responseParameters,
/// responseTemplates}}` with AWS's `gatewayresponse.*` keys. SAM writes its `GatewayResponses`
/// over the document's, so a type SAM customizes keeps SAM's settings.
pub(super) fn gateway_responses(d: &mut Diags, doc: &Node, api: &mut Api, owner: &str) -> R<()> {
    let key = "x-amazon-apigateway-gateway-responses";
    let Some(entries) = props::map(d, doc, key, owner)? else {
        return Ok(());
    };
    let owner = format!("{owner}: {key}");
    let mut failed = false;
    for (name, value) in entries {
        let response_type = settings::response_type(d, &name.name, name.pos, &owner);
        let owner = format!("{owner}: {}", name.name);
        let empty = Node::new(Value::Map(Vec::new()), value.pos);
        let value = if matches!(value.value, Value::Null) {
            &empty
        } else {
            value
        };
        if value.as_map().is_none() {
            d.error(value.pos, format!("{owner} must be a mapping"));
            failed = true;
            continue;
        }
        crate::cfn::warn_unloaded(
            d,
            value,
            &["statusCode", "responseParameters", "responseTemplates"],
            &owner,
        );
        let status_code = status(d, value, "statusCode", &owner);
        let parameters = pairs(d, value, "responseParameters", &owner);
        let templates = pairs(d, value, "responseTemplates", &owner);
        let (Ok(response_type), Ok(status_code), Ok(response_parameters), Ok(response_templates)) =
            (response_type, status_code, parameters, templates)
        else {
            failed = true;
            continue;
        };
        if api
            .gateway_responses
            .iter()
            .any(|r| r.response_type == response_type)
        {
            continue;
        }
        api.gateway_responses.push(GatewayResponse {
            response_type,
            status_code,
            response_parameters,
            response_templates,
            source: d.location(name.pos),
        });
    }
    if failed { Err(Reported) } else { Ok(()) }
}
