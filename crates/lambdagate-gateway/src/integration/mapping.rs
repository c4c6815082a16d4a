//! Request and response mapping for the non-proxy integrations (mock, Lambda custom, HTTP, AWS):
//! parameter mapping, template selection, passthrough, integration-response selection, response
//! parameters and templates. Written once here and shared by every non-proxy kind.
//!
//! Templates are parsed once, when the API is compiled ([`RequestMapping::compile`],
//! [`ResponseMapping::compile`]); a template that does not parse makes the route answer 500, as
//! API Gateway refuses to deploy it.

use base64::Engine;
use bytes::Bytes;
use lambdagate_model::{
    ContentHandling, Integration as ModelIntegration, IntegrationResponse, PassthroughBehavior,
    ResponseType,
};
use lambdagate_vtl::Template;

use super::IntegrationOutput;
use super::jsonpath::{JsonPath, Selected};
use super::template::{self, Overrides, TemplateInput};
use crate::context::RequestContext;
use crate::request::media_type;
use crate::responses::error::GatewayError;

/// The static `method.response.header.X = 'value'` parameters of an integration response, as
/// `(header, value)` pairs in definition order. Parameters that read from the integration's
/// answer are not static and are left to the mapping engine.
pub fn static_response_headers(response: &IntegrationResponse) -> Vec<(String, String)> {
    response
        .response_parameters
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("method.response.header.")?;
            let value = value.trim();
            let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

/// A `SelectionPattern` compiled as API Gateway applies it: a Java regular expression that must
/// match the whole text (the status code, or a Lambda error message), with ASCII classes (`\d`)
/// as in Java's defaults. `None` for a pattern that does not compile, which a deploy refuses.
pub fn selection_pattern(pattern: &str) -> Option<regex::bytes::Regex> {
    regex::bytes::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .unicode(false)
        .build()
        .ok()
}

/// The integration response whose `SelectionPattern` matches `text`, else the default one
/// (no pattern), in definition order.
pub fn select_response(responses: &[IntegrationResponse], text: &str) -> Option<usize> {
    responses
        .iter()
        .position(|r| {
            r.selection_pattern
                .as_deref()
                .filter(|p| !p.is_empty())
                .and_then(selection_pattern)
                .is_some_and(|re| re.is_match(text.as_bytes()))
        })
        .or_else(|| {
            responses
                .iter()
                .position(|r| r.selection_pattern.as_deref().is_none_or(str::is_empty))
        })
}

/// Parses templates by content type (keys lower-cased, as media types compare).
fn compile_templates(
    what: &str,
    templates: &[(String, String)],
) -> Result<Vec<(String, Template)>, String> {
    templates
        .iter()
        .map(|(content_type, text)| {
            Template::parse(text)
                .map(|t| (content_type.trim().to_ascii_lowercase(), t))
                .map_err(|e| format!("the {what} template for {content_type} does not parse: {e}"))
        })
        .collect()
}

/// Parameters a non-proxy integration sends to its backend (`integration.request.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedParameters {
    /// `integration.request.header.X`.
    pub headers: Vec<(String, String)>,
    /// `integration.request.querystring.X`.
    pub query: Vec<(String, String)>,
    /// `integration.request.path.X`.
    pub path: Vec<(String, String)>,
}

/// Headers request parameters may not set (all integrations), and those AWS and Lambda
/// integrations additionally refuse: the request then fails with 500.
const NEVER_MAPPED: &[&str] = &["content-length", "transfer-encoding"];
const NOT_MAPPED_FOR_AWS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "proxy-authenticate",
    "te",
];

/// The request side of a non-proxy integration, compiled.
#[derive(Debug, Clone)]
pub struct RequestMapping {
    templates: Vec<(String, Template)>,
    content_handling: Option<ContentHandling>,
    passthrough: PassthroughBehavior,
    parameters: Vec<(String, String)>,
}

impl RequestMapping {
    /// Compiles the request templates and parameters of `integration`.
    pub fn compile(integration: &ModelIntegration) -> Result<RequestMapping, String> {
        Ok(RequestMapping {
            templates: compile_templates("request", &integration.request_templates)?,
            content_handling: integration.content_handling,
            passthrough: integration.passthrough_behavior,
            parameters: integration.request_parameters.clone(),
        })
    }

