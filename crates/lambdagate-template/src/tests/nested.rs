//! Nested stacks: local children with parameters and outputs, and the ways they go wrong.

use std::path::{Path, PathBuf};

use lambdagate_model::{IntegrationTarget, api_id_for};

use crate::{Diagnostic, LoadOptions, Loaded, Severity, load, load_with_sources};

/// A fresh folder holding `files` (path, text), for templates that name other files; removed
/// when dropped.
pub(super) fn scratch(name: &str, files: &[(&str, &str)]) -> Scratch {
    let dir =
        std::env::temp_dir().join(format!("lambdagate-template-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Scratch(dir)
}

/// A test's folder, removed with everything in it when the test is done with it.
pub(super) struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn load_file(path: &Path, strict: bool) -> Result<Loaded, Vec<Diagnostic>> {
    let options = LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("parent".into()),
        strict,
        ..LoadOptions::default()
    };
    load(path, &options)
}

/// `file:line: message` of each diagnostic, the file by name only.
pub(super) fn lines(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!(
                "{}:{}: {level}: {}",
                d.location.file.file_name().unwrap().to_string_lossy(),
                d.location.line,
                d.message
            )
        })
        .collect()
}

/// A function whose code is the template's folder.
pub(super) const FN: &str = "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Handler: app.handler\n      Runtime: python3.12\n";

const PARENT: &str = "\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: beta
Resources:
  Orders:
    Type: AWS::Serverless::Application
    Properties:
      Location: orders/template.yaml
      Parameters:
        StageName: !Ref Stage
        TableName: !Sub '${AWS::StackName}-orders'
  Users:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./users.yaml
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          ORDERS_URL: !GetAtt Orders.Outputs.Url
          USERS_FN: !GetAtt [Users, Outputs.FunctionArn]
          USERS_STACK: !Ref Users
      Events:
        Get:
          Type: Api
          Properties:
            Path: /parent
            Method: get
";

const ORDERS: &str = "\
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName:
    Type: String
  TableName:
    Type: String
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref StageName
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: !Ref TableName
          STACK: !Ref AWS::StackName
      Events:
        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: get
Outputs:
  Url:
    Value: !Sub 'https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${StageName}'
";

const USERS: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: users-fn
      Code: .
      Handler: index.handler
      Runtime: nodejs20.x
      Role: arn:aws:iam::123456789012:role/r
Outputs:
  FunctionArn:
    Value: !GetAtt Fn.Arn
";

#[test]
fn children_are_served_under_their_stack_with_parameters_and_outputs() {
    let dir = scratch(
        "nested-ok",
        &[
            ("template.yaml", PARENT),
            ("orders/template.yaml", ORDERS),
            ("orders/src/app.py", "def handler(e, c):\n    return {}\n"),
            ("users.yaml", USERS),
        ],
    );
    let loaded =
        load_file(&dir.join("template.yaml"), true).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let app = loaded.application;
    let ids: Vec<&str> = app
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["Fn", "Orders/Fn", "Users/Fn"]);

    let orders = &app.functions[1];
    // Its name clashes with the parent's `Fn`: the full path keeps them apart.
    assert_eq!(orders.function_name, "Orders/Fn");
    assert!(
        orders.arn.ends_with(":function:Orders/Fn"),
        "{}",
        orders.arn
    );
    assert_eq!(orders.code_dir, dir.join("orders/src"));
    assert_eq!(orders.environment["TABLE"], "parent-orders");
    // The child's AWS::StackName is the parent's, the stack's logical id and a suffix.
    let child_stack = &orders.environment["STACK"];
    let suffix = child_stack
        .strip_prefix("parent-Orders-")
        .unwrap_or_else(|| panic!("{child_stack}"));
    assert_eq!(suffix.len(), 10, "{child_stack}");
    // A FunctionName is kept as written.
    assert_eq!(app.functions[2].function_name, "users-fn");

    let api = app
        .apis
        .iter()
        .find(|a| a.logical_id == "Orders/Api")
        .expect("the child's API");
    // Its id is what the child's `Ref Api` gave (no other API has it).
    assert_eq!(api.api_id, api_id_for("Api"));
    assert_eq!(api.stages[0].name, "beta");
    assert_eq!(
        api.routes[0].integration.target,
        IntegrationTarget::Function("Orders/Fn".into())
    );
    assert!(api.routes[0].source.file.ends_with("orders/template.yaml"));
    assert!(app.apis.iter().any(|a| a.logical_id == "ServerlessRestApi"));

    let parent = &app.functions[0].environment;
    assert_eq!(
        parent["ORDERS_URL"],
        format!(
            "https://{}.execute-api.eu-west-1.amazonaws.com/beta",
            api_id_for("Api")
        )
    );
    // `Ref` of a nested stack is its id, which its own AWS::StackId matches.
    let stack = &parent["USERS_STACK"];
    assert!(
        stack.starts_with("arn:aws:cloudformation:eu-west-1:123456789012:stack/parent-Users-"),
        "{stack}"
    );
    assert_eq!(
        parent["USERS_FN"],
        "arn:aws:lambda:eu-west-1:123456789012:function:users-fn"
    );
}

