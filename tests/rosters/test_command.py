"""manage.py sync_rosters: progress, a summary, failures reported without stopping the rest."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rosters.models import DistrictToken, Section, SyncRun, Teacher
from sandbox import demo

from .helpers import product_classes, sandbox_classes, teacher_row

pytestmark = pytest.mark.django_db


def run_command(*args) -> str:
    out = StringIO()
    call_command("sync_rosters", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def district_token(clever_sandbox):
    return DistrictToken.objects.create(
        district_id=demo.DISTRICT, name="Demo District", token=clever_sandbox.state.district_token(demo.DISTRICT)
    )


def test_one_teacher_by_clever_id(clever_sandbox, district_token):
    teacher_row(demo.ZOE_OBRIEN)

    output = run_command("--teacher", demo.ZOE_OBRIEN)

    assert f"[1/1] {demo.ZOE_OBRIEN}" in output or "[1/1] Zoë O'Brien" in output
    assert "Synced 1, failed 0, skipped 0" in output
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.COMMAND


def test_teachers_one_by_one_with_one_failure_reports_it_and_exits_non_zero(clever_sandbox, district_token):
    for clever_id in (demo.ZOE_OBRIEN, demo.LIAM_CHEN, demo.RUTH_OKAFOR):
        teacher_row(clever_id)
    clever_sandbox.state.add_fault(f"/v2.0/teachers/{demo.LIAM_CHEN}", 500, times=None)

    out = StringIO()
    with pytest.raises(CommandError, match="Synced 2, failed 1"):
        call_command(
            "sync_rosters",
            *("--teacher", demo.ZOE_OBRIEN, "--teacher", demo.LIAM_CHEN, "--teacher", demo.RUTH_OKAFOR),
            stdout=out,
        )

    assert "failed: CleverUnavailable: HTTP 500" in out.getvalue()
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert product_classes(demo.RUTH_OKAFOR) == sandbox_classes(clever_sandbox, demo.RUTH_OKAFOR)
    assert product_classes(demo.LIAM_CHEN) == {}


def test_all_skips_teachers_without_credentials_and_syncs_the_rest(clever_sandbox):
    zoe = teacher_row(demo.ZOE_OBRIEN)
    Teacher.objects.filter(pk=zoe.pk).update(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN))
    teacher_row(demo.PRIYA_RAMAN, library=True)  # no token, no district: needs a login

    output = run_command("--all")

    assert "skipped, needs a fresh Clever login" in output
    assert "Synced 1, failed 0, skipped 1" in output
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


def test_dry_run_reports_changes_and_writes_nothing(clever_sandbox, district_token):
    teacher_row(demo.ZOE_OBRIEN)

    output = run_command("--teacher", demo.ZOE_OBRIEN, "--dry-run")

    assert "would change:" in output
    assert "Checked 1, failed 0" in output
    assert not Section.objects.exists()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Choose exactly one of --teacher, --district or --all."),
        (("--all", "--district", "x"), "Choose exactly one"),
        (("--teacher", "000000000000000000000000"), "No teacher with Clever ID 000000000000000000000000."),
    ],
)
def test_wrong_arguments_are_explained(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sync_rosters", *args, stdout=StringIO())


def test_district_tokens_can_be_imported_from_clever(clever_sandbox, client):
    from django.urls import reverse

    from tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    response = client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    assert "Imported from Clever: 1 new, 0 updated." in response.content.decode()
    token = DistrictToken.objects.get()
    assert (token.district_id, token.token) == (demo.DISTRICT, clever_sandbox.state.district_token(demo.DISTRICT))
    assert token.name == clever_sandbox.state.get("districts", demo.DISTRICT)["name"]