    /// The template for a request with this `Content-Type` (its media type; `application/json`
    /// when absent); `None` passes the body through; 415 when the passthrough behaviour refuses
    /// an unmapped content type.
    pub fn select(&self, content_type: Option<&str>) -> Result<Option<&Template>, GatewayError> {
        let media = content_type
            .map(media_type)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/json".to_string())
            .to_ascii_lowercase();
        if let Some((_, t)) = self.templates.iter().find(|(ct, _)| *ct == media) {
            return Ok(Some(t));
        }
        match (self.passthrough, self.templates.is_empty()) {
            (PassthroughBehavior::WhenNoMatch, _)
            | (PassthroughBehavior::WhenNoTemplates, true) => Ok(None),
            _ => Err(GatewayError::new(ResponseType::UnsupportedMediaType)
                .with_detail(format!("no request template for {media}"))),
        }
    }

    /// The request body as the integration sees it: for a template (`$input.body`), a binary
    /// payload (its content type is a binary media type) as base64 text; passed through, the
    /// integration's `contentHandling` applied (CONVERT_TO_TEXT base64-encodes a binary
    /// payload, CONVERT_TO_BINARY decodes a text one; a failed decode is a 500).
    pub fn body(
        &self,
        request: &crate::request::IncomingRequest,
        binary_media_types: &[String],
        templated: bool,
    ) -> Result<Bytes, GatewayError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = &request.body;
        let binary = request.header("content-type").is_some_and(|ct| {
            let media = media_type(ct);
            binary_media_types
                .iter()
                .any(|t| crate::request::media_type_matches(t, &media))
        });
        match (binary, templated, self.content_handling) {
            (true, true, _) | (true, false, Some(ContentHandling::ConvertToText)) => {
                Ok(Bytes::from(b64.encode(body)))
            }
            (false, false, Some(ContentHandling::ConvertToBinary)) => {
                b64.decode(body.trim_ascii()).map(Bytes::from).map_err(|_| {
                    GatewayError::api_configuration("CONVERT_TO_BINARY: the body is not base64")
                })
            }
            _ => Ok(body.clone()),
        }
    }

    /// The integration request of a non-proxy integration: its mapped parameters, then the body
    /// through the request template the content type selects (or passed through), with the
    /// overrides the template set. `aws` as for [`RequestMapping::parameters`].
    pub fn transform(
        &self,
        cx: &RequestContext<'_>,
        binary_media_types: &[String],
        aws: bool,
    ) -> Result<(MappedParameters, Bytes, Overrides), GatewayError> {
        let parameters = self.parameters(cx, aws)?;
        let template = self.select(cx.request.header("content-type"))?;
        let body = self.body(&cx.request, binary_media_types, template.is_some())?;
        let Some(template) = template else {
            return Ok((parameters, body, Overrides::default()));
        };
        let input = TemplateInput {
            cx,
            body: &body,
            overrides: &Overrides::default(),
        };
        let (body, overrides) = template::render(template, &input)?;
        Ok((parameters, Bytes::from(body), overrides))
    }

    /// Evaluates `integration.request.{header,querystring,path}.X`. `aws` says whether the
    /// integration is an AWS one (Lambda), which refuses more headers.
    pub fn parameters(
        &self,
        cx: &RequestContext<'_>,
        aws: bool,
    ) -> Result<MappedParameters, GatewayError> {
        let mut mapped = MappedParameters::default();
        for (target, source) in &self.parameters {
            let Some(rest) = target.strip_prefix("integration.request.") else {
                continue;
            };
            let Some(value) = request_source(cx, source) else {
                continue;
            };
            if let Some(name) = rest.strip_prefix("header.") {
                let lower = name.to_ascii_lowercase();
                if NEVER_MAPPED.contains(&lower.as_str())
                    || (aws && NOT_MAPPED_FOR_AWS.contains(&lower.as_str()))
                {
                    return Err(GatewayError::api_configuration(format!(
                        "request parameter mapping may not set the {name} header"
                    )));
                }
                mapped.headers.push((name.to_string(), value));
            } else if let Some(name) = rest.strip_prefix("querystring.") {
                mapped.query.push((name.to_string(), value));
            } else if let Some(name) = rest.strip_prefix("path.") {
                mapped.path.push((name.to_string(), value));
            }
        }
        Ok(mapped)
    }
}

/// A static `'value'`.
fn static_value(source: &str) -> Option<String> {
    let s = source.trim();
    s.strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .map(str::to_string)
}

/// `stageVariables.X` / `context.X`, for request and response parameters alike.
fn shared_source(cx: &RequestContext<'_>, source: &str) -> Option<Option<String>> {
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return Some(cx.stage_variable(name).map(str::to_string));
    }
    if let Some(name) = source.strip_prefix("context.") {
        return Some(cx.context_value(name).map(|v| v.into_owned()));
    }
    None
}

