//! `AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (explicit or implicit) into the model's
//! [`Api`], without routes (events add those).

use lambdagate_model::{Api, ApiKind, Cors, Stage, api_id_for};

use crate::diag::{R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::Node;
use crate::props;
use crate::sam::cors;

/// API properties that are read by later work and not enforced today.
const NOT_SERVED: &[&str] = &[
    "Auth",
    "DefinitionBody",
    "DefinitionUri",
    "GatewayResponses",
    "Domain",
    "CanarySetting",
    "MethodSettings",
    "AccessLogSetting",
    "AccessLogSettings",
    "CacheClusterEnabled",
    "Models",
    "DefaultRouteSettings",
    "RouteSettings",
];

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
        Ok(_definition_uri),
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
    // Settings lambdagate does not serve yet: said once at load, never dropped silently (a
    // protected route that quietly answers 200 is the worst outcome).
    for key in NOT_SERVED {
        if let Some(node) = props.get(key) {
            ev.diags.warn(
                node.pos,
                format!("{owner}: {key} is not served yet; requests are answered without it"),
            );
        }
    }
    Ok(Api {
        logical_id: resource.logical_id.clone(),
        api_id: api_id_for(&resource.logical_id),
        kind,
        name,
        implicit: resource.implicit,
        stages: vec![Stage {
            variables,
            ..Stage::named(stage_name, ev.diags.location(resource.pos))
        }],
        cors,
        binary_media_types,
        routes: Vec::new(),
        description: None,
        minimum_compression_size: None,
        api_key_source: Default::default(),
        disable_execute_api_endpoint: false,
        authorizers: Vec::new(),
        models: Vec::new(),
        request_validators: Vec::new(),
        default_validator: None,
        gateway_responses: Vec::new(),
        source: ev.diags.location(resource.pos),
    })
}
