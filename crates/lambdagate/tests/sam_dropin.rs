//! `sam local` drop-in details end to end: the built template, SAM's ready line, `--log-file`,
//! `--container-env-vars`, `--aws-endpoint`, `--memory`, and the notes for Docker-only flags.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Scratch, Server};

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  EnvFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          DECLARED: from-template
      Events:
        Env:
          Type: HttpApi
          Properties:
            Path: /env
            Method: get
"#;

const HANDLER: &str = r#"import json, os

def handler(event, context):
    print("log line from the handler")
    keys = ["DECLARED", "EXTRA", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "SOURCE", "AWS_SAM_LOCAL"]
    seen = {k: os.environ.get(k) for k in keys}
    seen["proto"] = (event.get("headers") or {}).get("x-forwarded-proto")
    return {"statusCode": 200, "body": json.dumps(seen)}
"#;

async fn env_of(server: &Server) -> Value {
    let r = reqwest::get(server.url("/env")).await.unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_sam_build_template_and_the_ready_line() {
    let scratch = Scratch::new("sambuild");
    // The sources say one thing, `sam build`'s copy another: the copy is served.
    scratch.write("template.yaml", TEMPLATE);
    scratch.write(
        "src/app.py",
        &HANDLER.replace("\"SOURCE\"]", "\"SOURCE\"]  # sources"),
    );
    scratch.write(
        ".aws-sam/build/template.yaml",
        &TEMPLATE
            .replace("src/", "EnvFunction/")
            .replace("from-template", "from-build"),
    );
    scratch.write(".aws-sam/build/EnvFunction/app.py", HANDLER);
    let server = Server::start_in(
        scratch.path(),
        &[
            "local",
            "start-api",
            "-p",
            "0",
            "--skip-pull-image",
            "--container-host",
            "localhost",
        ],
        &[("SOURCE", "x")],
    );
    let port = server.base_url.rsplit(':').next().unwrap().to_string();
    let ready = format!("Running on http://127.0.0.1:{port}/ (Press CTRL+C to quit)");
    // stderr is read on its own thread, apart from stdout's "Listening on": allow it to arrive.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !(server.printed().contains(&ready)
        && server
            .printed()
            .contains("Using .aws-sam/build/template.yaml"))
    {
        assert!(std::time::Instant::now() < deadline, "{}", server.printed());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        server.printed().contains(
            "note: --skip-pull-image, --container-host have no effect: lambdagate runs functions as processes"
        ),
        "{}",
        server.printed()
    );
    let env = env_of(&server).await;
    assert_eq!(env["DECLARED"], "from-build", "{}", server.printed());
}

