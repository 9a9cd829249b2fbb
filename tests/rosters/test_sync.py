"""The roster sync against the sandbox over HTTP: exact, idempotent, all-or-nothing, cheap.

The sandbox serves the hand-written rosters of tests/fixtures; every expected class,
student and count below is read off those files, not computed.
"""

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rosters import jobs, services
from rosters.models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher
from sandbox.generate import generate_roster
from tests.fixtures import (
    ADA,
    ALGEBRA,
    BEN,
    CHLOE,
    DEV,
    FISCHER,
    GEOMETRY,
    HARBOR,
    OKORO,
    PETROVA,
    RIVERA,
    STEM_LAB,
    roster_data,
    roster_path,
    serve_roster,
)

from .helpers import (
    FISCHER_CLASSES,
    OKORO_CLASSES,
    RIVERA_CLASSES,
    classes,
    database_state,
    district_credentials,
    sync,
    teacher_row,
)

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Clever is not responding right now. Please try again in a few minutes."
UNREADABLE = "Clever sent a reply we could not read. Please try again in a few minutes."
SIGN_IN_AGAIN = "Your Clever sign-in has expired. Please log in with Clever again."
NOT_SHARED = "Clever no longer shares this information with us."
BUSY = "Clever is busy right now. Please try again in a minute."


def test_a_district_teachers_roster_arrives_exactly(harbor):
    run = sync(harbor, RIVERA)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(RIVERA) == RIVERA_CLASSES
    # 3 sections, 8 students (Ada is in two of them), 9 enrollments; and the teacher's profile.
    assert (run.created, run.updated, run.removed, run.restored) == (3 + 8 + 9, 1, 0, 0)
    assert run.http_calls == 3 + 3  # teacher, school, the section list; then one call per section
    assert sorted(Section.objects.values_list("name", "subject", "grade", "period", "section_number")) == [
        ("Algebra I - Rivera - 1", "math", "9", "1", "101"),
        ("Geometry - Rivera - 2", "math", "10", "2", "102"),
        ("STEM Lab - Rivera - 4", "technology and engineering", "9", "4", "104"),
    ]
    assert Student.objects.values_list("first_name", "last_name", "grade").get(clever_id=DEV) == ("Dev", "Patel", "10")
    rivera = Teacher.objects.get(clever_id=RIVERA)
    assert (rivera.first_name, rivera.last_name, rivera.email, rivera.title) == (
        "María",
        "Rivera",
        "maria.rivera@harbor.example",
        "Math Teacher",
    )
    assert (rivera.district_id, rivera.school_name) == (HARBOR, "Harbor High School")
    assert rivera.last_synced_at is not None


@pytest.mark.parametrize("served_by", ["CLEVER_SANDBOX_DATA", "PUT /_control/roster"])
def test_the_fixture_roster_arrives_the_same_however_the_sandbox_is_given_it(clever_sandbox, settings, served_by):
    if served_by == "CLEVER_SANDBOX_DATA":
        settings.CLEVER_SANDBOX_DATA = str(roster_path("harbor"))
        clever_sandbox.state.reset()
    else:
        loaded = requests.put(f"{clever_sandbox.url}/_control/roster", json=roster_data("harbor"), timeout=10)
        assert loaded.json()["loaded"]["students"] == 11

    run = sync(clever_sandbox, RIVERA)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(RIVERA) == RIVERA_CLASSES


def test_a_teacher_without_an_email_at_another_school(harbor):
    run = sync(harbor, FISCHER)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(FISCHER) == FISCHER_CLASSES
    fischer = Teacher.objects.get(clever_id=FISCHER)
    assert (fischer.email, fischer.school_name) == ("", "Bayview Middle School")


