//! `start-api` end to end on templates made of more than one file or expanded before loading:
//! nested stacks, .zip-packaged functions and Fn::ForEach, answering through real Python and
//! Node functions.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Server, repo_root, run};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{url}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

#[tokio::test]
async fn nested_stacks_apis_answer_through_their_functions() {
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/nested/template.yaml",
        "-p",
        "0",
    ]);
    let printed = server.printed();
    assert!(printed.contains("Orders/OrdersFunction"), "{printed}");
    let c = client();

    // The child's REST API (stage from the parent's parameter), its Python function.
    let body = get_json(&c, server.url("/v1/orders/7")).await;
    assert_eq!(body["greeting"], "hello from orders");
    assert_eq!(body["id"], "7");
    assert_eq!(body["function"], "OrdersFunction");
    assert!(
        body["stack"]
            .as_str()
            .unwrap()
            .starts_with("nested-Orders-"),
        "{body}"
    );

    // The other child's HTTP API, its Node function.
    let body = get_json(&c, server.url("/users")).await;
    assert_eq!(body["users"], serde_json::json!(["ana", "bo"]));
    assert_eq!(body["function"], "UsersFunction");

    // The parent's function, with the children's outputs.
    let body = get_json(&c, server.url("/status")).await;
    assert!(
        body["orders_url"]
            .as_str()
            .unwrap()
            .ends_with(".execute-api.us-east-1.amazonaws.com/v1/orders"),
        "{body}"
    );
    assert_eq!(body["users_function"], "UsersFunction");
}

#[tokio::test]
async fn for_each_functions_and_routes_answer() {
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/foreach/template.yaml",
        "-p",
        "0",
    ]);
    let c = client();
    for entity in ["orders", "users", "invoices"] {
        let body = get_json(&c, server.url(&format!("/{entity}"))).await;
        assert_eq!(body["entity"], entity);
        assert_eq!(body["entity_count"], 3);
        assert_eq!(body["settings"]["entity"], entity);
        assert_eq!(body["function"], format!("{entity}Function"));
    }
    let body = get_json(&c, server.url("/echo/python312")).await;
    assert_eq!(
        (body["runtime"].as_str(), body["major"].as_i64()),
        (Some("python"), Some(3))
    );
    let body = get_json(&c, server.url("/echo/nodejs20x")).await;
    assert_eq!(body["runtime"], "node");
    assert_eq!(body["path"], "/echo/nodejs20x");
}

#[tokio::test]
async fn zip_functions_answer_and_a_broken_zip_is_warned_about_and_not_served() {
    const TEMPLATE: &str = "tests/fixtures/zip-function/template.yaml";
    // A deploy would reject the broken zip: validate says so, with file:line, and exits 1.
    let out = run(&repo_root(), &["validate", "-t", TEMPLATE], b"");
    assert_eq!(out.status.code(), Some(1));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains(&format!(
            "{TEMPLATE}:42:16: error: function `BrokenFunction`: CodeUri `build/broken.zip` could not be unpacked: it is not a zip archive"
        )),
        "{printed}"
    );

    // Serving: one warning, the rest served.
    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let printed = server.printed();
    assert!(
        printed.contains(&format!(
            "{TEMPLATE}:42:16: warning: function `BrokenFunction`"
        )),
        "{printed}"
    );
    let c = client();
    let body = get_json(&c, server.url("/hello")).await;
    assert_eq!(body["message"], "hello from a zip");
    assert_eq!(body["function"], "HelloFunction");
    let body = get_json(&c, server.url("/node")).await;
    assert_eq!(body["message"], "hello from node in a zip");
    // The function that cannot run answers as API Gateway does when it cannot invoke one.
    let r = c.get(server.url("/broken")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal Server Error"}"#
    );
}

/// A nested stack's function is invoked by its full path, as `sam local invoke` names it.
#[test]
fn invoke_names_a_nested_function_by_its_stack_path() {
    let out = run(
        &repo_root(),
        &[
            "invoke",
            "-t",
            "tests/fixtures/nested/template.yaml",
            "Orders/OrdersFunction",
            "-e",
            "-",
        ],
        br#"{"pathParameters": {"id": "3"}}"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let body: Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], "3");
    assert_eq!(body["greeting"], "hello from orders");
}

/// Nested stacks that cannot be loaded (a cycle, a missing file): `validate` lists each once with
/// file:line and exits 1; `start-api` warns about each once and serves the rest.
#[tokio::test]
async fn bad_nested_stacks_fail_validate_and_are_skipped_when_serving() {
    const TEMPLATE: &str = "tests/fixtures/nested-bad/template.yaml";
    let out = run(&repo_root(), &["validate", "-t", TEMPLATE], b"");
    assert_eq!(out.status.code(), Some(1));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let cycle = "tests/fixtures/nested-bad/loop.yaml:6:20: error: nested stack `Parent`: \
                 `template.yaml` includes itself (template.yaml -> loop.yaml -> template.yaml)";
    let missing = format!(
        "{TEMPLATE}:14:17: error: nested stack `Missing`: cannot read Location `missing/template.yaml`"
    );
    assert!(printed.contains(cycle), "{printed}");
    assert!(printed.contains(&missing), "{printed}");
    assert_eq!(printed.matches(": error: ").count(), 2, "{printed}");

    let server = Server::start(&["start-api", "-t", TEMPLATE, "-p", "0"]);
    let printed = server.printed();
    assert_eq!(
        printed.matches(": warning: nested stack").count(),
        2,
        "{printed}"
    );
    assert!(
        printed.contains(&cycle.replace(": error: ", ": warning: ")),
        "{printed}"
    );
    let r = client().get(server.url("/hello")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "hello");
}

/// `AWS::Include` snippets (a function from the Transform section, an OpenAPI body inline)
/// served as if written in the template.
#[tokio::test]
async fn included_snippets_are_served() {
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/include/template.yaml",
        "-p",
        "0",
    ]);
    let c = client();
    let body = get_json(&c, server.url("/dev/pets/9")).await;
    assert_eq!(body["pet"], "9");
    let body = get_json(&c, server.url("/dev/ping")).await;
    assert_eq!(body["pong"], true);
    // The routes name the snippet they were written in.
    let out = run(
        &repo_root(),
        &[
            "routes",
            "--json",
            "-t",
            "tests/fixtures/include/template.yaml",
        ],
        b"",
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows[0]["source"],
        "tests/fixtures/include/snippets/openapi.yaml:7:5"
    );
}
