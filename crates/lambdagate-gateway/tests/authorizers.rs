//! Authorizers through the whole pipeline, with in-process authorizer functions that count their
//! calls and a manual clock: Lambda TOKEN / REQUEST (REST), HTTP API REQUEST (1.0, 2.0, simple
//! responses), the result cache, JWT / Cognito / IAM refusals that need no valid credential,
//! `--disable-authorizer`, and CORS headers on refusals.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use lambdagate_gateway::{
    Addressing, AuthSettings, CompiledApp, FnBackend, Gateway, ManualClock, Reply, Snapshot,
};
use lambdagate_lambda::{Invocation, InvocationResult, Outcome};
use lambdagate_model::*;
use serde_json::{Value, json};
use support::*;

/// Calls made to the authorizer function, and the events it received.
#[derive(Default)]
struct Calls {
    count: AtomicUsize,
    events: Mutex<Vec<Value>>,
}

impl Calls {
    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
    fn last(&self) -> Value {
        self.events.lock().unwrap().last().cloned().unwrap()
    }
}

fn allow_all(principal: &str, context: Value) -> Value {
    json!({
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}
        ]},
        "context": context,
        "usageIdentifierKey": "key-1"
    })
}

/// What the authorizer `Auth` answers for a token (or, for REQUEST authorizers, the `x-user`
/// header): `allow…`, `deny`, `unauthorized`, `crash`, `garbage`, `nested`, `items-only`,
/// `simple-yes`, `simple-no`, `slow`.
async fn authorizer_answer(token: &str) -> Outcome {
    let body = match token {
        "deny" => json!({"principalId": "u", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}
        ]}}),
        "nobody" => json!({"principalId": "u", "policyDocument": {"Statement": []}}),
        "unauthorized" | "crash" => {
            let message = if token == "crash" {
                "boom"
            } else {
                "Unauthorized"
            };
            return Outcome::Error {
                error_type: "Unhandled".into(),
                payload: Bytes::from(json!({"errorMessage": message}).to_string()),
            };
        }
        "garbage" => return Outcome::Response(Bytes::from_static(b"not json")),
        "nested" => allow_all("u", json!({"o": {"a": 1}})),
        "items-only" => json!({"principalId": "u", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": ["execute-api:Invoke"],
             "Resource": ["arn:aws:execute-api:us-east-1:123456789012:*/Prod/GET/items/*"]}
        ]}}),
        "simple-yes" => {
            json!({"isAuthorized": true, "context": {"n": 1, "list": [1, 2], "m": {"k": "v"}}})
        }
        "simple-no" => json!({"isAuthorized": false}),
        "slow" => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            allow_all("slow", json!({}))
        }
        _ => allow_all("user-1", json!({"s": "x", "n": 1, "b": true, "z": null})),
    };
    Outcome::Response(Bytes::from(body.to_string()))
}

/// A gateway whose `Auth` function is the authorizer above and whose other functions echo
/// their event (REST / 1.0 shape).
fn gateway_with(
    app: &Application,
    clock: Arc<ManualClock>,
    calls: Arc<Calls>,
    auth: AuthSettings,
) -> Gateway {
    let compiled = CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap();
    let backend = FnBackend(move |function: String, invocation: Invocation| {
        let calls = calls.clone();
        async move {
            let event: Value = serde_json::from_slice(&invocation.payload).unwrap();
            let outcome = if function == "Auth" {
                calls.count.fetch_add(1, Ordering::SeqCst);
                calls.events.lock().unwrap().push(event.clone());
                let token = event["authorizationToken"]
                    .as_str()
                    .or_else(|| event["headers"]["x-user"].as_str())
                    .or_else(|| event["headers"]["X-User"].as_str())
                    .unwrap_or("")
                    .to_string();
                authorizer_answer(&token).await
            } else {
                Outcome::Response(Bytes::from(
                    json!({"statusCode": 200, "body": event.to_string()}).to_string(),
                ))
            };
            Ok(InvocationResult {
                request_id: "r".into(),
                outcome,
            })
        }
    });
    Gateway::with_clock(Snapshot::new(compiled, Some(1)), Arc::new(backend), clock).with_auth(auth)
}

