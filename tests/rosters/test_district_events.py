"""A district's incremental sync from Clever's Events API (the sandbox's /v2.0/events), over HTTP.

Every test starts from a full sync of tests/fixtures/district/lakeside.json, changes the
sandbox's roster (which records the changes as Clever's events), and syncs from events.
"""

import pytest

from rosters.models import DistrictToken, SyncRun

from .district_helpers import (
    LAKESIDE_CLASSES,
    LAKESIDE_STUDENTS,
    LAKESIDE_TEACHERS_OF,
    classes,
    district_row,
    district_sync,
    lakeside_id,
    lakeside_roster,
    sections,
    students,
    teachers,
    teachers_of,
)
from .helpers import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def lakeside(clever_sandbox):
    """Lakeside, set to sync from events, after its first (full) sync."""
    clever_sandbox.state.load(lakeside_roster())
    clever_sandbox.state.add("schools", {"id": lakeside_id("104"), "district": lakeside_id("001"), "name": "Annex"})
    district = district_row(clever_sandbox, sync_mode=DistrictToken.SyncMode.EVENTS)
    first = district_sync(district)
    assert (first.outcome, first.mode) == (SyncRun.Outcome.SUCCESS, "full"), first.error
    clever_sandbox.state.clear_calls()
    district.refresh_from_db()
    return district


def position(district) -> str:
    return DistrictToken.objects.values_list("last_event_id", flat=True).get(pk=district.pk)


