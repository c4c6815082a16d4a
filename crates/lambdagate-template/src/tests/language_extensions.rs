//! `AWS::LanguageExtensions`: `Fn::ForEach` in Resources, Outputs, Conditions and properties,
//! `Fn::Length`, `Fn::ToJsonString` and `Fn::FindInMap` with a `DefaultValue`.

use super::{FUNCTION, assert_error, load, load_ok, strict_errors, warnings, with_env};

const HEAD: &str = "Transform:\n  - AWS::LanguageExtensions\n  - AWS::Serverless-2016-10-31\n";

/// One function per item of a list parameter, each with its own route, as the AWS docs'
/// examples write it.
fn functions_per_item(collection: &str) -> String {
    format!(
        "{HEAD}Parameters:
  Names:
    Type: CommaDelimitedList
    Default: Orders,Users
Conditions:
  Fn::ForEach::Flags:
    - Name
    - {collection}
    - Is${{Name}}:
        Fn::Equals: [!Ref Name, Orders]
Resources:
  Fn::ForEach::Handlers:
    - Name
    - {collection}
    - ${{Name}}Function:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: !Sub '${{Name}}.handler'
          Runtime: python3.12
          Environment:
            Variables:
              ENTITY: !Ref Name
              Fn::ForEach::Vars:
                - Suffix
                - [a.b, c]
                - VAR_&{{Suffix}}: ${{Name}}-${{Suffix}}
          Events:
            Get:
              Type: HttpApi
              Properties:
                Path: !Sub '/${{Name}}'
                Method: get
Outputs:
  Fn::ForEach::Arns:
    - Name
    - {collection}
    - ${{Name}}Arn:
        Value: !GetAtt ${{Name}}Function.Arn
"
    )
}

#[test]
fn for_each_makes_one_resource_per_item_with_substitutions() {
    for collection in ["[Orders, Users]", "!Ref Names"] {
        let app = load_ok(&functions_per_item(collection));
        let ids: Vec<&str> = app
            .functions
            .iter()
            .map(|f| f.logical_id.as_str())
            .collect();
        assert_eq!(ids, ["OrdersFunction", "UsersFunction"], "{collection}");
        let users = &app.functions[1];
        assert_eq!(users.handler.as_deref(), Some("Users.handler"));
        assert_eq!(users.environment["ENTITY"], "Users");
        // The nested loop in the properties, with `&{}` keeping letters and digits only.
        assert_eq!(users.environment["VAR_ab"], "Users-a.b");
        assert_eq!(users.environment["VAR_c"], "Users-c");
        let routes: Vec<String> = app.apis[0]
            .routes
            .iter()
            .map(|r| r.key.to_string())
            .collect();
        assert_eq!(routes, ["GET /Orders", "GET /Users"]);
    }
}

#[test]
fn for_each_mistakes_are_reported_where_written() {
    let text = functions_per_item("!Ref Nope");
    let errors = load(&text).expect_err("no such parameter");
    assert_error(
        &errors,
        "Fn::ForEach::Handlers: the collection's Ref names `Nope`, which is not a parameter",
    );

    let text = format!(
        "{HEAD}Resources:\n  Fn::ForEach::Topics:\n    - Name\n    - [a, b]\n    - Topic:\n        Type: AWS::SNS::Topic\n"
    );
    let errors = load(&text).expect_err("a key without the identifier");
    assert_error(
        &errors,
        "8:7: Fn::ForEach::Topics: the output key `Topic` must contain `${Name}` or `&{Name}`",
    );

    let text = format!("{HEAD}Resources:\n  Fn::ForEach::Topics: [Name, [a]]\n");
    let errors = load(&text).expect_err("two arguments");
    assert_error(
        &errors,
        "Fn::ForEach::Topics expects [Identifier, Collection, {OutputKey: OutputValue}]",
    );

    let text = format!(
        "{HEAD}Resources:\n  Topica:\n    Type: AWS::SNS::Topic\n  Fn::ForEach::Topics:\n    - Name\n    - [a]\n    - Topic${{Name}}:\n        Type: AWS::SNS::Topic\n"
    );
    let errors = load(&text).expect_err("a clash");
    assert_error(
        &errors,
        "it produces `Topica`, which is already defined here",
    );

    let text = format!(
        "{HEAD}Resources:\n  Topics:\n    Type: AWS::SNS::Topic\n  Fn::ForEach::Topics:\n    - Name\n    - [a]\n    - Topic${{Name}}:\n        Type: AWS::SNS::Topic\nOutputs:\n  Fn::ForEach::Topics:\n    - Name\n    - [a]\n    - Out${{Name}}:\n        Value: x\n"
    );
    let errors = load(&text).expect_err("loop names");
    assert_error(
        &errors,
        "7:3: Fn::ForEach::Topics: the loop's name is also a resource's logical id",
    );
    assert_error(
        &errors,
        "13:3: Fn::ForEach::Topics: another loop has this name",
    );
}

#[test]
fn for_each_without_the_transform_is_refused_by_validate_and_warned_about_when_serving() {
    let text = functions_per_item("[Orders]").replace("  - AWS::LanguageExtensions\n", "");
    let errors = strict_errors(&text);
    assert_error(&errors, "Fn::ForEach needs `AWS::LanguageExtensions`");
    let warned = warnings(&text);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("Fn::ForEach needs `AWS::LanguageExtensions`")),
        "{warned:#?}"
    );
}

/// The value of the environment variable `V: {expr}` of a function in a template with the
/// language extensions and `head` (Parameters, Mappings).
fn value(head: &str, expr: &str) -> String {
    let text = format!(
        "{HEAD}{head}Resources:\n{FUNCTION}      Environment:\n        Variables:\n          V: {expr}\n"
    );
    load_ok(&text).functions[0].environment["V"].clone()
}

#[test]
fn length_to_json_string_and_find_in_map_defaults() {
    let params = "Parameters:\n  Ids:\n    Type: CommaDelimitedList\n    Default: a,b,c\n";
    let maps = "Mappings:\n  Sizes:\n    small:\n      memory: 128\n";
    assert_eq!(value(params, "!Length [1, 2]"), "2");
    assert_eq!(value(params, "!Length {Ref: Ids}"), "3");
    assert_eq!(
        value(
            "",
            "{'Fn::ToJsonString': {a: [1, x], b: {Ref: AWS::Region}}}"
        ),
        r#"{"a":[1,"x"],"b":"eu-west-1"}"#
    );
    let find = |keys: &str| value(maps, &format!("!FindInMap [{keys}, {{DefaultValue: 256}}]"));
    assert_eq!(find("Sizes, large, memory"), "256");
    assert_eq!(find("Sizes, small, memory"), "128");
    assert_eq!(find("Nope, x, y"), "256");
}

#[test]
fn the_language_extensions_functions_need_the_transform() {
    for expr in [
        "!Length [1, 2]",
        "{'Fn::ToJsonString': [1]}",
        "!FindInMap [M, a, b, {DefaultValue: d}]",
    ] {
        let what = if expr.contains("FindInMap") {
            "Fn::FindInMap with a DefaultValue"
        } else if expr.contains("Length") {
            "Fn::Length"
        } else {
            "Fn::ToJsonString"
        };
        let needle = format!("{what} needs `AWS::LanguageExtensions`");
        assert_error(&strict_errors(&with_env("", expr, "")), &needle);
        let warned = warnings(&with_env("", expr, ""));
        assert!(warned.iter().any(|w| w.contains(&needle)), "{warned:#?}");
    }
}
