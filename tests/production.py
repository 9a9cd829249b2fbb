"""The product as production runs it: the documented environment, `manage.py` and gunicorn in processes of their own.

    env = production_env(tmp_path)                  # docs/deploying.md's production.env, local addresses
    result = manage("check", "--deploy", env=env)   # a finished process (stdout, stderr, returncode)
    with gunicorn(env, tmp_path) as server:         # gunicorn serving on a free port
        browser = ProxiedBrowser(server.url, client_ip="203.0.113.7")   # a visitor behind the TLS proxy
        page = browser.get("/")

The settings file reads the project's `.env` too, for what the environment leaves unset;
everything production needs is set here explicitly, as docs/deploying.md asks.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOYING = BASE_DIR / "docs" / "deploying.md"
HOST = "classroom.example.org"  # DJANGO_ALLOWED_HOSTS in docs/deploying.md
REDIS_URL = "redis://127.0.0.1:6379/13"  # the suite's own Redis database, emptied before and after use
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer, on a busy 2-core machine
HTTP_TIMEOUT = 30


def documented_env() -> dict[str, str]:
    """Return the variables of the `production.env` example in docs/deploying.md."""
    block = re.search(r"```sh\n# production\.env[^\n]*\n(.*?)```", DEPLOYING.read_text(encoding="utf-8"), re.S)
    assert block, "docs/deploying.md has no production.env example"
    pairs = [line.split("=", 1) for line in block[1].splitlines() if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy's directives (django-csp writes them in no fixed order)."""
    return dict(directive.strip().split(" ", 1) for directive in policy.split(";"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """Return the documented production environment with its addresses pointed at this machine.

    A migrated-later SQLite file stands for PostgreSQL, the suite's Redis database for the
    shared cache, a closed port for the mail server; the secret key is fresh. `overrides`
    replace variables (None removes one).
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
        **documented_env(),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "CACHE_URL": REDIS_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",  # nothing listens there: connection refused
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
    }
    env.update(overrides)
    return _present(env)


def _present(env: dict[str, str | None]) -> dict[str, str]:
    """Drop the variables set to None: `env | {"NAME": None}` unsets NAME."""
    return {name: value for name, value in env.items() if value is not None}


def manage(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess:
    """Run `manage.py args` with `env` and return how it ended."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=_present(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def redis_flush() -> None:
    """Empty the suite's Redis database; skip the test when Redis is not running."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {REDIS_URL}: {exc}")


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT, where the TLS proxy would send requests
    process: subprocess.Popen
    log: Path  # gunicorn's stderr: its error log and the application's


@contextmanager
def gunicorn(env: dict[str, str], tmp_path: Path):
    """Migrate the database `env` names, then serve it with `gunicorn cleverproject.wsgi -c gunicorn.conf.py`."""
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "cleverproject.wsgi", "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,  # the access log
            stderr=stderr,
        )
    server = Server(url=f"http://{env['GUNICORN_BIND']}", process=process, log=log)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            requests.get(f"{server.url}/", headers={"Host": HOST}, timeout=5, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_TIMEOUT} s:\n{server.log.read_text()}")


def gunicorn_refusal(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Start gunicorn as the docs say with `env`; return how it ended, or fail if it serves instead."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "gunicorn", "cleverproject.wsgi", "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=_present(env),
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"gunicorn started and kept running:\n{exc.stderr}")


class ProxiedBrowser:
    """A visitor at `client_ip` reaching gunicorn through the TLS proxy, as a browser would.

    Each request carries what the proxy adds (the Host, `X-Forwarded-Proto: https`, the
    visitor's address appended to `X-Forwarded-For`), and each opens a new connection, so
    gunicorn hands them to any of its workers. Cookies are kept by hand: they are `Secure`,
    and requests would not send them over the plain HTTP between proxy and gunicorn.
    """

    def __init__(self, server_url: str, *, client_ip: str):
        self.server_url = server_url
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        return {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.client_ip,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/",
            "Connection": "close",
        }

    def request(
        self, method: str, path: str, data: dict | None = None, *, headers: dict | None = None
    ) -> requests.Response:
        """Send one request through the proxy; `headers` replace what the proxy would send."""
        response = requests.request(
            method,
            f"{self.server_url}{path}",
            data=data,
            headers=self._headers() | (headers or {}),
            cookies=self.cookies,
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> requests.Response:
        """POST a form as the page at `path` would (its CSRF token included)."""
        if "csrftoken" not in self.cookies:
            self.get(path)
        return self.request("POST", path, {"csrfmiddlewaretoken": self.cookies["csrftoken"], **data})

    def follow(self, response: requests.Response) -> requests.Response:
        """GET where a redirect points (a path on this site)."""
        parts = urlsplit(response.headers["Location"])
        return self.get(parts.path + (f"?{parts.query}" if parts.query else ""))
