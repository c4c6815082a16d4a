//! An API's customized gateway responses (REST), compiled once at load time: status overrides,
//! header parameters and templates with `$context` / `$stageVariables` substitution.

use lambdagate_model::{GatewayResponse, ResponseType};

/// Where a gateway response header's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamSource {
    Static(String),
    Header(String),
    QueryString(String),
    Path(String),
    StageVariable(String),
    Context(String),
}

/// A piece of a gateway response template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Context(String),
    StageVariable(String),
}

/// A customized gateway response, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Custom {
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, ParamSource)>,
    pub(crate) templates: Vec<(String, Vec<Piece>)>,
}

/// An API's customized gateway responses, by type.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponses {
    by_type: Vec<(ResponseType, Custom)>,
}

/// Why a gateway response cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: gateway response {response_type}: {message}")]
pub struct GatewayResponseError {
    /// Where it is defined.
    pub location: String,
    /// Its type.
    pub response_type: ResponseType,
    /// What is wrong.
    pub message: String,
}

impl GatewayResponses {
    /// Compiles an API's customized gateway responses.
    pub fn compile(
        responses: &[GatewayResponse],
    ) -> Result<GatewayResponses, GatewayResponseError> {
        let mut by_type = Vec::with_capacity(responses.len());
        for response in responses {
            let fail = |message: String| GatewayResponseError {
                location: response.source.to_string(),
                response_type: response.response_type,
                message,
            };
            let mut headers = Vec::new();
            for (key, value) in &response.response_parameters {
                let Some(name) = key.strip_prefix("gatewayresponse.header.") else {
                    // Path and query-string parameters shape nothing a client receives.
                    continue;
                };
                headers.push((name.to_string(), parse_source(value).map_err(fail)?));
            }
            let mut templates = Vec::new();
            for (content_type, text) in &response.response_templates {
                templates.push((content_type.clone(), parse_template(text).map_err(fail)?));
            }
            by_type.push((
                response.response_type,
                Custom {
                    status: response.status_code,
                    headers,
                    templates,
                },
            ));
        }
        Ok(GatewayResponses { by_type })
    }

    pub(crate) fn get(&self, kind: ResponseType) -> Option<&Custom> {
        self.by_type
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c)
    }

    /// Whether the API customizes any response.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

fn parse_source(value: &str) -> Result<ParamSource, String> {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Ok(ParamSource::Static(inner.to_string()));
    }
    type Make = fn(String) -> ParamSource;
    let sources: [(&str, Make); 5] = [
        ("method.request.header.", ParamSource::Header),
        ("method.request.querystring.", ParamSource::QueryString),
        ("method.request.path.", ParamSource::Path),
        ("stageVariables.", ParamSource::StageVariable),
        ("context.", ParamSource::Context),
    ];
    for (prefix, make) in sources {
        if let Some(name) = value.strip_prefix(prefix)
            && !name.is_empty()
        {
            return Ok(make(name.to_string()));
        }
    }
    Err(format!(
        "`{value}` is not a response parameter value: use a quoted static value ('…'), \
         method.request.header|querystring|path.NAME, stageVariables.NAME or context.NAME"
    ))
}

/// Splits a template into text and `$context.x` / `${context.x}` / `$stageVariables.x` pieces.
/// Gateway response templates are plain substitution, not VTL (spec §4).
fn parse_template(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (formal, body) = match after.strip_prefix('{') {
            Some(inner) => (true, inner),
            None => (false, after),
        };
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(body.len());
        // A trailing dot ends a sentence, not a name.
        let name = body[..name_len].trim_end_matches('.');
        let piece = if let Some(n) = name.strip_prefix("context.") {
            Some(Piece::Context(n.to_string()))
        } else {
            name.strip_prefix("stageVariables.")
                .map(|n| Piece::StageVariable(n.to_string()))
        };
        let consumed = match (piece, formal) {
            (Some(piece), true) => {
                if !body[name.len()..].starts_with('}') {
                    return Err(format!(
                        "`${{{name}` is not closed with `}}` in the response template"
                    ));
                }
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(piece);
                1 + 1 + name.len() + 1
            }
            (Some(piece), false) if !name.ends_with('.') && !name.is_empty() => {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(piece);
                1 + name.len()
            }
            _ => {
                literal.push('$');
                1
            }
        };
        rest = &rest[at + consumed..];
    }
    literal.push_str(rest);
    pieces.push(Piece::Text(literal));
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_substitutions() {
        let pieces = parse_template(r#"{"m":$context.error.messageString,"id":"${context.requestId}","v":"$stageVariables.v."}"#).unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text(r#"{"m":"#.into()),
                Piece::Context("error.messageString".into()),
                Piece::Text(r#","id":""#.into()),
                Piece::Context("requestId".into()),
                Piece::Text(r#"","v":""#.into()),
                Piece::StageVariable("v".into()),
                Piece::Text(r#"."}"#.into()),
            ]
        );
        assert!(parse_template("${context.requestId").is_err());
        assert_eq!(
            parse_template("costs $5 and $input.body").unwrap(),
            vec![Piece::Text("costs $5 and $input.body".into())]
        );
    }

    #[test]
    fn parameter_sources() {
        assert_eq!(parse_source("'*'"), Ok(ParamSource::Static("*".into())));
        assert_eq!(
            parse_source("method.request.header.Origin"),
            Ok(ParamSource::Header("Origin".into()))
        );
        assert_eq!(
            parse_source("context.requestId"),
            Ok(ParamSource::Context("requestId".into()))
        );
        assert!(parse_source("integration.response.body").is_err());
    }
}
