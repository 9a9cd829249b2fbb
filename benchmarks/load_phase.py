"""
One phase of the load check: every teacher logs in with Clever at the same moment (a first login,
or a returning one), while the CPU of each part of the stack and the accept queues of the two
servers are watched; then what the browsers saw, what gunicorn's log says and what the sandbox
was asked, and a report of it all. The whole run is described in docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cpu import CpuMeter, CpuSample
from benchmarks.load_login import STEPS, LoginResult, clever_login
from benchmarks.report import markdown_table, ms, percentile, spread
from benchmarks.stack import Sandbox

CLEVER_ID = re.compile(r"\b[0-9a-f]{24}\b")
LOG_LINE = re.compile(
    r"^(?:\S+ \S+ (?P<level>WARNING|ERROR|CRITICAL) (?P<logger>\S+)"  # Django's logging
    r"|\[[^]]+\] \[\d+\] \[(?P<gunicorn>WARNING|ERROR|CRITICAL)\]) (?P<message>.*)$"  # gunicorn's (WORKER TIMEOUT)
)
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms')
# Parts of the stack in the CPU report.
SANDBOX_PART = "sandbox (one process)"
BROWSERS = "browsers (this script)"
EVERYTHING_ELSE = "everything else on the machine"


@dataclass
class Phase:
    name: str  # "first" or "returning"
    results: list[LoginResult]
    wall: float
    before: CpuSample
    after: CpuSample
    listen_overflows: int  # connections the machine refused because a listen queue was full
    sandbox_calls: list[dict]
    server_times: dict[str, list[int]]  # gunicorn's own time per request path (ms)
    queue_peaks: dict[str, int]  # listening server -> longest accept queue seen
    log_problems: Counter  # the product's warnings and errors (numbers blanked), e.g. deadlock retries

    @property
    def errors(self) -> list[LoginResult]:
        return [result for result in self.results if result.error]

    @property
    def succeeded(self) -> list[float]:
        """The whole-login seconds of the logins that succeeded."""
        return [result.seconds for result in self.results if not result.error]


def run_phase(
    *,
    name: str,
    roster: dict,
    app: str,
    sandbox: Sandbox,
    concurrency: int,
    timeout: float,
    meter: CpuMeter,
    access_log: Path,
    ports: dict[str, int],
) -> Phase:
    """Log every teacher in at once (`concurrency` at a time); return what happened."""
    schools = {school["id"]: school["name"] for school in roster["schools"]}
    teachers = [(teacher["id"], schools[teacher["school"]]) for teacher in roster["teachers"]]
    go = threading.Event()
    log_offset = access_log.stat().st_size

    def one(teacher_id: str, school_name: str) -> LoginResult:
        go.wait()
        return clever_login(
            app=app,
            sandbox=sandbox.url,
            teacher_id=teacher_id,
            school_name=school_name,
            returning=name == "returning",
            timeout=timeout,
        )

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"teacher-{name}")
    try:
        futures = [pool.submit(one, teacher_id, school) for teacher_id, school in teachers]
        time.sleep(0.2)  # let the threads reach the starting line
        with QueueWatcher(ports) as queues:
            overflows = listen_overflows()
            before = meter.sample()
            go.set()
            results = [future.result() for future in futures]
            after = meter.sample()
            overflows = listen_overflows() - overflows
    finally:
        go.set()
        pool.shutdown(wait=False, cancel_futures=True)
    calls = sandbox.control("GET", "calls")["calls"]
    sandbox.control("DELETE", "calls")
    return Phase(
        name=name,
        results=results,
        wall=after.at - before.at,
        before=before,
        after=after,
        listen_overflows=overflows,
        sandbox_calls=calls,
        server_times=_server_times(access_log, log_offset),
        log_problems=_log_problems(access_log, log_offset),
        queue_peaks=queues.peaks,
    )


# --- Watching the servers ----------------------------------------------------------------------


def listen_overflows() -> int:
    """Return the machine's count of connections dropped because a listen queue was full (TcpExt)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines()]
        names, values = next((a, b) for a, b in itertools.pairwise(lines) if a[0] == "TcpExt:" == b[0])
        return int(values[names.index("ListenOverflows")])
    return 0


