//! `AWS::ApiGateway::Model`, `AWS::ApiGateway::RequestValidator` and
//! `AWS::ApiGateway::Authorizer`: the parts of a REST API that its methods name by `Ref`.

use lambdagate_model::{Api, ApiKind, Authorizer, Model, RequestValidator};

use super::shared::{api_of, rest_api_of};
use crate::cfn::warn_unloaded;
use crate::diag::{Diags, R};
use crate::eval::Resource;
use crate::node::{Node, Value};
use crate::{cfn_shape, openapi, props};

/// A part of a REST API that methods name: it goes into its API under its name.
pub(super) trait Part {
    /// The name methods know it by once its `Ref` value is resolved.
    fn name(&self) -> &str;
    /// Adds it to the API it belongs to.
    fn add_to(self, api: &mut Api);
}

impl Part for Model {
    fn name(&self) -> &str {
        &self.name
    }
    fn add_to(self, api: &mut Api) {
        api.models.push(self);
    }
}

impl Part for RequestValidator {
    fn name(&self) -> &str {
        &self.name
    }
    fn add_to(self, api: &mut Api) {
        api.request_validators.push(self);
    }
}

impl Part for Authorizer {
    fn name(&self) -> &str {
        &self.name
    }
    fn add_to(self, api: &mut Api) {
        api.authorizers.push(self);
    }
}

pub(super) fn model(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    name: Option<String>,
    owner: &str,
) -> R<(usize, Model)> {
    warn_unloaded(
        d,
        props,
        &["RestApiId", "Name", "ContentType", "Schema", "Description"],
        owner,
    );
    let index = rest_api_of(d, apis, props, owner, resource.pos);
    let content_type = props::text(d, props, "ContentType", owner);
    let schema = match props.get("Schema") {
        None => Ok(serde_json::json!({})),
        Some(node) => match &node.value {
            Value::Map(_) => Ok(node.to_json()),
            // CloudFormation takes the schema as a JSON string too.
            Value::Str(text) => serde_json::from_str(text)
                .map_err(|e| d.error(node.pos, format!("{owner}: Schema is not valid JSON: {e}"))),
            _ => Err(d.error(
                node.pos,
                format!(
                    "{owner}: Schema must be a JSON schema (a mapping or a JSON string), not {}",
                    node.kind_name()
                ),
            )),
        },
    };
    let (index, content_type, schema) = (index?, content_type?, schema?);
    Ok((
        index,
        Model {
            name: name.unwrap_or_else(|| resource.logical_id.clone()),
            content_type: content_type.unwrap_or_else(|| "application/json".to_string()),
            schema,
            source: d.location(resource.pos),
        },
    ))
}

pub(super) fn validator(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<(usize, RequestValidator)> {
    warn_unloaded(
        d,
        props,
        &[
            "RestApiId",
            "Name",
            "ValidateRequestBody",
            "ValidateRequestParameters",
        ],
        owner,
    );
    let index = rest_api_of(d, apis, props, owner, resource.pos);
    let name = props::text(d, props, "Name", owner);
    let body = props::boolean(d, props, "ValidateRequestBody", owner);
    let parameters = props::boolean(d, props, "ValidateRequestParameters", owner);
    let (index, name, body, parameters) = (index?, name?, body?, parameters?);
    Ok((
        index,
        RequestValidator {
            name: name.unwrap_or_else(|| resource.logical_id.clone()),
            validate_body: body.unwrap_or(false),
            validate_parameters: parameters.unwrap_or(false),
        },
    ))
}

/// `AWS::ApiGateway::Authorizer` (`kind` Rest) or `AWS::ApiGatewayV2::Authorizer` (Http),
/// read by the OpenAPI authorizer reader. Its name is `Name`, else the logical id.
pub fn authorizer(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    kind: ApiKind,
    owner: &str,
) -> R<(usize, Authorizer)> {
    let key = match kind {
        ApiKind::Rest => "RestApiId",
        ApiKind::Http => "ApiId",
    };
    let index = api_of(d, apis, props, key, kind, owner, resource.pos);
    let name = props::text(d, props, "Name", owner);
    let (index, name) = (index?, name?);
    let name = name.unwrap_or_else(|| resource.logical_id.clone());
    if apis[index].authorizer(&name).is_some() {
        return Err(d.error(
            props.get("Name").map_or(resource.pos, |n| n.pos),
            format!(
                "{owner}: API `{}` already has an authorizer named `{name}`",
                apis[index].logical_id
            ),
        ));
    }
    let shaped = cfn_shape::authorizer(props);
    // No security scheme here: a TOKEN authorizer without IdentitySource reads Authorization.
    let scheme = Node::new(Value::Map(Vec::new()), resource.pos);
    let mut authorizer = openapi::security::authorizer_of(d, &name, &scheme, &shaped, kind, owner)?;
    authorizer.source = d.location(resource.pos);
    Ok((index, authorizer))
}