#[test]
fn a_stack_that_includes_itself_is_one_diagnostic() {
    let looped = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Again:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: b.yaml
";
    let back = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Back:
    Type: AWS::Serverless::Application
    Properties:
      Location: ./template.yaml
";
    let dir = scratch(
        "nested-cycle",
        &[("template.yaml", looped), ("b.yaml", back)],
    );
    let errors = load_file(&dir.join("template.yaml"), true).expect_err("a cycle");
    let errors = lines(&errors);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "b.yaml:6: error: nested stack `Back`: `./template.yaml` includes itself \
             (template.yaml -> b.yaml -> template.yaml)"
        ),
        "{errors:#?}"
    );

    // Serving: a warning, and the rest is served.
    let served = format!("{looped}{}", FN);
    let dir = scratch(
        "nested-cycle-serve",
        &[("template.yaml", &served), ("b.yaml", back)],
    );
    let loaded =
        load_file(&dir.join("template.yaml"), false).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    assert_eq!(loaded.application.functions.len(), 1);
    let warnings = lines(&loaded.warnings);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains("includes itself"), "{warnings:#?}");
    assert!(warnings[0].contains("is not served"), "{warnings:#?}");

    let direct = "\
Resources:
  Me:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: template.yaml
";
    let dir = scratch("nested-self", &[("template.yaml", direct)]);
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("a cycle"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("template.yaml:5: error: nested stack `Me`"),
        "{errors:#?}"
    );
}

#[test]
fn a_missing_child_is_an_error_for_validate_and_a_warning_when_serving() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Gone:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: nowhere/template.yaml\n{}",
        FN
    );
    let dir = scratch("nested-missing", &[("template.yaml", &text)]);
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("missing"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("template.yaml:6: error: nested stack `Gone`: cannot read Location `nowhere/template.yaml`"),
        "{errors:#?}"
    );
    let loaded = load_file(&dir.join("template.yaml"), false).expect("served");
    assert_eq!(loaded.application.functions.len(), 1);
    assert_eq!(loaded.warnings.len(), 1);
}

#[test]
fn files_a_failed_load_read_or_missed_are_named_for_hot_reload() {
    let parent = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child/template.yaml\n{}",
        FN
    );
    let child = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: spec/openapi.yaml\n";
    let dir = scratch(
        "nested-sources",
        &[("template.yaml", &parent), ("child/template.yaml", child)],
    );
    let root = crate::props::absolute(&dir);
    let expected = [
        root.join("child/template.yaml"),
        root.join("child/spec/openapi.yaml"),
    ];
    let options = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    // Refused (validate): the failure names the child and the file it could not find.
    let failure = load_with_sources(&dir.join("template.yaml"), &options).expect_err("missing");
    assert_eq!(failure.diagnostics.len(), 1, "{:#?}", failure.diagnostics);
    assert_eq!(failure.sources, expected);
    // Served without the child: the application still names both.
    let loaded = load_file(&dir.join("template.yaml"), false).expect("served");
    assert_eq!(loaded.application.sources, expected);
    // The template itself missing: nothing else was read.
    let failure = load_with_sources(&dir.join("nothing.yaml"), &options).expect_err("missing");
    assert!(failure.sources.is_empty());
}

#[test]
fn errors_inside_a_child_name_the_child_file_and_skip_only_the_child() {
    let parent = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Bad:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: bad.yaml\n{}",
        FN
    );
    let bad = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: .\n      Handler: index.handler\n      Runtime: python3.12\n      Environment:\n        Variables:\n          X: !Ref Nothing\n";
    let dir = scratch(
        "nested-bad",
        &[("template.yaml", &parent), ("bad.yaml", bad)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("bad child"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("bad.yaml:10: error: Ref to `Nothing`"),
        "{errors:#?}"
    );
    let loaded = load_file(&dir.join("template.yaml"), false).expect("served");
    assert_eq!(loaded.application.functions.len(), 1);
    let warnings = lines(&loaded.warnings);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("bad.yaml:10: warning: Ref to `Nothing`")
                && w.contains("nested stack `Bad` is not served")),
        "{warnings:#?}"
    );
}

#[test]
fn repository_applications_and_remote_templates_are_warned_about() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Sar:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location:\n        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/x\n        SemanticVersion: 1.0.0\n  Remote:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://s3.amazonaws.com/bucket/child.yaml\n{}",
        FN
    );
    let dir = scratch("nested-remote", &[("template.yaml", &text)]);
    // A deploy accepts both: even `validate` only warns.
    let loaded = load_file(&dir.join("template.yaml"), true).expect("loads");
    let warnings = lines(&loaded.warnings);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].contains("Serverless Application Repository"),
        "{warnings:#?}"
    );
    assert!(warnings[1].contains("is remote"), "{warnings:#?}");
}

