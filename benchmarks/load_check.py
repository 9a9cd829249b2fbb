"""
Load check: N teachers at once log in with Clever (first login, then a returning one) against a
production-like stack, and nothing breaks: no errors, no duplicate rows, every roster exact.

Run with `make load-check` (or `python -m benchmarks.load_check --teachers 50`). It

1. empties (or creates) its own PostgreSQL database, migrates it and runs collectstatic;
2. generates a roster of N teachers in one district (`sandbox.generate`) and serves it with
   `manage.py clever_sandbox` in its own process, the product's callback as the registered
   redirect URI and Clever's rate limit (1,200 requests a minute per token);
3. starts gunicorn (`gunicorn cleverproject.wsgi -c gunicorn.conf.py`) with DJANGO_DEBUG off,
   a generated secret key, PostgreSQL, Redis as the shared cache and CLEVER_SANDBOX off: the
   sandbox process is "the real Clever" (CLEVER_OAUTH_BASE / CLEVER_API_BASE);
4. runs the teachers at once (threads, real HTTP, one cookie jar each): home, Log in with
   Clever, the sandbox's sign-in page, choose themselves, the callback, "No, I am new here",
   landing on /onboarding/ signed in with their school prefilled; then each logs in again
   from a fresh browser and is signed in straight away;
5. checks the database with SQL (one account per teacher, no duplicate rows, every login
   sync succeeded, the roster equals the generated one), and prints throughput, latency,
   errors, duplicate rows, the sandbox's calls and who used the CPU.

It exits 1 when any login failed, any row is duplicated or the roster is not the generated
one, and stops the processes it started (also on Ctrl-C) unless --keep. The stack speaks
plain HTTP on 127.0.0.1, so HTTPS redirect and secure cookies are turned off
(DJANGO_SECURE_SSL_REDIRECT, DJANGO_SESSION_COOKIE_SECURE, DJANGO_CSRF_COOKIE_SECURE);
everything else is the production configuration. This is a measurement, not a test:
pytest never collects it and it asserts nothing in the suite.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import redis
import requests

from sandbox.generate import generate_roster

BASE_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS = BASE_DIR / "artifacts" / "load-check"
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's public demo credentials
CALLBACK_PATH = "/accounts/clever/login/callback/"
WELCOME_PATH = "/accounts/clever/welcome/"
CREATE_PATH = "/accounts/clever/welcome/create/"
ONBOARDING_PATH = "/onboarding/"
SANDBOX_BACKLOG = 10  # django.core.servers.basehttp.WSGIServer.request_queue_size
CLEVER_RATE_LIMIT = 1200  # requests a minute per token, as clever.com
STARTUP_TIMEOUT = 60  # seconds for each server to answer
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
CLEVER_ID = re.compile(r"\b[0-9a-f]{24}\b")
LOG_LINE = re.compile(
    r"^(?:\S+ \S+ (?P<level>WARNING|ERROR|CRITICAL) (?P<logger>\S+)"  # Django's logging
    r"|\[[^]]+\] \[\d+\] \[(?P<gunicorn>WARNING|ERROR|CRITICAL)\]) (?P<message>.*)$"  # gunicorn's (WORKER TIMEOUT)
)
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms')


# --- The stack --------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that are free on 127.0.0.1 right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


class Stack:
    """The processes this run started; `stop()` ends each one's whole process group."""

    def __init__(self):
        self.processes: list[Process] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], *, url: str) -> Process:
        log = ARTIFACTS / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                argv, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log=log, url=url)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=5)
        self.processes.clear()


