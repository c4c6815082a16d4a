//! `lambdagate invoke` end to end: result on stdout, logs on stderr, exit status.

mod support;

use support::{repo_root, run};

const TEMPLATE: &str = "tests/fixtures/lambda/app/template.yaml";

#[test]
fn invoke_prints_the_result_and_logs() {
    let out = run(
        &repo_root(),
        &["invoke", "PyHello", "-t", TEMPLATE],
        b"{\"a\": 1}",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(body["statusCode"], 200);
    assert!(stderr.contains("START RequestId: "), "{stderr}");
    assert!(stderr.contains("Init Duration: "), "{stderr}");
    assert!(stderr.contains("python3.11 is served by "), "{stderr}");
    // The instance is stopped after the invocation; like Lambda's runtimes, it says nothing.
    assert!(!stderr.contains("Runtime API unavailable"), "{stderr}");
}

#[test]
fn a_node_instance_stops_without_a_word() {
    let out = run(
        &repo_root(),
        &["invoke", "NodeHello", "-t", TEMPLATE],
        b"{}",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("REPORT RequestId: "), "{stderr}");
    assert!(
        !stderr.contains("Runtime API unavailable") && !stderr.contains("Top Level Error"),
        "{stderr}"
    );
}

#[test]
fn invoke_reads_an_event_file_and_accepts_an_env_vars_file() {
    let dir = std::env::temp_dir().join(format!("lambdagate-invoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let event = dir.join("event.json");
    std::fs::write(&event, r#"{"from": "file"}"#).unwrap();
    let env = dir.join("env.json");
    std::fs::write(&env, r#"{"PyEcho": {"GREETING": "from-env-file"}}"#).unwrap();
    let out = run(
        &repo_root(),
        &[
            "invoke",
            "PyEcho",
            "-t",
            TEMPLATE,
            "-e",
            event.to_str().unwrap(),
            "--env-vars",
            env.to_str().unwrap(),
        ],
        b"",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let inner: serde_json::Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert_eq!(inner["event"]["from"], "file");
    assert_eq!(inner["context"]["function_name"], "py-echo");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invoke_exits_non_zero_with_the_error_json() {
    let out = run(
        &repo_root(),
        &["invoke", "PyError", "-t", TEMPLATE, "--no-event"],
        b"",
    );
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(body["errorType"], "OrderNotFound");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[ERROR] OrderNotFound"), "{stderr}");
    // `local invoke` exits 0 with the same document, as `sam local invoke` does.
    let out = run(
        &repo_root(),
        &["local", "invoke", "PyError", "-t", TEMPLATE, "--no-event"],
        b"",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(body["errorType"], "OrderNotFound");
}

#[test]
fn invoke_names_the_functions_on_a_mistake() {
    let out = run(&repo_root(), &["invoke", "Nope", "-t", TEMPLATE], b"{}");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("function `Nope` not found in template") && stderr.contains("PyHello"),
        "{stderr}"
    );
    let out = run(
        &repo_root(),
        &["invoke", "PyHello", "-t", TEMPLATE],
        b"not json",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not JSON"));
}

/// A version manager's shim for `python3` (pyenv, asdf: a script choosing an interpreter and
/// exec'ing it) runs once, for the start-up probe; the instances start the interpreter it
/// chose directly, and the start-up line names it.
#[test]
fn instances_start_the_interpreter_behind_a_shim() {
    let scratch = support::Scratch::new("python-shim");
    let real = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    assert!(!real.is_empty());
    let shim = scratch.0.join("python3");
    let runs = scratch.0.join("runs");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{real}' \"$@\"\n",
            runs.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["invoke", "PyHello", "-t", TEMPLATE])
        .current_dir(repo_root())
        .env("LAMBDAGATE_PYTHON", &shim)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let body: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(body["statusCode"], 200);
    assert!(
        stderr.contains(&format!("python3.11 is served by {} ", shim.display()))
            && stderr.contains(&format!("({real})")),
        "{stderr}"
    );
    // Only the probe went through the shim.
    let runs = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
    assert!(runs.starts_with("-c "), "{runs}");
}

#[test]
fn a_json_logging_config_makes_the_runtimes_write_json_records() {
    let scratch = support::Scratch::new("jsonlogs");
    scratch.write(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    LoggingConfig:\n      \
         LogFormat: JSON\n      LogGroup: /custom/group\nResources:\n  Py:\n    Type: AWS::Serverless::Function\n    \
         Properties:\n      CodeUri: py/\n      Handler: app.handler\n      Runtime: python3.11\n  \
         Node:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: node/\n      \
         Handler: index.handler\n      Runtime: nodejs20.x\n      LoggingConfig:\n        LogFormat: JSON\n        \
         ApplicationLogLevel: DEBUG\n        SystemLogLevel: WARN\n",
    );
    scratch.write(
        "py/app.py",
        "import logging, os\nlog = logging.getLogger('orders')\n\n\
         def handler(event, context):\n    log.debug('hidden below INFO')\n    \
         log.info('order %s placed', 7, extra={'orderId': 7})\n    try:\n        1 / 0\n    \
         except ZeroDivisionError:\n        log.exception('failed')\n    \
         return {k: os.environ.get(k) for k in ('AWS_LAMBDA_LOG_FORMAT', 'AWS_LAMBDA_LOG_LEVEL', \
         'AWS_LAMBDA_LOG_GROUP_NAME')}\n",
    );
    scratch.write(
        "node/index.js",
        "exports.handler = async () => { console.debug('shown at DEBUG'); console.log('hi', 1); \
         return process.env.AWS_LAMBDA_LOG_LEVEL; };\n",
    );
    let records = |stderr: &str| -> Vec<serde_json::Value> {
        stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v.get("level").is_some())
            .collect()
    };

    let out = run(scratch.path(), &["invoke", "Py", "--no-event"], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let env: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        env,
        serde_json::json!({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/custom/group"})
    );
    // Lambda's own INFO lines, at the default SystemLogLevel.
    for platform in ["START RequestId: ", "END RequestId: ", "REPORT RequestId: "] {
        assert!(stderr.contains(platform), "{platform}: {stderr}");
    }
    let logged = records(&stderr);
    assert_eq!(logged.len(), 2, "{stderr}");
    let info = &logged[0];
    assert_eq!(info["level"], "INFO");
    assert_eq!(info["message"], "order 7 placed");
    assert_eq!(info["logger"], "orders");
    assert_eq!(info["orderId"], 7);
    assert_eq!(info["requestId"].as_str().map(str::len), Some(36), "{info}");
    assert!(
        info["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{info}"
    );
    let error = &logged[1];
    assert_eq!(error["level"], "ERROR");
    assert_eq!(error["errorType"], "ZeroDivisionError");
    assert_eq!(error["errorMessage"], "division by zero");
    assert!(
        error["stackTrace"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{error}"
    );
    assert!(
        error["location"]
            .as_str()
            .is_some_and(|l| l.contains("app.py:handler:")),
        "{error}"
    );

    let out = run(scratch.path(), &["invoke", "Node", "--no-event"], b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "\"DEBUG\"",
        "{stderr}"
    );
    let logged = records(&stderr);
    let messages: Vec<(&str, &str)> = logged
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap(),
                r["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [("DEBUG", "shown at DEBUG"), ("INFO", "hi 1")],
        "{stderr}"
    );
    // `SystemLogLevel: WARN`: none of them.
    for platform in ["START RequestId", "END RequestId", "REPORT RequestId"] {
        assert!(!stderr.contains(platform), "{platform}: {stderr}");
    }
}

#[test]
fn debugging_starts_the_interpreters_with_the_debuggers_options() {
    let scratch = support::Scratch::new("debugging");
    scratch.write(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Py:\n    Type: AWS::Serverless::Function\n    \
         Properties:\n      CodeUri: py/\n      Handler: app.handler\n      Runtime: python3.11\n      Timeout: 1\n  \
         Node:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: node/\n      \
         Handler: index.handler\n      Runtime: nodejs20.x\n",
    );
    // The debugger's helper module lives outside the function, as debugpy would.
    scratch.write("debugger/debughelper.py", "NAME = 'attached'\n");
    scratch.write(
        "py/app.py",
        "import sys, time\n\ndef handler(event, context):\n    import debughelper\n    \
         time.sleep(1.5)  # past its Timeout: a debugged function has none\n    \
         return {'dev_mode': sys.flags.dev_mode, 'helper': debughelper.NAME}\n",
    );
    scratch.write(
        "node/index.js",
        "exports.handler = async () => process.execArgv.filter((a) => a.startsWith('--inspect'));\n",
    );
    let debugger = scratch.path().join("debugger");
    let out = run(
        scratch.path(),
        &[
            "local",
            "invoke",
            "Py",
            "--no-event",
            "-d",
            "5890",
            "--debug-args",
            "-X dev",
            "--debugger-path",
            debugger.to_str().unwrap(),
        ],
        b"",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("{e}: {stdout}\n{stderr}");
    });
    assert_eq!(
        answer,
        serde_json::json!({"dev_mode": true, "helper": "attached"}),
        "{stderr}"
    );
    assert!(
        stderr.contains("Debugging every function on 127.0.0.1:5890"),
        "{stderr}"
    );

    // Node: the inspector on the port (here without waiting for a debugger to attach).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let inspect = format!("--inspect=127.0.0.1:{port}");
    let out = run(
        scratch.path(),
        &[
            "local",
            "invoke",
            "Node",
            "--no-event",
            "--debug-port",
            &port,
            "--debug-args",
            &inspect,
            "--debug-function",
            "Node",
        ],
        b"",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.trim(), format!("[\"{inspect}\"]"), "{stderr}");
    assert!(
        stderr.contains(&format!("Debugger listening on ws://127.0.0.1:{port}/")),
        "{stderr}"
    );
}

#[test]
fn local_invoke_without_an_event_sends_an_empty_one_and_leaves_stdin_alone() {
    // Standard input stays open and empty: `sam local invoke FUNCTION` does not read it.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["local", "invoke", "PyEcho", "-t", TEMPLATE])
        .current_dir(repo_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(answer["body"].as_str().unwrap_or_default()).unwrap();
    assert_eq!(body["event"], serde_json::json!({}), "{answer}");
}

/// A package found only in the site-packages of the interpreter that runs the function here
/// (a virtualenv, the system's Python) imports, but Lambda has no such packages: the function's
/// log says so, once, for the import in the function's own code and not for that package's
/// own imports.
#[test]
fn a_package_from_the_local_pythons_site_packages_is_named_in_the_log() {
    let scratch = support::Scratch::new("host-packages");
    let venv = scratch.path().join("venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let python = venv.join("bin/python3");
    let site = std::process::Command::new(&python)
        .args(["-c", "import site; print(site.getsitepackages()[0])"])
        .output()
        .unwrap();
    let site = std::path::PathBuf::from(String::from_utf8(site.stdout).unwrap().trim());
    std::fs::create_dir_all(site.join("hostonly")).unwrap();
    std::fs::write(
        site.join("hostonly/__init__.py"),
        "import hostdep\nVALUE = hostdep.VALUE\n",
    )
    .unwrap();
    std::fs::write(site.join("hostdep.py"), "VALUE = 'from the host'\n").unwrap();
    scratch.write(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Py:\n    Type: AWS::Serverless::Function\n    \
         Properties:\n      CodeUri: py/\n      Handler: app.handler\n      Runtime: python3.11\n",
    );
    scratch.write("py/helper.py", "NAME = 'helper'\n");
    scratch.write(
        "py/app.py",
        "import json\nimport helper\n\ndef handler(event, context):\n    import hostonly\n    \
         return {'value': hostonly.VALUE, 'helper': helper.NAME}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["invoke", "Py", "--no-event"])
        .current_dir(scratch.path())
        .env("LAMBDAGATE_PYTHON", &python)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"value": "from the host", "helper": "helper"})
    );
    let site = std::fs::canonicalize(&site).unwrap();
    let said = format!(
        "lambdagate: warning: module 'hostonly' was imported from {}, the packages of the Python that runs this function here; Lambda does not have them",
        site.display()
    );
    assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
    assert!(
        !stderr.contains("'hostdep'") && !stderr.contains("'helper'") && !stderr.contains("'json'"),
        "{stderr}"
    );
}
