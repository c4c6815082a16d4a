//! One test per diagnostic: each mistake is reported with its position, and independent
//! mistakes together.

use super::{FUNCTION, PARAMS, assert_error, env_errors, load, load_with, path, with_env};
use crate::{LoadOptions, load_str};

#[test]
fn yaml_syntax_error() {
    let errors = load("Resources:\n  A: b\n    c: d: e\n").unwrap_err();
    assert_error(&errors, "3:");
    assert_error(&errors, "YAML syntax error");
}

#[test]
fn unknown_intrinsic_and_tag() {
    assert_error(
        &env_errors("", "{'Fn::Nope': x}", ""),
        "unknown intrinsic function `Fn::Nope`",
    );
    assert_error(&env_errors("", "!Nope x", ""), "unknown tag !Nope");
}

#[test]
fn wrong_argument_shape() {
    assert_error(
        &env_errors("", "!Join [x]", ""),
        "Fn::Join expects [delimiter, [values]]",
    );
    assert_error(&env_errors("", "!Select [5, [a]]", ""), "out of range");
    assert_error(&env_errors("", "!If [a, b]", ""), "Fn::If expects");
}

#[test]
fn ref_to_missing_parameter_or_resource() {
    let errors = env_errors("", "!Ref Missing", "");
    assert_error(&errors, "11:14: Ref to `Missing`");
    assert_error(
        &env_errors("", "!GetAtt Nope.Arn", ""),
        "`Nope` is not a resource",
    );
    assert_error(&env_errors("", "!Sub '${Gone}'", ""), "Ref to `Gone`");
}

#[test]
fn circular_references() {
    let extra = "  A:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${B}-x'\n  B:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Ref A\n";
    assert_error(
        &env_errors("", "!Ref A", extra),
        "circular reference: A -> B -> A",
    );
    let head = "Conditions:\n  C1: !Not [!Condition C2]\n  C2: !Not [!Condition C1]\n";
    assert_error(
        &env_errors(head, "!If [C1, a, b]", ""),
        "circular reference",
    );
}

#[test]
fn parameter_overrides_checked() {
    let text = with_env(PARAMS, "x", "");
    assert_error(
        &load_with(&text, &[("Nope", "1")]).unwrap_err(),
        "`Nope` is not a parameter",
    );
    assert_error(
        &load_with(&text, &[("Stage", "qa")]).unwrap_err(),
        "not one of its AllowedValues (dev, prod)",
    );
    let number = "Parameters:\n  N:\n    Type: Number\n    Default: x\n";
    assert_error(&env_errors(number, "y", ""), "is not a number");
}

#[test]
fn ssm_parameter_uses_default_and_warns() {
    let head =
        "Parameters:\n  P:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /app/url\n";
    let loaded = load_str(
        &with_env(head, "!Ref P", ""),
        &path(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(loaded.application.functions[0].environment["V"], "/app/url");
    assert!(loaded.warnings[0].message.contains("SSM"));
}

#[test]
fn missing_handler_runtime_and_code() {
    let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Runtime: python3.12\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nowhere\n      Handler: a.b\n";
    let errors = load(text).unwrap_err();
    assert_error(&errors, "2:3: function `F` has no Handler");
    assert_error(&errors, "7:3: function `G` has no Runtime");
    assert_error(
        &errors,
        "10:16: function `G`: CodeUri `nowhere` does not exist",
    );
    let s3 = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s3://b/k.zip\n      Handler: a.b\n      Runtime: python3.12\n";
    assert_error(&load(s3).unwrap_err(), "is in S3");
}

#[test]
fn package_type_image_needs_a_container_engine() {
    // A deploy accepts it: a warning, and the function is listed as not runnable here.
    let text = format!("Resources:\n{FUNCTION}      PackageType: Image\n");
    let loaded = crate::load_str(&text, &super::path(), &crate::LoadOptions::default()).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("needs a container engine")),
        "{:?}",
        loaded.warnings
    );
    assert!(loaded.application.functions.is_empty());
    assert_eq!(
        loaded.application.unavailable_functions[0].runtime,
        "container image"
    );
}

#[test]
fn duplicate_routes_reported_at_both_places() {
    let events = "      Events:\n        A:\n          Type: Api\n          Properties: {Path: /x, Method: get}\n        B:\n          Type: Api\n          Properties: {Path: /x, Method: GET}\n";
    let errors = load(&format!("Resources:\n{FUNCTION}{events}")).unwrap_err();
    assert_error(&errors, "9:9: duplicate route `GET /x`");
    assert_error(&errors, "12:9: duplicate route `GET /x`");
}

#[test]
fn independent_errors_are_all_reported() {
    let text = format!(
        "Resources:\n{FUNCTION}      Environment:\n        Variables:\n          A: !Ref Nope1\n          B: !Ref Nope2\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: a.b\n      Runtime: python3.12\n      Timeout: 5000\n"
    );
    let errors = load_with(&text, &[("X", "1")]).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_error(&errors, "Timeout must be a whole number from 1 to 900");
}

#[test]
fn an_unresolvable_property_does_not_hide_other_errors_of_the_same_resource() {
    let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nope\n      Runtime: python3.12\n      Environment:\n        Variables:\n          X: !Ref Missing\n";
    let errors = load(text).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_error(&errors, "2:3: function `F` has no Handler");
    assert_error(&errors, "CodeUri `nope` does not exist");
    assert_error(&errors, "Ref to `Missing`");
}
