//! `AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (explicit or implicit) into the model's
//! [`Api`], without routes (its OpenAPI definition and events add those).

use lambdagate_model::{Api, ApiKind, Cors, Model, Stage};

use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;
use crate::sam::auth::{self, ApiAuth};
use crate::sam::cors;
use crate::settings;

/// Builds one API from its resolved properties, with what its `Auth` says about its routes.
pub fn build(
    ev: &mut Evaluator<'_>,
    resource: &Resource,
    props: &Node,
) -> R<(Api, Option<ApiAuth>)> {
    let kind = if resource.kind == "AWS::Serverless::HttpApi" {
        ApiKind::Http
    } else {
        ApiKind::Rest
    };
    let owner = format!("API `{}`", resource.logical_id);
    let strict = ev.strict;
    let d = &mut ev.diags;
    let stage_name = match (kind, resource.implicit) {
        // SAM always names the implicit REST API's stage Prod.
        (ApiKind::Rest, true) => Ok(Some("Prod".to_string())),
        _ => props::text(d, props, "StageName", &owner),
    };
    let stage_name = match (stage_name, kind) {
        (Ok(Some(name)), _) => Ok(name),
        (Ok(None), ApiKind::Http) => Ok("$default".to_string()),
        (Ok(None), ApiKind::Rest) => Err(d.error(
            resource.pos,
            format!("{owner}: AWS::Serverless::Api needs a StageName (such as Prod)"),
        )),
        (Err(e), _) => Err(e),
    };
    let location = d.location(resource.pos);
    let stage = stage_name.and_then(|name| {
        let mut stage = Stage::named(name, location.clone());
        settings::fill_stage(d, props, kind, &owner, &mut stage).map(|()| stage)
    });
    let cors = match (kind, props.get("Cors"), props.get("CorsConfiguration")) {
        (ApiKind::Rest, Some(node), _) => cors::rest(d, node, &owner).map(|c| Some(Cors::Rest(c))),
        (ApiKind::Http, _, Some(node)) => {
            cors::http(d, node, &owner, strict).map(|c| c.map(Cors::Http))
        }
        _ => Ok(None),
    };
    let binary_media_types = props::strings(d, props, "BinaryMediaTypes", &owner).map(|types| {
        types
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.replace("~1", "/"))
            .collect::<Vec<_>>()
    });
    let name = props::text(d, props, "Name", &owner);
    let description = props::text(d, props, "Description", &owner);
    let compression = props::number(d, props, "MinimumCompressionSize", &owner, 0..=10_485_760);
    let key_source = props::api_key_source(d, props, resource.pos, &owner);
    let disable_endpoint = props::boolean(d, props, "DisableExecuteApiEndpoint", &owner);
    let models = match props.get("Models") {
        Some(node) => models(d, node, &owner),
        None => Ok(Vec::new()),
    };
    let gateway_responses = match props.get("GatewayResponses") {
        Some(node) => settings::sam_gateway_responses(d, node, &owner),
        None => Ok(Vec::new()),
    };
    let auth = match props.get("Auth") {
        Some(node) => auth::read(d, node, kind, &owner).map(Some),
        None => Ok(None),
    };
    let definition_uri = match props.get("DefinitionUri") {
        None => Ok(None),
        Some(node) => match node.as_str() {
            Some(uri) => Ok(Some(uri.to_string())),
            None => Err(d.error(
                node.pos,
                format!("{owner}: DefinitionUri must be a local file path; S3 locations are not available locally"),
            )),
        },
    };
    let (
        Ok(stage),
        Ok(cors),
        Ok(binary_media_types),
        Ok(name),
        Ok(description),
        Ok(minimum_compression_size),
        Ok(api_key_source),
        Ok(disable_execute_api_endpoint),
        Ok(models),
        Ok(gateway_responses),
        Ok(auth),
        Ok(_definition_uri),
    ) = (
        stage,
        cors,
        binary_media_types,
        name,
        description,
        compression,
        key_source,
        disable_endpoint,
        models,
        gateway_responses,
        auth,
        definition_uri,
    )
    else {
        return Err(Reported);
    };
    let (authorizers, auth) = match auth {
        Some((authorizers, auth)) => (authorizers, Some(auth)),
        None => (Vec::new(), None),
    };
    let api = Api {
        authorizers,
        description,
        minimum_compression_size,
        api_key_source,
        disable_execute_api_endpoint: disable_execute_api_endpoint.unwrap_or(false),
        models,
        gateway_responses,
        name,
        implicit: resource.implicit,
        cors,
        binary_media_types,
        source: location,
        ..Api::new(resource.logical_id.clone(), kind, stage)
    };
    Ok((api, auth))
}

/// SAM `Models`: model name to JSON schema (kept as JSON for the validator).
fn models(d: &mut Diags, node: &Node, owner: &str) -> R<Vec<Model>> {
    let Some(entries) = node.as_map() else {
        return Err(d.error(
            node.pos,
            format!("{owner}: Models must be a mapping of model names to JSON schemas"),
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (key, schema) in entries {
        if schema.as_map().is_none() {
            d.error(
                schema.pos,
                format!(
                    "{owner}: model `{}` must be a JSON schema (a mapping), not {}",
                    key.name,
                    schema.kind_name()
                ),
            );
            failed = true;
            continue;
        }
        out.push(Model {
            name: key.name.clone(),
            content_type: "application/json".to_string(),
            schema: schema.to_json(),
            source: d.location(key.pos),
        });
    }
    if failed { Err(Reported) } else { Ok(out) }
}
