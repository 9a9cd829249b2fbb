"""The system checks: no sandbox in production, no real Clever without credentials, a readable roster."""

from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings


def sandbox_errors():
    return sorted(message.id for message in run_checks() if message.id and message.id.startswith("sandbox."))


@override_settings(DEBUG=True, CLEVER_SANDBOX=True, CLEVER_SANDBOX_DATA="")
def test_development_with_the_sandbox_is_clean():
    assert sandbox_errors() == []
    call_command("check")


@override_settings(DEBUG=False, CLEVER_SANDBOX=True)
def test_sandbox_in_production_is_an_error():
    errors = [m for m in run_checks() if m.id == "sandbox.E001"]

    assert len(errors) == 1
    assert "The Clever sandbox is on in a production configuration" in errors[0].msg


@override_settings(DEBUG=False, CLEVER_SANDBOX=False, CLEVER_CLIENT_ID="", CLEVER_CLIENT_SECRET="")
def test_real_clever_without_credentials_is_an_error():
    assert sandbox_errors() == ["sandbox.E002"]


@override_settings(DEBUG=False, CLEVER_SANDBOX=False, CLEVER_CLIENT_ID="abc", CLEVER_CLIENT_SECRET="")
def test_real_clever_without_a_secret_is_an_error():
    assert sandbox_errors() == ["sandbox.E002"]


@override_settings(DEBUG=False, CLEVER_SANDBOX=False, CLEVER_CLIENT_ID="abc", CLEVER_CLIENT_SECRET="def")
def test_real_clever_with_credentials_is_clean():
    assert sandbox_errors() == []


def test_a_broken_roster_file_is_an_error(tmp_path):
    path = tmp_path / "roster.json"
    path.write_text('{"teachers": [{"id": "nope"}]}', encoding="utf-8")

    with override_settings(DEBUG=True, CLEVER_SANDBOX=True, CLEVER_SANDBOX_DATA=str(path)):
        errors = [m for m in run_checks() if m.id == "sandbox.E003"]

    assert len(errors) == 1
    assert "roster.json" in errors[0].msg
    assert "teachers[0]" in errors[0].msg
