//! The Lambda Runtime API of one instance, on its own 127.0.0.1 listener (runtime clients
//! accept only `host:port`, so instances cannot share one address with a path prefix), and
//! the same API on a Unix socket for our own bootstraps (see "The Runtime API on a Unix
//! socket" in docs/design-notes.md).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};

use crate::{Invocation, Outcome, errors};

const PREFIX: &str = "/2018-06-01/runtime/";

/// Sent by our own bootstraps on `POST …/response` and `…/error` when a `GET …/next` follows
/// on the same connection (HTTP/1.1 pipelining). The answer then waits for the instance's next
/// event, so that the 202 and the event leave in one write and the runtime wakes once per
/// invocation instead of twice; the `GET` takes the event that was waited for. Clients that
/// do not send it (the official runtime clients) get the usual immediate 202.
const NEXT_FOLLOWS: &str = "lambdagate-next-follows";

/// What the Runtime API needs of the execution environment it serves: one call per Runtime API
/// operation. An instance implements it; this module knows nothing else of instances, so it
/// stays below them (the instance starts this listener, the listener only answers to it).
///
/// Served through a generic, not `dyn`: the futures of `next` and `prefetch_next` stay unboxed
/// on the per-invocation path.
pub(crate) trait ExecutionEnvironment: Send + Sync + 'static {
    /// `GET /runtime/invocation/next`: waits for the next invocation; `None` when the
    /// environment is stopping (the runtime is told to exit).
    fn next(
        self: &Arc<Self>,
        conn: &Arc<Connection>,
    ) -> impl Future<Output = Option<NextEvent>> + Send;

    /// For a runtime that pipelined its `GET /next` behind the answer just accepted (see
    /// [`NEXT_FOLLOWS`]): waits for the next event now, so the answer and the event can leave
    /// together. The `GET /next` that follows takes it.
    fn prefetch_next(self: &Arc<Self>, conn: &Arc<Connection>) -> impl Future<Output = ()> + Send;

    /// `POST /runtime/invocation/{id}/response` or `/error`: the answer to the invocation in
    /// progress; `Err` when `request_id` is not that invocation.
    fn complete(&self, request_id: &str, outcome: Outcome) -> Result<(), ()>;

    /// `POST /runtime/init/error`: the runtime could not initialize; the error type and body
    /// become the answer to the invocations that wait for this environment.
    fn init_error(&self, error_type: String, payload: Bytes);

    /// Whether a connection comes from one of the environment's own processes. Any other
    /// connection is closed unanswered: another function's process that found this port must
    /// not take these invocations or answer them.
    fn owns_connection(self: &Arc<Self>, peer: Peer) -> impl Future<Output = bool> + Send;
}

/// Who is at the other end of a Runtime API connection, as far as the kernel tells.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Peer {
    /// A TCP connection from `peer` to our `local` address: its owner is found by its socket.
    Tcp { peer: SocketAddr, local: SocketAddr },
    /// A Unix socket connection, made by this process (`SO_PEERCRED`).
    Process(u32),
}

/// Where an instance's Runtime API listens.
pub(crate) struct Listening {
    /// The TCP address, `AWS_LAMBDA_RUNTIME_API`: what every runtime client uses.
    pub addr: SocketAddr,
    /// The Unix socket our own bootstraps use instead (`LAMBDAGATE_RUNTIME_SOCKET`), when one
    /// could be made: the same API in frames ([`crate::runtime_frames`]).
    pub unix: Option<PathBuf>,
    /// Accepts on both (on the Unix socket, the bootstrap's one connection, which it then
    /// serves); aborting it closes them and removes the socket's folder if still there.
    pub task: tokio::task::JoinHandle<()>,
}

/// The environment variable that gives our own bootstraps the Runtime API's Unix socket.
/// They remove it from their environment before the function's code is loaded.
pub(crate) const SOCKET_ENV: &str = "LAMBDAGATE_RUNTIME_SOCKET";

/// What `GET /next` answers.
pub(crate) struct NextEvent {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: Arc<str>,
    /// `Lambda-Runtime-Deadline-Ms`: the invocation's deadline in Unix milliseconds.
    pub deadline_ms: u128,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// Lambda always passes a trace header; this one is used when the caller sent none.
    pub fallback_trace_id: String,
    /// The event and the caller's context.
    pub invocation: Invocation,
}

