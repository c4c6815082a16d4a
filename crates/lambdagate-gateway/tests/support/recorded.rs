//! The recorded AWS data (`../shared/conformance`) and a field-by-field comparison with it.
//!
//! Shared by the gateway's in-process conformance tests and the binary's end-to-end ones
//! (`crates/lambdagate/tests/support/mod.rs` includes this file by path).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

/// The recorded AWS data (`../shared/conformance` next to the repository).
pub fn conformance_dir() -> PathBuf {
    let candidates = [
        std::env::var("LAMBDAGATE_CONFORMANCE")
            .ok()
            .map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")),
        Some(PathBuf::from("/work/shared/conformance")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("README.md").is_file())
        .expect("conformance data not found: set LAMBDAGATE_CONFORMANCE")
}

/// Reads a JSON file of the conformance data.
pub fn fixture(relative: &str) -> Value {
    let text = std::fs::read_to_string(conformance_dir().join(relative)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The keys of a JSON object (empty for anything else).
pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// How one field of a recorded event is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Same value (objects: field by field, recursively).
    Equal,
    /// Present in ours, any value (ids, times, IPs, ports).
    Present,
    /// Not compared (what only the recording's environment has: CloudFront, mutual TLS).
    Skip,
}

/// Compares `ours` with the recorded `theirs` field by field and returns every difference as
/// `dotted.path: why`. Every field of `theirs` is looked up in `ours` under the rule that `rule`
/// gives its dotted path; fields only `ours` has are not reported (see [`extra_keys`]).
pub fn differences(ours: &Value, theirs: &Value, rule: &dyn Fn(&str) -> Rule) -> Vec<String> {
    let mut out = Vec::new();
    walk(ours, theirs, "", rule, &mut out);
    out
}

fn walk(
    ours: &Value,
    theirs: &Value,
    path: &str,
    rule: &dyn Fn(&str) -> Rule,
    out: &mut Vec<String>,
) {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => {
            for (key, expected) in t {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (rule(&child), o.get(key)) {
                    (Rule::Skip, _) => {}
                    (_, None) => out.push(format!("{child}: missing (recorded {expected})")),
                    (Rule::Present, Some(_)) => {}
                    (Rule::Equal, Some(actual)) => walk(actual, expected, &child, rule, out),
                }
            }
        }
        _ if ours == theirs => {}
        _ => out.push(format!("{path}: ours {ours}, recorded {theirs}")),
    }
}

/// Keys of the object `ours` that the recorded object `theirs` lacks, minus `allowed`.
pub fn extra_keys(ours: &Value, theirs: &Value, allowed: &[&str]) -> BTreeSet<String> {
    let theirs = keys(theirs);
    keys(ours)
        .into_iter()
        .filter(|k| !theirs.contains(k) && !allowed.contains(&k.as_str()))
        .collect()
}
