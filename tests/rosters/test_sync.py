"""The roster sync against the sandbox over HTTP: exact, idempotent, all-or-nothing, cheap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rosters import jobs, services
from rosters.models import Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher
from sandbox import demo
from sandbox.generate import generate_roster

from .helpers import (
    database_state,
    district_credentials,
    product_classes,
    sandbox_classes,
    sync,
    teacher_row,
)

pytestmark = pytest.mark.django_db

DISTRICT_TEACHERS = [demo.ZOE_OBRIEN, demo.JOSE_NUNEZ, demo.RUTH_OKAFOR, demo.LIAM_CHEN, demo.AMELIE_DUBOIS]
LIBRARY_TEACHERS = [demo.PRIYA_RAMAN, demo.HANNAH_MULLER]


@pytest.mark.parametrize("clever_id", DISTRICT_TEACHERS)
def test_a_district_teachers_demo_roster_arrives_exactly(clever_sandbox, clever_id):
    run = sync(clever_sandbox, clever_id)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    expected = sandbox_classes(clever_sandbox, clever_id)
    assert product_classes(clever_id) == expected
    # Teacher, school, the section list, then one call per section.
    assert run.http_calls == 3 + len(expected)

    roster = clever_sandbox.state.roster
    for section in Section.objects.filter(clever_id__in=expected):
        record = roster.get("sections", section.clever_id)
        assert (section.name, section.subject, section.grade) == (
            record["name"],
            record.get("subject") or "",
            record.get("grade") or "",
        )
    for student in Student.objects.filter(enrollments__section__clever_id__in=expected).distinct():
        record = roster.get("students", student.clever_id)
        assert (student.first_name, student.last_name, student.grade) == (
            record["name"]["first"],
            record["name"]["last"],
            record["grade"],
        )

    teacher = Teacher.objects.get(clever_id=clever_id)
    record = roster.get("teachers", clever_id)
    assert teacher.email == (record.get("email") or "")
    assert teacher.school_name == roster.get("schools", record["school"])["name"]
    assert teacher.last_synced_at is not None


@pytest.mark.parametrize("clever_id", LIBRARY_TEACHERS)
def test_a_library_teachers_students_arrive_as_first_name_last_initial_and_grade(clever_sandbox, clever_id):
    run = sync(clever_sandbox, clever_id, library=True)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    expected = sandbox_classes(clever_sandbox, clever_id)
    assert product_classes(clever_id) == expected
    assert run.http_calls == 2 + len(expected)  # no school to read
    roster = clever_sandbox.state.roster
    for student in Student.objects.all():
        record = roster.get("students", student.clever_id)
        assert student.first_name == record["name"]["first"]
        assert student.last_name == record["name"]["last"][:1]
        assert student.grade == (record.get("grade") or "")
    assert Teacher.objects.get(clever_id=clever_id).school_name == ""


def test_syncing_twice_changes_nothing_the_second_time(clever_sandbox):
    first = sync(clever_sandbox, demo.ZOE_OBRIEN)
    before = database_state()

    second = sync(clever_sandbox, demo.ZOE_OBRIEN)

    assert first.created > 0
    assert (second.created, second.updated, second.removed, second.restored) == (0, 0, 0, 0)
    after = database_state()
    # Same rows with the same primary keys; only the teacher's "last synced" moved.
    assert after["sections"] == before["sections"]
    assert after["students"] == before["students"]
    assert after["enrollments"] == before["enrollments"]
    assert after["links"] == before["links"]


def test_a_student_removed_in_clever_is_marked_removed_then_restored_with_the_same_row(clever_sandbox):
    sync(clever_sandbox, demo.ZOE_OBRIEN)
    student_id = next(iter(sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)[demo.GEOMETRY]))
    enrollment = Enrollment.objects.get(section__clever_id=demo.GEOMETRY, student__clever_id=student_id)
    student_pk = enrollment.student_id

    clever_sandbox.state.remove_student_from_section(student_id, demo.GEOMETRY)
    removal = sync(clever_sandbox, demo.ZOE_OBRIEN)

    assert (removal.created, removal.removed, removal.restored) == (0, 1, 0)
    enrollment.refresh_from_db()
    assert enrollment.removed_at is not None
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    if not Enrollment.objects.filter(student_id=student_pk, removed_at__isnull=True).exists():
        assert Student.objects.get(pk=student_pk).archived_at is not None

    clever_sandbox.state.add_student_to_section(student_id, demo.GEOMETRY)
    restore = sync(clever_sandbox, demo.ZOE_OBRIEN)

    assert (restore.created, restore.removed, restore.restored) == (0, 0, 1)
    restored = Enrollment.objects.get(section__clever_id=demo.GEOMETRY, student__clever_id=student_id)
    assert (restored.pk, restored.student_id, restored.removed_at) == (enrollment.pk, student_pk, None)
    assert Student.objects.get(pk=student_pk).archived_at is None


def test_a_student_left_with_no_class_is_archived(clever_sandbox):
    sync(clever_sandbox, demo.LIAM_CHEN)
    roster = clever_sandbox.state.roster
    student_id = next(  # someone in World History and nowhere else
        s
        for s in sorted(sandbox_classes(clever_sandbox, demo.LIAM_CHEN)[demo.WORLD_HISTORY])
        if roster.sections_of("students", s) == [demo.WORLD_HISTORY]
    )

    clever_sandbox.state.remove_student_from_section(student_id, demo.WORLD_HISTORY)
    sync(clever_sandbox, demo.LIAM_CHEN)

    assert Student.objects.get(clever_id=student_id).archived_at is not None


def test_moving_a_student_and_adding_a_section_show_exactly_that_change(clever_sandbox):
    sync(clever_sandbox, demo.ZOE_OBRIEN)
    mover = sorted(
        sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)[demo.ALGEBRA_I]
        - set(clever_sandbox.state.get("sections", demo.GEOMETRY)["students"])
    )[0]
    clever_sandbox.state.move_student(mover, demo.ALGEBRA_I, demo.GEOMETRY)
    algebra = clever_sandbox.state.get("sections", demo.ALGEBRA_I)
    clever_sandbox.state.add_section(
        {
            **algebra,
            "id": "5b2c569c7a68e009745801ff",
            "name": "Algebra II - O'Brien - 6",
            "period": "6",
            "sis_id": "ALG2",
            "students": algebra["students"][:3],
        }
    )

    run = sync(clever_sandbox, demo.ZOE_OBRIEN)

    # One new section, one new enrollment for the mover, three for the new section; one removal.
    assert (run.created, run.updated, run.removed, run.restored) == (1 + 1 + 3, 0, 1, 0)
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


def test_a_failure_on_the_third_of_five_section_calls_leaves_the_roster_untouched(clever_sandbox, settings):
    settings.CLEVER_SYNC_CONCURRENCY = 1  # "the third call" is then the third section
    algebra = clever_sandbox.state.get("sections", demo.ALGEBRA_I)
    for n in (1, 2):
        clever_sandbox.state.add_section({**algebra, "id": f"5b2c569c7a68e0097458020{n}", "name": f"Extra {n}"})
    assert len(sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)) == 5
    sync(clever_sandbox, demo.ZOE_OBRIEN)
    before = database_state()
    # Clever changes, but the third section call fails every time (retries included).
    clever_sandbox.state.remove_student_from_section(algebra["students"][0], demo.ALGEBRA_I)
    clever_sandbox.state.update("sections", demo.GEOMETRY, name="Geometry (renamed)")
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", 503, skip=2, times=None)

    run = sync(clever_sandbox, demo.ZOE_OBRIEN)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "Clever is not responding" in run.message
    assert "503" in run.error
    after = database_state()
    assert after == before | {"teachers": after["teachers"]}
    assert after["teachers"] == before["teachers"]  # not even "last synced" moves


@pytest.mark.parametrize("kind", ["malformed_json", "html", "401", "404"])
def test_an_unreadable_or_refused_section_reply_is_never_read_as_no_students(clever_sandbox, kind):
    sync(clever_sandbox, demo.RUTH_OKAFOR)
    before = database_state()
    clever_sandbox.state.add_fault("/v2.0/sections/*/students", kind, times=None, id=demo.READING)

    run = sync(clever_sandbox, demo.RUTH_OKAFOR)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.message
    assert database_state()["enrollments"] == before["enrollments"]


def test_a_rate_limit_is_waited_out_and_the_sync_succeeds(clever_sandbox):
    clever_sandbox.state.add_fault("/v2.0/teachers/*/sections", 429, reset_in=1, times=1)

    run = sync(clever_sandbox, demo.ZOE_OBRIEN)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)
    assert run.http_calls == 3 + 3 + 1  # the refused call, then the same again


def test_a_district_token_pages_through_hundreds_of_students_exactly_once(clever_sandbox, settings):
    settings.CLEVER_PAGE_SIZE = 100
    roster = generate_roster(teachers=1, sections_per_teacher=2, students_per_section=130, seed=7)
    clever_sandbox.state.load(roster)
    teacher_id = roster["teachers"][0]["id"]
    district_id = roster["districts"][0]["id"]

    run = sync(clever_sandbox, teacher_id, credentials=district_credentials(clever_sandbox, district_id))

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    expected = sandbox_classes(clever_sandbox, teacher_id)
    assert sum(len(students) for students in expected.values()) == 260
    assert product_classes(teacher_id) == expected
    assert Enrollment.objects.count() == 260
    # Each 130-student section takes two pages of 100.
    assert clever_sandbox.state.count_calls("/v2.0/sections/*/students") == 4


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


def test_a_co_teacher_who_signs_in_later_finds_the_shared_section(clever_sandbox):
    sync(clever_sandbox, demo.ZOE_OBRIEN)
    nunez = Teacher.objects.get(clever_id=demo.JOSE_NUNEZ)
    assert nunez.user is None  # a placeholder until he signs in
    assert list(nunez.sections.values_list("clever_id", flat=True)) == [demo.STEM_LAB]
    assert SectionTeacher.objects.get(section__clever_id=demo.STEM_LAB, teacher__clever_id=demo.ZOE_OBRIEN).is_primary

    sync(clever_sandbox, demo.JOSE_NUNEZ)

    assert Teacher.objects.filter(clever_id=demo.JOSE_NUNEZ).count() == 1
    assert product_classes(demo.JOSE_NUNEZ) == sandbox_classes(clever_sandbox, demo.JOSE_NUNEZ)
    maya = Student.objects.get(clever_id=demo.MAYA_RODRIGUEZ)  # in Algebra I (O'Brien) and Biology (Núñez)
    assert set(maya.enrollments.values_list("section__clever_id", flat=True)) == {demo.ALGEBRA_I, demo.BIOLOGY}


def test_a_section_the_teacher_no_longer_teaches_leaves_their_classes(clever_sandbox):
    sync(clever_sandbox, demo.AMELIE_DUBOIS)
    clever_sandbox.state.remove("sections", demo.ART)

    run = sync(clever_sandbox, demo.AMELIE_DUBOIS)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert set(product_classes(demo.AMELIE_DUBOIS)) == {demo.FRENCH}
    art = Section.objects.get(clever_id=demo.ART)
    assert not art.enrollments.filter(removed_at__isnull=True).exists()  # no teacher left: enrollments end
    assert run.removed == art.enrollments.count()


def test_the_login_sync_keeps_the_token_encrypted_and_never_raises(clever_sandbox):
    teacher = teacher_row(demo.ZOE_OBRIEN)
    token = clever_sandbox.state.user_token(demo.ZOE_OBRIEN)
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 500, times=None)

    run = jobs.teacher_login_sync(teacher=teacher, token=token)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.trigger == SyncRun.Trigger.LOGIN
    teacher.refresh_from_db()
    assert teacher.token == token
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM rosters_teacher WHERE id = %s", [teacher.pk])
        assert token not in cursor.fetchone()[0]

    clever_sandbox.state.clear_faults()
    retry = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.BUTTON)
    assert retry.outcome == SyncRun.Outcome.SUCCESS, retry.error
    assert product_classes(demo.ZOE_OBRIEN) == sandbox_classes(clever_sandbox, demo.ZOE_OBRIEN)


def test_a_refused_teacher_token_is_forgotten_so_the_next_sync_asks_for_a_login(clever_sandbox):
    teacher = teacher_row(demo.ZOE_OBRIEN)
    jobs.teacher_login_sync(teacher=teacher, token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN))
    clever_sandbox.state.revoke_token(clever_sandbox.state.user_token(demo.ZOE_OBRIEN))

    run = services.teacher_sync(teacher=Teacher.objects.get(pk=teacher.pk), trigger=SyncRun.Trigger.BUTTON)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "log in with Clever again" in run.message
    with pytest.raises(services.NeedsFreshLogin):
        services.teacher_sync(teacher=Teacher.objects.get(pk=teacher.pk), trigger=SyncRun.Trigger.BUTTON)


def test_a_district_token_comes_before_the_teachers_own(clever_sandbox):
    from rosters.models import DistrictToken

    teacher = teacher_row(demo.LIAM_CHEN)
    DistrictToken.objects.create(district_id=demo.DISTRICT, token=clever_sandbox.state.district_token(demo.DISTRICT))

    run = services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.ADMIN)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert clever_sandbox.state.count_calls("/v2.0/**", token_kind="district") == run.http_calls
    assert product_classes(demo.LIAM_CHEN) == sandbox_classes(clever_sandbox, demo.LIAM_CHEN)