#[tokio::test]
async fn the_local_commands_make_the_environment_as_sam_local_does() {
    let scratch = Scratch::new("samenv");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write("src/app.py", HANDLER);
    scratch.write("env.json", r#"{"EnvFunction": {"EXTRA": "not declared"}}"#);
    let shell = [("DECLARED", "from-shell"), ("EXTRA", "from-shell")];
    // `local`: AWS_SAM_LOCAL, and the shell's value of a declared variable wins over the
    // template's; `--env-vars` does not add what the template does not declare.
    let args = ["local", "start-api", "-p", "0", "--env-vars", "env.json"];
    let server = Server::start_in(scratch.path(), &args, &shell);
    let env = env_of(&server).await;
    assert_eq!(env["AWS_SAM_LOCAL"], "true", "{env}");
    assert_eq!(env["proto"], "http", "{env}");
    assert_eq!(env["DECLARED"], "from-shell", "{env}");
    assert_eq!(env["EXTRA"], Value::Null, "{env}");
    drop(server);
    // Without `local`: the function's environment is the template's, as on Lambda.
    let server = Server::start_in(scratch.path(), &args[1..], &shell);
    let env = env_of(&server).await;
    assert_eq!(env["AWS_SAM_LOCAL"], Value::Null, "{env}");
    assert_eq!(env["DECLARED"], "from-template", "{env}");
    assert_eq!(env["EXTRA"], Value::Null, "{env}");
}

#[tokio::test]
async fn log_file_container_env_endpoint_and_memory() {
    let scratch = Scratch::new("samflags");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write("src/app.py", HANDLER);
    scratch.write(
        "container.json",
        r#"{"Parameters": {"EXTRA": "everyone"}, "EnvFunction": {"DECLARED": "container"}}"#,
    );
    let log = scratch.path().join("functions.log");
    let server = Server::start_in(
        scratch.path(),
        &[
            "start-api",
            "-p",
            "0",
            "--log-file",
            log.to_str().unwrap(),
            "--container-env-vars",
            "container.json",
            "--aws-endpoint",
            "http://127.0.0.1:4566",
            "--memory",
            "512",
        ],
        &[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")],
    );
    let env = env_of(&server).await;
    // `--container-env-vars` adds variables the template does not declare, unlike --env-vars.
    assert_eq!(env["EXTRA"], "everyone");
    assert_eq!(env["DECLARED"], "container");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
    assert_eq!(env["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:8000");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
    // Function output goes to the file, not the terminal.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("log line from the handler") {
            assert!(
                text.contains("[EnvFunction]") || text.contains("EnvFunction"),
                "{text}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "log file: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!server.printed().contains("log line from the handler"));
}

#[tokio::test]
async fn parameters_without_a_value_serve_as_their_names_and_fail_validate() {
    let scratch = Scratch::new("samparams");
    // Parameters only a deploy needs (a user pool, a domain): `sam local` serves the template,
    // each `Ref` to such a parameter standing for its name, and ignores unknown overrides.
    let template = TEMPLATE
        .replace(
            "Resources:",
            "Parameters:\n  PoolId:\n    Type: String\n  Stage:\n    Type: String\n    Default: dev\nResources:",
        )
        .replace(
            "DECLARED: from-template",
            "DECLARED: !Sub '${PoolId}/${Stage}'\n          EXTRA: !Ref PoolId",
        );
    scratch.write("template.yaml", &template);
    scratch.write("src/app.py", HANDLER);
    let server = Server::start_in(
        scratch.path(),
        &[
            "start-api",
            "-p",
            "0",
            "--parameter-overrides",
            "Stage=qa",
            "Elsewhere=1",
        ],
        &[],
    );
    let env = env_of(&server).await;
    assert_eq!(env["DECLARED"], "PoolId/qa");
    assert_eq!(env["EXTRA"], "PoolId");
    let printed = server.printed();
    assert!(
        printed.contains("parameter `PoolId` has no Default")
            && printed.contains("`Elsewhere` is not a parameter"),
        "{printed}"
    );
    // `validate` says what a deploy would refuse.
    let out = support::run(
        scratch.path(),
        &["validate", "--parameter-overrides", "Elsewhere=1"],
        b"",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("template.yaml:4:3: error: parameter `PoolId` has no Default")
            && stdout.contains("error: parameter override `Elsewhere`"),
        "{stdout}"
    );
}

#[test]
fn profile_credentials_reach_functions_and_a_missing_profile_is_an_error() {
    let scratch = Scratch::new("profile");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write(
        "src/app.py",
        "import os\n\ndef handler(event, context):\n    return {k: os.environ.get(k) for k in \
         ('AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION')}\n",
    );
    scratch.write(
        "aws/credentials",
        "[dev]\naws_access_key_id = AKIADEVPROFILE\naws_secret_access_key = s\n\n\
         [default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n\
         aws_session_token = default-token\n",
    );
    scratch.write(
        "aws/config",
        "[default]\nregion = us-west-1\n[profile dev]\noutput = json\nregion = eu-west-2\n",
    );
    // What the function saw, run with these extra arguments and environment (and no AWS_*
    // variables of the test's own).
    let invoke = |extra: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"));
        command
            .args(["invoke", "EnvFunction", "--no-event"])
            .args(extra)
            .current_dir(scratch.path());
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                command.env_remove(key);
            }
        }
        command
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                scratch.path().join("aws/credentials"),
            )
            .env("AWS_CONFIG_FILE", scratch.path().join("aws/config"))
            .envs(env.iter().copied());
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        (output.status.success(), stdout, stderr)
    };
    let seen = |extra: &[&str], env: &[(&str, &str)]| -> serde_json::Value {
        let (ok, stdout, stderr) = invoke(extra, env);
        assert!(ok, "{stdout}\n{stderr}");
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
    };
    let expect = |key: &str, token: Option<&str>, region: &str| {
        serde_json::json!({
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SESSION_TOKEN": token.unwrap_or(""),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        })
    };
    // `--profile`: its credentials and its region.
    assert_eq!(
        seen(&["--profile", "dev"], &[]),
        expect("AKIADEVPROFILE", None, "eu-west-2")
    );
    // `AWS_PROFILE` chooses the same way.
    assert_eq!(
        seen(&[], &[("AWS_PROFILE", "dev")]),
        expect("AKIADEVPROFILE", None, "eu-west-2")
    );
    // Without either, the default profile.
    assert_eq!(
        seen(&[], &[]),
        expect("AKIADEFAULT", Some("default-token"), "us-west-1")
    );
    // The environment's own keys and region come before a profile the command line did not name…
    let own = [
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_SESSION_TOKEN", "env-token"),
        ("AWS_DEFAULT_REGION", "sa-east-1"),
    ];
    assert_eq!(
        seen(&[], &own),
        expect("AKIAENV", Some("env-token"), "sa-east-1")
    );
    // …and `--region` before everything.
    assert_eq!(
        seen(&["--profile", "dev", "--region", "ap-south-1"], &own),
        expect("AKIADEVPROFILE", None, "ap-south-1")
    );
    // A profile named on the command line must exist; one the environment names need not.
    let (ok, _, stderr) = invoke(&["--profile", "prod"], &[]);
    assert!(!ok);
    assert!(
        stderr.contains("--profile prod: no aws_access_key_id"),
        "{stderr}"
    );
    let fallback = seen(&[], &[("AWS_PROFILE", "prod")]);
    assert_eq!(fallback["AWS_REGION"], "us-east-1", "{fallback}");
}

#[test]
fn https_with_the_given_certificate() {
    let scratch = Scratch::new("https");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write("src/app.py", HANDLER);
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start_in(
        scratch.path(),
        &[
            "start-api",
            "-p",
            "0",
            "--ssl-cert-file",
            "cert.pem",
            "--ssl-key-file",
            "key.pem",
        ],
        &[],
    );
    assert!(
        server.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        server.base_url
    );
    for version in ["--http1.1", "--http2"] {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                version,
                "--cacert",
                "cert.pem",
                "-w",
                " %{http_version}",
            ])
            .arg(server.url("/env"))
            .current_dir(scratch.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("\"DECLARED\": \"from-template\""),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The client came over TLS, and the event says so.
        assert!(text.contains("\"proto\": \"https\""), "{text}");
        let expected = if version == "--http2" { " 2" } else { " 1.1" };
        assert!(text.ends_with(expected), "{text}");
    }
    // A key that is not a key: one clear sentence, exit 1.
    scratch.write("bad.pem", "not a key\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args([
            "start-api",
            "-p",
            "0",
            "--ssl-cert-file",
            "cert.pem",
            "--ssl-key-file",
            "bad.pem",
        ])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot serve HTTPS: bad.pem"), "{stderr}");
}

