"""My classes and the section page, as a teacher and as others see them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from rosters.models import SyncRun
from tests.factories import (
    EnrollmentFactory,
    OnboardingFactory,
    SectionFactory,
    SectionTeacherFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def onboarded_teacher(**kwargs):
    """Return a signed-up Clever teacher who has finished onboarding (so the gate lets them through)."""
    user = UserFactory()
    OnboardingFactory(user=user, finished_at=timezone.now())
    return TeacherFactory(user=user, **kwargs)


@pytest.fixture
def teacher():
    return onboarded_teacher(first_name="Ada", last_name="Lovelace")


def _section_with_students(teacher, *, name, students, removed=0, **kwargs):
    section = SectionFactory(name=name, **kwargs)
    SectionTeacherFactory(section=section, teacher=teacher, is_primary=True)
    for _ in range(students):
        EnrollmentFactory(section=section)
    for _ in range(removed):
        EnrollmentFactory(section=section, removed_at=timezone.now())
    return section


def test_my_classes_lists_sections_with_subject_grade_teachers_and_active_student_count(client, teacher):
    algebra = _section_with_students(teacher, name="Algebra I", students=3, removed=1, subject="math", grade="9")
    co_teacher = TeacherFactory(first_name="Grace", last_name="Hopper")
    SectionTeacherFactory(section=algebra, teacher=co_teacher, is_primary=False)
    _section_with_students(teacher, name="Homeroom", students=2, subject="homeroom/advisory", grade="Kindergarten")
    SectionFactory(name="Someone else's class")
    client.force_login(teacher.user)

    response = client.get(reverse("rosters:classes"))

    assert response.status_code == 200
    rows = {section.name: section for section in response.context["sections"]}
    assert set(rows) == {"Algebra I", "Homeroom"}
    assert rows["Algebra I"].student_count == 3  # the removed student does not count
    page = response.content.decode()
    assert "Grace Hopper" in page
    assert "Grade 9" in page
    assert "Homeroom / advisory" in page


def test_my_classes_query_count_does_not_grow_with_sections(client, teacher, django_assert_max_num_queries):
    for n in range(8):
        section = _section_with_students(teacher, name=f"Class {n}", students=4)
        SectionTeacherFactory(section=section, teacher=TeacherFactory(), is_primary=False)
    client.force_login(teacher.user)
    # session, user, teacher, its district, sections, their teachers, last sync (+ the onboarding gate)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("rosters:classes"))
    assert len(response.context["sections"]) == 8


def test_a_failed_sync_is_shown_with_a_retry_button(client, teacher):
    SyncRun.objects.create(
        teacher=teacher,
        trigger=SyncRun.Trigger.LOGIN,
        outcome=SyncRun.Outcome.FAILED,
        finished_at=timezone.now(),
        error="CleverUnavailable: HTTP 503",
        message="Clever is not responding right now. Please try again in a few minutes.",
    )
    client.force_login(teacher.user)

    page = client.get(reverse("rosters:classes")).content.decode()

    assert "We could not update your classes from Clever." in page
    assert "Clever is not responding right now." in page
    assert "Try again" in page
    assert "HTTP 503" not in page  # the technical detail is for staff


def test_a_user_without_clever_sees_an_explanation(client):
    client.force_login(UserFactory())
    page = client.get(reverse("rosters:classes")).content.decode()
    assert "not connected to Clever yet" in page


def test_sync_now_without_credentials_asks_for_a_fresh_login(client, teacher):
    client.force_login(teacher.user)
    response = client.post(reverse("rosters:sync"), follow=True)
    assert "please log in with Clever again" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_section_page_lists_students_and_marks_those_removed_in_clever(client, teacher):
    section = SectionFactory(name="Biology")
    SectionTeacherFactory(section=section, teacher=teacher)
    EnrollmentFactory(section=section, student=StudentFactory(first_name="Zoë", last_name="O'Brien"))
    EnrollmentFactory(
        section=section, student=StudentFactory(first_name="Gone", last_name="Student"), removed_at=timezone.now()
    )
    client.force_login(teacher.user)

    response = client.get(reverse("rosters:section", args=[section.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "O&#x27;Brien, Zoë" in page
    assert "Removed in Clever" in page
    assert page.index("O&#x27;Brien") < page.index("Gone")  # current students first


def test_students_are_hidden_from_other_teachers_and_anonymous_visitors(client, teacher):
    section = _section_with_students(teacher, name="Private", students=2)
    url = reverse("rosters:section", args=[section.pk])

    assert client.get(url).status_code == 302  # to the sign-in page
    other = onboarded_teacher()
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("rosters:section", args=[section.pk + 999])).status_code == 404


def test_staff_with_the_permission_can_see_any_section(client, teacher):
    section = _section_with_students(teacher, name="Any", students=2)
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("rosters:section", args=[section.pk])).status_code == 404

    staff.user_permissions.add(Permission.objects.get(codename="view_student"))
    client.force_login(staff)
    assert client.get(reverse("rosters:section", args=[section.pk])).status_code == 200


def test_sync_now_brings_the_teachers_classes_from_clever(client, clever_sandbox):
    from rosters.models import Teacher
    from sandbox import demo

    teacher = onboarded_teacher(clever_id=demo.RUTH_OKAFOR)
    Teacher.objects.filter(pk=teacher.pk).update(token=clever_sandbox.state.user_token(demo.RUTH_OKAFOR))
    client.force_login(teacher.user)

    response = client.post(reverse("rosters:sync"), follow=True)

    page = response.content.decode()
    assert "Your classes are up to date with Clever." in page
    assert "Grade 3 Homeroom - Okafor" in page
    assert "Reading - Okafor - 2" in page
    again = client.post(reverse("rosters:sync"), follow=True).content.decode()
    assert "Your classes were already up to date with Clever." in again


def test_my_classes_says_when_clever_last_updated_them(client, teacher):
    from datetime import timedelta

    teacher.last_synced_at = timezone.now() - timedelta(hours=3)
    teacher.save()
    client.force_login(teacher.user)

    page = client.get(reverse("rosters:classes")).content.decode()

    assert "Last updated from Clever 3\xa0hours ago." in page