def test_a_library_teachers_students_arrive_as_first_name_last_initial_and_grade(clever_sandbox):
    serve_roster(clever_sandbox, "library")

    run = sync(clever_sandbox, PETROVA, library=True)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(PETROVA) == {"Chess Club": ["Owen P"], "Reading Circle": ["Mila N", "Theo G"]}
    assert run.http_calls == 2 + 2  # no school to read
    assert sorted(Student.objects.values_list("first_name", "last_name", "grade")) == [
        ("Mila", "N", "4"),
        ("Owen", "P", "5"),
        ("Theo", "G", "4"),
    ]
    petrova = Teacher.objects.get(clever_id=PETROVA)
    assert (petrova.email, petrova.school_name, petrova.district_id) == ("nadia.petrova@example.org", "", "")


def test_syncing_twice_changes_nothing_the_second_time(harbor):
    first = sync(harbor, RIVERA)
    before = database_state()

    second = sync(harbor, RIVERA)

    assert first.created == 20
    assert (second.created, second.updated, second.removed, second.restored) == (0, 0, 0, 0)
    after = database_state()
    # Same rows with the same primary keys; only the teacher's "last synced" moved.
    assert after["sections"] == before["sections"]
    assert after["students"] == before["students"]
    assert after["enrollments"] == before["enrollments"]
    assert after["links"] == before["links"]


def test_a_student_removed_in_clever_is_marked_removed_archived_then_restored_with_the_same_rows(harbor):
    sync(harbor, RIVERA)
    enrollment = Enrollment.objects.get(section__clever_id=ALGEBRA, student__clever_id=CHLOE)

    harbor.state.remove_student_from_section(CHLOE, ALGEBRA)  # Chloé's only class
    removal = sync(harbor, RIVERA)

    assert (removal.created, removal.removed, removal.restored) == (0, 1, 0)
    enrollment.refresh_from_db()
    assert enrollment.removed_at is not None
    assert classes(RIVERA)["Algebra I - Rivera - 1"] == ["Ada Lovelace", "Ben Carter", "Hugo Martin", "Iris Chen"]
    assert Student.objects.get(clever_id=CHLOE).archived_at is not None  # in no class any more

    harbor.state.add_student_to_section(CHLOE, ALGEBRA)
    restore = sync(harbor, RIVERA)

    assert (restore.created, restore.removed, restore.restored) == (0, 0, 1)
    restored = Enrollment.objects.get(section__clever_id=ALGEBRA, student__clever_id=CHLOE)
    assert (restored.pk, restored.student_id, restored.removed_at) == (enrollment.pk, enrollment.student_id, None)
    assert Student.objects.get(clever_id=CHLOE).archived_at is None
    assert classes(RIVERA) == RIVERA_CLASSES


def test_a_student_removed_from_one_class_but_still_in_another_is_not_archived(harbor):
    sync(harbor, RIVERA)

    harbor.state.remove_student_from_section(ADA, ALGEBRA)  # she stays in STEM Lab
    run = sync(harbor, RIVERA)

    assert (run.created, run.removed, run.restored) == (0, 1, 0)
    assert classes(RIVERA)["Algebra I - Rivera - 1"] == ["Ben Carter", "Chloé Dubois", "Hugo Martin", "Iris Chen"]
    assert classes(RIVERA)["STEM Lab - Rivera - 4"] == ["Ada Lovelace", "Farid Haddad"]
    assert Student.objects.get(clever_id=ADA).archived_at is None


def test_moving_a_student_and_adding_a_section_show_exactly_that_change(harbor):
    sync(harbor, RIVERA)
    harbor.state.move_student(DEV, GEOMETRY, ALGEBRA)
    harbor.state.add_section(
        {
            "id": "5e00000000000000000000ff",
            "district": HARBOR,
            "school": "5c0000000000000000000001",
            "name": "Algebra II - Rivera - 6",
            "subject": "math",
            "grade": "10",
            "teachers": [RIVERA],
            "students": [ADA, BEN, CHLOE],
        }
    )

    run = sync(harbor, RIVERA)

    # One new section, one new enrollment for Dev, three for the new section; Dev's Geometry one removed.
    assert (run.created, run.updated, run.removed, run.restored) == (1 + 1 + 3, 0, 1, 0)
    assert classes(RIVERA) == {
        "Algebra I - Rivera - 1": [
            "Ada Lovelace",
            "Ben Carter",
            "Chloé Dubois",
            "Dev Patel",
            "Hugo Martin",
            "Iris Chen",
        ],
        "Algebra II - Rivera - 6": ["Ada Lovelace", "Ben Carter", "Chloé Dubois"],
        "Geometry - Rivera - 2": ["Ema Schmidt"],
        "STEM Lab - Rivera - 4": ["Ada Lovelace", "Farid Haddad"],
    }


