//! Tolerant loading: only what serving depends on refuses a template. Functions whose runtime
//! cannot run here are warned about and the rest is served; `AWS::Lambda::Function`, inline
//! code and zips.

use super::{
    FUNCTION, assert_error, env_errors, line_of, load, load_ok, path, rest_api, strict_errors,
    warnings,
};
use std::path::PathBuf;

use crate::{LoadOptions, load_str};

#[test]
fn unsupported_runtime_warns_and_the_rest_is_served() {
    let other = "  Java:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: target/app.jar\n      Handler: app.Handler::handleRequest\n      Runtime: java21\n      Events:\n        Put:\n          Type: Api\n          Properties: {RestApiId: !Ref MyApi, Path: /items, Method: put}\n";
    let text = rest_api("", "", other);
    let app = load_ok(&text);
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.functions[0].logical_id, "Fn");
    let routes = &app.apis[0].routes;
    assert_eq!(routes.len(), 2);
    assert_eq!(
        routes[0].integration.function(),
        Some("Fn"),
        "the python function is served"
    );
    // The route still names the function; the gateway answers AWS's 500 for it.
    assert_eq!(routes[1].integration.function(), Some("Java"));
    assert_eq!(app.unavailable_functions[0].logical_id, "Java");
    assert_eq!(app.unavailable_functions[0].runtime, "java21");
    let at = format!("{}:16: ", line_of(&text, "java21"));
    assert!(
        warnings(&text).iter().any(|w| w.starts_with(&at)
            && w.contains("runtime `java21` is not supported; supported runtimes: python3.8")),
        "{:#?}",
        warnings(&text)
    );
    // A deploy accepts the runtime, so validate does not fail on it either.
    let options = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    assert!(load_str(&text, &path(), &options).is_ok());
}

#[test]
fn references_nothing_served_needs_only_warn_when_serving() {
    let props = "      DefinitionBody:\n        x-target: !Sub '${WhatFunction.Arn}'\n";
    let extra = "  Sg:\n    Type: AWS::EC2::SecurityGroup\n    DependsOn: NoSuch\n    Properties:\n      GroupDescription: sg\n      VpcId: !Ref MissingVpc\nOutputs:\n  Out:\n    Value: !GetAtt Gone.Arn\n  NoValueOut:\n    Description: d\n";
    let text = rest_api(props, "", extra).replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      VpcConfig:\n        SecurityGroupIds: [!Ref OtherSg]\n",
    );
    let app = load_ok(&text);
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.apis[0].routes.len(), 1);
    let warned = warnings(&text);
    for (needle, message) in [
        (
            "x-target",
            "GetAtt WhatFunction.Arn: `WhatFunction` is not a resource",
        ),
        ("MissingVpc", "Ref to `MissingVpc`"),
        ("OtherSg", "Ref to `OtherSg`"),
        ("Gone.Arn", "GetAtt Gone.Arn"),
        ("NoSuch", "DependsOn `NoSuch`, which is not a resource"),
        ("NoValueOut", "output `NoValueOut` needs a Value"),
    ] {
        let at = format!("{}:", line_of(&text, needle));
        assert!(
            warned
                .iter()
                .any(|w| w.starts_with(&at) && w.contains(message) && w.contains("validate")),
            "no warning `{message}` at line {at} in {warned:#?}"
        );
    }
    // `validate` still reports each as the error a deploy would make of it.
    let errors = strict_errors(&text);
    assert_error(
        &errors,
        &format!("{}:14: Ref to `MissingVpc`", line_of(&text, "MissingVpc")),
    );
    assert_error(&errors, "`WhatFunction` is not a resource");
    assert_error(&errors, "Ref to `OtherSg`");
    assert_error(&errors, "GetAtt Gone.Arn");
    assert_error(&errors, "DependsOn `NoSuch`");
    assert_error(&errors, "output `NoValueOut` needs a Value");
}

