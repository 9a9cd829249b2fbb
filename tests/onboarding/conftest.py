"""Teachers as the sync leaves them, and helpers to fill in the questionnaire like a browser does."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from onboarding.forms import VERSION_FIELD
from onboarding.models import Question
from rosters.models import Sharing
from tests.factories import (
    EnrollmentFactory,
    SectionFactory,
    SectionTeacherFactory,
    StaffUserFactory,
    TeacherFactory,
    UserFactory,
)

FORM_URL = "/onboarding/"


def section_taught(teacher, *, subject, grade, students=1, removed=False):
    """Create a section this teacher teaches, with students (all removed when `removed`)."""
    section = SectionFactory(subject=subject, grade=grade)
    SectionTeacherFactory(section=section, teacher=teacher)
    removed_at = datetime(2024, 1, 1, tzinfo=UTC) if removed else None
    for _ in range(students):
        EnrollmentFactory(section=section, removed_at=removed_at)
    return section


@pytest.fixture
def district_teacher():
    """A district-shared teacher with a school and classes in math (3) and science (4, 5)."""
    user = UserFactory(email="local@example.org")
    teacher = TeacherFactory(
        user=user,
        email="ms.rivera@lincoln.k12.example",
        first_name="Ana",
        last_name="Rivera",
        school_name="Lincoln Elementary",
        sharing=Sharing.DISTRICT,
    )
    section_taught(teacher, subject="math", grade="3")
    section_taught(teacher, subject="science", grade="4", students=2)
    section_taught(teacher, subject="Science", grade="5")
    # Not prefilled: a class whose students were all removed, and values Clever may add one day.
    section_taught(teacher, subject="arts and music", grade="12", removed=True)
    section_taught(teacher, subject="underwater basket weaving", grade="Grade 99")
    # Another teacher's class.
    section_taught(TeacherFactory(), subject="language", grade="7")
    return teacher


@pytest.fixture
def library_teacher():
    """A teacher who added the app from the Clever Library: no district, no school, no email."""
    user = UserFactory(email="")
    teacher = TeacherFactory(user=user, email="", district_id="", school_name="", sharing=Sharing.LIBRARY)
    section_taught(teacher, subject="math", grade="2")
    return teacher


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory())
    return client


@pytest.fixture
def questions():
    """The default questions from the data migration, by label."""
    return {question.label: question for question in Question.objects.all()}


def field_name(question) -> str:
    return f"q_{question.pk}"


def shown_form_data(response) -> dict:
    """Return what a browser would send back for the form as shown: every value as filled in."""
    form = response.context["form"]
    data = {VERSION_FIELD: form.version}
    for row in form.rows:
        value = row.field.value()
        if value not in (None, "", []):
            data[row.field.html_name] = value
    return data


def onboarding_url() -> str:
    return reverse("onboarding:form")