def test_the_first_sync_of_an_events_district_is_full_and_says_why(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    district = district_row(clever_sandbox, sync_mode=DistrictToken.SyncMode.EVENTS)

    run = district_sync(district)

    assert (run.outcome, run.mode) == (SyncRun.Outcome.SUCCESS, "full"), run.error
    assert "Fell back to a full sync: no event position is recorded yet" in run.note
    assert classes() == LAKESIDE_CLASSES


@pytest.mark.parametrize("placement", ["data", "event"])
def test_creations_updates_and_deletions_of_each_kind_arrive_in_order(clever_sandbox, lakeside, placement):
    clever_sandbox.state.set_options(events_previous_attributes=placement)
    state = clever_sandbox.state
    district = lakeside_id("001")
    # Schools: one created, one renamed, one (empty) deleted.
    state.add("schools", {"id": lakeside_id("103"), "district": district, "name": "Lakeside High"})
    state.update("schools", lakeside_id("102"), name="Lakeside Middle School")
    state.remove("schools", lakeside_id("104"))
    # Teachers: Mary Jackson arrives at the high school, Alan Turing's email changes, Katherine Johnson leaves.
    state.add(
        "teachers",
        {
            "id": lakeside_id("206"),
            "district": district,
            "school": lakeside_id("103"),
            "name": {"first": "Mary", "middle": "", "last": "Jackson"},
            "email": "mary.jackson@lakeside.example",
            "title": "Physics Teacher",
        },
    )
    state.update("teachers", lakeside_id("202"), email="alan.m.turing@lakeside.example")
    state.remove("teachers", lakeside_id("203"))
    # Students: Lea Lopez arrives, Ava is renamed, Jun leaves (he was only in the Science Lab).
    state.add(
        "students",
        {
            "id": lakeside_id("412"),
            "district": district,
            "school": lakeside_id("103"),
            "name": {"first": "Lea", "middle": "", "last": "Lopez"},
            "grade": "9",
        },
    )
    state.update("students", lakeside_id("401"), name={"first": "Avery", "middle": "", "last": "Adams"})
    state.remove("students", lakeside_id("410"))
    # Sections: Physics is new, Algebra I period 2 is renamed and moved, Algebra I period 1 is gone.
    state.add_section(
        {
            "id": lakeside_id("305"),
            "district": district,
            "school": lakeside_id("103"),
            "name": "Physics - Jackson - 1",
            "subject": "science",
            "grade": "9",
            "period": "1",
            "teachers": [lakeside_id("206")],
            "students": [lakeside_id("412"), lakeside_id("405")],
        }
    )
    state.update("sections", lakeside_id("303"), name="Algebra I (Honors) - Turing - 5", period="5")
    state.remove("sections", lakeside_id("302"))

    run = district_sync(lakeside)

    assert (run.outcome, run.mode) == (SyncRun.Outcome.SUCCESS, "events"), run.error
    assert run.http_calls == 2  # one page of events, and "does Clever still have our position?"
    assert classes() == {
        "301": {"401", "402", "403", "404"},
        "302": set(),  # gone from Clever: its enrollments removed, the row kept
        "303": {"408", "409"},
        "304": {"405", "408"},
        "305": {"405", "412"},
    }
    assert teachers_of() == {
        "301": {("201", True)},
        "303": {("202", True)},
        "304": {("204", True)},  # Ada Byron is the Science Lab's teacher now
        "305": {("206", True)},
    }
    assert sections()["303"] == ("Algebra I (Honors) - Turing - 5", "math", "7", "5", "102")
    assert sections()["305"] == ("Physics - Jackson - 1", "science", "9", "1", "103")
    assert teachers() == {
        "201": ("Grace", "Hopper", "grace.hopper@lakeside.example", "Grade 4 Teacher", "Lakeside Elementary"),
        "202": ("Alan", "Turing", "alan.m.turing@lakeside.example", "Math Teacher", "Lakeside Middle School"),
        "203": ("Katherine", "Johnson", "", "Science Teacher", "Lakeside Middle School"),
        "204": ("Ada", "Byron", "ada.byron@lakeside.example", "Lab Assistant", "Lakeside Middle School"),
        "205": ("Edsger", "Dijkstra", "edsger.dijkstra@lakeside.example", "Librarian", "Lakeside Elementary"),
        "206": ("Mary", "Jackson", "mary.jackson@lakeside.example", "Physics Teacher", "Lakeside High"),
    }
    assert students() == LAKESIDE_STUDENTS | {
        "401": ("Avery", "Adams", "4", False),
        "406": ("Fay", "Fox", "7", True),  # only in Algebra I period 1: archived
        "407": ("Gus", "Gray", "7", True),
        "410": ("Jun", "Jones", "7", True),  # no longer shared: archived
        "412": ("Lea", "Lopez", "9", False),
    }
    lakeside.refresh_from_db()
    assert lakeside.last_incremental_sync_at is not None
    assert lakeside.last_event_id == clever_sandbox.state.events_feed(lakeside.district_id).ids[-1]


def test_an_event_applied_again_changes_nothing(clever_sandbox, lakeside):
    start = position(lakeside)
    clever_sandbox.state.remove("students", lakeside_id("410"))
    clever_sandbox.state.update("sections", lakeside_id("301"), name="Grade 4 - Hopper (Room 12)")
    district_sync(lakeside)
    before = database_state()
    # Clever delivers the same events again (our position is back where it was).
    DistrictToken.objects.filter(pk=lakeside.pk).update(last_event_id=start)

    again = district_sync(lakeside)

    assert (again.outcome, again.mode) == (SyncRun.Outcome.SUCCESS, "events"), again.error
    assert again.records == 3  # sections.updated (Science Lab, Grade 4) and students.deleted
    assert (again.created, again.updated, again.removed, again.restored) == (0, 0, 0, 0)
    assert database_state() == before


@pytest.mark.parametrize("answer", ["404", "400", "empty", "first"])
def test_a_position_clever_no_longer_has_means_a_full_sync(clever_sandbox, lakeside, answer):
    clever_sandbox.state.set_options(events_unknown_cursor=answer)
    clever_sandbox.state.update("students", lakeside_id("402"), grade="5")
    district_sync(lakeside)  # our position is now that event
    # More than 30 days pass: Clever forgets it; then more changes arrive.
    clever_sandbox.state.forget_events()
    clever_sandbox.state.remove_student_from_section(lakeside_id("409"), lakeside_id("303"))

    run = district_sync(lakeside)

    assert (run.outcome, run.mode) == (SyncRun.Outcome.SUCCESS, "full"), run.error
    assert "Fell back to a full sync: Clever could not give the events after event" in run.note
    assert classes() == LAKESIDE_CLASSES | {"303": {"408"}}
    assert students()["402"] == ("Ben", "Brooks", "5", False)
    assert students()["409"] == ("Ivo", "Ito", "7", True)
    assert (run.created, run.updated, run.removed, run.restored) == (0, 0, 1, 0)
    # The full sync recorded where the feed stands now: the next sync is incremental again.
    clever_sandbox.state.update("students", lakeside_id("403"), grade="5")
    assert district_sync(lakeside).mode == "events"
    assert students()["403"] == ("Cleo", "Chen", "5", False)


def test_events_turned_off_in_clevers_dashboard_mean_full_syncs(clever_sandbox, lakeside):
    clever_sandbox.state.set_options(events_enabled=False, events_disabled_answer="403")
    clever_sandbox.state.remove_student_from_section(lakeside_id("409"), lakeside_id("303"))

    run = district_sync(lakeside)

    assert (run.outcome, run.mode) == (SyncRun.Outcome.SUCCESS, "full"), run.error
    assert "Fell back to a full sync" in run.note
    assert "Events are not enabled for this application" in run.note
    assert classes()["303"] == {"408"}
    lakeside.refresh_from_db()
    assert lakeside.event_position_known is False
    assert "no event position is recorded yet" in district_sync(lakeside).note


def test_a_quiet_district_costs_two_calls_and_changes_nothing(clever_sandbox, lakeside):
    before = database_state()

    run = district_sync(lakeside)

    # An empty page of events, and "does Clever still have our position?"
    assert (run.outcome, run.mode, run.records, run.http_calls) == (SyncRun.Outcome.SUCCESS, "events", 0, 2)
    assert database_state() == before


@pytest.mark.parametrize("placement", ["data", "event"])
def test_events_of_kinds_not_kept_and_of_fields_not_kept_are_skipped(clever_sandbox, lakeside, placement):
    clever_sandbox.state.set_options(events_previous_attributes=placement)
    clever_sandbox.state.update("school_admins", lakeside_id("501"), title="Head of School")
    clever_sandbox.state.update("students", lakeside_id("401"), dob="2/3/2015")  # a field the product does not keep
    before = database_state()

    run = district_sync(lakeside)

    assert (run.outcome, run.records) == (SyncRun.Outcome.SUCCESS, 2), run.error
    assert "skipped 1 events of kinds not kept here and 1 changing no field kept here" in run.note
    assert database_state() == before


def test_a_student_in_no_class_at_the_full_sync_is_read_when_a_class_takes_them(clever_sandbox, lakeside):
    assert "411" not in students()  # Kit King was in no class: not kept
    clever_sandbox.state.add_student_to_section(lakeside_id("411"), lakeside_id("303"))

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes()["303"] == {"408", "409", "411"}
    assert students()["411"] == ("Kit", "King", "8", False)
    assert run.http_calls == 3  # the events, our position, and Kit's record
    assert clever_sandbox.state.count_calls(f"/v2.0/students/{lakeside_id('411')}") == 1


def test_events_page_like_any_list(clever_sandbox, lakeside, settings):
    settings.CLEVER_DISTRICT_PAGE_SIZE = 2
    for student in ("401", "402", "403", "404", "405"):
        clever_sandbox.state.update("students", lakeside_id(student), grade="8")

    run = district_sync(lakeside)

    assert (run.outcome, run.records, run.updated) == (SyncRun.Outcome.SUCCESS, 5, 5), run.error
    assert clever_sandbox.state.count_calls("/v2.0/events") == 3  # 2 + 2 + 1
    assert {key: value[2] for key, value in students().items() if key <= "405"} == dict.fromkeys(
        ("401", "402", "403", "404", "405"), "8"
    )


def test_a_failure_while_reading_events_applies_nothing_and_keeps_the_position(clever_sandbox, lakeside, settings):
    settings.CLEVER_DISTRICT_PAGE_SIZE = 1
    clever_sandbox.state.update("students", lakeside_id("401"), grade="5")
    clever_sandbox.state.update("students", lakeside_id("402"), grade="5")
    before, start = database_state(), position(lakeside)
    clever_sandbox.state.add_fault("/v2.0/events", 503, skip=1, times=None)

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert (database_state(), position(lakeside)) == (before, start)


def test_a_full_sync_can_be_forced(clever_sandbox, lakeside):
    run = district_sync(lakeside, mode="full")

    assert (run.outcome, run.mode, run.records) == (SyncRun.Outcome.SUCCESS, "full", 23)
    assert teachers_of() == LAKESIDE_TEACHERS_OF


def test_a_full_sync_is_applied_even_when_only_the_event_feed_fails(clever_sandbox, lakeside):
    clever_sandbox.state.add_fault("/v2.0/events", 503, times=None)
    clever_sandbox.state.update("students", lakeside_id("402"), grade="5")

    run = district_sync(lakeside, mode="full")

    assert (run.outcome, run.mode) == (SyncRun.Outcome.SUCCESS, "full"), run.error
    assert "Clever's Events API did not answer (CleverUnavailable: HTTP 503" in run.note
    assert students()["402"] == ("Ben", "Brooks", "5", False)
    lakeside.refresh_from_db()
    assert lakeside.event_position_known is False  # the next sync is a full one
