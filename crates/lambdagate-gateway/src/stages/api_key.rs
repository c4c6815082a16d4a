//! API keys and usage plans: the key from `x-api-key` or the authorizer
//! (`apiKeySource: AUTHORIZER`), its plan's throttle and quota (`INVALID_API_KEY`,
//! `THROTTLED`, `QUOTA_EXCEEDED`). Runs after the authorizer, which can supply the key.
//!
//! Only methods with `ApiKeyRequired` look at keys, as on AWS; a plan's throttle and quota
//! apply per key, summed over every stage of the plan.

use lambdagate_model::ApiKeySource;

use crate::authorization::Authorization;
use crate::context::{ApiKeyUse, RequestContext};
use crate::responses::ResponseType;
use crate::responses::error::GatewayError;
use crate::state::GatewayState;

/// Checks the request's API key against the stage's usage plans.
pub async fn run(cx: &mut RequestContext<'_>, state: &GatewayState) -> Result<(), GatewayError> {
    let (Some(api), Some(stage), Some((index, route))) = (cx.api, cx.stage, cx.route) else {
        return Ok(());
    };
    if !route.api_key_required {
        return Ok(());
    }
    let forbidden =
        |why: &str| GatewayError::new(ResponseType::InvalidApiKey).with_detail(why.to_string());
    let value = match api.api_key_source {
        ApiKeySource::Header => cx.request.header("x-api-key").map(str::to_string),
        ApiKeySource::Authorizer => match &cx.authorizer {
            Some(Authorization::Lambda {
                usage_identifier_key,
                ..
            }) => usage_identifier_key.clone(),
            _ => None,
        },
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(forbidden("no API key"));
    };
    let Some(grant) = stage.guards.keys.get(&value) else {
        return Err(forbidden("unknown API key"));
    };
    if !grant.enabled {
        return Err(forbidden("the API key is disabled"));
    }
    let Some(plan) = &grant.plan else {
        return Err(forbidden("no usage plan of the API key covers this stage"));
    };
    cx.api_key = Some(ApiKeyUse {
        value,
        id: grant.id.clone(),
    });
    let method = plan.methods.get(index).copied().flatten();
    let bucket = match method {
        Some(limit) => Some((
            format!(
                "km\n{}\n{}\n{}\n{}\n{index}",
                plan.id, grant.id, api.api_id, stage.name
            ),
            limit,
        )),
        None => plan
            .throttle
            .map(|limit| (format!("k\n{}\n{}", plan.id, grant.id), limit)),
    };
    if let Some((key, limit)) = bucket
        && !state.limiter.try_acquire(&key, limit).await
    {
        return Err(GatewayError::new(ResponseType::Throttled)
            .with_detail(format!("usage plan {} throttle for the API key", plan.id)));
    }
    if let Some(quota) = plan.quota
        && !state
            .quotas
            .try_consume(&format!("q\n{}\n{}", plan.id, grant.id), quota)
            .await
    {
        return Err(
            GatewayError::new(ResponseType::QuotaExceeded).with_detail(format!(
                "usage plan {} quota for the API key is spent",
                plan.id
            )),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::path::PathBuf;
    use std::sync::Arc;

    use bytes::Bytes;
    use lambdagate_model::*;
    use lambdagate_state::ManualClock;
    use serde_json::Map;

    use super::*;
    use crate::compile::{Addressing, CompiledApp};
    use crate::ids::RequestTime;
    use crate::request::IncomingRequest;
    use crate::snapshot::Snapshot;

    /// A REST API taking keys from its authorizer, with one key in a plan of stage `dev`.
    fn snapshot() -> Snapshot {
        let mut route = Route::new(
            RouteKey::MethodPath {
                method: "GET".into(),
                path: "/items".into(),
            },
            Integration::lambda_proxy("Fn", PayloadFormat::V1, None),
            "GetItems",
            SourceLocation::default(),
        );
        route.api_key_required = true;
        let mut api = Api::new(
            "Api",
            ApiKind::Rest,
            Stage::named("dev", SourceLocation::default()),
        );
        api.api_key_source = ApiKeySource::Authorizer;
        api.routes.push(route);
        let mut app = Application::empty(
            PathBuf::from("t.yaml"),
            "stack".into(),
            "us-east-1".into(),
            "123456789012".into(),
        );
        app.functions.push(Function {
            logging: Default::default(),
            logical_id: "Fn".into(),
            function_name: "Fn".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:Fn".into(),
            runtime: "python3.12".into(),
            family: RuntimeFamily::Python,
            handler: Some("app.handler".into()),
            code_dir: PathBuf::from("/tmp"),
            environment: Default::default(),
            timeout_secs: 3,
            memory_mb: 128,
            layers: Vec::new(),
            reserved_concurrency: None,
            architectures: vec!["x86_64".into()],
            source: SourceLocation::default(),
        });
        app.apis.push(api);
        app.api_keys.push(ApiKey {
            logical_id: "Key".into(),
            name: None,
            value: Some("from-the-authorizer-0123456789".into()),
            enabled: true,
            stage_keys: Vec::new(),
            source: SourceLocation::default(),
        });
        app.usage_plans.push(UsagePlan {
            logical_id: "Plan".into(),
            name: None,
            api_stages: vec![UsagePlanStage {
                api: "Api".into(),
                stage: "dev".into(),
                throttle: Vec::new(),
            }],
            throttle: None,
            quota: None,
            keys: vec!["Key".into()],
            source: SourceLocation::default(),
        });
        let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
        Snapshot::new(compiled, Some(1))
    }

    async fn check(snapshot: &Snapshot, usage_key: Option<&str>) -> Result<Option<String>, u16> {
        let request = IncomingRequest {
            secure: false,
            method: "GET".into(),
            raw_path: "/dev/items".into(),
            raw_query: None,
            // A header key is ignored when the authorizer is the source.
            headers: vec![("x-api-key".into(), "from-the-authorizer-0123456789".into())],
            body: Bytes::new(),
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_port: 3000,
        };
        let mut cx = RequestContext::new(snapshot, request, RequestTime::at(0));
        crate::stages::select::run(&mut cx).unwrap();
        cx.authorizer = Some(Authorization::Lambda {
            principal_id: Some("user".into()),
            context: Map::new(),
            usage_identifier_key: usage_key.map(str::to_string),
            latency_ms: 0,
        });
        let state = GatewayState::in_memory(Arc::new(ManualClock::at(0)));
        match run(&mut cx, &state).await {
            Ok(()) => Ok(cx.context_value("identity.apiKey").map(|v| v.into_owned())),
            Err(e) => Err(e.status(ApiKind::Rest)),
        }
    }

    #[tokio::test]
    async fn the_authorizer_supplies_the_key_when_it_is_the_source() {
        let snapshot = snapshot();
        assert_eq!(
            check(&snapshot, Some("from-the-authorizer-0123456789")).await,
            Ok(Some("from-the-authorizer-0123456789".into()))
        );
        assert_eq!(check(&snapshot, None).await, Err(403));
        assert_eq!(check(&snapshot, Some("unknown")).await, Err(403));
    }
}
