"""The production configuration: docs/deploying.md's environment passes `check --deploy`, and unsafe
set-ups refuse to start, gunicorn included (which runs no system checks)."""

import pytest

from .production import gunicorn_refusal, manage, production_env


@pytest.fixture
def env(tmp_path):
    return production_env(tmp_path)


def test_the_documented_production_configuration_passes_check_deploy(env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CLEVER_SANDBOX": "true"}, "CLEVER_SANDBOX is on while DJANGO_DEBUG is off"),
        ({"CLEVER_CLIENT_ID": ""}, "Set CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET"),
        ({"CLEVER_CLIENT_SECRET": ""}, "Set CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET"),
        ({"DJANGO_SECRET_KEY": ""}, "Set DJANGO_SECRET_KEY"),
        ({"CACHE_URL": "locmemcache://"}, "Set CACHE_URL to a cache every web process shares"),
        ({"CACHE_URL": "dummycache://"}, "Set CACHE_URL to a cache every web process shares"),
        ({"CACHE_URL": ""}, "Set CACHE_URL to a cache every web process shares"),
    ],
)
def test_an_unsafe_production_configuration_refuses_to_load(env, change, message):
    result = manage("check", env=env | change)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CLEVER_SANDBOX": "true"}, "CLEVER_SANDBOX is on while DJANGO_DEBUG is off"),
        ({"CACHE_URL": "locmemcache://"}, "Set CACHE_URL to a cache every web process shares"),
    ],
)
def test_gunicorn_refuses_to_serve_an_unsafe_production_configuration(env, change, message):
    result = gunicorn_refusal(env | change)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr
    assert "Worker failed to boot" in result.stderr


def test_without_a_mail_server_check_deploy_fails(env):
    result = manage("check", "--deploy", env=env | {"EMAIL_URL": ""})

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "No mail server is configured: password-reset emails would fail (EMAIL_URL is not set)." in result.stderr


def test_a_mail_url_that_delivers_nothing_is_a_deploy_warning(env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env | {"EMAIL_URL": "consolemail://"})

    assert result.returncode != 0
    assert "accounts.W001" in result.stderr


def _settings(env, *names):
    code = f"from django.conf import settings as s; print(*[repr(getattr(s, n)) for n in {names!r}])"
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_secure_defaults_apply_when_debug_is_off(env):
    env = env | {"DJANGO_BEHIND_TLS_PROXY": None, "DJANGO_TRUSTED_PROXY_COUNT": None}
    names = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "DEBUG")

    assert _settings(env, *names) == "True True True 31536000 False"


def test_sessions_last_a_school_day_and_end_with_the_browser(env):
    names = ("SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "ACCOUNT_SESSION_REMEMBER")

    assert _settings(env | {"DJANGO_SESSION_COOKIE_AGE": None}, *names) == "28800 True False"
    assert _settings(env | {"DJANGO_SESSION_COOKIE_AGE": "3600"}, *names) == "3600 True False"


@pytest.mark.parametrize(
    ("proxy", "count", "expected"),
    [(None, None, "0"), ("true", None, "1"), ("true", "2", "2"), ("false", None, "0")],
)
def test_the_trusted_proxy_count_follows_the_tls_proxy_setting(env, proxy, count, expected):
    env = env | {"DJANGO_BEHIND_TLS_PROXY": proxy, "DJANGO_TRUSTED_PROXY_COUNT": count}

    assert _settings(env, "ALLAUTH_TRUSTED_PROXY_COUNT") == expected


def test_email_url_configures_the_mail_server(env):
    env = env | {"EMAIL_URL": "smtp+tls://classroom%40example.org:pw@smtp.example.org:587"}
    names = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL")

    assert _settings(env, *names) == (
        "'django.core.mail.backends.smtp.EmailBackend' 'smtp.example.org' 587 'classroom@example.org' True "
        "'classroom@example.org'"
    )