fn authorizer(name: &str, kind: AuthorizerKind, sources: &[&str], ttl: u32) -> Authorizer {
    Authorizer {
        name: name.into(),
        kind,
        identity_sources: sources.iter().map(|s| s.to_string()).collect(),
        identity_validation_expression: None,
        result_ttl_secs: ttl,
        source: SourceLocation::default(),
    }
}

fn lambda_kind(t: LambdaAuthorizerType, format: PayloadFormat, simple: bool) -> AuthorizerKind {
    AuthorizerKind::Lambda {
        function: "Auth".into(),
        authorizer_type: t,
        payload_format: format,
        simple_responses: simple,
        credentials: None,
    }
}

fn protected(mut route: Route, authorization_type: AuthorizationType, name: Option<&str>) -> Route {
    route.auth = MethodAuth {
        authorization_type,
        authorizer: name.map(str::to_string),
        scopes: Vec::new(),
    };
    route
}

/// An API with one protected GET route to `Echo` (REST: stage `Prod`, payload 1.0; HTTP:
/// `$default`, 2.0), guarded by `authorizer` when there is one.
fn protected_api(
    kind: ApiKind,
    path: &str,
    authorization_type: AuthorizationType,
    authorizer: Option<Authorizer>,
) -> Api {
    let (id, stage, format) = match kind {
        ApiKind::Rest => ("RestApi", "Prod", PayloadFormat::V1),
        ApiKind::Http => ("HttpApi", "$default", PayloadFormat::V2),
    };
    let name = authorizer.as_ref().map(|a| a.name.clone());
    let mut api = api(
        id,
        kind,
        stage,
        vec![protected(
            lambda_route("GET", path, "Echo", format),
            authorization_type,
            name.as_deref(),
        )],
    );
    api.authorizers = authorizer.into_iter().collect();
    api
}

/// A REST API with a TOKEN authorizer (header `Authorization`) on GET /items/{id} and GET /other,
/// and an open GET /open.
fn rest_token_app(ttl: u32, validation: Option<&str>) -> Application {
    let mut token = authorizer(
        "TokenAuth",
        lambda_kind(LambdaAuthorizerType::Token, PayloadFormat::V1, false),
        &["method.request.header.Authorization"],
        ttl,
    );
    token.identity_validation_expression = validation.map(str::to_string);
    let custom = AuthorizationType::Custom;
    let mut api = api(
        "RestApi",
        ApiKind::Rest,
        "Prod",
        vec![
            protected(
                lambda_route("GET", "/items/{id}", "Echo", PayloadFormat::V1),
                custom,
                Some("TokenAuth"),
            ),
            protected(
                lambda_route("GET", "/other", "Echo", PayloadFormat::V1),
                custom,
                Some("TokenAuth"),
            ),
            lambda_route("GET", "/open", "Echo", PayloadFormat::V1),
        ],
    );
    api.authorizers = vec![token];
    application(vec![function("Echo", 3), function("Auth", 3)], vec![api])
}

fn setup(app: &Application) -> (Gateway, Arc<ManualClock>, Arc<Calls>) {
    setup_with(app, AuthSettings::default())
}

fn setup_with(app: &Application, auth: AuthSettings) -> (Gateway, Arc<ManualClock>, Arc<Calls>) {
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let calls = Arc::new(Calls::default());
    let gw = gateway_with(app, clock.clone(), calls.clone(), auth);
    (gw, clock, calls)
}

fn compile(app: &Application) -> CompiledApp {
    CompiledApp::compile(app, Addressing { stage_prefix: true }).unwrap()
}

async fn get(gw: &Gateway, target: &str, headers: &[(&str, &str)]) -> Reply {
    gw.handle(request("GET", target, headers, "")).await
}

fn body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&reply.body)))
}

/// The event the echo function received.
fn proxy_event(reply: &Reply) -> Value {
    echoed(reply)
}

/// The status of a GET with `token` in the `Authorization` header.
async fn token_status(gw: &Gateway, target: &str, token: &str) -> u16 {
    get(gw, target, &[("Authorization", token)]).await.status
}

fn assert_status(reply: &Reply, status: u16) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

