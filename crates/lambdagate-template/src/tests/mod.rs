//! Loader tests over small templates: every intrinsic, and one test per diagnostic.
//!
//! This file holds the helpers the rooms share (loading a template, its errors and warnings,
//! templates with a REST or HTTP API); the tests are in the rooms named for what they load.

mod auth;
mod backing;
mod cfn_api;
mod diagnostics;
mod include;
mod intrinsics;
mod language_extensions;
mod lenient;
mod nested;
mod openapi;
mod packaging;
mod sam;
mod settings;
mod tolerant;

use std::path::PathBuf;

use lambdagate_model::Application;

use crate::{LoadOptions, Severity, load_str};

/// A path inside this crate, so `CodeUri: src` names a folder that exists.
fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("template.yaml")
}

fn load_with(text: &str, overrides: &[(&str, &str)]) -> Result<Application, Vec<String>> {
    let options = LoadOptions {
        parameter_overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: false,
    };
    load_str(text, &path(), &options)
        .map(|l| l.application)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
                .collect()
        })
}

fn load(text: &str) -> Result<Application, Vec<String>> {
    load_with(text, &[])
}

const FUNCTION: &str = "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n";

/// A template whose function has `V: {expr}` in its environment.
fn with_env(head: &str, expr: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\n{head}Resources:\n{FUNCTION}      Environment:\n        Variables:\n          V: {expr}\n{extra}"
    )
}

fn env_value(head: &str, expr: &str, extra: &str) -> String {
    let app = load(&with_env(head, expr, extra)).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
    app.functions[0].environment["V"].clone()
}

fn env_errors(head: &str, expr: &str, extra: &str) -> Vec<String> {
    load(&with_env(head, expr, extra)).expect_err(expr)
}

const TABLE: &str =
    "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: items\n";
const PARAMS: &str = "Parameters:\n  Stage:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n  Ids:\n    Type: CommaDelimitedList\n    Default: a,b,c\n";

fn assert_error(errors: &[String], needle: &str) {
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error containing `{needle}` in {errors:#?}"
    );
}

/// A template with the REST API `MyApi` (stage `prod`) whose further properties are `props`
/// (YAML lines indented by 6), a function `Fn` with the event `Get` (`GET /items`, with the
/// event properties `event`, indented by 12) on it, and the resources `extra`.
fn rest_api(props: &str, event: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n{props}{FUNCTION}      Events:\n        Get:\n          Type: Api\n          Properties:\n            RestApiId: !Ref MyApi\n            Path: /items\n            Method: get\n{event}{extra}"
    )
}

/// Like [`rest_api`] for the HTTP API `MyHttp` (no StageName: `$default`).
fn http_api(props: &str, event: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyHttp:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Description: http\n{props}{FUNCTION}      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref MyHttp\n            Path: /items\n            Method: get\n{event}{extra}"
    )
}

fn load_ok(text: &str) -> Application {
    load(text).unwrap_or_else(|e| panic!("{e:#?}\n{text}"))
}

/// Warnings of a template that loads.
fn warnings(text: &str) -> Vec<String> {
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        ..LoadOptions::default()
    };
    load_str(text, &path(), &options)
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .warnings
        .iter()
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect()
}

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in {text}"))
        + 1
}

/// Errors of a template loaded as `lambdagate validate` loads it (as a deploy would check it).
fn strict_errors(text: &str) -> Vec<String> {
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: true,
        ..LoadOptions::default()
    };
    load_str(text, &path(), &options)
        .map(|_| ())
        .expect_err("strict load should fail")
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect()
}
