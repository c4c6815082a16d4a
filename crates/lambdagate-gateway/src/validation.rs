//! Request validation (REST), compiled once at load: each method's required parameters and
//! its body models as JSON Schema draft 4 validators, with `$ref`s between the API's models
//! resolved locally (never over the network).

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::{Retrieve, Uri, Validator};
use lambdagate_model::{Api, ParameterLocation, Route};
use serde_json::Value;

/// The built-in `Empty` model, used when a body is validated and no model applies.
fn empty_model() -> Value {
    serde_json::json!({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema", "type": "object"})
}

/// What a method's validator checks.
#[derive(Debug)]
pub struct Validation {
    /// Required parameters, in AWS's order (header, path, query string; by name within each).
    pub required: Vec<(ParameterLocation, String)>,
    /// Body models by content type (lower-case), when the body is validated.
    pub body: Option<Vec<(String, BodyModel)>>,
}

/// A compiled model, or why it could not be compiled.
pub type BodyModel = Result<Arc<Validator>, String>;

/// A model name as a URL of the API's models, as AWS writes `$ref`s between models.
fn model_url(api_id: &str, name: &str) -> String {
    format!("https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}")
}

/// Rewrites OpenAPI-style `$ref`s (`#/definitions/X`, `#/components/schemas/X`) that do not
/// point into the schema itself into model URLs, so every reference goes through
/// [`ModelRetriever`].
fn rewrite_refs(value: &mut Value, own: &Value, api_id: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                for prefix in ["#/definitions/", "#/components/schemas/"] {
                    if let Some(name) = target.strip_prefix(prefix) {
                        let local = own.pointer(&target[1..]).is_some();
                        if !local {
                            *target = model_url(api_id, name);
                        }
                        break;
                    }
                }
            }
            for child in map.values_mut() {
                rewrite_refs(child, own, api_id);
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, own, api_id);
            }
        }
        _ => {}
    }
}

/// Answers `$ref`s to `…/models/{Name}` from the API's own models; anything else is refused.
struct ModelRetriever {
    models: Arc<HashMap<String, Value>>,
}

impl Retrieve for ModelRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let name = path
            .rsplit_once("/models/")
            .map(|(_, name)| name)
            .ok_or_else(|| format!("`{uri}` is not a model of this API (only models are resolved, never over the network)"))?;
        self.models.get(name).cloned().ok_or_else(|| {
            format!("`{uri}` names model `{name}`, which the API does not define").into()
        })
    }
}

/// The API's models compiled on demand, each once.
pub struct Models {
    schemas: Arc<HashMap<String, Value>>,
    compiled: HashMap<String, BodyModel>,
}

impl Models {
    /// The models of `api`, with their `$ref`s rewritten to model URLs.
    pub fn new(api: &Api) -> Models {
        let schemas = api
            .models
            .iter()
            .map(|m| {
                let mut schema = m.schema.clone();
                let own = m.schema.clone();
                rewrite_refs(&mut schema, &own, &api.api_id);
                (m.name.clone(), schema)
            })
            .collect();
        Models {
            schemas: Arc::new(schemas),
            compiled: HashMap::new(),
        }
    }

    /// The validator of model `name` (compiled the first time it is asked for).
    pub fn get(&mut self, name: &str) -> BodyModel {
        if let Some(done) = self.compiled.get(name) {
            return done.clone();
        }
        let result = match (self.schemas.get(name), name) {
            (Some(schema), _) => self.build(schema),
            (None, "Empty") => self.build(&empty_model()),
            (None, _) => Err(format!("model `{name}` is not defined")),
        };
        self.compiled.insert(name.to_string(), result.clone());
        result
    }

    fn build(&self, schema: &Value) -> BodyModel {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .with_retriever(ModelRetriever {
                models: self.schemas.clone(),
            })
            .build(schema)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }
}

/// The validation a route asks for, if any: its validator (or the API's default) decides
/// what is checked. `None` when nothing is.
pub fn compile_route(api: &Api, route: &Route, models: &mut Models) -> Option<Validation> {
    let name = route
        .request_validator
        .as_deref()
        .or(api.default_validator.as_deref())?;
    let validator = api.request_validators.iter().find(|v| v.name == name)?;
    let mut required: Vec<(ParameterLocation, String)> = Vec::new();
    if validator.validate_parameters {
        required = route
            .request_parameters
            .iter()
            .filter(|p| p.required)
            .map(|p| (p.location, p.name.clone()))
            .collect();
        // AWS lists them sorted by their full key: `method.request.header.*` before
        // `method.request.path.*` before `method.request.querystring.*`.
        required.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
        required.dedup();
    }
    let body = validator.validate_body.then(|| {
        route
            .request_models
            .iter()
            .map(|(content_type, model)| (content_type.to_ascii_lowercase(), models.get(model)))
            .collect::<Vec<_>>()
    });
    if required.is_empty() && body.is_none() {
        return None;
    }
    Some(Validation { required, body })
}

/// Why a request failed validation.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Required parameters are missing or blank (names in AWS's order).
    Parameters(Vec<String>),
    /// The body does not match its model (what is wrong, for `validationErrorString`).
    Body(String),
    /// The body's model could not be compiled (said at startup).
    Model(String),
}

/// The deepest JSON a body may nest before validation refuses it (serde_json's own limit is
/// 128; this keeps the schema walk shallow too).
const MAX_DEPTH: usize = 128;

