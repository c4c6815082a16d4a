//! What the model holds that the gateway does not enforce yet, said once at startup: a
//! protected route that silently answers 200 is the worst bug a local gateway can have.

use lambdagate_model::Api;

/// Reports what the model holds for an API that the gateway does not enforce yet.
pub(super) fn not_enforced(api: &Api, warnings: &mut Vec<String>) {
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