def wait_until_up(process: Process, url: str, *, expect: int = 200) -> None:
    """Poll `url` until it answers `expect`; fail with the process's log if it dies or never does."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise SystemExit(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            response = requests.get(url, timeout=5, allow_redirects=False)
            if response.status_code == expect:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise SystemExit(f"{process.name} did not answer {url} within {STARTUP_TIMEOUT} s ({last}):\n{process.tail()}")


def production_env(*, database_url: str, cache_url: str, secret_key: str) -> dict[str, str]:
    """Return the production configuration of this run (plain HTTP on 127.0.0.1 being the one change)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CLEVER_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cleverproject.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_LOG_LEVEL="WARNING",
        # Plain HTTP on a local port: no HTTPS redirect, cookies without the Secure flag.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SESSION_COOKIE_SECURE="false",
        DJANGO_CSRF_COOKIE_SECURE="false",
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        CLEVER_SANDBOX="false",
        CLEVER_CLIENT_ID=SANDBOX_CLIENT_ID,
        CLEVER_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
        CLEVER_SANDBOX_DATA="",
        CLEVER_SANDBOX_REDIRECT_URIS="",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_database(*, server_url: str, name: str) -> str:
    """Drop and create the load database; return its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--database {name!r}: use lowercase letters, digits and underscores")
    try:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {server_url}: {exc}") from None
    return f"{server_url}/{name}"


def prepare_cache(*, url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {url}: {exc}") from None


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def gunicorn_argv() -> list[str]:
    script = Path(sys.executable).with_name("gunicorn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    # Its own control socket: the default one in $HOME is shared with every other gunicorn of this user.
    control = ["--control-socket", str(ARTIFACTS / "gunicorn.ctl")]
    return [*command, "cleverproject.wsgi", "-c", "gunicorn.conf.py", *control]


def overlap_roster(roster: dict) -> dict:
    """Make neighbouring teachers share classes, as in a secondary school: each teacher co-teaches the
    next teacher's first section, and each section also enrolls the students of the next teacher's
    section of the same period. Concurrent logins then write the same section, student and link rows."""
    by_teacher = defaultdict(list)
    for section in roster["sections"]:
        by_teacher[section["teachers"][0]].append(section)
    teachers = [teacher["id"] for teacher in roster["teachers"]]
    if len(teachers) < 2:
        return roster
    for n, teacher_id in enumerate(teachers):
        neighbour = by_teacher[teachers[(n + 1) % len(teachers)]]
        neighbour[0]["teachers"].append(teacher_id)
        for own, theirs in zip(by_teacher[teacher_id], neighbour, strict=True):
            own["students"] = own["students"] + [s for s in theirs["students"] if s not in own["students"]]
    return roster


# --- One simulated teacher ----------------------------------------------------------------------


class LoginFailed(Exception):
    def __init__(self, step: str, problem: str):
        self.step = step
        self.problem = problem
        super().__init__(f"{step}: {problem}")


@dataclass
class LoginResult:
    teacher_id: str
    phase: str
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    error: LoginFailed | None = None
    resent: int = 0


class Browser:
    """One teacher's browser: its own cookie jar, redirects followed by hand and timed per step."""

    def __init__(self, *, timeout: float):
        self.session = requests.Session()
        self.session.trust_env = False
        self.timeout = timeout
        self.steps: dict[str, float] = {}
        self.resent = 0  # requests sent again after a closed keep-alive connection

    def request(self, step: str, method: str, url: str, *, expect: int, **kwargs) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self._send(method, url, **kwargs)
        except requests.RequestException as exc:
            raise LoginFailed(step, f"{method} {urlsplit(url).path}: {_reason(exc)}") from None
        finally:
            self.steps[step] = self.steps.get(step, 0.0) + time.perf_counter() - started
        if response.status_code != expect:
            raise LoginFailed(step, f"{method} {urlsplit(url).path} answered {response.status_code}{_title(response)}")
        return response

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)
        except requests.ConnectionError as exc:
            # The server closed an idle keep-alive connection (gunicorn after 2 s) just as we reused it,
            # so the request never reached it: we see its FIN ("Remote end closed ...") or, when our
            # request was already on the wire, its RST. A browser sends it again on a new connection;
            # so do we, and the report counts it.
            if not any(
                sign in str(exc) for sign in ("Remote end closed connection without response", "reset by peer")
            ):
                raise
            self.resent += 1
            self.session.close()
            return self.session.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)

    def location(self, step: str, response: requests.Response) -> str:
        if "Location" not in response.headers:
            raise LoginFailed(step, "a redirect without a Location")
        return urljoin(response.url, response.headers["Location"])

    def close(self) -> None:
        self.session.close()


def _reason(exc: requests.RequestException) -> str:
    """Return the exception's kind and text, without query strings (a callback URL carries its code)."""
    return re.sub(r"\?[^\s'\"]*", "?...", f"{type(exc).__name__}: {exc}")[:200]


def _title(response: requests.Response) -> str:
    match = TITLE.search(response.text or "") if "html" in response.headers.get("Content-Type", "") else None
    return f' ("{unescape(match[1].strip())[:80]}")' if match else ""


def _csrf_token(step: str, response: requests.Response) -> str:
    match = CSRF_INPUT.search(response.text)
    if not match:
        raise LoginFailed(step, "the page has no CSRF token")
    return match[1]