#[test]
fn references_serving_depends_on_still_refuse() {
    // Environment (function), Events and a loaded API property are needed to serve.
    let errors = env_errors("", "!Ref Missing", "");
    assert_error(&errors, "11:14: Ref to `Missing`");
    let text = rest_api("", "", "").replace("RestApiId: !Ref MyApi", "RestApiId: !Ref NoApi");
    let errors = load(&text).unwrap_err();
    assert_error(
        &errors,
        &format!("{}:24: Ref to `NoApi`", line_of(&text, "NoApi")),
    );
    let text = rest_api("      Description: !Ref Nothing\n", "", "");
    let errors = load(&text).unwrap_err();
    assert_error(
        &errors,
        &format!("{}:20: Ref to `Nothing`", line_of(&text, "Nothing")),
    );
}

// ---- AWS::Lambda::Function, inline code and zips ----

#[test]
fn plain_lambda_function_with_inline_code_layers_and_refs() {
    let text = "Resources:\n  Layer:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n      Content: src\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: plain-fn\n      Runtime: python3.12\n      Handler: index.handler\n      Role: !GetAtt SomeRole.Arn\n      Code:\n        ZipFile: |\n          def handler(event, context):\n              return {'statusCode': 200}\n      Environment:\n        Variables:\n          NAME: !Ref Fn\n          ARN: !GetAtt Fn.Arn\n      Timeout: 10\n      MemorySize: 256\n      Layers: [!Ref Layer]\n      ReservedConcurrentExecutions: 2\n      Architectures: [arm64]\n";
    let app = load_ok(text);
    let f = &app.functions[0];
    assert_eq!(f.logical_id, "Fn");
    assert_eq!(f.function_name, "plain-fn");
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:plain-fn";
    assert_eq!(f.arn, arn);
    assert_eq!(f.environment["NAME"], "plain-fn");
    assert_eq!(f.environment["ARN"], arn);
    assert_eq!((f.timeout_secs, f.memory_mb), (10, 256));
    assert_eq!(f.reserved_concurrency, Some(2));
    assert_eq!(f.architectures, vec!["arm64".to_string()]);
    assert_eq!(f.layers, vec![path().parent().unwrap().join("src")]);
    let code = std::fs::read_to_string(f.code_dir.join("index.py")).unwrap();
    assert!(code.contains("def handler(event, context):"), "{code}");
    assert!(!f.code_dir.starts_with(env!("CARGO_MANIFEST_DIR")));
    // The role is not declared, but nothing served needs it: a warning where it is written.
    assert!(
        warnings(text)
            .iter()
            .any(|w| w.starts_with("12:13: GetAtt SomeRole.Arn")),
        "{:#?}",
        warnings(text)
    );
}

