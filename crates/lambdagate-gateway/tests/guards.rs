//! The guards in front of the integration, in process with a ManualClock: stage, method and
//! route throttles, API keys with usage-plan throttles and quotas, request validation and the
//! stage cache (TTL, keys, single flight).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use lambdagate_gateway::{
    Addressing, CompiledApp, FnBackend, Gateway, ManualClock, Reply, Snapshot,
};
use lambdagate_lambda::{Invocation, InvocationResult, Outcome};
use lambdagate_model::*;
use serde_json::{Value, json};
use support::*;

/// 2026-12-01 (a Tuesday) 10:00 UTC.
const START_MS: u64 = 1_796_119_200_000;

/// A gateway whose functions echo the event, counting calls; with `gate`, each call first
/// waits for a permit.
struct Bench {
    gw: Arc<Gateway>,
    clock: Arc<ManualClock>,
    calls: Arc<AtomicUsize>,
}

fn bench_with(app: &Application, gate: Option<Arc<tokio::sync::Semaphore>>) -> Bench {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let backend = FnBackend(move |_function: String, invocation: Invocation| {
        let counter = counter.clone();
        let gate = gate.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(gate) = gate {
                gate.acquire().await.unwrap().forget();
            }
            let event = String::from_utf8(invocation.payload.to_vec()).unwrap();
            Ok(InvocationResult {
                request_id: "r".into(),
                outcome: Outcome::Response(Bytes::from(
                    json!({
                        "statusCode": 200,
                        "headers": {"x-call": n.to_string(), "Content-Type": "application/json"},
                        "body": event
                    })
                    .to_string(),
                )),
            })
        }
    });
    let clock = Arc::new(ManualClock::at(START_MS));
    let gw = Gateway::with_clock(
        Snapshot::new(compiled, Some(1)),
        Arc::new(backend),
        clock.clone(),
    );
    Bench {
        gw: Arc::new(gw),
        clock,
        calls,
    }
}

fn bench(app: &Application) -> Bench {
    bench_with(app, None)
}

impl Bench {
    async fn get(&self, target: &str, headers: &[(&str, &str)]) -> Reply {
        self.gw.handle(request("GET", target, headers, "")).await
    }

    fn advance(&self, ms: u64) {
        self.clock.advance(Duration::from_millis(ms));
    }
}

fn text(reply: &Reply) -> &str {
    std::str::from_utf8(&reply.body).unwrap()
}

fn setting(path: &str, method: &str, rate: Option<f64>, burst: Option<u32>) -> MethodSetting {
    MethodSetting {
        resource_path: path.into(),
        http_method: method.into(),
        throttle: Throttle {
            burst_limit: burst,
            rate_limit: rate,
        },
        caching_enabled: false,
        cache_ttl_secs: None,
        other: Vec::new(),
    }
}

fn rest(routes: Vec<Route>) -> Api {
    api("Shop", ApiKind::Rest, "dev", routes)
}

fn app_of(api: Api) -> Application {
    application(vec![function("Fn", 3)], vec![api])
}

