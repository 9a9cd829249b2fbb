"""purge_data: a dry run counts and changes nothing; --apply deletes exactly what expired, in batches."""

from io import StringIO

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from onboarding.models import Answer
from privacy.services import data_purge
from rosters.models import DistrictToken, Section, Student, Teacher

from .world import DISTRICT_HERE, DISTRICT_WAITING, EXPECTED, NOW, build_world, days_ago

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_windows")]


def every_row() -> dict[str, list]:
    """Every row of every table, to show that a dry run changed nothing."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in apps.get_models()}


def counts(report) -> dict[str, dict[str, int]]:
    return {kind.name: kind.rows for kind in report.kinds}


def test_a_dry_run_counts_every_kind_and_changes_nothing():
    build_world()
    before = every_row()

    report = data_purge(apply=False, now=NOW)

    assert counts(report) == EXPECTED
    assert every_row() == before
    assert not report.applied


def test_apply_deletes_exactly_the_expired_rows():
    world = build_world()

    report = data_purge(apply=True, now=NOW)

    assert counts(report) == EXPECTED
    assert sorted(Student.objects.values_list("first_name", flat=True)) == [
        "Ada",
        "Both",  # also in Math, an active teacher's class
        "Moved",
        "Recent",  # archived 89 days ago: inside the window
        "Shared",  # current in Math; only its removed enrollment in the untaught class went
        "StillThere",
        "WaitingStudent",
    ]
    assert sorted(Section.objects.values_list("name", flat=True)) == [
        "Math",
        "Taught, nobody in it",
        "Untaught, a student still in it",
        "Waiting district class",
    ]
    assert sorted(Teacher.objects.values_list("first_name", flat=True)) == ["Active", "CoTeacher", "Waiting"]
    assert sorted(DistrictToken.objects.values_list("district_id", flat=True)) == [DISTRICT_WAITING, DISTRICT_HERE]
    assert Student.objects.get(first_name="Both").archived_at is None
    # Its only current class was the district's: archived now, deleted when its own window passes.
    assert Student.objects.get(first_name="Moved").archived_at == NOW
    assert world.teacher.section_teachers.count() == 2


def test_a_disconnected_districts_accounts_clever_only_deleted_with_a_password_kept_without_clever():
    build_world()

    data_purge(apply=True, now=NOW)

    assert not User.objects.filter(first_name="CleverOnly").exists()
    assert Answer.objects.count() == 0
    merged = User.objects.get(first_name="Merged")
    assert merged.has_usable_password()
    assert not SocialAccount.objects.filter(user=merged).exists()
    assert not Teacher.objects.filter(user=merged).exists()
    assert sorted(SocialAccount.objects.values_list("user__first_name", flat=True)) == ["Active"]


def test_the_records_of_background_work_and_the_audit_trail_keep_what_is_inside_their_windows():
    build_world()

    data_purge(apply=True, now=NOW)

    from django_tasks_db.models import DBTaskResult

    from rosters.models import RateBudget, SyncJob, SyncRun

    assert sorted(SyncRun.objects.values_list("outcome", flat=True)) == ["failed", "running"]
    assert sorted(SyncJob.objects.values_list("status", flat=True)) == ["failed", "queued"]
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "READY"]
    assert list(RateBudget.objects.values_list("key", flat=True)) == ["b" * 64]
    assert AuditEvent.objects.filter(at=days_ago(364)).count() == 1
    assert not AuditEvent.objects.filter(at=days_ago(366)).exists()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 25]


def test_the_purge_writes_one_audit_event_with_its_counts():
    build_world()

    data_purge(apply=True, now=NOW)

    purged = AuditEvent.objects.get(action=AuditEvent.Action.DATA_PURGED)
    assert (purged.actor, purged.ip) == ("command:purge_data", None)
    assert purged.detail == (
        "sync_runs: 1 sync runs; sync_jobs: 1 sync jobs; task_results: 1 task results; "
        "rate_budgets: 1 rate budgets; audit_events: 1 audit events; expired_sessions: 1 sessions; "
        "disconnected_districts: 1 districts, "
        "1 teachers with no account, 1 accounts deleted, 1 accounts kept without Clever, 2 sections, "
        "1 students, 3 enrollments; archived_students: 1 students, 2 enrollments; "
        "untaught_sections: 1 sections, 1 enrollments; placeholder_teachers: 1 teachers"
    )
    # The accounts the district's purge removed are each recorded too, by id.
    assert sorted(
        AuditEvent.objects.filter(actor="command:purge_data")
        .exclude(action=AuditEvent.Action.DATA_PURGED)
        .values_list("action", "target_type")
    ) == [
        ("clever_identity_removed", "user"),
        ("user_deleted", "user"),
    ]


def test_a_dry_run_writes_no_audit_event():
    build_world()
    before = AuditEvent.objects.count()

    data_purge(apply=False, now=NOW)

    assert AuditEvent.objects.count() == before


def test_a_second_run_finds_nothing():
    build_world()
    data_purge(apply=True, now=NOW)

    again = data_purge(apply=True, now=NOW)

    assert again.total == 0
    assert again.summary() == "nothing expired"


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_any_batch_size_deletes_the_same_rows(batch_size):
    build_world()

    report = data_purge(apply=True, now=NOW, batch_size=batch_size)

    assert counts(report) == EXPECTED
    assert Student.objects.count() == 7


def test_a_district_that_reconnected_keeps_everything():
    build_world()
    DistrictToken.objects.filter(status=DistrictToken.Status.DISCONNECTED).update(
        status=DistrictToken.Status.CONNECTED, disconnected_at=None
    )

    report = data_purge(apply=True, now=NOW)

    assert counts(report)["disconnected_districts"] == dict.fromkeys(EXPECTED["disconnected_districts"], 0)
    assert User.objects.filter(first_name="CleverOnly").exists()
    assert Section.objects.filter(name="Gone district class").exists()


def test_shorter_windows_from_settings_take_more(settings):
    build_world()
    settings.DATA_RETENTION_ARCHIVED_STUDENTS_DAYS = 80  # Recent (89 days) is now expired too

    report = data_purge(apply=False, now=NOW)

    assert counts(report)["archived_students"] == {"students": 2, "enrollments": 3}


# --- The command -----------------------------------------------------------------------------


def purge_command(*args) -> str:
    out = StringIO()
    call_command("purge_data", *args, stdout=out)
    return out.getvalue()


def test_the_command_is_a_dry_run_by_default_and_says_per_kind_what_and_why(monkeypatch):
    build_world()
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    output = purge_command()

    assert "Students in no class of ours for more than 90 days: 1 students, 2 enrollments" in output
    assert "Roster syncs that started more than 30 days ago: 1 sync runs" in output
    assert "Dry run: nothing was deleted. With --apply, 22 rows would be." in output
    assert Student.objects.count() == 9


def test_the_command_applies_and_then_is_quiet_for_cron(monkeypatch):
    build_world()
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    first = purge_command("--apply")
    second = purge_command("--apply")
    verbose = purge_command("--apply", "-v", "2")

    assert "Deleted 22 rows in all." in first
    assert "Co-teachers who never signed in and no longer teach any class: 1 teachers" in first
    assert "Audit events older than 365 days" in first
    assert second == ""
    assert "Deleted 0 rows in all." in verbose


def test_the_command_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        purge_command("--batch-size", "0")
