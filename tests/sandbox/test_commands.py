"""`manage.py clever_sandbox`: the sandbox served alone, by a separate process."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from sandbox import demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standalone(tmp_path):
    """Run `manage.py clever_sandbox 127.0.0.1:0` with the real settings, sandbox off; yield (base URL, output)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "standalone-test-key",
        "DJANGO_ALLOWED_HOSTS": "app.example",
        "CLEVER_SANDBOX": "false",
        "CLEVER_CLIENT_ID": "real-app-id",
        "CLEVER_CLIENT_SECRET": "real-app-secret",
        "CLEVER_SANDBOX_REDIRECT_URIS": "https://app.example/accounts/clever/login/callback/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",  # with debug off, a per-process cache refuses to load
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "clever_sandbox", "127.0.0.1:0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines, ready = [], threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Quit with"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(30), "".join(lines)
        base = next(line.split()[-1] for line in lines if "listening on" in line).rstrip("/")
        yield base, "".join(lines)
    finally:
        process.terminate()
        process.wait(10)


def test_serves_the_sandbox_alone_with_the_configured_app(standalone):
    base, output = standalone

    tokens = requests.get(
        f"{base}/oauth/tokens", params={"owner_type": "district"}, auth=("real-app-id", "real-app-secret"), timeout=10
    )
    launch = requests.post(f"{base}/portal", data={"user_id": demo.ZOE_OBRIEN}, allow_redirects=False, timeout=10)
    token = tokens.json()["data"][0]["access_token"]
    me = requests.get(f"{base}/v2.1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert "real-app-id" in output
    assert demo.ZOE_OBRIEN in output
    assert tokens.status_code == 200
    assert me.json()["data"]["id"] == demo.DISTRICT
    assert launch.headers["Location"].startswith("https://app.example/accounts/clever/login/callback/?code=")


def test_is_driven_over_http(standalone):
    base, _output = standalone

    requests.post(f"{base}/_control/faults", json={"path": "/v2.0/me", "kind": 503}, timeout=10)
    failing = requests.get(f"{base}/v2.0/me", headers={"Authorization": "Bearer x"}, timeout=10)
    requests.post(f"{base}/_control/reset", timeout=10)
    after = requests.get(f"{base}/v2.0/me", headers={"Authorization": "Bearer x"}, timeout=10)

    assert failing.status_code == 503
    assert after.status_code == 401
