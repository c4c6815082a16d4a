//! A Serverless Framework project served from what `serverless package` writes: the
//! CloudFormation template in `.serverless/`, found without `-t`, and the zips its `S3Key`s name.

mod support;

use support::{Scratch, Server, run};

/// The shape `serverless package` (v3) writes for one Python function with an `http` (REST)
/// and an `httpApi` event; the zip's key as the framework names it.
const PACKAGE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "The AWS CloudFormation template for this Serverless application",
  "Resources": {
    "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"},
    "HelloLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/demo-dev-hello"}},
    "HelloLambdaFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"},
                 "S3Key": "serverless/demo/dev/1796192708405-2026-12-02T06:25:08.405Z/demo.zip"},
        "Handler": "src/handler.hello",
        "Runtime": "python3.11",
        "FunctionName": "demo-dev-hello",
        "MemorySize": 1024,
        "Timeout": 6,
        "Environment": {"Variables": {"STAGE": "dev"}},
        "Role": "arn:aws:iam::123456789012:role/demo"
      },
      "DependsOn": ["HelloLogGroup"]
    },
    "ApiGatewayRestApi": {
      "Type": "AWS::ApiGateway::RestApi",
      "Properties": {"Name": "dev-demo", "EndpointConfiguration": {"Types": ["EDGE"]}, "Policy": ""}
    },
    "ApiGatewayResourceHello": {
      "Type": "AWS::ApiGateway::Resource",
      "Properties": {"ParentId": {"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]},
                     "PathPart": "hello", "RestApiId": {"Ref": "ApiGatewayRestApi"}}
    },
    "ApiGatewayMethodHelloGet": {
      "Type": "AWS::ApiGateway::Method",
      "Properties": {
        "HttpMethod": "GET", "RequestParameters": {}, "AuthorizationType": "NONE", "ApiKeyRequired": false,
        "ResourceId": {"Ref": "ApiGatewayResourceHello"}, "RestApiId": {"Ref": "ApiGatewayRestApi"},
        "Integration": {"IntegrationHttpMethod": "POST", "Type": "AWS_PROXY",
          "Uri": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"},
                 ":lambda:path/2015-03-31/functions/", {"Fn::GetAtt": ["HelloLambdaFunction", "Arn"]}, "/invocations"]]}},
        "MethodResponses": []
      },
      "DependsOn": ["HelloLambdaPermissionApiGateway"]
    },
    "ApiGatewayDeployment1796192675000": {
      "Type": "AWS::ApiGateway::Deployment",
      "Properties": {"RestApiId": {"Ref": "ApiGatewayRestApi"}, "StageName": "dev"},
      "DependsOn": ["ApiGatewayMethodHelloGet"]
    },
    "HelloLambdaPermissionApiGateway": {
      "Type": "AWS::Lambda::Permission",
      "Properties": {"FunctionName": {"Fn::GetAtt": ["HelloLambdaFunction", "Arn"]},
                     "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    },
    "HttpApi": {
      "Type": "AWS::ApiGatewayV2::Api",
      "Properties": {"Name": "dev-demo", "ProtocolType": "HTTP"}
    },
    "HttpApiStage": {
      "Type": "AWS::ApiGatewayV2::Stage",
      "Properties": {"ApiId": {"Ref": "HttpApi"}, "StageName": "$default", "AutoDeploy": true, "DefaultRouteSettings": {"DetailedMetricsEnabled": false}}
    },
    "HttpApiIntegrationHello": {
      "Type": "AWS::ApiGatewayV2::Integration",
      "Properties": {"ApiId": {"Ref": "HttpApi"}, "IntegrationType": "AWS_PROXY",
                     "IntegrationUri": {"Fn::GetAtt": ["HelloLambdaFunction", "Arn"]},
                     "PayloadFormatVersion": "2.0", "TimeoutInMillis": 30000}
    },
    "HttpApiRouteGetHello": {
      "Type": "AWS::ApiGatewayV2::Route",
      "Properties": {"ApiId": {"Ref": "HttpApi"}, "RouteKey": "GET /hello",
                     "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "HttpApiIntegrationHello"}]]}},
      "DependsOn": "HttpApiIntegrationHello"
    }
  }
}"#;

const HANDLER: &str = "import json, os\n\ndef hello(event, context):\n    \
    return {'statusCode': 200, 'body': json.dumps({'stage': os.environ['STAGE'], \
    'version': event.get('version', '1.0'), 'fn': context.function_name})}\n";

#[tokio::test]
async fn a_serverless_package_is_found_and_served_from_its_zip() {
    let scratch = Scratch::new("serverless-package");
    scratch.write(
        "serverless.yml",
        "service: demo\nframeworkVersion: '3'\nprovider:\n  name: aws\n  runtime: python3.11\n",
    );
    // Before `serverless package`: what to do.
    let out = run(scratch.path(), &["routes"], b"");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("serverless.yml is a Serverless Framework project")
            && stderr.contains("run `serverless package`"),
        "{stderr}"
    );

    scratch.write(
        ".serverless/cloudformation-template-update-stack.json",
        PACKAGE,
    );
    // The package's zip, written by Python's zipfile as the framework's archiver would.
    scratch.write("staging/src/handler.py", HANDLER);
    let zipped = std::process::Command::new("python3")
        .args([
            "-c",
            "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])",
        ])
        .arg(scratch.path().join(".serverless/demo"))
        .arg(scratch.path().join("staging"))
        .status()
        .unwrap();
    assert!(zipped.success());
    std::fs::remove_dir_all(scratch.path().join("staging")).unwrap();

    let server = Server::start_in(scratch.path(), &["start-api", "-p", "0"], &[]);
    for (path, version) in [("/dev/hello", "1.0"), ("/hello", "2.0")] {
        let r = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}: {}", server.printed());
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"stage": "dev", "version": version, "fn": "demo-dev-hello"}),
            "{path}"
        );
    }
    assert!(
        server
            .printed()
            .contains("Using .serverless/cloudformation-template-update-stack.json (written by `serverless package`"),
        "{}",
        server.printed()
    );

    // `serverless invoke local -f hello` names the function by its key in serverless.yml.
    let out = run(scratch.path(), &["invoke", "hello"], b"{}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(answer["statusCode"], 200);
}
