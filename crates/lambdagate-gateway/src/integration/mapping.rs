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

/// The integration response whose `SelectionPattern` matches `status`, else the default one
/// (no pattern). Patterns are matched whole, as API Gateway's Java regular expressions are;
/// without a regular-expression engine here, a pattern matches when it equals the status or is a
/// class such as `2\d{2}` / `4..` covering it.
pub fn select_response(responses: &[IntegrationResponse], status: &str) -> Option<usize> {
    responses
        .iter()
        .position(|r| {
            r.selection_pattern
                .as_deref()
                .is_some_and(|p| !p.is_empty() && pattern_matches(p, status))
        })
        .or_else(|| {
            responses
                .iter()
                .position(|r| r.selection_pattern.as_deref().is_none_or(str::is_empty))
        })
}

fn pattern_matches(pattern: &str, status: &str) -> bool {
    if pattern == status || pattern == ".*" {
        return true;
    }
    // `2\d{2}`, `2..`, `4\d\d`: a digit followed by wildcards for the rest.
    let mut chars = pattern.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest = chars.as_str();
    status.len() == 3
        && status.starts_with(first)
        && matches!(rest, r"\d{2}" | ".." | r"\d\d" | ".{2}")
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
        assert_eq!(
            static_response_headers(&responses[0]),
            [("X-A".to_string(), "a".to_string())]
        );
    }
}
