//! `lambdagate start-lambda` end to end: boto3 against the Invoke API, raw service errors,
//! graceful shutdown with no orphan processes.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Server, repo_root};

const TEMPLATE: &str = "tests/fixtures/lambda/app/template.yaml";

fn start() -> Server {
    Server::start(&["start-lambda", "-t", TEMPLATE, "-p", "0"])
}

fn invoke_url(server: &Server, name: &str) -> String {
    server.url(&format!("/2015-03-31/functions/{name}/invocations"))
}

#[test]
fn boto3_works_against_the_invoke_api() {
    let server = start();
    // CI sets this to a venv with boto3; without it the system python must have boto3, or
    // the test fails (it never skips).
    let python = std::env::var("LAMBDAGATE_TEST_PYTHON_SDK").unwrap_or_else(|_| "python3".into());
    let script = repo_root().join("tests/fixtures/lambda/boto3/check_invoke_api.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&server.base_url)
        .output()
        .expect("run the boto3 check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "OK",
        "boto3 check failed ({python}):\n{stdout}\n{}\nserver printed:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.printed()
    );
}

#[tokio::test]
async fn service_errors_are_aws_json() {
    let server = start();
    let client = reqwest::Client::new();
    let res = client
        .post(invoke_url(&server, "Nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "ResourceNotFoundException"
    );
    let body = json(res).await;
    assert_eq!(
        body["message"],
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope"
    );
    let res = client
        .post(invoke_url(&server, "PyHello"))
        .header("X-Amz-Client-Context", "%%%")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "InvalidRequestContentException"
    );
    let res = client
        .post(invoke_url(&server, "Script"))
        .body(r#"{"exit": 2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-amz-function-error"], "Unhandled");
    let body = json(res).await;
    assert_eq!(body["errorType"], "Runtime.ExitError");
    let res = client
        .get(server.url("/2015-03-31/functions"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&res.bytes().await.unwrap()).expect("JSON body")
}

fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_work_and_leaves_no_orphans() {
    let mut server = start();
    let client = reqwest::Client::new();
    // An instance with a child process of its own.
    let res = json(
        client
            .post(invoke_url(&server, "Script"))
            .body(r#"{"spawn_child": true}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (pid, child) = (res["pid"].as_u64().unwrap(), res["child"].as_u64().unwrap());
    // A Python instance, warm.
    let hello = client
        .post(invoke_url(&server, "PyHello"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(hello.status(), 200);
    // An invocation in flight when the signal arrives.
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = invoke_url(&server, "PySleeper");
        async move { client.post(url).body(r#"{"seconds": 1}"#).send().await }
    });
    // Wait for the third START line: the sleeper's invocation is running.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.printed().matches("START RequestId").count() < 3 {
        assert!(std::time::Instant::now() < deadline, "{}", server.printed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pids = instance_pids(&server);
    assert!(pids.len() >= 3, "expected three instances: {pids:?}");
    let status = tokio::task::spawn_blocking(move || {
        let status = server.terminate(Duration::from_secs(15));
        (status, server)
    });
    let res = in_flight
        .await
        .unwrap()
        .expect("in-flight request answered");
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert!(body["body"].as_str().unwrap().contains("slept"), "{body}");
    let (status, server) = status.await.unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit: {status:?}\n{}",
        server.printed()
    );
    for p in pids.iter().copied().chain([pid, child]) {
        assert!(!alive(p), "process {p} outlived lambdagate");
    }
}

/// The pids of lambdagate's instance processes (its direct children).
fn instance_pids(server: &Server) -> Vec<u64> {
    let me = server.child.id();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some(rest) = stat.rsplit(')').next()
            && rest.split_whitespace().nth(1) == Some(&me.to_string())
        {
            out.push(pid);
        }
    }
    out
}

#[tokio::test]
async fn only_the_functions_named_on_the_command_line_are_served() {
    // `sam local start-lambda PyHello NodeHello`: the others are not found.
    let server = Server::start(&[
        "local",
        "start-lambda",
        "PyHello",
        "NodeHello",
        "-t",
        TEMPLATE,
        "-p",
        "0",
    ]);
    let client = reqwest::Client::new();
    for (name, status) in [("PyHello", 200), ("NodeHello", 200), ("PyEcho", 404)] {
        let res = client
            .post(invoke_url(&server, name))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{name}");
    }
    // A name the template lacks: an error that lists its functions.
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["local", "start-lambda", "Nope", "-t", TEMPLATE, "-p", "0"])
        .current_dir(repo_root())
        .output()
        .expect("run lambdagate");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("functions not found in")
            && stderr.contains(": Nope. Possible options in your template: ")
            && stderr.contains("PyHello"),
        "{stderr}"
    );
}