class QueueWatcher:
    """Sample the accept queue of listening ports while a phase runs (`ss`, ten times a second); keep the peaks.

    `ss` asks the kernel for listening sockets only; reading /proc/net/tcp instead walks every
    TIME_WAIT connection a load run leaves behind and would itself eat a core.
    """

    def __init__(self, ports: dict[str, int], interval: float = 0.1):
        self.ports = {f":{port}": name for name, port in ports.items()}
        self.filter = "( " + " or ".join(f"sport = :{port}" for port in ports.values()) + " )"
        self.interval = interval
        self.ss = shutil.which("ss")  # iproute2
        self.peaks = dict.fromkeys(ports, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="queue-watcher", daemon=True)

    def __enter__(self):
        if self.ss:
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            listening = subprocess.run(  # noqa: S603 - fixed arguments
                [self.ss, "-Hltn", self.filter], capture_output=True, text=True, check=False
            ).stdout
            for line in listening.splitlines():
                _state, queued, _backlog, local, *_rest = line.split()
                name = self.ports.get(local[local.rindex(":") :])
                if name:
                    self.peaks[name] = max(self.peaks[name], int(queued))


def _log_problems(log_file: Path, offset: int) -> Counter:
    problems = Counter()
    with log_file.open("rb") as log:
        log.seek(offset)
        for line in log.read().decode(errors="replace").splitlines():
            match = LOG_LINE.match(line)
            if match:
                message = re.sub(r"\d+", "N", match["message"])[:160]
                source = f"{match['level']} {match['logger']}" if match["level"] else f"{match['gunicorn']} gunicorn"
                problems[f"{source}: {message}"] += 1
    return problems


def _server_times(access_log: Path, offset: int) -> dict[str, list[int]]:
    times = defaultdict(list)
    with access_log.open("rb") as log:
        log.seek(offset)
        for line in log.read().decode(errors="replace").splitlines():
            match = ACCESS_LINE.search(line)
            if match:
                times[f"{match['method']} {match['path']}"].append(int(match["ms"]))
    return times


# --- Report ------------------------------------------------------------------------------------


def print_phase(phase: Phase, *, sections: float | None, sandbox_backlog: int) -> None:
    """Print what one phase did: throughput, latency per step, errors, the sandbox's calls and the CPU."""
    ok = [result for result in phase.results if not result.error]
    print(f"\n## Phase: {phase.name} login ({len(phase.results)} teachers)\n")
    print(f"- throughput: {len(ok) / phase.wall:.2f} logins/s ({len(ok)} succeeded in {phase.wall:.1f} s)")
    print(f"- whole login: {spread(phase.succeeded)}")
    print(f"- errors: {len(phase.errors)}")
    resent = sum(result.resent for result in phase.results)
    if resent:
        print(f"  ({resent} requests sent again, as a browser does, after the server closed an idle connection)")
    for problem, number in Counter(str(result.error) for result in phase.errors).most_common(8):
        print(f"    {number} x {problem}")

    steps = []
    for step, what in STEPS.items():
        values = [result.steps[step] for result in ok if step in result.steps]
        if values:
            steps.append((step, what, ms(percentile(values, 50)), ms(percentile(values, 95)), ms(max(values))))
    print("\n" + markdown_table(["step", "what", "p50", "p95", "max"], steps, "llrrr"))

    print("\nTime gunicorn spent per request (its access log), against the browsers' own view above:\n")
    timings = [
        (
            path,
            len(values),
            *(f"{value:,.0f} ms" for value in (percentile(values, 50), percentile(values, 95), max(values))),
        )
        for path, values in sorted(phase.server_times.items(), key=lambda item: -sum(item[1]))
    ]
    print(markdown_table(["request", "count", "p50", "p95", "max"], timings, "lrrrr"))

    print(f"\nProduct log: {sum(phase.log_problems.values())} warnings and errors")
    for problem, number in phase.log_problems.most_common(8):
        print(f"    {number:>6}  {problem}")

    _print_sandbox_calls(phase, sections=sections)
    _print_cpu(phase, sandbox_backlog=sandbox_backlog)