fn assert_throttled(reply: &Reply) {
    assert_eq!(reply.status, 429, "{}", text(reply));
    assert_eq!(text(reply), r#"{"message":"Too Many Requests"}"#);
    assert_eq!(
        header(reply, "x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
}

#[tokio::test]
async fn method_settings_throttle_each_method_and_specific_entries_override_the_wildcard() {
    let mut api = rest(vec![
        lambda_route("GET", "/items", "Fn", PayloadFormat::V1),
        lambda_route("GET", "/items/{id}", "Fn", PayloadFormat::V1),
        lambda_route("POST", "/items", "Fn", PayloadFormat::V1),
    ]);
    api.stages[0].method_settings = vec![
        setting("/*", "*", Some(1.0), Some(2)),
        // Only the burst: the rate comes from the wildcard.
        setting("/items/{id}", "GET", None, Some(1)),
        setting("/items", "POST", Some(0.5), Some(0)),
    ];
    let b = bench(&app_of(api));
    // GET /items: burst 2 from the wildcard; the third at the same instant is refused.
    assert_eq!(b.get("/dev/items", &[]).await.status, 200);
    assert_eq!(b.get("/dev/items", &[]).await.status, 200);
    assert_throttled(&b.get("/dev/items", &[]).await);
    // Another method has its own bucket: burst 1.
    assert_eq!(b.get("/dev/items/1", &[]).await.status, 200);
    assert_throttled(&b.get("/dev/items/2", &[]).await);
    // Burst 0 blocks.
    let post = b.gw.handle(request("POST", "/dev/items", &[], "")).await;
    assert_throttled(&post);
    // One second refills one token at rate 1.
    b.advance(999);
    assert_throttled(&b.get("/dev/items", &[]).await);
    b.advance(1);
    assert_eq!(b.get("/dev/items", &[]).await.status, 200);
    assert_eq!(b.get("/dev/items/3", &[]).await.status, 200);
    assert_throttled(&b.get("/dev/items", &[]).await);
    assert_eq!(b.calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn http_api_default_and_route_settings_throttle() {
    let mut api = api(
        "Http",
        ApiKind::Http,
        "$default",
        vec![
            lambda_route("GET", "/a", "Fn", PayloadFormat::V2),
            lambda_route("GET", "/b", "Fn", PayloadFormat::V2),
        ],
    );
    api.stages[0].method_settings = vec![
        setting("/*", "*", Some(1.0), Some(3)),
        setting("/b", "GET", Some(1.0), Some(1)),
    ];
    let b = bench(&app_of(api));
    for _ in 0..3 {
        assert_eq!(b.get("/a", &[]).await.status, 200);
    }
    let reply = b.get("/a", &[]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(text(&reply), r#"{"message":"Too Many Requests"}"#);
    assert_eq!(b.get("/b", &[]).await.status, 200);
    assert_eq!(b.get("/b", &[]).await.status, 429);
}

/// A REST API whose `/items` needs a key, with a usage plan on stage `dev`.
fn keyed_app(plan_throttle: Option<Throttle>, quota: Option<Quota>) -> Application {
    let mut keyed = lambda_route("GET", "/items", "Fn", PayloadFormat::V1);
    keyed.api_key_required = true;
    let mut api = rest(vec![
        keyed,
        lambda_route("GET", "/open", "Fn", PayloadFormat::V1),
    ]);
    api.stages
        .push(Stage::named("other", SourceLocation::default()));
    let mut app = app_of(api);
    let key = |id: &str, value: Option<&str>, enabled: bool| ApiKey {
        logical_id: id.into(),
        name: None,
        value: value.map(str::to_string),
        enabled,
        stage_keys: Vec::new(),
        source: SourceLocation::default(),
    };
    app.api_keys = vec![
        key("GoodKey", Some("good-key-value-0123456789"), true),
        key("OffKey", Some("disabled-key-value-0123456789"), false),
        key("NoPlanKey", Some("no-plan-key-value-0123456789"), true),
        key("Generated", None, true),
    ];
    app.usage_plans = vec![UsagePlan {
        logical_id: "Plan".into(),
        name: None,
        api_stages: vec![UsagePlanStage {
            api: "Shop".into(),
            stage: "dev".into(),
            throttle: Vec::new(),
        }],
        throttle: plan_throttle,
        quota,
        keys: vec!["GoodKey".into(), "OffKey".into(), "Generated".into()],
        source: SourceLocation::default(),
    }];
    app
}

#[tokio::test]
async fn api_keys_are_required_known_enabled_and_in_a_plan_of_the_stage() {
    let app = keyed_app(None, None);
    let b = bench(&app);
    let forbidden = |reply: &Reply| {
        assert_eq!(reply.status, 403, "{}", text(reply));
        assert_eq!(text(reply), r#"{"message":"Forbidden"}"#);
        assert_eq!(
            header(reply, "x-amzn-errortype"),
            Some("ForbiddenException")
        );
    };
    forbidden(&b.get("/dev/items", &[]).await);
    forbidden(&b.get("/dev/items", &[("x-api-key", "nope")]).await);
    forbidden(&b.get("/dev/items", &[("x-api-key", "")]).await);
    forbidden(
        &b.get(
            "/dev/items",
            &[("x-api-key", "disabled-key-value-0123456789")],
        )
        .await,
    );
    forbidden(
        &b.get(
            "/dev/items",
            &[("x-api-key", "no-plan-key-value-0123456789")],
        )
        .await,
    );
    // The plan covers `dev`, not `other`.
    forbidden(
        &b.get(
            "/other/items",
            &[("X-API-Key", "good-key-value-0123456789")],
        )
        .await,
    );
    assert_eq!(b.calls.load(Ordering::SeqCst), 0);
    // A method without ApiKeyRequired ignores keys.
    assert_eq!(b.get("/dev/open", &[]).await.status, 200);

    let reply = b
        .get("/dev/items", &[("X-API-Key", "good-key-value-0123456789")])
        .await;
    let event: Value = serde_json::from_slice(&reply.body).unwrap();
    let identity = &event["requestContext"]["identity"];
    assert_eq!(identity["apiKey"], "good-key-value-0123456789");
    let good = &app.api_keys[0];
    assert_eq!(identity["apiKeyId"], good.key_id().as_str());
    // Events without a key keep AWS's keys only.
    let open: Value = serde_json::from_slice(&b.get("/dev/open", &[]).await.body).unwrap();
    assert!(open["requestContext"]["identity"].get("apiKey").is_none());

    // A generated key: 40 characters, stable, and accepted.
    let generated = app.api_keys[3].served_value(&app.stack_name);
    assert_eq!(generated.len(), 40);
    assert_eq!(generated, app.api_keys[3].served_value(&app.stack_name));
    assert_eq!(
        b.get("/dev/items", &[("x-api-key", &generated)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn usage_plan_throttle_and_quota_per_key_survive_a_reload() {
    let app = keyed_app(
        Some(Throttle {
            burst_limit: Some(2),
            rate_limit: Some(1.0),
        }),
        Some(Quota {
            limit: 4,
            offset: 0,
            period: QuotaPeriod::Day,
        }),
    );
    let b = bench(&app);
    let key = [("x-api-key", "good-key-value-0123456789")];
    let other = app.api_keys[3].served_value(&app.stack_name);
    let other = [("x-api-key", other.as_str())];
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
    assert_throttled(&b.get("/dev/items", &key).await);
    // Per key: another key of the plan has its own bucket.
    assert_eq!(b.get("/dev/items", &other).await.status, 200);
    b.advance(1_000);
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
    // A reload keeps the counts.
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    b.gw.swap(Snapshot::new(compiled, Some(1)));
    b.advance(1_000);
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
    b.advance(1_000);
    let spent = b.get("/dev/items", &key).await;
    assert_eq!(spent.status, 429);
    assert_eq!(text(&spent), r#"{"message":"Limit Exceeded"}"#);
    assert_eq!(
        header(&spent, "x-amzn-errortype"),
        Some("LimitExceededException")
    );
    // The next UTC day starts a new period (10:00 + 14 h = 00:00).
    b.advance(14 * 3_600_000 - 2_000);
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
}

#[tokio::test]
async fn a_plans_method_throttle_replaces_its_own_for_that_method() {
    let mut app = keyed_app(
        Some(Throttle {
            burst_limit: Some(5),
            rate_limit: Some(1.0),
        }),
        None,
    );
    app.usage_plans[0].api_stages[0].throttle = vec![(
        "/items/GET".into(),
        Throttle {
            burst_limit: Some(1),
            rate_limit: Some(1.0),
        },
    )];
    let b = bench(&app);
    let key = [("x-api-key", "good-key-value-0123456789")];
    assert_eq!(b.get("/dev/items", &key).await.status, 200);
    assert_throttled(&b.get("/dev/items", &key).await);
}

/// A REST method validating parameters and body against `Pet`.
fn validated_app() -> Application {
    let mut route = lambda_route("POST", "/pets/{test}", "Fn", PayloadFormat::V1);
    route.request_parameters = vec![
        RequestParameter {
            location: ParameterLocation::QueryString,
            name: "qs1".into(),
            required: true,
            caching: false,
        },
        RequestParameter {
            location: ParameterLocation::Path,
            name: "issuer".into(),
            required: true,
            caching: false,
        },
        RequestParameter {
            location: ParameterLocation::Header,
            name: "x-header-param".into(),
            required: true,
            caching: false,
        },
        RequestParameter {
            location: ParameterLocation::Header,
            name: "x-optional".into(),
            required: false,
            caching: false,
        },
    ];
    route.request_models = vec![("application/json".into(), "Pet".into())];
    route.request_validator = Some("all".into());
    let mut api = rest(vec![route]);
    api.models = vec![Model {
        name: "Pet".into(),
        content_type: "application/json".into(),
        schema: json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}),
        source: SourceLocation::default(),
    }];
    api.request_validators = vec![RequestValidator {
        name: "all".into(),
        validate_body: true,
        validate_parameters: true,
    }];
    app_of(api)
}

#[tokio::test]
async fn validation_answers_aws_messages_parameters_first() {
    let b = bench(&validated_app());
    let post = |target: &'static str, headers: &'static [(&'static str, &'static str)], body| {
        let gw = b.gw.clone();
        async move { gw.handle(request("POST", target, headers, body)).await }
    };
    let reply = post("/dev/pets/1", &[], "{}").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        text(&reply),
        r#"{"message":"Missing required request parameters: [x-header-param, issuer, qs1]"}"#
    );
    assert_eq!(
        header(&reply, "x-amzn-errortype"),
        Some("BadRequestException")
    );
    // Blank values are missing too.
    let reply = post("/dev/pets/1?qs1=", &[("x-header-param", "x")], "{}").await;
    assert_eq!(
        text(&reply),
        r#"{"message":"Missing required request parameters: [issuer, qs1]"}"#
    );
    // `issuer` is not in the path template: it is always missing, so drop it and check bodies.
    let mut app = validated_app();
    app.apis[0].routes[0]
        .request_parameters
        .retain(|p| p.name != "issuer");
    let b = bench(&app);
    let h: &[(&str, &str)] = &[
        ("x-header-param", "x"),
        ("Content-Type", "application/json"),
    ];
    let bad =
        b.gw.handle(request("POST", "/dev/pets/1?qs1=v", h, r#"{"a": 1}"#))
            .await;
    assert_eq!(bad.status, 400);
    assert_eq!(text(&bad), r#"{"message":"Invalid request body"}"#);
    let not_json =
        b.gw.handle(request("POST", "/dev/pets/1?qs1=v", h, "{nope"))
            .await;
    assert_eq!(text(&not_json), r#"{"message":"Invalid request body"}"#);
    let deep = "[".repeat(50_000) + &"]".repeat(50_000);
    let deep =
        b.gw.handle(request("POST", "/dev/pets/1?qs1=v", h, &deep))
            .await;
    assert_eq!(deep.status, 400);
    assert_eq!(b.calls.load(Ordering::SeqCst), 0);
    let good =
        b.gw.handle(request(
            "POST",
            "/dev/pets/1?qs1=v",
            h,
            r#"{"a": 1, "b": 2}"#,
        ))
        .await;
    assert_eq!(good.status, 200, "{}", text(&good));
}

#[tokio::test]
async fn validation_detail_reaches_custom_gateway_responses() {
    let mut app = validated_app();
    app.apis[0].routes[0].request_parameters.clear();
    app.apis[0].gateway_responses.push(GatewayResponse {
        response_type: ResponseType::BadRequestBody,
        status_code: None,
        response_parameters: Vec::new(),
        response_templates: vec![(
            "application/json".into(),
            r#"{"why":"$context.error.validationErrorString"}"#.into(),
        )],
        source: SourceLocation::default(),
    });
    let b = bench(&app);
    let reply =
        b.gw.handle(request("POST", "/dev/pets/1", &[], r#"{"a": "x"}"#))
            .await;
    assert_eq!(reply.status, 400);
    let why = text(&reply);
    assert!(why.contains("\"b\"") && why.contains("number"), "{why}");
}

/// A REST API with a cache cluster caching GET /items/{id} keyed by `id` and `q`.
fn cached_app(ttl: Option<u32>) -> Application {
    let mut get = lambda_route("GET", "/items/{id}", "Fn", PayloadFormat::V1);
    get.integration.cache_key_parameters = vec!["method.request.path.id".into()];
    get.request_parameters = vec![RequestParameter {
        location: ParameterLocation::QueryString,
        name: "q".into(),
        required: false,
        caching: true,
    }];
    let mut api = rest(vec![
        get,
        lambda_route("POST", "/items/{id}", "Fn", PayloadFormat::V1),
        lambda_route("ANY", "/any", "Fn", PayloadFormat::V1),
    ]);
    api.stages[0].cache_cluster = Some(CacheCluster { size: "0.5".into() });
    let mut all = setting("/*", "*", None, None);
    all.caching_enabled = true;
    all.cache_ttl_secs = ttl;
    api.stages[0].method_settings = vec![all];
    app_of(api)
}

#[tokio::test]
async fn the_stage_cache_answers_repeats_until_the_ttl_runs_out() {
    let b = bench(&cached_app(Some(60)));
    let first = b.get("/dev/items/1?q=a", &[]).await;
    assert_eq!(header(&first, "x-call"), Some("1"));
    let again = b.get("/dev/items/1?q=a", &[]).await;
    assert_eq!(again.status, 200);
    assert_eq!(header(&again, "x-call"), Some("1"), "served from the cache");
    assert_eq!(again.body, first.body);
    assert_eq!(header(&again, "content-type"), Some("application/json"));
    assert_ne!(
        header(&again, "x-amzn-requestid"),
        header(&first, "x-amzn-requestid"),
        "ids are per request"
    );
    // Other key parameter values are other entries.
    assert_eq!(
        header(&b.get("/dev/items/2?q=a", &[]).await, "x-call"),
        Some("2")
    );
    assert_eq!(
        header(&b.get("/dev/items/1?q=b", &[]).await, "x-call"),
        Some("3")
    );
    // An unauthorized `Cache-Control: max-age=0` is ignored, with AWS's warning.
    let ignored = b
        .get("/dev/items/1?q=a", &[("Cache-Control", "max-age=0")])
        .await;
    assert_eq!(header(&ignored, "x-call"), Some("1"));
    assert!(header(&ignored, "warning").unwrap().starts_with("199 "));
    // POST is not cached by the wildcard entry, not even on an ANY method; GET there is.
    for _ in 0..2 {
        b.gw.handle(request("POST", "/dev/items/1", &[], "")).await;
        b.gw.handle(request("POST", "/dev/any", &[], "")).await;
        b.get("/dev/any", &[]).await;
    }
    assert_eq!(b.calls.load(Ordering::SeqCst), 8, "GET /any was cached");
    // The TTL runs on the clock.
    b.advance(59_999);
    assert_eq!(
        header(&b.get("/dev/items/1?q=a", &[]).await, "x-call"),
        Some("1")
    );
    b.advance(1);
    assert_eq!(
        header(&b.get("/dev/items/1?q=a", &[]).await, "x-call"),
        Some("9")
    );
}

#[tokio::test]
async fn without_caching_enabled_nothing_is_cached() {
    let mut app = cached_app(None);
    app.apis[0].stages[0].method_settings.clear();
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    assert!(
        compiled
            .warnings()
            .iter()
            .any(|w| w.contains("nothing is cached")),
        "{:?}",
        compiled.warnings()
    );
    let b = bench(&app);
    b.get("/dev/items/1", &[]).await;
    b.get("/dev/items/1", &[]).await;
    assert_eq!(b.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn concurrent_misses_call_the_backend_once() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let b = bench_with(&cached_app(Some(300)), Some(gate.clone()));
    let mut waiting = Vec::new();
    for _ in 0..8 {
        let gw = b.gw.clone();
        waiting.push(tokio::spawn(async move {
            gw.handle(request("GET", "/dev/items/7", &[], "")).await
        }));
    }
    // Let every request reach the cache before the backend answers.
    while b.calls.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(100);
    for task in waiting {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(header(&reply, "x-call"), Some("1"));
    }
    assert_eq!(b.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_model_that_does_not_compile_is_said_at_load_and_answers_500() {
    let mut app = validated_app();
    app.apis[0].routes[0].request_parameters.clear();
    app.apis[0].models[0].schema = json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/elsewhere.json"}}});
    let compiled = CompiledApp::compile(&app, Addressing { stage_prefix: true }).unwrap();
    let warnings = compiled.warnings().join("\n");
    assert!(
        warnings.contains("request model for application/json cannot be used"),
        "{warnings}"
    );
    let b = bench(&app);
    let reply =
        b.gw.handle(request("POST", "/dev/pets/1", &[], r#"{"a": 1, "b": 2}"#))
            .await;
    assert_eq!(reply.status, 500);
    assert_eq!(text(&reply), r#"{"message": "Internal server error"}"#);
    assert_eq!(b.calls.load(Ordering::SeqCst), 0);
}

#[test]
fn settings_for_a_method_the_api_lacks_are_warned_about() {
    let mut api = rest(vec![lambda_route("GET", "/items", "Fn", PayloadFormat::V1)]);
    api.stages[0].method_settings = vec![
        setting("/*", "*", Some(1.0), Some(1)),
        setting("/items", "GET", Some(1.0), Some(1)),
        setting("/itemz", "GET", Some(1.0), Some(1)),
    ];
    let compiled = CompiledApp::compile(&app_of(api), Addressing { stage_prefix: true }).unwrap();
    let warnings: Vec<&String> = compiled
        .warnings()
        .iter()
        .filter(|w| w.contains("apply to nothing"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("GET /itemz"));
}

#[tokio::test]
async fn a_flood_of_cache_keys_stays_within_the_budget() {
    // 0.0001 GB is about 107 kB; each answer here is about 1 kB.
    let mut app = cached_app(Some(3600));
    app.apis[0].stages[0].cache_cluster = Some(CacheCluster {
        size: "0.0001".into(),
    });
    let b = bench(&app);
    let first = b.get("/dev/items/first", &[]).await;
    assert_eq!(header(&first, "x-call"), Some("1"));
    assert_eq!(
        header(&b.get("/dev/items/first", &[]).await, "x-call"),
        Some("1")
    );
    for i in 0..1000 {
        b.get(&format!("/dev/items/{i}"), &[]).await;
    }
    // The oldest entry made room for newer ones; the newest is still there.
    assert_eq!(
        header(&b.get("/dev/items/first", &[]).await, "x-call"),
        Some("1002")
    );
    assert_eq!(
        header(&b.get("/dev/items/999", &[]).await, "x-call"),
        Some("1001")
    );
}
