"""A district's full sync against the sandbox over HTTP: exact, paged, all or nothing, idempotent, scoped.

The roster is tests/fixtures/district/lakeside.json; the expected rows are written out in
district_helpers from reading it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rosters.models import DistrictToken, Enrollment, Section, Student, SyncRun, Teacher
from sandbox.generate import generate_roster

from .district_helpers import (
    HILLCREST,
    LAKESIDE_CLASSES,
    LAKESIDE_SECTIONS,
    LAKESIDE_STUDENTS,
    LAKESIDE_TEACHERS,
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
from .helpers import database_state, sync, user_credentials

pytestmark = pytest.mark.django_db


@pytest.fixture
def lakeside(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    return district_row(clever_sandbox)


def test_a_district_arrives_exactly(clever_sandbox, lakeside):
    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes() == LAKESIDE_CLASSES
    assert teachers_of() == LAKESIDE_TEACHERS_OF
    assert sections() == LAKESIDE_SECTIONS
    assert teachers() == LAKESIDE_TEACHERS  # every teacher, signed in or not, with their school's name
    assert students() == LAKESIDE_STUDENTS
    # 5 teachers + 4 sections + 10 students + 12 enrollments; 2 schools, 5 teachers, 4 sections, 11 students read.
    assert (run.mode, run.records, run.created, run.updated, run.removed, run.restored) == ("full", 22, 31, 0, 0, 0)
    # The event feed's position, then schools, teachers, sections and students: one page each.
    assert run.http_calls == 5
    assert clever_sandbox.state.count_calls("/v2.0/events") == 1
    lakeside.refresh_from_db()
    assert lakeside.last_full_sync_at is not None
    assert (lakeside.event_position_known, lakeside.last_event_id) == (True, "")  # the feed had no event yet
    assert lakeside.last_run == run


def test_teachers_who_never_signed_in_get_rows_that_a_login_claims(clever_sandbox, lakeside):
    district_sync(lakeside)

    hopper = Teacher.objects.get(clever_id=lakeside_id("201"))
    assert (hopper.user, hopper.sharing, hopper.district_id) == (None, "district", lakeside.district_id)
    assert sorted(hopper.sections.values_list("name", flat=True)) == ["Grade 4 - Hopper"]


def test_paging_with_a_small_page_size_reads_every_record_once(clever_sandbox, lakeside, settings):
    settings.CLEVER_DISTRICT_PAGE_SIZE = 2

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes() == LAKESIDE_CLASSES
    assert students() == LAKESIDE_STUDENTS
    assert teachers() == LAKESIDE_TEACHERS
    # 2 schools: 1 page; 5 teachers: 3; 4 sections: 2; 11 students: 6; and the events page.
    calls = {path: clever_sandbox.state.count_calls(path) for path in ("/v2.0/schools", "/v2.0/teachers")}
    calls |= {path: clever_sandbox.state.count_calls(path) for path in ("/v2.0/sections", "/v2.0/students")}
    assert calls == {"/v2.0/schools": 1, "/v2.0/teachers": 3, "/v2.0/sections": 2, "/v2.0/students": 6}
    assert run.http_calls == 1 + 1 + 3 + 2 + 6
    assert all("limit=2" in call.query for call in clever_sandbox.state.calls if call.path.endswith("/students"))


def test_a_failure_on_the_third_page_applies_nothing(clever_sandbox, lakeside, settings):
    settings.CLEVER_DISTRICT_PAGE_SIZE = 2
    district_sync(lakeside)
    before = database_state()
    position = DistrictToken.objects.values_list("last_event_id", "last_full_sync_at").get(pk=lakeside.pk)
    # Clever changes, but the third page of students fails every time (retries included).
    clever_sandbox.state.update("students", lakeside_id("401"), name={"first": "Avery", "middle": "", "last": "Adams"})
    clever_sandbox.state.remove("sections", lakeside_id("303"))
    clever_sandbox.state.add_fault("/v2.0/students", 503, skip=2, times=None)

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "503" in run.error
    assert "Clever is not responding" in run.message
    assert database_state() == before
    assert DistrictToken.objects.values_list("last_event_id", "last_full_sync_at").get(pk=lakeside.pk) == position


def test_a_failure_on_the_first_sync_leaves_no_rows(clever_sandbox, lakeside):
    clever_sandbox.state.add_fault("/v2.0/sections", "malformed_json", times=None)

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "malformed JSON" in run.error
    assert (Teacher.objects.count(), Section.objects.count(), Student.objects.count()) == (0, 0, 0)


def test_syncing_twice_changes_nothing_the_second_time(clever_sandbox, lakeside):
    district_sync(lakeside)
    before = database_state()

    again = district_sync(lakeside)

    assert (again.created, again.updated, again.removed, again.restored) == (0, 0, 0, 0)
    assert database_state() == before  # the same rows, the same primary keys


def test_what_clever_changed_since_the_last_full_sync_arrives_as_soft_removals_and_restores(clever_sandbox, lakeside):
    district_sync(lakeside)
    algebra_2 = Section.objects.get(clever_id=lakeside_id("303"))
    ivo = Student.objects.get(clever_id=lakeside_id("409"))
    # Clever: Algebra I period 2 is gone (Ivo was only there); Fay moves from Algebra I period 1 to
    # Grade 4; Dev is renamed; Edsger co-teaches Grade 4.
    state = clever_sandbox.state
    state.remove("sections", lakeside_id("303"))
    state.move_student(lakeside_id("406"), lakeside_id("302"), lakeside_id("301"))
    state.update("students", lakeside_id("404"), name={"first": "Devi", "middle": "", "last": "Dutta"})
    state.update("sections", lakeside_id("301"), teachers=[lakeside_id("201"), lakeside_id("205")])

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes() == {
        "301": {"401", "402", "403", "404", "406"},
        "302": {"405", "407"},
        "303": set(),
        "304": {"405", "408", "410"},
    }
    assert teachers_of() == {
        "301": {("201", True), ("205", False)},
        "302": {("202", True)},
        "304": {("203", True), ("204", False)},
    }
    assert students()["404"] == ("Devi", "Dutta", "4", False)
    assert students()["409"] == ("Ivo", "Ito", "7", True)  # left with no class: archived, kept
    assert students()["408"] == ("Hana", "Hill", "7", False)  # Algebra I period 2 gone, but Science Lab stays
    # created: Fay in Grade 4; updated: Devi; removed: Fay from period 1, Hana and Ivo from period 2.
    assert (run.created, run.updated, run.removed, run.restored) == (1, 1, 3, 0)
    assert Section.objects.get(clever_id=lakeside_id("303")).pk == algebra_2.pk  # kept, soft

    # Clever shares period 2 again with Ivo: the same rows come back.
    state.add("sections", lakeside_roster()["sections"][2])
    restore = district_sync(lakeside)

    assert classes()["303"] == {"408", "409"}
    assert students()["409"] == ("Ivo", "Ito", "7", False)
    assert Student.objects.get(clever_id=lakeside_id("409")).pk == ivo.pk
    assert restore.restored == 2
    assert teachers_of()["303"] == {("202", True)}


def test_other_districts_and_the_library_are_never_touched(clever_sandbox, lakeside):
    hillcrest = district_row(clever_sandbox, HILLCREST)
    district_sync(hillcrest)
    library = sync(clever_sandbox, "cc0000000000000000000201", library=True)
    assert library.outcome == SyncRun.Outcome.SUCCESS, library.error
    outside = {
        "classes": {key: value for key, value in classes().items() if not key.isdigit()},
        "enrollments": sorted(Enrollment.objects.exclude(section__district_id=lakeside.district_id).values_list()),
    }

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert outside["classes"] == {"bb301": {"bb401", "bb402"}, "cc301": {"cc401"}}
    assert {key: value for key, value in classes().items() if not key.isdigit()} == outside["classes"]
    assert (
        sorted(Enrollment.objects.exclude(section__district_id=lakeside.district_id).values_list())
        == (outside["enrollments"])
    )
    assert classes() | outside["classes"] == LAKESIDE_CLASSES | outside["classes"]


def test_a_library_teachers_row_is_kept_when_their_district_later_shares_them(clever_sandbox, lakeside):
    sync(clever_sandbox, "cc0000000000000000000201", library=True)
    teacher = Teacher.objects.get(clever_id="cc0000000000000000000201")
    clever_sandbox.state.share_teacher_with_district(
        "cc0000000000000000000201", district_id=lakeside.district_id, school_id=lakeside_id("101")
    )

    run = district_sync(lakeside)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    moved = Teacher.objects.get(clever_id="cc0000000000000000000201")
    assert (moved.pk, moved.district_id) == (teacher.pk, lakeside.district_id)
    assert moved.school_name == "Lakeside Elementary"
    assert moved.sharing == "library"  # the next login says how Clever shares them now
    assert classes()["cc301"] == {"cc401"}


def test_the_sql_of_a_district_sync_grows_with_pages_not_rows(clever_sandbox, settings):
    settings.CLEVER_DISTRICT_PAGE_SIZE = 10000

    def statements(teachers_count: int, seed: int) -> int:
        roster = generate_roster(teachers=teachers_count, sections_per_teacher=3, students_per_section=10, seed=seed)
        clever_sandbox.state.load(roster)
        district_id = roster["districts"][0]["id"]
        district = DistrictToken.objects.create(
            district_id=district_id, token=clever_sandbox.state.district_token(district_id)
        )
        with CaptureQueriesContext(connection) as queries:
            run = district_sync(district)
        assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
        assert Enrollment.objects.filter(section__district_id=district_id).count() == teachers_count * 3 * 10
        return len(queries)

    assert statements(2, seed=1) == statements(40, seed=2)  # 60 enrollments or 1,200: the same statements


def test_a_teachers_own_sync_and_the_district_sync_agree(clever_sandbox, lakeside):
    district_sync(lakeside)
    before = database_state()

    run = sync(clever_sandbox, lakeside_id("202"), credentials=user_credentials(clever_sandbox, lakeside_id("202")))

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert (run.created, run.removed, run.restored) == (0, 0, 0)
    after = database_state()
    assert {key: after[key] for key in ("sections", "links", "students", "enrollments")} == {
        key: before[key] for key in ("sections", "links", "students", "enrollments")
    }
