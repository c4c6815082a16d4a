//! The local token issuer: an RSA key in lambdagate's state folder that `lambdagate token`
//! signs with and the server trusts (unless started with `--no-local-tokens`).

use std::path::Path;

use serde_json::{Map, Value};

/// A token to mint.
#[derive(Debug, Clone, Default)]
pub struct MintRequest {
    /// `iss`.
    pub issuer: String,
    /// `aud` (ID tokens) or `client_id` (access tokens); none when empty.
    pub audience: Option<String>,
    /// `sub`.
    pub subject: String,
    /// `scope`, space-separated when written.
    pub scopes: Vec<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// Any other claims.
    pub claims: Map<String, Value>,
    /// Seconds from now to `exp`.
    pub expires_in: u64,
}

/// Why the local key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LocalKeyError {
    /// The state folder or key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file is not a key this version wrote.
    #[error("{0}: not a lambdagate signing key")]
    Corrupt(String),
}

/// The local signing key.
pub struct LocalIssuer {}

impl LocalIssuer {
    /// The key kept in `state_dir`, created on first use.
    pub fn load_or_create(_state_dir: &Path) -> Result<LocalIssuer, LocalKeyError> {
        Ok(LocalIssuer {})
    }

    /// A signed token, `now_s` seconds after the epoch.
    pub fn mint(&self, _request: &MintRequest, _now_s: u64) -> String {
        String::new()
    }
}