#[test]
fn plain_lambda_function_code_as_sam_build_and_cdk_write_it() {
    let src = path().parent().unwrap().join("src");
    let function = |code: &str, metadata: &str| {
        format!(
            "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n{metadata}    Properties:\n      Runtime: nodejs20.x\n      Handler: app.handler\n      Code: {code}\n"
        )
    };
    let app = load_ok(&function("./src", ""));
    assert_eq!(app.functions[0].code_dir, src);
    assert_eq!(app.functions[0].function_name, "Fn");
    let cdk = function(
        "{S3Bucket: !Sub 'cdk-assets-${AWS::AccountId}', S3Key: abc.zip}",
        "    Metadata:\n      aws:asset:path: src\n      aws:asset:property: Code\n",
    );
    assert_eq!(load_ok(&cdk).functions[0].code_dir, src);
    let s3 = function("{S3Bucket: b, S3Key: k.zip}", "");
    assert_error(
        &load(&s3).unwrap_err(),
        "7:13: function `Fn`: Code is in S3",
    );
    // CDK's asset parameters missing (SAM CLI's start-api test template is cut down so): the
    // asset path is the code, so the S3 location's references are only warned about.
    let cut = function(
        "{S3Bucket: !Ref AssetParametersS3Bucket, S3Key: !Ref AssetParametersS3Key}",
        "    Metadata:\n      aws:asset:path: src\n",
    );
    assert_eq!(load_ok(&cut).functions[0].code_dir, src);
    assert!(
        warnings(&cut)
            .iter()
            .any(|w| w.starts_with("9:24: Ref to `AssetParametersS3Bucket`")
                && w.contains("nothing served depends on it")),
        "{:?}",
        warnings(&cut)
    );
    assert_error(&strict_errors(&cut), "Ref to `AssetParametersS3Bucket`");
    // Without the asset path the S3 location is the code: an error as before.
    let unmarked = function("{S3Bucket: !Ref AssetParametersS3Bucket, S3Key: k.zip}", "");
    assert_error(
        &load(&unmarked).unwrap_err(),
        "Ref to `AssetParametersS3Bucket`",
    );
    // A SAM function without CodeUri whose Metadata names CDK's asset path runs from there
    // (SAM CLI's invoke test template has one).
    let sam_asset = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      aws:asset:property: CodeUri\n      aws:asset:path: ./src\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n";
    assert_eq!(load_ok(sam_asset).functions[0].code_dir, src);
    let none = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: app.handler\n";
    // No Code at all: a deploy refuses it; `sam local` takes the template's folder.
    assert_error(&strict_errors(none), "2:3: function `Fn` needs Code");
    assert_eq!(
        load_ok(none).functions[0].code_dir,
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    );
    assert!(
        warnings(none)
            .iter()
            .any(|w| w.starts_with("2:3: function `Fn` needs Code")
                && w.contains("template's folder")),
        "{:?}",
        warnings(none)
    );
}

#[test]
fn serverless_inline_code_and_zipped_code_uri() {
    let inline = format!(
        "Resources:\n{}",
        FUNCTION
            .replace(
                "      CodeUri: src\n",
                "      InlineCode: \"exports.handler = async () => ({statusCode: 200});\"\n"
            )
            .replace("python3.12", "nodejs20.x")
    );
    let app = load_ok(&inline);
    let js = std::fs::read_to_string(app.functions[0].code_dir.join("index.js")).unwrap();
    assert!(js.starts_with("exports.handler"), "{js}");

    let dir = std::env::temp_dir().join(format!("lambdagate-zip-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    let made = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-c", "app.zip", "app.py"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(made.success());
    let zip = dir.join("app.zip");
    let text = format!(
        "Resources:\n{}",
        FUNCTION.replace("CodeUri: src", &format!("CodeUri: {}", zip.display()))
    );
    let app = load_ok(&text);
    let code_dir = &app.functions[0].code_dir;
    assert!(code_dir.join("app.py").is_file(), "{}", code_dir.display());
    assert!(!code_dir.starts_with(&dir));
    // The same content is unpacked once.
    assert_eq!(&load_ok(&text).functions[0].code_dir, code_dir);

    std::fs::write(dir.join("broken.zip"), "not a zip").unwrap();
    let broken = FUNCTION.replace(
        "CodeUri: src",
        &format!("CodeUri: {}", dir.join("broken.zip").display()),
    );
    // A deploy rejects it (when serving, only that function is unavailable: see
    // `packaging.rs`).
    let errors = strict_errors(&format!("Resources:\n{broken}"));
    assert_error(&errors, "5:16: function `Fn`: CodeUri");
    assert_error(&errors, "could not be unpacked");
    let _ = std::fs::remove_dir_all(&dir);
}

// OpenAPI definitions (`DefinitionBody`, `DefinitionUri`).

#[test]
fn depends_on_may_name_what_sams_transform_adds() {
    // SAM's own advice for a usage plan: wait for the stage it generates for the API.
    let api = "  MyApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: Prod\n";
    let plan = |depends: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n{api}{FUNCTION}  Plan:\n    Type: AWS::ApiGateway::UsagePlan\n    DependsOn: {depends}\n    Properties:\n      UsagePlanName: p\n"
        )
    };
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    for generated in [
        "MyApiProdStage",
        "[MyApiDeployment1a2b3c4d5e, FnRole]",
        "ServerlessRestApiProdStage",
        "ApiGatewayDomainNameV2abc",
    ] {
        let text = plan(generated);
        let loaded =
            load_str(&text, &path(), &strict).unwrap_or_else(|e| panic!("{generated}: {e:#?}"));
        assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    }
    // A name no resource and no SAM rule accounts for is still refused.
    let errors = load_str(&plan("Elsewhere"), &path(), &strict).unwrap_err();
    assert!(
        errors[0].message.contains("DependsOn `Elsewhere`"),
        "{errors:#?}"
    );
}

