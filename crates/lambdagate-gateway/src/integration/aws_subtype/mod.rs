//! HTTP API first-class AWS integrations (`AWS_PROXY` with an `IntegrationSubtype`: SQS,
//! Step Functions, EventBridge, Kinesis, AppConfig): the route's `RequestParameters` become the
//! service request, signed and sent as [`super::aws_service`] sends REST service integrations.
//!
//! As on AWS: a required parameter missing, or an unknown subtype, fails the deployment (here:
//! a startup warning and a route that answers 500); a parameter that evaluates to nothing for a
//! request is answered 400; a service error is answered 500 (the service's own answer goes to
//! the log, not to the client); a successful answer is passed back with its status, content
//! type and body.

mod table;

use std::time::Duration;

use bytes::Bytes;
use lambdagate_model::{Integration as ModelIntegration, ResponseType};

use lambdagate_auth::sigv4::Credentials;

use super::aws_service::{
    Signing, encode, endpoint_env_id, endpoint_for, no_endpoint, send_signed, settings,
    signing_credentials,
};
use super::http_params;
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::responses::error::GatewayError;
use table::{Param, Protocol, Shape, Subtype};

/// An HTTP API first-class AWS service integration (`AWS_PROXY` with an `IntegrationSubtype`),
/// compiled.
#[derive(Debug, Clone)]
pub struct AwsSubtype {
    name: String,
    subtype: Subtype,
    /// `RequestParameters` the subtype takes, with their values.
    parameters: Vec<(Param, http_params::Value)>,
    /// `Region`, else the environment's region.
    region: Option<http_params::Value>,
    default_region: String,
    endpoint: Option<String>,
    credentials: Credentials,
    timeout: Duration,
}

impl AwsSubtype {
    /// Compiles the integration, reading the endpoint and credentials from the environment;
    /// `Err` when the subtype is not one lambdagate serves or a required parameter is missing
    /// (AWS refuses such an integration). Unknown parameters and a missing endpoint are pushed
    /// to `warnings`.
    pub fn compile(
        integration: &ModelIntegration,
        timeout: Duration,
        warnings: &mut Vec<String>,
    ) -> Result<AwsSubtype, String> {
        Self::compile_with(integration, timeout, &settings, warnings)
    }

    fn compile_with(
        integration: &ModelIntegration,
        timeout: Duration,
        var: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Result<AwsSubtype, String> {
        let name = integration.subtype.clone().unwrap_or_default();
        let Some(subtype) = table::subtype(&name) else {
            return Err(format!(
                "the integration subtype `{name}` is not served by lambdagate"
            ));
        };
        let mut parameters: Vec<(Param, http_params::Value)> = Vec::new();
        let mut region = None;
        for (key, value) in &integration.request_parameters {
            let value = http_params::Value::parse(value);
            if key == "Region" {
                region = Some(value);
                continue;
            }
            match subtype.params.iter().find(|p| p.name == key) {
                Some(param) => parameters.push((*param, value)),
                None => warnings.push(format!(
                    "the {name} integration does not take the parameter `{key}`; it is ignored"
                )),
            }
        }
        let missing: Vec<&str> = subtype
            .params
            .iter()
            .filter(|p| p.required && !parameters.iter().any(|(q, _)| q.name == p.name))
            .map(|p| p.name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the {name} integration needs the parameter{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ));
        }
        let service = subtype.service;
        let endpoint = endpoint_for(service, var);
        if endpoint.is_none() {
            warnings.push(format!(
                "the {service} service integration has no local endpoint (set \
                 AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_{}); calls would go to real AWS, so the \
                 route answers 500",
                endpoint_env_id(service)
            ));
        }
        Ok(AwsSubtype {
            name,
            subtype,
            parameters,
            region,
            default_region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string()),
            endpoint,
            credentials: signing_credentials(var),
            timeout,
        })
    }

    /// What the route table shows for it.
    pub fn describe(&self) -> String {
        format!(
            "{} (AWS, {})",
            self.name,
            self.endpoint.as_deref().unwrap_or("no endpoint")
        )
    }
}

/// The request a subtype's parameters make.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServiceRequest {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: String,
}

/// Why a request's parameters make no service request; answered 400.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BadParameter(String);

/// The path of a queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` → `/ACCOUNT/NAME`).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].split('?').next().unwrap_or("/").to_string(),
        None => "/".to_string(),
    }
}

/// A list parameter: a JSON array of strings, else names separated by commas.
fn names(param: &Param, value: &str) -> Result<Vec<String>, BadParameter> {
    let value = value.trim();
    if value.starts_with('[') {
        let bad = || BadParameter(format!("{} is not a JSON array of strings", param.name));
        let items: Vec<serde_json::Value> = serde_json::from_str(value).map_err(|_| bad())?;
        return items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect();
    }
    Ok(value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// SQS message attributes (`{"Name": {"DataType": "String", "StringValue": "v"}}`) as query
/// pairs `STEM.N.Name`, `STEM.N.Value.DataType`, `STEM.N.Value.StringValue|BinaryValue`.
fn attribute_pairs(param: &Param, value: &str) -> Result<Vec<(String, String)>, BadParameter> {
    let bad = |why: &str| BadParameter(format!("{}: {why}", param.name));
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value)
        .map_err(|_| bad("not a JSON object of attribute names to values"))?;
    // In name order, whether or not the JSON map keeps the order it was written in.
    let mut attributes: Vec<(&String, &serde_json::Value)> = map.iter().collect();
    attributes.sort_by(|a, b| a.0.cmp(b.0));
    let mut pairs = Vec::new();
    for (i, (name, attribute)) in attributes.into_iter().enumerate() {
        let n = i + 1;
        let stem = param.key;
        let serde_json::Value::Object(fields) = attribute else {
            return Err(bad(&format!("the value of `{name}` is not an object")));
        };
        pairs.push((format!("{stem}.{n}.Name"), name.clone()));
        for field in ["DataType", "StringValue", "BinaryValue"] {
            let text = match fields.get(field) {
                None | Some(serde_json::Value::Null) => continue,
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    v.to_string()
                }
                Some(_) => return Err(bad(&format!("`{name}.{field}` is not text"))),
            };
            pairs.push((format!("{stem}.{n}.Value.{field}"), text));
        }
    }
    Ok(pairs)
}

