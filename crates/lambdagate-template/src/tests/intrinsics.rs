//! Intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
//! conditions, `Fn::FindInMap`, `Fn::Base64`, `Fn::Cidr`, `Fn::GetAZs`, `Fn::ImportValue`) and
//! JSON templates.

use lambdagate_model::RouteKey;

use super::{FUNCTION, PARAMS, TABLE, env_value, load, load_with, with_env};

#[test]
fn ref_in_short_and_long_form() {
    assert_eq!(env_value("", "!Ref Table", TABLE), "items");
    assert_eq!(env_value("", "{Ref: Table}", TABLE), "items");
    assert_eq!(env_value(PARAMS, "!Ref Stage", ""), "dev");
    assert_eq!(env_value("", "!Ref AWS::Region", ""), "eu-west-1");
    assert_eq!(env_value("", "!Ref AWS::AccountId", ""), "123456789012");
    assert_eq!(env_value("", "!Ref AWS::StackName", ""), "stack");
    assert_eq!(env_value("", "!Ref AWS::Partition", ""), "aws");
    assert_eq!(env_value("", "!Ref AWS::URLSuffix", ""), "amazonaws.com");
    assert_eq!(env_value("", "!Ref Fn", ""), "Fn");
}

#[test]
fn get_att_forms() {
    let arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/items";
    assert_eq!(env_value("", "!GetAtt Table.Arn", TABLE), arn);
    assert_eq!(env_value("", "{'Fn::GetAtt': [Table, Arn]}", TABLE), arn);
    assert_eq!(
        env_value("", "!GetAtt Fn.Arn", ""),
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn"
    );
}

#[test]
fn sub_forms() {
    assert_eq!(
        env_value(PARAMS, "!Sub '${Stage}-${Table}-${AWS::Region}'", TABLE),
        "dev-items-eu-west-1"
    );
    assert_eq!(
        env_value("", "!Sub '${Table.Arn}'", TABLE),
        "arn:aws:dynamodb:eu-west-1:123456789012:table/items"
    );
    assert_eq!(env_value("", "!Sub '${!Literal}'", ""), "${Literal}");
    assert_eq!(
        env_value(
            "",
            "{'Fn::Sub': ['${A}-${B}', {A: x, B: !Ref Table}]}",
            TABLE
        ),
        "x-items"
    );
}

#[test]
fn join_select_split() {
    assert_eq!(env_value(PARAMS, "!Join [':', !Ref Ids]", ""), "a:b:c");
    assert_eq!(
        env_value("", "!Join ['', [a, !Ref Table]]", TABLE),
        "aitems"
    );
    assert_eq!(env_value(PARAMS, "!Select [1, !Ref Ids]", ""), "b");
    assert_eq!(env_value("", "!Select [2, !Split [',', 'x,y,z']]", ""), "z");
    assert_eq!(env_value("", "{'Fn::Select': ['0', [q]]}", ""), "q");
}

#[test]
fn conditions_and_if() {
    let head = format!(
        "{PARAMS}Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n  NotProd: !Not [!Condition IsProd]\n  Both: !And [!Condition NotProd, {{Condition: NotProd}}]\n  Either: !Or [!Condition IsProd, !Equals [a, a]]\n"
    );
    assert_eq!(env_value(&head, "!If [IsProd, p, d]", ""), "d");
    assert_eq!(env_value(&head, "!If [Both, yes, no]", ""), "yes");
    assert_eq!(env_value(&head, "!If [Either, yes, no]", ""), "yes");
    let app = load_with(
        &with_env(&head, "!If [IsProd, p, d]", ""),
        &[("Stage", "prod")],
    )
    .unwrap();
    assert_eq!(app.functions[0].environment["V"], "p");
}

#[test]
fn if_with_no_value_drops_the_key() {
    let head = "Conditions:\n  Off: !Equals [a, b]\n";
    let app = load(&with_env(head, "!If [Off, x, !Ref AWS::NoValue]", "")).unwrap();
    assert!(!app.functions[0].environment.contains_key("V"));
}

#[test]
fn resource_condition_false_drops_it() {
    let text = format!(
        "Conditions:\n  Off: !Equals [a, b]\nResources:\n{FUNCTION}  Other:\n    Type: AWS::Serverless::Function\n    Condition: Off\n    Properties:\n      CodeUri: src\n      Handler: a.b\n      Runtime: python3.12\n"
    );
    let app = load(&text).unwrap();
    assert_eq!(app.functions.len(), 1);
}

#[test]
fn find_in_map_base64_cidr_azs_import() {
    let head = "Mappings:\n  Sizes:\n    eu-west-1:\n      Mem: 512\n";
    assert_eq!(
        env_value(head, "!FindInMap [Sizes, !Ref AWS::Region, Mem]", ""),
        "512"
    );
    assert_eq!(env_value("", "!Base64 hello", ""), "aGVsbG8=");
    assert_eq!(
        env_value("", "!Select [1, !Cidr ['10.0.0.0/16', 2, 8]]", ""),
        "10.0.1.0/24"
    );
    assert_eq!(env_value("", "!Select [0, !GetAZs '']", ""), "eu-west-1a");
    assert_eq!(env_value("", "!ImportValue shared-url", ""), "shared-url");
}

#[test]
fn json_templates_load() {
    let text = r#"{
  "Resources": {
    "Fn": {
      "Type": "AWS::Serverless::Function",
      "Properties": {"CodeUri": "src", "Handler": "a.b", "Runtime": "nodejs20.x",
        "Environment": {"Variables": {"V": {"Fn::Sub": "${AWS::Region}"}}},
        "Events": {"E": {"Type": "HttpApi"}}}
    }
  }
}"#;
    let app = load(text).unwrap();
    assert_eq!(app.functions[0].environment["V"], "eu-west-1");
    assert_eq!(app.apis[0].logical_id, "ServerlessHttpApi");
    assert_eq!(app.apis[0].stages[0].name, "$default");
    assert_eq!(app.apis[0].routes[0].key, RouteKey::Default);
}

#[test]
fn sams_published_version_alias_and_deployment_application() {
    // `AutoPublishAlias` makes SAM publish a version and an alias, which `Fn.Version` and
    // `Fn.Alias` name; a `DeploymentPreference` adds the CodeDeploy application.
    let extra = "  Live:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      FunctionName: live-fn\n      AutoPublishAlias: live\n      DeploymentPreference:\n        Type: AllAtOnce\n";
    let region_account = "eu-west-1:123456789012";
    assert_eq!(
        env_value("", "!Ref Live.Version", extra),
        format!("arn:aws:lambda:{region_account}:function:live-fn:1")
    );
    assert_eq!(
        env_value("", "!Sub '${Live.Alias}'", extra),
        format!("arn:aws:lambda:{region_account}:function:live-fn:live")
    );
    let application = env_value("", "!Ref ServerlessDeploymentApplication", extra);
    assert!(
        application.starts_with("stack-ServerlessDeploymentApplication-"),
        "{application}"
    );
    // Without `AutoPublishAlias` SAM publishes nothing to refer to.
    let errors = super::env_errors("", "!Ref Fn.Version", "");
    assert!(errors[0].contains("Ref to `Fn.Version`"), "{errors:#?}");
}
