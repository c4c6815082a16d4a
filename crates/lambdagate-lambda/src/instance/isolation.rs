//! Whose connection is it: a Runtime API connection is served only when it comes from the
//! instance's own process tree (the runtime or a process it started). Checked once per
//! connection (runtimes keep theirs open), off the invocation path; see "Function isolation"
//! in docs/design-notes.md for why the socket's owner rather than a secret in the address.

use crate::process_tree::{self, Seen};
use crate::runtime_api::Peer;

/// Whether `peer` is one of the processes under `pid` now, or one `seen` there before that
/// still runs (a child orphaned when its parent exited).
pub(super) async fn peer_is_in_tree(peer: Peer, pid: u32, seen: Vec<Seen>) -> bool {
    let (peer, local) = match peer {
        Peer::Tcp {
            peer: std::net::SocketAddr::V4(peer),
            local: std::net::SocketAddr::V4(local),
        } => (peer, local),
        Peer::Tcp { .. } => return false,
        // The kernel names the process that connected: it must be one of the instance's.
        Peer::Process(connected) => {
            return tokio::task::spawn_blocking(move || {
                process_tree::walk(pid)
                    .iter()
                    .chain(seen.iter().filter(|p| process_tree::still(p)))
                    .any(|p| p.pid == connected)
            })
            .await
            .unwrap_or(false);
        }
    };
    tokio::task::spawn_blocking(move || {
        let inode = match process_tree::socket_inode(peer, local) {
            Ok(Some(inode)) => inode,
            Ok(None) => return false,
            Err(()) => {
                // Without netlink and /proc nothing can be checked: serve, as before the
                // check existed, and say so once.
                static WARNED: std::sync::Once = std::sync::Once::new();
                WARNED.call_once(|| {
                    tracing::warn!(
                        "cannot tell which process owns a Runtime API connection here \
                         (no sock_diag, no /proc/net/tcp): functions are not isolated"
                    )
                });
                return true;
            }
        };
        let mut tree = process_tree::walk(pid);
        tree.extend(seen.into_iter().filter(process_tree::still));
        process_tree::holds_socket(&tree, inode)
    })
    .await
    .unwrap_or(false)
}
