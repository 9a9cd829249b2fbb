"""Deleting a teacher: from the admin (the standard page and "Delete teacher and their data"),
by the teacher on /account/delete/, or from the shell. Each removes the account and what only
it held, keeps a co-taught class for the co-teacher, and leaves no row with their name,
email or token; each deletion is in the audit trail, by id.

The teachers are the sandbox's Zoë O'Brien (renamed in the sandbox, so that her name is
nowhere else: the district's section names carry "O'Brien") and José Núñez, her co-teacher
in STEM Lab. What deleting her removes is counted by hand from sandbox/data/demo.json: her
own classes Algebra I (24 students) and Geometry (20): 44 enrollments, 40 students in
neither of José's classes (Biology, STEM Lab); 80 students in all before, 40 after.
"""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from onboarding.models import Answer
from rosters.models import Section, SectionTeacher, Student, SyncRun, Teacher
from sandbox import demo
from tests.clever_login import clever_login
from tests.factories import AnswerFactory, OnboardingFactory, StaffUserFactory
from tests.scan import rows_holding

pytestmark = pytest.mark.django_db

FIRST, LAST = "Wilhelmina", "Quartermaine"
EMAIL = "w.quartermaine@demodistrict.example"
DELETED = (
    "classes deleted: 2, co-taught classes kept: 1, students deleted: 40, enrollments deleted: 44, "
    "onboarding answers deleted: 1, Clever identity: yes, Clever teacher record: yes"
)


@pytest.fixture
def zoe(clever_sandbox):
    """Zoë and José have logged in with Clever (their classes synced); Zoë answered onboarding."""
    clever_sandbox.state.update(
        "teachers", demo.ZOE_OBRIEN, name={"first": FIRST, "middle": "", "last": LAST}, email=EMAIL
    )
    clever_login(Client(), clever_sandbox, user_id=demo.ZOE_OBRIEN)
    clever_login(Client(), clever_sandbox, user_id=demo.JOSE_NUNEZ)
    user = User.objects.get(socialaccount__uid=demo.ZOE_OBRIEN)
    AnswerFactory(onboarding=OnboardingFactory(user=user), value=EMAIL)  # her email, prefilled from Clever
    assert Student.objects.count() == 80
    return user


def traces_of(user) -> list[str]:
    """Return her name, email, Clever token and its stored (encrypted) form, checking the scan finds each now."""
    teacher = Teacher.objects.get(user=user)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {Teacher._meta.db_table} WHERE id = %s", [teacher.pk])  # noqa: S608
        stored_token = cursor.fetchone()[0]
    needles = [FIRST, LAST, EMAIL, teacher.token, stored_token]
    found = rows_holding(*needles)
    assert f"{Teacher._meta.db_table}.token: {stored_token}" in found
    assert {trace.split(": ", 1)[1] for trace in found} == {FIRST, LAST, EMAIL, stored_token}
    return needles


def classes() -> dict[str, list[str]]:
    """Section name -> its teachers' Clever ids."""
    return {
        section.name: sorted(link.teacher.clever_id for link in section.section_teachers.all())
        for section in Section.objects.prefetch_related("section_teachers__teacher")
    }


def assert_zoe_is_gone(user_pk: int, *, traces: list[str]):
    assert rows_holding(*traces) == []
    assert not User.objects.filter(pk=user_pk).exists()
    assert not SocialAccount.objects.filter(uid=demo.ZOE_OBRIEN).exists()
    assert not Teacher.objects.filter(clever_id=demo.ZOE_OBRIEN).exists()
    assert Answer.objects.count() == 0
    assert classes() == {
        "Biology - Núñez - 2": [demo.JOSE_NUNEZ],
        "STEM Lab - O'Brien - 5": [demo.JOSE_NUNEZ],  # co-taught: stays for José
    }
    assert Student.objects.count() == 40
    # Students of her classes who are also in José's keep their place there.
    assert Student.objects.filter(clever_id=demo.MAYA_RODRIGUEZ, archived_at__isnull=True).exists()