impl NextEvent {
    /// The Runtime API headers that come with the event (`GET /next`'s, and the frames' `V`).
    pub(crate) fn each_header(&self, mut put: impl FnMut(&'static str, &str)) {
        let inv = &self.invocation;
        put("lambda-runtime-aws-request-id", &self.request_id);
        put("lambda-runtime-deadline-ms", &self.deadline_ms.to_string());
        put("lambda-runtime-invoked-function-arn", &self.function_arn);
        put(
            "lambda-runtime-trace-id",
            inv.trace_id.as_deref().unwrap_or(&self.fallback_trace_id),
        );
        if let Some(cc) = &inv.client_context {
            put("lambda-runtime-client-context", cc);
        }
        if let Some(ci) = &inv.cognito_identity {
            put("lambda-runtime-cognito-identity", ci);
        }
    }
}

/// Binds an ephemeral port on 127.0.0.1, and a Unix socket in a fresh private folder when
/// `unix` asks for one, and serves the Runtime API for `instance` on both.
pub(crate) async fn serve<E: ExecutionEnvironment>(
    instance: Arc<E>,
    unix: bool,
) -> std::io::Result<Listening> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Without a Unix socket our bootstraps use TCP like every other client: slower, not wrong.
    let unix = if unix {
        UnixSocket::bind()
            .map_err(|e| tracing::debug!("no Unix socket for the Runtime API: {e}"))
            .ok()
    } else {
        None
    };
    let unix_path = unix.as_ref().map(|u| u.path.clone());
    let tcp_instance = instance.clone();
    let tcp = async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            // Without TCP_NODELAY a small round trip waits on Nagle + delayed ACK (~40-90 ms).
            let _ = stream.set_nodelay(true);
            let instance = tcp_instance.clone();
            tokio::spawn(async move {
                let peer = Peer::Tcp { peer, local: addr };
                if let Ok(fd) = stream.as_fd().try_clone_to_owned() {
                    serve_connection(instance, peer, stream, fd).await;
                }
            });
        }
    };
    let unix = async move {
        let Some(socket) = unix else {
            return std::future::pending().await;
        };
        // The bootstrap connects once. As soon as it has, the socket and its folder go: no one
        // else can connect after that, and nothing is left behind if lambdagate is killed.
        let (stream, pid) = loop {
            let Ok((stream, _)) = socket.listener.accept().await else {
                continue;
            };
            let Some(pid) = stream
                .peer_cred()
                .ok()
                .and_then(|cred| cred.pid())
                .and_then(|pid| u32::try_from(pid).ok())
            else {
                continue;
            };
            if instance.owns_connection(Peer::Process(pid)).await {
                break (stream, pid);
            }
            tracing::warn!(
                "refused a Runtime API connection from process {pid}: not a process of this instance"
            );
        };
        drop(socket);
        let Ok(fd) = stream.as_fd().try_clone_to_owned() else {
            tracing::debug!("cannot watch the Runtime API connection of process {pid}");
            return;
        };
        let conn = Connection::new(fd);
        let io = Watched {
            inner: stream,
            conn: conn.clone(),
        };
        crate::runtime_frames::serve(instance, conn, io).await;
    };
    let task = tokio::spawn(async move {
        tokio::join!(tcp, unix);
    });
    Ok(Listening {
        addr,
        unix: unix_path,
        task,
    })
}

/// A Unix listener in a folder of its own (mode 0700, under the temporary directory): only
/// our user can reach it, and the folder goes when the listener does.
struct UnixSocket {
    listener: UnixListener,
    path: PathBuf,
    /// Removes the folder and the socket on drop.
    _folder: tempfile::TempDir,
}

impl UnixSocket {
    fn bind() -> std::io::Result<Self> {
        let folder = tempfile::Builder::new().prefix("lambdagate-").tempdir()?;
        let path = folder.path().join("runtime.sock");
        // A Unix socket path holds at most 107 bytes; a long TMPDIR falls back to TCP.
        if path.as_os_str().len() > 100 {
            return Err(std::io::Error::other("the socket path would be too long"));
        }
        let listener = UnixListener::bind(&path)?;
        Ok(Self {
            listener,
            path,
            _folder: folder,
        })
    }
}