def _print_sandbox_calls(phase: Phase, *, sections: float | None) -> None:
    """`sections`: per teacher, for the expected calls of a login's sync; None when logins skip it."""
    by_endpoint = Counter(f"{call['method']} {CLEVER_ID.sub('{id}', call['path'])}" for call in phase.sandbox_calls)
    refused = Counter(call["status"] for call in phase.sandbox_calls if not call["status"] or call["status"] >= 400)
    per_login = len(phase.sandbox_calls) / max(1, len(phase.results))
    login = "sign-in page and choice 2, code exchange 1"
    if sections is None:
        expected = f"4: {login}, /me 1, no teacher record and no sync (the district was synced ahead)"
    elif phase.name == "first":
        # A teacher new to us: the welcome page names their school.
        expected = f"{9 + sections:g}: {login}, /me, teacher and school 3, sync 3 + {sections:g} sections"
    else:
        expected = f"{8 + sections:g}: {login}, /me and teacher 2, sync 3 + {sections:g} sections"
    print(
        f"\nSandbox calls: {len(phase.sandbox_calls)} ({per_login:.1f} per login; expected {expected}); "
        f"refused: {dict(refused) if refused else 'none'}"
    )
    for endpoint, number in sorted(by_endpoint.items()):
        print(f"    {number:>6}  {endpoint}")


def _print_cpu(phase: Phase, *, sandbox_backlog: int) -> None:
    busy = phase.after.machine_busy - phase.before.machine_busy
    total = phase.after.machine_total - phase.before.machine_total
    cores = os.cpu_count() or 1
    used = CpuMeter.used(phase.before, phase.after)
    used[BROWSERS] = phase.after.own - phase.before.own
    used[EVERYTHING_ELSE] = max(0.0, busy - sum(used.values()))
    print(
        f"\nCPU during the phase: machine {100 * busy / total:.0f}% busy ({cores} cores); "
        "cores used on average, and CPU time per login:"
    )
    for name, seconds in used.items():
        print(f"    {seconds / phase.wall:5.2f}  {1000 * seconds / len(phase.results):6.0f} ms  {name}")
    print(f"  -> {bottleneck(used, wall=phase.wall, machine_share=busy / total, cores=cores)}")
    peaks = ", ".join(f"{name} {peak}" for name, peak in phase.queue_peaks.items())
    print(f"  -> longest accept queue seen: {peaks}; connections refused by a full queue: {phase.listen_overflows}")
    if phase.listen_overflows:
        print(
            "     (machine-wide TcpExt ListenOverflows; each such client retries its SYN after 1 s, 3 s, 7 s: "
            f"the sandbox's server queues {sandbox_backlog}, gunicorn 2048)"
        )
    if phase.listen_overflows and phase.queue_peaks.get("sandbox", 0) >= sandbox_backlog:
        print(
            "  -> the sandbox's accept queue was full: a bottleneck of the sandbox, not of the product. Browsers "
            "and the product's Clever calls waited for SYN retries; a call still waiting after "
            "CLEVER_HTTP_TIMEOUT (10 s) fails the login (the code exchange is never retried)"
        )


def bottleneck(used: dict[str, float], *, wall: float, machine_share: float, cores: int) -> str:
    """Say, from the CPU figures, what most likely limited the phase."""
    sandbox = used.get(SANDBOX_PART, 0.0) / wall
    biggest = max(used, key=used.get)
    if sandbox >= 0.85:
        return (
            f"the sandbox was the bottleneck: its one process used {sandbox:.2f} cores "
            "(one Python process cannot use much more than one)"
        )
    if machine_share >= 0.85:
        return (
            f"CPU-bound: the machine's {cores} cores were {100 * machine_share:.0f}% busy, "
            f"most of it {biggest}; the sandbox used {sandbox:.2f} cores, so it was not the limit"
        )
    return (
        f"not CPU-bound ({100 * machine_share:.0f}% busy): time went to waiting "
        "(gunicorn's queue, locks, network round trips)"
    )