def clever_login(
    *, app: str, sandbox: str, teacher_id: str, school_name: str, returning: bool, timeout: float
) -> LoginResult:
    """Log in with Clever as a browser does; a new teacher answers "No, I am new here"."""
    result = LoginResult(teacher_id=teacher_id, phase="returning" if returning else "first")
    browser = Browser(timeout=timeout)
    started = time.perf_counter()
    try:
        home = browser.request("home", "GET", f"{app}/", expect=200)
        start = browser.request(
            "start",
            "POST",
            f"{app}/accounts/clever/login/",
            data={"csrfmiddlewaretoken": _csrf_token("home", home)},
            expect=302,
        )
        authorize_url = browser.location("start", start)
        if not authorize_url.startswith(f"{sandbox}/oauth/authorize?"):
            raise LoginFailed("start", f"redirected to {urlsplit(authorize_url).path}, not Clever's sign-in page")
        page = browser.request("sign-in page", "GET", authorize_url, expect=200)
        if teacher_id not in page.text:
            raise LoginFailed("sign-in page", "the teacher is not listed")
        chosen = browser.request("choose", "POST", authorize_url, data={"user_id": teacher_id}, expect=302)
        callback_url = browser.location("choose", chosen)
        if not callback_url.startswith(f"{app}{CALLBACK_PATH}?"):
            raise LoginFailed("choose", f"Clever redirected to {urlsplit(callback_url).path}")
        callback = browser.request("callback", "GET", callback_url, expect=302)
        after = browser.location("callback", callback)
        if returning:
            if urlsplit(after).path == WELCOME_PATH:
                raise LoginFailed("callback", "a returning teacher was asked to create an account again")
        else:
            if urlsplit(after).path != WELCOME_PATH:
                raise LoginFailed("callback", f"a new teacher went to {urlsplit(after).path}, not the welcome page")
            welcome = browser.request("welcome", "GET", after, expect=200)
            if f'action="{CREATE_PATH}"' not in welcome.text:
                raise LoginFailed("welcome", "no 'No, I am new here' form on the welcome page")
            created = browser.request(
                "create",
                "POST",
                f"{app}{CREATE_PATH}",
                data={"csrfmiddlewaretoken": _csrf_token("welcome", welcome)},
                expect=302,
            )
            after = browser.location("create", created)
        landing = _follow(browser, after)
        if urlsplit(landing.url).path != ONBOARDING_PATH or f'action="{ONBOARDING_PATH}"' not in landing.text:
            raise LoginFailed("landing", f"ended on {urlsplit(landing.url).path}, not the onboarding questionnaire")
        if f'value="{school_name}"' not in landing.text:
            raise LoginFailed("landing", "the questionnaire has no school prefilled: the roster did not arrive")
    except LoginFailed as exc:
        result.error = exc
    finally:
        result.seconds = time.perf_counter() - started
        result.steps = browser.steps
        result.resent = browser.resent
        browser.close()
    return result


def _follow(browser: Browser, url: str, hops: int = 4) -> requests.Response:
    """GET `url` and the product's redirects after it (home -> the onboarding gate -> the questionnaire)."""
    for _ in range(hops):
        response = browser.request("landing", "GET", url, expect=200 if _is_final(url) else 302)
        if response.status_code == 200:
            return response
        url = browser.location("landing", response)
    raise LoginFailed("landing", "too many redirects")


def _is_final(url: str) -> bool:
    return urlsplit(url).path == ONBOARDING_PATH


# --- Measuring ----------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, str]]:
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


def _tree_seconds(table: dict[int, tuple[int, float, str]], roots: list[int]) -> float:
    children = defaultdict(list)
    for pid, (ppid, _seconds, _name) in table.items():
        children[ppid].append(pid)
    total, todo = 0.0, [root for root in roots if root in table]
    while todo:
        pid = todo.pop()
        total += table[pid][1]
        todo += children[pid]
    return total


def _machine_busy() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def _listen_overflows() -> int:
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


@dataclass
class CpuSample:
    at: float
    machine_busy: float
    machine_total: float
    own: float  # this process: the simulated browsers
    components: dict[str, float]
    listen_overflows: int


class CpuMeter:
    """CPU seconds used by each part of the stack (process trees read from /proc) and the whole machine."""

    def __init__(self, roots: dict[str, list[int]]):
        self.roots = roots

    def sample(self) -> CpuSample:
        table = _proc_table()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_busy()
        return CpuSample(
            at=time.monotonic(),
            machine_busy=busy,
            machine_total=total,
            own=usage.ru_utime + usage.ru_stime,
            components={name: _tree_seconds(table, roots) for name, roots in self.roots.items()},
            listen_overflows=_listen_overflows(),
        )


def _find_roots(name: str) -> list[int]:
    """Return the pids of processes called `name` whose parent is not (postgres' postmaster, redis-server)."""
    table = _proc_table()
    return [pid for pid, (ppid, _s, comm) in table.items() if comm == name and table.get(ppid, (0, 0, ""))[2] != name]


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


