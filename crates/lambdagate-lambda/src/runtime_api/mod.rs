//! The Lambda Runtime API of one instance, on its own 127.0.0.1 listener (runtime clients
//! accept only `host:port`, so instances cannot share one address with a path prefix), and
//! the same API in frames on a Unix socket for our own bootstraps (see "The Runtime API of our
//! own bootstraps: frames on a Unix socket" in docs/design-notes.md).
//!
//! Layers: `environment` (what is served) and `connection` (the socket's watch) at the bottom,
//! `http` and `frames` (the two wires) above them, the listeners here on top.

mod connection;
mod environment;
mod frames;
mod http;

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{TcpListener, UnixListener};

pub(crate) use connection::{Connection, Watched};
pub(crate) use environment::{EventDeadline, ExecutionEnvironment, NextEvent, Peer};

/// Where an instance's Runtime API listens.
pub(crate) struct Listening {
    /// The TCP address, `AWS_LAMBDA_RUNTIME_API`: what every runtime client uses.
    pub addr: SocketAddr,
    /// The Unix socket our own bootstraps use instead (`LAMBDAGATE_RUNTIME_SOCKET`), when one
    /// could be made: the same API in frames ([`frames`]).
    pub unix: Option<PathBuf>,
    /// Accepts on both (on the Unix socket, the bootstrap's one connection, which it then
    /// serves); aborting it closes them and removes the socket's folder if still there.
    pub task: tokio::task::JoinHandle<()>,
    /// Turns true when the frame connection on the Unix socket has ended (with a Unix socket).
    pub frames_done: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The environment variable that gives our own bootstraps the Runtime API's Unix socket.
/// They remove it from their environment before the function's code is loaded.
pub(crate) const SOCKET_ENV: &str = "LAMBDAGATE_RUNTIME_SOCKET";

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
    let (frames_ended, frames_done) = tokio::sync::watch::channel(false);
    let frames_done = unix.is_some().then_some(frames_done);
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
                    http::serve_connection(instance, peer, stream, fd).await;
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
        let io = Watched::new(stream, conn.clone());
        frames::serve(instance, conn, io).await;
        frames_ended.send_replace(true);
    };
    let task = tokio::spawn(async move {
        tokio::join!(tcp, unix);
    });
    Ok(Listening {
        addr,
        unix: unix_path,
        task,
        frames_done,
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
