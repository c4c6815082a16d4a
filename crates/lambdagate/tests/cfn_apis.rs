//! Raw CloudFormation and CDK output served end to end: the real binary on port 0, real
//! Python and Node functions, a real HTTP client. The fixtures are `tests/fixtures/cfn-rest`
//! (a REST API of `AWS::ApiGateway::*` resources), `tests/fixtures/cfn-http`
//! (`AWS::ApiGatewayV2::*` resources and a quick-create API) and `tests/fixtures/cdk-app`
//! (a `cdk.out` stack with assets).

mod support;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use support::{Server, repo_root, run};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

/// `start-api` on `template`, port 0.
fn start_api(template: &str) -> Server {
    Server::start(&["start-api", "-t", template, "-p", "0"])
}

/// Sends the request; the answer must be 200 with a JSON body, which is returned.
async fn ok_json(request: reqwest::RequestBuilder) -> Value {
    let (status, body) = json(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// What `validate` printed for `template`, which it must refuse.
fn failed_validate(template: &str) -> String {
    let out = run(&repo_root(), &["validate", "-t", template], b"");
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[tokio::test]
async fn raw_cloudformation_rest_api_answers_through_python() {
    let server = start_api("tests/fixtures/cfn-rest/template.yaml");
    let c = client();
    // GET /items: Lambda proxy by the function's ARN (with the key its method requires).
    let body = ok_json(
        c.get(server.url("/prod/items?limit=2"))
            .header("x-api-key", "local-items-key-0123456789"),
    )
    .await;
    assert_eq!(body["resource"], "/items");
    assert_eq!(body["path"], "/items");
    assert_eq!(body["method"], "GET");
    assert_eq!(body["stage"], "prod");
    assert_eq!(body["function"], "items-handler");
    // GET /items/{id}: through the function's alias, under the resource tree's path.
    let body = ok_json(
        c.get(server.url("/prod/items/42"))
            .header("Authorization", "Bearer allow"),
    )
    .await;
    assert_eq!(body["resource"], "/items/{id}");
    assert_eq!(body["pathParameters"]["id"], "42");
    // GET /: the MOCK integration's response template.
    let body = ok_json(c.get(server.url("/prod/"))).await;
    assert_eq!(body, serde_json::json!({"service": "items"}));
    // OPTIONS /items: a hand-written CORS preflight mock with its response parameters.
    let r = c
        .request(reqwest::Method::OPTIONS, server.url("/prod/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        r.headers()["access-control-allow-methods"],
        "GET,POST,OPTIONS"
    );
}

#[tokio::test]
async fn raw_cloudformation_http_apis_answer_through_node() {
    let server = start_api("tests/fixtures/cfn-http/template.yaml");
    let c = client();
    // A route to an integration by `integrations/${Integration}`, payload 2.0, stage v1.
    let body = ok_json(c.get(server.url("/v1/hello/world"))).await;
    assert_eq!(body["version"], "2.0");
    assert_eq!(body["routeKey"], "GET /hello/{name}");
    assert_eq!(body["pathParameters"]["name"], "world");
    assert_eq!(body["stage"], "v1");
    // The API's CorsConfiguration, answered by the gateway.
    let r = c
        .request(reqwest::Method::OPTIONS, server.url("/v1/hello/world"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(r.headers()["access-control-max-age"], "600");
    // Payload 1.0 through an `apigateway` invocation URI.
    let body = ok_json(c.post(server.url("/v1/legacy")).body("{}")).await;
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["method"], "POST");
    // The quick-create API: its route at the root, on its `$default` stage.
    let body = ok_json(c.delete(server.url("/quick/a/b"))).await;
    assert_eq!(body["routeKey"], "ANY /quick/{proxy+}");
    assert_eq!(body["pathParameters"]["proxy"], "a/b");
    assert_eq!(body["stage"], "$default");
}

const CDK: &str = "tests/fixtures/cdk-app/cdk.out/ItemsStack.template.json";

#[tokio::test]
async fn cdk_synthesized_stack_runs_as_it_is() {
    let server = start_api(CDK);
    let c = client();
    // LambdaRestApi: ANY / and ANY /{proxy+} to the Python asset, stage `prod`.
    let body = ok_json(c.post(server.url("/prod/orders/7"))).await;
    assert_eq!(body["resource"], "/{proxy+}");
    assert_eq!(body["method"], "POST");
    assert_eq!(body["stage"], "prod");
    assert!(
        body["table"]
            .as_str()
            .unwrap()
            .contains("-ItemsTableA1B2C3D4-"),
        "{body}"
    );
    // The function imports a module its layer (another asset) brings.
    assert_eq!(body["greeting"], "hello, cdk");
    let body = ok_json(c.get(server.url("/prod/"))).await;
    assert_eq!(body["resource"], "/");
    // GET /admin sits behind the stack's TOKEN authorizer; with a token it allows.
    let body = ok_json(
        c.get(server.url("/prod/admin"))
            .header("Authorization", "Bearer admin"),
    )
    .await;
    assert_eq!(body["resource"], "/admin");
    // SpecRestApi from an asset OpenAPI document: its mock.
    let body = ok_json(c.get(server.url("/v1/about"))).await;
    assert_eq!(body["about"], "items service");
    // The HTTP API with its `$default` stage, to the Node asset.
    let body = ok_json(c.get(server.url("/hello"))).await;
    assert_eq!(body["hello"], "cdk");
    assert_eq!(body["routeKey"], "GET /hello");
}

/// The CDK stack in a folder of its own whose Node function's asset does not exist (the other
/// assets are named by their absolute paths).
fn broken_copy() -> (PathBuf, usize) {
    let dir = std::env::temp_dir().join(format!("lambdagate-cdk-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = repo_root().join(CDK);
    let assets = fixture.parent().unwrap();
    let text = std::fs::read_to_string(&fixture)
        .unwrap()
        .replace("\"asset.", &format!("\"{}/asset.", assets.display()))
        .replace(
            &format!("\"{}/asset.9c2e", assets.display()),
            "\"asset.missing9c2e",
        );
    let line = text
        .lines()
        .position(|l| l.contains("asset.missing"))
        .unwrap()
        + 1;
    std::fs::write(dir.join("Broken.template.json"), text).unwrap();
    (dir, line)
}

#[tokio::test]
async fn a_missing_asset_fails_validate_and_leaves_out_one_function_when_serving() {
    let (dir, line) = broken_copy();
    let template = dir.join("Broken.template.json");
    let t = template.to_str().unwrap();
    let printed = failed_validate(t);
    assert!(
        printed.contains(&format!("{t}:{line}:")) && printed.contains("does not exist"),
        "{printed}"
    );

    let server = start_api(t);
    let printed = server.printed();
    assert!(
        printed.contains(&format!("{t}:{line}:")) && printed.contains("is not served"),
        "{printed}"
    );
    let c = client();
    // The function whose asset exists answers; the other answers as AWS does when it
    // cannot invoke a function.
    let r = c.get(server.url("/prod/x")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(server.url("/hello")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal Server Error"}"#
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn methods_aws_would_reject_fail_validate_and_are_left_out_when_serving() {
    let dir = std::env::temp_dir().join(format!("lambdagate-cfn-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let code = repo_root().join("tests/fixtures/cfn-rest/src");
    let text = format!(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Code: {}\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: api\n  Items:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n      ParentId: !GetAtt Api.RootResourceId\n      PathPart: items\n  Good:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: GET\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations\n  Orphan:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref NoSuchResource\n      HttpMethod: POST\n      AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n  NoUri:\n    Type: AWS::ApiGateway::Method\n    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref Items\n      HttpMethod: PUT\n      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n",
        code.display()
    );
    let template = dir.join("template.yaml");
    std::fs::write(&template, text).unwrap();
    let t = template.to_str().unwrap();

    let printed = failed_validate(t);
    assert!(
        printed.contains(&format!("{t}:33:19: error: Ref to `NoSuchResource`")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("{t}:46:9: error: method `NoUri`")),
        "{printed}"
    );

    let server = start_api(t);
    let printed = server.printed();
    assert!(
        printed.contains(&format!("{t}:33:19: warning: Ref to `NoSuchResource`")),
        "{printed}"
    );
    assert!(
        printed.contains("method `NoUri` is not served"),
        "{printed}"
    );
    let body = ok_json(client().get(server.url("/Prod/items"))).await;
    assert_eq!(body["stage"], "Prod");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
