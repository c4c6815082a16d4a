//! What the model holds that the gateway does not enforce yet, said once at startup: a
//! protected route that silently answers 200 is the worst bug a local gateway can have.

use lambdagate_model::{Api, AuthorizationType};

/// Reports what the model holds for an API that the gateway does not enforce yet.
pub(super) fn not_enforced(api: &Api, warnings: &mut Vec<String>) {
    for route in &api.routes {
        let mut missing = Vec::new();
        if route.auth.authorization_type != AuthorizationType::None {
            missing.push(format!(
                "authorization ({}{})",
                route.auth.authorization_type.as_str(),
                route
                    .auth
                    .authorizer
                    .as_deref()
                    .map(|a| format!(" `{a}`"))
                    .unwrap_or_default()
            ));
        }
        if !missing.is_empty() {
            warnings.push(format!(
                "{}: {} {} on API {} requires {}, which lambdagate does not enforce yet: \
                 requests reach the integration without it",
                route.source,
                route.key,
                route.event_id,
                api.logical_id,
                missing.join(" and ")
            ));
        }
    }
    for (on, what) in [
        (
            api.minimum_compression_size.is_some(),
            "MinimumCompressionSize (responses are sent uncompressed)",
        ),
        (
            api.disable_execute_api_endpoint,
            "DisableExecuteApiEndpoint (the API stays reachable at its stage addresses)",
        ),
    ] {
        if on {
            warnings.push(format!(
                "{}: API {} sets {what}, which lambdagate does not apply yet",
                api.source, api.logical_id
            ));
        }
    }
    for stage in &api.stages {
        if stage
            .access_log
            .as_ref()
            .is_some_and(|a| a.format.is_some())
        {
            warnings.push(format!(
                "{}: stage {} of API {} sets the access log format, which lambdagate does not \
                 apply yet",
                stage.source, stage.name, api.logical_id
            ));
        }
    }
}