def test_a_failure_on_the_last_section_call_leaves_the_roster_untouched(harbor, settings):
    settings.CLEVER_SYNC_CONCURRENCY = 1  # "the third call" is then the third section
    sync(harbor, RIVERA)
    before = database_state()
    # Clever changes, but the third section call fails every time (retries included).
    harbor.state.remove_student_from_section(BEN, ALGEBRA)
    harbor.state.update("sections", GEOMETRY, name="Geometry (renamed)")
    harbor.state.add_fault("/v2.0/sections/*/students", 503, skip=2, times=None)

    run = sync(harbor, RIVERA)

    assert (run.outcome, run.message) == (SyncRun.Outcome.FAILED, UNAVAILABLE)
    assert run.error == "CleverUnavailable: HTTP 503 Service unavailable"
    assert database_state() == before  # not even "last synced" moves
    assert classes(RIVERA) == RIVERA_CLASSES


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "malformed_json"}, UNREADABLE),
        ({"kind": "html"}, UNREADABLE),
        ({"kind": "data_null"}, UNREADABLE),
        ({"kind": "no_id"}, UNREADABLE),
        ({"kind": "401"}, SIGN_IN_AGAIN),
        ({"kind": "404"}, NOT_SHARED),
        ({"kind": "reset"}, UNAVAILABLE),
        ({"kind": "cut_off"}, UNAVAILABLE),
        ({"kind": "429", "retry_after": "http-date", "reset_in": 3600}, BUSY),
    ],
    ids=["malformed_json", "html", "data_null", "no_id", "401", "404", "reset", "cut_off", "429-for-an-hour"],
)
def test_a_failed_section_reply_is_never_read_as_no_students(harbor, fault, message):
    sync(harbor, RIVERA)
    before = database_state()
    harbor.state.add_fault("/v2.0/sections/*/students", times=None, id=GEOMETRY, **fault)

    run = sync(harbor, RIVERA)

    assert (run.outcome, run.message) == (SyncRun.Outcome.FAILED, message)
    assert database_state() == before
    assert classes(RIVERA) == RIVERA_CLASSES


def test_a_section_list_whose_next_link_loops_fails_the_sync_and_changes_nothing(harbor):
    credentials = district_credentials(harbor)
    sync(harbor, RIVERA, credentials=credentials)
    before = database_state()
    harbor.state.add_fault("/v2.0/sections/*/students", "next_loop", times=None, id=ALGEBRA)

    run = sync(harbor, RIVERA, credentials=credentials)

    assert (run.outcome, run.message) == (SyncRun.Outcome.FAILED, UNREADABLE)
    assert run.error == "CleverBadResponse: pagination went round in a circle"
    assert database_state() == before


def test_a_reply_that_never_comes_times_out_and_changes_nothing(harbor, settings):
    settings.CLEVER_HTTP_TIMEOUT = 0.2
    sync(harbor, RIVERA)
    before = database_state()
    harbor.state.add_fault("/v2.0/sections/*/students", "hang", times=None, id=GEOMETRY)

    run = sync(harbor, RIVERA)

    assert (run.outcome, run.message, run.error) == (
        SyncRun.Outcome.FAILED,
        UNAVAILABLE,
        "CleverUnavailable: timed out",
    )
    assert database_state() == before


