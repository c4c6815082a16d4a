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

    let (ok, out, _) = run(&["routes", "--json", "-t", t.to_str().unwrap()]);
    assert!(ok);
    let apis: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(apis[0]["logical_id"], "UserApi");
    assert_eq!(apis[0]["stages"][0]["name"], "dev");
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
