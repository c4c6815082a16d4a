//! SAM's lenient forms: `Ref MyApi.Stage` / `.Deployment`, `GetAtt MyApi.RootResourceId`,
//! references to the implicit APIs and the stages SAM generates, `Globals` for `Api` and
//! `HttpApi`, and string booleans.

use lambdagate_model::{Cors, api_id_for};

use super::{FUNCTION, load_ok, rest_api, strict_errors};

/// A function whose environment holds `vars` (lines indented by 10), on the implicit REST API
/// (`GET /a`) and the implicit HTTP API (`GET /b`), with `outputs` as the Outputs section.
fn implicit_apis(head: &str, vars: &str, outputs: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\n{head}Resources:\n{FUNCTION}      Environment:\n        Variables:\n{vars}      Events:\n        A:\n          Type: Api\n          Properties: {{Path: /a, Method: get}}\n        B:\n          Type: HttpApi\n          Properties: {{Path: /b, Method: get}}\n{outputs}"
    )
}

fn strict_load(text: &str) -> lambdagate_model::Application {
    let options = crate::LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: Some("stack".into()),
        strict: true,
        ..crate::LoadOptions::default()
    };
    let loaded = crate::load_str(text, &super::path(), &options)
        .unwrap_or_else(|d| panic!("{d:#?}\n{text}"));
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    loaded.application
}

#[test]
fn implicit_apis_and_their_generated_stages_can_be_referred_to() {
    let vars = "          REST: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/'\n          HTTP: !GetAtt ServerlessHttpApi.ApiEndpoint\n          STAGE: !Ref ServerlessRestApiProdStage\n          HTTP_STAGE: !Ref ServerlessHttpApiApiGatewayDefaultStage\n          ROOT: !GetAtt ServerlessRestApi.RootResourceId\n";
    let outputs = "Outputs:\n  Url:\n    Value: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/${ServerlessRestApi.Stage}/'\n  Http:\n    Value: !Sub 'https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/'\n";
    let app = strict_load(&implicit_apis("", vars, outputs));
    let env = &app.functions[0].environment;
    assert_eq!(
        env["REST"],
        format!(
            "https://{}.execute-api.eu-west-1.amazonaws.com/Prod/",
            api_id_for("ServerlessRestApi")
        )
    );
    assert_eq!(
        env["HTTP"],
        format!(
            "https://{}.execute-api.eu-west-1.amazonaws.com",
            api_id_for("ServerlessHttpApi")
        )
    );
    assert_eq!(env["STAGE"], "Prod");
    assert_eq!(env["HTTP_STAGE"], "$default");
    assert!(
        !env["ROOT"].is_empty() && env["ROOT"].chars().all(|c| c.is_ascii_alphanumeric()),
        "{}",
        env["ROOT"]
    );
}

#[test]
fn stage_and_deployment_members_of_an_explicit_api() {
    let vars = "          STAGE: !Ref MyApi.Stage\n          SUB: !Sub '${MyApi.Stage}/x'\n          DEPLOYMENT: !Ref MyApi.Deployment\n          GENERATED: !Ref MyApiprodStage\n          ROOT: !GetAtt MyApi.RootResourceId\n";
    let text = rest_api(
        "",
        "",
        &format!(
            "  Other:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref MyApi.Stage\n  Reader:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      Environment:\n        Variables:\n{vars}"
        ),
    );
    let app = strict_load(&text);
    let env = &app.functions[1].environment;
    assert_eq!(env["STAGE"], "prod");
    assert_eq!(env["SUB"], "prod/x");
    assert_eq!(env["DEPLOYMENT"], "MyApiDeployment");
    assert_eq!(env["GENERATED"], "prod");
    assert_ne!(env["ROOT"], "");
    // An HTTP API without StageName is the `$default` stage.
    let text = super::http_api(
        "",
        "",
        "  Reader:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref MyHttp.Stage\n",
    );
    strict_load(&text);
    // A stage that does not exist is still an error.
    let errors = strict_errors(&implicit_apis(
        "",
        "          X: !Ref ServerlessRestApiBetaStage\n",
        "",
    ));
    super::assert_error(&errors, "Ref to `ServerlessRestApiBetaStage`");
}

#[test]
fn globals_for_api_and_http_api_apply_to_explicit_and_implicit_apis() {
    let head = "Globals:\n  Api:\n    Cors:\n      AllowOrigin: \"'https://a.example'\"\n      AllowCredentials: \"'true'\"\n    Auth:\n      ApiKeyRequired: 'true'\n  HttpApi:\n    CorsConfiguration:\n      AllowOrigins: [https://b.example]\n      AllowCredentials: 'true'\n";
    let app = strict_load(&implicit_apis(head, "          V: v\n", ""));
    let rest = app
        .apis
        .iter()
        .find(|a| a.logical_id == "ServerlessRestApi")
        .unwrap();
    let Some(Cors::Rest(cors)) = &rest.cors else {
        panic!("{:?}", rest.cors)
    };
    assert_eq!(cors.allow_origin, "https://a.example");
    assert!(cors.allow_credentials);
    assert!(rest.routes[0].api_key_required, "{:?}", rest.routes[0]);
    let http = app
        .apis
        .iter()
        .find(|a| a.logical_id == "ServerlessHttpApi")
        .unwrap();
    let Some(Cors::Http(cors)) = &http.cors else {
        panic!("{:?}", http.cors)
    };
    assert_eq!(cors.allow_origins, ["https://b.example"]);
    assert!(cors.allow_credentials);

    // On an explicit API too.
    let text = rest_api("", "", "").replace(
        "Transform: AWS::Serverless-2016-10-31\n",
        &format!("Transform: AWS::Serverless-2016-10-31\n{head}"),
    );
    let app = load_ok(&text);
    assert!(matches!(&app.apis[0].cors, Some(Cors::Rest(c)) if c.allow_credentials));
    assert!(app.apis[0].routes[0].api_key_required);
}
