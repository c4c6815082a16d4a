//! Routes: an HTTP API route or a REST resource method, with its method request (authorization,
//! API key, validation, parameters, models) and method responses.

use std::fmt;

use serde::Serialize;

use crate::SourceLocation;
use crate::auth::MethodAuth;
use crate::integration::Integration;

/// Which route a request selects: a method and path, or an HTTP API's `$default` route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum RouteKey {
    /// `METHOD /path`; method is upper-case or `ANY`, path uses `{name}` and `{name+}`.
    MethodPath {
        /// `GET`, `POST`, …, or `ANY`.
        method: String,
        /// `/items/{id}`, `/{proxy+}`, `/`.
        path: String,
    },
    /// The HTTP API `$default` route (`Path: $default` on an `HttpApi` event).
    Default,
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKey::MethodPath { method, path } => write!(f, "{method} {path}"),
            RouteKey::Default => f.write_str("$default"),
        }
    }
}

/// One route (an HTTP API route, or a REST resource method).
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    /// The route key.
    pub key: RouteKey,
    /// What serves it.
    pub integration: Integration,
    /// Who may call it: authorization type, authorizer, scopes.
    pub auth: MethodAuth,
    /// REST `ApiKeyRequired`: the caller must send a key of a usage plan of this stage.
    pub api_key_required: bool,
    /// REST `OperationName`.
    pub operation_name: Option<String>,
    /// Request parameters the method declares (`method.request.header.X` and so on).
    pub request_parameters: Vec<RequestParameter>,
    /// Request models by content type (`application/json` → model name).
    pub request_models: Vec<(String, String)>,
    /// The request validator this method uses, by name.
    pub request_validator: Option<String>,
    /// Method responses, by status code.
    pub method_responses: Vec<MethodResponse>,
    /// The event's name in the template (`GetItem`), or a generated name for expanded routes.
    pub event_id: String,
    /// Where the route is defined.
    pub source: SourceLocation,
}

impl Route {
    /// A route with only a key and an integration, open to everyone.
    pub fn new(
        key: RouteKey,
        integration: Integration,
        event_id: impl Into<String>,
        source: SourceLocation,
    ) -> Route {
        Route {
            key,
            integration,
            auth: MethodAuth::default(),
            api_key_required: false,
            operation_name: None,
            request_parameters: Vec::new(),
            request_models: Vec::new(),
            request_validator: None,
            method_responses: Vec::new(),
            event_id: event_id.into(),
            source,
        }
    }
}

/// Where a request parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ParameterLocation {
    /// `method.request.header.{name}`.
    Header,
    /// `method.request.querystring.{name}`.
    QueryString,
    /// `method.request.path.{name}`.
    Path,
}

impl ParameterLocation {
    /// AWS's word for the location in `method.request.{location}.{name}`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterLocation::Header => "header",
            ParameterLocation::QueryString => "querystring",
            ParameterLocation::Path => "path",
        }
    }
}

/// A request parameter a method declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestParameter {
    /// Where it is read from.
    pub location: ParameterLocation,
    /// Its name (case as written).
    pub name: String,
    /// Whether a request without it is refused (when the validator checks parameters).
    pub required: bool,
    /// SAM's `Caching`: part of the stage cache key.
    pub caching: bool,
}

/// A method response: a status the method may answer with, its headers and models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodResponse {
    /// Status code.
    pub status_code: u16,
    /// Declared headers (`method.response.header.X`) and whether they are required.
    pub headers: Vec<(String, bool)>,
    /// Response models by content type.
    pub models: Vec<(String, String)>,
}