/// Serves one runtime connection (TCP or Unix) once its peer is known to be the instance's.
async fn serve_connection<E, S>(instance: Arc<E>, peer: Peer, stream: S, fd: OwnedFd)
where
    E: ExecutionEnvironment,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if !instance.owns_connection(peer).await {
        tracing::warn!(
            "refused a Runtime API connection from {peer:?}: not a process of this instance"
        );
        return;
    }
    let conn = Connection::new(fd);
    let io = Watched {
        inner: stream,
        conn: conn.clone(),
    };
    let service = service_fn(move |req| handle(instance.clone(), conn.clone(), req));
    let _ = http1::Builder::new()
        .keep_alive(true)
        // Answers to pipelined requests go out in one write (see NEXT_FOLLOWS).
        .pipeline_flush(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// One runtime's connection, as far as telling whether the runtime saw an event goes: a
/// runtime killed just as an event was handed to it never read it, and that invocation goes to
/// another instance instead of failing (see "Never hand an event to a dead runtime" in
/// docs/design-notes.md).
pub(crate) struct Connection {
    /// A duplicate of the socket (close-on-exec), to ask the kernel about it.
    fd: OwnedFd,
    /// Bytes written to the runtime so far.
    written: AtomicU64,
    /// A read or write failed with a reset: the runtime closed with data it had not read.
    reset: AtomicBool,
}

impl Connection {
    fn new(fd: OwnedFd) -> Arc<Self> {
        Arc::new(Connection {
            fd,
            written: AtomicU64::new(0),
            reset: AtomicBool::new(false),
        })
    }

    /// Bytes written to the runtime so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// Whether the runtime has closed its end (it exited): nothing written now will be read.
    pub fn peer_gone(&self) -> bool {
        use nix::sys::socket::{MsgFlags, recv};
        let mut byte = [0u8; 1];
        match recv(
            self.fd.as_raw_fd(),
            &mut byte,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(0) => true,
            Ok(_) => false,
            Err(nix::errno::Errno::EAGAIN) => false,
            Err(_) => true,
        }
    }

    /// Whether the runtime closed the connection with bytes it had not read (the kernel
    /// answered with a reset): what was last written never reached it.
    pub fn reset(&self) -> bool {
        if self.reset.load(Ordering::Acquire) {
            return true;
        }
        let pending =
            nix::sys::socket::getsockopt(&self.fd, nix::sys::socket::sockopt::SocketError);
        let reset = matches!(pending, Ok(e) if e == nix::errno::Errno::ECONNRESET as i32
            || e == nix::errno::Errno::EPIPE as i32);
        reset || self.reset.load(Ordering::Acquire)
    }
}

/// The socket of a runtime's connection, counting what is written and noting resets.
struct Watched<S> {
    inner: S,
    conn: Arc<Connection>,
}

impl<S> Watched<S> {
    fn note<T>(&self, result: &std::io::Result<T>) {
        if let Err(e) = result
            && matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        {
            self.conn.reset.store(true, Ordering::Release);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(result) = &polled {
            self.note(result);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Watched<S> {
    fn count(&self, polled: &std::task::Poll<std::io::Result<usize>>) {
        if let std::task::Poll::Ready(result) = polled {
            if let Ok(n) = result {
                self.conn.written.fetch_add(*n as u64, Ordering::AcqRel);
            }
            self.note(result);
        }
    }
}

type Answer = Response<Full<Bytes>>;

fn json(status: StatusCode, error_type: &str, message: &str) -> Answer {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

fn accepted() -> Answer {
    let mut res = Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
    *res.status_mut() = StatusCode::ACCEPTED;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The error type a runtime names in `Lambda-Runtime-Function-Error-Type`, else `Unhandled`.
fn error_type(req: &Request<Incoming>) -> String {
    req.headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("Unhandled")
        .to_string()
}

enum Body {
    Ok(Bytes),
    TooLarge,
    Broken,
}

async fn read_body(req: Request<Incoming>, limit: usize) -> Body {
    match read_body_and_trailers(req, limit).await {
        Ok((body, _)) => Body::Ok(body),
        Err(e) => e,
    }
}

async fn read_body_and_trailers(
    req: Request<Incoming>,
    limit: usize,
) -> Result<(Bytes, Option<http::HeaderMap>), Body> {
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => {
            let trailers = collected.trailers().cloned();
            Ok((collected.to_bytes(), trailers))
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Body::TooLarge),
        Err(_) => Err(Body::Broken),
    }
}

/// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) is collected
/// whole; an error reported mid-stream in the trailers fails the invocation with that error.
fn streamed_outcome(body: Bytes, trailers: Option<&http::HeaderMap>) -> Outcome {
    use base64::Engine;
    let Some(error_type) = trailers
        .and_then(|t| t.get("lambda-runtime-function-error-type"))
        .and_then(|v| v.to_str().ok())
    else {
        return Outcome::Response(body);
    };
    let raw = trailers
        .and_then(|t| t.get("lambda-runtime-function-error-body"))
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .unwrap_or(raw);
    Outcome::Error {
        error_type: error_type.to_string(),
        payload: Bytes::from(payload),
    }
}

async fn handle<E: ExecutionEnvironment>(
    instance: Arc<E>,
    conn: Arc<Connection>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(not_found(&path));
    };
    let answer = match (req.method(), rest) {
        (&Method::GET, "invocation/next") => next(&instance, &conn).await,
        (&Method::POST, "init/error") => {
            let kind = error_type(&req);
            match read_body(req, errors::MAX_RESPONSE_BYTES).await {
                Body::Ok(body) => {
                    instance.init_error(kind, body);
                    accepted()
                }
                Body::TooLarge => too_large(),
                Body::Broken => bad_body(),
            }
        }
        (&Method::POST, rest) => match rest
            .strip_prefix("invocation/")
            .and_then(|r| r.rsplit_once('/'))
        {
            Some((id, "response")) => {
                let id = id.to_string();
                let next_follows = req.headers().contains_key(NEXT_FOLLOWS);
                let streaming = req
                    .headers()
                    .get("lambda-runtime-function-response-mode")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
                match read_body_and_trailers(req, errors::MAX_RESPONSE_BYTES).await {
                    Ok((body, trailers)) if streaming => {
                        let outcome = streamed_outcome(body, trailers.as_ref());
                        finish(&instance, &conn, &id, outcome, next_follows).await
                    }
                    Ok((body, _)) => {
                        finish(&instance, &conn, &id, Outcome::Response(body), next_follows).await
                    }
                    Err(Body::TooLarge) => {
                        // The caller gets Lambda's error; the runtime hears it was too much.
                        let _ = instance.complete(&id, errors::response_too_large());
                        too_large()
                    }
                    Err(_) => bad_body(),
                }
            }
            Some((id, "error")) => {
                let id = id.to_string();
                let kind = error_type(&req);
                let next_follows = req.headers().contains_key(NEXT_FOLLOWS);
                match read_body(req, errors::MAX_RESPONSE_BYTES).await {
                    Body::Ok(payload) => {
                        let outcome = Outcome::Error {
                            error_type: kind,
                            payload,
                        };
                        finish(&instance, &conn, &id, outcome, next_follows).await
                    }
                    Body::TooLarge => too_large(),
                    Body::Broken => bad_body(),
                }
            }
            _ => not_found(&path),
        },
        _ => not_found(&path),
    };
    Ok(answer)
}

async fn finish<E: ExecutionEnvironment>(
    instance: &Arc<E>,
    conn: &Arc<Connection>,
    id: &str,
    outcome: Outcome,
    next_follows: bool,
) -> Answer {
    match instance.complete(id, outcome) {
        Ok(()) => {
            if next_follows {
                instance.prefetch_next(conn).await;
            }
            accepted()
        }
        Err(()) => json(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            &format!("Invalid request ID: {id} is not the invocation in progress"),
        ),
    }
}

async fn next<E: ExecutionEnvironment>(instance: &Arc<E>, conn: &Arc<Connection>) -> Answer {
    let Some(event) = instance.next(conn).await else {
        return json(
            StatusCode::GONE,
            "InstanceStopping",
            "this instance is being stopped; exit",
        );
    };
    let mut res = Response::new(Full::new(event.invocation.payload.clone()));
    let headers = res.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    event.each_header(|name, value| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    });
    res
}

fn not_found(path: &str) -> Answer {
    json(
        StatusCode::NOT_FOUND,
        "UnknownResource",
        &format!(
            "{path} is not part of the Lambda Runtime API (GET {PREFIX}invocation/next, POST \
             {PREFIX}invocation/{{id}}/response, POST {PREFIX}invocation/{{id}}/error, POST \
             {PREFIX}init/error)"
        ),
    )
}

fn too_large() -> Answer {
    json(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!(
            "Exceeded maximum allowed payload size ({} bytes).",
            errors::MAX_RESPONSE_BYTES
        ),
    )
}

fn bad_body() -> Answer {
    json(
        StatusCode::BAD_REQUEST,
        "InvalidRequest",
        "the request body could not be read",
    )
}
