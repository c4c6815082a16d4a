//! Request validation: models (JSON schemas) and request validators (REST).

use serde::Serialize;

use crate::SourceLocation;

/// A model: a named JSON Schema (draft 4) of an API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// `Name`.
    pub name: String,
    /// `ContentType` (default `application/json`).
    pub content_type: String,
    /// The schema, as JSON.
    pub schema: serde_json::Value,
    /// Where it is defined.
    pub source: SourceLocation,
}

/// A request validator: which parts of a request are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestValidator {
    /// `Name`, as methods reference it.
    pub name: String,
    /// `ValidateRequestBody`.
    pub validate_body: bool,
    /// `ValidateRequestParameters`.
    pub validate_parameters: bool,
}
