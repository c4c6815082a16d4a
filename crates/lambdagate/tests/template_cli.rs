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
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["api"], "UserApi");
    assert_eq!(rows[0]["stage"], "dev");
    assert_eq!(rows[0]["authorizer"]["kind"], "COGNITO_USER_POOLS");
}

/// `routes --json`: per route and stage, the authorizer, API key, validator and integration
/// the template was understood to give it.
#[test]
fn routes_json_says_what_was_understood_per_route() {
    let t = fixture("routes-json");
    let (ok, out, err) = run(&["routes", "--json", "-t", t.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(err.is_empty(), "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    let find = |method: &str, path: &str| {
        rows.iter()
            .find(|r| r["method"] == method && r["path"] == path)
            .unwrap_or_else(|| panic!("no {method} {path} in {out}"))
    };
    assert_eq!(rows.len(), 6, "{out}");

    let create = find("POST", "/items");
    assert_eq!(create["api"], "ShopApi");
    assert_eq!(create["api_kind"], "REST");
    assert_eq!(create["stage"], "v1");
    assert_eq!(create["authorization"], "CUSTOM");
    assert_eq!(create["authorizer"]["name"], "TokenAuth");
    assert_eq!(create["authorizer"]["kind"], "TOKEN");
    assert_eq!(create["authorizer"]["function"], "AuthFunction");
    assert_eq!(create["api_key_required"], true);
    assert_eq!(create["auth"], "CUSTOM(TokenAuth)+KEY");
    assert_eq!(create["request_validator"]["validate_body"], true);
    assert_eq!(create["request_validator"]["validate_parameters"], false);
    assert_eq!(create["integration"]["kind"], "AWS_PROXY");
    assert_eq!(create["integration"]["target"], "function");
    assert_eq!(create["integration"]["function"], "ItemsFunction");
    assert_eq!(create["integration"]["available"], true);
    assert!(
        create["source"]
            .as_str()
            .unwrap()
            .contains("routes-json/template.yaml:")
    );

    let list = find("GET", "/items");
    assert_eq!(list["authorization"], "NONE");
    assert_eq!(list["authorizer"], serde_json::Value::Null);
    assert_eq!(list["api_key_required"], false);
    assert_eq!(list["request_validator"], serde_json::Value::Null);

    assert_eq!(find("GET", "/admin")["authorization"], "AWS_IAM");

    let upstream = find("GET", "/upstream");
    assert_eq!(upstream["integration"]["kind"], "HTTP_PROXY");
    assert_eq!(upstream["integration"]["target"], "uri");
    assert_eq!(
        upstream["integration"]["uri"],
        "https://example.com/upstream"
    );
    assert_eq!(upstream["authorizer"]["name"], "TokenAuth");

    let health = find("GET", "/health");
    assert_eq!(health["integration"]["kind"], "MOCK");
    assert_eq!(health["integration"]["target"], "none");

    let events = find("GET", "/events");
    assert_eq!(events["api"], "ServerlessHttpApi");
    assert_eq!(events["api_kind"], "HTTP");
    assert_eq!(events["stage"], "$default");

    // The table says the same in its AUTH column.
    let (ok, table, _) = run(&["routes", "-t", t.to_str().unwrap()]);
    assert!(ok);
    assert!(
        table
            .lines()
            .any(|l| l.contains("POST") && l.contains("CUSTOM(TokenAuth)+KEY")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("/admin") && l.contains("AWS_IAM")),
        "{table}"
    );
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

#[test]
fn integration_credentials_are_said_to_be_not_enforced() {
    let t = fixture("aws-integrations");
    let (ok, _, err) = run(&["validate", "-t", t.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        err.contains(
            "POST /orders on API ServiceApi: the integration's credentials \
             (arn:aws:iam::123456789012:role/apigw-sqs) are accepted and not assumed"
        ),
        "{err}"
    );
}

#[test]
fn an_authorizer_invoke_role_is_said_to_be_not_enforced() {
    let dir = std::env::temp_dir().join(format!("lambdagate-invoke-role-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        "def handler(e, c):\n    return {}\n",
    )
    .unwrap();
    let t = dir.join("template.yaml");
    std::fs::write(
        &t,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      Auth:\n        DefaultAuthorizer: Tok\n        Authorizers:\n          Tok:\n            FunctionArn: !GetAtt Fn.Arn\n            FunctionInvokeRole: arn:aws:iam::123456789012:role/invoker\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.11\n      Events:\n        A: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: get}}\n",
    )
    .unwrap();
    let (ok, _, err) = run(&["validate", "-t", t.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{err}");
    assert!(
        err.contains("authorizer `Tok` of API Api: its invoke role (arn:aws:iam::123456789012:role/invoker) is accepted and not assumed"),
        "{err}"
    );
}

#[test]
fn sam_template_file_names_the_template_as_for_sam() {
    // `sam` reads the template's path from SAM_TEMPLATE_FILE when -t is not given; so does
    // lambdagate, run here from a folder that has no template of its own.
    let t = fixture("seed-004");
    let elsewhere = std::env::temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["routes"])
        .current_dir(&elsewhere)
        .env("SAM_TEMPLATE_FILE", &t)
        .output()
        .expect("run lambdagate");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("/users/{userId}"), "{text}");
    // -t still wins.
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(["routes", "-t", t.to_str().unwrap()])
        .current_dir(&elsewhere)
        .env("SAM_TEMPLATE_FILE", elsewhere.join("no-such-template.yaml"))
        .output()
        .expect("run lambdagate");
    assert!(out.status.success());
}