/// A JSONPath (without `$`) over a JSON body: strings as themselves, other values as JSON.
fn body_path(body: &[u8], path: &str) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let path = JsonPath::parse(&format!("$.{path}")).ok()?;
    let value = match path.select(&doc) {
        Selected::One(v) => v?.clone(),
        Selected::Many(v) => serde_json::Value::Array(v.into_iter().cloned().collect()),
    };
    Some(match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// The value of a request parameter source (`method.request.header.X`, `'static'`, …).
fn request_source(cx: &RequestContext<'_>, source: &str) -> Option<String> {
    if let Some(v) = static_value(source) {
        return Some(v);
    }
    if let Some(v) = shared_source(cx, source) {
        return v;
    }
    let rest = source.strip_prefix("method.request.")?;
    if let Some(name) = rest.strip_prefix("path.") {
        return cx.path_parameter(name);
    }
    if let Some(name) = rest.strip_prefix("querystring.") {
        return cx.query_value(name);
    }
    if let Some(name) = rest.strip_prefix("multivaluequerystring.") {
        return cx.query_values(name);
    }
    if let Some(name) = rest.strip_prefix("header.") {
        return cx.request.header(name).map(str::to_string);
    }
    if let Some(name) = rest.strip_prefix("multivalueheader.") {
        let values: Vec<&str> = cx
            .request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        return (!values.is_empty()).then(|| values.join(","));
    }
    if rest == "body" {
        return Some(String::from_utf8_lossy(&cx.request.body).into_owned());
    }
    if let Some(path) = rest.strip_prefix("body.") {
        return body_path(&cx.request.body, path);
    }
    None
}

/// How the integration's answer selects its integration response.
#[derive(Debug, Clone, Copy)]
pub enum Selector<'a> {
    /// A Lambda function's error message (`errorMessage`).
    LambdaError(&'a str),
    /// A Lambda function's success: only the default response matches.
    LambdaSuccess,
    /// A status code (mock and HTTP integrations).
    Status(&'a str),
}

#[derive(Debug, Clone)]
struct CompiledResponse {
    status: u16,
    pattern: Option<regex::bytes::Regex>,
    parameters: Vec<(String, String)>,
    templates: Vec<(String, Template)>,
    content_handling: Option<ContentHandling>,
}

/// The integration responses of a non-proxy integration, compiled.
#[derive(Debug, Clone)]
pub struct ResponseMapping {
    responses: Vec<CompiledResponse>,
    /// The method's declared response statuses; empty when the definition declares none.
    method_statuses: Vec<u16>,
}

/// The integration's answer before mapping.
#[derive(Debug, Clone, Copy)]
pub struct RawAnswer<'a> {
    /// The body.
    pub body: &'a [u8],
    /// Its headers (`integration.response.header.X`).
    pub headers: &'a [(String, String)],
}

impl ResponseMapping {
    /// Compiles integration responses: selection patterns (a pattern that does not compile is
    /// refused, as a deploy refuses it) and templates. `method_statuses` are the method
    /// responses the definition declares: selecting an integration response whose status is
    /// not among them is a 500, as on AWS (not checked when none are declared, which SAM's
    /// generated methods do not always do).
    pub fn compile(
        responses: &[IntegrationResponse],
        method_statuses: &[u16],
    ) -> Result<ResponseMapping, String> {
        let responses = responses
            .iter()
            .map(|r| {
                let pattern = match r.selection_pattern.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => Some(selection_pattern(p).ok_or_else(|| {
                        format!("the selection pattern `{p}` of the {} response is not a valid regular expression", r.status_code)
                    })?),
                    None => None,
                };
                Ok(CompiledResponse {
                    status: r.status_code,
                    pattern,
                    parameters: r.response_parameters.clone(),
                    templates: compile_templates(
                        &format!("{} response", r.status_code),
                        &r.response_templates,
                    )?,
                    content_handling: r.content_handling,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ResponseMapping {
            responses,
            method_statuses: method_statuses.to_vec(),
        })
    }

    fn select(&self, selector: Selector<'_>) -> Option<&CompiledResponse> {
        let default = || self.responses.iter().find(|r| r.pattern.is_none());
        let text = match selector {
            Selector::LambdaSuccess => return default(),
            Selector::LambdaError(text) | Selector::Status(text) => text,
        };
        self.responses
            .iter()
            .find(|r| {
                r.pattern
                    .as_ref()
                    .is_some_and(|p| p.is_match(text.as_bytes()))
            })
            .or_else(default)
    }

    /// Maps the integration's answer: selects the integration response, evaluates its
    /// response parameters, renders its template (chosen by the request's `Accept`), applies
    /// content handling and the templates' overrides.
    pub fn respond(
        &self,
        cx: &RequestContext<'_>,
        selector: Selector<'_>,
        answer: RawAnswer<'_>,
        overrides: &Overrides,
        traced: bool,
    ) -> Result<IntegrationOutput, GatewayError> {
        let Some(response) = self.select(selector) else {
            return Err(GatewayError::api_configuration(
                "no integration response matches and there is no default one",
            ));
        };
        if !self.method_statuses.is_empty() && !self.method_statuses.contains(&response.status) {
            return Err(GatewayError::api_configuration(format!(
                "the integration response selects status {}, which the method does not declare",
                response.status
            )));
        }
        let mut headers = Vec::new();
        for (target, source) in &response.parameters {
            let Some(name) = target.strip_prefix("method.response.header.") else {
                continue;
            };
            if let Some(value) = response_source(cx, source, answer) {
                headers.push((name.to_string(), value));
            }
        }
        let (body, overrides, content_type) = match self.response_template(cx, response) {
            Some((content_type, template)) => {
                let input = TemplateInput {
                    cx,
                    body: answer.body,
                    overrides,
                };
                let (body, overrides) = template::render(template, &input)?;
                (Bytes::from(body), overrides, Some(content_type))
            }
            None => (Bytes::copy_from_slice(answer.body), overrides.clone(), None),
        };
        let body = match response.content_handling {
            Some(ContentHandling::ConvertToText) => {
                Bytes::from(base64::engine::general_purpose::STANDARD.encode(&body))
            }
            Some(ContentHandling::ConvertToBinary) => base64::engine::general_purpose::STANDARD
                .decode(body.trim_ascii())
                .map(Bytes::from)
                .map_err(|_| {
                    GatewayError::api_configuration("CONVERT_TO_BINARY: the body is not base64")
                })?,
            None => body,
        };
        for (name, value) in overrides.response_headers {
            match headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                Some(slot) => slot.1 = value,
                None => headers.push((name, value)),
            }
        }
        if let Some(ct) = content_type
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        Ok(IntegrationOutput {
            status: overrides.status.unwrap_or(response.status),
            headers,
            body,
            traced,
        })
    }

    /// The response template for the request's `Accept` (first media type), else the
    /// `application/json` one, else the first; none passes the body through.
    fn response_template<'r>(
        &self,
        cx: &RequestContext<'_>,
        response: &'r CompiledResponse,
    ) -> Option<(&'r str, &'r Template)> {
        let accept = cx
            .request
            .header("accept")
            .map(|a| media_type(a.split(',').next().unwrap_or("")).to_ascii_lowercase());
        let find = |ct: &str| response.templates.iter().find(|(c, _)| c == ct);
        accept
            .as_deref()
            .and_then(find)
            .or_else(|| find("application/json"))
            .or_else(|| response.templates.first())
            .map(|(c, t)| (c.as_str(), t))
    }
}

/// The value of a response parameter source.
fn response_source(cx: &RequestContext<'_>, source: &str, answer: RawAnswer<'_>) -> Option<String> {
    if let Some(v) = static_value(source) {
        return Some(v);
    }
    if let Some(v) = shared_source(cx, source) {
        return v;
    }
    let rest = source.strip_prefix("integration.response.")?;
    if let Some(name) = rest.strip_prefix("header.") {
        return answer
            .headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone());
    }
    if let Some(name) = rest.strip_prefix("multivalueheader.") {
        let values: Vec<&str> = answer
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        return (!values.is_empty()).then(|| values.join(","));
    }
    if rest == "body" {
        return Some(String::from_utf8_lossy(answer.body).into_owned());
    }
    if let Some(path) = rest.strip_prefix("body.") {
        return body_path(answer.body, path);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, pattern: Option<&str>) -> IntegrationResponse {
        IntegrationResponse {
            status_code: status,
            selection_pattern: pattern.map(str::to_string),
            response_parameters: vec![("method.response.header.X-A".into(), "'a'".into())],
            response_templates: Vec::new(),
            content_handling: None,
        }
    }

    #[test]
    fn selection() {
        let responses = [response(200, None), response(404, Some(r"4\d{2}"))];
        assert_eq!(select_response(&responses, "200"), Some(0));
        assert_eq!(select_response(&responses, "404"), Some(1));
        assert_eq!(select_response(&responses, "500"), Some(0));
        // Whole-text matches, as Java's `matches`: `4\d{2}` does not select `4040`.
        assert_eq!(select_response(&responses, "4040"), Some(0));
        let errors = [response(200, None), response(400, Some(".*not found.*"))];
        assert_eq!(select_response(&errors, "item not found here"), Some(1));
        assert!(selection_pattern("(unclosed").is_none());
        assert_eq!(
            static_response_headers(&responses[0]),
            [("X-A".to_string(), "a".to_string())]
        );
    }
}
