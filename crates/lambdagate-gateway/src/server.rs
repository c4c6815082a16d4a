//! The HTTP server: hyper 1 (HTTP/1.1 and h2c on one port), keep-alive, TCP_NODELAY, limits, and
//! graceful shutdown. Each request is handed to the [`Gateway`] pipeline, with the client's
//! header-name casing recorded on HTTP/1.x connections ([`crate::header_case`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::conn_guard::{GuardedStream, Timeouts};
use crate::header_case::{CaseRecordingStream, ClientHeaders};
use crate::pipeline::Gateway;
use crate::reply::Reply;
use crate::request::IncomingRequest;
use crate::responses::error::GatewayError;

/// API Gateway's payload limit (10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// How much of an oversized body is read and dropped before answering 413.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
/// API Gateway's limit on the request URL.
pub const MAX_URL_BYTES: usize = 10_240;
/// API Gateway's limit on the total size of a request's header values.
pub const MAX_HEADER_VALUE_BYTES: usize = 10_240;
/// Default time from accept (or a later request's first byte) to a complete request head.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time from a request's head to the end of its body.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time an idle keep-alive connection is kept open.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(60);
/// While draining the body of a request refused as too large, how long a pause ends the drain.
const DRAIN_QUIET: Duration = Duration::from_millis(250);

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// A client must send its request head within this time of connecting (or, on a kept-alive
    /// connection, of the request's first byte); otherwise the connection is closed.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this time of its head; otherwise it is answered 408
    /// and the connection is closed.
    pub body_read_timeout: Duration,
    /// An idle kept-alive connection is closed after this time without a new request.
    pub keep_alive_timeout: Duration,
    /// Largest request head (request line + headers) accepted.
    pub max_head_bytes: usize,
    /// How long in-flight requests may take to finish after shutdown begins.
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate and key (`--ssl-cert-file`, `--ssl-key-file`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Serve this folder's files at the root, ahead of the APIs (`--static-dir`).
    pub static_dir: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: MAX_BODY_BYTES,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_head_bytes: 64 * 1024,
            shutdown_grace: Duration::from_secs(10),
            tls: None,
            static_dir: None,
        }
    }
}

/// What the access log gets for each request.
#[derive(Debug, Clone)]
pub struct AccessRecord<'a> {
    /// Method.
    pub method: &'a str,
    /// Path and query as sent.
    pub target: &'a str,
    /// Status sent.
    pub status: u16,
    /// Time from request head to response.
    pub latency: Duration,
    /// The function that served it, if any.
    pub function: Option<&'a str>,
    /// The request id.
    pub request_id: &'a str,
    /// Why the gateway answered with an error, if it did.
    pub detail: Option<&'a str>,
}

/// Receives one record per request.
pub type AccessLog = Arc<dyn Fn(&AccessRecord<'_>) + Send + Sync>;

/// Serves `gateway` on `listener` until `shutdown` resolves, then lets in-flight requests finish
/// (up to `config.shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    config: ServerConfig,
    log: AccessLog,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true)
        .max_buf_size(config.max_head_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(config.max_head_bytes as u32);
    let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let config = Arc::new(config);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let accepted_at = tokio::time::Instant::now();
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().ok();
                let connection = Connection {
                    builder: builder.clone(),
                    gateway: gateway.clone(),
                    config: config.clone(),
                    log: log.clone(),
                    peer,
                    local,
                };
                match &tls {
                    None => connection.serve_watched(stream, graceful.watcher(), accepted_at, false),
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        let watcher = graceful.watcher();
                        let handshake_timeout = config.header_read_timeout;
                        tokio::spawn(async move {
                            // A client that never finishes its handshake holds nothing for long.
                            let accepted =
                                tokio::time::timeout(handshake_timeout, acceptor.accept(stream))
                                    .await;
                            if let Ok(Ok(stream)) = accepted {
                                let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                                connection.serve_watched(stream, watcher, accepted_at, http2);
                            }
                        });
                    }
                }
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let grace = config.shutdown_grace;
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {}
    }
}

/// One accepted connection, before its HTTP is served.
struct Connection {
    builder: auto::Builder<TokioExecutor>,
    gateway: Arc<Gateway>,
    config: Arc<ServerConfig>,
    log: AccessLog,
    peer: SocketAddr,
    local: Option<SocketAddr>,
}

impl Connection {
    /// Serves HTTP/1 or HTTP/2 on `stream` (plain TCP or TLS, accepted at `accepted_at`) until
    /// the client goes away or a deadline passes; `http2` when TLS chose HTTP/2.
    fn serve_watched<S>(
        self,
        stream: S,
        watcher: hyper_util::server::graceful::Watcher,
        accepted_at: tokio::time::Instant,
        http2: bool,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            builder,
            gateway,
            config,
            log,
            peer,
            local,
        } = self;
        let timeouts = Timeouts {
            header: config.header_read_timeout,
            keep_alive: config.keep_alive_timeout,
        };
        let (stream, guard) = GuardedStream::new(stream, timeouts, accepted_at, http2);
        // hyper's read buffer bounds a head: recording needs no more than that.
        let (stream, heads) = CaseRecordingStream::new(stream, config.max_head_bytes.max(8192));
        let service = service_fn(move |mut request: Request<Incoming>| {
            // Called in arrival order, so the queue's front is this request's head.
            if let Some(client) = heads.client_headers(&request) {
                request.extensions_mut().insert(client);
            }
            // The connection has no deadline while this request is served (see conn_guard).
            let in_flight = guard.in_flight(request.version() == http::Version::HTTP_10);
            let gateway = gateway.clone();
            let config = config.clone();
            let log = log.clone();
            async move {
                let response = handle(&gateway, &config, &log, request, peer, local).await;
                drop(in_flight);
                Ok::<_, Infallible>(response)
            }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = watcher.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client's (malformed HTTP, resets): nothing to do.
            let _ = connection.await;
        });
    }
}

