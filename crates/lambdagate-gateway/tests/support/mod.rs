//! Shared helpers for the gateway's in-process tests: models built in Rust and an echo backend.
#![allow(dead_code)]

mod recorded;
#[allow(unused_imports)]
pub use recorded::*;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lambdagate_gateway::{Addressing, CompiledApp, FnBackend, Gateway, IncomingRequest};
use lambdagate_lambda::{Invocation, InvocationResult, InvokeError, Outcome};
use lambdagate_model::*;

pub fn function(logical_id: &str, timeout_secs: u32) -> Function {
    Function {
        logging: Default::default(),
        logical_id: logical_id.into(),
        function_name: logical_id.into(),
        arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{logical_id}"),
        runtime: "python3.12".into(),
        family: RuntimeFamily::Python,
        handler: Some("app.handler".into()),
        code_dir: PathBuf::from("/tmp"),
        environment: BTreeMap::new(),
        timeout_secs,
        memory_mb: 128,
        layers: Vec::new(),
        reserved_concurrency: None,
        architectures: vec!["x86_64".into()],
        source: SourceLocation::default(),
    }
}

pub fn lambda_route(method: &str, path: &str, function: &str, format: PayloadFormat) -> Route {
    let key = if path == "$default" {
        RouteKey::Default
    } else {
        RouteKey::MethodPath {
            method: method.into(),
            path: path.into(),
        }
    };
    Route::new(
        key,
        Integration::lambda_proxy(function, format, None),
        format!("{method}{path}"),
        SourceLocation {
            file: PathBuf::from("template.yaml"),
            line: 1,
            column: 1,
        },
    )
}

pub fn api(logical_id: &str, kind: ApiKind, stage: &str, routes: Vec<Route>) -> Api {
    Api {
        routes,
        ..Api::new(
            logical_id,
            kind,
            Stage::named(stage, SourceLocation::default()),
        )
    }
}

pub fn application(functions: Vec<Function>, apis: Vec<Api>) -> Application {
    Application {
        functions,
        apis,
        ..Application::empty(
            PathBuf::from("template.yaml"),
            "test".into(),
            "us-east-1".into(),
            "123456789012".into(),
        )
    }
}

/// A function stand-in: `Echo` returns the event as the body (REST/1.0 shape); `Raw(bytes)`
/// returns bytes verbatim; `Fail` is a function error; `Hang` never answers; `Throttle` is a
/// service refusal.
#[derive(Clone)]
pub enum Behaviour {
    Echo,
    Raw(&'static str),
    Fail,
    Hang,
    Throttle,
}

/// A gateway over `app` whose every function behaves as `behaviour`.
pub fn gateway(app: &Application, prefix: bool, behaviour: Behaviour) -> Gateway {
    let compiled = CompiledApp::compile(
        app,
        Addressing {
            stage_prefix: prefix,
        },
    )
    .unwrap();
    let backend = FnBackend(move |_function: String, invocation: Invocation| {
        let behaviour = behaviour.clone();
        async move {
            let outcome = match behaviour {
                Behaviour::Echo => {
                    let event = String::from_utf8(invocation.payload.to_vec()).unwrap();
                    let trace = invocation.trace_id.unwrap_or_default();
                    Outcome::Response(Bytes::from(
                        serde_json::json!({
                            "statusCode": 200,
                            "headers": {"x-trace-seen": trace},
                            "body": event
                        })
                        .to_string(),
                    ))
                }
                Behaviour::Raw(text) => Outcome::Response(Bytes::from_static(text.as_bytes())),
                Behaviour::Fail => Outcome::Error {
                    error_type: "Unhandled".into(),
                    payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
                },
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    unreachable!()
                }
                Behaviour::Throttle => return Err(InvokeError::TooManyRequests),
            };
            Ok(InvocationResult {
                request_id: "r".into(),
                outcome,
            })
        }
    });
    Gateway::new(compiled, Arc::new(backend))
}

/// A request from 203.0.113.7.
pub fn request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> IncomingRequest {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    IncomingRequest {
        secure: false,
        method: method.into(),
        raw_path: path,
        raw_query: query,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: Bytes::from(body.to_string()),
        source_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        local_port: 3000,
    }
}

/// The event an echo function received, from the reply body.
pub fn echoed(reply: &lambdagate_gateway::Reply) -> serde_json::Value {
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    serde_json::from_slice(&reply.body).unwrap()
}

pub fn header<'a>(reply: &'a lambdagate_gateway::Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
