//! The memory of an instance: REPORT's Max Memory Used (the runtime's peak, re-read at most
//! every [`MEMORY_READ_INTERVAL`]) and the pool's sampler that holds a running invocation to
//! MemorySize (`Runtime.OutOfMemory`).
//!
//! Separate from the instance's life because both read `/proc` and are tuned for cost on the
//! request path; the sampler also records the processes seen in the instance's tree, which
//! stopping the instance kills.

use std::time::{Duration, Instant};

use super::{Instance, InstancePool, State};
use crate::{errors, process_tree};

/// How often REPORT re-reads the instance's peak memory. Reading `/proc/<pid>/status` renders
/// the whole file in the kernel and cost a sixth of the gateway's CPU when done per invocation;
/// the peak only grows, so a reading at most this old is a close lower bound.
const MEMORY_READ_INTERVAL: Duration = Duration::from_millis(250);

/// How often the memory of an instance running an invocation is checked against MemorySize.
/// Invocations shorter than this are never read (no cost on the request path); the runtime's
/// peak (`VmHWM`) is part of the reading, so a spike between two readings still counts.
pub(crate) const MEMORY_SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

impl State {
    /// REPORT's Max Memory Used in MB: the last reading while it is younger than
    /// [`MEMORY_READ_INTERVAL`], else a new one (0 before the process has started).
    pub(super) fn max_memory_used(&mut self) -> u64 {
        let now = Instant::now();
        match (self.memory, self.pid) {
            (Some((at, mb)), _) if now.duration_since(at) < MEMORY_READ_INTERVAL => mb,
            (_, Some(pid)) => {
                let mb = max_memory_mb(pid);
                self.memory = Some((now, mb));
                mb
            }
            (_, None) => 0,
        }
    }
}

impl<P: InstancePool> Instance<P> {
    /// Adds up the memory of the instance's processes while it runs an invocation (at most
    /// every [`MEMORY_SAMPLE_INTERVAL`], by the pool's sampler) and ends the invocation as
    /// Lambda does when it is over MemorySize: `Runtime.OutOfMemory`, the instance stopped.
    pub fn check_memory(&self) {
        let (pid, request_id) = {
            let st = self.lock();
            match (&st.current, st.pid) {
                (Some(c), Some(pid)) if c.started.elapsed() >= MEMORY_SAMPLE_INTERVAL => {
                    (pid, c.request_id.clone())
                }
                _ => return,
            }
        };
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let tree = process_tree::walk(pid);
        let used_kb = process_tree::memory_kb(&tree);
        let limit_mb = u64::from(pool.function().memory_mb);
        let current = {
            let mut st = self.lock();
            let mut seen: Vec<process_tree::Seen> = st
                .seen
                .iter()
                .filter(|s| !tree.contains(s) && process_tree::still(s))
                .copied()
                .collect();
            seen.extend(tree);
            st.seen = seen;
            if used_kb <= limit_mb * 1024 {
                return;
            }
            match &st.current {
                Some(c) if c.request_id == request_id => {}
                _ => return,
            }
            st.stopping = true;
            // REPORT's Max Memory Used: what was read, as Lambda reports the limit it hit.
            st.memory = Some((Instant::now(), used_kb.div_ceil(1024)));
            st.current.take()
        };
        self.wake.notify_one();
        if let Some(current) = current {
            let outcome = errors::out_of_memory(&current.request_id);
            self.finish(current, outcome, Some("error"));
        }
    }
}

/// Peak resident memory of a process in MB (`VmHWM`), as REPORT's Max Memory Used.
fn max_memory_mb(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb.div_ceil(1024))
}