/// A refusal: `status` and the body `{"message": message}`.
fn assert_refused(reply: &Reply, status: u16, message: Value) {
    assert_status(reply, status);
    assert_eq!(body(reply), json!({"message": message}));
}

/// A REST refusal, which also names its error type.
fn assert_rest_refused(reply: &Reply, status: u16, message: Value, error_type: &str) {
    assert_refused(reply, status, message);
    assert_eq!(header(reply, "x-amzn-ErrorType"), Some(error_type));
}

fn assert_ends_with(event: &Value, key: &str, suffix: &str) {
    assert!(
        event[key].as_str().unwrap().ends_with(suffix),
        "{key}: {}",
        event[key]
    );
}

/// The echoed proxy event has no `requestContext.authorizer`.
fn assert_no_authorizer_context(reply: &Reply) {
    assert!(
        proxy_event(reply)["requestContext"]
            .get("authorizer")
            .is_none()
    );
}

#[tokio::test]
async fn rest_token_authorizer_answers() {
    let (gw, _clock, calls) = setup(&rest_token_app(0, None));

    // Allowed: the event is exactly AWS's TOKEN event, and the proxy event carries the
    // principal and the context stringified.
    let reply = get(&gw, "/Prod/items/42", &[("Authorization", "allow-1")]).await;
    assert_eq!(
        calls.last(),
        json!({
            "type": "TOKEN",
            "authorizationToken": "allow-1",
            "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:{}/Prod/GET/items/42", gw.snapshot().app.apis[0].api_id),
        })
    );
    let event = proxy_event(&reply);
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"principalId": "user-1", "integrationLatency": 0, "s": "x", "n": "1", "b": "true", "z": null})
    );

    let reply = get(&gw, "/Prod/items/42", &[("Authorization", "deny")]).await;
    assert_rest_refused(
        &reply,
        403,
        json!("User is not authorized to access this resource with an explicit deny"),
        "AccessDeniedException",
    );
    let reply = get(&gw, "/Prod/items/42", &[("Authorization", "nobody")]).await;
    assert_rest_refused(
        &reply,
        403,
        json!("User is not authorized to access this resource"),
        "AccessDeniedException",
    );
    let reply = get(&gw, "/Prod/items/42", &[("Authorization", "unauthorized")]).await;
    assert_rest_refused(&reply, 401, json!("Unauthorized"), "UnauthorizedException");
    for token in ["crash", "garbage", "nested"] {
        let reply = get(&gw, "/Prod/items/42", &[("Authorization", token)]).await;
        assert_rest_refused(&reply, 500, Value::Null, "AuthorizerConfigurationException");
    }

    // No token: 401 without invoking.
    let before = calls.count();
    let reply = get(&gw, "/Prod/items/42", &[]).await;
    assert_rest_refused(&reply, 401, json!("Unauthorized"), "UnauthorizedException");
    let reply = get(&gw, "/Prod/items/42", &[("Authorization", "")]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(calls.count(), before);

    // An open route never calls it.
    let reply = get(&gw, "/Prod/open", &[]).await;
    assert_eq!(reply.status, 200);
    assert_no_authorizer_context(&reply);
    assert_eq!(calls.count(), before);
}