impl Validation {
    /// Checks a request: `present` tells whether a required parameter has a non-blank value;
    /// `content_type` is the request's media type; `body` its bytes.
    pub fn check(
        &self,
        present: impl Fn(ParameterLocation, &str) -> bool,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), Invalid> {
        let missing: Vec<String> = self
            .required
            .iter()
            .filter(|(location, name)| !present(*location, name))
            .map(|(_, name)| name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(Invalid::Parameters(missing));
        }
        let Some(models) = &self.body else {
            return Ok(());
        };
        let media = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty());
        let chosen = media
            .as_deref()
            .and_then(|m| models.iter().find(|(ct, _)| ct == m))
            .or_else(|| models.iter().find(|(ct, _)| ct == "$default"))
            .or_else(|| {
                // No Content-Type: the JSON model, as API Gateway assumes JSON.
                media
                    .is_none()
                    .then(|| models.iter().find(|(ct, _)| ct == "application/json"))
                    .flatten()
            });
        let validator = match chosen {
            Some((_, Ok(v))) => v.clone(),
            Some((_, Err(why))) => return Err(Invalid::Model(why.clone())),
            None => {
                let json = media
                    .as_deref()
                    .is_none_or(|m| m == "application/json" || m.ends_with("+json"));
                if !json {
                    return Ok(());
                }
                match empty_validator() {
                    Some(v) => v,
                    None => return Ok(()),
                }
            }
        };
        // An empty body is validated as `{}`, as API Gateway does.
        let text = if body.iter().all(u8::is_ascii_whitespace) {
            &b"{}"[..]
        } else {
            body
        };
        let value: Value = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => return Err(Invalid::Body(format!("[Invalid JSON: {e}]"))),
        };
        if depth(&value) > MAX_DEPTH {
            return Err(Invalid::Body(format!(
                "[the body nests deeper than {MAX_DEPTH} levels]"
            )));
        }
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(10)
            .map(|e| e.to_string())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid::Body(format!("[{}]", errors.join(", "))))
        }
    }
}

/// The `Empty` model, compiled once per process.
fn empty_validator() -> Option<Arc<Validator>> {
    static EMPTY: std::sync::OnceLock<Option<Arc<Validator>>> = std::sync::OnceLock::new();
    EMPTY
        .get_or_init(|| jsonschema::draft4::new(&empty_model()).ok().map(Arc::new))
        .clone()
}

/// How deep a value nests, without recursion (serde_json already bounds parsing depth).
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdagate_model::{ApiKind, Model, RequestValidator, SourceLocation, Stage};
    use serde_json::json;

    fn api_with(models: Vec<(&str, Value)>) -> Api {
        let mut api = Api::new(
            "Api",
            ApiKind::Rest,
            Stage::named("dev", SourceLocation::default()),
        );
        api.models = models
            .into_iter()
            .map(|(name, schema)| Model {
                name: name.into(),
                content_type: "application/json".into(),
                schema,
                source: SourceLocation::default(),
            })
            .collect();
        api.request_validators.push(RequestValidator {
            name: "all".into(),
            validate_body: true,
            validate_parameters: true,
        });
        api
    }

    #[test]
    fn refs_between_models_resolve_locally() {
        let api = api_with(vec![
            (
                "Pet",
                json!({"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}),
            ),
            (
                "Pets",
                json!({"type": "array", "items": {"$ref": "#/definitions/Pet"}}),
            ),
            (
                "ByUrl",
                json!({"type": "object", "properties": {"status": {"oneOf": [{"type": "null"}, {"$ref": "https://apigateway.amazonaws.com/restapis/x/models/Pet"}]}}, "required": ["status"]}),
            ),
        ]);
        let mut models = Models::new(&api);
        let pets = models.get("Pets").unwrap();
        assert!(pets.is_valid(&json!([{"a": 1}])));
        assert!(!pets.is_valid(&json!([{"b": 1}])));
        let by_url = models.get("ByUrl").unwrap();
        assert!(by_url.is_valid(&json!({"status": null})));
        assert!(by_url.is_valid(&json!({"status": {"a": 2}})));
        assert!(!by_url.is_valid(&json!({"status": {"a": "x"}})));
        assert!(!by_url.is_valid(&json!({})));
    }

    #[test]
    fn unknown_refs_and_bad_schemas_fail_at_load() {
        let api = api_with(vec![
            (
                "Dangling",
                json!({"$ref": "https://example.com/schema.json"}),
            ),
            ("Broken", json!({"type": 12})),
        ]);
        let mut models = Models::new(&api);
        assert!(models.get("Dangling").is_err());
        assert!(models.get("Broken").is_err());
        assert!(models.get("Nope").is_err());
    }

    #[test]
    fn bodies_are_bounded_and_parsed_safely() {
        let api = api_with(vec![("Any", json!({}))]);
        let mut models = Models::new(&api);
        let v = Validation {
            required: Vec::new(),
            body: Some(vec![("application/json".into(), models.get("Any"))]),
        };
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(matches!(
            v.check(|_, _| true, Some("application/json"), deep.as_bytes()),
            Err(Invalid::Body(_))
        ));
        assert!(matches!(
            v.check(|_, _| true, None, b"not json"),
            Err(Invalid::Body(_))
        ));
        assert_eq!(v.check(|_, _| true, None, b""), Ok(()));
        // A content type without a model and not JSON is not validated.
        assert_eq!(v.check(|_, _| true, Some("text/plain"), b"hello"), Ok(()));
    }
}