@pytest.mark.parametrize(
    "asked",
    [{"headers": {"Retry-After": "0"}}, {"retry_after": "http-date"}, {"headers": {"Retry-After": "soon"}}],
    ids=["seconds", "http-date", "garbled"],
)
def test_a_short_rate_limit_is_waited_out_however_clever_says_so(harbor, asked):
    # reset_in=0: Clever's window ends now (X-RateLimit-Reset; what a garbled Retry-After leaves).
    harbor.state.add_fault("/v2.0/teachers/*/sections", 429, reset_in=0, times=1, **asked)

    run = sync(harbor, RIVERA)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(RIVERA) == RIVERA_CLASSES
    assert run.http_calls == 3 + 3 + 1  # the refused call, then the same again


def test_a_district_token_pages_through_every_student_exactly_once(harbor, settings):
    settings.CLEVER_PAGE_SIZE = 2

    run = sync(harbor, RIVERA, credentials=district_credentials(harbor))

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert classes(RIVERA) == RIVERA_CLASSES
    assert Enrollment.objects.count() == 5 + 2 + 2
    # Pages of two: Algebra I's 5 students take 3 pages, Geometry's and STEM Lab's 2 one each.
    assert harbor.state.count_calls("/v2.0/sections/*/students") == 3 + 1 + 1
    # Teacher, school, the three sections in two pages, then the students.
    assert run.http_calls == 1 + 1 + 2 + 5


def _sync_queries(sandbox, *, sections, students, seed, times=1) -> list[int]:
    """Sync a generated teacher `times` times; return the SQL statements of each sync."""
    roster = generate_roster(teachers=1, sections_per_teacher=sections, students_per_section=students, seed=seed)
    sandbox.state.load(roster)
    teacher = teacher_row(roster["teachers"][0]["id"])
    credentials = district_credentials(sandbox, roster["districts"][0]["id"])
    counts = []
    for _ in range(times):
        with CaptureQueriesContext(connection) as queries:
            run = services.roster_sync(teacher=teacher, credentials=credentials, trigger=SyncRun.Trigger.COMMAND)
        assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
        counts.append(len(queries))
    assert Enrollment.objects.filter(section__section_teachers__teacher=teacher).count() == sections * students
    return counts


def test_the_sql_of_one_sync_does_not_grow_with_sections_or_students(clever_sandbox):
    small_first, small_again = _sync_queries(clever_sandbox, sections=2, students=5, seed=1, times=2)
    large_first, large_again = _sync_queries(clever_sandbox, sections=20, students=40, seed=2, times=2)

    assert large_first == small_first
    assert large_again == small_again  # an unchanged sync, too
    assert small_again < small_first


def test_a_co_teacher_who_signs_in_later_finds_the_shared_section(harbor):
    sync(harbor, RIVERA)
    okoro = Teacher.objects.get(clever_id=OKORO)
    assert okoro.user is None  # a placeholder until he signs in
    assert list(okoro.sections.values_list("name", flat=True)) == ["STEM Lab - Rivera - 4"]
    stem = SectionTeacher.objects.filter(section__clever_id=STEM_LAB).order_by("teacher__clever_id")
    assert list(stem.values_list("teacher__clever_id", "is_primary")) == [(RIVERA, True), (OKORO, False)]

    sync(harbor, OKORO)

    assert Teacher.objects.filter(clever_id=OKORO).count() == 1
    assert classes(OKORO) == OKORO_CLASSES
    assert classes(RIVERA) == RIVERA_CLASSES
    ben = Student.objects.get(clever_id=BEN)  # in Algebra I (Rivera) and Biology (Okoro)
    assert sorted(ben.enrollments.values_list("section__name", flat=True)) == [
        "Algebra I - Rivera - 1",
        "Biology - Okoro - 3",
    ]