#[test]
fn a_missing_output_is_an_error_naming_the_reference() {
    let parent = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n{}      Environment:\n        Variables:\n          V: !GetAtt Child.Outputs.Nope\n",
        FN
    );
    let child =
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  Yes:\n    Value: !Ref T\n";
    let dir = scratch(
        "nested-output",
        &[("template.yaml", &parent), ("child.yaml", child)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("no output"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("nested stack `Child` has no output `Nope`"),
        "{errors:#?}"
    );
}

#[test]
fn grandchildren_get_both_names_and_a_false_condition_leaves_a_stack_out() {
    let parent = format!(
        "Transform: AWS::Serverless-2016-10-31\nConditions:\n  Never: !Equals [a, b]\nResources:\n  Mid:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: mid/template.yaml\n  Skipped:\n    Type: AWS::CloudFormation::Stack\n    Condition: Never\n    Properties:\n      TemplateURL: nowhere.yaml\n{FN}      Environment:\n        Variables:\n          DEEP: !GetAtt Mid.Outputs.Deep\n"
    );
    let mid = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Leaf:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: ../leaf.yaml\nOutputs:\n  Deep:\n    Value: !GetAtt Leaf.Outputs.Name\n";
    let leaf = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{FN}      Events:\n        Get:\n          Type: HttpApi\n          Properties: {{Path: /leaf, Method: get}}\nOutputs:\n  Name:\n    Value: !Ref Fn\n"
    );
    let dir = scratch(
        "nested-deep",
        &[
            ("template.yaml", &parent),
            ("mid/template.yaml", mid),
            ("leaf.yaml", &leaf),
        ],
    );
    let loaded =
        load_file(&dir.join("template.yaml"), true).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let app = loaded.application;
    let ids: Vec<&str> = app
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["Fn", "Mid/Leaf/Fn"]);
    // The leaf's `Ref Fn` gave `Fn`, which the parent's function is also called.
    assert_eq!(app.functions[0].environment["DEEP"], "Fn");
    assert_eq!(app.functions[1].function_name, "Mid/Leaf/Fn");
    assert_eq!(app.apis[0].logical_id, "Mid/Leaf/ServerlessHttpApi");
    assert_eq!(
        app.apis[0].routes[0].integration.target,
        IntegrationTarget::Function("Mid/Leaf/Fn".into())
    );
    assert!(loaded.warnings.is_empty(), "{:#?}", lines(&loaded.warnings));
}

#[test]
fn a_parameter_the_child_does_not_declare_is_named_at_the_parent() {
    let parent = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n      Parameters:\n        Known: a\n        Typo: b\n{FN}"
    );
    let child =
        "Parameters:\n  Known:\n    Type: String\nResources:\n  T:\n    Type: AWS::SNS::Topic\n";
    let dir = scratch(
        "nested-param",
        &[("template.yaml", &parent), ("child.yaml", child)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("typo"));
    assert_eq!(
        errors,
        [
            "template.yaml:9: error: nested stack `Child`: parameter `Typo` is not a parameter of `child.yaml` (its Parameters: Known)"
        ]
    );
    let loaded = load_file(&dir.join("template.yaml"), false).expect("served");
    assert_eq!(loaded.warnings.len(), 1);
}

#[test]
fn stacks_whose_parameters_need_each_others_outputs_are_a_circular_reference() {
    let parent = "Resources:\n  A:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n      Parameters:\n        In: !GetAtt B.Outputs.Out\n  B:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n      Parameters:\n        In: !GetAtt A.Outputs.Out\n";
    let child = "Parameters:\n  In:\n    Type: String\nResources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  Out:\n    Value: !Ref In\n";
    let dir = scratch(
        "nested-circular",
        &[("template.yaml", parent), ("child.yaml", child)],
    );
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err("circular"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("template.yaml:7: error: circular reference: B -> A -> B")),
        "{errors:#?}"
    );
}

#[test]
fn cdk_nested_stacks_are_read_from_their_local_asset() {
    // The shape `cdk synth` writes: the TemplateURL is the S3 asset, Metadata names the file.
    let parent = r#"{
  "Resources": {
    "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "items"}},
    "ApiNestedStackApiNestedStackResource1A2B3C4D": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {
        "TemplateURL": {"Fn::Join": ["", ["https://s3.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/", {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}, "/0123abcd.json"]]},
        "Parameters": {"referencetoParentTableRef": {"Ref": "Table"}}
      },
      "Metadata": {
        "aws:asset:path": "ParentApiNestedStack1234.nested.template.json",
        "aws:asset:property": "TemplateURL"
      }
    }
  }
}"#;
    let child = r#"{
  "Parameters": {"referencetoParentTableRef": {"Type": "String"}},
  "Resources": {
    "Handler": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": ".", "Handler": "index.handler", "Runtime": "nodejs20.x",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Environment": {"Variables": {"TABLE": {"Ref": "referencetoParentTableRef"}}}
      }
    }
  }
}"#;
    let dir = scratch(
        "nested-cdk",
        &[
            ("Parent.template.json", parent),
            ("ParentApiNestedStack1234.nested.template.json", child),
        ],
    );
    let loaded = load_file(&dir.join("Parent.template.json"), true)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let f = &loaded.application.functions[0];
    assert_eq!(
        f.logical_id,
        "ApiNestedStackApiNestedStackResource1A2B3C4D/Handler"
    );
    assert_eq!(f.environment["TABLE"], "items");
}
