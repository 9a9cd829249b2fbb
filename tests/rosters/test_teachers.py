"""rosters.teachers, the one writer of Teacher rows: what a login and a sync may write there."""

import pytest

from rosters.models import SyncRun, Teacher
from rosters.teachers import TeacherLinkedElsewhere, teacher_profile_upsert
from sandbox.generate import generate_roster
from tests.factories import TeacherFactory, UserFactory

from .helpers import sync

pytestmark = pytest.mark.django_db


def test_a_login_links_a_new_teacher_row_to_the_user_with_clevers_profile():
    user = UserFactory()

    teacher = teacher_profile_upsert(
        clever_id="t-1", user=user, sharing="library", first_name="Ada", last_name="Byron", title="Teacher"
    )

    assert (teacher.clever_id, teacher.user, teacher.sharing) == ("t-1", user, "library")
    assert (teacher.first_name, teacher.last_name, teacher.title) == ("Ada", "Byron", "Teacher")


def test_a_row_that_belongs_to_another_user_is_left_exactly_as_it_was():
    owner = TeacherFactory(clever_id="t-1", first_name="Ann", user=UserFactory())

    with pytest.raises(TeacherLinkedElsewhere):
        teacher_profile_upsert(clever_id="t-1", user=UserFactory(), sharing="library", first_name="Bob")

    row = Teacher.objects.get(clever_id="t-1")
    assert (row.first_name, row.user, row.sharing) == ("Ann", owner.user, "district")


def test_a_profile_longer_than_its_columns_is_cut_to_fit_at_login():
    teacher = teacher_profile_upsert(
        clever_id="t-1", user=UserFactory(), sharing="district", first_name="A" * 300, title="T" * 300
    )

    teacher.refresh_from_db()
    assert (teacher.first_name, teacher.title) == ("A" * 255, "T" * 255)


def test_a_clever_title_longer_than_its_column_does_not_fail_the_sync(clever_sandbox):
    roster = generate_roster(teachers=1, sections_per_teacher=1, students_per_section=2, seed=5)
    roster["teachers"][0]["title"] = "Head of Science, " + "x" * 300
    clever_sandbox.state.load(roster)
    clever_id = roster["teachers"][0]["id"]

    run = sync(clever_sandbox, clever_id)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert Teacher.objects.get(clever_id=clever_id).title == ("Head of Science, " + "x" * 300)[:255]