@dataclass
class Phase:
    name: str
    results: list[LoginResult]
    wall: float
    before: CpuSample
    after: CpuSample
    sandbox_calls: list[dict]
    server_times: dict[str, list[int]]  # gunicorn's own time per request path (ms)
    queue_peaks: dict[str, int]  # listening server -> longest accept queue seen
    log_problems: Counter  # the product's warnings and errors (numbers blanked), e.g. deadlock retries

    @property
    def errors(self) -> list[LoginResult]:
        return [result for result in self.results if result.error]


def run_phase(
    *, name: str, roster: dict, args, app: str, sandbox: str, meter: CpuMeter, access_log: Path, ports: dict[str, int]
) -> Phase:
    """Log every teacher in at once (`args.concurrency` at a time); return what happened."""
    schools = {school["id"]: school["name"] for school in roster["schools"]}
    teachers = [(teacher["id"], schools[teacher["school"]]) for teacher in roster["teachers"]]
    go = threading.Event()
    log_offset = access_log.stat().st_size

    def one(teacher_id: str, school_name: str) -> LoginResult:
        go.wait()
        return clever_login(
            app=app,
            sandbox=sandbox,
            teacher_id=teacher_id,
            school_name=school_name,
            returning=name == "returning",
            timeout=args.timeout,
        )

    pool = ThreadPoolExecutor(max_workers=args.concurrency, thread_name_prefix=f"teacher-{name}")
    try:
        futures = [pool.submit(one, teacher_id, school) for teacher_id, school in teachers]
        time.sleep(0.2)  # let the threads reach the starting line
        with QueueWatcher(ports) as queues:
            before = meter.sample()
            go.set()
            results = [future.result() for future in futures]
            after = meter.sample()
    finally:
        go.set()
        pool.shutdown(wait=False, cancel_futures=True)
    calls = requests.get(f"{sandbox}/_control/calls", timeout=30).json()["calls"]
    requests.delete(f"{sandbox}/_control/calls", timeout=30)
    return Phase(
        name=name,
        results=results,
        wall=after.at - before.at,
        before=before,
        after=after,
        sandbox_calls=calls,
        server_times=_server_times(access_log, log_offset),
        log_problems=_log_problems(access_log, log_offset),
        queue_peaks=queues.peaks,
    )


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


# --- Checking the database ----------------------------------------------------------------------


def _surplus(table: str, key: str, where: str = "") -> str:
    """SQL for the rows beyond the first of each `key` in `table`."""
    where = f"WHERE {where} " if where else ""
    # Table and key names are this module's constants, never input.
    groups = f"SELECT COUNT(*) AS n FROM {table} {where}GROUP BY {key} HAVING COUNT(*) > 1"  # noqa: S608
    return f"SELECT COALESCE(SUM(n - 1), 0) FROM ({groups}) AS duplicated"  # noqa: S608


DUPLICATE_QUERIES = {
    "accounts per Clever id": _surplus("socialaccount_socialaccount", "provider, uid"),
    "Clever identities per account": _surplus("socialaccount_socialaccount", "provider, user_id"),
    "accounts without a Clever identity": "SELECT COUNT(*) FROM accounts_user u WHERE NOT EXISTS "
    "(SELECT 1 FROM socialaccount_socialaccount s WHERE s.user_id = u.id)",
    "email addresses": _surplus("account_emailaddress", "lower(email)"),
    "teachers per Clever id": _surplus("rosters_teacher", "clever_id"),
    "teachers per account": _surplus("rosters_teacher", "user_id", "user_id IS NOT NULL"),
    "sections per Clever id": _surplus("rosters_section", "clever_id"),
    "students per Clever id": _surplus("rosters_student", "clever_id"),
    "section teachers": _surplus("rosters_sectionteacher", "section_id, teacher_id"),
    "enrollments": _surplus("rosters_enrollment", "section_id, student_id"),
    "onboardings per account": _surplus("onboarding_onboarding", "user_id"),
}


@dataclass
class DatabaseCheck:
    duplicates: dict[str, int]  # what -> surplus rows
    counts: list[tuple[str, int, int]]  # what, expected, found
    mismatches: list[str]
    sync_seconds: list[float]
    sync_http_calls: Counter

    @property
    def duplicate_rows(self) -> int:
        return sum(self.duplicates.values())


