//! Random template text through the loader (the same input as the `template` fuzz target in
//! `fuzz/`): any text, YAML or JSON, well-formed or not, is loaded or refused with diagnostics,
//! never a panic. Bounded case counts so that this runs with `cargo test`.

use std::path::Path;

use lambdagate_template::{LoadOptions, load_str};
use proptest::prelude::*;

/// Scalars that mean something to the loader, and anything else.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AWS::Serverless::Function".to_string()),
        Just("AWS::Serverless::Api".to_string()),
        Just("AWS::Serverless::HttpApi".to_string()),
        Just("AWS::ApiGateway::RestApi".to_string()),
        Just("AWS::CloudFormation::Stack".to_string()),
        Just("python3.12".to_string()),
        Just("/items/{id}".to_string()),
        Just("!Ref X".to_string()),
        Just("!Sub '${AWS::Region}-${X}'".to_string()),
        Just("!GetAtt X.Arn".to_string()),
        Just("!If [C, a, b]".to_string()),
        Just("!Select [0, !Split [',', 'a,b']]".to_string()),
        Just("!FindInMap [M, a, b]".to_string()),
        "[a-zA-Z0-9 :{}\\[\\]!$&*,'\"-]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Type",
            "Properties",
            "Runtime",
            "Handler",
            "CodeUri",
            "Events",
            "Path",
            "Method",
            "RestApiId",
            "ApiId",
            "StageName",
            "Condition",
            "DependsOn",
            "Timeout",
            "MemorySize",
            "Environment",
            "Variables",
            "Auth",
            "Authorizers",
            "DefinitionBody",
            "paths",
            "Cors",
            "Globals",
            "Function",
            "Parameters",
            "Default",
            "Conditions",
            "Mappings",
            "Outputs",
            "Value",
            "Fn::Transform",
            "Fn::ForEach::X",
            "Layers",
            "Location",
        ])
        .prop_map(str::to_string),
        "[A-Za-z]{1,8}",
    ]
}

/// YAML blocks nested a few levels deep, built from the vocabulary above.
fn yaml(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return scalar().boxed();
    }
    prop_oneof![
        scalar(),
        prop::collection::vec((key(), yaml(depth - 1)), 0..4).prop_map(move |entries| {
            let indent = "  ".repeat(4 - depth as usize);
            entries
                .into_iter()
                .map(|(k, v)| {
                    if v.contains('\n') || v.contains(':') && !v.starts_with('!') {
                        format!("\n{indent}{k}:{v}")
                    } else {
                        format!("\n{indent}{k}: {v}")
                    }
                })
                .collect::<String>()
        }),
        prop::collection::vec(scalar(), 0..3).prop_map(|items| format!(" [{}]", items.join(", "))),
    ]
    .boxed()
}

fn template_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (yaml(3), yaml(3)).prop_map(|(globals, resources)| format!(
            "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n\
             Globals:{globals}\nResources:{resources}\n"
        )),
        yaml(4),
        any::<String>(),
        "\\{\"Resources\": \\{\"[A-Z]{1,4}\": \\{\"Type\": \"[A-Za-z:]{0,24}\"\\}\\}\\}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_template_text_loads_or_is_refused(text in template_text()) {
        let path = Path::new("/nonexistent/lambdagate-fuzz/template.yaml");
        let _ = load_str(&text, path, &LoadOptions::default());
        let strict = LoadOptions { strict: true, ..LoadOptions::default() };
        let _ = load_str(&text, path, &strict);
    }
}
