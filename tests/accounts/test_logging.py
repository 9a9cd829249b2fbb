"""No code, state, token or Authorization value in log output."""

import io
import logging

import pytest
from django.contrib.auth import get_user

from cleverproject.logging import REDACTED, RedactSecretsFilter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('"GET /accounts/clever/login/callback/?code=c0de123&state=st4te HTTP/1.1" 302 0', "c0de123"),
        ('"GET /accounts/clever/login/callback/?code=c0de123&state=st4te HTTP/1.1" 302 0', "st4te"),
        ("redirect_uri=http%3A%2F%2Fapp%2Fcb%3Fcode%3Dc0de123%26state%3Dst4te", "c0de123"),
        ('{"access_token": "ilc_t0ken", "token_type": "bearer"}', "ilc_t0ken"),
        ("{'access_token': 'ilc_t0ken'}", "ilc_t0ken"),
        ("Authorization: Bearer ilc_t0ken", "ilc_t0ken"),
        ("headers={'Authorization': 'Basic c2VjcmV0OnNlY3JldA=='}", "c2VjcmV0OnNlY3JldA=="),
        ("POST body code=c0de123&grant_type=authorization_code", "c0de123"),
    ],
)
def test_redact_blanks_secret_values(text, secret):
    assert secret not in redact(text)
    assert REDACTED in redact(text)


@pytest.mark.parametrize("text", ["HTTP 400 status_code=400", "postcode=12345", "Clever GET /v2.1/me -> 200 in 3 ms"])
def test_redact_leaves_ordinary_text_alone(text):
    assert redact(text) == text


@pytest.fixture
def server_log():
    """What the configured django.server handler prints (settings.LOGGING), captured."""
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_dev_server_request_lines_are_redacted(server_log):
    # Exactly what django.core.servers.basehttp.WSGIRequestHandler.log_message does.
    request_line = "GET /accounts/clever/login/callback/?code=c0de123&state=st4te HTTP/1.1"
    logging.getLogger("django.server").info(
        '"%s" %s %s', request_line, "302", "0", extra={"status_code": 302, "server_time": "now"}
    )

    printed = server_log.getvalue()
    assert "/accounts/clever/login/callback/?code=[redacted]&state=[redacted]" in printed
    assert "c0de123" not in printed


def test_every_configured_handler_redacts():
    handlers = [*logging.getLogger().handlers, *logging.getLogger("django.server").handlers]
    configured = [h for h in handlers if h.get_name() in {"console", "django.server"}]

    assert {h.get_name() for h in configured} == {"console", "django.server"}
    assert all(any(isinstance(f, RedactSecretsFilter) for f in h.filters) for h in configured)


def test_exception_text_is_redacted():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise ValueError("token refused: access_token=ilc_t0ken")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()

    RedactSecretsFilter().filter(record)

    assert "ilc_t0ken" not in record.exc_text


@pytest.fixture
def printed_logs():
    """Everything the configured handlers (settings.LOGGING) print, captured."""
    handlers = [*logging.getLogger().handlers, *logging.getLogger("django.server").handlers]
    configured = [h for h in handlers if h.get_name() in {"console", "django.server"}]
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in configured]
    yield stream
    for handler, old in zip(configured, previous, strict=True):
        handler.setStream(old)


@pytest.mark.django_db
def test_no_code_or_token_in_the_logs_of_a_whole_login(client, clever_sandbox, caplog, printed_logs):
    from sandbox import demo
    from tests.clever_login import clever_callback, product_get

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=1)  # a retried call logs a warning too

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    client.post("/accounts/clever/welcome/create/")
    replay = product_get(client, trip.callback_url)  # a failed login logs its error
    bounce = client.get("/accounts/clever/login/callback/", {"code": "portal-code-123"})
    # What the dev server prints for each of those requests (the test server is quiet).
    for url in (trip.callback_url, "/accounts/clever/login/callback/?code=portal-code-123"):
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET {url} HTTP/1.1", "302", "0", extra={"status_code": 302, "server_time": "now"}
        )

    token = clever_sandbox.state.user_token(demo.ZOE_OBRIEN)
    assert get_user(client).is_authenticated
    assert replay.status_code == 401
    assert bounce.status_code == 302
    assert caplog.records  # the login did log: requests to Clever, the retry, the failed replay
    for secret in (trip.code, token, "portal-code-123"):
        assert secret not in caplog.text
        assert secret not in printed_logs.getvalue()
    assert "code=[redacted]" in printed_logs.getvalue()
