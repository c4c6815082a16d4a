//! What a user reads when their code is wrong: syntax errors name the file and line, Python
//! tracebacks come one frame a line, `validate` finds handlers whose file is missing.

mod support;

use support::Scratch;

use std::path::Path;

fn function(name: &str, dir: &str, handler: &str, runtime: &str) -> String {
    format!(
        "  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: {dir}/\n      Handler: {handler}\n      Runtime: {runtime}\n"
    )
}

fn lambdagate(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn node_syntax_errors_name_the_file_and_line() {
    let s = Scratch::new("syntax");
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}{}",
        function("Cjs", "cjs", "index.handler", "nodejs20.x"),
        function("Esm", "esm", "index.handler", "nodejs20.x")
    );
    s.write("template.yaml", &template);
    s.write(
        "cjs/index.js",
        "exports.handler = async () => {\n  const x = ;\n};\n",
    );
    s.write(
        "esm/index.mjs",
        "export const handler = async () => {\n\n  let = 1 +;\n};\n",
    );
    let (ok, stdout, stderr) = lambdagate(s.path(), &["invoke", "Cjs", "--no-event"]);
    assert!(!ok);
    assert!(stdout.contains("Runtime.UserCodeSyntaxError"), "{stdout}");
    assert!(
        stderr.contains("cjs/index.js:2\n  const x = ;\n"),
        "{stderr}"
    );
    let (_, _, stderr) = lambdagate(s.path(), &["invoke", "Esm", "--no-event"]);
    assert!(stderr.contains("esm/index.mjs:3\n"), "{stderr}");
}

#[test]
fn python_tracebacks_are_one_frame_a_line_in_the_server_log() {
    let s = Scratch::new("traceback");
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}      Events:\n        A:\n          Type: HttpApi\n          Properties: {{ Path: /boom, Method: get }}\n",
        function("Boom", "py", "app.handler", "python3.11")
    );
    s.write("template.yaml", &template);
    s.write(
        "py/app.py",
        "def handler(event, context):\n    return inner()\n\ndef inner():\n    raise ValueError('boom')\n",
    );
    let server = support::Server::start_in(s.path(), &["start-api", "-p", "0", "--no-watch"], &[]);
    let status = status_of(&server.url("/boom"));
    assert_eq!(status, 500);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let printed = server.printed();
        let frame = printed
            .lines()
            .find(|l| l.contains("raise ValueError('boom')"));
        if let Some(frame) = frame {
            assert!(frame.starts_with("[Boom] ["), "{printed}");
            assert!(
                !frame.contains("Traceback"),
                "frames glued together: {printed}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{printed}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The status of a GET, for a test that needs nothing else async.
fn status_of(url: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
}

#[test]
fn validate_finds_missing_handler_files() {
    let s = Scratch::new("handlers");
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}{}{}",
        function("Here", "py", "app.handler", "python3.11"),
        function("Gone", "py", "missing.handler", "python3.11"),
        function("Built", "ts", "dist/index.handler", "nodejs20.x")
    );
    s.write("template.yaml", &template);
    s.write("py/app.py", "def handler(e, c):\n    return 1\n");
    s.write("ts/package.json", r#"{"scripts": {"build": "tsc"}}"#);
    let (ok, stdout, stderr) = lambdagate(s.path(), &["validate"]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "Gone's handler `missing.handler` has no file missing.py or missing/__init__.py"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("Built's handler `dist/index.handler`"),
        "{stderr}"
    );
    assert!(stderr.contains("(a build step may create it)"), "{stderr}");
    // Without the broken one, the build-step case is only a warning.
    let template = template.replace("missing.handler", "app.handler");
    s.write("template.yaml", &template);
    let (ok, stdout, stderr) = lambdagate(s.path(), &["validate"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("OK"));
}
