import pytest
from django.test import RequestFactory

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_web_action_records_the_signed_in_user_and_their_address():
    staff = UserFactory(is_staff=True)
    request = RequestFactory().post("/admin/", REMOTE_ADDR="203.0.113.7")
    request.user = staff

    audit_record(action=AuditEvent.Action.PLAN_CHANGED, request=request, target_type="user", target_id=41)

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_user, event.ip, event.target_type, event.target_id) == (
        f"user:{staff.pk}",
        staff,
        "203.0.113.7",
        "user",
        "41",
    )


def test_a_command_is_named_and_has_no_address():
    audit_record(action=AuditEvent.Action.DATA_PURGED, command="purge_data", detail="students: 3")

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_user, event.ip, event.detail) == ("command:purge_data", None, None, "students: 3")


def test_the_actor_survives_the_deletion_of_their_account():
    staff = UserFactory(is_staff=True)
    audit_record(action=AuditEvent.Action.PLAN_CHANGED, user=staff)
    staff_pk = staff.pk

    staff.delete()

    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_CHANGED)
    assert (event.actor, event.actor_user) == (f"user:{staff_pk}", None)


def test_the_admin_shows_the_trail_and_lets_no_one_change_it(admin_client):
    audit_record(action=AuditEvent.Action.DATA_PURGED, command="purge_data")
    event = AuditEvent.objects.get()

    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 1
