//! The one HTTP client every HTTP backend of every API is called through: pooled keep-alive
//! connections (HTTP/1.1), a bound on concurrent backend calls, rustls (ring) with the
//! platform's roots for `https` backends, and the table of private (VPC link) targets that
//! `--vpc-link` fills at startup.
//!
//! The client is process-wide rather than per compiled API so that a hot reload keeps its
//! warm connections. Pooled connections are driven by tasks of the runtime that opened them; the
//! binary has one runtime, and a connection whose runtime has gone is seen closed and discarded.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::Semaphore;

/// At most this many backend calls are in flight at once; more wait for a slot (within their
/// integration timeout).
const MAX_IN_FLIGHT: usize = 1024;
/// Idle connections kept per backend host.
const MAX_IDLE_PER_HOST: usize = 64;
/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A backend's answer, read whole.
#[derive(Debug, Clone)]
pub struct BackendResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order (lower-case names, as the HTTP/1 parser gives them).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// Why a backend call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No connection, a reset, or an answer that is not HTTP.
    #[error("the backend could not be reached or did not answer HTTP: {0}")]
    Failed(String),
    /// No whole answer within the integration timeout.
    #[error("the backend did not answer within {0:?}")]
    Timeout(Duration),
    /// The answer's body is over the limit.
    #[error("the backend's answer is over {0} bytes")]
    TooLarge(usize),
}

type Pool = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The shared HTTP client.
#[derive(Debug)]
pub struct HttpClient {
    pool: Pool,
    slots: Semaphore,
}

static SHARED: OnceLock<Result<HttpClient, String>> = OnceLock::new();

/// The process-wide client (built on first use); `Err` says why TLS could not be set up.
pub fn shared() -> Result<&'static HttpClient, &'static str> {
    SHARED
        .get_or_init(HttpClient::new)
        .as_ref()
        .map_err(String::as_str)
}

impl HttpClient {
    fn new() -> Result<HttpClient, String> {
        let mut roots = rustls::RootCertStore::empty();
        // Unreadable system certificates are skipped: a backend they would have vouched for
        // then fails its handshake, which answers as an unreachable backend.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
            .build(connector);
        Ok(HttpClient {
            pool,
            slots: Semaphore::new(MAX_IN_FLIGHT),
        })
    }

    /// Sends `request` and reads the whole answer, all within `timeout`; a body over `limit`
    /// bytes is refused. Dropping the future abandons the call and its connection.
    pub async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
        timeout: Duration,
        limit: usize,
    ) -> Result<BackendResponse, SendError> {
        let call = async {
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|e| SendError::Failed(e.to_string()))?;
            let response = self
                .pool
                .request(request)
                .await
                .map_err(|e| SendError::Failed(lambdagate_auth::error_causes(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        SendError::TooLarge(limit)
                    } else {
                        SendError::Failed(e.to_string())
                    }
                })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok(BackendResponse {
                status: parts.status.as_u16(),
                headers,
                body,
            })
        };
        tokio::time::timeout(timeout, call)
            .await
            .unwrap_or(Err(SendError::Timeout(timeout)))
    }
}

/// Private (VPC link) targets: a VPC link id, or a Cloud Map service / load balancer (listener)
/// ARN, to the local base URL that serves it (`--vpc-link ID=URL`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateTargets(HashMap<String, String>);

impl PrivateTargets {
    /// Parses `ID=URL` entries; `Err` names the first that is not one.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<PrivateTargets, String> {
        let mut map = HashMap::new();
        for entry in entries {
            let (id, url) = entry
                .split_once('=')
                .map(|(i, u)| (i.trim(), u.trim().trim_end_matches('/')))
                .filter(|(i, u)| !i.is_empty() && !u.is_empty())
                .ok_or_else(|| format!("--vpc-link `{entry}` must be ID=URL"))?;
            let parsed: http::Uri = url
                .parse()
                .map_err(|_| format!("--vpc-link {id}: `{url}` is not a URL"))?;
            if !matches!(parsed.scheme_str(), Some("http" | "https"))
                || parsed.authority().is_none()
            {
                return Err(format!(
                    "--vpc-link {id}: `{url}` must be an http:// or https:// URL"
                ));
            }
            map.insert(id.to_string(), url.to_string());
        }
        Ok(PrivateTargets(map))
    }

    /// The local URL serving `id`.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.get(id).map(String::as_str)
    }
}

static TARGETS: OnceLock<PrivateTargets> = OnceLock::new();

/// Sets the process's private targets, once, before the application is compiled (the binary's
/// `--vpc-link` flags); later calls are ignored and answer `false`.
pub fn set_private_targets(targets: PrivateTargets) -> bool {
    TARGETS.set(targets).is_ok()
}

/// The process's private targets (none unless [`set_private_targets`] was called).
pub fn private_targets() -> &'static PrivateTargets {
    TARGETS.get_or_init(PrivateTargets::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpc_link_flags() {
        let t = PrivateTargets::parse([
            "abc123=http://127.0.0.1:8080/",
            "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/y/z=https://localhost:9443",
        ])
        .unwrap();
        assert_eq!(t.get("abc123"), Some("http://127.0.0.1:8080"));
        assert_eq!(
            t.get("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/y/z"),
            Some("https://localhost:9443")
        );
        assert!(PrivateTargets::parse(["nolink"]).is_err());
        assert!(PrivateTargets::parse(["a=ftp://x"]).is_err());
        assert!(PrivateTargets::parse(["a="]).is_err());
    }
}
