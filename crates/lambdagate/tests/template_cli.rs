//! `lambdagate routes` and `lambdagate validate` run as the real binary on the seed fixtures.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join("template.yaml")
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(args)
        .output()
        .expect("run lambdagate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn routes_prints_an_aligned_table_and_json() {
    let t = fixture("seed-004");
    let (ok, out, err) = run(&["routes", "-t", t.to_str().unwrap()]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("API") && lines[0].ends_with("TARGET"),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.contains("GET")
        && l.contains("/users/{userId}")
        && l.ends_with("GetUserFunction")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("OPTIONS") && l.ends_with("mock"))
    );
    let path_column = lines[0].find("PATH").unwrap();
    assert!(
        lines[1..].iter().all(|l| l[path_column..].starts_with('/')),
        "{out}"
    );
    // The default Cognito authorizer protects every route, CORS preflights included.
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("COGNITO(CognitoAuthorizer)")),
        "{out}"
    );

    let (ok, out, _) = run(&["routes", "--json", "-t", t.to_str().unwrap()]);
    assert!(ok);
    let apis: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(apis[0]["logical_id"], "UserApi");
    assert_eq!(apis[0]["stages"][0]["name"], "dev");
}

#[test]
fn routes_lists_every_stage_and_the_custom_domains() {
    let t = fixture("stages-domains");
    let (ok, out, err) = run(&["routes", "-t", t.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (routes, domains) = out.split_once("\n\n").expect("a domains section");
    assert!(
        routes.lines().any(|l| l.starts_with("ItemsApi (REST)")
            && l.contains(" dev ")
            && l.contains("/items/{id}")),
        "{out}"
    );
    assert!(
        routes
            .lines()
            .any(|l| l.starts_with("EventsApi (HTTP)") && l.contains(" v1 ") && l.contains("NONE")),
        "{out}"
    );
    assert!(
        routes.lines().any(|l| l.contains("prod (canary 25%)")),
        "{out}"
    );
    let domains: Vec<Vec<&str>> = domains
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(domains[0], ["DOMAIN", "BASE", "PATH", "API", "STAGE"]);
    assert!(
        domains.contains(&vec!["api.example.test", "shop/v1", "ItemsApi", "prod"]),
        "{out}"
    );
    assert!(
        domains.contains(&vec!["api.example.test", "events", "EventsApi", "v1"]),
        "{out}"
    );
}

#[test]
fn validate_says_ok_or_lists_errors_with_exit_1() {
    let t = fixture("seed-001");
    let (ok, out, _) = run(&["validate", "-t", t.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(out.trim(), "OK");

    let t = fixture("seed-004");
    let (ok, out, _) = run(&[
        "validate",
        "-t",
        t.to_str().unwrap(),
        "--parameter-overrides",
        "Environment=qa Unknown=1",
    ]);
    assert!(!ok);
    assert!(
        out.contains("template.yaml:27:3: error: parameter override `Unknown`"),
        "{out}"
    );
    assert!(
        out.contains("`qa` is not one of its AllowedValues"),
        "{out}"
    );
}

#[test]
fn a_reference_nothing_served_needs_warns_when_serving_and_fails_validate() {
    let dir = std::env::temp_dir().join(format!("lambdagate-tolerant-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        "def handler(e, c):\n    return {}\n",
    )
    .unwrap();
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      Events:\n        Get:\n          Type: HttpApi\n          Properties: {Path: /items, Method: get}\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: sg\n      VpcId: !Ref MissingVpc\n",
    )
    .unwrap();
    let t = template.to_str().unwrap();
    let (ok, out, err) = run(&["routes", "-t", t]);
    assert!(ok, "{err}");
    assert!(out.contains("/items"), "{out}");
    assert!(
        err.contains(&format!("{t}:17:14: warning: Ref to `MissingVpc`")),
        "{err}"
    );
    let (ok, out, _) = run(&["validate", "-t", t]);
    assert!(!ok);
    assert!(
        out.contains(&format!("{t}:17:14: error: Ref to `MissingVpc`")),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