def check_database(*, database_url: str, roster: dict, logins_per_teacher: int) -> DatabaseCheck:
    """Compare the load database with the generated roster, in SQL."""
    teachers = {teacher["id"] for teacher in roster["teachers"]}
    sections = {section["id"] for section in roster["sections"]}
    students = {student["id"] for student in roster["students"]}
    enrollments = {(section["id"], student) for section in roster["sections"] for student in section["students"]}
    section_teachers = {(section["id"], teacher) for section in roster["sections"] for teacher in section["teachers"]}
    mismatches = []
    with psycopg.connect(database_url, connect_timeout=5) as conn:

        def rows(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()

        def one(sql: str):
            return rows(sql)[0][0]

        duplicates = {what: int(one(sql)) for what, sql in DUPLICATE_QUERIES.items()}
        linked = set(
            rows(
                "SELECT t.clever_id, s.uid FROM rosters_teacher t "
                "JOIN socialaccount_socialaccount s ON s.user_id = t.user_id AND s.provider = 'clever'"
            )
        )
        found = {
            "teachers": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_teacher")},
            "sections": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_section")},
            "students": {clever_id for (clever_id,) in rows("SELECT clever_id FROM rosters_student")},
            "enrollments": set(
                rows(
                    "SELECT s.clever_id, st.clever_id FROM rosters_enrollment e "
                    "JOIN rosters_section s ON s.id = e.section_id JOIN rosters_student st ON st.id = e.student_id "
                    "WHERE e.removed_at IS NULL"
                )
            ),
            "section teachers": set(
                rows(
                    "SELECT s.clever_id, t.clever_id FROM rosters_sectionteacher x "
                    "JOIN rosters_section s ON s.id = x.section_id JOIN rosters_teacher t ON t.id = x.teacher_id"
                )
            ),
        }
        expected = {
            "teachers": teachers,
            "sections": sections,
            "students": students,
            "enrollments": enrollments,
            "section teachers": section_teachers,
        }
        counts = [
            ("accounts", len(teachers), one("SELECT COUNT(*) FROM accounts_user")),
            ("Clever identities", len(teachers), one("SELECT COUNT(*) FROM socialaccount_socialaccount")),
            ("teachers linked to their account", len(teachers), len({t for t, uid in linked if t == uid})),
            *((what, len(expected[what]), len(found[what])) for what in expected),
            ("removed enrollments", 0, one("SELECT COUNT(*) FROM rosters_enrollment WHERE removed_at IS NOT NULL")),
            ("archived students", 0, one("SELECT COUNT(*) FROM rosters_student WHERE archived_at IS NOT NULL")),
            (
                "premium accounts (district-shared)",
                len(teachers),
                one("SELECT COUNT(*) FROM accounts_user WHERE plan = 'premium'"),
            ),
            (
                "login syncs",
                len(teachers) * logins_per_teacher,
                one("SELECT COUNT(*) FROM rosters_syncrun WHERE trigger = 'login'"),
            ),
            (
                "login syncs that succeeded",
                len(teachers) * logins_per_teacher,
                one("SELECT COUNT(*) FROM rosters_syncrun WHERE trigger = 'login' AND outcome = 'success'"),
            ),
        ]
        for what, want, got in counts:
            if want != got:
                mismatches.append(f"{what}: expected {want}, found {got}")
        for what, want in expected.items():
            if found[what] != want:
                missing, extra = len(want - found[what]), len(found[what] - want)
                mismatches.append(f"{what} differ from the generated roster: {missing} missing, {extra} extra")
        per_teacher = rows(
            "SELECT t.clever_id, COUNT(r.id) FROM rosters_teacher t LEFT JOIN rosters_syncrun r "
            "ON r.teacher_id = t.id AND r.trigger = 'login' AND r.outcome = 'success' GROUP BY t.clever_id"
        )
        wrong = [clever_id for clever_id, runs in per_teacher if runs != logins_per_teacher]
        if wrong:
            mismatches.append(
                f"{len(wrong)} teachers do not have exactly {logins_per_teacher} successful login syncs, "
                f"e.g. {wrong[0]}"
            )
        for error, number in rows(
            "SELECT error, COUNT(*) FROM rosters_syncrun WHERE outcome <> 'success' GROUP BY error ORDER BY 2 DESC"
        )[:5]:
            mismatches.append(f"{number} syncs did not succeed: {error or '(still running)'}")
        syncs = rows(
            "SELECT EXTRACT(EPOCH FROM finished_at - started_at), http_calls FROM rosters_syncrun "
            "WHERE trigger = 'login' AND finished_at IS NOT NULL"
        )
    return DatabaseCheck(
        duplicates=duplicates,
        counts=counts,
        mismatches=mismatches,
        sync_seconds=[float(seconds) for seconds, _calls in syncs],
        sync_http_calls=Counter(calls for _seconds, calls in syncs),
    )


# --- Report -------------------------------------------------------------------------------------

STEP_ORDER = ("home", "start", "sign-in page", "choose", "callback", "welcome", "create", "landing")
STEP_WHAT = {
    "home": "GET / (product)",
    "start": "POST /accounts/clever/login/ (product)",
    "sign-in page": "GET /oauth/authorize (sandbox)",
    "choose": "POST /oauth/authorize (sandbox)",
    "callback": "GET callback: code exchange, /me, teacher (+ sync when known)",
    "welcome": "GET /accounts/clever/welcome/ (product)",
    "create": "POST /accounts/clever/welcome/create/: account + roster sync",
    "landing": "GET / -> /onboarding/ (product)",
}


def _sandbox_endpoint(path: str) -> str:
    return CLEVER_ID.sub("{id}", path)


def print_phase(phase: Phase, *, sections: float, components: list[str]) -> None:
    ok = [result for result in phase.results if not result.error]
    latencies = [result.seconds for result in ok]
    print(f"\n## Phase: {phase.name} login ({len(phase.results)} teachers)\n")
    print(f"- throughput: {len(ok) / phase.wall:.2f} logins/s ({len(ok)} succeeded in {phase.wall:.1f} s)")
    print(
        f"- whole login: p50 {_ms(percentile(latencies, 50))}, p95 {_ms(percentile(latencies, 95))}, "
        f"max {_ms(max(latencies, default=0))}"
    )
    print(f"- errors: {len(phase.errors)}")
    resent = sum(result.resent for result in phase.results)
    if resent:
        print(f"  ({resent} requests sent again, as a browser does, after the server closed an idle connection)")
    for problem, number in Counter(str(result.error) for result in phase.errors).most_common(8):
        print(f"    {number} x {problem}")

    print("\n| step | what | p50 | p95 | max |\n|---|---|---:|---:|---:|")
    for step in STEP_ORDER:
        values = [result.steps[step] for result in ok if step in result.steps]
        if values:
            print(
                f"| {step} | {STEP_WHAT[step]} | {_ms(percentile(values, 50))} | {_ms(percentile(values, 95))} "
                f"| {_ms(max(values))} |"
            )

    print("\nTime gunicorn spent per request (its access log), against the browsers' own view above:\n")
    print("| request | count | p50 | p95 | max |\n|---|---:|---:|---:|---:|")
    for path, values in sorted(phase.server_times.items(), key=lambda item: -sum(item[1])):
        print(
            f"| {path} | {len(values)} | {percentile(values, 50):,.0f} ms | {percentile(values, 95):,.0f} ms "
            f"| {max(values):,.0f} ms |"
        )

    print(f"\nProduct log: {sum(phase.log_problems.values())} warnings and errors")
    for problem, number in phase.log_problems.most_common(8):
        print(f"    {number:>6}  {problem}")

    by_endpoint = Counter(f"{call['method']} {_sandbox_endpoint(call['path'])}" for call in phase.sandbox_calls)
    refused = Counter(call["status"] for call in phase.sandbox_calls if not call["status"] or call["status"] >= 400)
    per_login = len(phase.sandbox_calls) / max(1, len(phase.results))
    print(
        f"\nSandbox calls: {len(phase.sandbox_calls)} ({per_login:.1f} per login; expected {8 + sections:g}: "
        f"sign-in page and choice 2, code exchange 1, /me and teacher 2, sync 3 + {sections:g} sections); "
        f"refused: {dict(refused) if refused else 'none'}"
    )
    for endpoint, number in sorted(by_endpoint.items()):
        print(f"    {number:>6}  {endpoint}")

    busy = phase.after.machine_busy - phase.before.machine_busy
    total = phase.after.machine_total - phase.before.machine_total
    cores = os.cpu_count() or 1
    used = {name: phase.after.components[name] - phase.before.components[name] for name in components}
    used["browsers (this script)"] = phase.after.own - phase.before.own
    used["everything else on the machine"] = max(0.0, busy - sum(used.values()))
    print(
        f"\nCPU during the phase: machine {100 * busy / total:.0f}% busy ({cores} cores); "
        "cores used on average, and CPU time per login:"
    )
    for name, seconds in used.items():
        print(f"    {seconds / phase.wall:5.2f}  {1000 * seconds / len(phase.results):6.0f} ms  {name}")
    print(f"  -> {bottleneck(used, wall=phase.wall, machine_share=busy / total, cores=cores)}")
    overflows = phase.after.listen_overflows - phase.before.listen_overflows
    peaks = ", ".join(f"{name} {peak}" for name, peak in phase.queue_peaks.items())
    print(f"  -> longest accept queue seen: {peaks}; connections refused by a full queue: {overflows}")
    if overflows:
        print(
            "     (machine-wide TcpExt ListenOverflows; each such client retries its SYN after 1 s, 3 s, 7 s: "
            f"the sandbox's server (Django's runserver) queues {SANDBOX_BACKLOG}, gunicorn 2048)"
        )
    if overflows and phase.queue_peaks.get("sandbox", 0) >= SANDBOX_BACKLOG:
        print(
            "  -> the sandbox's accept queue was full: a bottleneck of the sandbox, not of the product. Browsers "
            "and the product's Clever calls waited for SYN retries; a call still waiting after "
            "CLEVER_HTTP_TIMEOUT (10 s) fails the login (the code exchange is never retried)"
        )


def bottleneck(used: dict[str, float], *, wall: float, machine_share: float, cores: int) -> str:
    """Say, from the CPU figures, what most likely limited the phase."""
    sandbox = used.get("sandbox (one process)", 0.0) / wall
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


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--teachers", type=int, default=50, help="Simulated teachers (default 50).")
    parser.add_argument("--concurrency", type=int, help="Teachers logging in at the same time (default: all of them).")
    parser.add_argument("--sections", type=int, default=5, help="Sections per teacher (default 5).")
    parser.add_argument("--students", type=int, default=25, help="Students per section (default 25).")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3).")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
    parser.add_argument("--seed", type=int, default=6, help="Roster seed (default 6).")
    parser.add_argument(
        "--overlap",
        action="store_true",
        help="Neighbouring teachers share a section (co-teaching) and students, so concurrent syncs "
        "write the same rows (default: every teacher's classes are their own).",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database (default postgres://postgres@127.0.0.1:5432).",
    )
    parser.add_argument(
        "--database", default="clever_loadcheck", help="Database to empty and use (default clever_loadcheck)."
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/14", help="Cache URL, flushed first (default db 14)."
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds a browser waits for one answer.")
    parser.add_argument(
        "--keep", action="store_true", help="Leave gunicorn and the sandbox running at the end (and on failure)."
    )
    args = parser.parse_args(argv)
    args.concurrency = args.concurrency or args.teachers
    if min(args.teachers, args.concurrency, args.sections, args.students, args.workers, args.threads) < 1:
        parser.error("counts must be at least 1")
    return args


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (cmd &)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    try:
        return run(args, stack)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        if args.keep and stack.processes:
            print("\n--keep: left running (stop them with the kill commands):")
            for process in stack.processes:
                print(f"    {process.name} at {process.url}/: kill -TERM -{process.popen.pid}   (log {process.log})")
        else:
            stack.stop()


def run(args, stack: Stack) -> int:
    app_port, sandbox_port = free_ports(2)
    app = f"http://127.0.0.1:{app_port}"
    sandbox = f"http://127.0.0.1:{sandbox_port}/sandbox/clever"
    print(f"Load check: {args.teachers} teachers, preparing the stack (logs in {ARTIFACTS.relative_to(BASE_DIR)}/)")

    database_url = prepare_database(server_url=args.postgres.rstrip("/"), name=args.database)
    prepare_cache(url=args.redis)
    env = production_env(database_url=database_url, cache_url=args.redis, secret_key=secrets.token_urlsafe(50))
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)

    roster = generate_roster(
        teachers=args.teachers,
        sections_per_teacher=args.sections,
        students_per_section=args.students,
        seed=args.seed,
    )
    if args.overlap:
        roster = overlap_roster(roster)
    sections_per_teacher = sum(len(section["teachers"]) for section in roster["sections"]) / args.teachers
    roster_file = ARTIFACTS / "roster.json"
    roster_file.write_text(json.dumps(roster))
    sandbox_env = env | {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CLEVER_SANDBOX_DATA": str(roster_file),
        "CLEVER_SANDBOX_REDIRECT_URIS": f"{app}{CALLBACK_PATH}",
    }
    sandbox_process = stack.start(
        "sandbox",
        [sys.executable, "manage.py", "clever_sandbox", f"127.0.0.1:{sandbox_port}"],
        sandbox_env,
        url=sandbox,
    )
    app_env = env | {
        "CLEVER_OAUTH_BASE": sandbox,
        "CLEVER_API_BASE": sandbox,
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
    }
    gunicorn = stack.start("gunicorn", gunicorn_argv(), app_env, url=app)
    wait_until_up(sandbox_process, f"{sandbox}/_control/options")
    wait_until_up(gunicorn, f"{app}/")
    options = requests.get(f"{sandbox}/_control/options", timeout=10).json()["options"]
    if options["rate_limit"] != CLEVER_RATE_LIMIT:
        raise SystemExit(f"the sandbox's rate limit is {options['rate_limit']}, not Clever's {CLEVER_RATE_LIMIT}")
    requests.delete(f"{sandbox}/_control/calls", timeout=10)

    postgres_roots, redis_roots = _find_roots("postgres"), _find_roots("redis-server")
    roots = {"gunicorn (master + workers)": [gunicorn.popen.pid], "sandbox (one process)": [sandbox_process.popen.pid]}
    if postgres_roots:
        roots["PostgreSQL (all databases)"] = postgres_roots
    if redis_roots:
        roots["Redis"] = redis_roots
    meter = CpuMeter(roots)

    print_configuration(args, app=app, sandbox=sandbox, database_url=database_url, rate_limit=options["rate_limit"])
    phases = []
    for name in ("first", "returning"):
        print(f"\nRunning the {name} logins...", flush=True)
        phases.append(
            run_phase(
                name=name,
                roster=roster,
                args=args,
                app=app,
                sandbox=sandbox,
                meter=meter,
                access_log=gunicorn.log,
                ports={"gunicorn": app_port, "sandbox": sandbox_port},
            )
        )
    check = check_database(database_url=database_url, roster=roster, logins_per_teacher=len(phases))

    for phase in phases:
        print_phase(phase, sections=sections_per_teacher, components=list(roots))
    return print_summary(phases, check)


def print_configuration(args, *, app: str, sandbox: str, database_url: str, rate_limit: int) -> None:
    students = args.teachers * args.sections * args.students
    print("\n# Load check: Clever login and roster sync\n")
    print(f"- teachers: {args.teachers}, at once: {args.concurrency}")
    print(
        f"- roster: {args.sections} sections x {args.students} students per teacher "
        f"({args.teachers * args.sections:,} sections, {students:,} students, one district, seed {args.seed})"
    )
    if args.overlap:
        print(
            "  overlapping (--overlap): each teacher co-teaches the next one's first section, and each section "
            "also enrolls the next teacher's students of the same period"
        )
    print(
        f"- product: gunicorn {args.workers} workers x {args.threads} threads at {app}, "
        f"DJANGO_DEBUG off, PostgreSQL {database_url}, cache {args.redis}"
    )
    print("  plain HTTP: DJANGO_SECURE_SSL_REDIRECT, DJANGO_SESSION_COOKIE_SECURE, DJANGO_CSRF_COOKIE_SECURE off")
    print(f"- Clever: `manage.py clever_sandbox` (one threaded process) at {sandbox}, {rate_limit} requests/min/token")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"- machine: {os.cpu_count()} cores, load average before the run {load} (shared with other work)")


