//! An instance's processes, read from `/proc`: its runtime and every descendant, including
//! children that left its process group (`setsid`). Used to stop a whole instance, to add up
//! its memory against MemorySize, and to tell whether a Runtime API connection comes from one
//! of its processes.

use std::collections::HashSet;

/// A process once seen in an instance's tree. The start time tells it from a later process
/// that reuses the pid, so that stopping an instance never kills a stranger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Seen {
    pub pid: u32,
    start: u64,
}

/// The start time of a process (clock ticks since boot, `/proc/<pid>/stat` field 22), or
/// `None` when it is gone or a zombie.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    if fields.next()? == "Z" {
        return None;
    }
    // `rest` starts at field 3 (state); the start time is field 22.
    fields.nth(18)?.parse().ok()
}

/// The direct children of `pid`, through every thread's `children` list.
fn children(pid: u32, out: &mut Vec<u32>) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for task in tasks.flatten() {
        let path = task.path().join("children");
        if let Ok(list) = std::fs::read_to_string(path) {
            out.extend(list.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
}

/// `root` and all its living descendants, root first.
pub(crate) fn walk(root: u32) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut queue = vec![root];
    let mut visited = HashSet::new();
    while let Some(pid) = queue.pop() {
        if !visited.insert(pid) {
            continue;
        }
        let Some(start) = start_time(pid) else {
            continue;
        };
        seen.push(Seen { pid, start });
        children(pid, &mut queue);
    }
    seen
}

/// Whether `seen` is still that process (alive, same start time).
pub(crate) fn still(seen: &Seen) -> bool {
    start_time(seen.pid) == Some(seen.start)
}

/// Kills every process of `tree` that is still the one seen (SIGKILL).
pub(crate) fn kill_all(tree: &[Seen]) {
    use nix::sys::signal::{Signal, kill};
    for p in tree {
        if still(p)
            && let Ok(pid) = i32::try_from(p.pid)
        {
            let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// A `/proc/<pid>/status` field in kB (`VmRSS`, `VmHWM`), 0 when unreadable.
pub(crate) fn status_kb(pid: u32, field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
}

/// The memory an instance uses, in kB: the resident memory of all its processes, or its
/// runtime's peak when that is higher (a spike between two readings still counts).
pub(crate) fn memory_kb(tree: &[Seen]) -> u64 {
    let rss: u64 = tree.iter().map(|p| status_kb(p.pid, "VmRSS")).sum();
    let peak = tree.first().map_or(0, |p| status_kb(p.pid, "VmHWM"));
    rss.max(peak)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_includes_children_in_other_sessions_and_kill_all_ends_them() {
        let mut parent = std::process::Command::new("sh")
            .args(["-c", "setsid sleep 30 & sleep 30 & wait"])
            .spawn()
            .unwrap();
        let root = parent.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let tree = loop {
            let tree = walk(root);
            if tree.len() >= 3 {
                break tree;
            }
            assert!(std::time::Instant::now() < deadline, "{tree:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(tree[0].pid, root);
        assert!(memory_kb(&tree) > 0);
        kill_all(&tree);
        parent.wait().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while tree.iter().any(still) {
            assert!(std::time::Instant::now() < deadline, "survivors in {tree:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
