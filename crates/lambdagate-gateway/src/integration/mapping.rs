//! Request and response mapping for the non-proxy integrations (mock, Lambda custom, HTTP, AWS):
//! parameter mapping, template selection, passthrough, integration-response selection, response
//! parameters and templates. Written once here and shared by every non-proxy kind.
//!
//! Today it holds what a mock with static mappings needs; mapping templates (VTL) build on it.

use lambdagate_model::IntegrationResponse;

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
