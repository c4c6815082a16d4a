//! The function service end to end with the Python and Node bootstraps and the handler
//! fixtures of every style (tests/fixtures/functions).

mod common;

use std::time::Duration;

use common::*;
use lambdagate_model::Function;

fn py(folder: &str, handler: &str) -> Function {
    let mut f = function(
        &format!("py_{}", folder.replace('/', "_")),
        "python3.11",
        fixture(&format!("functions/python/{folder}")),
        Some(handler),
    );
    f.logical_id = format!("{}_{}", f.logical_id, handler.replace(['.', '/'], "_"));
    f.function_name = f.logical_id.clone();
    f
}

fn node(folder: &str, handler: &str) -> Function {
    let mut f = function(
        &format!("node_{}", folder.replace('/', "_")),
        "nodejs20.x",
        fixture(&format!("functions/node/{folder}")),
        Some(handler),
    );
    f.logical_id = format!("{}_{}", f.logical_id, handler.replace(['.', '/'], "_"));
    f.function_name = f.logical_id.clone();
    f
}

/// The body of a proxy response, parsed.
fn proxy_body(value: &serde_json::Value) -> serde_json::Value {
    assert_eq!(value["statusCode"], 200, "{value}");
    serde_json::from_str(value["body"].as_str().expect("body string")).expect("JSON body")
}

