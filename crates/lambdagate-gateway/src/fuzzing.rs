//! Entry points for the fuzz targets in `fuzz/` and the crate's no-panic property tests: each
//! takes arbitrary input and runs one part of the data plane on it. None of them may panic,
//! whatever the input; what they return is only there to be looked at.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use lambdagate_lambda::{Invocation, InvocationResult, Outcome};
use lambdagate_model::{
    Api, ApiKind, Application, Function, Integration, PayloadFormat, Route, RouteKey,
    RuntimeFamily, SourceLocation, Stage,
};

use crate::integration::lambda_proxy::response;
use crate::router::{self, AnyMethod, Router};
use crate::{Addressing, CompiledApp, FnBackend, Gateway, IncomingRequest};

/// Route templates as templates write them, parsed and inserted into a router, then looked up
/// with `path`: `templates` holds one `METHOD /path` per line.
pub fn router(templates: &str, method: &str, path: &str) -> usize {
    let mut routes = Router::new();
    for (n, line) in templates.lines().enumerate() {
        let (route_method, route_path) = line.split_once(' ').unwrap_or(("ANY", line));
        if let Ok(segments) = router::parse_template(route_path) {
            let _ = routes.insert(route_method, &segments, AnyMethod::Standard, n);
            let _ = router::render(&segments);
        }
    }
    let found = routes.find(method, path).map_or(0, |m| *m.target + 1);
    found + router::path_segments(path).len()
}

/// A function's answer parsed as payload 1.0 (both binary settings) and 2.0.
pub fn proxy_response(payload: &[u8]) -> usize {
    let mut seen = 0;
    for decode in [false, true] {
        if let Ok(parsed) = response::parse_v1(payload, decode) {
            seen += parsed.headers.len() + parsed.body.len();
        }
    }
    if let Ok(parsed) = response::parse_v2(payload) {
        seen += parsed.headers.len() + parsed.body.len();
    }
    seen
}

/// A request as a client may send it, and what the function answers.
#[derive(Debug, Clone, Default)]
pub struct FuzzRequest {
    /// Method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Query string, without `?`.
    pub query: Option<String>,
    /// Headers as sent.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The function's answer.
    pub answer: Vec<u8>,
}

impl FuzzRequest {
    /// Splits raw fuzzer bytes into the fields: `\0`-separated method, path, query, headers
    /// (`name:value` lines), body, answer.
    pub fn from_bytes(data: &[u8]) -> FuzzRequest {
        let mut parts = data.splitn(6, |&b| b == 0);
        let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let method = text();
        let path = text();
        let query = Some(text()).filter(|q| !q.is_empty());
        let headers = text()
            .lines()
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                (name.to_string(), value.trim().to_string())
            })
            .collect();
        let body = parts.next().unwrap_or_default().to_vec();
        let answer = parts.next().unwrap_or_default().to_vec();
        FuzzRequest {
            method,
            path,
            query,
            headers,
            body,
            answer,
        }
    }
}

fn function(name: &str) -> Function {
    Function {
        logging: Default::default(),
        logical_id: name.into(),
        function_name: name.into(),
        arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        runtime: "python3.12".into(),
        family: RuntimeFamily::Python,
        handler: Some("app.handler".into()),
        code_dir: PathBuf::from("/nonexistent"),
        environment: BTreeMap::new(),
        timeout_secs: 3,
        memory_mb: 128,
        layers: Vec::new(),
        reserved_concurrency: None,
        architectures: vec!["x86_64".into()],
        source: SourceLocation::default(),
    }
}

fn route(method: &str, path: &str, format: PayloadFormat) -> Route {
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
        Integration::lambda_proxy("Fn", format, None),
        format!("{method}{path}"),
        SourceLocation::default(),
    )
}

/// A REST API and an HTTP API (payload 1.0 and 2.0 routes) over one function.
fn application() -> Application {
    let api = |id: &str, kind: ApiKind, stage: &str, routes: Vec<Route>| Api {
        routes,
        ..Api::new(id, kind, Stage::named(stage, SourceLocation::default()))
    };
    let rest = api(
        "Rest",
        ApiKind::Rest,
        "Prod",
        vec![
            route("GET", "/items/{id}", PayloadFormat::V1),
            route("ANY", "/{proxy+}", PayloadFormat::V1),
            route("POST", "/a/b/{c}/d", PayloadFormat::V1),
        ],
    );
    let http = api(
        "Http",
        ApiKind::Http,
        "$default",
        vec![
            route("GET", "/v2/items/{id}", PayloadFormat::V2),
            route("ANY", "/v1/{proxy+}", PayloadFormat::V1),
            route("ANY", "$default", PayloadFormat::V2),
        ],
    );
    Application {
        functions: vec![function("Fn")],
        apis: vec![rest, http],
        ..Application::empty(
            PathBuf::from("template.yaml"),
            "fuzz".into(),
            "us-east-1".into(),
            "123456789012".into(),
        )
    }
}

/// What [`request_to_event`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    /// The statuses answered with and without the stage prefix.
    pub statuses: [u16; 2],
    /// Every event the function received was JSON.
    pub events_were_json: bool,
}

/// The request through the whole pipeline (routing, the proxy event, the answer's parsing),
/// with and without the stage prefix.
pub fn request_to_event(request: &FuzzRequest) -> Outcomes {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    let Some(runtime) = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .ok()
    }) else {
        return Outcomes {
            statuses: [0, 0],
            events_were_json: true,
        };
    };
    let events_were_json = Arc::new(AtomicBool::new(true));
    let app = application();
    let answer = Bytes::from(request.answer.clone());
    let gateway = |stage_prefix: bool| -> Option<Gateway> {
        let compiled = CompiledApp::compile(&app, Addressing { stage_prefix }).ok()?;
        let answer = answer.clone();
        let json = events_were_json.clone();
        let backend = FnBackend(move |_function: String, invocation: Invocation| {
            let answer = answer.clone();
            // The event must be JSON whatever the request held.
            if serde_json::from_slice::<serde_json::Value>(&invocation.payload).is_err() {
                json.store(false, Ordering::Relaxed);
            }
            async move {
                Ok(InvocationResult {
                    request_id: "r".into(),
                    outcome: Outcome::Response(answer),
                })
            }
        });
        Some(Gateway::new(compiled, Arc::new(backend)))
    };
    let incoming = IncomingRequest {
        secure: false,
        method: request.method.clone(),
        raw_path: request.path.clone(),
        raw_query: request.query.clone(),
        headers: request.headers.clone(),
        body: Bytes::from(request.body.clone()),
        source_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        local_port: 3000,
    };
    let mut statuses = [0u16; 2];
    for (slot, prefix) in statuses.iter_mut().zip([true, false]) {
        if let Some(gateway) = gateway(prefix) {
            *slot = runtime.block_on(gateway.handle(incoming.clone())).status;
        }
    }
    Outcomes {
        statuses,
        events_were_json: events_were_json.load(Ordering::Relaxed),
    }
}
