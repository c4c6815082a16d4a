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
    // An override the template does not declare: a deploy refuses it, `sam local` ignores it.
    let strict = LoadOptions {
        parameter_overrides: vec![("Nope".into(), "1".into())],
        strict: true,
        ..LoadOptions::default()
    };
    let errors = load_str(&text, &path(), &strict).unwrap_err();
    assert!(
        errors[0].message.contains("`Nope` is not a parameter"),
        "{errors:#?}"
    );
    let serving = LoadOptions {
        strict: false,
        ..strict
    };
    let loaded = load_str(&text, &path(), &serving).unwrap();
    assert!(
        loaded.warnings[0]
            .message
            .contains("`Nope` is not a parameter")
            && loaded.warnings[0].message.contains("ignored"),
        "{:#?}",
        loaded.warnings
    );
    assert_error(
        &load_with(&text, &[("Stage", "qa")]).unwrap_err(),
        "not one of its AllowedValues (dev, prod)",
    );
    let number = "Parameters:\n  N:\n    Type: Number\n    Default: x\n";
    assert_error(&env_errors(number, "y", ""), "is not a number");
}

#[test]
fn a_parameter_without_a_value_is_refused_by_validate_and_its_own_name_when_serving() {
    let head = "Parameters:\n  UserPoolId:\n    Type: String\n  Ports:\n    Type: List<Number>\n    AllowedValues: ['1']\n";
    let text = with_env(head, "!Sub '${UserPoolId}:${Ports}'", "");
    let text = text.replace(
        "V: !Sub '${UserPoolId}:${Ports}'",
        "V: !Sub '${UserPoolId}'\n          P: !Join [',', !Ref Ports]",
    );
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    let errors = load_str(&text, &path(), &strict).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0]
            .message
            .contains("parameter `UserPoolId` has no Default: pass a value")
    );
    assert_eq!(errors[0].location.line, 3);
    // Serving: what `sam local` resolves such a `Ref` to, the parameter's name, with a warning;
    // a stand-in is not held to the Type or AllowedValues.
    let loaded = load_str(&text, &path(), &LoadOptions::default()).unwrap();
    let env = &loaded.application.functions[0].environment;
    assert_eq!(env["V"], "UserPoolId");
    assert_eq!(env["P"], "Ports");
    assert_eq!(loaded.warnings.len(), 2, "{:#?}", loaded.warnings);
    assert!(
        loaded.warnings[0]
            .message
            .contains("until then `Ref UserPoolId` is `UserPoolId`"),
        "{:#?}",
        loaded.warnings
    );
    // A value given is checked as before.
    let given = LoadOptions {
        parameter_overrides: vec![
            ("UserPoolId".into(), "eu-west-1_abc".into()),
            ("Ports".into(), "2".into()),
        ],
        ..LoadOptions::default()
    };
    let errors = load_str(&text, &path(), &given).unwrap_err();
    assert!(
        errors[0].message.contains("not one of its AllowedValues"),
        "{errors:#?}"
    );
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
    let text = format!("Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}{events}");
    let errors = super::strict_errors(&text);
    assert_error(&errors, "10:9: duplicate route `GET /x`");
    assert_error(&errors, "13:9: duplicate route `GET /x`");
    // Serving keeps the first, as `sam local` does, and says so at the second.
    let app = load(&text).unwrap_or_else(|e| panic!("{e:#?}"));
    let x: Vec<_> = app.apis[0]
        .routes
        .iter()
        .filter(|r| r.key.to_string() == "GET /x")
        .collect();
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].event_id, "A");
    let warned = super::warnings(&text);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("13:9: duplicate route `GET /x`") && w.contains("is served")),
        "{warned:#?}"
    );
}

#[test]
fn independent_errors_are_all_reported() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}      Environment:\n        Variables:\n          A: !Ref Nope1\n          B: !Ref Nope2\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: a.b\n      Runtime: python3.12\n      Timeout: 5000\n"
    );
    // `validate`, to which an override the template does not declare is an error too.
    let strict = LoadOptions {
        parameter_overrides: vec![("X".into(), "1".into())],
        strict: true,
        ..LoadOptions::default()
    };
    let errors: Vec<String> = load_str(&text, &path(), &strict)
        .unwrap_err()
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_error(&errors, "Timeout must be a whole number from 1 to 900");
    assert_error(&errors, "`X` is not a parameter");
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