#[test]
fn a_layer_published_from_s3_is_warned_about_and_left_out_when_serving() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Shared:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n      Content:\n        S3Bucket: artifacts\n        S3Key: layer.zip\n{FUNCTION}      Layers: [!Ref Shared]\n"
    );
    let warned = warnings(&text);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("7:9: layer `Shared`: Content is in S3")),
        "{warned:#?}"
    );
    assert_eq!(load_ok(&text).functions.len(), 1);
    let errors = strict_errors(&text);
    assert!(
        errors.iter().any(|e| e.contains("Content is a mapping")),
        "{errors:#?}"
    );
}

#[test]
fn a_selection_from_a_stand_in_is_a_warning_where_nothing_served_reads_it() {
    // An ARN split at `/` has more parts on AWS than the local stand-in does.
    let extra = "  Jobs:\n    Type: AWS::Batch::JobDefinition\n    Properties:\n      Type: container\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: !Select [1, !Split ['/', !Ref Jobs]]\n";
    let text = format!("Transform: AWS::Serverless-2016-10-31\nResources:\n{FUNCTION}{extra}");
    let line = line_of(&text, "GroupDescription");
    let warned = warnings(&text);
    assert!(
        warned.iter().any(|w| w.starts_with(&format!("{line}:"))
            && w.contains("Fn::Select index 1 is out of range")
            && w.contains("nothing served depends on it")),
        "{warned:#?}"
    );
    assert_error(&strict_errors(&text), "Fn::Select index 1 is out of range");
    // Where serving reads the value, it is still an error.
    assert_error(
        &env_errors(
            "",
            "!Select [1, !Split ['/', !Ref Jobs]]",
            &extra[..extra.find("  Sg:").unwrap()],
        ),
        "Fn::Select index 1 is out of range",
    );
}

#[test]
fn a_repeated_key_keeps_its_last_value_when_serving() {
    // PyYAML keeps the last value, so `sam local` and `sam deploy` take such a template.
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nowhere\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: src\n";
    let app = load_ok(text);
    assert!(app.functions[0].code_dir.ends_with("src"));
    let warned = warnings(text);
    assert!(
        warned.iter().any(
            |w| w.starts_with("9:7: this key is repeated in its mapping")
                && w.contains("`sam` keeps the last value, and so does lambdagate")
        ),
        "{warned:#?}"
    );
    assert_error(&strict_errors(text), "a YAML 1.2 parser refuses this");
}

