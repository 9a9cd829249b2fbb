"""Two syncs of one district at once on PostgreSQL end as one would: no duplicates, nothing lost or undone."""

import pytest
from django.db import connection

from rosters.models import DistrictToken, Enrollment, Section, SectionTeacher, Student, SyncRun, Teacher

from .district_helpers import (
    LAKESIDE_CLASSES,
    LAKESIDE_STUDENTS,
    LAKESIDE_TEACHERS_OF,
    classes,
    district_row,
    district_sync,
    lakeside_id,
    lakeside_roster,
    students,
    teachers_of,
)
from .helpers import at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real concurrency")


def _at_once(district, modes: list[str]) -> list[SyncRun]:
    return at_once(lambda mode: district_sync(DistrictToken.objects.get(pk=district.pk), mode=mode), modes)


def _no_duplicates():
    for model in (Teacher, Section, Student):
        assert model.objects.count() == model.objects.values("clever_id").distinct().count()
    for model, fields in ((Enrollment, ("section_id", "student_id")), (SectionTeacher, ("section_id", "teacher_id"))):
        pairs = list(model.objects.values_list(*fields))
        assert len(pairs) == len(set(pairs))


def test_two_full_syncs_of_one_district_at_once_end_as_one(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    lakeside = district_row(clever_sandbox)

    runs = _at_once(lakeside, ["full", "full"])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2, [run.error for run in runs]
    _no_duplicates()
    assert (Teacher.objects.count(), Section.objects.count(), Student.objects.count()) == (5, 4, 10)
    assert classes() == LAKESIDE_CLASSES
    assert teachers_of() == LAKESIDE_TEACHERS_OF
    assert students() == LAKESIDE_STUDENTS
    assert sorted(run.created for run in runs) == [0, 31]  # the second found the work done


def test_two_incremental_syncs_at_once_apply_the_events_once(clever_sandbox):
    clever_sandbox.state.load(lakeside_roster())
    lakeside = district_row(clever_sandbox, sync_mode=DistrictToken.SyncMode.EVENTS)
    district_sync(lakeside)
    clever_sandbox.state.update("students", lakeside_id("401"), name={"first": "Avery", "middle": "", "last": "Adams"})
    clever_sandbox.state.remove_student_from_section(lakeside_id("409"), lakeside_id("303"))

    runs = _at_once(lakeside, ["events", "events"])

    assert [run.outcome for run in runs] == [SyncRun.Outcome.SUCCESS] * 2, [run.error for run in runs]
    _no_duplicates()
    assert classes() == LAKESIDE_CLASSES | {"303": {"408"}}
    assert students()["401"] == ("Avery", "Adams", "4", False)
    assert students()["409"] == ("Ivo", "Ito", "7", True)
    # Either both read the events before either applied (the second writes nothing and says
    # so), or the second read after the first moved the position (and found nothing new).
    second = min(runs, key=lambda run: run.updated + run.removed)
    assert (second.created, second.updated, second.removed, second.restored) == (0, 0, 0, 0)
    assert max(run.updated + run.removed for run in runs) == 2
