//! CORS settings: REST `Cors` (expanded into OPTIONS mock routes, as SAM does) and HTTP API
//! `CorsConfiguration` (applied by the gateway at run time).

use lambdagate_model::{
    Cors, HttpCors, Integration, IntegrationResponse, RestCors, Route, RouteKey, SourceLocation,
};

use crate::diag::{Diags, R};
use crate::node::{Node, Value};
use crate::props;

/// Every method a REST `ANY` method stands for, as SAM lists them for `AllowMethods`.
const ALL_METHODS: &[&str] = &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

/// SAM writes CORS values as header-value expressions: `"'*'"`. Strips one pair of quotes.
fn unquote(diags: &mut Diags, node: &Node, value: String, key: &str) -> String {
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.to_string(),
        None => {
            if matches!(node.value, Value::Str(_)) {
                diags.warn(
                    node.pos,
                    format!("Cors {key} `{value}` should be quoted like \"'{value}'\" (SAM passes it to API Gateway as a header-value expression)"),
                );
            }
            value
        }
    }
}

/// Reads a REST API's `Cors` (a string origin or a mapping).
pub fn rest(diags: &mut Diags, node: &Node, owner: &str) -> R<RestCors> {
    if let Some(origin) = node.scalar_text() {
        let allow_origin = unquote(diags, node, origin, "AllowOrigin");
        return Ok(RestCors {
            allow_origin,
            allow_methods: None,
            allow_headers: None,
            max_age: None,
            allow_credentials: false,
        });
    }
    if node.as_map().is_none() {
        return Err(diags.error(
            node.pos,
            format!("{owner}: Cors must be a string such as \"'*'\" or a mapping"),
        ));
    }
    let owner = format!("{owner}: Cors");
    let field = |diags: &mut Diags, key: &str| -> R<Option<String>> {
        let value = props::text(diags, node, key, &owner)?;
        Ok(value.map(|v| unquote(diags, node.get(key).unwrap_or(node), v, key)))
    };
    let origin = field(diags, "AllowOrigin")?;
    let allow_methods = field(diags, "AllowMethods")?;
    let allow_headers = field(diags, "AllowHeaders")?;
    let max_age = field(diags, "MaxAge")?;
    let allow_credentials = rest_credentials(diags, node, &owner)?;
    // SAM's default when the map leaves AllowOrigin out is the wildcard.
    let allow_origin = origin.unwrap_or_else(|| "*".to_string());
    if allow_credentials && allow_origin == "*" {
        return Err(diags.error(
            node.pos,
            format!("{owner}: AllowCredentials cannot be true when AllowOrigin is '*' (browsers reject it; name the origin)"),
        ));
    }
    Ok(RestCors {
        allow_origin,
        allow_methods,
        allow_headers,
        max_age,
        allow_credentials,
    })
}

/// REST `Cors.AllowCredentials`: SAM documents a boolean, but templates commonly write it as
/// a header-value expression like the other Cors values (`"'true'"`), which SAM passes on.
fn rest_credentials(diags: &mut Diags, node: &Node, owner: &str) -> R<bool> {
    let quoted = node
        .get("AllowCredentials")
        .and_then(Node::as_str)
        .and_then(|v| v.strip_prefix('\'')?.strip_suffix('\''));
    match quoted {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Ok(props::boolean(diags, node, "AllowCredentials", owner)?.unwrap_or(false)),
    }
}

