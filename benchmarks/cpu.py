"""
CPU accounting for the benchmarks, read from /proc (Linux): the CPU seconds of each part of the
stack (a process and all its children, such as gunicorn's master and workers or PostgreSQL's
postmaster and backends), of this process, and of the whole machine; and a process's memory.

A part is named by its root processes; children count as long as they are alive, and once they
exit and are reaped their time moves to their parent's (cutime, cstime), so nothing is lost.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def memory_mb() -> tuple[float, float]:
    """Return this process's resident memory now and at its peak, in MB (VmRSS, VmHWM).

    Not getrusage's ru_maxrss: on Linux that keeps the peak of the process that forked this
    one, so a child of a benchmark holding a large roster would report the benchmark's.
    """
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # kB
    return values["VmRSS"], values["VmHWM"]


def process_table() -> dict[int, tuple[int, float, str]]:
    """Return pid -> (parent pid, CPU seconds incl. reaped children, command name) for every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        table[int(entry.name)] = (int(fields[1]), ticks / CLOCK_TICKS, name)
    return table


def tree_seconds(table: dict[int, tuple[int, float, str]], roots: list[int]) -> float:
    """Return the CPU seconds of `roots` and all their descendants in `table`."""
    children = defaultdict(list)
    for pid, (ppid, _seconds, _name) in table.items():
        children[ppid].append(pid)
    total, todo = 0.0, [root for root in roots if root in table]
    while todo:
        pid = todo.pop()
        total += table[pid][1]
        todo += children[pid]
    return total


def server_roots(name: str) -> list[int]:
    """Return the pids of processes called `name` whose parent is not (PostgreSQL's postmaster, redis-server)."""
    table = process_table()
    return [pid for pid, (ppid, _s, comm) in table.items() if comm == name and table.get(ppid, (0, 0, ""))[2] != name]


def machine_seconds() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


@dataclass
class CpuSample:
    at: float  # time.monotonic()
    machine_busy: float
    machine_total: float
    own: float  # this process
    parts: dict[str, float]


class CpuMeter:
    """CPU seconds of each named part of the stack (process trees), of this process and of the machine."""

    def __init__(self, parts: dict[str, list[int]]):
        self.parts = {name: roots for name, roots in parts.items() if roots}

    def sample(self) -> CpuSample:
        table = process_table()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = machine_seconds()
        return CpuSample(
            at=time.monotonic(),
            machine_busy=busy,
            machine_total=total,
            own=usage.ru_utime + usage.ru_stime,
            parts={name: tree_seconds(table, roots) for name, roots in self.parts.items()},
        )

    @staticmethod
    def used(before: CpuSample, after: CpuSample) -> dict[str, float]:
        """Return each part's CPU seconds between two samples."""
        return {name: after.parts[name] - before.parts[name] for name in before.parts}
