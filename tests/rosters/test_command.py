"""manage.py sync_rosters: progress, a summary, failures reported without stopping the rest."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rosters.models import DistrictToken, Section, SyncRun, Teacher
from sandbox import demo
from tests.fixtures import FISCHER, OKORO, PETROVA, RIVERA, roster_data

from .helpers import FISCHER_CLASSES, RIVERA_CLASSES, classes, teacher_row

pytestmark = pytest.mark.django_db


def run_command(*args) -> str:
    out = StringIO()
    call_command("sync_rosters", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def harbor(clever_sandbox):
    """The sandbox serving tests/fixtures/rosters/harbor.json and library.json at once (for conftest's too)."""
    roster = roster_data("harbor")
    for kind, records in roster_data("library").items():
        if isinstance(records, list):
            roster[kind] += records
    clever_sandbox.state.load(roster)
    return clever_sandbox


def test_one_teacher_by_clever_id(harbor, district_token):
    teacher_row(RIVERA)

    output = run_command("--teacher", RIVERA)

    assert output.splitlines() == [
        "Syncing 1 teacher from Clever…",
        f"[1/1] {RIVERA} ({RIVERA}): ok: 20 created, 1 updated, 0 removed, 0 restored (6 HTTP calls)",
        "Synced 1, failed 0, skipped 0 (need a fresh Clever login or a district token).",
    ]
    assert classes(RIVERA) == RIVERA_CLASSES
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.COMMAND


def test_teachers_one_by_one_with_one_failure_reports_it_and_exits_non_zero(harbor, district_token):
    for clever_id in (RIVERA, OKORO, FISCHER):
        teacher_row(clever_id)
    harbor.state.add_fault(f"/v2.0/teachers/{OKORO}", 500, times=None)

    out = StringIO()
    with pytest.raises(CommandError, match="Synced 2, failed 1"):
        call_command("sync_rosters", *("--teacher", RIVERA, "--teacher", OKORO, "--teacher", FISCHER), stdout=out)

    assert f"[2/3] {OKORO} ({OKORO}): failed: CleverUnavailable: HTTP 500 Internal server error" in out.getvalue()
    assert classes(RIVERA) == RIVERA_CLASSES
    assert classes(FISCHER) == FISCHER_CLASSES
    # Okoro co-teaches STEM Lab, which Rivera's sync brought; his own sync never ran.
    assert classes(OKORO) == {"STEM Lab - Rivera - 4": ["Ada Lovelace", "Farid Haddad"]}
    assert Teacher.objects.get(clever_id=OKORO).last_synced_at is None


def test_all_skips_teachers_without_credentials_and_syncs_the_rest(harbor):
    rivera = teacher_row(RIVERA)
    Teacher.objects.filter(pk=rivera.pk).update(token=harbor.state.user_token(RIVERA))
    teacher_row(PETROVA, library=True)  # no token, no district: needs a login

    output = run_command("--all")

    assert f"[1/2] {PETROVA} ({PETROVA}): skipped, needs a fresh Clever login" in output
    assert "Synced 1, failed 0, skipped 1" in output
    assert classes(RIVERA) == RIVERA_CLASSES
    assert classes(PETROVA) == {}


def test_dry_run_reports_changes_and_writes_nothing(harbor, district_token):
    teacher_row(RIVERA)

    output = run_command("--teacher", RIVERA, "--dry-run")

    assert f"[1/1] {RIVERA} ({RIVERA}): would change: 20 created, 1 updated, 0 removed, 0 restored" in output
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
    assert token.name == "Demo District"  # as sandbox/data/demo.json names it
