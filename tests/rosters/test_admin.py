"""The roster admin: every screen opens, Clever's data is read-only, tokens are never shown."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rosters.models import DistrictToken, SyncRun
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
    response = admin_client.post(
        add, {"district_id": "d2", "name": "North", "token": "tok-north-123", "sync_mode": "full"}
    )
    assert response.status_code == 302
    token = DistrictToken.objects.get(district_id="d2")
    assert token.token == "tok-north-123"

    change = reverse("admin:rosters_districttoken_change", args=[token.pk])
    assert b"tok-north-123" not in admin_client.get(change).content
    # Saving with the field left empty keeps the stored token.
    admin_client.post(change, {"district_id": "d2", "name": "North district", "token": "", "sync_mode": "full"})
    token.refresh_from_db()
    assert (token.name, token.token) == ("North district", "tok-north-123")


def test_a_new_district_token_needs_a_token(admin_client):
    response = admin_client.post(
        reverse("admin:rosters_districttoken_add"), {"district_id": "d3", "token": "", "sync_mode": "full"}
    )
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