/// Reads an HTTP API's `CorsConfiguration` (`true`, or a mapping). `false` means none.
///
/// `AllowCredentials` with a wildcard origin is refused by a deploy (and by `validate`,
/// `strict`); serving keeps it as written, with a warning, as `sam local` does (SAM CLI's own
/// start-api tests have one).
pub fn http(diags: &mut Diags, node: &Node, owner: &str, strict: bool) -> R<Option<HttpCors>> {
    match &node.value {
        Value::Bool(false) => return Ok(None),
        Value::Bool(true) => {
            return Ok(Some(HttpCors {
                allow_origins: vec!["*".into()],
                allow_methods: vec!["*".into()],
                allow_headers: vec!["*".into()],
                ..HttpCors::default()
            }));
        }
        Value::Map(_) => {}
        _ => {
            return Err(diags.error(
                node.pos,
                format!("{owner}: CorsConfiguration must be true or a mapping"),
            ));
        }
    }
    let owner = format!("{owner}: CorsConfiguration");
    let list = |diags: &mut Diags, key: &str| {
        props::strings(diags, node, key, &owner).map(Option::unwrap_or_default)
    };
    let allow_origins = list(diags, "AllowOrigins")?;
    let allow_methods = list(diags, "AllowMethods")?
        .into_iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let allow_headers = list(diags, "AllowHeaders")?;
    let expose_headers = list(diags, "ExposeHeaders")?;
    let max_age = props::number(diags, node, "MaxAge", &owner, 0..=86400)?;
    let allow_credentials =
        props::boolean(diags, node, "AllowCredentials", &owner)?.unwrap_or(false);
    if allow_credentials && allow_origins.iter().any(|o| o == "*") {
        let message =
            format!("{owner}: AllowCredentials cannot be true when AllowOrigins has \"*\"");
        if strict {
            return Err(diags.error(node.pos, message));
        }
        diags.warn(
            node.pos,
            format!(
                "{message} (a deploy rejects it, and browsers refuse credentials with a wildcard \
                 origin); served with every origin allowed, each answered with its own origin \
                 rather than `*` (`lambdagate validate` reports it as an error)"
            ),
        );
    }
    Ok(Some(HttpCors {
        allow_origins,
        allow_methods,
        allow_headers,
        expose_headers,
        max_age,
        allow_credentials,
    }))
}

/// The OPTIONS mock routes SAM adds for a REST API's `Cors`: one per path that has no OPTIONS
/// route of its own.
pub fn preflight_routes(cors: &Cors, routes: &[Route], source: &SourceLocation) -> Vec<Route> {
    let Cors::Rest(cors) = cors else {
        return Vec::new();
    };
    let mut paths: Vec<&str> = Vec::new();
    for route in routes {
        if let RouteKey::MethodPath { path, .. } = &route.key
            && !paths.contains(&path.as_str())
        {
            paths.push(path);
        }
    }
    let mut out = Vec::new();
    for path in paths {
        let methods: Vec<&str> = routes
            .iter()
            .filter_map(|r| match &r.key {
                RouteKey::MethodPath { method, path: p } if p == path => Some(method.as_str()),
                _ => None,
            })
            .collect();
        if methods.contains(&"OPTIONS") {
            continue;
        }
        let allow_methods = cors.allow_methods.clone().unwrap_or_else(|| {
            let mut list: Vec<&str> = if methods.contains(&"ANY") {
                ALL_METHODS.to_vec()
            } else {
                methods.iter().copied().chain(["OPTIONS"]).collect()
            };
            list.sort_unstable();
            list.dedup();
            list.join(",")
        });
        let mut headers = vec![
            (
                "Access-Control-Allow-Origin".to_string(),
                cors.allow_origin.clone(),
            ),
            ("Access-Control-Allow-Methods".to_string(), allow_methods),
        ];
        if let Some(h) = &cors.allow_headers {
            headers.push(("Access-Control-Allow-Headers".to_string(), h.clone()));
        }
        if let Some(age) = &cors.max_age {
            headers.push(("Access-Control-Max-Age".to_string(), age.clone()));
        }
        if cors.allow_credentials {
            headers.push((
                "Access-Control-Allow-Credentials".to_string(),
                "true".to_string(),
            ));
        }
        // SAM's preflight method: a MOCK integration whose request template selects 200, and
        // an integration response mapping static header values and the response template `{}`
        // (application/json), so clients of the deployed API receive `{}`.
        let integration = Integration {
            request_templates: vec![(
                "application/json".to_string(),
                "{\"statusCode\": 200}".to_string(),
            )],
            integration_responses: vec![IntegrationResponse {
                status_code: 200,
                selection_pattern: None,
                response_parameters: headers
                    .into_iter()
                    .map(|(name, value)| {
                        (
                            format!("method.response.header.{name}"),
                            format!("'{value}'"),
                        )
                    })
                    .collect(),
                response_templates: vec![("application/json".to_string(), "{}".to_string())],
                content_handling: None,
            }],
            ..Integration::mock()
        };
        out.push(Route::new(
            RouteKey::MethodPath {
                method: "OPTIONS".to_string(),
                path: path.to_string(),
            },
            integration,
            preflight_id(path),
            source.clone(),
        ));
    }
    out
}

/// `/items/{id}` → `ItemsIdCorsPreflight`; `/` → `RootCorsPreflight`.
fn preflight_id(path: &str) -> String {
    let mut id = String::new();
    for word in path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.push_str(chars.as_str());
        }
    }
    if id.is_empty() {
        id.push_str("Root");
    }
    id + "CorsPreflight"
}