#[tokio::test]
async fn identity_validation_expression_is_checked_before_invoking() {
    let (gw, _clock, calls) = setup(&rest_token_app(0, Some("allow-[0-9]+")));
    let reply = get(&gw, "/Prod/items/1", &[("Authorization", "allow-12")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(calls.count(), 1);
    // The whole token must match, not a part of it.
    for token in ["allow-x", "xallow-1", "allow-1 "] {
        let reply = get(&gw, "/Prod/items/1", &[("Authorization", token)]).await;
        assert_eq!(reply.status, 401, "{token}");
    }
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn results_are_cached_per_token_until_the_ttl() {
    let (gw, clock, calls) = setup(&rest_token_app(300, None));
    for _ in 0..3 {
        assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    }
    assert_eq!(calls.count(), 1, "one call per cache miss");
    // A cached answer reports no authorizer latency.
    let reply = get(&gw, "/Prod/items/1", &[("Authorization", "allow-a")]).await;
    assert_eq!(
        proxy_event(&reply)["requestContext"]["authorizer"]["integrationLatency"],
        0
    );
    // Another token is another entry.
    assert_eq!(token_status(&gw, "/Prod/items/1", "allow-b").await, 200);
    assert_eq!(calls.count(), 2);
    clock.advance(Duration::from_secs(299));
    assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    assert_eq!(calls.count(), 2);
    clock.advance(Duration::from_secs(1));
    assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    assert_eq!(calls.count(), 3, "expired after 300 s");

    // Errors are not kept: an `Unauthorized` answer is asked again.
    get(&gw, "/Prod/items/1", &[("Authorization", "unauthorized")]).await;
    get(&gw, "/Prod/items/1", &[("Authorization", "unauthorized")]).await;
    assert_eq!(calls.count(), 5);
}

#[tokio::test]
async fn a_cached_policy_is_evaluated_against_each_method_arn() {
    let (gw, _clock, calls) = setup(&rest_token_app(300, None));
    assert_eq!(token_status(&gw, "/Prod/items/1", "items-only").await, 200);
    let reply = get(&gw, "/Prod/other", &[("Authorization", "items-only")]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        body(&reply)["message"],
        "User is not authorized to access this resource"
    );
    assert_eq!(
        calls.count(),
        1,
        "the second request used the cached policy"
    );
}

#[tokio::test]
async fn ttl_zero_disables_the_cache() {
    let (gw, _clock, calls) = setup(&rest_token_app(0, None));
    for _ in 0..3 {
        assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    }
    assert_eq!(calls.count(), 3);
}

#[tokio::test]
async fn concurrent_misses_share_one_call() {
    let (gw, _clock, calls) = setup(&rest_token_app(300, None));
    let gw = Arc::new(gw);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let gw = gw.clone();
            tokio::spawn(async move { token_status(&gw, "/Prod/items/1", "slow").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn a_new_snapshot_flushes_the_cache() {
    let app = rest_token_app(300, None);
    let (gw, _clock, calls) = setup(&app);
    assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    let compiled = compile(&app);
    gw.swap(Snapshot::new(compiled, Some(1)));
    assert_eq!(token_status(&gw, "/Prod/items/1", "allow-a").await, 200);
    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn disabled_authorizers_let_everything_through() {
    let (gw, _clock, calls) = setup_with(
        &rest_token_app(0, None),
        AuthSettings {
            disabled: true,
            ..AuthSettings::default()
        },
    );
    let reply = get(&gw, "/Prod/items/1", &[]).await;
    assert_eq!(reply.status, 200);
    assert_no_authorizer_context(&reply);
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn rest_request_authorizer_event_and_identity_sources() {
    let request_auth = authorizer(
        "ReqAuth",
        lambda_kind(LambdaAuthorizerType::Request, PayloadFormat::V1, false),
        &[
            "method.request.header.X-User",
            "method.request.querystring.tenant",
            "stageVariables.env",
            "context.httpMethod",
        ],
        300,
    );
    let mut api = protected_api(
        ApiKind::Rest,
        "/items/{id}",
        AuthorizationType::Custom,
        Some(request_auth),
    );
    api.stages[0].variables.insert("env".into(), "dev".into());
    let app = application(vec![function("Echo", 3), function("Auth", 3)], vec![api]);
    let (gw, _clock, calls) = setup(&app);

    let reply = get(
        &gw,
        "/Prod/items/7?tenant=acme",
        &[("X-User", "allow-u"), ("Host", "x.test")],
    )
    .await;
    assert_status(&reply, 200);
    let event = calls.last();
    let recorded = fixture("lambda-events/example-apigw-custom-auth-request-type-request.json");
    // The same fields as AWS's recorded REQUEST event, in the same order, and no body.
    let ordered = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(ordered(&event), ordered(&recorded));
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["path"], "/items/7");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["X-User"], "allow-u");
    assert_eq!(event["queryStringParameters"], json!({"tenant": "acme"}));
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["stageVariables"], json!({"env": "dev"}));
    assert_ends_with(&event, "methodArn", "/Prod/GET/items/7");
    for field in [
        "path",
        "accountId",
        "resourceId",
        "stage",
        "requestId",
        "identity",
        "resourcePath",
        "httpMethod",
        "apiId",
    ] {
        assert!(
            event["requestContext"].get(field).is_some(),
            "requestContext.{field}"
        );
    }
    assert!(event["requestContext"].get("authorizer").is_none());

    // A missing identity source (the query parameter): 401 without invoking.
    let reply = get(&gw, "/Prod/items/7", &[("X-User", "allow-u")]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(calls.count(), 1);
    // The cache key is all the values: another tenant is another call.
    get(&gw, "/Prod/items/7?tenant=acme", &[("X-User", "allow-u")]).await;
    assert_eq!(calls.count(), 1);
    get(&gw, "/Prod/items/7?tenant=other", &[("X-User", "allow-u")]).await;
    assert_eq!(calls.count(), 2);
}

/// An HTTP API with a Lambda authorizer (`X-User` header) on GET /items and a CORS configuration.
fn http_app(format: PayloadFormat, simple: bool) -> Application {
    let lambda = authorizer(
        "LambdaAuth",
        lambda_kind(LambdaAuthorizerType::Request, format, simple),
        &["$request.header.X-User"],
        0,
    );
    let mut api = protected_api(
        ApiKind::Http,
        "/items",
        AuthorizationType::Custom,
        Some(lambda),
    );
    api.cors = Some(Cors::Http(HttpCors {
        allow_origins: vec!["https://app.test".into()],
        ..HttpCors::default()
    }));
    application(vec![function("Echo", 3), function("Auth", 3)], vec![api])
}

#[tokio::test]
async fn http_api_simple_responses_payload_2() {
    let (gw, _clock, calls) = setup(&http_app(PayloadFormat::V2, true));
    let reply = get(&gw, "/items?a=1", &[("x-user", "simple-yes")]).await;
    assert_status(&reply, 200);
    let event = calls.last();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["identitySource"], json!(["simple-yes"]));
    assert_ends_with(&event, "routeArn", "/$default/GET/items");
    assert_eq!(event["routeKey"], "GET /items");
    assert_eq!(event["rawQueryString"], "a=1");
    assert!(event.get("body").is_none());
    let recorded = fixture("lambda-events/example-apigw-v2-custom-authorizer-v2-request.json");
    for key in recorded.as_object().unwrap().keys() {
        if !["cookies", "pathParameters", "stageVariables"].contains(&key.as_str()) {
            assert!(event.get(key).is_some(), "event.{key}");
        }
    }
    // `requestContext.authorizer.lambda` keeps JSON types in 2.0 events.
    let proxy = proxy_event(&reply);
    assert_eq!(
        proxy["requestContext"]["authorizer"],
        json!({"lambda": {"n": 1, "list": [1, 2], "m": {"k": "v"}}})
    );

    let reply = get(
        &gw,
        "/items",
        &[("x-user", "simple-no"), ("Origin", "https://app.test")],
    )
    .await;
    assert_refused(&reply, 403, json!("Forbidden"));
    // Refusals carry the API's CORS headers.
    assert_eq!(
        header(&reply, "access-control-allow-origin"),
        Some("https://app.test")
    );
    let reply = get(&gw, "/items", &[("Origin", "https://app.test")]).await;
    assert_refused(&reply, 401, json!("Unauthorized"));
    assert_eq!(
        header(&reply, "access-control-allow-origin"),
        Some("https://app.test")
    );
    let reply = get(&gw, "/items", &[("x-user", "crash")]).await;
    assert_refused(&reply, 500, json!("Internal Server Error"));
    // A preflight is answered before any authorizer.
    let before = calls.count();
    let reply = gw
        .handle(request(
            "OPTIONS",
            "/items",
            &[
                ("Origin", "https://app.test"),
                ("Access-Control-Request-Method", "GET"),
            ],
            "",
        ))
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(calls.count(), before);
}

#[tokio::test]
async fn http_api_policy_responses_payload_1() {
    let (gw, _clock, calls) = setup(&http_app(PayloadFormat::V1, false));
    let reply = get(&gw, "/items", &[("x-user", "allow-1")]).await;
    assert_eq!(reply.status, 200);
    let event = calls.last();
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["identitySource"], "allow-1");
    assert_eq!(event["authorizationToken"], "allow-1");
    assert_ends_with(&event, "methodArn", "/$default/GET/items");
    let reply = get(&gw, "/items", &[("x-user", "deny")]).await;
    assert_refused(&reply, 403, json!("Forbidden"));
}

#[tokio::test]
async fn jwt_and_cognito_refuse_missing_and_malformed_tokens() {
    let jwt = authorizer(
        "Jwt",
        AuthorizerKind::Jwt {
            issuer: "http://127.0.0.1:9/issuer".into(),
            audience: vec!["aud".into()],
        },
        &["$request.header.Authorization"],
        0,
    );
    let http = protected_api(ApiKind::Http, "/me", AuthorizationType::Jwt, Some(jwt));
    let cognito = authorizer(
        "Pool",
        AuthorizerKind::CognitoUserPools {
            provider_arns: vec![
                "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool".into(),
            ],
        },
        &["method.request.header.Authorization"],
        300,
    );
    let rest = protected_api(
        ApiKind::Rest,
        "/me",
        AuthorizationType::CognitoUserPools,
        Some(cognito),
    );
    let app = application(vec![function("Echo", 3)], vec![http, rest]);
    let (gw, _clock, _calls) = setup(&app);

    let reply = get(&gw, "/me", &[]).await;
    assert_refused(&reply, 401, json!("Unauthorized"));
    assert_eq!(header(&reply, "www-authenticate"), Some("Bearer"));
    let reply = get(&gw, "/me", &[("Authorization", "Bearer not-a-jwt")]).await;
    assert_eq!(reply.status, 401);
    let challenge = header(&reply, "www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer scope=\"\" error=\"invalid_token\" error_description=\""),
        "{challenge}"
    );

    // The seed application's case: a Cognito default authorizer and no token is 401, not 200.
    let reply = get(&gw, "/Prod/me", &[]).await;
    assert_rest_refused(&reply, 401, json!("Unauthorized"), "UnauthorizedException");
    let reply = get(&gw, "/Prod/me", &[("Authorization", "garbage")]).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn iam_routes_refuse_unsigned_requests() {
    let rest = protected_api(ApiKind::Rest, "/signed", AuthorizationType::AwsIam, None);
    let http = protected_api(ApiKind::Http, "/signed", AuthorizationType::AwsIam, None);
    let app = application(vec![function("Echo", 3)], vec![rest, http]);
    let (gw, _clock, _calls) = setup(&app);
    let reply = get(&gw, "/Prod/signed", &[]).await;
    assert_rest_refused(
        &reply,
        403,
        json!("Missing Authentication Token"),
        "MissingAuthenticationTokenException",
    );
    let reply = get(&gw, "/signed", &[]).await;
    assert_refused(&reply, 403, json!("Forbidden"));
}

#[tokio::test]
async fn protected_routes_are_no_longer_warned_about() {
    let app = rest_token_app(0, None);
    let compiled = compile(&app);
    assert!(
        compiled
            .warnings()
            .iter()
            .all(|w| !w.contains("authorization")),
        "{:?}",
        compiled.warnings()
    );
    // An authorizer whose function is not in the template is said at startup.
    let mut app = rest_token_app(0, None);
    if let AuthorizerKind::Lambda { function, .. } = &mut app.apis[0].authorizers[0].kind {
        *function = "arn:aws:lambda:us-east-1:1:function:Elsewhere".into();
    }
    let compiled = compile(&app);
    assert!(
        compiled
            .warnings()
            .iter()
            .any(|w| w.contains("AUTHORIZER_CONFIGURATION_ERROR"))
    );
    let (gw, _clock, _calls) = setup(&app);
    let reply = get(&gw, "/Prod/items/1", &[("Authorization", "allow")]).await;
    assert_refused(&reply, 500, Value::Null);
}

#[tokio::test]
async fn context_authorizer_variables_reach_gateway_responses() {
    // A function failure after a successful authorizer: the customized DEFAULT_5XX template
    // reads `$context.authorizer.*`.
    let mut app = rest_token_app(0, None);
    let mut broken = lambda_route("GET", "/broken", "Broken", PayloadFormat::V1);
    broken.auth = app.apis[0].routes[0].auth.clone();
    app.apis[0].routes.push(broken);
    app.functions.push(function("Broken", 3));
    app.apis[0].gateway_responses = vec![GatewayResponse {
        response_type: ResponseType::Default5xx,
        status_code: None,
        response_parameters: Default::default(),
        response_templates: vec![(
            "application/json".into(),
            r#"{"p":"$context.authorizer.principalId","s":"$context.authorizer.s","n":"$context.authorizer.n","b":"$context.authorizer.b"}"#.into(),
        )],
        source: SourceLocation::default(),
    }];
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let calls = Arc::new(Calls::default());
    let compiled = compile(&app);
    let inner = calls.clone();
    let backend = FnBackend(move |function: String, invocation: Invocation| {
        let calls = inner.clone();
        async move {
            let event: Value = serde_json::from_slice(&invocation.payload).unwrap();
            let outcome = if function == "Auth" {
                calls.count.fetch_add(1, Ordering::SeqCst);
                authorizer_answer(event["authorizationToken"].as_str().unwrap_or("")).await
            } else {
                Outcome::Error {
                    error_type: "Unhandled".into(),
                    payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
                }
            };
            Ok(InvocationResult {
                request_id: "r".into(),
                outcome,
            })
        }
    });
    let gw = Gateway::with_clock(Snapshot::new(compiled, Some(1)), Arc::new(backend), clock);
    let reply = get(&gw, "/Prod/broken", &[("Authorization", "allow")]).await;
    assert_eq!(reply.status, 502);
    assert_eq!(
        body(&reply),
        json!({"p": "user-1", "s": "x", "n": "1", "b": "true"})
    );
    assert_eq!(calls.count(), 1);
}

/// The time a cached Lambda authorizer adds to a request, in-process (median of many requests,
/// protected route minus open route). A measurement, not a check:
/// `cargo test -p lambdagate-gateway --release --test authorizers -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "measurement"]
async fn cached_lambda_authorizer_latency() {
    let (gw, _clock, calls) = setup(&rest_token_app(300, None));
    let token = [("Authorization", "allow-bench")];
    assert_eq!(get(&gw, "/Prod/other", &token).await.status, 200);
    let mut open = Vec::new();
    let mut protected = Vec::new();
    for _ in 0..5000 {
        let started = std::time::Instant::now();
        get(&gw, "/Prod/open", &[]).await;
        open.push(started.elapsed().as_nanos());
        let started = std::time::Instant::now();
        get(&gw, "/Prod/other", &token).await;
        protected.push(started.elapsed().as_nanos());
    }
    assert_eq!(calls.count(), 1);
    let median = |v: &mut Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2] as f64 / 1000.0
    };
    let (o, p) = (median(&mut open), median(&mut protected));
    println!(
        "median per request: open route {o:.1} µs, with a cached Lambda authorizer {p:.1} µs, added {:.1} µs",
        p - o
    );
}

#[tokio::test]
async fn without_identity_sources_every_request_is_authorized_afresh() {
    let mut app = http_app(PayloadFormat::V2, true);
    app.apis[0].authorizers[0].identity_sources.clear();
    // A TTL with nothing to key on caches nothing.
    app.apis[0].authorizers[0].result_ttl_secs = 300;
    let (gw, _clock, calls) = setup(&app);
    for _ in 0..2 {
        let reply = get(&gw, "/items", &[("x-user", "simple-yes")]).await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(calls.count(), 2);
    // As the recorded `…-v2-request-without-identity-source` event: no identitySource key.
    let event = calls.last();
    let recorded = fixture(
        "lambda-events/example-apigw-v2-custom-authorizer-v2-request-without-identity-source.json",
    );
    assert!(recorded.get("identitySource").is_none());
    assert!(event.get("identitySource").is_none());
    assert_eq!(event["type"], "REQUEST");
    // No header is required: the function is asked, and its policy-shaped answer is not a
    // simple response, which is a configuration error (500).
    let reply = get(&gw, "/items", &[]).await;
    assert_eq!(calls.count(), 3);
    assert_refused(&reply, 500, json!("Internal Server Error"));
}
