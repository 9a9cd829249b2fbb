"""The production configuration: `check --deploy` is clean, and unsafe set-ups refuse to start."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    production = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "cleverproject.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "classroom.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "CLEVER_CLIENT_ID": "app-client-id",
        "CLEVER_CLIENT_SECRET": "app-client-secret",
        "CLEVER_SANDBOX": "false",
    }
    production.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={key: value for key, value in production.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_production_configuration_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLEVER_SANDBOX": "true"}, "sandbox"),
        ({"CLEVER_CLIENT_ID": "", "CLEVER_CLIENT_SECRET": ""}, "CLEVER_CLIENT_ID"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
    ],
)
def test_an_unsafe_production_configuration_refuses_to_start(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_the_secure_defaults_apply_when_debug_is_off():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "True", "True", "True", "False"]