/// The service request for a subtype and its evaluated parameters.
fn build(subtype: &Subtype, values: &[(Param, String)]) -> Result<ServiceRequest, BadParameter> {
    let value_of = |key: &str| {
        values
            .iter()
            .find(|(p, _)| p.key == key)
            .map(|(_, v)| v.as_str())
    };
    match subtype.protocol {
        Protocol::Sqs(action) => {
            let queue_url = value_of("QueueUrl").unwrap_or_default();
            let mut form = vec![
                ("Action".to_string(), action.to_string()),
                ("Version".to_string(), "2012-11-05".to_string()),
            ];
            for (param, value) in values {
                match param.shape {
                    Shape::Text => form.push((param.key.to_string(), value.clone())),
                    Shape::List => form.extend(
                        names(param, value)?
                            .into_iter()
                            .enumerate()
                            .map(|(i, name)| (format!("{}.{}", param.key, i + 1), name)),
                    ),
                    Shape::Attributes => form.extend(attribute_pairs(param, value)?),
                }
            }
            let body = form
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            Ok(ServiceRequest {
                method: "POST",
                path: url_path(queue_url),
                query: Vec::new(),
                headers: vec![(
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                )],
                body,
            })
        }
        Protocol::Json {
            target,
            content_type,
            entries,
        } => {
            let mut object = serde_json::Map::new();
            for (param, value) in values {
                let json = match param.shape {
                    Shape::List => serde_json::Value::from(names(param, value)?),
                    Shape::Text | Shape::Attributes => serde_json::Value::String(value.clone()),
                };
                object.insert(param.key.to_string(), json);
            }
            let document = if entries {
                serde_json::json!({ "Entries": [object] })
            } else {
                serde_json::Value::Object(object)
            };
            Ok(ServiceRequest {
                method: "POST",
                path: "/".to_string(),
                query: Vec::new(),
                headers: vec![
                    ("content-type".to_string(), content_type.to_string()),
                    ("x-amz-target".to_string(), target.to_string()),
                ],
                body: document.to_string(),
            })
        }
        Protocol::AppConfig => {
            let segment = |key: &str| encode(value_of(key).unwrap_or_default());
            let path = format!(
                "/applications/{}/environments/{}/configurations/{}",
                segment("Application"),
                segment("Environment"),
                segment("Configuration")
            );
            let query = ["client_id", "client_configuration_version"]
                .iter()
                .filter_map(|key| value_of(key).map(|v| (key.to_string(), v.to_string())))
                .collect();
            Ok(ServiceRequest {
                method: "GET",
                path,
                query,
                headers: Vec::new(),
                body: String::new(),
            })
        }
    }
}

impl Integration for AwsSubtype {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        let Some(endpoint) = &self.endpoint else {
            return Err(no_endpoint(self.subtype.service));
        };
        let bad_request = |why: String| {
            GatewayError::new(ResponseType::BadRequestParameters)
                .with_detail(format!("{}: {why}", self.name))
        };
        let source = |reference: &str| http_params::request_value(cx, reference);
        // A parameter that evaluates to nothing (or to empty text) for this request makes no
        // service call: AWS answers 400, whether the parameter is required or not.
        let evaluate = |name: &str, value: &http_params::Value| {
            value
                .eval(&source)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad_request(format!("the parameter {name} has no value")))
        };
        let mut values = Vec::with_capacity(self.parameters.len());
        for (param, value) in &self.parameters {
            values.push((*param, evaluate(param.name, value)?));
        }
        let region = match &self.region {
            Some(value) => evaluate("Region", value)?,
            None => self.default_region.clone(),
        };
        let request =
            build(&self.subtype, &values).map_err(|BadParameter(why)| bad_request(why))?;
        let response = send_signed(
            &Signing {
                endpoint,
                credentials: &self.credentials,
                region: &region,
                service: self.subtype.service,
                timeout: self.timeout,
            },
            request.method,
            &request.path,
            &request.query,
            request.headers,
            Bytes::from(request.body),
            r.time.epoch_ms,
        )
        .await?;
        if !(200..300).contains(&response.status) {
            // AWS answers a failed service call with its own 500; what the service said is
            // kept for the log.
            return Err(
                GatewayError::new(ResponseType::IntegrationFailure).with_detail(format!(
                    "{}: the {} service answered {}: {}",
                    self.name,
                    self.subtype.service,
                    response.status,
                    String::from_utf8_lossy(&response.body[..response.body.len().min(1024)])
                )),
            );
        }
        // The service's answer is passed on: its status, type and body.
        let headers = response
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .cloned()
            .collect();
        Ok(IntegrationOutput {
            status: response.status,
            headers,
            body: response.body,
            traced: false,
        })
    }
}

#[cfg(test)]
mod tests;
