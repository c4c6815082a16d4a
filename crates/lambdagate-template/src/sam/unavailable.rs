//! Functions that are loaded but cannot run here (a runtime lambdagate does not support, such
//! as `java21`, `dotnet8`, `ruby3.3` or `go1.x`).
//!
//! Such a function is warned about once at load and left out of the application's functions,
//! so the rest of the template is served. Routes that invoke it answer what API Gateway answers
//! when it cannot invoke a function: 500 with `Internal server error` (REST) or
//! `Internal Server Error` (HTTP API). The loader expresses that as a mock integration, so
//! neither the gateway nor the function service needs to know about unservable functions.

use lambdagate_model::{Api, ApiKind, Integration, IntegrationResponse, IntegrationTarget};

/// Replaces every Lambda integration of a function in `unavailable` (logical ids) with AWS's
/// answer for a function that cannot be invoked.
pub fn answer_routes(apis: &mut [Api], unavailable: &[String]) {
    if unavailable.is_empty() {
        return;
    }
    for api in apis {
        let kind = api.kind;
        for route in &mut api.routes {
            let IntegrationTarget::Function(function) = &route.integration.target else {
                continue;
            };
            if unavailable.contains(function) {
                route.integration = cannot_invoke(kind);
            }
        }
    }
}

/// A mock integration answering as API Gateway does when Lambda refuses an invocation.
fn cannot_invoke(kind: ApiKind) -> Integration {
    let (body, headers) = match kind {
        ApiKind::Rest => (
            r#"{"message": "Internal server error"}"#,
            vec![(
                "method.response.header.x-amzn-ErrorType".to_string(),
                "'InternalServerErrorException'".to_string(),
            )],
        ),
        ApiKind::Http => (r#"{"message":"Internal Server Error"}"#, Vec::new()),
    };
    Integration {
        request_templates: vec![(
            "application/json".to_string(),
            r#"{"statusCode": 500}"#.to_string(),
        )],
        integration_responses: vec![IntegrationResponse {
            status_code: 500,
            selection_pattern: None,
            response_parameters: headers,
            response_templates: vec![("application/json".to_string(), body.to_string())],
            content_handling: None,
        }],
        ..Integration::mock()
    }
}