#[tokio::test]
async fn every_handler_style_answers() {
    let cases: Vec<(Function, &str, serde_json::Value)> = vec![
        (py("hello", "app.handler"), "message", "hello world".into()),
        (
            py("nested", "src/handlers/app.handler"),
            "module",
            "src.handlers.app".into(),
        ),
        (
            py("nested", "src.handlers.app.handler"),
            "module",
            "src.handlers.app".into(),
        ),
        (
            node("cjs_async", "index.handler"),
            "message",
            "hello from cjs async".into(),
        ),
        (node("cjs_callback", "index.handler"), "waits", true.into()),
        (
            node("no_wait", "index.handler"),
            "message",
            "responded without waiting".into(),
        ),
        (
            node("context_succeed", "index.succeed"),
            "message",
            "via context.succeed".into(),
        ),
        (
            node("context_succeed", "index.done"),
            "message",
            "via context.done".into(),
        ),
        (
            node("esm_mjs", "index.handler"),
            "message",
            "hello from esm .mjs".into(),
        ),
        (
            node("esm_type_module", "app.handler"),
            "moduleKind",
            "esm".into(),
        ),
        (
            node("nested", "src/handlers/get.handler"),
            "handler",
            "src/handlers/get.handler".into(),
        ),
    ];
    let functions: Vec<Function> = cases.iter().map(|(f, _, _)| f.clone()).collect();
    let service = start(functions).await;
    let calls = cases
        .iter()
        .map(|(f, key, want)| {
            let service = service.clone();
            let (name, key, want) = (f.logical_id.clone(), key.to_string(), want.clone());
            tokio::spawn(async move {
                let result = call(&service, &name, "{}").await;
                let body = proxy_body(&response(&result));
                assert_eq!(body[&key], want, "{name}: {body}");
            })
        })
        .collect::<Vec<_>>();
    for c in calls {
        c.await.unwrap();
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn node_context_has_the_official_clients_shape_with_one_set_of_accessors() {
    // Own keys in the official client's order, callbackWaitsForEmptyEventLoop an own enumerable
    // accessor that nothing else reveals. Its two functions are the same for every invocation:
    // fresh ones per context gave every context its own V8 hidden class, which kept each
    // invocation's closures alive through every minor collection (docs/design-notes.md,
    // "Node's minor collections").
    let f = node("context_shape", "index.handler");
    let service = start(vec![f.clone()]).await;
    let first = proxy_body(&response(&call(&service, &f.logical_id, "{}").await));
    let second = proxy_body(&response(&call(&service, &f.logical_id, "{}").await));
    assert_eq!(
        first["keys"],
        serde_json::json!([
            "callbackWaitsForEmptyEventLoop",
            "succeed",
            "fail",
            "done",
            "functionVersion",
            "functionName",
            "memoryLimitInMB",
            "logGroupName",
            "logStreamName",
            "clientContext",
            "identity",
            "invokedFunctionArn",
            "awsRequestId",
            "tenantId",
            "getRemainingTimeInMillis"
        ]),
        "{first}"
    );
    assert_eq!(first["symbols"], 0, "{first}");
    assert_eq!(first["prototypeIsObject"], true, "{first}");
    assert_eq!(
        first["descriptor"],
        serde_json::json!({"get": "function", "set": "function", "enumerable": true, "configurable": true}),
        "{first}"
    );
    for body in [&first, &second] {
        assert_eq!(body["initially"], true, "{body}");
        assert_eq!(body["afterSet"], false, "{body}");
        assert_eq!(body["viaChild"], true, "{body}");
        assert_eq!(body["childReads"], true, "{body}");
        assert_eq!(body["json"], false, "{body}");
    }
    assert_eq!(first["sameAccessors"], serde_json::Value::Null, "{first}");
    assert_eq!(second["sameAccessors"], true, "{second}");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn output_without_a_final_newline_is_logged_before_its_invocations_end() {
    // Lambda logs a write without a newline as its own line at the end of the invocation that
    // wrote it; it used to wait here for the next invocation's output or the instance's exit.
    let f = py("no_newline", "app.handler");
    let service = start(vec![f.clone()]).await;
    for _ in 0..2 {
        let result = call(&service, &f.logical_id, "{}").await;
        assert_eq!(response(&result)["ok"], true);
        let logs = service.log_text(&f.logical_id, &result.request_id);
        let lines: Vec<&str> = logs.lines().collect();
        let end = lines
            .iter()
            .position(|l| l.starts_with("END RequestId"))
            .unwrap_or_else(|| panic!("no END: {logs}"));
        for text in ["to stdout, no newline", "to stderr, no newline"] {
            let at = lines.iter().position(|l| *l == text);
            assert!(at.is_some_and(|at| at < end), "`{text}` before END: {logs}");
        }
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn node_runs_with_lambdas_v8_options_sized_from_memory() {
    // Lambda's Node.js runtimes expose gc() and size the heap from MemorySize: a tenth for the
    // young generation (two semi-spaces), the rest for the old one. V8's limit is the old space
    // plus three semi-spaces, each rounded up to a power of two: 116 + 3 * 8 MB at 128 MB (semi-
    // spaces of 6), 922 + 3 * 64 MB at 1024 MB (51).
    let mut small = node("v8", "index.handler");
    small.memory_mb = 128;
    let mut large = node("v8", "index.handler");
    large.logical_id = "node_v8_large".into();
    large.function_name = large.logical_id.clone();
    large.memory_mb = 1024;
    let service = start(vec![small.clone(), large.clone()]).await;
    for (f, limit_mb) in [(&small, 140.0), (&large, 1114.0)] {
        let body = response(&call(&service, &f.logical_id, "{}").await);
        assert_eq!(body["gc"], "function", "{}: {body}", f.logical_id);
        assert_eq!(body["collected"], true, "{}: {body}", f.logical_id);
        let got = body["heapSizeLimitMb"].as_f64().unwrap();
        // Without the options V8 sizes the heap from the machine's memory: gigabytes.
        assert!(
            (got - limit_mb).abs() <= 2.0,
            "{}: heap limit {got} MB, want about {limit_mb}",
            f.logical_id
        );
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn context_fields_and_environment_in_python_and_node() {
    let mut p = py("echo", "app.handler");
    p.memory_mb = 512;
    let n = node("echo", "index.handler");
    let service = start(vec![p.clone(), n.clone()]).await;
    for (f, fields) in [
        (
            &p,
            [
                "aws_request_id",
                "function_name",
                "memory_limit_in_mb",
                "remaining_time_in_millis",
                "invoked_function_arn",
            ],
        ),
        (
            &n,
            [
                "awsRequestId",
                "functionName",
                "memoryLimitInMB",
                "remainingTimeInMillis",
                "invokedFunctionArn",
            ],
        ),
    ] {
        let result = service
            .invoke(
                &f.logical_id,
                lambdagate_lambda::Invocation {
                    payload: r#"{"k": "v"}"#.into(),
                    trace_id: Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into()),
                    client_context: Some(r#"{"custom":{"a":"b"},"env":{}}"#.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let body = proxy_body(&response(&result));
        let ctx = &body["context"];
        assert_eq!(body["event"]["k"], "v");
        assert_eq!(ctx[fields[0]], result.request_id.as_str());
        assert_eq!(ctx[fields[1]], f.function_name.as_str());
        assert_eq!(ctx[fields[2]], f.memory_mb.to_string());
        let remaining = ctx[fields[3]].as_i64().unwrap();
        assert!(remaining > 2000 && remaining <= 3000, "{remaining}");
        assert_eq!(ctx[fields[4]], f.arn.as_str());
        let env = &body["env"];
        assert_eq!(
            env["_X_AMZN_TRACE_ID"],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
        );
        assert_eq!(env["LAMBDA_TASK_ROOT"], f.code_dir.display().to_string());
        assert_eq!(env["_HANDLER"], f.handler.as_deref().unwrap());
        assert_eq!(
            env["AWS_LAMBDA_LOG_GROUP_NAME"],
            format!("/aws/lambda/{}", f.function_name)
        );
        assert_eq!(body["cwd"], f.code_dir.display().to_string());
        // The bootstrap's Unix socket is not part of Lambda's environment.
        assert!(env["LAMBDAGATE_RUNTIME_SOCKET"].is_null(), "{env}");
        // But the bootstrap talks to the Runtime API over it: its process holds a Unix socket.
        let pid = body["pid"].as_u64().unwrap();
        assert!(holds_unix_socket(pid), "{} uses no Unix socket", f.runtime);
    }
    service.shutdown(Duration::from_secs(2)).await;
}

/// Whether process `pid` has a Unix socket open (its fds' inodes against /proc/net/unix).
fn holds_unix_socket(pid: u64) -> bool {
    let table = std::fs::read_to_string("/proc/net/unix").unwrap();
    let unix: std::collections::HashSet<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(6))
        .collect();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|t| {
            let t = t.to_string_lossy().into_owned();
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .any(|inode| unix.contains(inode.as_str()))
}

/// The value of `name` in the environment a process started with.
fn initial_env(pid: u64, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|b| *b == 0).find_map(|entry| {
        let entry = String::from_utf8_lossy(entry);
        Some(entry.strip_prefix(name)?.strip_prefix('=')?.to_string())
    })
}

#[tokio::test]
async fn only_the_instance_can_use_its_bootstraps_unix_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut victim = node("slow_init", "index.handler");
    // Its init lasts until the test opens this gate: no race with the clock.
    let gate = std::env::temp_dir().join(format!("lambdagate-init-gate-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    victim
        .environment
        .insert("INIT_GATE".into(), gate.display().to_string());
    let service = start(vec![victim.clone()]).await;
    let (s, id) = (service.clone(), victim.logical_id.clone());
    let first = tokio::spawn(async move { call(&s, &id, "{}").await });
    // While the function initialises, its bootstrap has not connected yet: the socket is
    // there, and any process of the same user finds it in the instance's environ.
    let wanted = format!("AWS_LAMBDA_FUNCTION_NAME={}", victim.function_name);
    let socket = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let found = std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .find_map(|entry| {
                    let pid: u64 = entry.file_name().to_str()?.parse().ok()?;
                    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
                    let text = String::from_utf8_lossy(&environ);
                    text.split('\0')
                        .any(|e| e == wanted)
                        .then(|| initial_env(pid, "LAMBDAGATE_RUNTIME_SOCKET"))?
                });
            if let Some(path) = found {
                break path;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the instance's Unix socket");
    // This test's process is not one of the instance's: an init error asking for its
    // acknowledgement is not taken; the connection is closed unanswered.
    let mut thief = tokio::net::UnixStream::connect(&socket).await.unwrap();
    thief.write_all(b"I\x07\0\0\0\x01\0\0\0\0{}").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), thief.read_to_end(&mut answer))
        .await
        .expect("closed, not left open");
    assert!(answer.is_empty(), "answered {answer:?} ({read:?})");
    // The bootstrap connects once initialised and serves; then the socket is gone.
    std::fs::write(&gate, b"").unwrap();
    let body = proxy_body(&response(&first.await.unwrap()));
    assert!(body["pid"].as_u64().is_some());
    assert!(
        !std::path::Path::new(&socket).exists(),
        "{socket} left behind"
    );
    assert_eq!(service.live_instances(&victim.logical_id), 1);
    let _ = std::fs::remove_file(&gate);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn function_errors_keep_each_clients_shape() {
    let p = py("error", "app.handler");
    let n = node("error", "index.handler");
    let service = start(vec![p.clone(), n.clone()]).await;
    let result = call(&service, &p.logical_id, "{}").await;
    let (_, body) = error(&result);
    assert_eq!(body["errorType"], "OrderNotFound");
    assert_eq!(body["errorMessage"], "order 42 does not exist");
    assert_eq!(body["requestId"], result.request_id.as_str());
    assert_eq!(body["stackTrace"].as_array().unwrap().len(), 2);
    let logs = service.log_text(&p.logical_id, &result.request_id);
    assert!(
        logs.contains("[ERROR] OrderNotFound: order 42 does not exist"),
        "{logs}"
    );
    let (_, body) = error(&call(&service, &n.logical_id, "{}").await);
    assert_eq!(body["errorType"], "ValidationError");
    assert_eq!(body["errorMessage"], "name is required");
    assert!(body["trace"].is_array());
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn init_errors_carry_lambdas_types() {
    let cases = [
        (py("init_error", "app.handler"), "Runtime.ImportModuleError"),
        (
            py("syntax_error", "app.handler"),
            "Runtime.UserCodeSyntaxError",
        ),
        (py("missing_handler", "app.nope"), "Runtime.HandlerNotFound"),
        (
            node("init_error", "index.handler"),
            "Runtime.ImportModuleError",
        ),
        (
            node("syntax_error", "index.handler"),
            "Runtime.UserCodeSyntaxError",
        ),
        (
            node("missing_handler", "index.nope"),
            "Runtime.HandlerNotFound",
        ),
    ];
    let service = start(cases.iter().map(|(f, _)| f.clone()).collect()).await;
    for (f, want) in &cases {
        let (kind, body) = error(&call(&service, &f.logical_id, "{}").await);
        assert_eq!(kind, *want, "{}: {body}", f.logical_id);
        assert_eq!(body["errorType"], *want);
        // Remembered: the next call answers the same without a new process.
        let (again, _) = error(&call(&service, &f.logical_id, "{}").await);
        assert_eq!(again, *want);
        assert_eq!(service.live_instances(&f.logical_id), 0);
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn crashes_and_timeouts_in_python_and_node() {
    let mut ps = py("sleeper", "app.handler");
    ps.timeout_secs = 1;
    let mut ns = node("sleeper", "index.handler");
    ns.timeout_secs = 1;
    let pc = py("crasher", "app.handler");
    let nc = node("crasher", "index.handler");
    let service = start(vec![ps.clone(), ns.clone(), pc.clone(), nc.clone()]).await;
    for f in [&pc, &nc] {
        let result = call(&service, &f.logical_id, "{}").await;
        let (kind, body) = error(&result);
        assert_eq!(kind, "Runtime.ExitError");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap()
                .ends_with("Runtime exited with error: exit status 3"),
            "{body}"
        );
        let logs = service.log_text(&f.logical_id, &result.request_id);
        assert!(logs.contains("about to crash"), "{logs}");
    }
    for f in [&ps, &ns] {
        let result = call(&service, &f.logical_id, r#"{"seconds": 5}"#).await;
        let (kind, _) = error(&result);
        assert_eq!(kind, "Sandbox.Timedout");
        let ok = proxy_body(&response(
            &call(&service, &f.logical_id, r#"{"seconds": 0}"#).await,
        ));
        assert_eq!(ok["slept"].as_f64(), Some(0.0));
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn layers_are_mapped_as_opt() {
    let mut p = py("layer_user", "app.handler");
    p.layers = vec![fixture("layers/py")];
    let service = start(vec![p.clone()]).await;
    let body = proxy_body(&response(&call(&service, &p.logical_id, "{}").await));
    assert_eq!(body["message"], "hello from the layer");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn streamed_responses_are_collected_and_trailer_errors_fail() {
    let ok = node("streaming", "index.handler");
    let failing = node("streaming", "index.failing");
    let service = start(vec![ok.clone(), failing.clone()]).await;
    let result = call(&service, &ok.logical_id, "{}").await;
    let lambdagate_lambda::Outcome::Response(body) = &result.outcome else {
        panic!("{:?}", result.outcome)
    };
    assert!(
        body.ends_with(b"\0\0\0\0\0\0\0\0hello streamed world"),
        "{body:?}"
    );
    let (kind, body) = error(&call(&service, &failing.logical_id, "{}").await);
    assert_eq!(kind, "Error");
    assert_eq!(body["errorMessage"], "stream broke");
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn answers_over_six_mb_fail_and_the_instance_keeps_serving() {
    let py = py("big", "app.handler");
    let node = node("big", "index.handler");
    let service = start(vec![py.clone(), node.clone()]).await;
    for f in [&py, &node] {
        // Just under Lambda's limit (the JSON string's quotes count): answered.
        let fits = lambdagate_lambda::errors::MAX_RESPONSE_BYTES - 200;
        let result = call(&service, &f.logical_id, &format!(r#"{{"size": {fits}}}"#)).await;
        let text = response(&result);
        assert_eq!(text.as_str().map(str::len), Some(fits), "{}", f.runtime);
        // Over it: Lambda's error, and the same instance serves the next call.
        let over = 7 * 1024 * 1024;
        let result = call(&service, &f.logical_id, &format!(r#"{{"size": {over}}}"#)).await;
        let (kind, body) = error(&result);
        assert_eq!(
            kind, "Function.ResponseSizeTooLarge",
            "{}: {body}",
            f.runtime
        );
        let result = call(&service, &f.logical_id, r#"{"size": 5}"#).await;
        assert_eq!(response(&result), "xxxxx", "{}", f.runtime);
        assert_eq!(service.live_instances(&f.logical_id), 1, "{}", f.runtime);
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn an_exception_after_the_answer_does_not_take_the_next_invocation_down() {
    let f = node("late_throw", "index.handler");
    let service = start(vec![f.clone()]).await;
    let first = response(&call(&service, &f.logical_id, r#"{"throwLater": true}"#).await);
    // The instance throws 100 ms later, while it waits for its next event, and exits (129).
    let pid = first["pid"].as_u64().unwrap() as u32;
    tokio::time::timeout(Duration::from_secs(20), async {
        while alive(pid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the instance exits after its uncaught exception");
    // The next invocation is not handed to it: a new instance answers.
    let second = response(&call(&service, &f.logical_id, "{}").await);
    assert_ne!(second["pid"], first["pid"]);
    let lines: Vec<String> = service
        .logs(&f.logical_id)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("thrown after the answer")),
        "{lines:?}"
    );
    service.shutdown(Duration::from_secs(2)).await;
}

/// The Python bootstrap's own unit tests (runtimes/python/test_bootstrap.py): its shortcuts
/// around the standard library (the event's JSON, the context's environment) give exactly
/// what the standard library gives.
#[test]
fn python_bootstrap_unit_tests() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../runtimes/python/test_bootstrap.py");
    let python =
        lambdagate_lambda::bootstraps::interpreter(lambdagate_model::RuntimeFamily::Python)
            .expect("an interpreter for Python");
    let out = std::process::Command::new(python)
        .arg(&script)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Events reach the Python handler as `json.loads` reads them: whitespace around the document
/// is fine; anything else after it is the runtime's unmarshal error, with `json`'s message.
#[tokio::test]
async fn python_events_are_read_as_json_loads_reads_them() {
    let p = py("echo", "app.handler");
    let service = start(vec![p.clone()]).await;
    let result = call(&service, &p.logical_id, " \n{\"k\": \"caf\u{e9}\"}\t ").await;
    assert_eq!(proxy_body(&response(&result))["event"]["k"], "caf\u{e9}");
    let result = call(&service, &p.logical_id, "{\"k\": 1} x").await;
    let (kind, body) = error(&result);
    assert_eq!(kind, "Runtime.UnmarshalError", "{body}");
    assert_eq!(
        body["errorMessage"],
        "Unable to unmarshal input: Extra data: line 1 column 10 (char 9)"
    );
    service.shutdown(Duration::from_secs(2)).await;
}

/// The context's variables are read from the environment as it is at each invocation: a
/// handler that changes one sees the change in its next context (both bootstraps keep a copy
/// between invocations and must notice).
#[tokio::test]
async fn context_follows_a_handler_changing_the_environment() {
    let p = py("echo", "app.handler");
    let n = node("echo", "index.handler");
    let service = start(vec![p.clone(), n.clone()]).await;
    for (f, name_field, stream_field) in [
        (&p, "function_name", "log_stream_name"),
        (&n, "functionName", "logStreamName"),
    ] {
        let first = proxy_body(&response(&call(&service, &f.logical_id, "{}").await));
        assert_eq!(first["context"][name_field], f.function_name.as_str());
        assert!(first["context"][stream_field].is_string(), "{first}");
        let change = r#"{"setEnv": {"AWS_LAMBDA_FUNCTION_NAME": "renamed", "AWS_LAMBDA_LOG_STREAM_NAME": null}}"#;
        let during = proxy_body(&response(&call(&service, &f.logical_id, change).await));
        // The change is made after the context was read.
        assert_eq!(during["context"][name_field], f.function_name.as_str());
        let after = proxy_body(&response(&call(&service, &f.logical_id, "{}").await));
        assert_eq!(
            after["context"][name_field], "renamed",
            "{}: {after}",
            f.runtime
        );
        assert!(
            after["context"][stream_field].is_null(),
            "{}: {after}",
            f.runtime
        );
        assert_eq!(service.live_instances(&f.logical_id), 1);
    }
    service.shutdown(Duration::from_secs(2)).await;
}

/// Events sent ahead: a busy runtime of ours is handed the next queued event while it runs
/// one. Every invocation still runs exactly once, its output is logged as its own between its
/// START and END, its deadline counts from its own start, and a crash or a timeout fails only
/// the invocation that crashed or timed out (the one sent ahead behind it goes to a new
/// instance).
#[tokio::test]
async fn events_sent_ahead_run_once_with_their_own_output_deadline_and_fate() {
    let mut pa = py("ahead", "app.handler");
    let mut na = node("ahead", "index.handler");
    pa.timeout_secs = 3;
    na.timeout_secs = 3;
    let config = lambdagate_lambda::ServiceConfig {
        // One instance: every call but the running one waits in the queue.
        default_max_concurrency: 1,
        // Every answered invocation makes its runtime eligible, however slow this machine.
        ahead_below: Duration::from_secs(10),
        ..Default::default()
    };
    let service = start_with(vec![pa.clone(), na.clone()], config).await;
    let dir = tempfile::tempdir().unwrap();
    const CALLS: u64 = 60;
    const CRASH: u64 = 30;
    // Node only: an exception thrown outside the handler, which the runtime reports and
    // exits after (an answer that asks for an acknowledgement, so the event ahead goes back).
    const UNCAUGHT: u64 = 45;
    // Sleeps past the Timeout.
    const TIMEOUT: u64 = 50;
    for f in [&pa, &na] {
        let ran = dir.path().join(format!("{}.ran", f.logical_id));
        let node = f.runtime.starts_with("nodejs");
        let event = |n: u64| {
            let uncaught = node && n == UNCAUGHT;
            let sleep = if n == TIMEOUT { 5 } else { 0 };
            serde_json::json!({
                "n": n, "ran": ran, "crash": n == CRASH, "uncaught": uncaught, "sleep": sleep
            })
            .to_string()
        };
        response(&call(&service, &f.logical_id, &event(0)).await);
        let calls: Vec<_> = (1..=CALLS)
            .map(|n| {
                let service = service.clone();
                let name = f.logical_id.clone();
                let event = event(n);
                tokio::spawn(async move { (n, call(&service, &name, &event).await) })
            })
            .collect();
        for call in calls {
            let (n, result) = call.await.unwrap();
            let logs = service.log_text(&f.logical_id, &result.request_id);
            let lines: Vec<&str> = logs.lines().collect();
            let end = lines.iter().position(|l| l.starts_with("END RequestId"));
            if n == CRASH {
                let (kind, _) = error(&result);
                assert_eq!(kind, "Runtime.ExitError", "{}", f.logical_id);
            } else if n == TIMEOUT {
                let (kind, _) = error(&result);
                assert_eq!(kind, "Sandbox.Timedout", "{}", f.logical_id);
            } else if node && n == UNCAUGHT {
                let (_, body) = error(&result);
                assert_eq!(body["errorMessage"], format!("uncaught {n}"), "{body}");
            } else {
                if let lambdagate_lambda::Outcome::Error { payload, .. } = &result.outcome {
                    for l in service.logs(&f.logical_id) {
                        eprintln!("{:?} {:?} {:?}", l.request_id, l.stream, l.text);
                    }
                    panic!(
                        "{}: call {n} failed: {}",
                        f.logical_id,
                        String::from_utf8_lossy(payload)
                    );
                }
                let body = response(&result);
                assert_eq!(body["n"], n, "{}: {body}", f.logical_id);
                let remaining = body["remaining"].as_u64().unwrap();
                assert!(
                    remaining > 0 && remaining <= 3_000,
                    "{}: remaining {remaining} ms",
                    f.logical_id
                );
                assert_eq!(body["mark_hidden"], true, "{}", f.logical_id);
            }
            // Between START and END (or the crash's report): this invocation's two lines only.
            let own: Vec<&str> = lines[1..end.unwrap_or(lines.len())]
                .iter()
                .filter(|l| {
                    !l.starts_with("RequestId:")
                        && **l != "Runtime.ExitError"
                        && !l.contains("\tERROR\tUncaught Exception")
                        && !l.contains(" Task timed out after ")
                })
                .copied()
                .collect();
            assert!(lines[0].starts_with("START RequestId"), "{logs}");
            if own.len() != 2 {
                for l in service.logs(&f.logical_id) {
                    eprintln!("{:?} {:?} {:?}", l.request_id, l.stream, l.text);
                }
            }
            assert_eq!(own.len(), 2, "{}: {logs}", f.logical_id);
            assert!(
                own.iter().any(|l| l.ends_with(&format!("out {n}")))
                    && own.iter().any(|l| l.ends_with(&format!("err {n}"))),
                "{}: {logs}",
                f.logical_id
            );
            assert!(!logs.contains('\0'), "{logs}");
        }
        let ran = std::fs::read_to_string(&ran).unwrap();
        let mut runs: Vec<u64> = ran.lines().map(|l| l.parse().unwrap()).collect();
        runs.sort_unstable();
        assert_eq!(
            runs,
            (0..=CALLS).collect::<Vec<_>>(),
            "{}: every invocation runs exactly once",
            f.logical_id
        );
        let ahead = service.events_sent_ahead(&f.logical_id);
        println!("{}: {ahead} of {CALLS} events sent ahead", f.logical_id);
        assert!(ahead > 0, "{}: no event was sent ahead", f.logical_id);
        // With every call queued behind one instance, its runtime is sent several at once, and
        // never more than the depth the gateway allows.
        let deepest = service.events_ahead_at_once(&f.logical_id);
        assert!(
            (2..=3).contains(&deepest),
            "{}: at most {deepest} events ahead at once",
            f.logical_id
        );
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn our_bootstraps_start_the_frames_burst_and_official_clients_the_http_one() {
    let config = lambdagate_lambda::ServiceConfig {
        burst_instances: 1,
        burst_instances_http: 3,
        // Long enough that no invocation here waits that long: only the bursts may start.
        scale_up_after: Duration::from_secs(30),
        ..lambdagate_lambda::ServiceConfig::default()
    };
    let python = py("hello", "app.handler");
    let script = script_function("Script");
    let service = start_with(vec![python.clone(), script], config).await;
    for name in [python.logical_id.as_str(), "Script"] {
        let calls = (0..12)
            .map(|_| {
                let service = service.clone();
                let name = name.to_string();
                tokio::spawn(async move { call(&service, &name, "{}").await })
            })
            .collect::<Vec<_>>();
        for c in calls {
            assert!(response(&c.await.unwrap()).is_object(), "{name}");
        }
    }
    assert_eq!(service.live_instances(&python.logical_id), 1);
    assert_eq!(service.live_instances("Script"), 3);
    service.shutdown(Duration::from_secs(2)).await;
}
