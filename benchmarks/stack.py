"""
The processes a benchmark starts and the databases it prepares: the sandbox in its own process
(as "the real Clever"), gunicorn, `manage.py` commands, PostgreSQL databases and the Redis cache.

Each process runs in a session (process group) of its own with its output in a log file, and
`Stack.stop()` ends every group it started, so a benchmark leaves nothing running, also on
Ctrl-C. How the benchmarks use them: docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's public demo credentials
STARTUP_TIMEOUT = 300  # seconds for a server to answer (the sandbox validates a large roster first)
STOP_TIMEOUT = 60  # seconds a process has to finish after SIGTERM (a db_worker ends its job)


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
    url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


class Stack:
    """The processes this run started, each logging to `<artifacts>/<name>.log`."""

    def __init__(self, artifacts: Path):
        self.artifacts = artifacts
        self.processes: list[Process] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], *, url: str = "") -> Process:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        log = self.artifacts / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                argv, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log=log, url=url)
        self.processes.append(process)
        return process

    def stop(self, *processes: Process) -> None:
        """SIGTERM the process groups of `processes` (default: all), wait for them, SIGKILL what is left."""
        chosen = list(processes) or list(self.processes)
        for process in reversed(chosen):
            if process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(chosen):
            try:
                process.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.popen.wait(timeout=5)
            self.processes.remove(process)


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


# --- Configuration -------------------------------------------------------------------------------


def production_env(*, database_url: str, secret_key: str, cache_url: str = "") -> dict[str, str]:
    """Return this process's environment with the production configuration instead of any DJANGO_,
    CLEVER_ or GUNICORN_ variable, Clever being the sandbox's app. The one change: plain HTTP on
    127.0.0.1 (no HTTPS redirect, cookies without the Secure flag). Without `cache_url`, the
    processes share a file cache (production refuses a per-process one)."""
    cache_url = cache_url or f"filecache://{tempfile.gettempdir()}/classroom-benchmark-cache"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CLEVER_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cleverproject.settings",
        DJANGO_DEBUG="false",  # debug keeps every query in memory: not what production does
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_LOG_LEVEL="WARNING",  # the Clever client logs every request at INFO
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


def postgres_database_prepare(url: str, *, fresh: bool) -> None:
    """Create the database `url` names: dropped first when `fresh`, else only when it is missing."""
    server, _, name = url.rstrip("/").rpartition("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"database {name!r}: use lowercase letters, digits and underscores")
    import psycopg

    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as conn:
            if fresh:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if fresh or not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {server}: {exc}") from None


def redis_flush(url: str) -> None:
    """Empty the Redis database `url` names."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {url}: {exc}") from None


def manage(*args: str, env: dict[str, str]) -> None:
    """Run `manage.py args` to the end; fail with its output when it fails."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


# --- The servers ---------------------------------------------------------------------------------


@dataclass
class Sandbox:
    """The sandbox served by `manage.py clever_sandbox` in its own process."""

    process: Process
    url: str  # its base, http://127.0.0.1:PORT/sandbox/clever

    def control(self, method: str, name: str, body: dict | None = None) -> dict:
        """Call the control API (`/_control/<name>`); return its JSON answer."""
        response = requests.request(method, f"{self.url}/_control/{name}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}


def sandbox_start(
    stack: Stack, *, port: int, env: dict[str, str], roster: Path, redirect_uri: str = "", name: str = "sandbox"
) -> Sandbox:
    """Serve `roster` from a sandbox process on 127.0.0.1:`port` and wait until it answers."""
    env = env | {"CLEVER_SANDBOX_DATA": str(roster), "CLEVER_SANDBOX_REDIRECT_URIS": redirect_uri}
    url = f"http://127.0.0.1:{port}/sandbox/clever"
    process = stack.start(name, [sys.executable, "manage.py", "clever_sandbox", f"127.0.0.1:{port}"], env, url=url)
    wait_until_up(process, f"{url}/_control/options")
    return Sandbox(process=process, url=url)


def gunicorn_start(stack: Stack, *, port: int, env: dict[str, str], workers: int, threads: int) -> Process:
    """Start `gunicorn cleverproject.wsgi -c gunicorn.conf.py` on 127.0.0.1:`port` and wait until it answers."""
    script = Path(sys.executable).with_name("gunicorn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    env = env | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    url = f"http://127.0.0.1:{port}"
    process = stack.start("gunicorn", [*command, "cleverproject.wsgi", "-c", "gunicorn.conf.py"], env, url=url)
    wait_until_up(process, f"{url}/")
    return process