#[test]
fn flow_and_quoted_lines_at_their_keys_column_are_read_as_sam_reads_them() {
    // aws-samples templates: a JSON schema pasted under `Schema: {` with its lines at the key's
    // column, a resource policy's `[{` closed at the key's column, a VTL template in a quoted
    // string whose lines start at the key's column (and with `#` and brackets inside).
    let shallow = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Model:\n    Type: AWS::ApiGateway::Model\n    Properties:\n      RestApiId: api\n      Schema: {\"type\": \"object\",\n      \"required\": [\"a\"]}\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      Auth:\n        ResourcePolicy:\n          CustomStatements: [{\n            \"Effect\": \"Allow\"\n          }]\n      Description: { \"Fn::Sub\": \"#set($x = 1) \\\n      {\\\"T\\\": [1]} \\\n      #end\" }\n";
    let deep = shallow
        .replace("\n      \"required\"", "\n        \"required\"")
        .replace("\n          }]", "\n            }]")
        .replace("\n      {\\\"T", "\n        {\\\"T")
        .replace("\n      #end", "\n        #end");
    assert_ne!(shallow, deep);
    let read = |text: &str| crate::yaml::read(text);
    assert!(
        read(shallow).is_err(),
        "a YAML 1.2 parser refuses the shallow lines"
    );
    let (node, leniencies) = crate::yaml::read_as_sam_does(shallow).expect("read as sam reads it");
    assert_eq!(
        node.to_json(),
        read(&deep)
            .expect("the deeper text is valid YAML 1.2")
            .to_json()
    );
    assert_eq!(leniencies.len(), 3, "{leniencies:?}");
    assert_eq!(
        node.get("Resources")
            .and_then(|r| r.get("Api"))
            .and_then(|a| a.get("Properties"))
            .and_then(|p| p.get("Description"))
            .and_then(|d| d.get("Fn::Sub"))
            .and_then(crate::node::Node::as_str),
        Some("#set($x = 1) {\"T\": [1]} #end")
    );
    let warned = warnings(shallow);
    for line in [7, 15, 18] {
        assert!(
            warned.iter().any(|w| w.starts_with(&format!("{line}:"))
                && w.contains("indented no deeper than the block it sits in")
                && w.contains("and so does lambdagate")),
            "line {line}: {warned:#?}"
        );
    }
    assert_error(&strict_errors(shallow), "a YAML 1.2 parser refuses this");
    // Lines too shallow outside such a construct are still a syntax error.
    assert!(crate::yaml::read_as_sam_does("a:\n  b: 1\n c: 2\n").is_err());
}

#[test]
fn a_timeout_outside_lambdas_range_runs_with_the_nearest_limit_when_serving() {
    // SAM CLI's own start-api templates have `Timeout: 0`, which `sam local` takes as no limit.
    for (written, used) in [("0", 900), ("1000", 900)] {
        let text = format!("Resources:\n{}      Timeout: {written}\n", FUNCTION);
        assert_eq!(load_ok(&text).functions[0].timeout_secs, used);
        assert!(
            warnings(&text).iter().any(|w| w.contains(&format!(
                "Timeout {written} is outside Lambda's 1 to 900 seconds"
            ))),
            "{:?}",
            warnings(&text)
        );
        assert_error(
            &strict_errors(&text),
            "Timeout must be a whole number from 1 to 900",
        );
    }
}

#[test]
fn an_undefined_condition_on_a_resource_nothing_serves_is_a_warning_when_serving() {
    // CDK's `AWS::CDK::Metadata` with `Condition: CDKMetadataAvailable`, the Conditions
    // section cut from the template (SAM CLI's CDK test template).
    let text = format!(
        "Resources:\n{FUNCTION}  CDKMetadata:\n    Type: AWS::CDK::Metadata\n    Condition: CDKMetadataAvailable\n    Properties:\n      Analytics: v2\n"
    );
    let line = line_of(&text, "Condition: CDKMetadataAvailable");
    assert_eq!(load_ok(&text).functions.len(), 1);
    assert!(
        warnings(&text)
            .iter()
            .any(|w| w.starts_with(&format!("{line}:"))
                && w.contains("condition `CDKMetadataAvailable` is not defined")
                && w.contains("nothing served depends on it")),
        "{:?}",
        warnings(&text)
    );
    assert_error(
        &strict_errors(&text),
        "condition `CDKMetadataAvailable` is not defined",
    );
    // On a function it is still an error: whether the function exists depends on it.
    let guarded = FUNCTION.replace(
        "    Properties:\n",
        "    Condition: Missing\n    Properties:\n",
    );
    assert_ne!(guarded, FUNCTION);
    assert_error(
        &load(&format!("Resources:\n{guarded}")).unwrap_err(),
        "condition `Missing` is not defined",
    );
}