/// Why a certificate or key could not be used for HTTPS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds no PEM certificate.
    #[error("{path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The key file could not be read or holds no PEM private key.
    #[error("{path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The key does not fit the certificate, or rustls refused them.
    #[error("{0}")]
    Rejected(String),
}

/// HTTPS settings from a PEM certificate chain and a PEM private key, offering HTTP/2 and
/// HTTP/1.1.
pub fn tls_config(
    certificate: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let cert_error = |reason: String| TlsError::Certificate {
        path: certificate.display().to_string(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no PEM certificate in the file".to_string()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rejected(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Rejected(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn plain(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

async fn handle(
    gateway: &Gateway,
    config: &ServerConfig,
    log: &AccessLog,
    request: Request<Incoming>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    // The client's names and order when they were recorded (HTTP/1.x), else hyper's lower-case.
    let mut headers = match parts.extensions.remove::<ClientHeaders>() {
        Some(ClientHeaders(headers)) => headers,
        None => {
            let mut headers = Vec::with_capacity(parts.headers.len() + 1);
            for (name, value) in &parts.headers {
                headers.push((
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
            headers
        }
    };
    // HTTP/2 carries the host in :authority.
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
    {
        headers.push(("host".to_string(), authority.as_str().to_string()));
    }
    let mut incoming = IncomingRequest {
        method: parts.method.as_str().to_string(),
        raw_path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().map(str::to_string),
        headers,
        body: Bytes::new(),
        source_ip: peer.ip(),
        local_port: local.map_or(0, |a| a.port()),
        secure: config.tls.is_some(),
    };
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let method = incoming.method.clone();
    if let Some(root) = &config.static_dir
        && (method == "GET" || method == "HEAD")
        && let Some(file) =
            crate::static_files::lookup(root, &incoming.raw_path, method == "HEAD").await
    {
        log(&AccessRecord {
            method: &method,
            target: &target,
            status: 200,
            latency: started.elapsed(),
            function: None,
            request_id: "-",
            detail: Some("static file"),
        });
        let mut response = Response::new(Full::new(file.body));
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(file.length));
        return response;
    }
    let header_values: usize = parts.headers.values().map(|v| v.len()).sum();
    let expects_continue = parts
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let reply = if target.len() > MAX_URL_BYTES {
        gateway.reject(incoming, GatewayError::uri_too_long())
    } else if header_values > MAX_HEADER_VALUE_BYTES {
        gateway.reject(incoming, GatewayError::headers_too_large())
    } else if declared.is_some_and(|n| n > config.max_body_bytes as u64) {
        // Answered at once, as AWS does. A client waiting for `100 Continue` has sent nothing
        // (reading the body would invite it to); any other one may be writing: what it sends
        // without pausing is read and dropped (bounded), so that it sees the 413 instead of a
        // reset, and a client that sends nothing is not waited for.
        if !expects_continue {
            let mut body = body;
            let mut drained = 0usize;
            let until = tokio::time::Instant::now() + config.body_read_timeout;
            while drained <= DRAIN_LIMIT {
                let quiet = (tokio::time::Instant::now() + DRAIN_QUIET).min(until);
                match tokio::time::timeout_at(quiet, body.frame()).await {
                    Ok(Some(Ok(frame))) => drained += frame.data_ref().map_or(0, |d| d.len()),
                    _ => break,
                }
            }
        }
        gateway.reject(incoming, GatewayError::request_too_large())
    } else {
        let collect = Limited::new(body, config.max_body_bytes).collect();
        match tokio::time::timeout(config.body_read_timeout, collect).await {
            Ok(Ok(collected)) => {
                incoming.body = collected.to_bytes();
                gateway.handle(incoming).await
            }
            Ok(Err(error)) => {
                if error
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    gateway.reject(incoming, GatewayError::request_too_large())
                } else {
                    // The client went away mid-body: nobody is left to answer.
                    return plain(StatusCode::BAD_REQUEST);
                }
            }
            Err(_) => {
                log(&AccessRecord {
                    method: &method,
                    target: &target,
                    status: 408,
                    latency: started.elapsed(),
                    function: None,
                    request_id: "-",
                    detail: Some("the request body did not arrive in time"),
                });
                // The rest of the body may still come: the connection cannot be reused.
                let mut response = plain(StatusCode::REQUEST_TIMEOUT);
                if parts.version < http::Version::HTTP_2 {
                    response
                        .headers_mut()
                        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                }
                return response;
            }
        }
    };
    log(&AccessRecord {
        method: &method,
        target: &target,
        status: reply.status,
        latency: started.elapsed(),
        function: reply.function.as_deref(),
        request_id: &reply.request_id,
        detail: reply.detail.as_deref(),
    });
    to_response(reply)
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        // A function may return header names or values HTTP cannot carry; those are skipped.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}
