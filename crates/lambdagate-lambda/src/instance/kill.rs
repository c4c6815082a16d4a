//! Killing an instance's processes: its group, every descendant of its runtime and every
//! process seen in its tree before, and the guard that does so when its supervisor ends.
//!
//! Separate from the instance's life because it is the one place that sends signals; the
//! instance only says when.

use std::sync::Arc;

use super::{Instance, InstancePool};
use crate::process_tree;

impl<P: InstancePool> Instance<P> {
    /// Kills the runtime's group, every descendant of the runtime (children in sessions of
    /// their own too: they are found through `/proc`, not through the group), and every
    /// process seen in the tree before that is still running (orphans of a child that exited).
    pub(super) fn kill_tree(&self, pid: Option<u32>) {
        let mut tree = pid.map(process_tree::walk).unwrap_or_default();
        {
            let st = self.lock();
            let earlier: Vec<_> = st
                .seen
                .iter()
                .filter(|s| !tree.contains(s))
                .copied()
                .collect();
            tree.extend(earlier);
        }
        kill_group(pid);
        process_tree::kill_all(&tree);
    }
}

/// Kills the instance's processes when dropped, so no instance outlives the service.
pub(super) struct TreeGuard<P: InstancePool>(pub(super) Arc<Instance<P>>, pub(super) Option<u32>);

impl<P: InstancePool> Drop for TreeGuard<P> {
    fn drop(&mut self) {
        self.0.kill_tree(self.1);
    }
}

fn kill_group(pid: Option<u32>) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // ESRCH: the group is already gone.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}
