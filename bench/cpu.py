#!/usr/bin/env python3
"""CPU time used so far by a server process and by everything under it, for bench/run.sh.

Usage: cpu.py PID   prints "SERVER_US CHILDREN_US": utime+stime in microseconds of PID itself
(all its threads) and the sum over its live descendants (the function instances under the
gateway; nginx's workers; serverless-offline's Python processes). Read twice, around a wrk run,
the differences divided by the requests give the per-request CPU of each side.
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
    print(f"{server * TICK_US:.0f} {below * TICK_US:.0f}")


if __name__ == "__main__":
    main()
