"""The roster admin: every screen opens, Clever's data is read-only, tokens are never shown."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rosters.models import DistrictToken, SyncJob, SyncRun
from sandbox import demo
from tests.factories import EnrollmentFactory, SectionTeacherFactory, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def roster():
    link = SectionTeacherFactory(teacher=TeacherFactory(token="il-secret-teacher-token"))
    enrollment = EnrollmentFactory(section=link.section)
    run = SyncRun.objects.create(
        teacher=link.teacher, trigger=SyncRun.Trigger.COMMAND, outcome=SyncRun.Outcome.SUCCESS, created=3
    )
    token = DistrictToken.objects.create(district_id="d1", name="Demo District", token="district-secret-token")
    return {
        "teacher": link.teacher,
        "section": link.section,
        "student": enrollment.student,
        "syncrun": run,
        "districttoken": token,
    }


@pytest.mark.parametrize("model", ["teacher", "section", "student", "syncrun", "districttoken"])
def test_changelist_search_and_change_pages_open(admin_client, roster, model):
    obj = roster[model]
    changelist = reverse(f"admin:rosters_{model}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "a"}).status_code == 200
    page = admin_client.get(reverse(f"admin:rosters_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert b"secret" not in page.content  # no token on any admin page


def test_teachers_and_students_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:rosters_teacher_add")).status_code == 403
    assert admin_client.get(reverse("admin:rosters_student_add")).status_code == 403
    assert admin_client.get(reverse("admin:rosters_syncrun_add")).status_code == 403


def test_sync_runs_filter_by_outcome(admin_client, roster):
    SyncRun.objects.create(
        teacher=roster["teacher"], trigger=SyncRun.Trigger.LOGIN, outcome=SyncRun.Outcome.FAILED, error="boom"
    )
    response = admin_client.get(reverse("admin:rosters_syncrun_changelist"), {"outcome__exact": "failed"})
    assert [run.outcome for run in response.context["cl"].result_list] == ["failed"]


def test_district_token_is_write_only(admin_client):
    add = reverse("admin:rosters_districttoken_add")
    response = admin_client.post(add, {"district_id": "d2", "name": "North", "token": "tok-north-123"})
    assert response.status_code == 302
    token = DistrictToken.objects.get(district_id="d2")
    assert token.token == "tok-north-123"

    change = reverse("admin:rosters_districttoken_change", args=[token.pk])
    assert b"tok-north-123" not in admin_client.get(change).content
    # Saving with the field left empty keeps the stored token.
    admin_client.post(change, {"district_id": "d2", "name": "North district", "token": ""})
    token.refresh_from_db()
    assert (token.name, token.token) == ("North district", "tok-north-123")


def test_a_new_district_token_needs_a_token(admin_client):
    response = admin_client.post(reverse("admin:rosters_districttoken_add"), {"district_id": "d3", "token": ""})
    assert response.status_code == 200
    assert "Enter the district&#x27;s token." in response.content.decode()
    assert not DistrictToken.objects.filter(district_id="d3").exists()


def test_tokens_are_encrypted_at_rest(roster):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM rosters_districttoken WHERE district_id = %s", ["d1"])
        (stored,) = cursor.fetchone()
    assert stored
    assert "district-secret-token" not in stored


def test_sync_action_reports_teachers_who_need_a_fresh_login(admin_client):
    teacher = TeacherFactory(token="", last_synced_at=timezone.now())
    response = admin_client.post(
        reverse("admin:rosters_teacher_changelist"),
        {"action": "sync_from_clever", "_selected_action": [teacher.pk]},
        follow=True,
    )
    assert "Need a fresh Clever login or a district token" in response.content.decode()
    assert not SyncRun.objects.exists()


# --- The token import overwrites tokens: it needs the change permission too ------------------


def _staff_with(*codenames):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="rosters", codename__in=codenames))
    return user


def test_importing_tokens_needs_the_change_permission(client, clever_sandbox):
    DistrictToken.objects.create(district_id=demo.DISTRICT, name="Demo District", token="the-stored-token")
    client.force_login(_staff_with("view_districttoken", "add_districttoken"))

    page = client.get(reverse("admin:rosters_districttoken_changelist")).content.decode()
    response = client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    assert "Import tokens from Clever" not in page
    assert "You may not add or change district tokens." in response.content.decode()
    assert DistrictToken.objects.get().token == "the-stored-token"
    assert clever_sandbox.state.count_calls("/oauth/tokens") == 0


def test_staff_who_may_add_and_change_tokens_import_them(client, clever_sandbox):
    DistrictToken.objects.create(district_id=demo.DISTRICT, name="Demo District", token="the-stored-token")
    client.force_login(_staff_with("view_districttoken", "add_districttoken", "change_districttoken"))

    page = client.get(reverse("admin:rosters_districttoken_changelist")).content.decode()
    response = client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    assert "Import tokens from Clever" in page
    assert "Imported from Clever: 0 new, 1 updated." in response.content.decode()
    assert DistrictToken.objects.get().token == clever_sandbox.state.district_token(demo.DISTRICT)


# --- "Sync selected teachers" --------------------------------------------------------------------


def _sync_action(admin_client, teachers):
    return admin_client.post(
        reverse("admin:rosters_teacher_changelist"),
        {"action": "sync_from_clever", "_selected_action": [teacher.pk for teacher in teachers]},
        follow=True,
    )


def test_with_workers_the_sync_action_queues_one_job_per_teacher(admin_client, database_tasks):
    teachers = [TeacherFactory() for _ in range(3)]

    response = _sync_action(admin_client, teachers)

    assert "Queued 3 syncs: the workers run them in the background" in response.content.decode()
    jobs = SyncJob.objects.order_by("teacher_id")
    assert [(job.teacher_id, job.status, job.trigger) for job in jobs] == [
        (teacher.pk, SyncJob.Status.QUEUED, SyncRun.Trigger.ADMIN) for teacher in teachers
    ]
    assert not SyncRun.objects.exists()  # nothing ran inside the request


def test_without_workers_the_sync_action_refuses_more_teachers_than_it_may_sync_while_staff_wait(
    admin_client, settings
):
    settings.ROSTER_ADMIN_SYNC_INLINE_MAX = 10
    teachers = [TeacherFactory(token="a-token") for _ in range(11)]

    response = _sync_action(admin_client, teachers)

    text = response.content.decode()
    assert "11 teachers are too many to sync while you wait (at most 10 here" in text
    assert "manage.py sync_rosters --enqueue" in text
    assert not SyncRun.objects.exists()
    assert not SyncJob.objects.exists()


def test_without_workers_the_sync_action_syncs_a_few_teachers_at_once(admin_client, clever_sandbox):
    from tests.rosters.helpers import teacher_row

    ruth = teacher_row(demo.RUTH_OKAFOR)
    ruth.token = clever_sandbox.state.user_token(demo.RUTH_OKAFOR)
    ruth.save()

    response = _sync_action(admin_client, [ruth])

    assert "Synced 1 teacher." in response.content.decode()
    assert list(SyncRun.objects.values_list("trigger", "outcome")) == [("admin", "success")]