def print_summary(phases: list[Phase], check: DatabaseCheck) -> int:
    print("\n## Database after both phases (SQL)\n")
    print("| what | expected | found |\n|---|---:|---:|")
    for what, want, got in check.counts:
        print(f"| {what} | {want:,} | {got:,}{'' if want == got else '  <-- differs'} |")
    print(
        f"\nLogin syncs: p50 {_ms(percentile(check.sync_seconds, 50))}, p95 {_ms(percentile(check.sync_seconds, 95))}"
        f", max {_ms(max(check.sync_seconds, default=0))}; HTTP calls per sync: "
        + ", ".join(f"{calls} ({number}x)" for calls, number in sorted(check.sync_http_calls.items()))
    )
    print("Duplicate rows:")
    for what, surplus in check.duplicates.items():
        print(f"    {surplus:>6}  {what}")
    for problem in check.mismatches:
        print(f"  mismatch: {problem}")

    errors = sum(len(phase.errors) for phase in phases)
    print("\n## Result\n")
    for phase in phases:
        ok = [result.seconds for result in phase.results if not result.error]
        print(
            f"- {phase.name} login: {len(ok) / phase.wall:.2f} logins/s, p50 {_ms(percentile(ok, 50))}, "
            f"p95 {_ms(percentile(ok, 95))}, errors {len(phase.errors)}, sandbox calls {len(phase.sandbox_calls)}, "
            f"product log warnings/errors {sum(phase.log_problems.values())}"
        )
    print(f"- errors: {errors} (must be 0)")
    print(f"- duplicate rows: {check.duplicate_rows} (must be 0)")
    print(f"- roster equals the generated one: {'yes' if not check.mismatches else 'NO'}")
    failed = errors or check.duplicate_rows or check.mismatches
    print(f"\n{'FAILED' if failed else 'PASSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
