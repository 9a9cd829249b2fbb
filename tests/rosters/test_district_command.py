"""District syncs from `manage.py sync_rosters` and from the admin's Districts page, against the sandbox over HTTP.

The roster is tests/fixtures/district/lakeside.json (Lakeside Unified, Hillcrest District,
and the Library teacher Margaret Hamilton).
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from rosters import job_runner, tasks
from rosters.models import DistrictToken, Section, SyncJob, SyncRun, Teacher

from .district_helpers import (
    HILLCREST,
    LAKESIDE,
    LAKESIDE_CLASSES,
    classes,
    district_row,
    district_sync,
    lakeside_id,
    lakeside_roster,
)

pytestmark = pytest.mark.django_db

LIBRARY_TEACHER = "cc0000000000000000000201"


def run_command(*args) -> str:
    out = StringIO()
    call_command("sync_rosters", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def roster(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    return clever_sandbox


def test_import_tokens_prints_what_was_added_and_updated_and_audits_it(roster):
    assert "Imported district tokens from Clever: 2 added, 0 updated." in run_command("--import-tokens")
    assert "Imported district tokens from Clever: 0 added, 2 updated." in run_command("--import-tokens")

    assert sorted(DistrictToken.objects.values_list("district_id", "name")) == [
        (LAKESIDE, "Lakeside Unified"),
        (HILLCREST, "Hillcrest District"),
    ]
    assert list(
        AuditEvent.objects.filter(action=AuditEvent.Action.DISTRICT_TOKENS_IMPORTED)
        .order_by("pk")
        .values_list("actor", "detail")
    ) == [
        ("command:sync_rosters", "added 2, updated 0, reconnected 0"),
        ("command:sync_rosters", "added 0, updated 2, reconnected 0"),
    ]


def test_district_syncs_the_whole_district_and_prints_records_changes_and_calls(roster):
    district_row(roster)

    output = run_command("--district", LAKESIDE)

    assert (
        "District Lakeside Unified (aa0000000000000000000001): full sync: 22 records read, "
        "31 created, 0 updated, 0 removed, 0 restored, 5 Clever calls"
    ) in output
    assert classes() == LAKESIDE_CLASSES


def test_events_when_no_position_is_known_falls_back_and_says_so(roster):
    district_row(roster)

    output = run_command("--district", LAKESIDE, "--events")

    assert "full sync: 22 records read" in output
    assert "Fell back to a full sync: no event position is recorded yet" in output
    roster.state.update("students", lakeside_id("401"), grade="5")
    assert "incremental sync (events): 1 records read, 0 created, 1 updated" in run_command(
        "--district", LAKESIDE, "--events"
    )


def test_full_forces_a_full_sync_of_an_events_district(roster):
    district_row(roster, sync_mode=DistrictToken.SyncMode.EVENTS)
    run_command("--district", LAKESIDE)

    assert "full sync: 22 records read" in run_command("--district", LAKESIDE, "--full")


def test_a_failed_district_sync_exits_non_zero_and_changes_nothing(roster):
    district_row(roster)
    roster.state.add_fault("/v2.0/sections", 503, times=None)

    out = StringIO()
    with pytest.raises(CommandError, match=r"The sync of district Lakeside Unified failed\."):
        call_command("sync_rosters", "--district", LAKESIDE, stdout=out)

    assert "failed: CleverUnavailable: HTTP 503" in out.getvalue()
    assert not Section.objects.exists()


def test_a_district_without_a_token_or_disconnected_is_explained(roster):
    with pytest.raises(CommandError, match="No district token for district aa0000000000000000000001"):
        run_command("--district", LAKESIDE)
    district_row(roster, status=DistrictToken.Status.DISCONNECTED)

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("sync_rosters", "--district", LAKESIDE, stdout=out)

    assert "skipped: District aa0000000000000000000001 is disconnected" in out.getvalue()
    assert roster.state.calls == []


def test_dry_run_reports_what_a_district_sync_would_change_and_writes_nothing(roster):
    district = district_row(roster)

    output = run_command("--district", LAKESIDE, "--dry-run")

    assert "would change: 31 created, 0 updated, 0 removed, 0 restored (full sync, 22 records read" in output
    assert (Section.objects.count(), SyncRun.objects.count()) == (0, 0)
    district.refresh_from_db()
    assert (district.last_full_sync_at, district.event_position_known) == (None, False)


def test_all_syncs_every_district_then_the_teachers_no_district_token_covers(roster):
    district_row(roster)
    district_row(roster, HILLCREST, status=DistrictToken.Status.DISCONNECTED)
    Teacher.objects.create(
        clever_id=LIBRARY_TEACHER, sharing="library", token=roster.state.user_token(LIBRARY_TEACHER)
    )

    output = run_command("--all")

    assert "District Lakeside Unified (aa0000000000000000000001): full sync: 22 records read" in output
    assert "District Hillcrest District (bb0000000000000000000001): skipped: District" in output
    assert "Districts: synced 1, failed 0, skipped 1 (disconnected)." in output
    # Lakeside's teachers are its sync's; Hillcrest's (disconnected) nobody's; the Library teacher's own.
    assert "Syncing 1 teacher from Clever…" in output
    assert "[1/1] cc0000000000000000000201 (cc0000000000000000000201): ok: 3 created" in output
    assert "Synced 1, failed 0, skipped 0" in output
    assert classes() == LAKESIDE_CLASSES | {"cc301": {"cc401"}}


def test_all_enqueue_makes_one_job_per_district_and_per_library_teacher(roster):
    district_row(roster)
    district_row(roster, HILLCREST)
    Teacher.objects.create(
        clever_id=LIBRARY_TEACHER, sharing="library", token=roster.state.user_token(LIBRARY_TEACHER)
    )

    output = run_command("--all", "--enqueue")

    assert "Enqueued 3 sync jobs. (2 for districts, 1 for teachers)" in output
    assert "succeeded 3, failed 0, skipped 0" in output  # the immediate backend ran them here
    assert sorted(
        (job.district.district_id if job.district else job.teacher.clever_id)
        for job in SyncJob.objects.select_related("district", "teacher")
    ) == sorted([LAKESIDE, HILLCREST, LIBRARY_TEACHER])
    assert classes()["bb301"] == {"bb401", "bb402"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--full", "--events", "--all"), "Choose --full or --events, not both."),
        (("--teacher", lakeside_id("201"), "--full"), "--full and --events apply to district syncs"),
        (("--requeue-stale", "--import-tokens"), "--requeue-stale takes no other option."),
    ],
)
def test_wrong_district_arguments_are_explained(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sync_rosters", *args, stdout=StringIO())


# --- The admin --------------------------------------------------------------------------------


def test_the_districts_page_shows_status_sync_state_and_counts(admin_client, roster):
    lakeside = district_row(roster)
    district_sync(lakeside)
    district_row(roster, HILLCREST, status=DistrictToken.Status.DISCONNECTED)

    page = admin_client.get(reverse("admin:rosters_districttoken_changelist")).content.decode()

    assert "Districts" in page
    assert "Disconnected" in page
    assert "Connected" in page
    assert "Succeeded: 22 read, 31 created, 0 updated, 0 removed, 0 restored, 5 Clever calls" in page
    assert lakeside.token not in page
    change = admin_client.get(reverse("admin:rosters_districttoken_change", args=[lakeside.pk])).content.decode()
    assert "Last full sync" in change
    assert "Event position known" in change
    assert lakeside.token not in change


def test_sync_now_queues_a_job_per_district(admin_client, roster):
    lakeside = district_row(roster)
    hillcrest = district_row(roster, HILLCREST, status=DistrictToken.Status.DISCONNECTED)

    response = admin_client.post(
        reverse("admin:rosters_districttoken_changelist"),
        {"action": "sync_now", "_selected_action": [lakeside.pk, hillcrest.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "Synced Lakeside Unified: 22 records read, 31 changes." in page
    assert "Hillcrest District is disconnected: Clever refused its token." in page
    job = SyncJob.objects.get()
    assert (job.district, job.trigger, job.status) == (lakeside, SyncRun.Trigger.ADMIN, SyncJob.Status.SUCCEEDED)
    assert classes() == LAKESIDE_CLASSES


def test_the_admin_import_reports_reconnections(admin_client, roster):
    district_row(roster, status=DistrictToken.Status.DISCONNECTED)

    response = admin_client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    page = response.content.decode()
    assert "Imported from Clever: 1 new, 1 updated." in page
    assert "1 disconnected district(s) connected again." in page
    assert DistrictToken.objects.get(district_id=LAKESIDE).status == DistrictToken.Status.CONNECTED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DISTRICT_RECONNECTED, actor__startswith="user:").exists()


def test_a_full_sync_asked_for_runs_even_after_an_incremental_one_since(roster):
    # The weekly --full job and the daily --events one fire together: the incremental sync that
    # ran first does not count as the full one.
    district = district_row(roster, sync_mode=DistrictToken.SyncMode.EVENTS)
    run_command("--district", LAKESIDE)  # full: the feed's position is now known
    full = SyncJob.objects.create(
        district=district, mode="full", trigger=SyncRun.Trigger.COMMAND, requested_at=timezone.now()
    )
    run_command("--district", LAKESIDE)  # an incremental sync, after the full job was asked for

    status = job_runner.sync_job_run(job_id=full.pk, task_id="t-full", task=tasks.sync_teacher_job)

    assert status == SyncJob.Status.SUCCEEDED
    modes = list(SyncRun.objects.filter(district=district).order_by("pk").values_list("mode", flat=True))
    assert modes == ["full", "events", "full"]
