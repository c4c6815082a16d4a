//! End-to-end tests of the example apps under `examples/`: the real binary serves each template on a
//! free port, the real Python and Node functions answer, and a real HTTP client replays the curl
//! session of each example's README, checking statuses, bodies and CORS headers.
//!
//! Each test points the example's storage module at a fresh file through `--env-vars` (SAM's
//! format), so tests never share or leave data.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use support::{Server, repo_root};

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "lambdagate-example-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `start-api` on the example's template with its storage in `scratch`.
fn serve_example(example: &str, scratch: &Scratch, storage_file: &str) -> Server {
    let env_file = scratch.0.join("env.json");
    let storage = scratch.0.join(storage_file);
    // `Parameters` applies to every function that declares the variable, as with `sam local`.
    let env = json!({"Parameters": {"STORAGE_PATH": storage.to_str().unwrap()}});
    std::fs::write(&env_file, env.to_string()).unwrap();
    let template = format!("examples/{example}/template.yaml");
    Server::start(&[
        "start-api",
        "-t",
        &template,
        "-p",
        "0",
        "--env-vars",
        env_file.to_str().unwrap(),
    ])
}

/// One answer: status, headers and body text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(
    client: &Client,
    method: Method,
    url: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = client.request(method.clone(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn items_python_readme_session() {
    let scratch = Scratch::new("items-python");
    let server = serve_example("items-python", &scratch, "items.sqlite3");
    let client = Client::new();
    let items = server.url("/Prod/items");
    runtime().block_on(async {
        let empty = send(&client, Method::GET, &items, None, &[]).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", server.printed());
        assert_eq!(empty.json(), json!([]));
        assert_eq!(empty.header("content-type"), Some("application/json"));
        assert_eq!(empty.header("access-control-allow-origin"), Some("*"));

        let created = send(
            &client,
            Method::POST,
            &items,
            Some(r#"{"name": "Test"}"#),
            &[("content-type", "application/json")],
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.header("access-control-allow-origin"), Some("*"));
        let item = created.json();
        assert_eq!(item["name"], "Test");
        let id = item["id"].as_str().expect("a generated id").to_string();
        let one = server.url(&format!("/Prod/items/{id}"));

        let listed = send(&client, Method::GET, &items, None, &[]).await;
        assert_eq!(listed.json(), json!([item]));

        let fetched = send(&client, Method::GET, &one, None, &[]).await;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.json(), item);

        // Preflights reach the function through the template's OPTIONS events.
        for url in [&items, &one] {
            let preflight = send(
                &client,
                Method::OPTIONS,
                url,
                None,
                &[
                    ("origin", "https://example.com"),
                    ("access-control-request-method", "DELETE"),
                ],
            )
            .await;
            assert_eq!(preflight.status, StatusCode::OK, "{url}");
            assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
            assert_eq!(
                preflight.header("access-control-allow-methods"),
                Some("GET,POST,DELETE,OPTIONS")
            );
            assert_eq!(
                preflight.header("access-control-allow-headers"),
                Some("Content-Type,Authorization")
            );
        }

        let deleted = send(&client, Method::DELETE, &one, None, &[]).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(deleted.body, "");
        assert_eq!(deleted.header("access-control-allow-origin"), Some("*"));

        let gone = send(&client, Method::GET, &one, None, &[]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.json(), json!({"error": "Not found"}));

        let bad = send(&client, Method::POST, &items, Some("{not json"), &[]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json(), json!({"error": "Body is not valid JSON"}));

        // A method the template does not declare never reaches the function: API Gateway answers.
        let undeclared = send(&client, Method::PUT, &one, Some("{}"), &[]).await;
        assert_eq!(undeclared.status, StatusCode::FORBIDDEN);
        assert_eq!(
            undeclared.json(),
            json!({"message": "Missing Authentication Token"})
        );
    });
    assert_concurrent_creates_all_stored(&server, "/Prod/items", r#"{"name": "n"}"#);
}

#[test]
fn items_node_readme_session() {
    let scratch = Scratch::new("items-node");
    let server = serve_example("items-node", &scratch, "items.json");
    let client = Client::new();
    let items = server.url("/prod/items");
    runtime().block_on(async {
        let created = send(
            &client,
            Method::POST,
            &items,
            Some(r#"{"name": "Test"}"#),
            &[("content-type", "application/json")],
        )
        .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{}\n{}",
            created.body,
            server.printed()
        );
        let item = created.json();
        assert_eq!(item["name"], "Test");
        let id = item["id"].as_str().expect("a generated id").to_string();

        // Another function (GetItemFunction) reads what CreateItemFunction stored.
        let one = server.url(&format!("/prod/items/{id}"));
        let fetched = send(&client, Method::GET, &one, None, &[]).await;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.json(), item);
        // Without an Origin the HTTP API adds no CORS headers.
        assert_eq!(fetched.header("access-control-allow-origin"), None);

        let missing = send(
            &client,
            Method::GET,
            &server.url("/prod/items/nope"),
            None,
            &[("origin", "https://example.com")],
        )
        .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json(), json!({"error": "Item not found"}));
        // With an Origin, the CorsConfiguration's headers are on every answer, errors included.
        assert_eq!(missing.header("access-control-allow-origin"), Some("*"));

        // API Gateway answers the preflight itself: there is no OPTIONS route in the template.
        let preflight = send(
            &client,
            Method::OPTIONS,
            &items,
            None,
            &[
                ("origin", "https://example.com"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
        )
        .await;
        assert!(
            preflight.status.is_success(),
            "preflight answered {}",
            preflight.status
        );
        assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(methods.contains("POST"), "allow-methods: {methods}");
        assert!(preflight.header("access-control-allow-headers").is_some());

        let bad = send(&client, Method::POST, &items, Some("[1]"), &[]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json(), json!({"error": "Body must be a JSON object"}));
    });
}

#[test]
fn products_rest_readme_session() {
    let scratch = Scratch::new("products-rest");
    let server = serve_example("products-rest", &scratch, "products.json");
    let client = Client::new();
    let products = server.url("/Prod/products");
    runtime().block_on(async {
        let created = send(
            &client,
            Method::POST,
            &products,
            Some(r#"{"name": "Desk lamp", "price": 24.5}"#),
            &[("content-type", "application/json")],
        )
        .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{}\n{}",
            created.body,
            server.printed()
        );
        assert_eq!(created.header("access-control-allow-origin"), Some("*"));
        let product = created.json();
        assert_eq!(product["name"], "Desk lamp");
        assert_eq!(product["price"], 24.5);
        let id = product["productId"].as_str().expect("an id").to_string();
        let one = server.url(&format!("/Prod/products/{id}"));

        let listed = send(&client, Method::GET, &products, None, &[]).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.json(), json!([product]));

        let fetched = send(&client, Method::GET, &one, None, &[]).await;
        assert_eq!(fetched.json(), product);

        let updated = send(&client, Method::PUT, &one, Some(r#"{"price": 19.99}"#), &[]).await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        let after = updated.json();
        assert_eq!(after["price"], 19.99);
        assert_eq!(after["name"], "Desk lamp");
        assert_eq!(after["createdAt"], product["createdAt"]);

        let deleted = send(&client, Method::DELETE, &one, None, &[]).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(deleted.body, "");

        for method in [Method::GET, Method::DELETE] {
            let gone = send(&client, method.clone(), &one, None, &[]).await;
            assert_eq!(gone.status, StatusCode::NOT_FOUND, "{method}");
            assert_eq!(gone.json(), json!({"error": "Product not found"}));
        }

        let invalid = send(
            &client,
            Method::POST,
            &products,
            Some(r#"{"price": 3}"#),
            &[],
        )
        .await;
        assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            invalid.json(),
            json!({"error": "name must be a non-empty string"})
        );
    });
    assert_concurrent_creates_all_stored(&server, "/Prod/products", r#"{"name": "p"}"#);
}

/// Sends 16 creates at once (several warm instances of the function run them), then checks that
/// the list holds every one: all instances share one store and no write is lost.
fn assert_concurrent_creates_all_stored(server: &Server, collection: &str, body: &str) {
    let client = Client::new();
    let url = server.url(collection);
    runtime().block_on(async {
        let before = send(&client, Method::GET, &url, None, &[]).await.json();
        let before = before.as_array().expect("a list").len();
        let creates: Vec<_> = (0..16)
            .map(|_| {
                let (client, url, body) = (client.clone(), url.clone(), body.to_string());
                tokio::spawn(
                    async move { send(&client, Method::POST, &url, Some(&body), &[]).await },
                )
            })
            .collect();
        for create in creates {
            let answer = create.await.expect("request task");
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        }
        let after = send(&client, Method::GET, &url, None, &[]).await.json();
        assert_eq!(after.as_array().expect("a list").len(), before + 16);
    });
}

/// Runs a command in `dir` and asserts it succeeds, showing its output when it does not.
fn assert_succeeds(dir: &Path, program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The examples' own handler tests (stdlib unittest, node:test): the handler logic without a server.
#[test]
fn example_handler_tests_pass() {
    let examples = repo_root().join("examples");
    assert_succeeds(
        &examples.join("items-python"),
        "python3",
        &["-m", "unittest", "discover", "-s", "tests"],
    );
    assert_succeeds(&examples.join("items-node"), "node", &["--test"]);
    assert_succeeds(&examples.join("products-rest"), "node", &["--test"]);
}