def test_staff_delete_a_clever_teacher_on_the_admins_delete_page_and_nothing_of_hers_is_left(zoe, admin_client):
    traces = traces_of(zoe)

    page = admin_client.get(f"/admin/accounts/user/{zoe.pk}/delete/")
    done = admin_client.post(f"/admin/accounts/user/{zoe.pk}/delete/", {"post": "yes"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "2 classes only they teach, with their enrollments" in text
    assert "40 students in none of their other teachers' classes" in text
    assert "44 enrollments" in text
    assert "1 onboarding answer" in text
    assert "Stays: 1 co-taught class, for its other teachers" in text
    assert done.status_code == 302
    assert_zoe_is_gone(zoe.pk, traces=traces)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DELETED)
    admin = User.objects.get(username="admin")
    assert (event.actor, event.target_type, event.target_id, event.ip, event.detail) == (
        f"user:{admin.pk}",
        "user",
        str(zoe.pk),
        "127.0.0.1",
        DELETED,
    )
    # The admin's own history of the deletion names her by number only.
    assert list(LogEntry.objects.values_list("object_repr", flat=True)) == [f"user #{zoe.pk}"]


def test_delete_teacher_and_their_data_lists_what_goes_then_deletes_it(zoe, admin_client):
    traces = traces_of(zoe)
    selected = {"action": "delete_teacher_and_data", "_selected_action": [zoe.pk]}

    confirm = admin_client.post("/admin/accounts/user/", selected)
    kept_until_confirmed = User.objects.filter(pk=zoe.pk).exists()
    done = admin_client.post("/admin/accounts/user/", {**selected, "confirm": "yes"}, follow=True)

    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert f"{FIRST} {LAST}" in text
    assert "2 classes only they teach" in text
    assert "Their Clever teacher record: name, email and stored Clever token" in text
    assert kept_until_confirmed
    assert "Deleted 1 account and its data." in [str(m) for m in get_messages(done.wsgi_request)]
    assert_zoe_is_gone(zoe.pk, traces=traces)
    assert AuditEvent.objects.get(action=AuditEvent.Action.USER_DELETED).detail == DELETED


def test_the_admins_delete_selected_users_action_deletes_their_data_too(zoe, admin_client):
    traces = traces_of(zoe)
    selected = {"action": "delete_selected", "_selected_action": [zoe.pk]}

    admin_client.post("/admin/accounts/user/", {**selected, "post": "yes"})

    assert_zoe_is_gone(zoe.pk, traces=traces)


def test_staff_cannot_delete_their_own_account_with_the_action(admin_client):
    admin = User.objects.get(username="admin")

    page = admin_client.post(
        "/admin/accounts/user/", {"action": "delete_teacher_and_data", "_selected_action": [admin.pk]}, follow=True
    )

    assert "You cannot delete your own account here." in [str(m) for m in get_messages(page.wsgi_request)]
    assert User.objects.filter(pk=admin.pk).exists()


def test_a_teacher_deletes_their_own_account_with_a_typed_confirmation(zoe, client):
    traces = traces_of(zoe)
    client.force_login(zoe)

    page = client.get("/account/delete/")  # reachable before onboarding is finished too
    wrong = client.post("/account/delete/", {"confirmation": "delete"})
    survived = User.objects.filter(pk=zoe.pk).exists()
    done = client.post("/account/delete/", {"confirmation": "DELETE"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "2 classes only you teach" in text
    assert "40 students who are in none of your co-teachers' classes" in text
    assert "1 class you teach with a co-teacher stays for them" in text
    assert wrong.status_code == 400
    assert "Type DELETE in capital letters to delete your account. Nothing was deleted." in wrong.content.decode()
    assert survived
    assert (done.status_code, done["Location"]) == (302, "/")
    assert "_auth_user_id" not in client.session
    assert any("Your account and its data were deleted" in str(m) for m in get_messages(done.wsgi_request))
    assert_zoe_is_gone(zoe.pk, traces=traces)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DELETED)
    assert (event.actor, event.actor_user, event.target_id, event.detail) == (
        f"user:{zoe.pk}",
        None,
        str(zoe.pk),
        DELETED,
    )


def test_the_account_page_offers_the_deletion_to_teachers_not_to_staff(client):
    staff = StaffUserFactory()
    client.force_login(staff)

    page = client.get("/account/")
    refused = client.post("/account/delete/", {"confirmation": "DELETE"}, follow=True)

    assert "/account/delete/" not in page.content.decode()
    assert "A staff account is deleted by another administrator, in the admin." in refused.content.decode()
    assert User.objects.filter(pk=staff.pk).exists()


def test_a_user_deleted_from_the_shell_takes_their_data_along(zoe):
    traces = traces_of(zoe)

    User.objects.filter(pk=zoe.pk).delete()

    assert_zoe_is_gone(zoe.pk, traces=traces)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DELETED)
    assert (event.actor, event.target_id, event.detail) == ("system:direct_delete", str(zoe.pk), DELETED)


def test_deleting_a_staff_account_deletes_nothing_else(zoe, admin_client):
    staff = StaffUserFactory(username="support")
    jose = Teacher.objects.get(clever_id=demo.JOSE_NUNEZ)
    run = SyncRun.objects.create(teacher=jose, trigger=SyncRun.Trigger.ADMIN, requested_by=staff)
    rows_before = (Section.objects.count(), Student.objects.count(), SectionTeacher.objects.count())

    admin_client.post(f"/admin/accounts/user/{staff.pk}/delete/", {"post": "yes"})

    assert not User.objects.filter(pk=staff.pk).exists()
    assert (Section.objects.count(), Student.objects.count(), SectionTeacher.objects.count()) == rows_before
    run.refresh_from_db()
    assert run.requested_by is None
    assert AuditEvent.objects.get(action=AuditEvent.Action.USER_DELETED).detail == (
        "classes deleted: 0, co-taught classes kept: 0, students deleted: 0, enrollments deleted: 0, "
        "onboarding answers deleted: 0, Clever identity: no, Clever teacher record: no"
    )


def test_a_teacher_row_is_not_deleted_alone_in_the_admin(zoe, admin_client):
    teacher = Teacher.objects.get(clever_id=demo.ZOE_OBRIEN)

    page = admin_client.get(f"/admin/rosters/teacher/{teacher.pk}/delete/")

    assert page.status_code == 403
    assert Teacher.objects.filter(pk=teacher.pk).exists()