#[tokio::test]
async fn static_files_from_public_ahead_of_the_api() {
    let scratch = Scratch::new("static");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write("src/app.py", HANDLER);
    scratch.write("public/index.html", "<h1>hi</h1>");
    scratch.write("public/css/site.css", "h1{}");
    scratch.write("secret.txt", "no");
    let server = Server::start_in(scratch.path(), &["local", "start-api", "-p", "0"], &[]);
    let r = reqwest::get(server.url("/index.html")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.text().await.unwrap(), "<h1>hi</h1>");
    let r = reqwest::get(server.url("/css/site.css")).await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    // Not a file there: the API answers (here: its missing-route 404).
    let r = reqwest::get(server.url("/css/%2e%2e/%2e%2e/secret.txt"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_ne!(r.text().await.unwrap(), "no");
    assert_eq!(env_of(&server).await["DECLARED"], "from-template");
    assert!(server.printed().contains("Serving static files from"));
}

/// `--hook-name terraform` asks SAM to serve a Terraform project: lambdagate says it does not
/// read those, instead of serving a template that happens to be in the folder.
#[test]
fn the_terraform_hook_is_refused_with_a_reason() {
    let scratch = Scratch::new("terraform-hook");
    scratch.write("template.yaml", TEMPLATE);
    scratch.write("src/app.py", HANDLER);
    for args in [
        &["local", "start-api", "--hook-name", "terraform"][..],
        &["local", "invoke", "EnvFunction", "--hook-name", "terraform"],
        &[
            "local",
            "start-lambda",
            "--terraform-plan-file",
            "plan.json",
        ],
    ] {
        let out = support::run(scratch.path(), args, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("lambdagate does not read Terraform projects"),
            "{args:?}: {stderr}"
        );
    }
}
