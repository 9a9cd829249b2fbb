"""My classes and the section page, as a teacher and as others see them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from rosters import selectors, services
from rosters.models import SyncJob, SyncRun, Teacher
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
    # session, user, teacher, its district, sections, their teachers, last sync, pending jobs,
    # the district's token (+ the onboarding gate when present)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("rosters:classes"))
    assert len(response.context["sections"]) == 8


def test_a_failed_sync_is_shown_with_a_retry_button(client, teacher):
    teacher.token = "a-token-clever-still-takes"
    teacher.save()
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
    assert page.count("Clever is not responding right now.") == 1  # said once, in the notice
    assert "Try again" in page
    assert "HTTP 503" not in page  # the technical detail is for staff


def test_a_user_without_clever_sees_an_explanation(client):
    client.force_login(UserFactory())
    page = client.get(reverse("rosters:classes")).content.decode()
    assert "not connected to Clever yet" in page


def test_sync_now_without_credentials_asks_for_a_fresh_login_with_the_button_to_do_it(client, teacher):
    client.force_login(teacher.user)
    response = client.post(reverse("rosters:sync"), follow=True)
    page = response.content.decode()
    assert page.count("Your Clever sign-in has expired. Please log in with Clever again.") == 1
    assert '<form method="post" action="/accounts/clever/login/"' in page
    assert '<input type="hidden" name="next" value="/classes/">' in page
    assert ">Log in with Clever</button>" in page
    assert "Sync now</button>" not in page  # it could only answer the same
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


def test_sync_now_brings_the_teachers_classes_from_clever(client, clever_sandbox, settings):
    settings.ROSTER_SYNC_NOW_INTERVAL = 0  # the second click is the run-it-twice twin, not a throttle test
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


def ruth_with_a_token(clever_sandbox):
    """Ruth Okafor, signed in once with Clever (her token kept), onboarding finished."""
    from rosters.models import Teacher
    from sandbox import demo

    teacher = onboarded_teacher(clever_id=demo.RUTH_OKAFOR)
    Teacher.objects.filter(pk=teacher.pk).update(token=clever_sandbox.state.user_token(demo.RUTH_OKAFOR))
    return teacher


def test_sync_now_works_once_a_minute_and_says_when_it_will_work_again(client, clever_sandbox):
    teacher = ruth_with_a_token(clever_sandbox)
    client.force_login(teacher.user)
    assert (
        "Your classes are up to date with Clever."
        in client.post(reverse("rosters:sync"), follow=True).content.decode()
    )
    calls = len(clever_sandbox.state.calls)

    again = client.post(reverse("rosters:sync"), follow=True).content.decode()

    assert "Your classes were updated from Clever a moment ago. You can update them again in" in again
    assert SyncRun.objects.count() == 1
    assert len(clever_sandbox.state.calls) == calls  # Clever was not asked again
    # A minute after that sync started, the button works again.
    SyncRun.objects.update(started_at=F("started_at") - timedelta(seconds=60))
    later = client.post(reverse("rosters:sync"), follow=True).content.decode()
    assert "Your classes were already up to date with Clever." in later
    assert SyncRun.objects.count() == 2


T = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds_later", "wait"), [(0, 60), (15, 45), (59, 1), (59.5, 1)])
def test_sync_now_waits_for_the_interval_after_the_last_sync_of_any_kind(teacher, seconds_later, wait):
    run = SyncRun.objects.create(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, outcome=SyncRun.Outcome.SUCCESS)
    SyncRun.objects.filter(pk=run.pk).update(started_at=T)

    with pytest.raises(services.SyncTooSoon) as refused:
        services.teacher_sync_now(teacher=teacher, now=T + timedelta(seconds=seconds_later))

    assert refused.value.wait == wait


def test_sync_now_works_again_once_the_interval_has_passed_or_without_one(teacher, settings):
    run = SyncRun.objects.create(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, outcome=SyncRun.Outcome.SUCCESS)
    SyncRun.objects.filter(pk=run.pk).update(started_at=T)

    # Past the throttle, the sync itself runs: this teacher has no credentials, so it asks for a login.
    with pytest.raises(services.NeedsFreshLogin):
        services.teacher_sync_now(teacher=teacher, now=T + timedelta(seconds=60))
    settings.ROSTER_SYNC_NOW_INTERVAL = 0
    with pytest.raises(services.NeedsFreshLogin):
        services.teacher_sync_now(teacher=teacher, now=T)


def test_a_job_whose_worker_died_is_not_shown_as_updating(client, teacher, settings):
    job = SyncJob.objects.create(teacher=teacher, trigger=SyncRun.Trigger.LOGIN, status=SyncJob.Status.RUNNING)
    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=T)

    alive = T + timedelta(seconds=settings.ROSTER_JOB_STALE_AFTER)
    assert selectors.teacher_sync_pending(teacher=teacher, now=alive)
    assert not selectors.teacher_sync_pending(teacher=teacher, now=alive + timedelta(seconds=1))
    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    client.force_login(teacher.user)
    assert "Updating your classes from Clever" in client.get(reverse("rosters:classes")).content.decode()
    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert "Updating your classes from Clever" not in client.get(reverse("rosters:classes")).content.decode()


def test_an_interrupted_sync_is_shown_as_failed_with_a_retry_button(client, teacher):
    Teacher.objects.filter(pk=teacher.pk).update(token="her-last-clever-token")  # so a retry can reach Clever
    run = SyncRun.objects.create(teacher=teacher, trigger=SyncRun.Trigger.LOGIN)  # its process died mid-sync
    SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=1))
    client.force_login(teacher.user)
    assert "We could not update your classes" not in client.get(reverse("rosters:classes")).content.decode()

    assert services.sync_runs_close_stale() == 1

    page = client.get(reverse("rosters:classes")).content.decode()
    assert "The last update from Clever was interrupted. Please try again." in page
    assert "Try again" in page
