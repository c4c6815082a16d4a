#!/usr/bin/env python3
"""CPU time used so far by a server process and by everything under it, for bench/run.sh.

Usage: cpu.py PID   prints "SERVER_US CHILDREN_US STEAL_US": utime+stime in microseconds of PID
itself (all its threads) and the sum over its live descendants (the function instances under the
gateway; nginx's workers; serverless-offline's Python processes), and the machine's steal so far
(time a VM's host ran something else on our cores, summed over the cores). Read twice, around a
wrk run, the differences divided by the requests give the per-request CPU of each side, and the
steal divided by the run's time and the core count the share of the cores the host took: on a
shared VM that share explains most of the noise between two runs of the same row.
"""

import os
import sys

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def stat(pid):
    """(ppid, utime + stime in ticks) of a process, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or ')'.
    fields = text[text.rindex(b")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def steal():
    """The machine's steal so far, in ticks summed over all cores (0 where the kernel has none)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) if len(fields) > 8 else 0


def main():
    root = int(sys.argv[1])
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = stat(int(entry))
            if found:
                procs[int(entry)] = found
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    server = procs.get(root, (0, 0))[1]
    below, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        below += procs[pid][1]
        todo.extend(children.get(pid, []))
    print(f"{server * TICK_US:.0f} {below * TICK_US:.0f} {steal() * TICK_US:.0f}")


if __name__ == "__main__":
    main()
