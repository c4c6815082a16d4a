//! What the guards add to a request, in process (run with `--ignored --nocapture`): the median
//! time of `Gateway::handle` with and without each guard over an instant backend. Measures
//! only; asserts nothing about durations.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lambdagate_gateway::{Addressing, CompiledApp, FnBackend, Gateway, ManualClock, Snapshot};
use lambdagate_lambda::{InvocationResult, Outcome};
use lambdagate_model::*;
use serde_json::json;
use support::*;

fn gateway(app: &Application) -> Gateway {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    let backend = FnBackend(|_f: String, _i: lambdagate_lambda::Invocation| async move {
        Ok(InvocationResult {
            request_id: "r".into(),
            outcome: Outcome::Response(Bytes::from_static(
                br#"{"statusCode":200,"body":"{\"ok\":true}"}"#,
            )),
        })
    });
    Gateway::with_clock(
        Snapshot::new(compiled, Some(1)),
        Arc::new(backend),
        Arc::new(ManualClock::at(1_796_119_200_000)),
    )
}

async fn median(
    gw: &Gateway,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Duration {
    for _ in 0..200 {
        gw.handle(request(method, target, headers, body)).await;
    }
    let mut times: Vec<Duration> = (0..2_000)
        .map(|_| request(method, target, headers, body))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|r| {
            let start = Instant::now();
            let reply = futures_lite(gw.handle(r));
            assert_eq!(
                reply.status,
                200,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Runs a future that never waits on I/O to completion on this thread.
fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::test]
#[ignore = "measurement: run with --ignored --nocapture"]
async fn added_latency_of_the_guards() {
    // Twenty number fields, all required.
    let properties: serde_json::Map<String, serde_json::Value> = (0..20)
        .map(|i| (format!("f{i}"), json!({"type": "number", "minimum": 0})))
        .collect();
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let body = serde_json::Value::Object((0..20).map(|i| (format!("f{i}"), json!(i))).collect())
        .to_string();
    let mut validated = lambda_route("POST", "/validated", "Fn", PayloadFormat::V1);
    validated.request_models = vec![("application/json".into(), "Twenty".into())];
    validated.request_validator = Some("body".into());
    let mut keyed = lambda_route("GET", "/keyed", "Fn", PayloadFormat::V1);
    keyed.api_key_required = true;
    let mut api = api(
        "Api",
        ApiKind::Rest,
        "dev",
        vec![
            validated,
            lambda_route("POST", "/plain", "Fn", PayloadFormat::V1),
            keyed,
            lambda_route("GET", "/open", "Fn", PayloadFormat::V1),
        ],
    );
    api.models = vec![Model {
        name: "Twenty".into(),
        content_type: "application/json".into(),
        schema: json!({"type": "object", "properties": properties, "required": names}),
        source: SourceLocation::default(),
    }];
    api.request_validators = vec![RequestValidator {
        name: "body".into(),
        validate_body: true,
        validate_parameters: false,
    }];
    let mut app = application(vec![function("Fn", 3)], vec![api]);
    app.api_keys = vec![ApiKey {
        logical_id: "Key".into(),
        name: None,
        value: Some("k".repeat(40)),
        enabled: true,
        stage_keys: Vec::new(),
        source: SourceLocation::default(),
    }];
    app.usage_plans = vec![UsagePlan {
        logical_id: "Plan".into(),
        name: None,
        api_stages: vec![UsagePlanStage {
            api: "Api".into(),
            stage: "dev".into(),
            throttle: Vec::new(),
        }],
        throttle: Some(Throttle {
            burst_limit: Some(u32::MAX),
            rate_limit: Some(1e9),
        }),
        quota: Some(Quota {
            limit: u64::MAX,
            offset: 0,
            period: QuotaPeriod::Month,
        }),
        keys: vec!["Key".into()],
        source: SourceLocation::default(),
    }];
    let gw = gateway(&app);
    let json_ct = [("Content-Type", "application/json")];
    let plain = median(&gw, "POST", "/dev/plain", &json_ct, &body).await;
    let validated = median(&gw, "POST", "/dev/validated", &json_ct, &body).await;
    let open = median(&gw, "GET", "/dev/open", &[], "").await;
    let key = "k".repeat(40);
    let keyed = median(&gw, "GET", "/dev/keyed", &[("x-api-key", &key)], "").await;
    println!(
        "validation (20-field model): {:.1} µs vs {:.1} µs without: +{:.1} µs",
        micros(validated),
        micros(plain),
        micros(validated) - micros(plain)
    );
    println!(
        "API key + usage plan (throttle and quota): {:.1} µs vs {:.1} µs without: +{:.1} µs",
        micros(keyed),
        micros(open),
        micros(keyed) - micros(open)
    );
}
