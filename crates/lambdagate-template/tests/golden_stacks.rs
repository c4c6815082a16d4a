//! Golden tests from the model for templates built from more than one file or expanded before
//! loading: a nested stack, functions packaged as .zip files, and a Fn::ForEach template.

use std::path::PathBuf;

use lambdagate_model::{ApiKind, Application, IntegrationTarget, api_id_for};
use lambdagate_template::{Diagnostic, LoadOptions, Severity, load};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join("template.yaml")
}

fn load_fixture(
    name: &str,
    strict: bool,
) -> Result<(Application, Vec<Diagnostic>), Vec<Diagnostic>> {
    let options = LoadOptions {
        strict,
        ..LoadOptions::default()
    };
    load(&fixture(name), &options).map(|l| (l.application, l.warnings))
}

/// (route key, function) per route of an API.
fn routes(app: &Application, api: &str) -> Vec<(String, String)> {
    let api = app
        .apis
        .iter()
        .find(|a| a.logical_id == api)
        .unwrap_or_else(|| panic!("no API {api}"));
    api.routes
        .iter()
        .map(|r| {
            let target = match &r.integration.target {
                IntegrationTarget::Function(f) => f.clone(),
                other => format!("{other:?}"),
            };
            (r.key.to_string(), target)
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn nested_stacks_serve_their_apis_and_functions_under_the_stack_name() {
    let (app, warnings) = load_fixture("nested", true).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(app.stack_name, "nested");
    let functions: Vec<(&str, &str, &str)> = app
        .functions
        .iter()
        .map(|f| {
            (
                f.logical_id.as_str(),
                f.function_name.as_str(),
                f.runtime.as_str(),
            )
        })
        .collect();
    assert_eq!(
        functions,
        [
            ("StatusFunction", "StatusFunction", "python3.12"),
            ("Orders/OrdersFunction", "OrdersFunction", "python3.12"),
            ("Users/UsersFunction", "UsersFunction", "nodejs20.x"),
        ]
    );
    // The children's templates are the application's sources too (hot reload watches them).
    let sources: Vec<_> = app
        .sources
        .iter()
        .map(|p| p.ends_with("orders/template.yaml") || p.ends_with("users/template.yaml"))
        .collect();
    assert_eq!(sources, [true, true], "{:?}", app.sources);
    let dir = fixture("nested").parent().unwrap().canonicalize().unwrap();
    assert_eq!(app.functions[1].code_dir, dir.join("orders/src"));
    assert_eq!(app.functions[2].code_dir, dir.join("users/src"));
    assert!(
        app.functions[1]
            .source
            .file
            .ends_with("orders/template.yaml")
    );

    let kinds: Vec<(&str, ApiKind, &str)> = app
        .apis
        .iter()
        .map(|a| (a.logical_id.as_str(), a.kind, a.stages[0].name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ServerlessHttpApi", ApiKind::Http, "$default"),
            ("Orders/OrdersApi", ApiKind::Rest, "v1"),
            ("Users/ServerlessHttpApi", ApiKind::Http, "$default"),
        ]
    );
    assert_eq!(
        routes(&app, "Orders/OrdersApi"),
        pairs(&[("GET /orders/{id}", "Orders/OrdersFunction")])
    );
    assert_eq!(
        routes(&app, "Users/ServerlessHttpApi"),
        pairs(&[("GET /users", "Users/UsersFunction")])
    );

    // Parameters from the parent, resolved there; outputs from the children, resolved there.
    let orders = &app.functions[1].environment;
    assert_eq!(orders["GREETING"], "hello from orders");
    assert!(
        orders["STACK"].starts_with("nested-Orders-"),
        "{}",
        orders["STACK"]
    );
    let status = &app.functions[0].environment;
    assert_eq!(
        status["ORDERS_URL"],
        format!(
            "https://{}.execute-api.us-east-1.amazonaws.com/v1/orders",
            api_id_for("OrdersApi")
        )
    );
    assert_eq!(app.apis[1].api_id, api_id_for("OrdersApi"));
    assert_eq!(status["USERS_FUNCTION"], "UsersFunction");
}

#[test]
fn zip_functions_are_unpacked_and_a_broken_zip_only_loses_its_function() {
    let errors = load_fixture("zip-function", true).expect_err("validate refuses the broken zip");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].severity, Severity::Error);
    assert_eq!(
        (errors[0].location.line, errors[0].location.column),
        (42, 16)
    );
    assert!(
        errors[0].message.contains("it is not a zip archive"),
        "{}",
        errors[0].message
    );

    let (app, warnings) = load_fixture("zip-function", false).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].location.line, 42);
    let ids: Vec<&str> = app
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["HelloFunction", "NodeRoute", "NodeFunction"]);
    for f in &app.functions {
        // Unpacked into the cache, never next to the template.
        assert!(
            f.code_dir
                .to_string_lossy()
                .contains("lambdagate/code/zip/"),
            "{}",
            f.code_dir.display()
        );
    }
    assert!(app.functions[0].code_dir.join("greeting.py").is_file());
    // The same zip is one folder.
    assert_eq!(app.functions[1].code_dir, app.functions[2].code_dir);
    assert!(app.functions[1].code_dir.join("index.js").is_file());
    assert_eq!(app.unavailable_functions.len(), 1);
    assert_eq!(app.unavailable_functions[0].logical_id, "BrokenFunction");
    assert_eq!(
        routes(&app, "ServerlessHttpApi"),
        pairs(&[
            ("GET /hello", "HelloFunction"),
            ("GET /node", "NodeRoute"),
            ("GET /broken", "BrokenFunction"),
        ])
    );
}

#[test]
fn for_each_expands_functions_routes_and_substitutions() {
    let (app, warnings) = load_fixture("foreach", true).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    let ids: Vec<&str> = app
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "ordersFunction",
            "usersFunction",
            "invoicesFunction",
            "Echopython312",
            "Echonodejs20x"
        ]
    );
    let users = &app.functions[1].environment;
    assert_eq!(users["ENTITY"], "users");
    assert_eq!(users["ENTITY_COUNT"], "3");
    assert_eq!(users["SETTINGS"], r#"{"entity":"users","primary":"no"}"#);
    assert_eq!(
        app.functions[0].environment["SETTINGS"],
        r#"{"entity":"orders","primary":"yes"}"#
    );
    let node = &app.functions[4];
    assert_eq!(node.runtime, "nodejs20.x");
    assert!(
        node.code_dir.ends_with("runtimes/nodejs20.x"),
        "{}",
        node.code_dir.display()
    );
    assert_eq!(
        routes(&app, "ServerlessHttpApi"),
        pairs(&[
            ("GET /orders", "ordersFunction"),
            ("GET /users", "usersFunction"),
            ("GET /invoices", "invoicesFunction"),
            ("GET /echo/python312", "Echopython312"),
            ("GET /echo/nodejs20x", "Echonodejs20x"),
        ])
    );

    // Another entity list is another set of functions and routes.
    let options = LoadOptions {
        parameter_overrides: vec![("Entities".into(), "carts".into())],
        ..LoadOptions::default()
    };
    let app = load(&fixture("foreach"), &options).unwrap().application;
    assert_eq!(app.functions[0].logical_id, "cartsFunction");
    assert_eq!(app.functions[0].environment["ENTITY_COUNT"], "1");
    assert_eq!(app.apis[0].routes[0].key.to_string(), "GET /carts");
}
