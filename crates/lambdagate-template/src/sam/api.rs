//! `AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (explicit or implicit) into the model's
//! [`Api`], without routes (events add those).

use lambdagate_model::{Api, ApiKind, Cors, Stage, api_id_for};

use crate::diag::{R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;
use crate::sam::cors;

/// Builds one API from its resolved properties.
pub fn build(ev: &mut Evaluator<'_>, resource: &Resource, props: &Node) -> R<Api> {
    let kind = if resource.kind == "AWS::Serverless::HttpApi" {
        ApiKind::Http
    } else {
        ApiKind::Rest
    };
    let owner = format!("API `{}`", resource.logical_id);
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
    let variables_key = match kind {
        ApiKind::Rest => "Variables",
        ApiKind::Http => "StageVariables",
    };
    let variables = match props.get(variables_key) {
        Some(node) => props::string_map(d, node, &format!("{owner}: {variables_key}")),
        None => Ok(Default::default()),
    };
    let cors = match (kind, props.get("Cors"), props.get("CorsConfiguration")) {
        (ApiKind::Rest, Some(node), _) => cors::rest(d, node, &owner).map(|c| Some(Cors::Rest(c))),
        (ApiKind::Http, _, Some(node)) => cors::http(d, node, &owner).map(|c| c.map(Cors::Http)),
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
        Ok(stage_name),
        Ok(variables),
        Ok(cors),
        Ok(binary_media_types),
        Ok(name),
        Ok(definition_uri),
    ) = (
        stage_name,
        variables,
        cors,
        binary_media_types,
        name,
        definition_uri,
    )
    else {
        return Err(Reported);
    };
    Ok(Api {
        logical_id: resource.logical_id.clone(),
        api_id: api_id_for(&resource.logical_id),
        kind,
        name,
        implicit: resource.implicit,
        stages: vec![Stage {
            name: stage_name,
            variables,
        }],
        cors,
        binary_media_types,
        routes: Vec::new(),
        auth: props.get("Auth").map(Node::to_json),
        definition_body: props.get("DefinitionBody").map(Node::to_json),
        definition_uri,
        source: ev.diags.location(resource.pos),
    })
}
