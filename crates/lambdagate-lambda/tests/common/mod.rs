//! Helpers for the function service's end-to-end tests: build applications in Rust, find the
//! fixtures, run the real `lambda_runtime` fixture.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use lambdagate_lambda::{FunctionService, Invocation, InvocationResult, Outcome, ServiceConfig};
use lambdagate_model::{Application, Function, RuntimeFamily};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn fixture(path: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(path)
}

/// A function with Lambda's defaults.
pub fn function(name: &str, runtime: &str, code_dir: PathBuf, handler: Option<&str>) -> Function {
    Function {
        logging: Default::default(),
        logical_id: name.to_string(),
        function_name: name.to_string(),
        arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        runtime: runtime.to_string(),
        family: RuntimeFamily::of(runtime).expect("supported runtime"),
        handler: handler.map(str::to_string),
        code_dir,
        environment: BTreeMap::new(),
        timeout_secs: 3,
        memory_mb: 128,
        layers: vec![],
        reserved_concurrency: None,
        architectures: vec!["x86_64".into()],
        source: Default::default(),
    }
}

pub fn app(functions: Vec<Function>) -> Arc<Application> {
    Arc::new(Application {
        functions,
        ..Application::empty(
            "template.yaml".into(),
            "test".into(),
            "us-east-1".into(),
            "123456789012".into(),
        )
    })
}

/// The script runtime fixture as a `provided.al2023` function.
pub fn script_function(name: &str) -> Function {
    function(
        name,
        "provided.al2023",
        fixture("lambda/script-runtime"),
        None,
    )
}

pub async fn start(functions: Vec<Function>) -> Arc<FunctionService> {
    start_with(functions, ServiceConfig::default()).await
}

pub async fn start_with(functions: Vec<Function>, config: ServiceConfig) -> Arc<FunctionService> {
    FunctionService::start(app(functions), config)
        .await
        .expect("service starts")
}

pub async fn call(service: &FunctionService, name: &str, event: &str) -> InvocationResult {
    service
        .invoke(
            name,
            Invocation {
                payload: Bytes::from(event.to_string()),
                ..Default::default()
            },
        )
        .await
        .expect("invoke")
}

/// The response JSON, failing the test on a function error.
pub fn response(result: &InvocationResult) -> serde_json::Value {
    match &result.outcome {
        Outcome::Response(body) => serde_json::from_slice(body).expect("response is JSON"),
        Outcome::Error {
            error_type,
            payload,
        } => panic!(
            "function error {error_type}: {}",
            String::from_utf8_lossy(payload)
        ),
    }
}

/// The error type and error JSON, failing the test on a response.
pub fn error(result: &InvocationResult) -> (String, serde_json::Value) {
    match &result.outcome {
        Outcome::Error {
            error_type,
            payload,
        } => (
            error_type.clone(),
            serde_json::from_slice(payload).expect("error is JSON"),
        ),
        Outcome::Response(body) => {
            panic!("expected an error, got {}", String::from_utf8_lossy(body))
        }
    }
}

/// Whether a process is alive (not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Builds the `rust-hello` fixture (the official `lambda_runtime` client) once and returns a
/// code folder whose `bootstrap` is that binary.
pub fn rust_hello_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "rust-hello"])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building rust-hello failed");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_root().join("target"));
        let binary = target.join("debug/rust-hello");
        let dir =
            std::env::temp_dir().join(format!("lambdagate-rust-hello-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&binary, dir.join("bootstrap")).expect("copy rust-hello");
        dir
    })
    .clone()
}
