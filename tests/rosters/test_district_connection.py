"""A district's connection and its teachers: logins after a district sync, disconnecting, reconnecting.

The roster is tests/fixtures/district/lakeside.json, served by the sandbox over HTTP.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from onboarding.models import Onboarding
from rosters import districts, services
from rosters.clever import CleverClient
from rosters.models import DistrictToken, SyncRun, Teacher
from rosters.sync.teacher import roster_apply, roster_fetch
from tests.clever_login import clever_callback, clever_login, product_get
from tests.factories import OnboardingFactory

from .district_helpers import (
    LAKESIDE_CLASSES,
    classes,
    district_row,
    district_sync,
    lakeside_id,
    lakeside_roster,
    students,
)
from .helpers import database_state

pytestmark = pytest.mark.django_db

ROSTER_PATHS = ("/v2.0/teachers/*/sections", "/v2.0/sections/*/students", "/v2.0/sections", "/v2.0/students")


@pytest.fixture
def lakeside(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    district = district_row(clever_sandbox)
    run = district_sync(district)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    clever_sandbox.state.clear_calls()
    return district


def roster_calls(sandbox) -> int:
    return sum(sandbox.state.count_calls(path) for path in ROSTER_PATHS)


# --- Logins -------------------------------------------------------------------------------------


def test_a_district_teachers_first_login_after_a_district_sync_makes_no_roster_call(client, clever_sandbox, lakeside):
    clever_login(client, clever_sandbox, user_id=lakeside_id("201"))

    assert roster_calls(clever_sandbox) == 0
    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))
    assert hopper.user is not None  # the row the district sync wrote, now hers
    assert Teacher.objects.filter(clever_id=lakeside_id("201")).count() == 1
    assert not SyncRun.objects.filter(teacher=hopper).exists()
    # Her onboarding is prefilled from the classes already there, and My classes lists them.
    assert "Lakeside Elementary" in client.get(reverse("onboarding:form")).content.decode()
    Onboarding.objects.filter(user=hopper.user).update(finished_at=timezone.now())
    page = client.get(reverse("rosters:classes")).content.decode()
    assert "Grade 4 - Hopper" in page
    assert "Last updated from Clever" in page


def test_a_district_teachers_first_login_after_a_district_sync_asks_clever_only_who_she_is(
    client, clever_sandbox, lakeside
):
    round_trip = clever_callback(client, clever_sandbox, user_id=lakeside_id("201"))

    # /me says who she is; her name, email and school are what the district sync read.
    assert clever_sandbox.state.count_calls("/v2.*/**") == 1
    assert clever_sandbox.state.count_calls("/v2.1/me") == 1
    welcome = product_get(client, round_trip.response["Location"]).content.decode()
    assert "Grace Hopper" in welcome
    assert "Lakeside Elementary" in welcome


def test_a_login_reads_the_teacher_from_clever_when_the_district_was_not_synced_recently(
    client, clever_sandbox, lakeside, settings
):
    settings.ROSTER_DISTRICT_FRESH_MINUTES = 30
    DistrictToken.objects.filter(pk=lakeside.pk).update(
        last_full_sync_at=timezone.now() - timezone.timedelta(minutes=31)
    )
    renamed = {"first": "Grace", "middle": "", "last": "Murray"}
    clever_sandbox.state.update("teachers", lakeside_id("201"), name=renamed)

    round_trip = clever_callback(client, clever_sandbox, user_id=lakeside_id("201"))

    assert clever_sandbox.state.count_calls("/v2.0/teachers/" + lakeside_id("201")) == 1
    assert "Grace Murray" in product_get(client, round_trip.response["Location"]).content.decode()


def test_a_login_syncs_inline_when_the_district_was_not_synced_recently(client, clever_sandbox, lakeside, settings):
    settings.ROSTER_DISTRICT_FRESH_MINUTES = 30
    DistrictToken.objects.filter(pk=lakeside.pk).update(
        last_full_sync_at=timezone.now() - timezone.timedelta(minutes=31)
    )

    clever_login(client, clever_sandbox, user_id=lakeside_id("201"))

    assert clever_sandbox.state.count_calls("/v2.0/teachers/*/sections") == 1
    run = SyncRun.objects.get(teacher__clever_id=lakeside_id("201"))
    assert (run.trigger, run.outcome) == (SyncRun.Trigger.LOGIN, SyncRun.Outcome.SUCCESS)


def test_a_teacher_clever_shared_after_the_district_sync_syncs_at_login(client, clever_sandbox, lakeside):
    clever_sandbox.state.add(
        "teachers",
        {
            "id": lakeside_id("207"),
            "district": lakeside_id("001"),
            "school": lakeside_id("101"),
            "name": {"first": "Annie", "middle": "", "last": "Easley"},
            "email": "annie.easley@lakeside.example",
        },
    )
    clever_sandbox.state.add_section(
        {
            "id": lakeside_id("306"),
            "district": lakeside_id("001"),
            "school": lakeside_id("101"),
            "name": "Coding Club - Easley",
            "teachers": [lakeside_id("207")],
            "students": [lakeside_id("401")],
        }
    )

    clever_login(client, clever_sandbox, user_id=lakeside_id("207"))

    assert clever_sandbox.state.count_calls("/v2.0/teachers/*/sections") == 1
    assert classes()["306"] == {"401"}


def test_with_no_freshness_window_every_login_syncs_inline(client, clever_sandbox, lakeside, settings):
    settings.ROSTER_DISTRICT_FRESH_MINUTES = 0

    clever_login(client, clever_sandbox, user_id=lakeside_id("202"))

    assert clever_sandbox.state.count_calls("/v2.0/teachers/*/sections") == 1
    assert classes() == LAKESIDE_CLASSES


# --- Disconnecting and reconnecting ----------------------------------------------------------


def disconnect_in_clever(sandbox) -> None:
    """The district disconnects the app: Clever refuses its token from now on (and lists it no more)."""
    sandbox.state.add_fault("/v2.*/**", 401, times=None)


def test_a_refused_district_token_marks_the_district_disconnected_and_keeps_its_data(clever_sandbox, lakeside):
    before = database_state()
    disconnect_in_clever(clever_sandbox)

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "disconnected this app in Clever" in run.message
    lakeside.refresh_from_db()
    assert lakeside.status == DistrictToken.Status.DISCONNECTED
    assert lakeside.disconnected_at is not None
    assert database_state() == before  # nothing deleted: the purge's window decides that
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISTRICT_DISCONNECTED)
    assert (event.actor, event.target_type, event.target_id) == ("system:sync", "district", lakeside.district_id)
    assert lakeside.token not in event.detail

    # Its syncs stop, with a clear message and no call to Clever: the district's and its teachers'.
    clever_sandbox.state.clear_calls()
    with pytest.raises(services.DistrictDisconnected, match="disconnected"):
        district_sync(lakeside)
    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))
    with pytest.raises(services.DistrictDisconnected):
        services.teacher_sync(teacher=hopper, trigger=SyncRun.Trigger.BUTTON)
    assert clever_sandbox.state.calls == []


def test_a_teachers_sync_with_a_refused_district_token_disconnects_the_district(clever_sandbox, lakeside):
    disconnect_in_clever(clever_sandbox)
    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))

    run = services.teacher_sync(teacher=hopper, trigger=SyncRun.Trigger.ADMIN)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "disconnected this app in Clever" in run.message
    assert DistrictToken.objects.get(pk=lakeside.pk).status == DistrictToken.Status.DISCONNECTED


def test_its_teachers_are_told_on_my_classes(client, clever_sandbox, lakeside):
    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))
    user = OnboardingFactory(finished_at=timezone.now()).user
    Teacher.objects.filter(pk=hopper.pk).update(user=user)
    disconnect_in_clever(clever_sandbox)
    district_sync(lakeside)
    client.force_login(user)

    page = client.get(reverse("rosters:classes")).content.decode()

    assert "Your district has disconnected this app in Clever." in page
    assert "Your classes can no longer be updated from Clever." in page
    assert "Grade 4 - Hopper" in page  # what Clever last shared is still there
    assert "Sync now" not in page
    answer = client.post(reverse("rosters:sync"), follow=True).content.decode()
    assert "can no longer be updated from Clever" in answer


def test_a_new_token_reconnects_the_district_and_syncing_resumes_with_nothing_lost(clever_sandbox, lakeside):
    before = database_state()
    disconnect_in_clever(clever_sandbox)
    district_sync(lakeside)
    # The district connects the app again; Clever lists its token; staff import it.
    clever_sandbox.state.clear_faults()
    clever_sandbox.state.update("students", lakeside_id("401"), grade="5")

    imported = services.district_tokens_import(actor=districts.Actor(command="sync_rosters"))

    assert (imported.created, imported.updated, imported.reconnected) == (1, 1, 1)  # Hillcrest is new
    lakeside.refresh_from_db()
    assert (lakeside.status, lakeside.disconnected_at) == (DistrictToken.Status.CONNECTED, None)
    events = list(AuditEvent.objects.order_by("pk").values_list("action", "actor", "target_id", "detail"))
    assert [event[:3] for event in events] == [
        ("district_disconnected", "system:sync", lakeside.district_id),
        ("district_reconnected", "command:sync_rosters", lakeside.district_id),
        ("district_tokens_imported", "command:sync_rosters", ""),
    ]
    assert events[0][3].startswith("CleverUnauthorized: HTTP 401")
    assert events[2][3] == "added 1, updated 1, reconnected 1"

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert students()["401"] == ("Ava", "Adams", "5", False)
    after = database_state()
    assert after["enrollments"] == before["enrollments"]  # the same rows: nothing was lost
    assert after["sections"] == before["sections"]


def test_staff_entering_a_token_reconnects_the_district(admin_client, clever_sandbox, lakeside):
    disconnect_in_clever(clever_sandbox)
    district_sync(lakeside)
    clever_sandbox.state.clear_faults()

    response = admin_client.post(
        reverse("admin:rosters_districttoken_change", args=[lakeside.pk]),
        {
            "district_id": lakeside.district_id,
            "name": "Lakeside Unified",
            "token": clever_sandbox.state.district_token(lakeside.district_id),
            "sync_mode": "full",
        },
    )

    assert response.status_code == 302
    lakeside.refresh_from_db()
    assert lakeside.status == DistrictToken.Status.CONNECTED
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISTRICT_RECONNECTED)
    assert event.actor.startswith("user:")
    assert district_sync(lakeside).outcome == SyncRun.Outcome.SUCCESS


def test_a_refusal_of_an_old_token_does_not_disconnect_a_district_that_has_a_new_one(clever_sandbox, lakeside):
    refused = lakeside.token
    DistrictToken.objects.filter(pk=lakeside.pk).update(token="a-newer-token-staff-entered")

    changed = districts.district_disconnect(district_pk=lakeside.pk, refused_token=refused, detail="HTTP 401")

    assert changed is False
    assert DistrictToken.objects.get(pk=lakeside.pk).status == DistrictToken.Status.CONNECTED
    assert not AuditEvent.objects.exists()


def test_a_teacher_sync_that_fetched_before_a_district_sync_does_not_undo_it(clever_sandbox, lakeside):
    # Hopper's own sync reads her class (401-404)...
    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))
    with CleverClient(token=lakeside.token) as client:
        snapshot = roster_fetch(client=client, teacher_clever_id=hopper.clever_id)
    # ...then 404 leaves her class in Clever, and the district's sync applies that first.
    without_404 = [lakeside_id(suffix) for suffix in ("401", "402", "403")]
    clever_sandbox.state.update("sections", lakeside_id("301"), students=without_404)
    assert district_sync(lakeside).outcome == SyncRun.Outcome.SUCCESS
    assert classes()["301"] == {"401", "402", "403"}

    counts = roster_apply(teacher=hopper, snapshot=snapshot)

    assert counts.total == 0
    assert classes()["301"] == {"401", "402", "403"}  # 404 is not enrolled again
