//! `AWS::Include`: snippets spliced in the Transform section and inline, and their mistakes.

use super::nested::{FN, lines, load_file, scratch};

const OPENAPI: &str = "\
openapi: 3.0.1
info:
  title: items
  version: '1'
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri:
          Fn::Sub: arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
";

#[test]
fn an_inline_include_becomes_the_definition_body_with_intrinsics_resolved() {
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: api/openapi.yaml\n{FN}"
    );
    let dir = scratch(
        "include-inline",
        &[("template.yaml", &template), ("api/openapi.yaml", OPENAPI)],
    );
    let loaded =
        load_file(&dir.join("template.yaml"), true).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let api = &loaded.application.apis[0];
    assert_eq!(api.routes.len(), 1);
    assert_eq!(api.routes[0].key.to_string(), "GET /items");
    assert_eq!(api.routes[0].integration.function(), Some("Fn"));
    // The route was written in the snippet, at its line.
    assert!(api.routes[0].source.file.ends_with("api/openapi.yaml"));
    assert_eq!(api.routes[0].source.line, 7);
    // Hot reload watches the snippet, in its subfolder.
    assert_eq!(
        loaded.application.sources,
        [crate::props::absolute(&dir.join("api/openapi.yaml"))]
    );
}

#[test]
fn a_transform_section_include_adds_its_sections_and_json_snippets_work() {
    let snippet = r#"{
  "Resources": {
    "Fn": {
      "Type": "AWS::Serverless::Function",
      "Properties": {"CodeUri": ".", "Handler": "app.handler", "Runtime": "python3.12",
        "Events": {"Get": {"Type": "HttpApi", "Properties": {"Path": "/a", "Method": "GET"}}}}
    }
  },
  "Outputs": {"Name": {"Value": {"Ref": "Fn"}}}
}"#;
    let template = "\
Transform:
  - AWS::Serverless-2016-10-31
  - Name: AWS::Include
    Parameters:
      Location: functions.json
Resources:
  Other:
    Type: AWS::SNS::Topic
";
    let dir = scratch(
        "include-top",
        &[("template.yaml", template), ("functions.json", snippet)],
    );
    let loaded =
        load_file(&dir.join("template.yaml"), true).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let app = loaded.application;
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.apis[0].logical_id, "ServerlessHttpApi");
    assert!(app.functions[0].source.file.ends_with("functions.json"));
    assert_eq!(app.functions[0].source.line, 3);
}

#[test]
fn include_mistakes_name_the_file_and_line() {
    // A mistake inside the snippet names the snippet's line.
    let snippet = "Variables:\n  A: !Ref Missing\n";
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FN}      Environment:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: env.yaml\n"
    );
    let dir = scratch(
        "include-bad-ref",
        &[("template.yaml", &template), ("env.yaml", snippet)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("bad ref"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("env.yaml:2: error: Ref to `Missing`"),
        "{errors:#?}"
    );

    // A syntax error in the snippet, likewise.
    let dir = scratch(
        "include-bad-yaml",
        &[
            ("template.yaml", &template),
            ("env.yaml", "Variables: [a\n"),
        ],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("bad yaml"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("env.yaml:"), "{errors:#?}");
    assert!(errors[0].contains("YAML syntax error"), "{errors:#?}");

    // A missing snippet names the Location's line in the template.
    let dir = scratch("include-missing", &[("template.yaml", &template)]);
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("missing"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("template.yaml:13: error: AWS::Include: cannot read `env.yaml`"),
        "{errors:#?}"
    );

    // A snippet including itself is one error, not a loop.
    let looped = "Variables:\n  Fn::Transform:\n    Name: AWS::Include\n    Parameters:\n      Location: env.yaml\n";
    let dir = scratch(
        "include-loop",
        &[("template.yaml", &template), ("env.yaml", looped)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("loop"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "env.yaml:5: error: AWS::Include: `env.yaml` includes itself (env.yaml -> env.yaml)"
        ),
        "{errors:#?}"
    );

    // An S3 location cannot be read here.
    let remote = template.replace("env.yaml", "s3://bucket/env.yaml");
    let dir = scratch("include-s3", &[("template.yaml", &remote)]);
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("remote"));
    assert!(errors[0].contains("is remote"), "{errors:#?}");
}

#[test]
fn odd_shapes_are_diagnostics_never_panics() {
    let cases: &[(&str, &str)] = &[
        (
            "Resources:\n  X:\n    Fn::Transform:\n      Name: AWS::Include\n",
            "AWS::Include needs Parameters.Location",
        ),
        (
            "Resources:\n  X:\n    Fn::Transform:\n      Name: AWS::Include\n      Parameters:\n        Location: [a]\n",
            "Location must be a file path written out, not a list",
        ),
        (
            "Transform:\n  Name: AWS::Include\n  Parameters:\n    Location: list.yaml\nResources:\n  T:\n    Type: AWS::SNS::Topic\n",
            "the snippet must be a mapping of template sections, not a list",
        ),
        (
            "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::X: [1, [a], {'K${1}': {Type: AWS::SNS::Topic}}]\n",
            "the identifier must be a name, not a number",
        ),
        (
            "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::X: [I, {a: b}, {'K${I}': {Type: AWS::SNS::Topic}}]\n",
            "the collection must be a list or a Ref to a CommaDelimitedList parameter, not a mapping",
        ),
        (
            "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::X: [I, [[a]], {'K${I}': {Type: AWS::SNS::Topic}}]\n",
            "the collection must hold strings, not a list",
        ),
        (
            "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::X: [I, [a], [b]]\n",
            "the output must be a mapping",
        ),
        (
            "Resources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: list.yaml\n      Parameters: [a]\n",
            "Parameters must be a mapping of parameter names to values, not a list",
        ),
        (
            "Resources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: list.yaml\n",
            "list.yaml",
        ),
        (
            "Resources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties: {}\n",
            "nested stack `S` needs TemplateURL",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let dir = scratch(
            &format!("odd-{i}"),
            &[("template.yaml", text), ("list.yaml", "- a\n- b\n")],
        );
        let errors = lines(
            &load_file(&dir.join("template.yaml"), true).expect_err(&format!("case {i}: {text}")),
        );
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "case {i}: no `{needle}` in {errors:#?}"
        );
    }
}
