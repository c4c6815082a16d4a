//! A Serverless Framework project served from what `serverless package` writes: the
//! CloudFormation template in `.serverless/`, found without `-t`, and the zips its `S3Key`s name.

mod support;

use support::{Scratch, Server, repo_root, run};

#[tokio::test]
async fn a_serverless_package_is_found_and_served_from_its_zip() {
    // `tests/fixtures/serverless-package`: the project and what `serverless package` wrote of
    // it (the template-level test loads the same package).
    let fixture = repo_root().join("tests/fixtures/serverless-package");
    let scratch = Scratch::new("serverless-package");
    std::fs::copy(
        fixture.join("serverless.yml"),
        scratch.path().join("serverless.yml"),
    )
    .unwrap();
    // Before `serverless package`: what to do.
    let out = run(scratch.path(), &["routes"], b"");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("serverless.yml is a Serverless Framework project")
            && stderr.contains("run `serverless package`"),
        "{stderr}"
    );

    std::fs::create_dir_all(scratch.path().join(".serverless")).unwrap();
    for file in [
        "cloudformation-template-update-stack.json",
        "serverless-state.json",
    ] {
        std::fs::copy(
            fixture.join(".serverless").join(file),
            scratch.path().join(".serverless").join(file),
        )
        .unwrap();
    }
    // The zips of the function's code and the layer, written by Python's zipfile as the
    // framework's archiver would.
    for (zip, root, folder) in [("demo", "", "src"), ("shared", "layer", "python")] {
        let zipped = std::process::Command::new("python3")
            .args([
                "-c",
                "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2], sys.argv[3])",
            ])
            .arg(scratch.path().join(".serverless").join(zip))
            .arg(fixture.join(root))
            .arg(folder)
            .status()
            .unwrap();
        assert!(zipped.success());
    }

    let server = Server::start_in(scratch.path(), &["start-api", "-p", "0"], &[]);
    for (path, version) in [("/dev/hello", "1.0"), ("/hello", "2.0")] {
        let r = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}: {}", server.printed());
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"stage": "dev", "version": version, "fn": "demo-dev-hello",
                "layer": "from the layer"}),
            "{path}"
        );
    }
    assert!(
        server
            .printed()
            .contains("Using .serverless/cloudformation-template-update-stack.json (written by `serverless package`"),
        "{}",
        server.printed()
    );

    // `serverless invoke local -f hello` names the function by its key in serverless.yml.
    let out = run(scratch.path(), &["invoke", "hello"], b"{}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(answer["statusCode"], 200);
}
