//! What the model holds that the gateway does not enforce yet, said once at startup: a
//! protected route that silently answers 200 is the worst bug a local gateway can have.

use lambdagate_model::Api;

/// Reports what the model holds for an API that the gateway does not enforce yet.
pub(super) fn not_enforced(api: &Api, warnings: &mut Vec<String>) {
    for route in &api.routes {
        // Authorization of every kind is enforced by the authorize stage; what an authorizer
        // cannot enforce as written is said when it is compiled (`authorizers.rs`).
        let mut missing = Vec::new();
        if route.api_key_required {
            missing.push("a required API key".to_string());
        }
        if route.request_validator.is_some() || !route.request_models.is_empty() {
            missing.push("request validation".to_string());
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
        let throttled = stage
            .method_settings
            .iter()
            .any(|m| m.throttle.rate_limit.is_some() || m.throttle.burst_limit.is_some());
        let cached = stage.cache_cluster.is_some()
            || stage.method_settings.iter().any(|m| m.caching_enabled);
        for (on, what) in [
            (throttled, "throttling"),
            (cached, "the stage cache"),
            (
                stage
                    .access_log
                    .as_ref()
                    .is_some_and(|a| a.format.is_some()),
                "the access log format",
            ),
        ] {
            if on {
                warnings.push(format!(
                    "{}: stage {} of API {} sets {what}, which lambdagate does not apply yet",
                    stage.source, stage.name, api.logical_id
                ));
            }
        }
    }
}
