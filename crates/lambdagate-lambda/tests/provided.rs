//! The function service end to end with `provided` runtimes: the official Rust
//! `lambda_runtime` client unchanged, and a small script runtime for faults.

mod common;

use std::time::{Duration, Instant};

use common::*;
use lambdagate_lambda::{InvokeError, ServiceConfig};

#[tokio::test]
async fn official_rust_client_works_unchanged() {
    let f = function("RustHello", "provided.al2023", rust_hello_dir(), None);
    let service = start(vec![f]).await;
    let first = call(&service, "RustHello", r#"{"echo": true}"#).await;
    let body = response(&first);
    assert_eq!(body["statusCode"], 200);
    let inner: serde_json::Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert_eq!(inner["requestId"], first.request_id.as_str());
    assert_eq!(inner["event"]["echo"], true);
    // A real deadline: about 3 s from now, in epoch milliseconds.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let deadline = inner["deadline"].as_i64().unwrap();
    assert!(
        deadline > now_ms + 1000 && deadline <= now_ms + 3100,
        "{deadline} vs {now_ms}"
    );
    // Warm: the same instance answers the second call.
    let second = call(&service, "RustHello", "{}").await;
    assert_eq!(response(&second)["body"], "hello");
    assert_eq!(service.live_instances("RustHello"), 1);
    let logs = service.log_text("RustHello", &first.request_id);
    assert!(
        logs.starts_with(&format!(
            "START RequestId: {} Version: $LATEST",
            first.request_id
        )),
        "{logs}"
    );
    assert!(logs.contains("Init Duration: "), "{logs}");
    assert!(logs.contains("Max Memory Used: "), "{logs}");
    let logs2 = service.log_text("RustHello", &second.request_id);
    assert!(!logs2.contains("Init Duration"), "{logs2}");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn context_headers_and_environment_reach_the_runtime() {
    let mut f = script_function("Script");
    f.environment
        .insert("MY_VAR".into(), "from-template".into());
    f.memory_mb = 256;
    let service = start(vec![f]).await;
    let result = service
        .invoke(
            "Script",
            lambdagate_lambda::Invocation {
                payload: r#"{"echo": 1}"#.into(),
                trace_id: Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into()),
                client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
                cognito_identity: Some(r#"{"cognitoIdentityId":"id"}"#.into()),
                request_id: Some("11111111-2222-4333-8444-555555555555".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(result.request_id, "11111111-2222-4333-8444-555555555555");
    let body = response(&result);
    let h = &body["headers"];
    assert_eq!(
        h["lambda-runtime-aws-request-id"],
        result.request_id.as_str()
    );
    assert_eq!(
        h["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:Script"
    );
    assert_eq!(
        h["lambda-runtime-trace-id"],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    );
    assert_eq!(
        h["lambda-runtime-client-context"],
        r#"{"custom":{"k":"v"}}"#
    );
    assert_eq!(
        h["lambda-runtime-cognito-identity"],
        r#"{"cognitoIdentityId":"id"}"#
    );
    let env = &body["env"];
    assert_eq!(env["MY_VAR"], "from-template");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "Script");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["TZ"], ":UTC");
    assert!(
        env.get("AWS_EXECUTION_ENV").is_none(),
        "provided runtimes have no AWS_EXECUTION_ENV"
    );
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap();
    assert!(api.starts_with("127.0.0.1:") && !api.contains('/'), "{api}");
    assert!(
        env["AWS_LAMBDA_LOG_STREAM_NAME"]
            .as_str()
            .unwrap()
            .contains("[$LATEST]")
    );
    assert_eq!(
        env["LAMBDA_TASK_ROOT"],
        fixture("lambda/script-runtime").display().to_string()
    );
    assert_eq!(
        body["cwd"],
        fixture("lambda/script-runtime").display().to_string()
    );
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn function_errors_pass_through_verbatim() {
    let service = start(vec![script_function("Script")]).await;
    let result = call(&service, "Script", r#"{"fail": "boom"}"#).await;
    let (kind, body) = error(&result);
    assert_eq!(kind, "MyError");
    assert_eq!(
        body,
        serde_json::json!({"errorMessage": "boom", "errorType": "MyError", "stackTrace": ["a", "b"]})
    );
    // The instance keeps serving.
    assert_eq!(response(&call(&service, "Script", "{}").await)["ok"], true);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn timeout_kills_the_group_and_a_fresh_instance_follows() {
    let mut f = script_function("Slow");
    f.timeout_secs = 1;
    let service = start(vec![f]).await;
    let first = response(&call(&service, "Slow", r#"{"spawn_child": true}"#).await);
    let (pid, child) = (
        first["pid"].as_u64().unwrap() as u32,
        first["child"].as_u64().unwrap() as u32,
    );
    let started = Instant::now();
    let result = call(&service, "Slow", r#"{"sleep": 30}"#).await;
    let took = started.elapsed();
    // Cut at the 1 s Timeout, not after the 30 s sleep (the upper bound only catches that,
    // so a busy machine cannot fail it).
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(20),
        "{took:?}"
    );
    let (kind, body) = error(&result);
    assert_eq!(kind, "Sandbox.Timedout");
    assert_eq!(
        body["errorMessage"],
        format!(
            "RequestId: {} Error: Task timed out after 1.00 seconds",
            result.request_id
        )
    );
    let logs = service.log_text("Slow", &result.request_id);
    assert!(logs.contains("Task timed out after 1.00 seconds"), "{logs}");
    assert!(logs.contains("Status: timeout"), "{logs}");
    let next = response(&call(&service, "Slow", "{}").await);
    assert_ne!(
        next["pid"].as_u64().unwrap() as u32,
        pid,
        "a fresh instance serves the next call"
    );
    assert!(!alive(pid), "the timed-out instance is gone");
    assert!(!alive(child), "its child process is gone too");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn crash_fails_only_that_invocation() {
    let service = start(vec![script_function("Crashy")]).await;
    let result = call(&service, "Crashy", r#"{"exit": 7}"#).await;
    let (kind, body) = error(&result);
    assert_eq!(kind, "Runtime.ExitError");
    assert_eq!(
        body["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited with error: exit status 7",
            result.request_id
        )
    );
    assert_eq!(response(&call(&service, "Crashy", "{}").await)["ok"], true);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn init_error_answers_at_once_without_a_restart_storm() {
    let mut f = script_function("Broken");
    f.environment.insert("INIT_FAIL".into(), "1".into());
    let service = start(vec![f]).await;
    let (kind, body) = error(&call(&service, "Broken", "{}").await);
    assert_eq!(kind, "Runtime.ImportModuleError");
    assert_eq!(body["errorType"], "Runtime.ImportModuleError");
    // Further calls get the same answer from the remembered failure, starting nothing: no
    // instance is left and only one init was reported (checked below).
    for _ in 0..20 {
        let (kind, _) = error(&call(&service, "Broken", "{}").await);
        assert_eq!(kind, "Runtime.ImportModuleError");
    }
    assert_eq!(service.live_instances("Broken"), 0);
    let init_lines = service
        .logs("Broken")
        .iter()
        .filter(|l| l.text.starts_with("INIT_REPORT"))
        .count();
    assert_eq!(init_lines, 1, "one init attempt, not one per call");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn init_exit_without_report_is_an_exit_error() {
    let mut f = script_function("Quits");
    f.environment.insert("INIT_EXIT".into(), "1".into());
    let service = start(vec![f]).await;
    let result = call(&service, "Quits", "{}").await;
    let (kind, body) = error(&result);
    assert_eq!(kind, "Runtime.ExitError");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: exit status 3")
    );
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn missing_bootstrap_is_invalid_entrypoint() {
    let f = function("NoBoot", "provided.al2", std::env::temp_dir(), None);
    let service = start(vec![f]).await;
    let (kind, body) = error(&call(&service, "NoBoot", "{}").await);
    assert_eq!(kind, "Runtime.InvalidEntrypoint");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Couldn't find valid bootstrap(s)")
    );
    service.shutdown(Duration::from_secs(2)).await;
}

/// An empty folder for the script runtime's `barrier`.
fn barrier_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lambdagate-barrier-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn eight_parallel_calls_run_side_by_side() {
    let service = start(vec![script_function("Par")]).await;
    // Each call waits until all eight are inside the function: they can only all answer `ok`
    // if eight instances ran at the same time, however slow the machine is.
    let dir = barrier_dir("par");
    let event = serde_json::json!({ "barrier": [dir, 8] }).to_string();
    let calls = (0..8)
        .map(|_| {
            let service = service.clone();
            let event = event.clone();
            tokio::spawn(async move { call(&service, "Par", &event).await })
        })
        .collect::<Vec<_>>();
    for c in calls {
        assert_eq!(response(&c.await.unwrap())["ok"], true);
    }
    assert_eq!(service.live_instances("Par"), 8);
    let _ = std::fs::remove_dir_all(&dir);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn concurrency_cap_queues_then_throttles() {
    let mut f = script_function("Capped");
    f.reserved_concurrency = Some(1);
    let config = ServiceConfig {
        queue_depth: 1,
        ..Default::default()
    };
    let service = start_with(vec![f], config).await;
    let s1 = service.clone();
    let busy = tokio::spawn(async move { call(&s1, "Capped", r#"{"sleep": 1}"#).await });
    // Wait until the first call runs on the only instance (its START line is logged).
    while !service
        .logs("Capped")
        .iter()
        .any(|l| l.text.starts_with("START"))
    {
        tokio::task::yield_now().await;
    }
    let inv = || lambdagate_lambda::Invocation {
        payload: "{}".into(),
        ..Default::default()
    };
    // The second caller is queued: polling its future once submits it.
    let mut queued = Box::pin(service.invoke("Capped", inv()));
    assert!(
        tokio::time::timeout(Duration::ZERO, &mut queued)
            .await
            .is_err()
    );
    // The queue is full: a third caller is throttled at once.
    assert!(matches!(
        service.invoke("Capped", inv()).await,
        Err(InvokeError::TooManyRequests)
    ));
    assert_eq!(response(&busy.await.unwrap())["ok"], true);
    assert_eq!(response(&queued.await.unwrap())["ok"], true);
    assert_eq!(service.live_instances("Capped"), 1);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn unknown_functions_and_qualifiers_are_not_found() {
    let service = start(vec![script_function("Script")]).await;
    let inv = || lambdagate_lambda::Invocation {
        payload: "{}".into(),
        ..Default::default()
    };
    match service.invoke("Nope", inv()).await {
        Err(InvokeError::FunctionNotFound(arn)) => {
            assert_eq!(arn, "arn:aws:lambda:us-east-1:123456789012:function:Nope")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        service.invoke("Script:live", inv()).await,
        Err(InvokeError::FunctionNotFound(_))
    ));
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:Script:$LATEST";
    assert_eq!(
        response(&service.invoke(arn, inv()).await.unwrap())["ok"],
        true
    );
    let big = lambdagate_lambda::Invocation {
        payload: vec![b' '; 7 * 1024 * 1024].into(),
        ..Default::default()
    };
    assert!(matches!(
        service.invoke("Script", big).await,
        Err(InvokeError::RequestTooLarge { .. })
    ));
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn short_invocations_share_the_burst_instances_instead_of_starting_more() {
    let config = ServiceConfig {
        burst_instances_http: 2,
        // Long enough that no invocation here waits that long: only the burst may start.
        scale_up_after: Duration::from_secs(30),
        ..ServiceConfig::default()
    };
    let service = start_with(vec![script_function("Short")], config).await;
    let calls = (0..12)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move { call(&service, "Short", "{}").await })
        })
        .collect::<Vec<_>>();
    for c in calls {
        assert_eq!(response(&c.await.unwrap())["ok"], true);
    }
    assert_eq!(service.live_instances("Short"), 2);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn invocations_that_wait_start_instances_beyond_the_burst_up_to_the_cap() {
    let config = ServiceConfig {
        burst_instances_http: 1,
        scale_up_after: Duration::from_millis(20),
        default_max_concurrency: 3,
        ..ServiceConfig::default()
    };
    let service = start_with(vec![script_function("Waits")], config).await;
    // Three meet inside the function (so three instances ran at once although the burst is
    // one); the fourth waits for one of them and finds the barrier already met.
    let dir = barrier_dir("waits");
    let event = serde_json::json!({ "barrier": [dir, 3] }).to_string();
    let calls = (0..4)
        .map(|_| {
            let service = service.clone();
            let event = event.clone();
            tokio::spawn(async move { call(&service, "Waits", &event).await })
        })
        .collect::<Vec<_>>();
    for c in calls {
        assert_eq!(response(&c.await.unwrap())["ok"], true);
    }
    assert_eq!(service.live_instances("Waits"), 3);
    let _ = std::fs::remove_dir_all(&dir);
    service.shutdown(Duration::from_secs(2)).await;
}

/// CPU time this thread has used (user and system), in clock ticks, from
/// `/proc/thread-self/stat`.
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // After the command name (in parentheses, and it may hold spaces) come the state, then
    // ten more fields, then utime and stime.
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn invocations_waiting_for_a_starting_instance_cost_the_service_no_cpu() {
    let mut slow = script_function("SlowStart");
    slow.environment.insert("INIT_SLEEP".into(), "1".into());
    let config = ServiceConfig {
        burst_instances_http: 1,
        scale_up_after: Duration::from_millis(10),
        ..ServiceConfig::default()
    };
    let service = start_with(vec![slow], config).await;
    // The service's tasks run on this test's single thread, so its CPU time is theirs.
    let before = thread_cpu_ticks();
    let calls = (0..4)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move { call(&service, "SlowStart", "{}").await })
        })
        .collect::<Vec<_>>();
    for c in calls {
        assert_eq!(response(&c.await.unwrap())["ok"], true);
    }
    let used = thread_cpu_ticks() - before;
    // Before: while the instance slept through its init, the pool's scaler looked again at
    // once, over and over, and took a core for the whole second (about 100 ticks).
    assert!(
        used < 30,
        "{used} ticks of CPU while invocations waited a 1 s init"
    );
    service.shutdown(Duration::from_secs(2)).await;
}