def test_a_section_the_teacher_no_longer_teaches_leaves_their_classes(harbor):
    sync(harbor, RIVERA)
    harbor.state.remove("sections", GEOMETRY)  # Rivera was its only teacher

    run = sync(harbor, RIVERA)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert sorted(classes(RIVERA)) == ["Algebra I - Rivera - 1", "STEM Lab - Rivera - 4"]
    geometry = Section.objects.get(clever_id=GEOMETRY)
    assert not geometry.enrollments.filter(removed_at__isnull=True).exists()  # no teacher left: enrollments end
    assert run.removed == 2  # Dev and Ema
    assert sorted(Student.objects.filter(archived_at__isnull=False).values_list("first_name", flat=True)) == [
        "Dev",
        "Ema",
    ]


def test_the_login_sync_keeps_the_token_encrypted_and_never_raises(harbor):
    teacher = teacher_row(RIVERA)
    token = harbor.state.user_token(RIVERA)
    harbor.state.add_fault("/v2.0/teachers/*", 500, times=None)

    run = jobs.teacher_login_sync(teacher=teacher, token=token)

    assert (run.outcome, run.trigger, run.message) == (SyncRun.Outcome.FAILED, SyncRun.Trigger.LOGIN, UNAVAILABLE)
    teacher.refresh_from_db()
    assert teacher.token == token
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM rosters_teacher WHERE id = %s", [teacher.pk])
        assert token not in cursor.fetchone()[0]

    harbor.state.clear_faults()
    retry = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.BUTTON)
    assert retry.outcome == SyncRun.Outcome.SUCCESS, retry.error
    assert classes(RIVERA) == RIVERA_CLASSES


def test_a_refused_teacher_token_is_forgotten_so_the_next_sync_asks_for_a_login(harbor):
    teacher = teacher_row(RIVERA)
    jobs.teacher_login_sync(teacher=teacher, token=harbor.state.user_token(RIVERA))
    harbor.state.revoke_token(harbor.state.user_token(RIVERA))

    run = services.teacher_sync(teacher=Teacher.objects.get(pk=teacher.pk), trigger=SyncRun.Trigger.BUTTON)

    assert (run.outcome, run.message) == (SyncRun.Outcome.FAILED, SIGN_IN_AGAIN)
    assert Teacher.objects.get(pk=teacher.pk).token == ""
    with pytest.raises(services.NeedsFreshLogin):
        services.teacher_sync(teacher=Teacher.objects.get(pk=teacher.pk), trigger=SyncRun.Trigger.BUTTON)


def test_a_401_for_one_teacher_leaves_the_others_syncing(harbor):
    for clever_id in (RIVERA, OKORO):
        jobs.teacher_login_sync(teacher=teacher_row(clever_id), token=harbor.state.user_token(clever_id))
    before = classes(RIVERA)
    harbor.state.add_fault("/v2.0/**", 401, owner=RIVERA, times=None)  # Clever refuses her token only

    refused = services.teacher_sync(teacher=Teacher.objects.get(clever_id=RIVERA), trigger=SyncRun.Trigger.BUTTON)
    fine = services.teacher_sync(teacher=Teacher.objects.get(clever_id=OKORO), trigger=SyncRun.Trigger.BUTTON)

    assert (refused.outcome, refused.message) == (SyncRun.Outcome.FAILED, SIGN_IN_AGAIN)
    assert classes(RIVERA) == before == RIVERA_CLASSES
    assert fine.outcome == SyncRun.Outcome.SUCCESS, fine.error
    assert classes(OKORO) == OKORO_CLASSES


def test_a_district_token_comes_before_the_teachers_own(harbor):
    teacher = teacher_row(FISCHER)
    DistrictToken.objects.create(district_id=HARBOR, token=harbor.state.district_token(HARBOR))

    run = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.ADMIN)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.http_calls == 3 + 1
    assert harbor.state.count_calls("/v2.0/**", token_kind="district") == 3 + 1
    assert classes(FISCHER) == FISCHER_CLASSES
